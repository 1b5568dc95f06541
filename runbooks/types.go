// Package runbooks parses drillbook's Markdown runbooks into plain,
// JSON-serialisable Runbook values and lints them.
//
// A runbook is ordinary Markdown; drillbook gives meaning to its front matter,
// its fenced code blocks and its task-list items (see docs/runbook-format.md and DESIGN.md,
// "The runbook format"). Parse never runs anything and never panics on bad
// input: problems it meets become Diagnostics that Lint reports.
package runbooks

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind says how a step runs.
type Kind string

// The step kinds.
const (
	KindShell  Kind = "shell"  // sh, bash or shell block, run by the shell action
	KindSQL    Kind = "sql"    // sql block, run with pgx (read-only unless write=true)
	KindAction Kind = "action" // drill ACTION block: a built-in action with YAML parameters
	KindManual Kind = "manual" // task-list item: an operator completes or skips it
)

// Runbook is a parsed runbook. It holds only plain data so that it can travel
// in Temporal workflow history as JSON.
type Runbook struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Path is the name the runbook was parsed under; diagnostics carry it.
	Path string `json:"path,omitempty"`
	// Hash is the hex SHA-256 of the normalised source (see Normalise).
	Hash     string    `json:"hash"`
	Inputs   []Input   `json:"inputs,omitempty"`
	Sections []Section `json:"sections,omitempty"`
	Steps    []Step    `json:"steps"`
	// Skipped lists the code blocks that do not run and says why.
	Skipped []Block `json:"skipped,omitempty"`
	// Diagnostics are the problems found while parsing; Lint reports them
	// together with its own.
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
}

// Input is a runbook input declared in the front matter.
type Input struct {
	Name        string `json:"name"`
	Default     any    `json:"default,omitempty"`
	Secret      bool   `json:"secret,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Description string `json:"description,omitempty"`
	Line        int    `json:"line"`
}

// Section is a heading and the content under it, up to the next heading of
// the same or a higher level.
type Section struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Level  int    `json:"level"`
	Parent string `json:"parent,omitempty"` // id of the enclosing section
	// Parallel is set by the heading attribute {parallel=true}: the child
	// sections of this section run concurrently.
	Parallel bool   `json:"parallel,omitempty"`
	Attrs    []Attr `json:"attrs,omitempty"`
	Line     int    `json:"line"`
}

// Step is one runnable block or manual task, in document order.
type Step struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Kind        Kind   `json:"kind"`
	Action      string `json:"action,omitempty"`   // for KindAction, e.g. "postgres.backup"
	Language    string `json:"language,omitempty"` // the info string's first word, lower case
	Body        string `json:"body,omitempty"`
	// Params are the YAML parameters of an action step.
	Params map[string]any `json:"params,omitempty"`
	// ExpectedOutput is the output shown for the step: the non-command lines
	// of a `$ ` transcript or a display-only block right after the step.
	ExpectedOutput string `json:"expected_output,omitempty"`
	// Attrs are the attributes exactly as written in the info string.
	Attrs []Attr `json:"attrs,omitempty"`
	// Options are the drillbook attributes, typed. Values that do not parse
	// are left zero here and reported by Lint.
	Options Options `json:"options,omitzero"`
	// Checked is true for a manual step written as `- [x]`.
	Checked bool `json:"checked,omitempty"`
	// Section is the id of the innermost section holding the step and
	// SectionPath the titles of the sections from the outermost in.
	Section     string   `json:"section,omitempty"`
	SectionPath []string `json:"section_path,omitempty"`
	// ParallelGroup is the id of the {parallel=true} section the step is in
	// and Branch the id of the child section of that group holding the step
	// (empty for a step directly under the parallel heading: such steps run
	// before the branches).
	ParallelGroup string `json:"parallel_group,omitempty"`
	Branch        string `json:"branch,omitempty"`
	Line          int    `json:"line"`
	Col           int    `json:"col"`

	// paramPos holds the file position of each top-level parameter key, for
	// diagnostics. It is not serialised: a Step decoded from JSON lints with
	// the step's own position.
	paramPos map[string]pos
	// lines is the file position of each line of Body.
	lines []pos
}

// Attr is one attribute of an info string, as written.
type Attr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Col   int    `json:"col"` // column of the key on the step's line
}

// Options are a step's typed attributes (DESIGN.md, "The runbook format").
type Options struct {
	Timeout   Duration `json:"timeout,omitempty"`
	Retries   *int     `json:"retries,omitempty"`
	Backoff   Duration `json:"backoff,omitempty"`
	Heartbeat Duration `json:"heartbeat,omitempty"`
	OnFailure string   `json:"on_failure,omitempty"` // abort, continue or pause
	Approval  string   `json:"approval,omitempty"`   // required or none
	Cleanup   bool     `json:"cleanup,omitempty"`
	When      string   `json:"when,omitempty"`
	Write     bool     `json:"write,omitempty"`
	Database  string   `json:"database,omitempty"` // sql: env:NAME or ${inputs.NAME}
	DBName    string   `json:"dbname,omitempty"`   // sql: database name on that server
}

// Block is a code block that does not run, with the reason.
type Block struct {
	Language string `json:"language,omitempty"`
	Reason   string `json:"reason"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
}

// Duration is a time.Duration that travels in JSON as a Go duration string
// such as "5m0s".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON encodes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts a duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("duration: want a string such as \"5m\", got %s", b)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// Runnable reports whether the step runs code (as opposed to a manual task).
func (s *Step) Runnable() bool { return s.Kind != KindManual }

// Attr returns the value of the attribute named key as written, and whether
// it is present.
func (s *Step) Attr(key string) (string, bool) {
	for _, a := range s.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// Step returns the step with the given id, or nil.
func (rb *Runbook) Step(id string) *Step {
	for i := range rb.Steps {
		if rb.Steps[i].ID == id {
			return &rb.Steps[i]
		}
	}
	return nil
}

// Input returns the input with the given name, or nil.
func (rb *Runbook) Input(name string) *Input {
	for i := range rb.Inputs {
		if rb.Inputs[i].Name == name {
			return &rb.Inputs[i]
		}
	}
	return nil
}
