package runbooks

import (
	"reflect"
	"testing"
)

func TestParseInfo(t *testing.T) {
	type kv = [2]string
	tests := []struct {
		info     string
		lang     string
		words    []string
		attrs    []kv
		problems int
	}{
		{info: "", lang: ""},
		{info: "sh", lang: "sh"},
		{info: "SH", lang: "sh"},
		{info: "sh {id=dump timeout=5m}", lang: "sh", attrs: []kv{{"id", "dump"}, {"timeout", "5m"}}},
		{info: "sh{id=dump timeout=5m}", lang: "sh", attrs: []kv{{"id", "dump"}, {"timeout", "5m"}}},
		{info: "sh\t{id=dump}", lang: "sh", attrs: []kv{{"id", "dump"}}},
		{info: `sh {id=dump name="two words"}`, lang: "sh", attrs: []kv{{"id", "dump"}, {"name", "two words"}}},
		{info: `sh {name='single quoted' x="a \"q\" b"}`, lang: "sh", attrs: []kv{{"name", "single quoted"}, {"x", `a "q" b`}}},
		{info: "sh {id=a, timeout=1m}", lang: "sh", attrs: []kv{{"id", "a"}, {"timeout", "1m"}}},
		{info: "sh { id=a }", lang: "sh", attrs: []kv{{"id", "a"}}},
		{info: "sh {cleanup}", lang: "sh", attrs: []kv{{"cleanup", "true"}}},
		{info: "sh {}", lang: "sh"},
		{info: `sh {"id":"x","name":"y"}`, lang: "sh", attrs: []kv{{"id", "x"}, {"name", "y"}}},
		{info: `sh{"id":"x","name":"y"}`, lang: "sh", attrs: []kv{{"id", "x"}, {"name", "y"}}},
		{info: `sh { "id": "x", "retries": 3, "cleanup": true, "tag": ["a","b"] }`, lang: "sh",
			attrs: []kv{{"id", "x"}, {"retries", "3"}, {"cleanup", "true"}, {"tag", `["a","b"]`}}},
		{info: "drill postgres.backup {id=backup}", lang: "drill", words: []string{"postgres.backup"}, attrs: []kv{{"id", "backup"}}},
		{info: "drill postgres.backup{id=backup}", lang: "drill", words: []string{"postgres.backup"}, attrs: []kv{{"id", "backup"}}},
		{info: "drill postgres.backup", lang: "drill", words: []string{"postgres.backup"}},
		{info: "bash title=x", lang: "bash", words: []string{"title=x"}},
		{info: "sh {id=a", lang: "sh", attrs: []kv{{"id", "a"}}, problems: 1},
		{info: `sh {name="open`, lang: "sh", problems: 1},
		{info: `sh {"id": "x"`, lang: "sh", attrs: []kv{{"id", "x"}}, problems: 1},
		{info: `sh {"id" "x"}`, lang: "sh", problems: 1},
		{info: "sh {=x}", lang: "sh", problems: 1},
		{info: "sh {id=a} trailing", lang: "sh", attrs: []kv{{"id", "a"}}, problems: 1},
	}
	for _, tt := range tests {
		t.Run(tt.info, func(t *testing.T) {
			is := parseInfo(tt.info)
			if is.Lang != tt.lang {
				t.Errorf("lang = %q, want %q", is.Lang, tt.lang)
			}
			var words []string
			for _, w := range is.Words {
				words = append(words, w.Text)
			}
			if !reflect.DeepEqual(words, tt.words) {
				t.Errorf("words = %q, want %q", words, tt.words)
			}
			var attrs []kv
			for _, a := range is.Attrs {
				attrs = append(attrs, kv{a.Key, a.Value})
				if tt.info[a.Off:a.Off+len(a.Key)] != a.Key && tt.info[a.Off+1:a.Off+1+len(a.Key)] != a.Key {
					t.Errorf("attr %q offset %d points at %q", a.Key, a.Off, tt.info[a.Off:])
				}
			}
			if !reflect.DeepEqual(attrs, tt.attrs) {
				t.Errorf("attrs = %q, want %q", attrs, tt.attrs)
			}
			if len(is.Problems) != tt.problems {
				t.Errorf("problems = %+v, want %d", is.Problems, tt.problems)
			}
		})
	}
}

// TestInfoStringForms checks that every info-string form gives the same step.
func TestInfoStringForms(t *testing.T) {
	forms := []string{
		"'''sh {id=dump timeout=5m name=\"two words\"}",
		"'''sh{id=dump timeout=5m name=\"two words\"}",
		"'''sh {id=dump, timeout=5m, name='two words'}",
		"'''sh {\"id\":\"dump\",\"timeout\":\"5m\",\"name\":\"two words\"}",
		"'''sh{\"id\":\"dump\",\"timeout\":\"5m\",\"name\":\"two words\"}",
		"'''sh { \"id\": \"dump\", \"timeout\": \"5m\", \"name\": \"two words\" }",
		"~~~sh {id=dump timeout=5m name=\"two words\"}",
	}
	for _, f := range forms {
		t.Run(f, func(t *testing.T) {
			closeFence := "'''"
			if f[0] == '~' {
				closeFence = "~~~"
			}
			rb := mustParse(t, md("# T", f, "echo hi", closeFence))
			if diags := Lint(rb); len(diags) != 0 {
				t.Fatalf("diagnostics:%s", dumpDiags(diags))
			}
			if len(rb.Steps) != 1 {
				t.Fatalf("steps = %d", len(rb.Steps))
			}
			st := rb.Steps[0]
			if st.ID != "dump" || st.Options.Timeout.String() != "5m0s" || st.Kind != KindShell || st.Body != "echo hi\n" {
				t.Errorf("step = %+v", st)
			}
			if name, _ := st.Attr("name"); name != "two words" {
				t.Errorf("name = %q", name)
			}
		})
	}
}
