package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// cmdlineSeen is what a cmdlineSampler saw of the pg_dump and pg_restore
// processes that ran while it sampled.
type cmdlineSeen struct {
	dump, restore int      // distinct processes seen
	leaks         []string // where a secret showed
}

// cmdlineSampler reads /proc/*/cmdline (and environ) every few
// milliseconds, looking for pg_dump and pg_restore processes and for the
// secrets in what they expose to other users of the machine.
type cmdlineSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	seen cmdlineSeen
}

func startCmdlineSampler(t *testing.T, secrets ...string) *cmdlineSampler {
	t.Helper()
	s := &cmdlineSampler{done: make(chan struct{})}
	pids := map[int]bool{}
	passfiles := map[string]bool{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-s.done:
				for pf := range passfiles {
					if _, err := os.Stat(pf); err == nil {
						s.seen.leaks = append(s.seen.leaks, "passfile "+pf+" left behind")
					}
				}
				return
			case <-time.After(3 * time.Millisecond):
			}
			entries, _ := os.ReadDir("/proc")
			for _, e := range entries {
				pid, err := strconv.Atoi(e.Name())
				if err != nil || pids[pid] {
					continue
				}
				cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
				if err != nil || len(cmdline) == 0 {
					continue
				}
				argv0 := filepath.Base(string(bytes.SplitN(cmdline, []byte{0}, 2)[0]))
				if argv0 != "pg_dump" && argv0 != "pg_restore" {
					continue
				}
				pids[pid] = true
				if argv0 == "pg_dump" {
					s.seen.dump++
				} else {
					s.seen.restore++
				}
				environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
				for _, secret := range secrets {
					if bytes.Contains(cmdline, []byte(secret)) {
						s.seen.leaks = append(s.seen.leaks, fmt.Sprintf("command line (%s, pid %d): %q", argv0, pid, cmdline))
					}
					if bytes.Contains(environ, []byte(secret)) {
						s.seen.leaks = append(s.seen.leaks, fmt.Sprintf("environment (%s, pid %d)", argv0, pid))
					}
				}
				for _, kv := range strings.Split(string(environ), "\x00") {
					if pf, ok := strings.CutPrefix(kv, "PGPASSFILE="); ok {
						passfiles[pf] = true
						if fi, err := os.Stat(pf); err == nil && fi.Mode().Perm() != 0o600 {
							s.seen.leaks = append(s.seen.leaks, fmt.Sprintf("passfile %s with mode %v", pf, fi.Mode().Perm()))
						}
					}
				}
			}
		}
	}()
	t.Cleanup(func() { s.stop() })
	return s
}

// stop ends sampling and returns what was seen.
func (s *cmdlineSampler) stop() cmdlineSeen {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.wg.Wait()
	return s.seen
}
