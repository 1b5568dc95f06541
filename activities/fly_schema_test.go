package activities

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hotdash/drillbook/runbooks"
)

// flyParamStructs are the parameter structs of the fly.* actions.
var flyParamStructs = map[string]any{
	"fly.inventory":    &flyInventoryParams{},
	"fly.scale_memory": &flyScaleParams{},
	"fly.destroy_app":  &flyDestroyParams{},
}

// TestFlySchemaMatchesParams: the linter's schema (runbooks.Actions) names
// exactly the parameters the activities decode.
func TestFlySchemaMatchesParams(t *testing.T) {
	for _, action := range slices.Sorted(maps.Keys(flyParamStructs)) {
		spec, ok := runbooks.LookupAction(action)
		if !ok {
			t.Errorf("%s is not in runbooks.Actions", action)
			continue
		}
		known := map[string]bool{}
		flyJSONNames(reflect.TypeOf(flyParamStructs[action]).Elem(), known)
		var schema, required []string
		for _, p := range spec.Params {
			schema = append(schema, p.Name)
			if p.Required {
				required = append(required, p.Name)
			}
		}
		var params []string
		for k := range known {
			params = append(params, k)
		}
		slices.Sort(schema)
		slices.Sort(params)
		if !slices.Equal(schema, params) {
			t.Errorf("%s: the linter knows %v, the activity decodes %v", action, schema, params)
		}
		for _, r := range required {
			if !known[r] {
				t.Errorf("%s: required parameter %q is unknown to the activity", action, r)
			}
		}
	}
}

// flyAuditRef matches the references in the shipped audit's fly.* steps.
var flyAuditRef = regexp.MustCompile(`\$\{(inputs|steps)\.([A-Za-z0-9_.\-]+)\}`)

// TestFlyAuditSteps runs the fly.* steps of the shipped reliability audit as
// dry runs on the default estate, with its input defaults and the outputs of
// fly.inventory substituted as the workflow does: the activities accept the
// parameters the runbook passes, and the remediation steps get the machine,
// size and app the inventory found.
func TestFlyAuditSteps(t *testing.T) {
	src, err := runbooks.EmbeddedSource("reliability-audit")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Parse("reliability-audit.md", src)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{} // the inventory step's, once it ran
	var expand func(v any) any
	expand = func(v any) any {
		switch v := v.(type) {
		case string:
			return flyAuditRef.ReplaceAllStringFunc(v, func(m string) string {
				parts := flyAuditRef.FindStringSubmatch(m)
				if parts[1] == "inputs" {
					in := rb.Input(parts[2])
					if in == nil {
						t.Errorf("no input %s", parts[2])
						return ""
					}
					if in.Default == nil {
						return ""
					}
					return fmt.Sprint(in.Default)
				}
				_, key, _ := strings.Cut(parts[2], ".outputs.")
				if _, ok := outputs[key]; !ok {
					t.Errorf("%s: fly.inventory has no output %q", m, key)
				}
				return outputs[key]
			})
		case map[string]any:
			out := map[string]any{}
			for k, e := range v {
				out[k] = expand(e)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = expand(e)
			}
			return out
		}
		return v
	}
	// Dry runs of every fly.* step against the emulator, in document order.
	e := newFlyTestEnv(t, nil)
	calls := map[string]func(context.Context, ActionRequest) (ActionResult, error){
		"fly.inventory": e.act.FlyInventory, "fly.scale_memory": e.act.FlyScaleMemory, "fly.destroy_app": e.act.FlyDestroyApp,
	}
	want := map[string]string{
		"inventory":          "Inventoried 4 apps with 6 machines",
		"scale-oom-machine":  "Dry run: would set the memory of 1 of 1 machine(s) of hotdash-chatwoot to 2 GB",
		"destroy-unused-app": "Dry run: would destroy app time-purple-wildflower-3973",
	}
	seen := 0
	for _, st := range rb.Steps {
		call, ok := calls[st.Action]
		if !ok {
			continue
		}
		seen++
		params := expand(map[string]any(st.Params)).(map[string]any)
		res, err := call(context.Background(), ActionRequest{WorkflowID: "wf", StepID: st.ID, Params: params})
		if err != nil {
			t.Errorf("step %s: %v", st.ID, err)
			continue
		}
		if st.Action == "fly.inventory" {
			outputs = res.Outputs
		}
		if !strings.HasPrefix(res.Summary, want[st.ID]) {
			t.Errorf("step %s: summary %q, want %q…", st.ID, res.Summary, want[st.ID])
		}
	}
	if seen != 3 {
		t.Errorf("%d fly.* steps in the audit, want 3", seen)
	}
	if n := len(e.mutations("machine_update")) + len(e.mutations("app_delete")); n != 0 {
		t.Errorf("dry runs mutated %d times", n)
	}
}
