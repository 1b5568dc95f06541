// Package pgcluster runs a throwaway PostgreSQL cluster built from the
// machine's own server binaries (initdb, pg_ctl, postgres), for tests and for
// `drillbook demo`.
//
// The binaries are looked up on PATH first and then under
// /usr/lib/postgresql/*/bin, newest major version first. When none exist,
// Start and FindBinDir return an error wrapping ErrNoBinaries that tells the
// operator to install the postgresql package.
//
// A cluster lives in a directory of its own that this package creates (inside
// Options.Dir, or in the system temp directory) and removes again in Stop. It
// listens on 127.0.0.1 only, keeps its Unix socket in a private directory inside
// the cluster directory, runs with fsync off and small buffers, and accepts
// password (scram-sha-256) logins from the superuser "postgres" with a random
// password that is never put on a command line.
//
// The server binaries refuse to run as root. When the calling process is root,
// every server binary runs as the "postgres" OS user (which the Debian
// postgresql package creates) and the cluster directory is handed to that user;
// every directory above it must then be searchable by that user.
//
// Callers must stop what they start. In tests:
//
//	c, err := pgcluster.Start(ctx, pgcluster.Options{})
//	if err != nil { t.Fatal(err) }
//	t.Cleanup(func() {
//		if err := c.Stop(); err != nil { t.Error(err) }
//	})
//
// or use pgclustertest.Start, which does exactly that. If the calling process
// dies without calling Stop (a test panic or timeout), the postmaster is told
// to shut down by the kernel (parent-death signal), and the next Start in the
// same parent directory removes the leftover cluster directory.
package pgcluster
