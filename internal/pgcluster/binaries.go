package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoBinaries is returned (wrapped) when no PostgreSQL server binaries can be
// found. Its message tells the operator how to install them.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or under /usr/lib/postgresql/*/bin: install the postgresql package (apt-get install postgresql)")

// serverBinaries are the programs a cluster needs, all from one directory.
var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

// DefaultRoots are the directories searched after PATH. Each holds one
// subdirectory per installed version with the binaries in its bin directory,
// as Debian and Ubuntu lay them out (/usr/lib/postgresql/15/bin).
var DefaultRoots = []string{"/usr/lib/postgresql"}

// Finder locates a directory holding initdb, pg_ctl and postgres.
// The zero value searches nothing; use NewFinder for the machine's defaults.
type Finder struct {
	// Path is a PATH-style list of directories searched first.
	Path string
	// Roots are searched after Path: ROOT/VERSION/bin, newest version first.
	Roots []string
}

// NewFinder returns a Finder that searches $PATH and then DefaultRoots.
func NewFinder() Finder {
	return Finder{Path: os.Getenv("PATH"), Roots: DefaultRoots}
}

// FindBinDir returns the directory of the machine's PostgreSQL server binaries
// and their major version, searching PATH and then DefaultRoots. The error
// wraps ErrNoBinaries when none are installed.
func FindBinDir() (dir string, major int, err error) {
	return NewFinder().Find()
}

// Find returns the first complete binary directory: the one holding initdb on
// f.Path (symlinks resolved), else the newest version under f.Roots.
func (f Finder) Find() (dir string, major int, err error) {
	for _, p := range filepath.SplitList(f.Path) {
		if p == "" {
			continue
		}
		if dir, ok := completeDir(p); ok {
			major, err := BinMajor(dir)
			if err != nil {
				return "", 0, err
			}
			return dir, major, nil
		}
	}
	type candidate struct {
		dir     string
		version []int
	}
	var found []candidate
	for _, root := range f.Roots {
		entries, err := os.ReadDir(root)
		if err != nil {
			continue // a missing root is normal
		}
		for _, e := range entries {
			v, ok := parseVersion(e.Name())
			if !ok {
				continue
			}
			if dir, ok := completeDir(filepath.Join(root, e.Name(), "bin")); ok {
				found = append(found, candidate{dir, v})
			}
		}
	}
	if len(found) == 0 {
		return "", 0, ErrNoBinaries
	}
	newest := slices.MaxFunc(found, func(a, b candidate) int { return slices.Compare(a.version, b.version) })
	return newest.dir, newest.version[0], nil
}

// completeDir reports whether dir (or, if initdb there is a symlink, the
// directory it points into) holds all server binaries, and returns that
// directory. The resolved directory is preferred so that pg_ctl, postgres and
// later pg_dump come from one installation.
func completeDir(dir string) (string, bool) {
	initdb := filepath.Join(dir, "initdb")
	if !isExecutable(initdb) {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(initdb); err == nil {
		if d := filepath.Dir(real); hasAll(d) {
			return d, true
		}
	}
	if hasAll(dir) {
		return dir, true
	}
	return "", false
}

func hasAll(dir string) bool {
	for _, b := range serverBinaries {
		if !isExecutable(filepath.Join(dir, b)) {
			return false
		}
	}
	return true
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// parseVersion parses a version directory name such as "15", "9.6" or "17.2".
func parseVersion(name string) ([]int, bool) {
	var v []int
	for part := range strings.SplitSeq(name, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, len(v) > 0
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)
var layoutRE = regexp.MustCompile(`/postgresql/(\d+)(?:\.\d+)*/bin$`)

// BinMajor returns the major version of the server binaries in dir: from the
// Debian layout (…/postgresql/15/bin) when it matches, else from
// `initdb --version`.
func BinMajor(dir string) (int, error) {
	if m := layoutRE.FindStringSubmatch(filepath.ToSlash(dir)); m != nil {
		return strconv.Atoi(m[1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "initdb"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("run %s --version: %w", filepath.Join(dir, "initdb"), err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("parse version of %s from %q", filepath.Join(dir, "initdb"), strings.TrimSpace(string(out)))
	}
	return strconv.Atoi(string(m[1]))
}
