package devserver_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/devserver"
)

func tryStart(opts devserver.Options) (*devserver.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return devserver.Start(ctx, opts)
}

func TestSecondServerOnSameStateDirIsRefused(t *testing.T) {
	stateDir := t.TempDir()
	srv := startServer(t, stateDir)

	_, err := tryStart(devserver.Options{StateDir: stateDir, NoUI: true})
	if !errors.Is(err, devserver.ErrStateDirInUse) {
		t.Fatalf("second start: got %v, want ErrStateDirInUse", err)
	}
	if !strings.Contains(err.Error(), stateDir) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error should name the dir and the holder: %v", err)
	}
	// The first server is untouched: it still answers.
	conn, err := net.DialTimeout("tcp", srv.FrontendAddr(), time.Second)
	if err != nil {
		t.Fatalf("first server stopped answering: %v", err)
	}
	conn.Close()
}

func TestPortAlreadyTakenNamesPortAndFlag(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name string
		opts devserver.Options
		flag string
	}{
		{"frontend", devserver.Options{Port: port, PortFlag: "--port"}, "--port"},
		{"ui", devserver.Options{UIPort: port, UIPortFlag: "--ui-port"}, "--ui-port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.StateDir = t.TempDir()
			_, err := tryStart(tc.opts)
			var portErr *devserver.PortInUseError
			if !errors.As(err, &portErr) {
				t.Fatalf("got %v, want a PortInUseError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, strconv.Itoa(port)) || !strings.Contains(msg, tc.flag) {
				t.Errorf("want one line naming port %d and %s, got %q", port, tc.flag, msg)
			}
		})
	}
}

func TestBadStateDirIsClearAndDeletesNothing(t *testing.T) {
	t.Run("a file, not a directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state")
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := tryStart(devserver.Options{StateDir: path, NoUI: true})
		if err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("got %v, want a not-a-directory error", err)
		}
		assertContent(t, path, "keep me")
	})
	t.Run("a database that is not SQLite", func(t *testing.T) {
		dir := t.TempDir()
		db := devserver.DatabasePath(dir)
		if err := os.WriteFile(db, []byte("precious data"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := tryStart(devserver.Options{StateDir: dir, NoUI: true})
		if err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
			t.Fatalf("got %v, want a not-SQLite error", err)
		}
		assertContent(t, db, "precious data")
	})
	t.Run("unreadable directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads any directory: file permissions cannot make it unreadable")
		}
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o000); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		_, err := tryStart(devserver.Options{StateDir: dir, NoUI: true})
		if err == nil || !strings.Contains(err.Error(), "not readable") {
			t.Fatalf("got %v, want a not-readable error", err)
		}
	})
}

func assertContent(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s was removed: %v", path, err)
	}
	if !bytes.Equal(got, []byte(want)) {
		t.Fatalf("%s changed: %q", path, got)
	}
}
