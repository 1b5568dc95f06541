package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Stop shuts the server down (pg_ctl stop -m fast, then -m immediate, then
// SIGKILL), makes sure no process of the cluster is left, and removes the
// cluster directory. It is safe to call more than once and from cleanup
// functions; later calls return the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	began := time.Now()
	var errs []error
	if c.proc != nil {
		if err := c.stopServer(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.dataDir != "" {
		if err := killCluster(c.name, c.dataDir); err != nil {
			errs = append(errs, err)
		}
	}
	if c.reserved {
		releasePort(c.port)
		c.reserved = false
	}
	if c.dir != "" {
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove cluster dir: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop postgres cluster %s: %w", c.dir, err)
	}
	c.log.Info("postgres cluster stopped and removed", "port", c.port, "dir", c.dir, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// stopServer stops the postmaster with pg_ctl, escalating from a fast to an
// immediate shutdown and finally to SIGKILL.
func (c *Cluster) stopServer() error {
	for _, mode := range []string{"fast", "immediate"} {
		if c.proc.exited() {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := c.user.command(ctx, c.dir, filepath.Join(c.binDir, "pg_ctl"),
			"stop", "--pgdata="+c.dataDir, "--mode="+mode, "--wait", "--timeout=15", "--silent").CombinedOutput()
		cancel()
		if err != nil {
			c.log.Warn("pg_ctl stop failed", "mode", mode, "err", err, "output", tail(string(out), 5))
		}
		if c.proc.wait(5 * time.Second) {
			return nil
		}
	}
	pid := c.proc.cmd.Process.Pid
	c.log.Warn("postgres did not stop; killing it", "pid", pid)
	if err := c.proc.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill postmaster %d: %w", pid, err)
	}
	if !c.proc.wait(10 * time.Second) {
		return fmt.Errorf("postmaster %d still running after SIGKILL", pid)
	}
	return nil
}

// killCluster SIGKILLs any process left of the cluster named name with data
// directory dataDir (a backend orphaned by a killed postmaster) and waits
// until none is left.
func killCluster(name, dataDir string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := clusterPIDs(name, dataDir)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of the cluster still running", pids)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clusterPIDs lists live processes of one cluster: the postmaster (its
// command line has -D dataDir) and its children, whose process titles start
// with "postgres: NAME:" because the cluster sets cluster_name.
func clusterPIDs(name, dataDir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	title := []byte("postgres: " + name + ":")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 { // gone, or a zombie / kernel thread
			continue
		}
		if bytes.HasPrefix(cmdline, title) || hasArgs(cmdline, "-D", dataDir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hasArgs reports whether the NUL-separated command line has flag then value.
func hasArgs(cmdline []byte, flag, value string) bool {
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	for i := 0; i+1 < len(args); i++ {
		if string(args[i]) == flag && string(args[i+1]) == value {
			return true
		}
	}
	return false
}
