package devserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	databaseFileName = "temporal.db"
	retention        = 30 * 24 * 60 * 60 // seconds: keep finished runs a month
)

// DatabasePath is where the SQLite database of a state directory lives.
func DatabasePath(stateDir string) string {
	return filepath.Join(stateDir, databaseFileName)
}

func sqliteConfig(stateDir string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: DatabasePath(stateDir),
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			// NORMAL in WAL mode: a killed process never loses a committed
			// step; only a power cut may lose the last moments.
			"synchronous":  "1",
			"busy_timeout": "10000",
		},
		MaxConns:     4,
		MaxIdleConns: 4,
	}
}

// prepareStateDir creates the state directory if needed and checks that it is
// a readable, writable directory. It never deletes or rewrites anything.
func prepareStateDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create state dir %s: %w", dir, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("state dir %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("state dir %s exists but is not a directory; pass another --state-dir", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("state dir %s is not readable: %w", dir, err)
	}
	_ = entries
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("state dir %s is not writable: %w", dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// prepareDatabase creates the schema on first use (in a temporary file that is
// renamed into place only when complete, so a crash never leaves a half-made
// database) and registers the namespace with drillbook's search attributes.
func prepareDatabase(sqlConf *config.SQL, opts Options) error {
	path := sqlConf.DatabaseName
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := createSchema(sqlConf); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	} else if err := checkSQLiteHeader(path); err != nil {
		return err
	}
	attrs := map[string]enumspb.IndexedValueType{}
	for _, name := range SearchAttributes {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, attrs)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", opts.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(retention * 1e9)
	if err := sqliteschema.CreateNamespaces(sqlConf, ns); err != nil {
		return fmt.Errorf("register namespace %s in %s: %w", opts.Namespace, path, err)
	}
	return nil
}

func createSchema(sqlConf *config.SQL) error {
	final := sqlConf.DatabaseName
	tmp := final + ".creating"
	_ = os.Remove(tmp)
	setup := *sqlConf
	setup.DatabaseName = tmp
	setup.ConnectAttributes = map[string]string{"mode": "rwc"}
	if err := sqliteschema.SetupSchema(&setup); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("create temporal schema in %s: %w", final, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("create temporal database %s: %w", final, err)
	}
	return nil
}

// checkSQLiteHeader refuses a file that is not an SQLite database, so that a
// wrong --state-dir gives a clear error instead of a server that never starts.
func checkSQLiteHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("database %s is not readable: %w", path, err)
	}
	defer f.Close()
	header := make([]byte, 16)
	n, _ := f.Read(header)
	if n == 0 {
		return fmt.Errorf("database %s is empty; move it away (nothing was changed) or pass another --state-dir", path)
	}
	if string(header[:n]) != "SQLite format 3\x00" {
		return fmt.Errorf("database %s is not an SQLite database; move it away (nothing was changed) or pass another --state-dir", path)
	}
	return nil
}
