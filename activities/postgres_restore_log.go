package activities

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// restoreMessage is one error pg_restore reported and went on from.
type restoreMessage struct {
	Kind    string // the TOC entry's type: "TABLE DATA", "EXTENSION", "POLICY" (empty when not said)
	Object  string // the rest of the TOC entry: schema, name, owner
	Error   string // the server's message, e.g. `role "anon" does not exist`
	Command string // the first line of the statement that failed
}

// restoreLog is pg_restore's output, classified. Warnings are errors a
// restore of the data can live with (missing roles, extensions that cannot
// be installed, grants, comments, policies); failures lose tables or data.
type restoreLog struct {
	Warnings []restoreMessage
	Failures []restoreMessage
	// Ignored is pg_restore's own count ("errors ignored on restore: N"),
	// -1 when it printed none.
	Ignored int
}

// restoreDataKinds are the TOC entry types whose failure loses a table, its
// rows or its integrity: such errors fail a restore.
var restoreDataKinds = map[string]bool{
	"TABLE": true, "TABLE DATA": true, "SEQUENCE": true, "SEQUENCE SET": true, "SEQUENCE OWNED BY": true,
	"DEFAULT": true, "CONSTRAINT": true, "FK CONSTRAINT": true, "CHECK CONSTRAINT": true, "INDEX": true,
	"INDEX ATTACH": true, "TABLE ATTACH": true, "MATERIALIZED VIEW": true, "MATERIALIZED VIEW DATA": true,
	"VIEW": true, "BLOB": true, "BLOB DATA": true, "BLOBS": true, "LARGE OBJECT": true, "SCHEMA": true,
	"TYPE": true, "DOMAIN": true,
}

// restoreKinds are the TOC entry types of more than one word, longest first.
var restoreKinds = func() []string {
	k := []string{"TABLE DATA", "SEQUENCE SET", "SEQUENCE OWNED BY", "FK CONSTRAINT", "CHECK CONSTRAINT",
		"MATERIALIZED VIEW DATA", "MATERIALIZED VIEW", "DEFAULT ACL", "EVENT TRIGGER", "FOREIGN TABLE",
		"FOREIGN DATA WRAPPER", "USER MAPPING", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA",
		"ROW SECURITY", "INDEX ATTACH", "TABLE ATTACH", "BLOB DATA", "LARGE OBJECT", "SHELL TYPE",
		"ACCESS METHOD", "PROCEDURAL LANGUAGE", "OPERATOR CLASS", "OPERATOR FAMILY", "DATABASE PROPERTIES",
		"TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE"}
	sort.Slice(k, func(i, j int) bool { return len(k[i]) > len(k[j]) })
	return k
}()

// restoreBenign are messages that never fail a restore, whatever the entry:
// what a managed provider's dump (Supabase, RDS) brings along.
var restoreBenign = regexp.MustCompile(`(?i)role ".*" does not exist|must be owner of|must be member of role|` +
	`permission denied to create extension|must be superuser|permission denied to create event trigger|` +
	`extension ".*" is not available|could not open extension control file|extension ".*" does not exist|` +
	`grant options cannot be granted back|permission denied to change default privileges`)

var (
	restoreTOCRE     = regexp.MustCompile(`(?:from|Error from) TOC entry \d+; \d+ \d+ (.*)$`)
	restoreQueryRE   = regexp.MustCompile(`could not execute query: (?:ERROR|FATAL):\s+(.*)$`)
	restoreIgnoredRE = regexp.MustCompile(`errors ignored on restore: (\d+)`)
	restoreCopyRE    = regexp.MustCompile(`COPY failed for table "([^"]*)": (?:ERROR|FATAL):\s+(.*)$`)
)

// restoreClassifier reads pg_restore's output (PostgreSQL 9.6 to 18
// formats; run with --verbose so that each error is preceded by its TOC
// entry) line by line, as it is written, into a restoreLog.
type restoreClassifier struct {
	log     restoreLog
	partial []byte
	toc     string
	last    *restoreMessage
}

