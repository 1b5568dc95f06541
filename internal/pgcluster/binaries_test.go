package pgcluster

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeBinDir creates dir with fake server binaries; initdb prints version.
// Names listed in omit are not created.
func fakeBinDir(t *testing.T, dir, version string, omit ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range serverBinaries {
		if slices.Contains(omit, b) {
			continue
		}
		script := "#!/bin/sh\necho '" + b + " (PostgreSQL) " + version + "'\n"
		if err := os.WriteFile(filepath.Join(dir, b), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFinderOrder(t *testing.T) {
	type layout struct {
		root     string   // relative to the test dir
		versions []string // version dirs with complete fake binaries
	}
	tests := []struct {
		name      string
		roots     []layout
		setup     func(t *testing.T, base string) (path string) // extra files; returns PATH
		wantDir   string                                        // relative to the test dir
		wantMajor int
		wantErr   error
	}{
		{
			name:    "newest major wins, compared numerically",
			roots:   []layout{{"pg", []string{"9.6", "10", "15", "9"}}},
			wantDir: "pg/15/bin", wantMajor: 15,
		},
		{
			name:    "17 beats 9.6 (not string order)",
			roots:   []layout{{"pg", []string{"9.6", "17"}}},
			wantDir: "pg/17/bin", wantMajor: 17,
		},
		{
			name:  "incomplete newer version is skipped",
			roots: []layout{{"pg", []string{"15"}}},
			setup: func(t *testing.T, base string) string {
				fakeBinDir(t, filepath.Join(base, "pg/17/bin"), "17.1", "postgres")
				return ""
			},
			wantDir: "pg/15/bin", wantMajor: 15,
		},
		{
			name:    "newest across several roots",
			roots:   []layout{{"a", []string{"12"}}, {"b", []string{"16", "11"}}},
			wantDir: "b/16/bin", wantMajor: 16,
		},
		{
			name:  "non-version dirs are ignored",
			roots: []layout{{"pg", []string{"11"}}},
			setup: func(t *testing.T, base string) string {
				fakeBinDir(t, filepath.Join(base, "pg/common/bin"), "99")
				return ""
			},
			wantDir: "pg/11/bin", wantMajor: 11,
		},
		{
			name:  "PATH comes first even if older",
			roots: []layout{{"pg", []string{"17"}}},
			setup: func(t *testing.T, base string) string {
				return string(os.PathListSeparator) + fakeBinDir(t, filepath.Join(base, "opt/pg14"), "14.9")
			},
			wantDir: "opt/pg14", wantMajor: 14,
		},
		{
			name:  "incomplete PATH dir falls back to roots",
			roots: []layout{{"pg", []string{"16"}}},
			setup: func(t *testing.T, base string) string {
				return fakeBinDir(t, filepath.Join(base, "bin"), "14.9", "pg_ctl")
			},
			wantDir: "pg/16/bin", wantMajor: 16,
		},
		{
			name:  "symlink on PATH resolves to the real installation",
			roots: []layout{{"lib/postgresql", []string{"13"}}},
			setup: func(t *testing.T, base string) string {
				bin := filepath.Join(base, "usrbin")
				if err := os.MkdirAll(bin, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(base, "lib/postgresql/13/bin/initdb"), filepath.Join(bin, "initdb")); err != nil {
					t.Fatal(err)
				}
				return bin
			},
			wantDir: "lib/postgresql/13/bin", wantMajor: 13,
		},
		{
			name: "non-executable initdb is not a binary",
			setup: func(t *testing.T, base string) string {
				dir := fakeBinDir(t, filepath.Join(base, "pg/15/bin"), "15.1")
				if err := os.Chmod(filepath.Join(dir, "initdb"), 0o644); err != nil {
					t.Fatal(err)
				}
				return ""
			},
			wantErr: ErrNoBinaries,
		},
		{
			name:    "nothing installed",
			wantErr: ErrNoBinaries,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			f := Finder{Roots: []string{filepath.Join(base, "pg")}}
			for _, l := range tt.roots {
				root := filepath.Join(base, l.root)
				if !slices.Contains(f.Roots, root) {
					f.Roots = append(f.Roots, root)
				}
				for _, v := range l.versions {
					fakeBinDir(t, filepath.Join(root, v, "bin"), v+".0")
				}
			}
			if tt.setup != nil {
				f.Path = tt.setup(t, base)
			}
			dir, major, err := f.Find()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Find() = %q, %d, %v; want error %v", dir, major, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Find(): %v", err)
			}
			if want := filepath.Join(base, tt.wantDir); dir != want || major != tt.wantMajor {
				t.Errorf("Find() = %q, %d; want %q, %d", dir, major, want, tt.wantMajor)
			}
		})
	}
}

func TestNoBinariesError(t *testing.T) {
	_, _, err := Finder{Path: t.TempDir(), Roots: []string{t.TempDir()}}.Find()
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"install the postgresql package", "apt-get install postgresql", "initdb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// An explicit BinDir without the binaries is reported the same way.
	_, err = Start(t.Context(), Options{BinDir: t.TempDir()})
	if !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Errorf("Start with empty BinDir: err = %v, want ErrNoBinaries with install hint", err)
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"15", []int{15}, true},
		{"9.6", []int{9, 6}, true},
		{"17.2", []int{17, 2}, true},
		{"common", nil, false},
		{"15beta1", nil, false},
		{"", nil, false},
		{"-1", nil, false},
	}
	for _, tt := range tests {
		got, ok := parseVersion(tt.in)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("parseVersion(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
