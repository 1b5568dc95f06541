// Package devserver runs the real Temporal server and the real Temporal UI
// inside the drillbook process, with SQLite persistence in a state directory,
// so that runs survive a restart of `drillbook dev`.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	"go.temporal.io/server/temporal"
)

// Defaults used by `drillbook dev`.
const (
	DefaultStateDir  = ".drillbook"
	DefaultIP        = "127.0.0.1"
	DefaultPort      = 7233
	DefaultUIPort    = 8233
	DefaultNamespace = "default"
)

// SearchAttributes are the custom keyword search attributes every run carries.
var SearchAttributes = []string{"RunbookID", "RunbookHash"}

// Options configure an in-process server. Zero values mean: state in
// DefaultStateDir, listen on 127.0.0.1, free ports, namespace "default",
// server logs at error level only.
type Options struct {
	StateDir  string
	IP        string
	Port      int // frontend gRPC port; 0 picks a free one
	UIPort    int // Temporal UI port; 0 picks a free one
	NoUI      bool
	Namespace string
	Logger    *slog.Logger
	// LogLevel is the lowest level of server log records that are kept.
	LogLevel *slog.Level
	// PortFlag and UIPortFlag name the command-line flags that set the ports,
	// so that a port conflict names the flag to change.
	PortFlag   string
	UIPortFlag string
}

// Server is a running in-process Temporal server and UI.
type Server struct {
	opts     Options
	lock     *stateLock
	temporal temporal.Server
	ui       *uiserver.Server
	port     int
	uiPort   int
}

// Start takes the state directory's lock, prepares the SQLite database and
// starts the server and the UI. It returns when the frontend accepts gRPC
// calls and the UI answers HTTP 200.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = withDefaults(opts)
	if err := prepareStateDir(opts.StateDir); err != nil {
		return nil, err
	}
	lock, err := lockStateDir(opts.StateDir)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, lock: lock}
	if err := s.start(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func withDefaults(opts Options) Options {
	if opts.StateDir == "" {
		opts.StateDir = DefaultStateDir
	}
	if opts.IP == "" {
		opts.IP = DefaultIP
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.LogLevel == nil {
		level := slog.LevelError
		opts.LogLevel = &level
	}
	if opts.PortFlag == "" {
		opts.PortFlag = "--port"
	}
	if opts.UIPortFlag == "" {
		opts.UIPortFlag = "--ui-port"
	}
	return opts
}

func (s *Server) start(ctx context.Context) error {
	var err error
	if s.port, err = resolvePort(s.opts.IP, s.opts.Port, s.opts.PortFlag); err != nil {
		return err
	}
	if !s.opts.NoUI {
		if s.uiPort, err = resolvePort(s.opts.IP, s.opts.UIPort, s.opts.UIPortFlag); err != nil {
			return err
		}
	}
	conf, err := buildConfig(s.opts, s.port)
	if err != nil {
		return err
	}
	if err := prepareDatabase(conf.sql, s.opts); err != nil {
		return err
	}
	s.temporal, err = temporal.NewServer(conf.serverOptions(s.opts)...)
	if err != nil {
		return fmt.Errorf("build temporal server: %w", err)
	}
	if err := s.temporal.Start(); err != nil {
		return fmt.Errorf("start temporal server: %w", err)
	}
	if err := waitForTCP(ctx, s.FrontendAddr()); err != nil {
		return fmt.Errorf("temporal frontend: %w", err)
	}
	if s.opts.NoUI {
		return nil
	}
	s.ui = newUIServer(s.opts.IP, s.uiPort, s.FrontendAddr(), s.opts.Namespace)
	go func() {
		if err := s.ui.Start(); err != nil {
			s.opts.Logger.Error("temporal ui stopped", "error", err)
		}
	}()
	return waitForHTTP(ctx, s.UIURL())
}

// FrontendAddr is the host:port of the Temporal frontend (gRPC).
func (s *Server) FrontendAddr() string {
	return net.JoinHostPort(s.opts.IP, strconv.Itoa(s.port))
}

// UIURL is the Temporal UI's base URL, or "" when the UI is off.
func (s *Server) UIURL() string {
	if s.opts.NoUI || s.uiPort == 0 {
		return ""
	}
	return "http://" + net.JoinHostPort(s.opts.IP, strconv.Itoa(s.uiPort))
}

// Namespace is the namespace the server registered.
func (s *Server) Namespace() string { return s.opts.Namespace }

// StateDir is the directory that holds the SQLite database and the lock.
func (s *Server) StateDir() string { return s.opts.StateDir }

// Stop stops the UI and the server and releases the state directory. It is
// safe to call more than once.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
		s.ui = nil
	}
	if s.temporal != nil {
		if err := s.temporal.Stop(); err != nil {
			s.opts.Logger.Warn("stop temporal server", "error", err)
		}
		s.temporal = nil
	}
	s.lock.release()
}

const readyTimeout = 30 * time.Second

func waitForTCP(ctx context.Context, addr string) error {
	return poll(ctx, func() error {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err
	})
}

func waitForHTTP(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return poll(ctx, func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", url, resp.Status)
		}
		return nil
	})
}

// poll calls check until it succeeds, ctx ends or readyTimeout passes.
func poll(ctx context.Context, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", errors.Join(err, ctx.Err()))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
