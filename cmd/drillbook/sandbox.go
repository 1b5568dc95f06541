package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hotdash/drillbook/internal/sandbox"
)

// defaultSandboxListen is where the sandbox serves unless --listen says
// otherwise (4280 is the port of Fly's internal Machines API address).
const defaultSandboxListen = "127.0.0.1:4280"

type sandboxFlags struct {
	flySeed string
	listen  string
	targets sandboxTargetFlags
}

func newSandboxCmd() *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the local Fly Machines API emulator and print the environment to use it",
		Long: `Run local stand-ins for what a demo or a test cannot reach: a Fly Machines API
emulator serving the endpoints drillbook uses (apps, machines, leases, wait)
with the real JSON shapes, seeded with the estate of HotDash's first audit or
with --fly-seed FILE.

It prints the lines to export in the shell that runs the worker, with a new
random token each start, and serves until Ctrl-C or SIGTERM. fly-go (and so the
fly.* actions and flyctl-free scripts using FLY_FLAPS_BASE_URL) then talk to it.

It also serves two HTTP targets for the synthetic checks: a staging app (/
answers 200 after --staging-latency; /hc and /rails/health answer 404, as a
React Router app does) and a Chatwoot stand-in (/api with its real four fields
and a live timestamp, switchable to failing; /health says woot), and prints the
--input flags that point the reliability audit at them.`,
		Example: `  drillbook sandbox
  drillbook sandbox --fly-seed estate.json --listen 127.0.0.1:0`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandbox(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	cmd.Flags().StringVar(&f.flySeed, "fly-seed", "", "JSON file of apps and machines to serve (default: the built-in HotDash estate)")
	cmd.Flags().StringVar(&f.listen, "listen", defaultSandboxListen, "address to listen on (port 0: a free port)")
	bindSandboxTargetFlags(cmd, &f.targets)
	return cmd
}

func runSandbox(ctx context.Context, stdout, stderr io.Writer, f sandboxFlags) error {
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return usageErrorf("--listen %q: want HOST:PORT, e.g. %s", f.listen, defaultSandboxListen)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(stderr, "WARNING: --listen %s serves the emulator beyond this machine over plain HTTP; the fly.* actions only use plain HTTP on loopback\n", f.listen)
	}
	seed := sandbox.DefaultFlySeed()
	source := "the built-in HotDash estate"
	if f.flySeed != "" {
		if seed, err = sandbox.LoadFlySeed(f.flySeed); err != nil {
			return usageErrorf("--fly-seed: %v", err)
		}
		source = f.flySeed
	}
	machines := 0
	for _, app := range seed.Apps {
		machines += len(app.Machines)
	}

	ctx, stop := signalContext(ctx)
	defer stop()
	emu := sandbox.NewFlyEmulator(seed)
	url, err := emu.Start(f.listen)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			return usageErrorf("--listen %s: address already in use; pick another or use port 0", f.listen)
		}
		return fmt.Errorf("start the fly emulator: %w", err)
	}
	defer emu.Close()
	targets, err := startSandboxTargets(f.listen, f.targets)
	if err != nil {
		return err
	}
	defer targets.close()

	fmt.Fprintf(stdout, "Fly Machines API emulator on %s: %d apps, %d machines from %s.\n", url, len(seed.Apps), machines, source)
	fmt.Fprintln(stdout, "In the shell that runs the worker:")
	fmt.Fprintf(stdout, "export FLY_FLAPS_BASE_URL=%s\n", url)
	fmt.Fprintf(stdout, "export FLY_API_TOKEN=%s\n", emu.Token())
	targets.print(stdout)
	fmt.Fprintln(stdout, "Ctrl-C to stop.")
	<-ctx.Done()
	st := emu.Stats()
	fmt.Fprintf(stdout, "Shutting down: served %d requests (%d rate-limited, %d unauthorized), %d mutating calls.\n",
		st.Requests, st.RateLimited, st.Unauthorized, len(emu.Journal()))
	return nil
}
