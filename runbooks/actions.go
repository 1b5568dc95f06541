package runbooks

import "sort"

// ParamType is the type of an action parameter.
type ParamType string

// The parameter types. Any value may instead be a string holding a
// ${...} reference, which is resolved when the step runs.
const (
	TypeString   ParamType = "string"
	TypeInt      ParamType = "int"
	TypeNumber   ParamType = "number"
	TypeBool     ParamType = "bool"
	TypeDuration ParamType = "duration" // a Go duration string: 800ms, 5m, 1h30m
	TypeList     ParamType = "list"
	TypeMap      ParamType = "map"
	TypeAny      ParamType = "any"
)

// Param describes one parameter of a built-in action.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	Enum     []string // allowed values of a string parameter, if limited
	Doc      string
}

// ActionSpec describes a built-in action: the `drill NAME` blocks the linter
// accepts and the parameters their YAML body may hold. Activities implement
// them (DESIGN.md, "Built-in actions"); later issues extend this table.
type ActionSpec struct {
	Name string
	Doc  string
	// Risky actions change or destroy infrastructure: they are dry-run unless
	// the run has apply=true and they always wait for approval.
	Risky  bool
	Params []Param
}

// Param returns the parameter named name, or nil.
func (a *ActionSpec) Param(name string) *Param {
	for i := range a.Params {
		if a.Params[i].Name == name {
			return &a.Params[i]
		}
	}
	return nil
}

var database = Param{Name: "database", Type: TypeString, Required: true,
	Doc: "connection string, usually env:NAME or ${inputs.database}; never a literal secret"}

// flyCommon are the parameters every fly.* action accepts.
var flyCommon = []Param{
	{Name: "token_env", Type: TypeString, Doc: "the worker's environment variable holding the Fly API token (default FLY_API_TOKEN)"},
	{Name: "token", Type: TypeString, Doc: "env:NAME only, the same as token_env: NAME; never the token itself"},
	{Name: "base_url", Type: TypeString, Doc: "Machines API address (default $FLY_FLAPS_BASE_URL, else https://api.machines.dev)"},
}

