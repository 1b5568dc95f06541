package activities

import (
	"cmp"
	"slices"
	"strings"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"
)

// FlyInventoryReport is the full inventory fly.inventory writes as an
// artifact (fly/inventory-<ts>.json). It never holds machine environment
// variables, secrets or the token.
type FlyInventoryReport struct {
	GeneratedAt time.Time      `json:"generated_at"`
	API         string         `json:"api"`
	Org         string         `json:"org"`
	Apps        []FlyAppReport `json:"apps"`
	Findings    []Finding      `json:"findings"`
}

// FlyAppReport is one app. When it could not be read, Status is "unknown"
// and Error says why.
type FlyAppReport struct {
	Name        string             `json:"name"`
	ID          string             `json:"id,omitempty"`
	Status      string             `json:"status"`
	Org         string             `json:"org,omitempty"`
	FlyPostgres bool               `json:"fly_postgres,omitempty"`
	Error       string             `json:"error,omitempty"`
	Machines    []FlyMachineReport `json:"machines"`
}

// FlyMachineReport is one machine of an app.
type FlyMachineReport struct {
	ID            string           `json:"id"`
	Name          string           `json:"name"`
	ProcessGroup  string           `json:"process_group"`
	Region        string           `json:"region"`
	State         string           `json:"state"`
	Image         string           `json:"image,omitempty"`
	CPUKind       string           `json:"cpu_kind"`
	CPUs          int              `json:"cpus"`
	MemoryMB      int              `json:"memory_mb"`
	RestartPolicy string           `json:"restart_policy"`
	Autostop      bool             `json:"autostop,omitempty"`
	Checks        []FlyCheckReport `json:"checks,omitempty"`
	ExitEvents    []FlyExitEvent   `json:"exit_events,omitempty"`
	LastEventAt   *time.Time       `json:"last_event_at,omitempty"`
	// ConfigUpdatedAt is the newest "update" event: the machine has run
	// its current config (e.g. its memory) since then.
	ConfigUpdatedAt *time.Time `json:"config_updated_at,omitempty"`
	CreatedAt       string     `json:"created_at,omitempty"`
	UpdatedAt       string     `json:"updated_at,omitempty"`
}

