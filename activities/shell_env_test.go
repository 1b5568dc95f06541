package activities

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseOutputs(t *testing.T) {
	red := newRedactor("topsecret")
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"lines", "a=1\n\n# comment\n  # indented comment\nb = x\r\nc=\nd=e=f\n", map[string]string{"a": "1", "b": " x", "c": "", "d": "e=f"}, ""},
		{"last wins", "a=1\na=2", map[string]string{"a": "2"}, ""},
		{"dash and underscore", "_x-y=1", map[string]string{"_x-y": "1"}, ""},
		{"redacted", "pw=topsecret!", map[string]string{"pw": "***!"}, ""},
		{"no equals", "a=1\ntopsecret", nil, "line 2 is not KEY=VALUE"},
		{"bad key", "1a=x", nil, `line 1: output key "1a"`},
		{"dot in key", "a.b=x", nil, `output key "a.b"`},
		{"too big", strings.Repeat("a=1\n", MaxOutputFileBytes), nil, "more than the 65536 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOutputs([]byte(tt.in), red)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "topsecret") {
					t.Fatalf("err = %v, want %q without the secret", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestArtifactName(t *testing.T) {
	tests := map[string]string{
		"wf-1":             "wf-1",
		"audit_2026.12.03": "audit_2026.12.03",
		"a/b":              "a_b-",
		"../../etc":        "_.._etc-",
		"..":               "_-",
		"":                 "_-",
		"drill: prod db ✓": "drill__prod_db__-",
		".hidden":          "hidden-",
	}
	for in, prefix := range tests {
		got := artifactName(in)
		if !strings.HasPrefix(got, prefix) || strings.ContainsAny(got, "/\\") || got == "." || got == ".." {
			t.Errorf("artifactName(%q) = %q, want prefix %q", in, got, prefix)
		}
		if strings.HasSuffix(prefix, "-") && len(got) != len(prefix)+8 {
			t.Errorf("artifactName(%q) = %q, want an 8-digit hash suffix", in, got)
		}
	}
	if artifactName("a/b") == artifactName("a_b") {
		t.Error("a/b and a_b share a directory")
	}
}

func TestTailAndLastLine(t *testing.T) {
	tb := newTailBuffer(8)
	for _, s := range []string{"hello ", "wörld", "!", strings.Repeat("x", 20) + "é"} {
		tb.Write([]byte(s))
	}
	if got := tb.String(); got != "xxxxxxé" {
		t.Errorf("tail = %q", got)
	}
	if got := tailString("aé", 1); got != "" {
		t.Errorf("tailString cuts inside a character: %q", got)
	}
	if got := lastLine("one\ntwo  \n\n", 100); got != "two" {
		t.Errorf("lastLine = %q", got)
	}
	if got := lastLine("x"+strings.Repeat("y", 20), 10); got != "…yyyyyyy" {
		t.Errorf("long lastLine = %q", got)
	}
}