// Actions is the table of built-in actions.
var Actions = []ActionSpec{
	{Name: "fly.inventory", Doc: "apps, process groups, machines, memory, state and recent exit events; findings for OOM kills, memory below a floor, failing checks, stopped machines, suspended or unused apps and policy breaches; outputs oom_app, oom_machine, oom_recommended_mb and unused_app for remediation steps",
		Params: append([]Param{
			{Name: "org", Type: TypeString, Doc: "Fly organization slug (default personal)"},
			{Name: "apps", Type: TypeList, Doc: "app names to inspect; all apps of the org when empty"},
			{Name: "oom_window", Type: TypeDuration, Doc: "count only OOM kills this recent (e.g. 168h); by default every exit event Fly still lists"},
			{Name: "unused_days", Type: TypeInt, Doc: "an app with no started machine for this many days is unused (default 30)"},
			{Name: "memory_floors", Type: TypeMap, Doc: "minimum memory per process group, in MB or like \"2GB\", e.g. {worker: 2048}"},
			{Name: "policies", Type: TypeList, Doc: "rules to check, e.g. \"no Fly Postgres apps; Supabase only\""},
			{Name: "prices", Type: TypeMap, Doc: "USD per month per machine size, e.g. {\"shared-cpu-1x:256\": 1.94}, for the yearly cost of unused apps"},
		}, flyCommon...)},
	{Name: "fly.scale_memory", Risky: true, Doc: "sets the guest memory of a machine, or of every machine of a process group",
		Params: append([]Param{
			{Name: "app", Type: TypeString, Required: true},
			{Name: "machine", Type: TypeString, Doc: "machine id (give machine or process_group)"},
			{Name: "process_group", Type: TypeString, Doc: "every machine of this process group, one at a time"},
			{Name: "memory", Type: TypeAny, Required: true, Doc: "target memory in MB, or a size like \"2GB\"; a multiple of 256 MB"},
			{Name: "wait_timeout", Type: TypeDuration, Doc: "how long a started machine may take to start again (default 60s)"},
		}, flyCommon...)},
	{Name: "fly.destroy_app", Risky: true, Doc: "destroys an app (refuses one with started machines unless force)",
		Params: append([]Param{
			{Name: "app", Type: TypeString, Required: true},
			{Name: "force", Type: TypeBool, Doc: "destroy even if machines are running"},
		}, flyCommon...)},
	{Name: "http.probe", Doc: "N timed requests per target; p50/p95/p99/avg against a budget",
		Params: []Param{
			{Name: "targets", Type: TypeList, Required: true, Doc: "URLs, or mappings {name, url, budget}"},
			{Name: "samples", Type: TypeInt, Doc: "requests per target"},
			{Name: "concurrency", Type: TypeInt},
			{Name: "budget", Type: TypeDuration, Doc: "latency budget for the percentile"},
			{Name: "percentile", Type: TypeString, Enum: []string{"p50", "p90", "p95", "p99", "avg"}},
			{Name: "interval", Type: TypeDuration, Doc: "pause between requests"},
			{Name: "timeout", Type: TypeDuration, Doc: "per request"},
			{Name: "insecure", Type: TypeBool, Doc: "skip TLS verification"},
			{Name: "follow_redirects", Type: TypeBool},
		}},
	{Name: "http.health", Doc: "status and JSON body expectations, e.g. Chatwoot /api",
		Params: []Param{
			{Name: "url", Type: TypeString, Required: true},
			{Name: "expect_status", Type: TypeInt},
			{Name: "expect", Type: TypeMap, Doc: "JSON field (or dotted path) -> expected value"},
			{Name: "expect_present", Type: TypeList, Doc: "JSON fields that must be present, whatever their value"},
			{Name: "timeout", Type: TypeDuration},
			{Name: "insecure", Type: TypeBool},
		}},
	{Name: "postgres.preflight", Doc: "server version vs pg_dump client version; picks a matching client; database size and extensions",
		Params: []Param{database}},
	{Name: "postgres.backup", Doc: "pg_dump (custom format) to the artifacts dir from an exported snapshot; sha256; manifest of per-table row counts, checksums and newest timestamps; outputs path, bytes, sha256",
		Params: []Param{database,
			{Name: "keep", Type: TypeInt, Doc: "backups of this database to keep (default 7); older ones are removed"},
			{Name: "compress", Type: TypeInt, Doc: "pg_dump --compress level, 0-9 (default 1: about twice as fast as pg_dump's 6, a few percent larger)"},
			{Name: "sample_threshold", Type: TypeInt, Doc: "tables above this many rows get a sample checksum instead of a full one (default 100000)"},
		}},
	{Name: "postgres.restore", Doc: "restore into a new scratch database drill_<db>_<time> (never the source); outputs scratch",
		Params: []Param{database,
			{Name: "backup", Type: TypeString, Required: true, Doc: "dump path, usually ${steps.backup.outputs.path}"},
			{Name: "jobs", Type: TypeInt, Doc: "pg_restore --jobs (default 2)"},
			{Name: "target", Type: TypeString, Doc: "another server to restore onto, env:NAME (default: the source's server)"},
			{Name: "scratch", Type: TypeString, Doc: "scratch database name, must start with drill_ (default: generated)"},
		}},
	{Name: "postgres.verify", Doc: "backup vs restored copy: row counts, checksums, newest timestamp; RTO and RPO against budgets",
		Params: []Param{database,
			{Name: "scratch", Type: TypeString, Required: true, Doc: "restored database, usually ${steps.restore.outputs.scratch}"},
			{Name: "target", Type: TypeString, Doc: "the server restored onto, if not the source's"},
			{Name: "backup", Type: TypeString, Doc: "dump whose manifest is the reference (default: the one the scratch database was restored from)"},
			{Name: "restore_started", Type: TypeString, Doc: "RFC 3339 start of the restore, for RTO (default: from the scratch database)"},
			{Name: "rto_budget", Type: TypeDuration, Doc: "longest acceptable restore (default 30m)"},
			{Name: "rpo_budget", Type: TypeDuration, Doc: "most acceptable data loss (default 1h)"},
			{Name: "sample_threshold", Type: TypeInt, Doc: "without a manifest: tables above this many rows are compared by sample"},
		}},
	{Name: "postgres.drop_scratch", Doc: "drops only scratch databases this tool created (drill_ name and marker comment)",
		Params: []Param{database,
			{Name: "scratch", Type: TypeString, Doc: "the scratch database; empty: every one this run created"},
			{Name: "target", Type: TypeString, Doc: "the server restored onto, if not the source's"},
			{Name: "keep", Type: TypeBool, Doc: "keep the scratch database (e.g. ${inputs.keep_scratch})"},
		}},
}

// LookupAction returns the spec of a built-in action.
func LookupAction(name string) (*ActionSpec, bool) {
	for i := range Actions {
		if Actions[i].Name == name {
			return &Actions[i], true
		}
	}
	return nil, false
}

// ActionNames returns the names of the built-in actions, sorted.
func ActionNames() []string {
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = a.Name
	}
	sort.Strings(names)
	return names
}
