package pgcluster

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownerFile, inside a cluster directory, holds the pid of the process that
// created it. A cluster whose owner is gone was abandoned (the owner crashed
// or was killed before Stop) and is removed by the next Start beside it.
const ownerFile = "owner.pid"

func writeOwner(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("write cluster owner file: %w", err)
	}
	return nil
}

// sweepStale removes the clusters in parent whose owning process is dead,
// stopping any of their processes first. Only directories with this package's
// name prefix and owner file are touched. Failures are logged, not returned:
// they must not keep a new cluster from starting.
func sweepStale(parent string, log *slog.Logger) {
	dirs, err := filepath.Glob(filepath.Join(parent, dirPrefix+"*"))
	if err != nil {
		return
	}
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being created
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		name := "drillbook-" + strings.TrimPrefix(filepath.Base(dir), dirPrefix)
		if err := killCluster(name, filepath.Join(dir, "data")); err != nil {
			log.Warn("stop abandoned postgres cluster", "dir", dir, "err", err)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("remove abandoned postgres cluster", "dir", dir, "err", err)
			continue
		}
		log.Info("removed abandoned postgres cluster", "dir", dir, "owner_pid", pid)
	}
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
