package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotdash/drillbook/runs"
)

// Bounds of the table a sql step returns (it travels in workflow history).
const (
	SQLMaxRows    = 50
	SQLMaxColumns = 20
	SQLMaxCell    = 200 // characters
	sqlMaxOutput  = 1 << 10
	sqlMaxOutCols = 50
)

// sqlStatement is what one statement of a body returned, bounded.
type sqlStatement struct {
	tag      string
	columns  []string   // all column names
	rows     [][]string // at most SQLMaxRows, each at most SQLMaxColumns cells
	first    []*string  // the first row, for outputs; nil cells are NULL
	total    int64      // rows returned
	affected int64
}

// readStatements runs body with the simple protocol (which allows several
// statements) and returns the last statement's result. Command tags go to
// out as they complete; rows counts rows read so far, for heartbeats.
func readStatements(ctx context.Context, pc *pgconn.PgConn, body string, out *sqlOutput, rows *atomic.Int64) (sqlStatement, error) {
	var last sqlStatement
	mrr := pc.Exec(ctx, body)
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		var cur sqlStatement
		for _, f := range rr.FieldDescriptions() {
			cur.columns = append(cur.columns, f.Name)
		}
		for rr.NextRow() {
			cur.total++
			rows.Add(1)
			vals := rr.Values() // valid until the next row: copied below
			if cur.total == 1 {
				for _, v := range vals[:min(len(vals), sqlMaxOutCols)] {
					var s *string
					if v != nil {
						t := truncateBytes(string(v), sqlMaxOutput)
						s = &t
					}
					cur.first = append(cur.first, s)
				}
			}
			if cur.total <= SQLMaxRows {
				row := make([]string, 0, min(len(vals), SQLMaxColumns))
				for _, v := range vals[:min(len(vals), SQLMaxColumns)] {
					row = append(row, sqlCell(v))
				}
				cur.rows = append(cur.rows, row)
			}
		}
		tag, err := rr.Close()
		if err != nil {
			_ = mrr.Close()
			return last, err
		}
		cur.tag, cur.affected = tag.String(), tag.RowsAffected()
		out.command(cur.tag)
		last = cur
	}
	return last, mrr.Close()
}

// sqlCell renders one value for the table: NULL, or the text cut to
// SQLMaxCell characters.
func sqlCell(v []byte) string {
	if v == nil {
		return "NULL"
	}
	s := strings.ToValidUTF8(string(v), "\uFFFD")
	if utf8.RuneCountInString(s) <= SQLMaxCell {
		return s
	}
	return string([]rune(s)[:SQLMaxCell-1]) + "…"
}

// truncateBytes cuts s to at most n bytes at a character boundary.
func truncateBytes(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sqlOutput collects what a psql user would see: command tags and notices,
// redacted, bounded to the last TailBytes.
type sqlOutput struct {
	red        *redactor
	tail       *tailBuffer
	statements int
}

func (o *sqlOutput) command(tag string) {
	o.statements++
	if tag != "" {
		fmt.Fprintln(o.tail, tag)
	}
}

func (o *sqlOutput) notice(n *pgconn.Notice) {
	fmt.Fprintf(o.tail, "%s:  %s\n", n.Severity, o.red.String(n.Message))
}

// result builds the step's result from the last statement.
func (o *sqlOutput) result(step string, last sqlStatement, write bool, elapsed time.Duration) runs.ActionResult {
	res := runs.ActionResult{OutputTail: o.red.String(o.tail.String())}
	mode := "read-only, rolled back"
	if write {
		mode = "committed"
	}
	n := last.affected
	if len(last.columns) > 0 {
		n = last.total
	}
	res.Outputs = map[string]string{"rows": strconv.FormatInt(n, 10)}
	res.Summary = fmt.Sprintf("%d statement(s) in %s (%s); last: %s", o.statements, elapsed.Round(time.Millisecond), mode, last.tag)
	if len(last.columns) == 0 {
		return res
	}
	cols := last.columns[:min(len(last.columns), SQLMaxColumns)]
	table := runs.Table{Title: step, Columns: make([]string, len(cols)), Rows: last.rows}
	for i, c := range cols {
		table.Columns[i] = truncateBytes(c, SQLMaxCell)
	}
	for i := range table.Rows {
		for j := range table.Rows[i] {
			table.Rows[i][j] = o.red.String(table.Rows[i][j])
		}
	}
	if table.Rows == nil {
		table.Rows = [][]string{}
	}
	res.Tables = []runs.Table{table}
	if last.total > SQLMaxRows || len(last.columns) > SQLMaxColumns {
		res.Summary += fmt.Sprintf(" (table shows %d of %d rows, %d of %d columns)",
			len(last.rows), last.total, len(cols), len(last.columns))
	}
	if last.total == 1 {
		seen := map[string]bool{}
		for i, c := range last.columns[:min(len(last.columns), len(last.first))] {
			if !outputKeyRE.MatchString(c) || seen[c] { // the first of two same-named columns wins
				continue
			}
			seen[c] = true
			v := ""
			if last.first[i] != nil {
				v = o.red.String(*last.first[i])
			}
			res.Outputs[c] = v
		}
	}
	return res
}
