package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hotdash/drillbook/internal/devserver"
	"github.com/hotdash/drillbook/workflows"
)

type demoFlags struct {
	keep     bool
	stateDir string
	port     int
	uiPort   int
	worker   workerFlags
}

func newDemoCmd() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole reliability audit on local stand-ins, no account needed",
		Long: `Run the reliability audit end to end on this machine alone: the real Temporal
server and UI in-process, a Fly Machines API emulator seeded with the HotDash
estate, a staging app and a Chatwoot /api on loopback, a throwaway PostgreSQL
seeded with a Chatwoot-like database, and a worker. It starts ReliabilityAudit,
shows its progress live and prints where the report is.

Exit 0 when the audit completed (findings are not failures). With --keep
everything stays up afterwards, to explore the run in the Temporal UI, until
Ctrl-C. Without PostgreSQL server binaries the disaster-recovery priority is
reported as not tested, with the install hint, and the rest still runs.`,
		Example: `  go run ./cmd/drillbook demo
  drillbook demo --keep            # then open the printed UI address`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	cmd.Flags().BoolVar(&f.keep, "keep", false, "leave the server, UI, sandbox and database running after the audit, until Ctrl-C")
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "keep the Temporal state in DIR (default: a temporary directory, removed at exit)")
	cmd.Flags().IntVar(&f.port, "port", 0, "Temporal frontend gRPC port (0: a free port)")
	cmd.Flags().IntVar(&f.uiPort, "ui-port", 0, "Temporal UI port (0: a free port)")
	f.worker.bind(cmd, "error")
	return cmd
}

func runDemo(ctx context.Context, stdout, stderr io.Writer, f demoFlags) error {
	start := time.Now()
	logger, level, err := newLogger(stderr, f.worker.logLevel)
	if err != nil {
		return err
	}
	ctx, stop := signalContext(ctx)
	defer stop()
	stateDir := f.stateDir
	if stateDir == "" {
		if stateDir, err = os.MkdirTemp("", "drillbook-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(stateDir)
	}
	fmt.Fprintln(stdout, "Starting the Temporal server and UI, the sandbox and a seeded PostgreSQL…")
	srv, err := devserver.Start(ctx, devserver.Options{StateDir: stateDir, Port: f.port, UIPort: f.uiPort,
		Logger: logger, LogLevel: &level})
	if err != nil {
		return fmt.Errorf("start the temporal server: %w", err)
	}
	defer srv.Stop()
	sb, err := startDevSandbox(ctx, logger, true, "")
	if err != nil {
		return err
	}
	defer sb.Close()
	w, c, err := startDevWorker(srv, logger, f.worker, sb)
	if err != nil {
		return err
	}
	defer c.Close()
	defer w.Stop()
	fmt.Fprintf(stdout, "Temporal UI      %s\n", srv.UIURL())
	sb.describe(stdout)

	id := "demo-audit-" + time.Now().UTC().Format("20060102T150405")
	wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.ReliabilityAuditWorkflow, workflows.RunRunbookInput{Operator: currentUser()})
	if err != nil {
		return failedErrorf("start the audit: %w", err)
	}
	fmt.Fprintf(stdout, "Audit            %s/namespaces/%s/workflows/%s\n\n", srv.UIURL(), srv.Namespace(), id)
	actx, stopApprover := context.WithCancel(ctx)
	go demoApprover(actx, stdout, c, id)
	watchErr := watchRun(ctx, stdout, c, wr, " --address "+srv.FrontendAddr())
	stopApprover()
	artifacts, _ := filepath.Abs(f.worker.artifactsDir)
	fmt.Fprintf(stdout, "\nArtifacts        %s\n", artifacts)
	fmt.Fprintf(stdout, "Report           %s\n", filepath.Join(artifacts, "reports", id, "report.md"))
	fmt.Fprintf(stdout, "                 %s\n", filepath.Join(artifacts, "reports", id, "report.html"))
	fmt.Fprintf(stdout, "Demo took        %s\n", time.Since(start).Round(100*time.Millisecond))
	if f.keep && ctx.Err() == nil {
		fmt.Fprintf(stdout, "\nEverything stays up (--keep): explore the run at %s. Ctrl-C to stop.\n", srv.UIURL())
		<-ctx.Done()
	}
	return watchErr
}