// FlyCheckReport is the latest result of one health check.
type FlyCheckReport struct {
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	Output    string     `json:"output,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// FlyExitEvent is one exit of a machine's process, from either place the API
// puts it (request.exit_event or request.MonitorEvent.exit_event).
type FlyExitEvent struct {
	At            time.Time `json:"at"` // the event's timestamp
	ExitedAt      time.Time `json:"exited_at,omitzero"`
	ExitCode      int       `json:"exit_code"`
	Signal        int       `json:"signal,omitempty"`
	OOMKilled     bool      `json:"oom_killed,omitempty"`
	RequestedStop bool      `json:"requested_stop,omitempty"`
	Restarting    bool      `json:"restarting,omitempty"`
	Source        string    `json:"source"` // which field it came from
	// Kind: "oom" (oom_killed), "requested_stop" (a stop someone asked for),
	// "killed" (exit 137 / SIGKILL without oom_killed), "crashed" (another
	// non-zero exit) or "exited".
	Kind string `json:"kind"`
}

const maxCheckOutput = 300

// flyAppReport converts what the API returned for one app.
func flyAppReport(app *flaps.App, machines []*fly.Machine) FlyAppReport {
	r := FlyAppReport{Name: app.Name, ID: app.ID, Status: app.Status, Org: app.Organization.Slug}
	if r.Status == "" {
		r.Status = "unknown"
	}
	r.FlyPostgres = app.IsPostgresApp()
	for _, m := range machines {
		mr := flyMachineReport(m)
		r.Machines = append(r.Machines, mr)
		r.FlyPostgres = r.FlyPostgres || flyIsPostgresMachine(m)
	}
	slices.SortFunc(r.Machines, func(a, b FlyMachineReport) int {
		return cmp.Or(cmp.Compare(a.ProcessGroup, b.ProcessGroup), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return r
}

func flyMachineReport(m *fly.Machine) FlyMachineReport {
	r := FlyMachineReport{
		ID:        m.ID,
		Name:      m.Name,
		Region:    m.Region,
		State:     m.State,
		CreatedAt: m.CreatedAt,
		UpdatedAt: m.UpdatedAt,
	}
	if c := m.Config; c != nil {
		r.ProcessGroup = c.ProcessGroup()
		r.Image = c.Image
		if c.Guest != nil {
			r.CPUKind, r.CPUs, r.MemoryMB = c.Guest.CPUKind, c.Guest.CPUs, c.Guest.MemoryMB
		}
		if c.Restart != nil {
			r.RestartPolicy = string(c.Restart.Policy)
		}
		for _, s := range c.Services {
			if s.Autostop != nil && *s.Autostop != fly.MachineAutostopOff {
				r.Autostop = true
			}
		}
	}
	if r.RestartPolicy == "" {
		r.RestartPolicy = "on-failure" // the API's default when none is set
	}
	for _, c := range m.Checks {
		out := c.Output
		if len(out) > maxCheckOutput {
			out = out[:maxCheckOutput] + "…"
		}
		r.Checks = append(r.Checks, FlyCheckReport{Name: c.Name, Status: string(c.Status), Output: out, UpdatedAt: c.UpdatedAt})
	}
	slices.SortFunc(r.Checks, func(a, b FlyCheckReport) int { return cmp.Compare(a.Name, b.Name) })
	r.ExitEvents = flyExitEvents(m.Events)
	for _, ev := range m.Events {
		if ev == nil {
			continue
		}
		t := ev.Time().UTC()
		if r.LastEventAt == nil || t.After(*r.LastEventAt) {
			r.LastEventAt = &t
		}
		if ev.Type == "update" && (r.ConfigUpdatedAt == nil || t.After(*r.ConfigUpdatedAt)) {
			r.ConfigUpdatedAt = &t
		}
	}
	return r
}

// flyExitEvents collects exit events from both places the API puts them and
// sorts them by timestamp, oldest first.
func flyExitEvents(events []*fly.MachineEvent) []FlyExitEvent {
	var out []FlyExitEvent
	for _, ev := range events {
		if ev == nil || ev.Request == nil {
			continue
		}
		x, source := ev.Request.ExitEvent, "request.exit_event"
		if mon := ev.Request.MonitorEvent; mon != nil && mon.ExitEvent != nil {
			if x == nil {
				x, source = mon.ExitEvent, "request.MonitorEvent.exit_event"
			} else { // both: one exit, reported twice; keep any flag either sets
				merged := *x
				merged.OOMKilled = x.OOMKilled || mon.ExitEvent.OOMKilled
				merged.RequestedStop = x.RequestedStop || mon.ExitEvent.RequestedStop
				x, source = &merged, "request.exit_event+MonitorEvent"
			}
		}
		if x == nil {
			continue
		}
		e := FlyExitEvent{
			At:            ev.Time().UTC(),
			ExitedAt:      x.ExitedAt.UTC(),
			ExitCode:      x.ExitCode,
			Signal:        x.Signal,
			OOMKilled:     x.OOMKilled,
			RequestedStop: x.RequestedStop,
			Restarting:    x.Restarting,
			Source:        source,
		}
		if x.ExitedAt.IsZero() {
			e.ExitedAt = time.Time{}
		}
		switch {
		case x.OOMKilled:
			e.Kind = "oom"
		case x.RequestedStop:
			e.Kind = "requested_stop"
		case x.ExitCode == 137 || x.Signal == 9:
			e.Kind = "killed"
		case x.ExitCode != 0:
			e.Kind = "crashed"
		default:
			e.Kind = "exited"
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b FlyExitEvent) int { return a.At.Compare(b.At) })
	return out
}

// isFlyPostgres tells a Fly Postgres machine (postgres, postgres-ha,
// postgres-flex images, or the labels and metadata fly pg create sets).
func flyIsPostgresMachine(m *fly.Machine) bool {
	if strings.HasPrefix(m.ImageRef.Repository, "flyio/postgres") || m.ImageRef.Labels["fly.app_role"] == "postgres_cluster" {
		return true
	}
	if c := m.Config; c != nil {
		image := c.Image
		if i := strings.LastIndex(image, "/flyio/"); i >= 0 {
			image = image[i+1:]
		}
		if strings.HasPrefix(image, "flyio/postgres") || c.Metadata["fly-managed-postgres"] == "true" {
			return true
		}
	}
	return false
}
