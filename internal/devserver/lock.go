package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrStateDirInUse means another drillbook process holds the state directory.
var ErrStateDirInUse = errors.New("state directory is in use")

// stateLock is an exclusive advisory lock on a state directory. The kernel
// releases it when the process dies, so a crash never leaves a stale lock.
type stateLock struct {
	file *os.File
}

const lockFileName = "drillbook.lock"

// lockStateDir takes the lock of dir or says which process holds it.
func lockStateDir(dir string) (*stateLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is used by another drillbook process%s; stop it or pass another --state-dir",
				ErrStateDirInUse, dir, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &stateLock{file: f}, nil
}

func readHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid := strings.TrimSpace(string(buf[:n]))
	if pid == "" {
		return ""
	}
	return " (pid " + pid + ")"
}

// release drops the lock. The lock file stays: removing it would race with a
// process that opened it but has not locked it yet.
func (l *stateLock) release() {
	if l == nil || l.file == nil {
		return
	}
	_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
	_ = l.file.Close()
	l.file = nil
}
