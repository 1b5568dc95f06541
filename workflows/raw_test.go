package workflows

import (
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// jsonRaw is a workflow argument that reaches the workflow as exactly these
// JSON bytes, as the Temporal UI or another SDK would send them.
func jsonRaw(s string) converter.RawValue {
	return converter.NewRawValue(&commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")},
		Data:     []byte(s),
	})
}
