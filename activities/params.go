package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// decodeParams decodes an action's params into out (a pointer to a struct
// with json tags) and returns one non-retryable error of type errType listing
// every unknown field and every value of the wrong type, then the problems
// extra finds.
func decodeParams(action, errType string, params map[string]any, out any, extra func() []string) error {
	known := map[string]bool{}
	flyJSONNames(reflect.TypeOf(out).Elem(), known)
	var problems []string
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !known[k] {
			problems = append(problems, fmt.Sprintf("unknown parameter %q", k))
			continue
		}
		// Decode each field alone so that every wrong type is reported.
		raw, err := json.Marshal(map[string]any{k: params[k]})
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(raw))
			err = dec.Decode(out)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s", k, flyTypeErrorText(err)))
		}
	}
	if len(problems) == 0 && extra != nil {
		problems = append(problems, extra()...)
	}
	if len(problems) == 0 {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s: bad parameters: %s", action, strings.Join(problems, "; ")), errType, nil)
}
