package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// PostgresDropScratch (`postgres.drop_scratch`) drops scratch databases,
// and only those drillbook created: a database is dropped only when its
// name starts with drill_ and it carries drillbook's marker comment.
// Anything else named in scratch is refused (non-retryable
// ErrTypePGRefused). With scratch empty (the restore never said which), it
// drops every scratch database this run created. Meant as a cleanup step,
// so it runs even when the drill failed; a scratch database that is
// already gone is fine.
//
// Parameters: database (the source, whose server holds the scratch
// database), scratch, target (the server restored onto, if not the
// source's), keep (true: drop nothing and say how to). Outputs: dropped
// (names, comma-separated), count.
func (a *Activities) PostgresDropScratch(ctx context.Context, req ActionRequest) (ActionResult, error) {
	p := newPGParams("postgres.drop_scratch", req.Params)
	ref, scratch, targetRef := p.str("database"), p.str("scratch"), p.str("target")
	keep := p.boolean("keep", false)
	if err := p.done(); err != nil {
		return ActionResult{}, err
	}
	// A cleanup step of a run whose database was never configured has
	// nothing of ours to drop: it must not fail the run.
	if dsn, _ := a.resolveRef(ref); strings.TrimSpace(dsn) == "" && scratch == "" && targetRef == "" {
		return ActionResult{Summary: "no database configured: no scratch database to drop",
			Outputs: map[string]string{"dropped": "", "count": "0"}}, nil
	}
	prog, stopHeartbeat := startPGHeartbeat(ctx, req.StepID)
	defer stopHeartbeat()
	_, dst, err := a.pgSourceAndTarget(req, ref, targetRef)
	if err != nil {
		return ActionResult{}, err
	}
	conn, err := dst.connect(ctx, "")
	if err != nil {
		return ActionResult{}, err
	}
	defer pgClose(conn)
	dbs, err := listDatabases(ctx, conn)
	if err != nil {
		return ActionResult{}, dst.queryError(ctx, "list databases", err)
	}
	var victims []string
	if scratch != "" {
		var found *scratchDB
		for i := range dbs {
			if dbs[i].Name == scratch {
				found = &dbs[i]
			}
		}
		switch {
		case found == nil:
			return ActionResult{Summary: fmt.Sprintf("scratch database %s is already gone", scratch),
				Outputs: map[string]string{"dropped": "", "count": "0"}}, nil
		case found.Marker == nil || !isScratchName(scratch):
			return ActionResult{}, pgFail(ErrTypePGRefused, true, ActionResult{},
				"postgres.drop_scratch refuses to drop %q: drillbook did not create it (no drill_ name and drillbook marker comment)", scratch)
		}
		victims = append(victims, scratch)
	} else {
		for _, d := range dbs {
			if d.Marker != nil && isScratchName(d.Name) && d.Marker.WorkflowID == req.WorkflowID {
				victims = append(victims, d.Name)
			}
		}
	}
	if keep {
		res := ActionResult{Summary: fmt.Sprintf("kept %d scratch database(s) as asked: %s", len(victims), strings.Join(victims, ", ")),
			Outputs: map[string]string{"dropped": "", "count": "0", "kept": strings.Join(victims, ",")}}
		for _, v := range victims {
			res.Findings = append(res.Findings, Finding{Severity: SeverityInfo, Category: "dr", Subject: v,
				Title:      fmt.Sprintf("Scratch database %s was kept (keep_scratch)", v),
				Impact:     "it uses disk space on the server until it is dropped",
				Resolution: fmt.Sprintf(`psql "$DATABASE_URL" -c 'DROP DATABASE %s WITH (FORCE)'`, strings.ReplaceAll(quoteIdent(v), "'", `'\''`))})
		}
		return res, nil
	}
	for _, v := range victims {
		prog.set("drop " + v)
		if err := dropDatabase(ctx, conn, v); err != nil {
			return ActionResult{}, dst.queryError(ctx, "drop scratch database "+v, err)
		}
	}
	summary := "no scratch database to drop"
	if len(victims) > 0 {
		summary = "dropped scratch database(s): " + strings.Join(victims, ", ")
	}
	return ActionResult{Summary: summary,
		Outputs: map[string]string{"dropped": strings.Join(victims, ","), "count": strconv.Itoa(len(victims))}}, nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
