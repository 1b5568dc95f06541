package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashEnv makes the test binary start a cluster in the named parent
// directory, print its directory and postmaster pid, and exit without Stop.
const crashEnv = "PGCLUSTER_TEST_CRASH_PARENT"

func TestMain(m *testing.M) {
	if parent := os.Getenv(crashEnv); parent != "" {
		c, err := Start(context.Background(), Options{Dir: parent})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(c.Dir(), c.proc.cmd.Process.Pid)
		os.Exit(3) // "crash": no Stop
	}
	os.Exit(m.Run())
}

// TestOwnerCrash checks that a process dying without Stop leaves nothing
// behind for long: the kernel stops its postmaster and the next Start in the
// same parent directory removes the cluster directory.
func TestOwnerCrash(t *testing.T) {
	parent := searchableDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+parent)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("child: %v, stdout %q, stderr %q", err, out, stderr(err))
	}
	var dir string
	var pid int
	if _, err := fmt.Sscan(string(out), &dir, &pid); err != nil {
		t.Fatalf("parse child output %q: %v", out, err)
	}

	deadline := time.Now().Add(15 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still running 15s after its owner died", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("abandoned cluster dir should still exist before the sweep: %v", err)
	}
	sweepStale(parent, testLogger(t))
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("abandoned cluster dir %s not removed by the sweep (stat err %v)", dir, err)
	}
	name := "drillbook-" + strings.TrimPrefix(filepath.Base(dir), dirPrefix)
	if pids := clusterPIDs(name, filepath.Join(dir, "data")); len(pids) > 0 {
		t.Errorf("processes of the abandoned cluster left: %v", pids)
	}
}

// running reports whether pid is a live, non-zombie process (an orphaned
// postmaster may stay a zombie where PID 1 does not reap).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func stderr(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(exit.Stderr)
	}
	return ""
}