func newRestoreClassifier() *restoreClassifier {
	return &restoreClassifier{log: restoreLog{Ignored: -1}}
}

// classifyRestoreOutput classifies a whole output at once.
func classifyRestoreOutput(out string) restoreLog {
	c := newRestoreClassifier()
	_, _ = c.Write([]byte(out))
	return c.result()
}

// Write feeds output; it never fails.
func (c *restoreClassifier) Write(p []byte) (int, error) {
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		c.line(strings.TrimRight(string(c.partial[:i]), "\r"))
		c.partial = c.partial[i+1:]
	}
	return len(p), nil
}

// result returns what was classified, the last unterminated line included.
func (c *restoreClassifier) result() restoreLog {
	if len(c.partial) > 0 {
		c.line(string(c.partial))
		c.partial = nil
	}
	return c.log
}

func (c *restoreClassifier) add(m restoreMessage) {
	failure := restoreDataKinds[m.Kind] && !(restoreBenign.MatchString(m.Error) ||
		(m.Kind == "SCHEMA" && strings.Contains(m.Error, "already exists")))
	if m.Kind == "" && !restoreBenign.MatchString(m.Error) {
		failure = true
	}
	if failure {
		c.log.Failures = append(c.log.Failures, m)
		c.last = &c.log.Failures[len(c.log.Failures)-1]
		return
	}
	c.log.Warnings = append(c.log.Warnings, m)
	c.last = &c.log.Warnings[len(c.log.Warnings)-1]
}

func (c *restoreClassifier) line(line string) {
	switch {
	case restoreTOCRE.MatchString(line):
		c.toc = restoreTOCRE.FindStringSubmatch(line)[1]
	case restoreQueryRE.MatchString(line):
		msg := restoreQueryRE.FindStringSubmatch(line)[1]
		m := restoreMessage{Error: strings.TrimSpace(msg)}
		if e, cmd, ok := strings.Cut(msg, " Command was: "); ok { // pre-12 one-line form
			m.Error, m.Command = strings.TrimSpace(e), strings.TrimSpace(cmd)
		}
		m.Kind, m.Object = splitTOC(c.toc)
		c.toc = ""
		c.add(m)
	case restoreCopyRE.MatchString(line):
		g := restoreCopyRE.FindStringSubmatch(line)
		c.add(restoreMessage{Kind: "TABLE DATA", Object: g[1], Error: strings.TrimSpace(g[2])})
		c.toc = ""
	case strings.HasPrefix(strings.TrimSpace(line), "Command was:"):
		if c.last != nil && c.last.Command == "" {
			c.last.Command = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "Command was:"))
		}
	case restoreIgnoredRE.MatchString(line):
		c.log.Ignored, _ = strconv.Atoi(restoreIgnoredRE.FindStringSubmatch(line)[1])
	case strings.HasPrefix(line, "pg_restore: error: ") || strings.HasPrefix(line, "pg_restore: [archiver"):
		// Anything else pg_restore calls an error (a worker died, the
		// connection broke, the archive is damaged) loses data.
		msg := strings.TrimSpace(line[strings.Index(line, ":")+1:])
		if strings.Contains(msg, "PROCESSING TOC") || msg == "" {
			return
		}
		msg = strings.TrimSpace(strings.TrimPrefix(msg, "error:"))
		c.log.Failures = append(c.log.Failures, restoreMessage{Error: msg})
		c.last = &c.log.Failures[len(c.log.Failures)-1]
	}
}

// splitTOC splits "TABLE DATA public orders app" into its type and the rest.
func splitTOC(toc string) (kind, object string) {
	if toc == "" {
		return "", ""
	}
	for _, k := range restoreKinds {
		if rest, ok := strings.CutPrefix(toc, k+" "); ok {
			return k, rest
		}
	}
	kind, object, _ = strings.Cut(toc, " ")
	return kind, object
}

// restoreUnsupportedRE: an archive written by a newer pg_dump than this pg_restore.
var restoreUnsupportedRE = regexp.MustCompile(`unsupported version \((1\.\d{1,2})\) in file header`)

