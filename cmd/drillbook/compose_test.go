package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/contrib/envconfig"
	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string                       `yaml:"image"`
	Build       any                          `yaml:"build"`
	Command     []string                     `yaml:"command"`
	Environment map[string]string            `yaml:"environment"`
	DependsOn   map[string]map[string]string `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// documentedEnv are the non-Temporal variables drillbook reads (README, "Environment").
var documentedEnv = []string{"DATABASE_URL", "FLY_API_TOKEN", "FLY_FLAPS_BASE_URL", "DRILLBOOK_ARTIFACTS_DIR"}

// recordingEnv records which variables envconfig looks up.
type recordingEnv struct{ seen map[string]bool }

func (r recordingEnv) Environ() []string { return nil }
func (r recordingEnv) LookupEnv(k string) (string, bool) {
	r.seen[k] = true
	return "", false
}

func TestDockerComposeWorkerMatchesTheCLI(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose composeFile
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"postgresql", "temporal", "temporal-ui", "worker"} {
		if _, ok := compose.Services[name]; !ok {
			t.Errorf("service %q missing", name)
		}
	}
	for _, name := range []string{"postgresql", "temporal"} {
		if hc := compose.Services[name].Healthcheck; hc == nil || len(hc.Test) == 0 {
			t.Errorf("service %q has no healthcheck", name)
		}
	}
	// Every depends_on waits for a condition, on a service that exists and can satisfy it.
	for name, svc := range compose.Services {
		for dep, cond := range svc.DependsOn {
			target, ok := compose.Services[dep]
			if !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
				continue
			}
			switch cond["condition"] {
			case "service_healthy":
				if target.Healthcheck == nil {
					t.Errorf("%s waits for %s to be healthy, but it has no healthcheck", name, dep)
				}
			case "service_completed_successfully":
			default:
				t.Errorf("%s depends on %s without a condition", name, dep)
			}
		}
	}

	w := compose.Services["worker"]
	if w.Build == nil {
		t.Error("worker is not built from the repo's Dockerfile")
	}
	if len(w.Command) == 0 || w.Command[0] != "worker" {
		t.Fatalf("worker command %v does not run `drillbook worker`", w.Command)
	}
	cmd := newWorkerCmd()
	if err := cmd.ParseFlags(w.Command[1:]); err != nil {
		t.Errorf("`drillbook worker` rejects the compose command %v: %v", w.Command, err)
	}
	if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
		t.Errorf("`drillbook worker` rejects arguments %v: %v", cmd.Flags().Args(), err)
	}

	env := recordingEnv{seen: map[string]bool{}}
	if _, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: env, DisableFile: true}); err != nil {
		t.Fatal(err)
	}
	if !env.seen["TEMPORAL_ADDRESS"] {
		t.Fatal("recording the envconfig variables failed")
	}
	for name := range w.Environment {
		if strings.HasPrefix(name, "TEMPORAL_") {
			if !env.seen[name] {
				t.Errorf("worker variable %s is not read by envconfig", name)
			}
		} else if !slices.Contains(documentedEnv, name) {
			t.Errorf("worker variable %s is not one drillbook reads", name)
		}
	}
	for _, required := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
		if _, ok := w.Environment[required]; !ok {
			t.Errorf("worker lacks %s", required)
		}
	}
}
