package worker

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// TestNotWritable: write refusals become non-retryable NotWritable errors
// (found in integration.TestFaultArtifactsReadOnly: each was retried with
// backoff, and a read-only artifacts directory cost the audit two minutes);
// other errors pass unchanged.
func TestNotWritable(t *testing.T) {
	nonRetryable := temporal.NewNonRetryableApplicationError("bad input", "BadInput", nil)
	for _, tc := range []struct {
		name string
		err  error
		want string // error type, "" when err must come back unchanged
	}{
		{"nil", nil, ""},
		{"read-only", fmt.Errorf("create run artifacts directory: %w", &fs.PathError{Op: "mkdir", Path: "/a", Err: syscall.EROFS}), ErrTypeNotWritable},
		{"permission", fmt.Errorf("write artifact: %w", &fs.PathError{Op: "open", Path: "/a/b", Err: syscall.EACCES}), ErrTypeNotWritable},
		{"retryable app error with the cause", temporal.NewApplicationErrorWithCause("journal", "Journal", &fs.PathError{Op: "open", Path: "/a", Err: syscall.EROFS}), ErrTypeNotWritable},
		{"other", errors.New("connection refused"), ""},
		{"disk full stays retryable", fmt.Errorf("write: %w", syscall.ENOSPC), ""},
		{"already non-retryable", nonRetryable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := notWritable(tc.err)
			var appErr *temporal.ApplicationError
			if tc.want == "" {
				if got != tc.err {
					t.Fatalf("changed: %v", got)
				}
				return
			}
			if !errors.As(got, &appErr) || appErr.Type() != tc.want || !appErr.NonRetryable() {
				t.Fatalf("got %#v", got)
			}
			if !errors.Is(got, syscall.EROFS) && !errors.Is(got, syscall.EACCES) {
				t.Errorf("cause lost: %v", got)
			}
		})
	}
}
