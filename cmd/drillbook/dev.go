package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/worker"
)

type devFlags struct {
	stateDir string
	port     int
	uiPort   int
	listen   string
	noUI     bool
	noWorker bool
	sandbox  bool
	worker   workerFlags
}

func newDevCmd() *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the Temporal server, its UI and a drillbook worker in one process",
		Long: `Run the real Temporal server (SQLite in --state-dir), the real Temporal UI and
a drillbook worker in this one process. Runs survive a restart on the same
state dir; running ones continue where they stopped. Only one process may use
a state dir at a time. Ctrl-C or SIGTERM shuts everything down cleanly.

The UI has no authentication: it listens on 127.0.0.1 unless --listen says
otherwise.`,
		Example: `  drillbook dev
  drillbook dev --state-dir /var/lib/drillbook --port 7233 --ui-port 8233
  drillbook dev --port 0 --ui-port 0     # free ports, e.g. for tests
  drillbook dev --sandbox                # fly.* actions against the local Fly API emulator, plus demo HTTP targets`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	cmd.Flags().StringVar(&f.stateDir, "state-dir", devserver.DefaultStateDir, "directory holding the SQLite database of every run")
	cmd.Flags().IntVar(&f.port, "port", devserver.DefaultPort, "Temporal frontend gRPC port (0: a free port)")
	cmd.Flags().IntVar(&f.uiPort, "ui-port", devserver.DefaultUIPort, "Temporal UI port (0: a free port)")
	cmd.Flags().StringVar(&f.listen, "listen", devserver.DefaultIP, "IP address the server and the UI listen on")
	cmd.Flags().BoolVar(&f.noUI, "headless", false, "do not start the Temporal UI")
	cmd.Flags().BoolVar(&f.noWorker, "no-worker", false, "do not start a worker (run `drillbook worker` separately)")
	cmd.Flags().BoolVar(&f.sandbox, "sandbox", false, "run the Fly Machines API emulator and the demo HTTP targets on loopback; this worker's fly.* actions use the emulator")
	f.worker.bind(cmd, "error")
	return cmd
}

func runDev(ctx context.Context, stdout, stderr io.Writer, f devFlags) error {
	logger, level, err := newLogger(stderr, f.worker.logLevel)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(f.listen); ip == nil {
		return usageErrorf("--listen %q: not an IP address", f.listen)
	} else if !ip.IsLoopback() {
		fmt.Fprintf(stderr, "WARNING: --listen %s exposes the Temporal UI and gRPC beyond this machine; the UI has no authentication\n", f.listen)
	}
	if f.sandbox && f.noWorker {
		return usageErrorf("--sandbox serves the in-process worker, which --no-worker turns off; for a separate worker run `drillbook sandbox` and export what it prints")
	}
	ctx, stop := signalContext(ctx)
	defer stop()

	srv, err := devserver.Start(ctx, devserver.Options{
		StateDir: f.stateDir, IP: f.listen, Port: f.port, UIPort: f.uiPort, NoUI: f.noUI,
		Logger: logger, LogLevel: &level, PortFlag: "--port", UIPortFlag: "--ui-port",
	})
	if err != nil {
		var portErr *devserver.PortInUseError
		if errors.As(err, &portErr) || errors.Is(err, devserver.ErrStateDirInUse) {
			return &exitError{code: exitBadUsage, err: err}
		}
		return fmt.Errorf("start dev server: %w", err)
	}
	defer srv.Stop()

	var sb *devSandbox
	if f.sandbox {
		if sb, err = startDevSandbox(ctx, logger, true, filepath.Join(srv.StateDir(), sandboxPortsFile)); err != nil {
			return err
		}
		defer sb.Close()
	}
	if !f.noWorker {
		w, c, err := startDevWorker(srv, logger, f.worker, sb)
		if err != nil {
			return err
		}
		defer c.Close()
		defer w.Stop()
	}

	fmt.Fprintf(stdout, "Temporal server  %s (namespace %s)\n", srv.FrontendAddr(), srv.Namespace())
	if url := srv.UIURL(); url != "" {
		fmt.Fprintf(stdout, "Temporal UI      %s\n", url)
	}
	fmt.Fprintf(stdout, "State dir        %s\n", srv.StateDir())
	if !f.noWorker {
		fmt.Fprintf(stdout, "Worker           task queue drillbook, artifacts in %s\n", f.worker.artifactsDir)
	}
	sb.describe(stdout)
	fmt.Fprintln(stdout, "Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "Shutting down.")
	return nil
}

// startDevWorker connects a client to the in-process server and starts a
// worker, pointed at the sandbox when sb is not nil.
func startDevWorker(srv *devserver.Server, logger *slog.Logger, wf workerFlags, sb *devSandbox) (sdkworker.Worker, client.Client, error) {
	c, err := client.Dial(client.Options{
		HostPort:  srv.FrontendAddr(),
		Namespace: srv.Namespace(),
		Logger:    sdklog.NewStructuredLogger(logger),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("connect worker to %s: %w", srv.FrontendAddr(), err)
	}
	acts := wf.activities(logger)
	sb.configure(acts)
	acts.SearchAttributes = ensureSearchAttributes(c, srv.Namespace(), logger)
	w := worker.New(c, acts)
	if err := w.Start(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("start worker: %w", err)
	}
	return w, c, nil
}
