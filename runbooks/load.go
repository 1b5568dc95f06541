package runbooks

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// shipped holds the runbooks built into the binary.
//
//go:embed reliability-audit.md backup-restore.md backup.md
var shipped embed.FS

// ErrNotFound is returned (wrapped) when no runbook has the requested id.
var ErrNotFound = errors.New("runbook not found")

// Embedded returns the ids of the runbooks built into the binary, sorted.
func Embedded() []string {
	ents, _ := fs.ReadDir(shipped, ".")
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		ids = append(ids, strings.TrimSuffix(e.Name(), ".md"))
	}
	sort.Strings(ids)
	return ids
}

// EmbeddedSource returns the Markdown of a built-in runbook.
func EmbeddedSource(id string) ([]byte, error) {
	if !validName(id) {
		return nil, fmt.Errorf("runbook %q: %w", id, ErrNotFound)
	}
	b, err := shipped.ReadFile(strings.TrimSuffix(id, ".md") + ".md")
	if err != nil {
		return nil, fmt.Errorf("runbook %q: %w (built in: %s)", id, ErrNotFound, strings.Join(Embedded(), ", "))
	}
	return b, nil
}

// LoadEmbedded parses a built-in runbook. Its diagnostics name it
// runbooks/ID.md.
func LoadEmbedded(id string) (*Runbook, error) {
	b, err := EmbeddedSource(id)
	if err != nil {
		return nil, err
	}
	return Parse("runbooks/"+strings.TrimSuffix(id, ".md")+".md", b)
}

// LoadFile reads and parses a runbook file, refusing files over MaxSize
// before reading them whole.
func LoadFile(path string) (*Runbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err // an *fs.PathError naming the file
	}
	if len(b) > MaxSize {
		size := "more than " + byteSize(MaxSize)
		if fi, err := f.Stat(); err == nil {
			size = byteSize(int(fi.Size()))
		}
		return nil, &ParseError{Path: path, Rule: "size",
			Msg: fmt.Sprintf("file is %s; a runbook may be at most %s", size, byteSize(MaxSize))}
	}
	return Parse(path, b)
}

// Loader finds runbooks by id: first ID.md in Dir (when Dir is set, e.g.
// from the worker's --runbooks flag), then the built-in runbooks. Ids come
// from workflow input, so they may not name paths outside Dir.
type Loader struct {
	Dir string
}

// Load parses the runbook with the given id: a file name without .md in
// Dir, then a runbook in Dir whose front matter declares that id, then a
// built-in runbook.
func (l Loader) Load(id string) (*Runbook, error) {
	if !validName(id) {
		return nil, fmt.Errorf("runbook id %q: use the file name without .md, no directories", id)
	}
	if l.Dir != "" {
		rb, err := LoadFile(filepath.Join(l.Dir, strings.TrimSuffix(id, ".md")+".md"))
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return rb, err
		}
		if rb := l.byFrontMatterID(id); rb != nil {
			return rb, nil
		}
	}
	rb, err := LoadEmbedded(id)
	if err != nil && l.Dir != "" {
		return nil, fmt.Errorf("%w in %s (by file name or front matter id) nor among the built-in runbooks", err, l.Dir)
	}
	return rb, err
}

// byFrontMatterID finds the runbook in Dir whose front matter says id.
func (l Loader) byFrontMatterID(id string) *Runbook {
	ents, err := os.ReadDir(l.Dir)
	if err != nil {
		return nil
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		if rb, err := LoadFile(filepath.Join(l.Dir, e.Name())); err == nil && rb.ID == id {
			return rb
		}
	}
	return nil
}

// List returns the ids Load can find, sorted: the .md files in Dir and the
// built-in runbooks.
func (l Loader) List() ([]string, error) {
	seen := map[string]bool{}
	for _, id := range Embedded() {
		seen[id] = true
	}
	if l.Dir != "" {
		ents, err := os.ReadDir(l.Dir)
		if err != nil {
			return nil, fmt.Errorf("list runbooks: %w", err)
		}
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".md") {
				seen[strings.TrimSuffix(e.Name(), ".md")] = true
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// validName accepts a plain file name: no separators, not . or .., no NUL.
func validName(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, "/\\\x00") && len(id) <= 255
}
