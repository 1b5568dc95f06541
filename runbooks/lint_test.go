package runbooks

import (
	"strings"
	"testing"
)

// want is an expected diagnostic: "line:col severity rule" and a fragment of
// its message.
type want struct {
	key, msg string
}

func TestLintRules(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []want
	}{
		{name: "clean", src: md(
			"---",
			"inputs:",
			"  db: {default: \"env:DATABASE_URL\", secret: true}",
			"---",
			"# T",
			"'''drill postgres.backup {id=backup timeout=5m retries=3 backoff=10s heartbeat=30s on_failure=pause}",
			"database: ${inputs.db}",
			"'''",
			"'''sh {id=after cleanup=true when=\"${steps.backup.outputs.path} != ''\"}",
			"ls \"${HOME}\" \"$DB\" ${steps.backup.outputs.path}",
			"'''",
			"'''sql {id=q write=true database=\"${inputs.db}\" dbname=scratch}",
			"DELETE FROM t;",
			"'''",
		)},
		{name: "unknown attribute with did-you-mean", src: md(
			"'''sh {id=a retires=3 colour=red}", "ls", "'''"),
			want: []want{
				{"1:13 error unknown-attribute", `unknown attribute "retires" (did you mean "retries"?)`},
				{"1:23 error unknown-attribute", `unknown attribute "colour" (known: id, name`},
			}},
		{name: "runme attribute", src: md(
			"'''sh {\"id\":\"a\",\"tag\":\"x\"}", "ls", "'''"),
			want: []want{{"1:17 warning runme-attribute", `Runme attribute "tag" is ignored`}}},
		{name: "bad duration and number", src: md(
			"'''sh {timeout=5minutes heartbeat=-1s backoff=0s retries=-1}", "ls", "'''",
			"'''sh {retries=lots}", "ls", "'''"),
			want: []want{
				{"1:8 error bad-value", `timeout "5minutes" is not a duration`},
				{"1:25 error bad-value", `heartbeat "-1s" must be positive`},
				{"1:39 error bad-value", `backoff "0s" must be positive`},
				{"1:50 error bad-value", `retries "-1" is not a number`},
				{"4:8 error bad-value", `retries "lots" is not a number`},
			}},
		{name: "bad enum, bool, id and repeated attribute", src: md(
			"'''sh {id=\"a b\" on_failure=explode approval=yes cleanup=maybe}", "ls", "'''",
			"'''sh {id=c id=d write=true}", "ls", "'''"),
			want: []want{
				{"1:8 error bad-value", `id "a b": use letters`},
				{"1:17 error bad-value", `on_failure "explode": use abort, continue, pause`},
				{"1:36 error bad-value", `approval "yes": use required or none`},
				{"1:49 error bad-value", `cleanup "maybe": use true or false`},
				{"4:13 error bad-value", `attribute "id" is given twice`},
				{"4:18 warning bad-value", `write only applies to sql steps`},
			}},
		{name: "unknown action", src: md(
			"'''drill fly.inventroy", "org: hotdash", "'''",
			"'''drill", "x: 1", "'''",
			"'''drill k8s.drain", "'''"),
			want: []want{
				{"1:1 error unknown-action", `unknown action "fly.inventroy" (did you mean "fly.inventory"?)`},
				{"4:1 error unknown-action", `drill block without an action`},
				{"7:1 error unknown-action", `unknown action "k8s.drain" (actions: fly.destroy_app, fly.inventory`},
			}},
		{name: "action parameters against the schema", src: md(
			"# T",
			"'''drill http.probe {id=p}",
			"targets: https://example.com",
			"samples: many",
			"budget: fast",
			"percentile: p42",
			"insecure: \"yes\"",
			"timeuot: 5s",
			"'''",
			"'''drill fly.scale_memory {approval=required}",
			"app: web",
			"'''",
			"'''drill http.health",
			"url: ${inputs.nope}",
			"expect: [a]",
			"'''"),
			want: []want{
				{"3:1 error param-type", `targets: want a list, got string "https://example.com"`},
				{"4:1 error param-type", `samples: want an integer, got string "many"`},
				{"5:1 error param-type", `budget: want a duration such as 800ms`},
				{"6:1 error param-type", `percentile: "p42" is not one of p50, p90, p95, p99, avg`},
				{"7:1 error param-type", `insecure: want true or false, got string "yes"`},
				{"8:1 error unknown-param", `http.probe has no parameter "timeuot" (did you mean "timeout"?)`},
				{"10:1 error missing-param", `fly.scale_memory needs parameter "memory"`},
				{"14:6 error unknown-input", `${inputs.nope}: no input "nope"`},
				{"15:1 error param-type", `expect: want a mapping, got a list`},
			}},
		{name: "yaml errors carry the file line", src: md(
			"# T",
			"",
			"- step in a list:",
			"",
			"  '''drill postgres.backup",
			"  database: env:DB",
			"  keep: [1, 2",
			"  '''",
			"'''drill postgres.verify",
			"- database",
			"'''",
			"'''drill postgres.restore",
			"base: &b {database: x}",
			"'''"),
			want: []want{
				{"7:3 error yaml", "parameters: did not find expected"},
				{"10:1 error yaml", "parameters must be a YAML mapping"},
				{"13:7 error yaml", "anchors"},
			}},
		{name: "duplicate step id", src: md(
			"'''sh {id=x}", "ls", "'''", "'''sql {id=x}", "select 1", "'''"),
			want: []want{{"4:1 error duplicate-id", `duplicate step id "x": first used at line 1`}}},
		{name: "references", src: md(
			"---",
			"inputs:",
			"  source: env:DB",
			"---",
			"'''drill postgres.backup {id=backup}",
			"database: ${inputs.sorce}",
			"keep: ${steps.verify.outputs.n}",
			"'''",
			"'''drill postgres.verify {id=verify when=\"${steps.bakup.outputs.ok}\"}",
			"database: ${inputs.source}",
			"scratch: ${steps.verify.outputs.x} ${foo} ${steps.backup.path} ${inputs} ${env.PGHOST}",
			"'''",
			"'''sh {id=s}",
			"echo ${inputs.missing} ${HOME} ${steps.backup.outputs.path} ${x:-y}",
			"'''",
			"'''sql {id=q}",
			"select '${steps.s.outputs.a'",
			"'''"),
			want: []want{
				{"6:11 error unknown-input", `no input "sorce" is declared in the front matter (did you mean "source"?)`},
				{"7:7 error forward-reference", `step "verify" comes later (line 9)`},
				{"9:37 error unknown-step", `no step has id "bakup" (did you mean "backup"?)`},
				{"11:10 error forward-reference", `a step cannot use its own outputs`},
				{"11:36 error bad-reference", `unknown reference ${foo}`},
				{"11:43 error bad-reference", `write ${steps.ID.outputs.KEY}`},
				{"11:64 error bad-reference", `write ${inputs.NAME}`},
				{"14:6 error unknown-input", `no input "missing"`},
				{"17:9 error bad-reference", `${ is not closed`},
			}},
		{name: "parallel branches cannot use each other's outputs", src: md(
			"# T",
			"## Checks {parallel=true}",
			"'''sh {id=pre}", "ls", "'''",
			"### A",
			"'''sh {id=a}", "echo a=1 >> $DRILLBOOK_OUTPUT", "'''",
			"### B",
			"'''sh {id=b}", "echo ${steps.a.outputs.a} ${steps.pre.outputs.x}", "'''",
			"## After",
			"'''sh {id=c}", "echo ${steps.a.outputs.a}", "'''"),
			want: []want{{"12:6 error forward-reference", `runs concurrently in parallel branch "a"`}}},
		{name: "unclosed fence", src: md(
			"# T", "'''sh", "ls", "", "## Not a heading: still code"),
			want: []want{{"2:1 error unclosed-fence", "code fence is never closed"}}},
		{name: "unclosed fence in a list item", src: md(
			"# T", "- item", "  '''sh", "  ls", "next paragraph ends the list", "", "'''sh", "ls", "'''"),
			want: []want{{"3:3 error unclosed-fence", "never closed"}}},
		{name: "indented fence", src: md(
			"# T", "1. Run:", "", "        '''sh", "        ls", "        '''", "", "'''sh", "ls", "'''"),
			want: []want{{"4:9 error indented-fence", "indented 8 spaces"}}},
		{name: "placeholders need an input", src: md(
			"# T",
			"'''sh",
			"$ kubectl -n <my-namespace> delete pod <POD> --token YOUR-TOKEN # x",
			"pod \"<POD>\" deleted",
			"'''",
			"'''sh",
			"cat <<EOF > f.html",
			"<html><body>hi</body></html>",
			"EOF",
			"echo \"${inputs.your_name}\" CHANGEME",
			"'''",
			"'''drill fly.destroy_app {approval=required}",
			"app: <APP_NAME>",
			"'''"),
			want: []want{
				{"3:3 warning destructive", `"kubectl delete" destroys data`},
				{"3:14 error placeholder", `placeholder "<my-namespace>" in runnable code: declare an input (e.g. my_namespace) in the front matter and use $MY_NAMESPACE`},
				{"3:40 error placeholder", `"<POD>"`},
				{"3:54 error placeholder", `"YOUR-TOKEN"`},
				{"10:7 error unknown-input", `no input "your_name"`},
				{"10:28 error placeholder", `"CHANGEME"`},
				{"13:6 error placeholder", `use ${inputs.app_name}`},
			}},
		{name: "nothing to run", src: md("# T", "- a bullet", "", "'''ruby", "puts 1", "'''"),
			want: []want{
				{"1:1 error no-steps", "no runnable step"},
				{"4:1 info display-only", `language "ruby" does not run`},
			}},
		{name: "a pure checklist is fine", src: md("# T", "- [ ] do this", "- [x] done that"),
			want: []want{{"1:1 info no-steps", "a checklist of 2 manual steps"}}},
		{name: "info string problems", src: md(
			"'''sh {\"id\": \"x\"", "ls", "'''",
			"'''sh {id=a", "ls", "'''",
			"'''bash title=x {id=b}", "ls", "'''"),
			want: []want{
				{"1:7 error info-string", "malformed JSON attributes"},
				{"4:7 error info-string", "attribute block is not closed"},
				{"7:9 warning info-string", `"title=x" in the info string is ignored`},
			}},
		{name: "languages that do not run", src: md(
			"'''sh", "ls", "'''", "'''shel", "ls", "'''", "'''python", "print(1)", "'''", "'''yaml", "a: 1", "'''"),
			want: []want{
				{"4:1 warning unknown-language", `language "shel" does not run (did you mean "shell"?)`},
				{"7:1 info display-only", `language "python" does not run`},
			}},
		{name: "front matter", src: md(
			"---",
			"id: x",
			"inputs:",
			"  db: {default: \"postgres://u:p@h/db\", secret: true, requred: true}",
			"  \"bad name\": 1",
			"  flag: {secret: yes please}",
			"---",
			"'''sh", "ls", "'''"),
			want: []want{
				{"4:1 warning secret-default", "literal default"},
				{"4:54 error unknown-field", `unknown field "requred" (did you mean "required"?)`},
				{"5:1 error bad-value", `input name "bad name"`},
				{"6:18 error bad-value", "secret must be true or false"},
			}},
		{name: "front matter YAML error", src: md(
			"---", "id: x", "inputs: [", "---", "'''sh", "ls", "'''"),
			want: []want{{"3:1 error front-matter", "front matter: did not find expected node content"}}},
		{name: "empty step", src: md("'''sh", "'''"),
			want: []want{{"1:1 warning empty-step", "sh block is empty"}}},
		{name: "parallel sections", src: md(
			"# T {parallel=true}", "## A {parallel=yes paralel=true}", "### A1", "'''sh", "ls", "'''", "## B {parallel=true}", "'''sh", "ls", "'''"),
			want: []want{
				{"2:7 error bad-value", `parallel "yes": use true or false`},
				{"2:20 warning unknown-attribute", `unknown heading attribute "paralel" is ignored (did you mean "parallel"?)`},
				{"7:1 warning parallel", `parallel section "B" has no child sections`},
				{"7:1 warning parallel", `section "B" is inside parallel section "T"`},
			}},
		{name: "risky action without approval", src: md(
			"'''drill fly.destroy_app", "app: old", "'''"),
			want: []want{{"1:1 warning approval", "always waits for approval"}}},
		{name: "interactive, destructive and writing sql", src: md(
			"'''sh", "read -p 'name? ' name", "sudo rm -rf /var/lib/x", "'''",
			"'''sh {approval=required}", "dropdb old # fine: approved", "'''",
			"'''sql", "-- comment", "  update t set x = 1;", "'''"),
			want: []want{
				{"2:1 warning interactive", `"read" waits for a terminal`},
				{"3:1 warning destructive", `"rm -rf" destroys data`},
				{"10:3 warning sql-write", "UPDATE writes, but sql steps run read-only"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb := mustParse(t, tt.src)
			got := Lint(rb)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:%s", len(got), len(tt.want), dumpDiags(got))
			}
			for i, w := range tt.want {
				if diagKey(got[i]) != w.key || !strings.Contains(got[i].Message, w.msg) {
					t.Errorf("diagnostic %d = %q [%s], want %q containing %q", i, got[i], diagKey(got[i]), w.key, w.msg)
				}
			}
		})
	}
}
