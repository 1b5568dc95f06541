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

// Actions is the table of built-in actions.
var Actions = []ActionSpec{
	{Name: "fly.inventory", Doc: "apps, process groups, machines, memory, state and recent exit events; findings for OOM, undersized, suspended and unused apps and policy breaches",
		Params: []Param{
			{Name: "org", Type: TypeString, Required: true, Doc: "Fly organization slug"},
			{Name: "apps", Type: TypeList, Doc: "app names to inspect; all apps of the org when empty"},
			{Name: "token_env", Type: TypeString, Doc: "environment variable holding the Fly API token (default FLY_API_TOKEN)"},
			{Name: "policy", Type: TypeMap, Doc: "expected state per app or pattern, e.g. {\"*-staging\": suspended}"},
			{Name: "memory_floors", Type: TypeMap, Doc: "minimum guest memory in MB per app or process group"},
			{Name: "window", Type: TypeDuration, Doc: "how far back to read machine events (e.g. 168h)"},
			{Name: "price_table", Type: TypeMap, Doc: "monthly USD per guest size, to price findings"},
			{Name: "exclude", Type: TypeList, Doc: "app names to leave out"},
		}},
	{Name: "fly.scale_memory", Risky: true, Doc: "updates a machine's guest memory",
		Params: []Param{
			{Name: "app", Type: TypeString, Required: true},
			{Name: "machine", Type: TypeString, Doc: "machine id; all machines of the app when empty"},
			{Name: "memory_mb", Type: TypeInt, Required: true},
			{Name: "token_env", Type: TypeString},
		}},
	{Name: "fly.destroy_app", Risky: true, Doc: "destroys an app",
		Params: []Param{
			{Name: "app", Type: TypeString, Required: true},
			{Name: "token_env", Type: TypeString},
		}},
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
			{Name: "expect", Type: TypeMap, Doc: "JSON field -> expected value"},
			{Name: "timeout", Type: TypeDuration},
			{Name: "insecure", Type: TypeBool},
		}},
	{Name: "postgres.preflight", Doc: "server version vs pg_dump client version; picks a matching client",
		Params: []Param{database}},
	{Name: "postgres.backup", Doc: "pg_dump (custom format) to the artifacts dir; sha256; per-table row counts",
		Params: []Param{database,
			{Name: "keep", Type: TypeInt, Doc: "backups to keep; older ones are removed"},
		}},
	{Name: "postgres.restore", Doc: "restore into a new scratch database (never the source)",
		Params: []Param{database,
			{Name: "backup", Type: TypeString, Doc: "dump path, usually ${steps.backup.outputs.path}"},
			{Name: "jobs", Type: TypeInt, Doc: "pg_restore --jobs"},
		}},
	{Name: "postgres.verify", Doc: "source vs restored: row counts, checksums, newest timestamp; RTO and RPO",
		Params: []Param{database,
			{Name: "scratch", Type: TypeString, Doc: "restored database, usually ${steps.restore.outputs.scratch}"},
			{Name: "rto_budget", Type: TypeDuration},
			{Name: "rpo_budget", Type: TypeDuration},
			{Name: "sample_threshold", Type: TypeInt, Doc: "tables above this many rows are compared by sample"},
		}},
	{Name: "postgres.drop_scratch", Doc: "drops only scratch databases this tool created",
		Params: []Param{database,
			{Name: "scratch", Type: TypeString},
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