// warningSummary groups warnings by what caused them, for a finding:
// `roles missing: anon, authenticated; extensions not installed: pg_graphql`.
func warningSummary(ws []restoreMessage) string {
	roles, exts, other := map[string]bool{}, map[string]bool{}, 0
	roleRE := regexp.MustCompile(`role "([^"]+)" does not exist`)
	extRE := regexp.MustCompile(`extension "([^"]+)"|extension control file ".*/([^/"]+)\.control"`)
	for _, w := range ws {
		switch {
		case roleRE.MatchString(w.Error):
			roles[roleRE.FindStringSubmatch(w.Error)[1]] = true
		case extRE.MatchString(w.Error):
			g := extRE.FindStringSubmatch(w.Error)
			exts[g[1]+g[2]] = true
		default:
			other++
		}
	}
	var parts []string
	if len(roles) > 0 {
		parts = append(parts, "roles missing: "+strings.Join(sortedSet(roles), ", "))
	}
	if len(exts) > 0 {
		parts = append(parts, "extensions not installed: "+strings.Join(sortedSet(exts), ", "))
	}
	if other > 0 {
		parts = append(parts, strconv.Itoa(other)+" other (grants, comments, ownership, event triggers)")
	}
	return strings.Join(parts, "; ")
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// restoreTables shows pg_restore's classified messages (the first 30; the
// step log has them all).
func restoreTables(rl restoreLog) []Table {
	total := len(rl.Failures) + len(rl.Warnings)
	if total == 0 {
		return nil
	}
	t := Table{Title: "pg_restore messages", Columns: []string{"outcome", "entry", "object", "message"}}
	for _, g := range []struct {
		outcome string
		ms      []restoreMessage
	}{{"failure", rl.Failures}, {"warning", rl.Warnings}} {
		for _, m := range g.ms {
			if len(t.Rows) < 30 {
				kind := m.Kind
				if kind == "" {
					kind = "—"
				}
				t.Rows = append(t.Rows, []string{g.outcome, kind, m.Object, m.Error})
			}
		}
	}
	if total > len(t.Rows) {
		t.Rows = append(t.Rows, []string{"", "", "", fmt.Sprintf("… %d more in the step log", total-len(t.Rows))})
	}
	return []Table{t}
}

// restoreFailureFinding describes a failed restore.
func restoreFailureFinding(db string, rl restoreLog, run pgToolRun) Finding {
	f := Finding{Severity: SeverityCritical, Category: "dr", Subject: db,
		Impact:     "this backup does not restore completely: a recovery from it would lose tables or data",
		Resolution: "read the restore step's log for each failed statement; a column type from an extension the restore server lacks is the usual cause (install it there)"}
	if len(rl.Failures) > 0 {
		first := rl.Failures[0]
		f.Title = fmt.Sprintf("Restore of %s failed: %d error(s) on tables or data", db, len(rl.Failures))
		f.Evidence = strings.TrimSpace(first.Kind + " " + first.Object + ": " + first.Error)
		return f
	}
	f.Title = fmt.Sprintf("Restore of %s failed: pg_restore exited with code %d", db, run.Code)
	f.Evidence = lastLine(run.Output, 300)
	return f
}

// restoreFinal reports whether a retry cannot help: a statement on a table
// or its data failed (a broken connection or a dead worker may pass).
func restoreFinal(rl restoreLog) bool {
	for _, f := range rl.Failures {
		if f.Kind != "" {
			return true
		}
	}
	return false
}

// restoreChatterRE matches pg_restore --verbose progress lines.
var restoreChatterRE = regexp.MustCompile(`^pg_restore: (processing item|launching item|finished item|creating |executing |` +
	`processing data for table|entering main parallel loop|finished main parallel loop|entering restore_toc_entries|` +
	`skipping item|connecting to database|setting owner|implied data-only restore|dropping )`)

// restoreChatter reports whether a line is pg_restore --verbose progress,
// kept in the log but not in the report's output tail.
func restoreChatter(line string) bool { return restoreChatterRE.MatchString(line) }
