package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hotdash/drillbook/internal/sandbox"
)

// sandboxTargetFlags configure the demo HTTP targets `drillbook sandbox`
// serves next to the Fly emulator.
type sandboxTargetFlags struct {
	stagingListen  string // default: the --listen port + 1 (a free port when that is 0)
	chatwootListen string // default: the --listen port + 2
	stagingLatency string // "300ms-600ms" or one duration
	chatwootFail   string // "", data, queue or both
}

func bindSandboxTargetFlags(cmd *cobra.Command, f *sandboxTargetFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.stagingListen, "staging-listen", "", "address of the staging app (default: the --listen port + 1)")
	fl.StringVar(&f.chatwootListen, "chatwoot-listen", "", "address of the Chatwoot stand-in (default: the --listen port + 2)")
	fl.StringVar(&f.stagingLatency, "staging-latency", "300ms-600ms", "latency of the staging app's /: MIN-MAX or one duration")
	fl.StringVar(&f.chatwootFail, "chatwoot-failing", "", "what Chatwoot's /api reports failing: data (Postgres), queue (Redis) or both")
}

// sandboxTargets are the running demo targets.
type sandboxTargets struct {
	staging                *sandbox.StagingApp
	chatwoot               *sandbox.Chatwoot
	stagingURL, cwURL      string
	minLatency, maxLatency time.Duration
}

// startSandboxTargets starts the staging app and Chatwoot next to the
// emulator listening on listen.
func startSandboxTargets(listen string, f sandboxTargetFlags) (*sandboxTargets, error) {
	lo, hi, err := parseLatencyRange(f.stagingLatency)
	if err != nil {
		return nil, usageErrorf("--staging-latency %q: %v", f.stagingLatency, err)
	}
	queue, data := "ok", "ok"
	switch f.chatwootFail {
	case "", "none":
	case "data":
		data = "failing"
	case "queue":
		queue = "failing"
	case "both":
		queue, data = "failing", "failing"
	default:
		return nil, usageErrorf("--chatwoot-failing %q: want data, queue or both", f.chatwootFail)
	}
	t := &sandboxTargets{staging: sandbox.NewStagingApp(lo, hi), chatwoot: sandbox.NewChatwoot(), minLatency: lo, maxLatency: hi}
	if err := t.chatwoot.SetServices(queue, data); err != nil {
		return nil, usageErrorf("--chatwoot-failing: %v", err)
	}
	if t.stagingURL, err = t.staging.Start(nextTo(listen, f.stagingListen, 1)); err != nil {
		return nil, listenError("--staging-listen", err)
	}
	if t.cwURL, err = t.chatwoot.Start(nextTo(listen, f.chatwootListen, 2)); err != nil {
		t.staging.Close()
		return nil, listenError("--chatwoot-listen", err)
	}
	return t, nil
}

func listenError(flag string, err error) error {
	if strings.Contains(err.Error(), "address already in use") {
		return usageErrorf("%s: address already in use; pick another or use port 0", flag)
	}
	return fmt.Errorf("start the sandbox targets: %w", err)
}

// nextTo is addr when given, else listen's host with its port + offset
// (port 0 stays 0: a free port).
func nextTo(listen, addr string, offset int) string {
	if addr != "" {
		return addr
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "127.0.0.1:0"
	}
	p, err := strconv.Atoi(port)
	if err != nil || p == 0 {
		return net.JoinHostPort(host, "0")
	}
	return net.JoinHostPort(host, strconv.Itoa(p+offset))
}

func parseLatencyRange(s string) (time.Duration, time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return sandbox.DefaultStagingMinLatency, sandbox.DefaultStagingMaxLatency, nil
	}
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	lo, err := time.ParseDuration(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("want MIN-MAX such as 300ms-600ms, or one duration")
	}
	hi := lo
	if isRange {
		if hi, err = time.ParseDuration(strings.TrimSpace(b)); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("want MIN-MAX such as 300ms-600ms, with MIN ≤ MAX")
		}
	}
	return lo, hi, nil
}

// print says what the targets serve and how to point the audit at them.
func (t *sandboxTargets) print(out io.Writer) {
	fmt.Fprintf(out, "Staging app on %s: / answers 200 after %s-%s; /hc and /rails/health answer 404.\n", t.stagingURL, t.minLatency, t.maxLatency)
	fmt.Fprintf(out, "Chatwoot on %s: /api reports queue_services and data_services with a live timestamp; /health says woot.\n", t.cwURL)
	fmt.Fprintf(out, "  switch it: curl -X POST '%s/_sandbox/services?data_services=failing' (queue_services=failing likewise; =ok heals)\n", t.cwURL)
	inputs := fmt.Sprintf("--input staging_url=%s --input chatwoot_url=%s", t.stagingURL, t.cwURL)
	fmt.Fprintln(out, "Point the audit at them:")
	fmt.Fprintf(out, "  drillbook run reliability-audit %s\n", inputs)
	fmt.Fprintf(out, "  drillbook check --runbook reliability-audit %s\n", inputs)
}

// close stops the targets.
func (t *sandboxTargets) close() {
	t.staging.Close()
	t.chatwoot.Close()
}
