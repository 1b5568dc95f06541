package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// DefaultHeartbeatInterval is how often long actions heartbeat when the
// activity has no (or a long) heartbeat timeout.
var DefaultHeartbeatInterval = 5 * time.Second

// heartbeatInterval returns how often to heartbeat in ctx: def, or a third
// of the activity's heartbeat timeout when that is shorter, so that a
// heartbeat always arrives in time.
func heartbeatInterval(ctx context.Context, def time.Duration) time.Duration {
	if !activity.IsActivity(ctx) {
		return def
	}
	if t := activity.GetInfo(ctx).HeartbeatTimeout; t > 0 && t/3 < def {
		return max(t/3, 100*time.Millisecond)
	}
	return def
}

// startHeartbeat records a heartbeat with details() every interval until
// stop is called or ctx is done. Outside an activity (plain unit tests) it
// does nothing. stop waits for the heartbeat goroutine to end and may be
// called more than once. details may be nil (a heartbeat without details)
// and is called from the heartbeat goroutine: make it safe for that.
func startHeartbeat(ctx context.Context, interval time.Duration, details func() any) (stop func()) {
	if !activity.IsActivity(ctx) || interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if details == nil {
					activity.RecordHeartbeat(ctx)
				} else {
					activity.RecordHeartbeat(ctx, details())
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// ProcessHeartbeat is the heartbeat detail of a step that runs a command:
// it shows in the Temporal UI (pending activities) and in a heartbeat
// timeout's last details.
type ProcessHeartbeat struct {
	Step        string `json:"step"`
	PID         int    `json:"pid,omitempty"`
	OutputBytes int64  `json:"output_bytes"`
	ElapsedMS   int64  `json:"elapsed_ms"`
}
