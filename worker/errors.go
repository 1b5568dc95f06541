package worker

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
)

// ErrTypeNotWritable is the type of the non-retryable error an activity
// fails with when the file system refuses a write (a read-only artifacts
// directory, missing permissions): retrying cannot fix that, and every retry
// of every step (and of each journal entry) would add its backoff to the run.
const ErrTypeNotWritable = "NotWritable"

// notWritableInterceptor makes file-system write refusals non-retryable.
type notWritableInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*notWritableInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &notWritableInbound{}
	i.Next = next
	return i
}

type notWritableInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (i *notWritableInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := i.Next.ExecuteActivity(ctx, in)
	return res, notWritable(err)
}

// notWritable returns err as a non-retryable ErrTypeNotWritable error when
// it comes from a read-only file system or a permission refusal; any other
// error, or one already non-retryable, is returned as it is.
func notWritable(err error) error {
	var appErr *temporal.ApplicationError
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		return err
	}
	if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
		return temporal.NewNonRetryableApplicationError(err.Error()+" (not retried: the file system refuses the write)", ErrTypeNotWritable, err)
	}
	return err
}
