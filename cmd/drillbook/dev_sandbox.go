package main

import (
	"fmt"
	"io"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/sandbox"
)

// devSandbox is what `drillbook dev --sandbox` runs in its own process, on
// free loopback ports: the Fly Machines API emulator seeded with the HotDash
// estate, for the in-process worker only, and the demo HTTP targets (the
// staging app and Chatwoot). The emulator's token is handed to the worker
// through the activities' environment function: it is never exported into
// the process environment (shell steps do not see it) nor printed. A
// separate worker cannot use the emulator; `drillbook sandbox` is for that.
type devSandbox struct {
	fly         *sandbox.FlyEmulator
	staging     *sandbox.StagingApp
	chatwoot    *sandbox.Chatwoot
	flyURL      string
	stagingURL  string
	chatwootURL string
	apps        int
	machines    int
}

// startDevSandbox starts the stand-ins on loopback.
func startDevSandbox() (*devSandbox, error) {
	seed := sandbox.DefaultFlySeed()
	s := &devSandbox{
		fly:      sandbox.NewFlyEmulator(seed),
		staging:  sandbox.NewStagingApp(sandbox.DefaultStagingMinLatency, sandbox.DefaultStagingMaxLatency),
		chatwoot: sandbox.NewChatwoot(),
		apps:     len(seed.Apps),
	}
	for _, app := range seed.Apps {
		s.machines += len(app.Machines)
	}
	var err error
	if s.flyURL, err = s.fly.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start the fly emulator: %w", err)
	}
	if s.stagingURL, err = s.staging.Start("127.0.0.1:0"); err == nil {
		s.chatwootURL, err = s.chatwoot.Start("127.0.0.1:0")
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("start the sandbox's http targets: %w", err)
	}
	return s, nil
}

// Close stops the stand-ins; a nil sandbox is a no-op.
func (s *devSandbox) Close() {
	if s != nil {
		_ = s.fly.Close()
		_ = s.staging.Close()
		_ = s.chatwoot.Close()
	}
}

// configure points acts at the stand-ins: the fly.* actions use the
// emulator's URL, and the token variable they read (FLY_API_TOKEN unless
// acts.Fly says otherwise) holds the emulator's token, for acts only.
// Every other variable still comes from acts.Env. A nil sandbox is a no-op.
func (s *devSandbox) configure(acts *activities.Activities) {
	if s == nil {
		return
	}
	acts.Fly.BaseURL = s.flyURL
	tokenEnv := acts.Fly.TokenEnv
	if tokenEnv == "" {
		tokenEnv = activities.DefaultFlyTokenEnv
	}
	token, next := s.fly.Token(), acts.Env
	acts.Env = func(name string) string {
		if name == tokenEnv {
			return token
		}
		return next(name)
	}
}

// describe prints the sandbox's lines of dev's start-up summary, with the
// inputs that point the reliability audit's HTTP checks at the targets; a
// nil sandbox prints nothing.
func (s *devSandbox) describe(w io.Writer) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "Fly sandbox      %s (Machines API emulator: %d apps, %d machines; used by this worker)\n",
		s.flyURL, s.apps, s.machines)
	fmt.Fprintf(w, "Staging sandbox  %s (/ in %v-%v, 404 on /hc)\n",
		s.stagingURL, sandbox.DefaultStagingMinLatency, sandbox.DefaultStagingMaxLatency)
	fmt.Fprintf(w, "Chatwoot sandbox %s (/api)\n", s.chatwootURL)
	fmt.Fprintf(w, "Audit them with  drillbook run reliability-audit --input staging_url=%s --input chatwoot_url=%s\n",
		s.stagingURL, s.chatwootURL)
}
