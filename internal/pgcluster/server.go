package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// errPortInUse marks a start that failed because the port was taken, which a
// start on a picked port retries with another one.
var errPortInUse = errors.New("port already in use")

// server is a running postmaster started by this package.
type server struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the postmaster has exited and been reaped
	err  error         // its exit status; read only after done is closed
}

// exited reports whether the postmaster has exited.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the postmaster to exit and reports whether it did.
func (s *server) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.done:
		return true
	case <-t.C:
		return false
	}
}

// startServer starts the postmaster on port (0: a free one, retried if another
// process takes it first) and waits until it accepts connections.
func (c *Cluster) startServer(ctx context.Context, port int) error {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		if port == 0 {
			p, err := reservePort()
			if err != nil {
				return err
			}
			c.port, c.reserved = p, true
		} else {
			c.port, c.reserved = port, false
		}
		err := c.launch(ctx)
		if err == nil {
			return nil
		}
		if port != 0 || !errors.Is(err, errPortInUse) || attempt == attempts {
			return err
		}
		c.log.Warn("postgres port taken, retrying on another", "port", c.port, "attempt", attempt)
		releasePort(c.port)
		c.reserved = false
		c.proc = nil // it has exited: launch reported its exit
	}
}

// launch starts the postmaster directly (not through pg_ctl) so that it is our
// child: we learn at once if it dies, and the kernel stops it (fast shutdown)
// if this process dies without calling Stop.
func (c *Cluster) launch(ctx context.Context) error {
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close()
	if err := c.user.chown(c.logPath); err != nil {
		return err
	}
	// Not ctx: the server must outlive the context Start was called with.
	cmd := c.user.command(context.Background(), c.dir, filepath.Join(c.binDir, "postgres"),
		"-D", c.dataDir, "-p", strconv.Itoa(c.port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := startOrphanSafe(cmd, syscall.SIGINT); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	c.proc = s
	c.log.Debug("postgres launched", "pid", cmd.Process.Pid, "port", c.port)
	return c.waitReady(ctx)
}

// waitReady polls with pgx until the server accepts a login, the postmaster
// exits, ctx ends or the start timeout passes.
func (c *Cluster) waitReady(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(c.DSN())
	if err != nil {
		return fmt.Errorf("parse cluster dsn: %w", err)
	}
	cfg.ConnectTimeout = time.Second
	deadline := time.Now().Add(c.timeout)
	var lastErr error
	for {
		if c.proc.exited() {
			log := c.logTail()
			err := fmt.Errorf("postgres exited during startup (%v); server log %s:\n%s", c.proc.err, c.logPath, log)
			if strings.Contains(log, "could not bind") || strings.Contains(log, "already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.ConnectConfig(cctx, cfg)
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		lastErr = err
		if ctx.Err() != nil {
			return fmt.Errorf("wait for postgres to accept connections: %w", ctx.Err())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %s (last error: %v); server log %s:\n%s",
				c.timeout, lastErr, c.logPath, c.logTail())
		}
		select {
		case <-ctx.Done():
		case <-c.proc.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// logTail returns the last lines of the server log.
func (c *Cluster) logTail() string {
	f, err := os.Open(c.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read server log: %v)", err)
	}
	defer f.Close()
	const max = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		_, _ = f.Seek(fi.Size()-max, io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read server log: %v)", err)
	}
	if len(b) == 0 {
		return "(server log is empty)"
	}
	return tail(string(b), 20)
}

// ports holds the ports handed to clusters of this process, so two clusters
// started at once never get the same one.
var ports = struct {
	sync.Mutex
	inUse map[int]bool
}{inUse: map[int]bool{}}

// reservePort picks a free TCP port on 127.0.0.1 not given to another cluster.
func reservePort() (int, error) {
	ports.Lock()
	defer ports.Unlock()
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		if !ports.inUse[p] {
			ports.inUse[p] = true
			return p, nil
		}
	}
	return 0, errors.New("find a free port: every port offered is taken by another cluster")
}

// releasePort returns a port taken by reservePort.
func releasePort(p int) {
	ports.Lock()
	defer ports.Unlock()
	delete(ports.inUse, p)
}
