package pgcluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Superuser is the name of the cluster's superuser role.
const Superuser = "postgres"

// host is the only address a cluster listens on.
const host = "127.0.0.1"

// dirPrefix starts the name of every directory this package creates.
const dirPrefix = "drillbook-pg-"

// Options configure Start. The zero value is a good default.
type Options struct {
	// Dir is the parent directory for the cluster. Start creates a new
	// subdirectory inside it and Stop removes only that. Empty means the
	// system temp directory. As root it must be searchable by user postgres.
	Dir string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// BinDir holds initdb, pg_ctl and postgres; empty means FindBinDir.
	BinDir string
	// StartTimeout bounds the wait for the server to accept connections;
	// 0 means 30 seconds.
	StartTimeout time.Duration
}

// Cluster is a running throwaway PostgreSQL cluster. Stop it when done.
type Cluster struct {
	log      *slog.Logger
	binDir   string
	major    int
	dir      string // the directory this package created; removed by Stop
	dataDir  string
	sockDir  string // "" when the path is too long for a Unix socket
	logPath  string
	name     string // cluster_name: tags the server's process titles
	password string
	port     int
	reserved bool // port came from reservePort
	user     runAs
	timeout  time.Duration

	proc *server // the postmaster; nil until launched

	stopOnce sync.Once
	stopErr  error
}

// Start creates, configures and starts a new cluster and waits until it
// accepts connections. On error nothing is left behind. Call Stop when done.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start postgres cluster: %w", err)
	}
	c := &Cluster{log: opts.Logger, timeout: opts.StartTimeout, name: "drillbook"}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	var err error
	if c.binDir, c.major, err = resolveBinDir(opts.BinDir); err != nil {
		return nil, fmt.Errorf("start postgres cluster: %w", err)
	}
	if c.user, err = serverUser(); err != nil {
		return nil, fmt.Errorf("start postgres cluster: %w", err)
	}
	c.password = newPassword()
	began := time.Now()
	if err := c.setup(ctx, opts); err != nil {
		if stopErr := c.Stop(); stopErr != nil {
			c.log.Warn("clean up failed postgres cluster", "dir", c.dir, "err", stopErr)
		}
		return nil, fmt.Errorf("start postgres cluster: %w", err)
	}
	c.log.Info("postgres cluster started", "port", c.port, "major", c.major,
		"dir", c.dir, "bin", c.binDir, "run_as", c.user.name, "took", time.Since(began).Round(time.Millisecond))
	return c, nil
}

// setup creates the cluster directory, runs initdb, writes the configuration
// and starts the server.
func (c *Cluster) setup(ctx context.Context, opts Options) error {
	if err := c.makeDir(opts.Dir); err != nil {
		return err
	}
	if err := c.initdb(ctx); err != nil {
		return err
	}
	if err := c.configure(); err != nil {
		return err
	}
	return c.startServer(ctx, opts.Port)
}

func resolveBinDir(binDir string) (string, int, error) {
	if binDir == "" {
		return FindBinDir()
	}
	binDir, err := filepath.Abs(binDir)
	if err != nil {
		return "", 0, fmt.Errorf("bin dir: %w", err)
	}
	if !hasAll(binDir) {
		return "", 0, fmt.Errorf("bin dir %s lacks one of %s: %w", binDir, strings.Join(serverBinaries, ", "), ErrNoBinaries)
	}
	major, err := BinMajor(binDir)
	return binDir, major, err
}

// newPassword returns 26 base32 characters (over 128 bits): URL-safe, so the
// DSN needs no escaping for it.
func newPassword() string { return rand.Text() }

