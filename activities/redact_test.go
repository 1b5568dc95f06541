package activities

import (
	"strings"
	"testing"
)

func TestRedactorString(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"none", nil, "a secret", "a secret"},
		{"short ignored", []string{"abc"}, "abc abcd", "abc abcd"},
		{"replaced", []string{"s3cret"}, "x s3cret y s3cret", "x *** y ***"},
		{"longest wins", []string{"pass", "password1"}, "password1 pass", "*** ***"},
		{"leftmost wins", []string{"abcdefgh", "cdefghij"}, "abcdefghij", "***ij"},
		{"nested", []string{"abcdefgh", "cdef"}, "abcdefg", "ab***g"},
		{"adjacent", []string{"aaaa"}, "aaaaaaaaa", "******a"},
		{"multiline", []string{"line1\nline2"}, "x line1\nline2 y", "x *** y"},
		{"empty input", []string{"secret"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newRedactor(tt.secrets...).String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRedactWriterChunks checks that every way of cutting the input into two
// or three writes gives the same result as one write: secrets spanning a
// write boundary are redacted too.
func TestRedactWriterChunks(t *testing.T) {
	r := newRedactor("hunter2-secret", "secret-2", "abcdefgh", "cdef")
	inputs := []string{
		"before hunter2-secret after",
		"hunter2-secrethunter2-secret",
		"xx secret-2 hunter2-secret-2 yy",
		"abcdefg then abcdefgh then cdef",
		"hunter2-secre", // a prefix only, at the end
	}
	for _, in := range inputs {
		want := r.String(in)
		if strings.Contains(want, "hunter2-secret") || strings.Contains(want, "cdef") {
			t.Fatalf("String(%q) = %q still holds a secret", in, want)
		}
		for i := 0; i <= len(in); i++ {
			for j := i; j <= len(in); j++ {
				var b strings.Builder
				w := r.Writer(&b)
				for _, part := range []string{in[:i], in[i:j], in[j:]} {
					if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
						t.Fatalf("Write = %d, %v", n, err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if b.String() != want {
					t.Fatalf("%q cut at %d,%d: %q, want %q", in, i, j, b.String(), want)
				}
			}
		}
	}
}

func TestRedactWriterHoldsBackLittle(t *testing.T) {
	var b strings.Builder
	w := newRedactor("0123456789").Writer(&b)
	w.Write([]byte("plain text then 01234"))
	if b.String() != "plain text then " {
		t.Errorf("written before flush: %q, want all but the possible secret prefix", b.String())
	}
	w.Write([]byte("xyz"))
	if b.String() != "plain text then 01234xyz" {
		t.Errorf("after a non-matching write: %q", b.String())
	}
}

func TestSecretForms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"plain", []string{"plain"}},
		{"postgres://app:p%40ss@db/prod", []string{"postgres://app:p%40ss@db/prod", "p@ss", "p%40ss"}},
		{"host=db user=app password='s3cret' dbname=x", []string{"s3cret"}},
	}
	for _, tt := range tests {
		got := strings.Join(secretForms(tt.in), "\n")
		for _, w := range tt.want {
			if !strings.Contains(got+"\n", w+"\n") {
				t.Errorf("secretForms(%q) = %q, lacks %q", tt.in, got, w)
			}
		}
	}
}

func TestResolveRef(t *testing.T) {
	a := &Activities{Env: func(k string) string { return map[string]string{"A": "1", "DB": "postgres://x"}[k] }}
	tests := []struct {
		in, want string
		fromEnv  bool
	}{
		{"env:DB", "postgres://x", true},
		{"env:NOPE", "", true},
		{"literal", "literal", false},
		{"x${env.A}y${env.A}", "x1y1", true},
		{"${inputs.a}", "${inputs.a}", false},
	}
	for _, tt := range tests {
		got, fromEnv := a.resolveRef(tt.in)
		if got != tt.want || fromEnv != tt.fromEnv {
			t.Errorf("resolveRef(%q) = %q, %v; want %q, %v", tt.in, got, fromEnv, tt.want, tt.fromEnv)
		}
	}
}
