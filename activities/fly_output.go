package activities

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// flyAppsTable is the report's "Fly apps" table: one row per app and process
// group, bounded for history; appNotes come from the findings.
func flyAppsTable(apps []FlyAppReport, appNotes map[string][]string, artifact string) Table {
	t := Table{Title: "Fly apps", Columns: []string{"App", "Type", "Memory", "Status", "Notes"}}
	for _, app := range apps {
		if app.Error != "" {
			t.Rows = append(t.Rows, []string{app.Name, "unknown", "unknown", "unknown", "error: " + app.Error})
			continue
		}
		if len(app.Machines) == 0 {
			t.Rows = append(t.Rows, []string{app.Name, "-", "-", "app " + app.Status, "no machines"})
			continue
		}
		var groups []string
		byGroup := map[string][]FlyMachineReport{}
		for _, m := range app.Machines {
			if _, ok := byGroup[m.ProcessGroup]; !ok {
				groups = append(groups, m.ProcessGroup)
			}
			byGroup[m.ProcessGroup] = append(byGroup[m.ProcessGroup], m)
		}
		for i, g := range groups {
			ms := byGroup[g]
			typ := flyGroupLabel(g)
			if app.FlyPostgres {
				typ = "Fly Postgres"
			}
			var notes []string
			if i == 0 {
				notes = append(notes, appNotes[app.Name]...)
			}
			notes = append(notes, flyGroupNotes(ms)...)
			t.Rows = append(t.Rows, []string{app.Name, typ, flyGroupMemory(ms), flyGroupStatus(app, ms), strings.Join(notes, "; ")})
		}
	}
	if len(t.Rows) > flyMaxRowsInHistory {
		more := len(t.Rows) - flyMaxRowsInHistory
		t.Rows = append(t.Rows[:flyMaxRowsInHistory:flyMaxRowsInHistory],
			[]string{"…", "", "", "", fmt.Sprintf("%d more rows in %s", more, artifact)})
	}
	return t
}

func flyGroupNotes(ms []FlyMachineReport) []string {
	var notes []string
	oom, kills, checks, failing := 0, 0, 0, []string{}
	var last time.Time
	for _, m := range ms {
		o, k, l := flyMachineOOMs(m)
		oom, kills = oom+o, kills+k
		if l.After(last) {
			last = l
		}
		if m.State != "started" {
			continue
		}
		for _, c := range m.Checks {
			checks++
			if c.Status != "passing" {
				failing = append(failing, c.Name+" "+c.Status)
			}
		}
	}
	if oom > 0 {
		notes = append(notes, fmt.Sprintf("OOM-killed %d× (last %s)", oom, last.Format("2006-01-02 15:04 MST")))
	}
	if kills > 0 {
		notes = append(notes, fmt.Sprintf("%d plain kill(s): exit 137 without oom_killed", kills))
	}
	switch {
	case len(failing) > 0:
		notes = append(notes, "checks failing: "+strings.Join(failing, ", "))
	case checks > 0:
		notes = append(notes, "checks passing")
	}
	return notes
}

// flyMachineOOMs counts a machine's OOM kills and plain kills.
func flyMachineOOMs(m FlyMachineReport) (oom, kills int, last time.Time) {
	for _, ev := range m.ExitEvents {
		switch ev.Kind {
		case "oom":
			oom++
			if ev.At.After(last) {
				last = ev.At
			}
		case "killed":
			kills++
		}
	}
	return oom, kills, last
}

// flyGroupMemory is "512 MB", "2 GB ×2" or "512 MB, 1 GB" for mixed sizes.
func flyGroupMemory(ms []FlyMachineReport) string {
	var sizes []int
	for _, m := range ms {
		if !slices.Contains(sizes, m.MemoryMB) {
			sizes = append(sizes, m.MemoryMB)
		}
	}
	slices.Sort(sizes)
	if len(sizes) == 1 {
		if len(ms) > 1 {
			return fmt.Sprintf("%s ×%d", flyMemoryText(sizes[0]), len(ms))
		}
		return flyMemoryText(sizes[0])
	}
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = flyMemoryText(s)
	}
	return strings.Join(parts, ", ")
}

// flyGroupStatus is "started", or counts per state ("1 started, 1 stopped").
func flyGroupStatus(app FlyAppReport, ms []FlyMachineReport) string {
	var states []string
	count := map[string]int{}
	for _, m := range ms {
		if count[m.State] == 0 {
			states = append(states, m.State)
		}
		count[m.State]++
	}
	slices.Sort(states)
	status := states[0]
	if len(states) > 1 {
		parts := make([]string, len(states))
		for i, s := range states {
			parts[i] = fmt.Sprintf("%d %s", count[s], s)
		}
		status = strings.Join(parts, ", ")
	}
	if app.Status != "deployed" && app.Status != "" {
		status += " (app " + app.Status + ")"
	}
	return status
}

// flyWriteArtifact writes v as indented JSON to name under ArtifactsDir
// (atomically, with the package's writeFileAtomic) and returns it with its
// size and sha256.
func (a *Activities) flyWriteArtifact(name string, v any) (Artifact, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return Artifact{}, fmt.Errorf("encode artifact %s: %w", name, err)
	}
	data = append(data, '\n')
	if err := writeFileAtomic(filepath.Join(a.ArtifactsDir, filepath.FromSlash(name)), data, 0o644); err != nil {
		return Artifact{}, fmt.Errorf("write artifact %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	return Artifact{Path: name, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
}

// flyLogger is a.Logger, or a discarding logger.
func (a *Activities) flyLogger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
