package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/worker"
)

// workerFlags are the flags of commands that run a worker.
type workerFlags struct {
	runbooksDir  string
	artifactsDir string
	logLevel     string
}

func (f *workerFlags) bind(cmd *cobra.Command, defaultLogLevel string) {
	cmd.Flags().StringVar(&f.runbooksDir, "runbooks", "", "directory searched for runbooks before the embedded ones")
	cmd.Flags().StringVar(&f.artifactsDir, "artifacts", envOr("DRILLBOOK_ARTIFACTS_DIR", activities.DefaultArtifactsDir), "directory for logs, dumps, samples and reports ($DRILLBOOK_ARTIFACTS_DIR)")
	cmd.Flags().StringVar(&f.logLevel, "log-level", defaultLogLevel, "log level: debug, info, warn or error")
}

// activities builds the activities these flags configure.
func (f *workerFlags) activities(logger *slog.Logger) *activities.Activities {
	return activities.New(activities.Options{ArtifactsDir: f.artifactsDir, RunbooksDir: f.runbooksDir, Logger: logger})
}

// ensureSearchAttributes checks (and if it may, adds) RunbookID and
// RunbookHash; without them runs still work, unindexed.
func ensureSearchAttributes(c client.Client, namespace string, logger *slog.Logger) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ok, err := worker.EnsureSearchAttributes(ctx, c, namespace)
	if err != nil {
		logger.Warn("runs will not carry the RunbookID/RunbookHash search attributes", "error", err)
	}
	return ok
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func newWorkerCmd() *cobra.Command {
	var cf clientFlags
	var wf workerFlags
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a drillbook worker against an existing Temporal cluster",
		Long: `Run a drillbook worker against an existing Temporal cluster (self-hosted or
Temporal Cloud). The connection comes from the standard variables
TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS,
TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME, from a profile of
the Temporal client config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), or
from the flags below. Run as many workers as you like: they share the
"drillbook" task queue.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, _, err := newLogger(cmd.ErrOrStderr(), wf.logLevel)
			if err != nil {
				return err
			}
			c, err := cf.dial(logger)
			if err != nil {
				return err
			}
			defer c.Close()
			opts, _ := cf.options(logger)
			acts := wf.activities(logger)
			acts.SearchAttributes = ensureSearchAttributes(c, opts.Namespace, logger)
			w := worker.New(c, acts)
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			if err := w.Start(); err != nil {
				return err
			}
			logger.Info("worker started", "task_queue", "drillbook")
			<-ctx.Done()
			w.Stop()
			return nil
		},
	}
	cf.bind(cmd)
	wf.bind(cmd, "warn")
	return cmd
}
