package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/devserver"
)

// captureStderr runs fn with os.Stderr redirected and returns what it wrote.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		var buf bytes.Buffer
		_, _ = io.Copy(&buf, r)
		done <- buf.String()
	}()
	fn()
	w.Close()
	os.Stderr = old
	return <-done
}

func TestDevOnStateDirInUseExits2(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{StateDir: dir, NoUI: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	var code int
	stderr := captureStderr(t, func() {
		code = run([]string{"dev", "--state-dir", dir, "--port", "0", "--ui-port", "0"})
	})
	if code != exitBadUsage {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitBadUsage, stderr)
	}
	if !strings.Contains(stderr, "in use") || !strings.Contains(stderr, dir) {
		t.Errorf("stderr should say the state dir is in use: %q", stderr)
	}
}

func TestDevPortTakenExits2WithOneLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)

	var code int
	stderr := captureStderr(t, func() {
		code = run([]string{"dev", "--state-dir", t.TempDir(), "--port", "0", "--ui-port", port})
	})
	if code != exitBadUsage {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitBadUsage, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], port) || !strings.Contains(lines[0], "--ui-port") {
		t.Errorf("want one line naming port %s and --ui-port, got %q", port, stderr)
	}
}

func TestUnknownFlagAndArgsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"dev", "--no-such-flag"},
		{"version", "extra"},
		{"dev", "--listen", "not-an-ip", "--state-dir", "x"},
		{"no-such-command"},
	} {
		var code int
		captureStderr(t, func() { code = run(args) })
		if code != exitBadUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadUsage)
		}
	}
}
