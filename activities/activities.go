package activities

import (
	"io"
	"log/slog"
	"os"
)

// Activities holds the clients and settings every activity uses. The worker
// builds one and registers all its methods; tests build their own.
type Activities struct {
	// ArtifactsDir is where logs, dumps, samples and reports are written.
	ArtifactsDir string
	// RunbooksDir, when set, is searched for runbooks before the embedded ones.
	RunbooksDir string
	// Logger gets the worker's logs; never log a secret value.
	Logger *slog.Logger
	// Env reads the worker's environment (os.Getenv by default); `env:NAME`
	// references are resolved through it, inside the worker only.
	Env func(string) string
	// Fly configures the fly.* actions (fly_config.go).
	Fly FlyConfig
	// SearchAttributes is true when the namespace has RunbookID and
	// RunbookHash, so runs may set them (the worker checks at start).
	SearchAttributes bool
	// InputDefaults replace runbook input defaults by name, for every runbook
	// this worker loads (e.g. `dev --sandbox` points the audit's URLs at the
	// local stand-ins). The run shows the values it used.
	InputDefaults map[string]string
}

// Options configure New.
type Options struct {
	ArtifactsDir string
	RunbooksDir  string
	Logger       *slog.Logger
	Env          func(string) string
	Fly          FlyConfig
}

// DefaultArtifactsDir is used when no artifacts directory is configured.
const DefaultArtifactsDir = "artifacts"

// New returns Activities with defaults filled in.
func New(opts Options) *Activities {
	a := &Activities{
		ArtifactsDir: opts.ArtifactsDir,
		RunbooksDir:  opts.RunbooksDir,
		Logger:       opts.Logger,
		Env:          opts.Env,
		Fly:          opts.Fly,
	}
	if a.ArtifactsDir == "" {
		a.ArtifactsDir = DefaultArtifactsDir
	}
	if a.Logger == nil {
		a.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.Env == nil {
		a.Env = os.Getenv
	}
	return a
}