// makeDir creates the cluster directory inside parent (or the temp dir) and
// hands it to the server user, first removing clusters abandoned there by
// processes that died without stopping them.
func (c *Cluster) makeDir(parent string) error {
	if parent == "" {
		parent = os.TempDir()
	} else if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create cluster parent dir: %w", err)
	}
	parent, err := filepath.Abs(parent)
	if err != nil {
		return fmt.Errorf("cluster parent dir: %w", err)
	}
	sweepStale(parent, c.log)
	dir, err := os.MkdirTemp(parent, dirPrefix+"*")
	if err != nil {
		return fmt.Errorf("create cluster dir: %w", err)
	}
	c.dir = dir
	c.dataDir = filepath.Join(dir, "data")
	c.logPath = filepath.Join(dir, "postgres.log")
	c.name = "drillbook-" + strings.TrimPrefix(filepath.Base(dir), dirPrefix)
	if err := writeOwner(dir); err != nil {
		return err
	}
	sock := filepath.Join(dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return fmt.Errorf("create socket dir: %w", err)
	}
	for _, p := range []string{dir, sock} {
		if err := c.user.chown(p); err != nil {
			return err
		}
	}
	// sun_path holds 108 bytes including the NUL; the server adds /.s.PGSQL.PORT.
	if len(sock)+len("/.s.PGSQL.65535") < 108 && !strings.ContainsAny(sock, "\"\n") {
		c.sockDir = sock
	} else {
		c.log.Warn("cluster dir path too long or odd for a Unix socket; TCP only", "dir", sock)
	}
	return nil
}

// initdb creates the data directory with a scram-sha-256 superuser whose
// password is passed in a 0600 file that is removed right after.
func (c *Cluster) initdb(ctx context.Context) error {
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	defer os.Remove(pwfile)
	if err := c.user.chown(pwfile); err != nil {
		return err
	}
	cmd := c.user.command(ctx, c.dir, filepath.Join(c.binDir, "initdb"),
		"--pgdata="+c.dataDir, "--username="+Superuser, "--pwfile="+pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync")
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := ""
		if c.user.cred != nil && strings.Contains(strings.ToLower(err.Error()+string(out)), "permission denied") {
			msg = fmt.Sprintf(" (as root the server runs as OS user %s, which must be able to search every directory above %s: "+
				"make them searchable, e.g. chmod o+x, or use a parent directory under %s)", c.user.name, c.dir, os.TempDir())
		}
		if out := strings.TrimSpace(string(out)); out != "" {
			msg += ":\n" + tail(out, 15)
		}
		return fmt.Errorf("initdb: %w%s", err, msg)
	}
	c.log.Debug("initdb done", "data", c.dataDir)
	return nil
}

// configure appends the throwaway-cluster settings to postgresql.conf.
// The port is passed on the command line so a retry can change it.
func (c *Cluster) configure() error {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	sock := ""
	if c.sockDir != "" {
		sock = `"` + c.sockDir + `"` // double quotes keep commas in the path
	}
	settings := [][2]string{
		{"listen_addresses", quote(host)},
		{"unix_socket_directories", quote(sock)},
		{"unix_socket_permissions", "0700"},
		{"cluster_name", quote(c.name)},
		{"fsync", "off"},
		{"synchronous_commit", "off"},
		{"full_page_writes", "off"},
		{"shared_buffers", quote("16MB")},
		{"max_wal_size", quote("256MB")},
		{"logging_collector", "off"},
		{"log_destination", quote("stderr")},
		{"log_line_prefix", quote("%m [%p] ")},
	}
	var b strings.Builder
	b.WriteString("\n# drillbook pgcluster: throwaway cluster settings\n")
	for _, kv := range settings {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	f, err := os.OpenFile(filepath.Join(c.dataDir, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("configure cluster: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("configure cluster: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("configure cluster: %w", err)
	}
	return nil
}

// DSN returns a URL for the "postgres" database as the superuser, e.g.
// postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres?sslmode=disable.
// It contains the password: do not log it.
func (c *Cluster) DSN() string { return c.DSNFor("postgres") }

// DSNFor returns a DSN like DSN's for the database dbname.
func (c *Cluster) DSNFor(dbname string) string {
	return dsn(c.password, c.port, dbname)
}

func dsn(password string, port int, dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, password),
		Host:     host + ":" + strconv.Itoa(port),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Dir returns the cluster directory this package created (data directory,
// server log, socket directory). Stop removes it.
func (c *Cluster) Dir() string { return c.dir }

// DataDir returns the server's data directory (PGDATA).
func (c *Cluster) DataDir() string { return c.dataDir }

// LogPath returns the server log file.
func (c *Cluster) LogPath() string { return c.logPath }

// BinDir returns the directory of the server binaries in use; the matching
// client tools (pg_dump, pg_restore, psql) are normally beside them.
func (c *Cluster) BinDir() string { return c.binDir }

// Major returns the server's major version, e.g. 15.
func (c *Cluster) Major() int { return c.major }

// Password returns the superuser password (also contained in DSN).
func (c *Cluster) Password() string { return c.password }

// tail returns the last n non-empty lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
