package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pgServerInfo is what preflight and the other postgres actions learn about
// the server and the database they connect to.
type pgServerInfo struct {
	Version    string // server_version, e.g. "15.18 (Debian 15.18-0+deb12u1)"
	Num        int    // server_version_num
	Major      int    // pgMajorOf(Num)
	Database   string
	SizeBytes  int64
	Extensions [][]string // name, version, schema
	Locale     dbLocale
}

// serverInfo reads the connected server's version, database size and extensions.
func serverInfo(ctx context.Context, t *pgTarget, db string) (pgServerInfo, error) {
	conn, err := t.connect(ctx, db)
	if err != nil {
		return pgServerInfo{}, err
	}
	defer pgClose(conn)
	var s pgServerInfo
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int,
current_database(), pg_database_size(current_database()), pg_encoding_to_char(encoding), datcollate, datctype
FROM pg_database WHERE datname = current_database()`).Scan(&s.Version, &s.Num, &s.Database, &s.SizeBytes,
		&s.Locale.Encoding, &s.Locale.Collate, &s.Locale.Ctype); err != nil {
		return s, t.queryError(ctx, "read server version", err)
	}
	s.Major = pgMajorOf(s.Num)
	rows, err := conn.Query(ctx, `SELECT e.extname::text, e.extversion, n.nspname::text
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1`)
	if err != nil {
		return s, t.queryError(ctx, "list extensions", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, version, schema string
		if err := rows.Scan(&name, &version, &schema); err != nil {
			return s, t.queryError(ctx, "list extensions", err)
		}
		s.Extensions = append(s.Extensions, []string{name, version, schema})
	}
	return s, rows.Err()
}

// supabaseExtensions are installed on Supabase and absent from plain PostgreSQL.
var supabaseExtensions = map[string]bool{"pg_graphql": true, "pgsodium": true, "supabase_vault": true,
	"pg_net": true, "pgjwt": true, "pg_stat_monitor": true, "wrappers": true}

// PostgresPreflight (`postgres.preflight`) checks that the worker can back up
// the database: it reads the server's version, the database's size and its
// extensions, finds the pg_dump/pg_restore installations (the first on PATH,
// then PGClientDirsEnv or DefaultPGClientDirs) and picks one whose major
// version can dump this server, the same major preferred. When none can, it
// fails with a non-retryable ErrTypePGVersionMismatch whose details hold a
// critical finding naming the client to install.
//
// Parameters: database (env:NAME or a connection string). Outputs: server,
// server_major, client, client_path, database, size, size_bytes,
// extensions, mismatch, and the newest backup of this database in the
// artifacts directory (last_backup, last_backup_at, last_backup_age_s: its
// age is the RPO when no drill runs; empty when there is none).
func (a *Activities) PostgresPreflight(ctx context.Context, req ActionRequest) (ActionResult, error) {
	p := newPGParams("postgres.preflight", req.Params)
	ref := p.str("database")
	if err := p.done(); err != nil {
		return ActionResult{}, err
	}
	_, stopHeartbeat := startPGHeartbeat(ctx, req.StepID)
	defer stopHeartbeat()
	t, err := a.pgTarget(req, ref)
	if err != nil {
		return ActionResult{}, err
	}
	srv, err := serverInfo(ctx, t, "")
	if err != nil {
		return ActionResult{}, err
	}
	clients := a.pgClients(ctx)
	chosen, ok := choosePGClient(clients, srv.Major)

	res := ActionResult{Outputs: map[string]string{
		"server": srv.Version, "server_major": pgMajorString(srv.Major), "database": srv.Database,
		"size": formatBytes(srv.SizeBytes), "size_bytes": strconv.FormatInt(srv.SizeBytes, 10),
		"mismatch": strconv.FormatBool(!ok),
	}}
	tools := Table{Title: "pg_dump clients on the worker", Columns: []string{"pg_dump", "version", "found via", "can dump this server"}}
	for _, c := range clients {
		usable := "no: older than the server"
		if c.Major >= srv.Major {
			usable = "yes"
		}
		if ok && c.Dump == chosen.Dump {
			usable = "yes (chosen)"
		}
		tools.Rows = append(tools.Rows, []string{c.Dump, c.Version, c.From, usable})
	}
	res.Tables = append(res.Tables, tools)
	var names []string
	if len(srv.Extensions) > 0 {
		res.Tables = append(res.Tables, Table{Title: "Extensions", Columns: []string{"extension", "version", "schema"}, Rows: srv.Extensions})
	}
	var supa []string
	for _, e := range srv.Extensions {
		names = append(names, e[0])
		if supabaseExtensions[e[0]] {
			supa = append(supa, e[0])
		}
	}
	res.Outputs["extensions"] = strings.Join(names, ",")
	res.Outputs["last_backup"], res.Outputs["last_backup_at"], res.Outputs["last_backup_age_s"] = "", "", ""
	if rel, at, found := a.newestBackup(srv.Database); found {
		res.Outputs["last_backup"], res.Outputs["last_backup_at"] = rel, at.Format(time.RFC3339)
		res.Outputs["last_backup_age_s"] = strconv.FormatInt(int64(time.Since(at).Seconds()), 10)
	}
	if len(supa) > 0 {
		res.Findings = append(res.Findings, Finding{Severity: SeverityInfo, Category: "dr", Subject: srv.Database,
			Title:      "Supabase extensions in use: " + strings.Join(supa, ", "),
			Impact:     "a restore into plain PostgreSQL skips these extensions and the roles Supabase grants to (warnings, not failures); the table data is restored",
			Resolution: "restore into a Supabase project (or an image with these extensions) to test them too"})
	}
	if !ok {
		f := mismatchFinding(srv.Database, srv.Version, srv.Major, clients)
		res.Findings = append(res.Findings, f)
		res.Summary = fmt.Sprintf("server %s, no usable pg_dump on the worker", srv.Version)
		return res, pgFail(ErrTypePGVersionMismatch, true, res, "postgres.preflight: %s", f.Title)
	}
	res.Outputs["client"] = chosen.Version
	res.Outputs["client_path"] = chosen.Dump
	if first := clients[0]; first.From == "PATH" && first.Major < srv.Major {
		res.Findings = append(res.Findings, Finding{Severity: SeverityLow, Category: "dr", Subject: srv.Database,
			Title:      fmt.Sprintf("pg_dump on PATH (%s) is older than the server (%s)", first.Version, srv.Version),
			Impact:     "scripts and people that run plain `pg_dump` get \"aborting because of server version mismatch\"; drillbook uses " + chosen.Dump,
			Resolution: fmt.Sprintf("export PATH=%s:$PATH", strings.TrimSuffix(chosen.Dump, "/pg_dump"))})
	}
	res.Summary = fmt.Sprintf("server %s, pg_dump %s (%s), database %s of %s, %d extension(s)",
		srv.Version, chosen.Version, chosen.Dump, srv.Database, formatBytes(srv.SizeBytes), len(srv.Extensions))
	return res, nil
}

// formatBytes renders a size as people read it: 512 B, 1.5 KiB, 12.3 MiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
