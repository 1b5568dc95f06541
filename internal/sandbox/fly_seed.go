// Package sandbox holds local stand-ins for what the tests and the demo cannot
// reach: a Fly Machines API emulator (fly*.go) and demo HTTP targets.
package sandbox

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

//go:embed fly_seed_default.json
var defaultFlySeed []byte

// FlySeed is the estate a FlyEmulator starts with: apps in the shape of
// `GET /v1/apps/{app}`, each with its machines in the shape of
// `GET /v1/apps/{app}/machines/{id}`. Machines are kept as raw JSON and served
// as given, quirks included.
type FlySeed struct {
	Apps []FlySeedApp `json:"apps"`
}

// FlySeedApp is one app of a seed.
type FlySeedApp struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	Organization FlySeedOrg        `json:"organization"`
	Network      string            `json:"network,omitempty"`
	VolumeCount  int               `json:"volume_count,omitempty"`
	Machines     []json.RawMessage `json:"machines"`
}

// FlySeedOrg is an app's organization.
type FlySeedOrg struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// DefaultFlySeed returns the estate of HotDash's first audit: a Chatwoot app
// (Rails web + a 512 MB Sidekiq worker that was OOM-killed), a staging app with
// one of two machines stopped, a Fly Postgres app and a suspended MCP server.
func DefaultFlySeed() *FlySeed {
	seed, err := ParseFlySeed(defaultFlySeed)
	if err != nil {
		panic(fmt.Sprintf("sandbox: embedded fly seed is invalid: %v", err))
	}
	return seed
}

// LoadFlySeed reads and validates a seed file.
func LoadFlySeed(path string) (*FlySeed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fly seed: %w", err)
	}
	seed, err := ParseFlySeed(data)
	if err != nil {
		return nil, fmt.Errorf("fly seed %s: %w", path, err)
	}
	return seed, nil
}

// ParseFlySeed decodes and validates a seed: unknown top-level or app fields,
// duplicate names and machines without an id or state are errors.
func ParseFlySeed(data []byte) (*FlySeed, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var seed FlySeed
	if err := dec.Decode(&seed); err != nil {
		return nil, fmt.Errorf("decode fly seed: %w", err)
	}
	var problems []string
	apps := map[string]bool{}
	machines := map[string]bool{}
	for i, app := range seed.Apps {
		if app.Name == "" {
			problems = append(problems, fmt.Sprintf("apps[%d]: name is empty", i))
			continue
		}
		if apps[app.Name] {
			problems = append(problems, fmt.Sprintf("apps[%d]: duplicate app %q", i, app.Name))
		}
		apps[app.Name] = true
		if app.Organization.Slug == "" {
			problems = append(problems, fmt.Sprintf("app %s: organization.slug is empty", app.Name))
		}
		for j, raw := range app.Machines {
			var m struct {
				ID    string `json:"id"`
				State string `json:"state"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				problems = append(problems, fmt.Sprintf("app %s machines[%d]: %v", app.Name, j, err))
				continue
			}
			switch {
			case m.ID == "":
				problems = append(problems, fmt.Sprintf("app %s machines[%d]: id is empty", app.Name, j))
			case m.State == "":
				problems = append(problems, fmt.Sprintf("app %s machine %s: state is empty", app.Name, m.ID))
			case machines[m.ID]:
				problems = append(problems, fmt.Sprintf("app %s: duplicate machine id %s", app.Name, m.ID))
			}
			machines[m.ID] = true
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return &seed, nil
}
