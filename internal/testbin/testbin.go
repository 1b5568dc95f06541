// Package testbin builds the drillbook binary once per test process, for
// tests and benchmarks that must run it as a separate process (kill it,
// restart it, measure its start-up and memory).
package testbin

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	once    sync.Once
	binPath string
	binErr  error
)

// Drillbook returns the path of a freshly built drillbook binary.
func Drillbook(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		dir, err := os.MkdirTemp("", "drillbook-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "drillbook")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/drillbook")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/drillbook: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Dev is a `drillbook dev` process started by a test.
type Dev struct {
	Cmd      *exec.Cmd
	Frontend string // host:port
	UIURL    string
	Started  time.Time
	Output   *SyncBuffer
}

// StartDev starts `drillbook dev` with args and waits until it prints its
// addresses (it prints them once the server and the UI are ready).
func StartDev(tb testing.TB, bin string, env []string, args ...string) *Dev {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"dev"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out := &SyncBuffer{}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = out
	d := &Dev{Cmd: cmd, Output: out, Started: time.Now()}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Kill() })
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			fields := strings.Fields(line)
			switch {
			case strings.HasPrefix(line, "Temporal server") && len(fields) >= 3:
				d.Frontend = fields[2]
			case strings.HasPrefix(line, "Temporal UI") && len(fields) >= 3:
				d.UIURL = fields[2]
			case strings.HasPrefix(line, "Ctrl-C"):
				ready <- nil
			}
		}
		ready <- fmt.Errorf("drillbook dev exited before it was ready")
		_, _ = io.Copy(io.Discard, stdout)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	select {
	case err := <-ready:
		if err != nil {
			tb.Fatalf("%v; output:\n%s", err, out.String())
		}
	case <-ctx.Done():
		tb.Fatalf("drillbook dev not ready after 90s; output:\n%s", out.String())
	}
	return d
}

// Kill sends SIGKILL and waits for the process to exit.
func (d *Dev) Kill() {
	if d.Cmd.Process != nil && d.Cmd.ProcessState == nil {
		_ = d.Cmd.Process.Kill()
		_ = d.Cmd.Wait()
	}
}

// Stop sends SIGTERM and waits for a clean exit, returning its error.
func (d *Dev) Stop() error {
	if d.Cmd.ProcessState != nil {
		return nil
	}
	_ = d.Cmd.Process.Signal(os.Interrupt)
	return d.Cmd.Wait()
}

// SyncBuffer is a goroutine-safe bytes buffer for process output.
type SyncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// WriteString appends s.
func (b *SyncBuffer) WriteString(s string) { _, _ = b.Write([]byte(s)) }

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartProcess starts the drillbook binary with args, its output captured.
func StartProcess(tb testing.TB, bin string, env []string, args ...string) (*exec.Cmd, *SyncBuffer) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, out
}
