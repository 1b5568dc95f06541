package activities

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// artifactName makes s safe as one path component under the artifacts
// directory: characters other than letters, digits, '.', '_' and '-' become
// '_', and a name that had to change (or starts with '.') gets a short hash
// of the original so that two different ids never share a directory.
// Workflow ids are free text; step ids are already safe and stay as they are.
func artifactName(s string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
	if safe == s && s != "" && !strings.HasPrefix(s, ".") && len(s) <= 128 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	safe = strings.TrimLeft(safe, ".")
	if len(safe) > 100 {
		safe = safe[:100]
	}
	if safe == "" {
		safe = "_"
	}
	return safe + "-" + hex.EncodeToString(sum[:4])
}

// artifactsRoot returns the absolute artifacts directory.
func (a *Activities) artifactsRoot() (string, error) {
	dir := a.ArtifactsDir
	if dir == "" {
		dir = DefaultArtifactsDir
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("artifacts directory %q: %w", dir, err)
	}
	return abs, nil
}

// runDir returns the absolute artifacts directory of a run,
// <ArtifactsDir>/<workflow-id>/, creating it.
func (a *Activities) runDir(workflowID string) (string, error) {
	root, err := a.artifactsRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, artifactName(workflowID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create run artifacts directory: %w", err)
	}
	return dir, nil
}

// fileArtifact describes the file at abs: its path relative to the
// artifacts directory (with forward slashes), size and SHA-256.
func (a *Activities) fileArtifact(abs string) (runs.Artifact, error) {
	root, err := a.artifactsRoot()
	if err != nil {
		return runs.Artifact{}, err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return runs.Artifact{}, fmt.Errorf("artifact %s: %w", abs, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return runs.Artifact{}, fmt.Errorf("hash artifact: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return runs.Artifact{}, fmt.Errorf("hash artifact %s: %w", rel, err)
	}
	return runs.Artifact{Path: filepath.ToSlash(rel), Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so that readers see the old or the new content,
// never a part. The directory is created.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", filepath.Base(path), err)
	}
	return nil
}
