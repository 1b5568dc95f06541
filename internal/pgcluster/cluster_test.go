package pgcluster

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// searchableDir returns a fresh directory the server user can reach even when
// the test runs as root (t.TempDir's top directory is mode 0700).
func searchableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startCluster starts a cluster, failing (never skipping) without binaries.
func startCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	began := time.Now()
	c, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("cluster on port %d started in %s", c.Port(), time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

// leftovers lists processes whose command line mentions the cluster's
// directory or name: scanned independently of the package's own clusterPIDs.
func leftovers(t *testing.T, c *Cluster) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var found []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, c.Dir()) || strings.Contains(cmd, c.name+":") {
			found = append(found, e.Name()+": "+cmd)
		}
	}
	return found
}

func TestStartQueryStop(t *testing.T) {
	parent := searchableDir(t)
	c := startCluster(t, Options{Dir: parent})

	if filepath.Dir(c.Dir()) != parent {
		t.Errorf("Dir() = %q, want a subdirectory of %q", c.Dir(), parent)
	}
	if c.Major() < 9 || c.Port() <= 0 {
		t.Errorf("Major() = %d, Port() = %d", c.Major(), c.Port())
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), "pwfile")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("password file still exists (stat err %v)", err)
	}

	ctx := t.Context()
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	for _, sql := range []string{
		`CREATE TABLE drills (id int PRIMARY KEY, name text NOT NULL)`,
		`INSERT INTO drills VALUES (1, 'restore')`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var name, listen, sockets string
	if err := conn.QueryRow(ctx, `SELECT name FROM drills WHERE id = 1`).Scan(&name); err != nil || name != "restore" {
		t.Fatalf("read back: %q, %v", name, err)
	}
	if err := conn.QueryRow(ctx, `SELECT current_setting('listen_addresses'), current_setting('unix_socket_directories')`).Scan(&listen, &sockets); err != nil {
		t.Fatal(err)
	}
	if listen != "127.0.0.1" || !strings.Contains(sockets, c.Dir()) {
		t.Errorf("listen_addresses = %q, unix_socket_directories = %q; want 127.0.0.1 and a dir inside %s", listen, sockets, c.Dir())
	}
	if err := conn.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// Password authentication is enforced and the password is on no command line.
	bad := strings.Replace(c.DSN(), c.Password(), "wrong", 1)
	if conn, err := pgx.Connect(ctx, bad); err == nil {
		conn.Close(ctx)
		t.Error("connecting with a wrong password succeeded")
	} else if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("wrong password: err = %v, want SQLSTATE 28P01", err)
	}
	for _, p := range leftovers(t, c) {
		if strings.Contains(p, c.Password()) {
			t.Errorf("password on a command line: %s", p)
		}
	}

	pid := c.proc.cmd.Process.Pid
	if len(leftovers(t, c)) == 0 {
		t.Fatal("found no server process before Stop: the leftover scan is broken")
	}
	began := time.Now()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("stopped in %s", time.Since(began).Round(time.Millisecond))
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postmaster %d still exists after Stop (kill 0: %v)", pid, err)
	}
	if left := leftovers(t, c); len(left) > 0 {
		t.Errorf("processes left after Stop:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(c.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster dir %s still exists after Stop (stat err %v)", c.Dir(), err)
	}
	if _, err := os.Stat(parent); err != nil {
		t.Errorf("Stop removed the caller's parent dir: %v", err)
	}
}

func TestTwoClustersAtOnce(t *testing.T) {
	var (
		wg       sync.WaitGroup
		clusters [2]*Cluster
		errs     [2]error
	)
	for i := range clusters {
		wg.Go(func() {
			clusters[i], errs[i] = Start(t.Context(), Options{Logger: testLogger(t)})
		})
	}
	wg.Wait()
	for i, c := range clusters {
		if errs[i] != nil {
			t.Fatalf("cluster %d: %v", i, errs[i])
		}
		t.Cleanup(func() {
			if err := c.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
		})
	}
	a, b := clusters[0], clusters[1]
	if a.Port() == b.Port() || a.Dir() == b.Dir() || a.Password() == b.Password() {
		t.Errorf("clusters share port, dir or password: %d %d, %s %s", a.Port(), b.Port(), a.Dir(), b.Dir())
	}
	for _, c := range clusters {
		conn, err := pgx.Connect(t.Context(), c.DSN())
		if err != nil {
			t.Fatalf("connect to port %d: %v", c.Port(), err)
		}
		var port int
		if err := conn.QueryRow(t.Context(), `SELECT current_setting('port')::int`).Scan(&port); err != nil || port != c.Port() {
			t.Errorf("server on %d reports port %d (%v)", c.Port(), port, err)
		}
		conn.Close(t.Context())
	}
}

func TestStartCanceled(t *testing.T) {
	parent := searchableDir(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Start(ctx, Options{Dir: parent})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("canceled Start left %d entries in %s", len(entries), parent)
	}
}

func TestRootNeedsSearchableParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another OS user")
	}
	parent := filepath.Join(t.TempDir(), "state") // t.TempDir's top is mode 0700
	_, err := Start(t.Context(), Options{Dir: parent, Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "must be able to search") {
		t.Fatalf("err = %v, want a hint about searchable parent directories", err)
	}
	if testing.Verbose() {
		t.Logf("error: %v", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("failed Start left %d entries in %s", len(entries), parent)
	}
}

func TestSweepStale(t *testing.T) {
	parent := t.TempDir()
	// A process that has exited: its pid is (almost surely) not reused yet.
	dead := startAndWait(t)
	mk := func(name, owner string) string {
		dir := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	abandoned := mk(dirPrefix+"abandoned", dead)
	live := mk(dirPrefix+"live", "1") // pid 1 always exists
	creating := mk(dirPrefix+"creating", "")
	foreign := mk("other-"+"dir", dead)

	sweepStale(parent, testLogger(t))

	for dir, want := range map[string]bool{abandoned: false, live: true, creating: true, foreign: true} {
		_, err := os.Stat(dir)
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(dir), exists, want)
		}
	}
}

func startAndWait(t *testing.T) string {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(p.Pid)
}
