package worker

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/workflows"
)

// EnsureSearchAttributes makes sure the namespace has drillbook's keyword
// search attributes, adding them when it may. It reports whether runs can
// set them; a cluster that refuses (e.g. no operator permission) gets runs
// without them rather than runs that fail.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) (bool, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return false, fmt.Errorf("list search attributes of %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range []string{workflows.RunbookIDAttribute, workflows.RunbookHashAttribute} {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
	}
	if len(missing) == 0 {
		return true, nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	}); err != nil {
		return false, fmt.Errorf("add search attributes RunbookID and RunbookHash to %s: %w", namespace, err)
	}
	return true, nil
}
