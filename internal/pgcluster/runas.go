package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ErrNoPostgresUser is returned (wrapped) when the process runs as root and the
// "postgres" OS user, which the server binaries must run as, does not exist.
var ErrNoPostgresUser = errors.New(`running as root, but the PostgreSQL server binaries refuse to run as root and the "postgres" OS user to run them as does not exist: install the postgresql package (apt-get install postgresql), which creates it, or run as an ordinary user`)

// serverUserName is the OS user the server runs as when the caller is root.
const serverUserName = "postgres"

// runAs says which OS user runs the server binaries. A nil cred means the
// current user.
type runAs struct {
	name string
	home string
	cred *syscall.Credential
}

// serverUser picks the OS user for the server binaries: the current user, or
// "postgres" when the current user is root.
func serverUser() (runAs, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return runAs{name: strconv.Itoa(os.Geteuid())}, nil
		}
		return runAs{name: u.Username, home: u.HomeDir}, nil
	}
	u, err := user.Lookup(serverUserName)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return runAs{}, ErrNoPostgresUser
		}
		return runAs{}, fmt.Errorf("look up OS user %q: %w", serverUserName, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return runAs{}, fmt.Errorf("parse uid %q of user %q: %w", u.Uid, serverUserName, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return runAs{}, fmt.Errorf("parse gid %q of user %q: %w", u.Gid, serverUserName, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return runAs{name: u.Username, home: u.HomeDir, cred: cred}, nil
}

// chown hands path to the server user; a no-op when that is the current user.
func (r runAs) chown(path string) error {
	if r.cred == nil {
		return nil
	}
	if err := os.Lchown(path, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, r.name, err)
	}
	return nil
}

// command builds a command that runs as the server user in dir, with a clean
// environment: no PG* variables that could point it at another server, the C
// locale so messages are predictable, and its own process group.
func (r runAs) command(ctx context.Context, dir, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = r.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: r.cred}
	return cmd
}

func (r runAs) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PG"), k == "HOME", k == "USER", k == "LOGNAME",
			k == "LANG", k == "LANGUAGE", strings.HasPrefix(k, "LC_"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "LC_ALL=C", "USER="+r.name, "LOGNAME="+r.name)
	if r.home != "" {
		env = append(env, "HOME="+r.home)
	}
	return env
}

// The kernel sends the parent-death signal when the *thread* that forked the
// child exits, not the process. Go may retire threads, so the postmaster is
// started from one goroutine locked to a thread that never exits.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// startOrphanSafe starts cmd so that the kernel sends it sig if this process
// dies without stopping it.
func startOrphanSafe(cmd *exec.Cmd, sig syscall.Signal) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for req := range spawnReqs {
				req.done <- req.cmd.Start()
			}
		}()
	})
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = sig
	req := spawnReq{cmd: cmd, done: make(chan error, 1)}
	spawnReqs <- req
	return <-req.done
}
