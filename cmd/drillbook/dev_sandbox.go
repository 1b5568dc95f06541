package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/hotdash/drillbook/activities"
	"github.com/hotdash/drillbook/internal/demo"
	"github.com/hotdash/drillbook/internal/pgcluster"
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
	// pg is the throwaway PostgreSQL holding the demo database (dsn), or nil
	// when the machine has no server binaries (pgNote says why).
	pg          *pgcluster.Cluster
	dsn         string
	pgNote      string
	fly         *sandbox.FlyEmulator
	staging     *sandbox.StagingApp
	chatwoot    *sandbox.Chatwoot
	flyURL      string
	stagingURL  string
	chatwootURL string
	apps        int
	machines    int
}

// startDevSandbox starts the stand-ins on loopback, with a seeded
// PostgreSQL when withPostgres is set. With a portsFile (dev's state dir
// holds one) the Fly emulator and the HTTP targets listen on the ports they
// had last time, so that a run interrupted by a restart of `drillbook dev`
// still reaches them through the URLs pinned in its history; a port taken
// in the meantime falls back to a free one, with a warning.
func startDevSandbox(ctx context.Context, logger *slog.Logger, withPostgres bool, portsFile string) (*devSandbox, error) {
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
	ports := loadSandboxPorts(portsFile)
	var err error
	if s.flyURL, err = startOnPort(logger, "fly emulator", ports.Fly, s.fly.Start); err != nil {
		return nil, fmt.Errorf("start the fly emulator: %w", err)
	}
	if s.stagingURL, err = startOnPort(logger, "staging app", ports.Staging, s.staging.Start); err == nil {
		s.chatwootURL, err = startOnPort(logger, "chatwoot", ports.Chatwoot, s.chatwoot.Start)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("start the sandbox's http targets: %w", err)
	}
	saveSandboxPorts(logger, portsFile, sandboxPorts{Fly: urlPort(s.flyURL), Staging: urlPort(s.stagingURL), Chatwoot: urlPort(s.chatwootURL)})
	if withPostgres {
		if err := s.startPostgres(ctx, logger); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// demoDatabase is the name of the seeded database in the sandbox's cluster.
const demoDatabase = "chatwoot"

// startPostgres starts a throwaway cluster with a seeded Chatwoot-like
// database. Without PostgreSQL binaries it records why and returns nil: the
// rest of the sandbox still runs, and the audit reports DR as not tested.
func (s *devSandbox) startPostgres(ctx context.Context, logger *slog.Logger) error {
	pg, err := pgcluster.Start(ctx, pgcluster.Options{Logger: logger})
	if errors.Is(err, pgcluster.ErrNoBinaries) || errors.Is(err, pgcluster.ErrNoPostgresUser) {
		s.pgNote = err.Error()
		return nil
	}
	if err != nil {
		return fmt.Errorf("start the sandbox's postgres: %w", err)
	}
	s.pg = pg
	conn, err := pgx.Connect(ctx, pg.DSN())
	if err == nil {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+demoDatabase)
		conn.Close(ctx)
	}
	if err == nil {
		err = demo.Seed(ctx, pg.DSNFor(demoDatabase), demo.DefaultSeedSize)
	}
	if err != nil {
		return fmt.Errorf("seed the sandbox's database: %w", err)
	}
	s.dsn = pg.DSNFor(demoDatabase)
	return nil
}

// Close stops the stand-ins; a nil sandbox is a no-op.
func (s *devSandbox) Close() {
	if s != nil {
		_ = s.fly.Close()
		_ = s.staging.Close()
		_ = s.chatwoot.Close()
		if s.pg != nil {
			_ = s.pg.Stop()
		}
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
	token, dsn, next := s.fly.Token(), s.dsn, acts.Env
	acts.Env = func(name string) string {
		switch {
		case name == tokenEnv:
			return token
		case name == "DATABASE_URL" && dsn != "":
			return dsn
		}
		return next(name)
	}
	if acts.InputDefaults == nil {
		acts.InputDefaults = map[string]string{}
	}
	acts.InputDefaults["staging_url"] = s.stagingURL
	acts.InputDefaults["chatwoot_url"] = s.chatwootURL
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
	if s.pg != nil {
		fmt.Fprintf(w, "Postgres sandbox 127.0.0.1:%d (database %s, seeded; the worker's DATABASE_URL)\n", s.pg.Port(), demoDatabase)
	} else if s.pgNote != "" {
		fmt.Fprintf(w, "Postgres sandbox not started: %s\n", s.pgNote)
	}
	fmt.Fprintln(w, "The audit's URLs and database default to these stand-ins: start ReliabilityAudit with {}")
}
