package main

import (
	"context"
	"net"
	"path/filepath"
	"testing"
)

// TestDevSandboxKeepsItsPorts: a second sandbox started with the same
// ports file listens where the first one did; a port taken in the
// meantime falls back to a free one.
func TestDevSandboxKeepsItsPorts(t *testing.T) {
	file := filepath.Join(t.TempDir(), sandboxPortsFile)
	first, err := startDevSandbox(context.Background(), nil, false, file)
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{first.flyURL, first.stagingURL, first.chatwootURL}
	first.Close()
	if p := loadSandboxPorts(file); p.Fly != urlPort(urls[0]) || p.Staging != urlPort(urls[1]) || p.Chatwoot != urlPort(urls[2]) {
		t.Fatalf("recorded %+v for %v", p, urls)
	}

	second, err := startDevSandbox(context.Background(), nil, false, file)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{second.flyURL, second.stagingURL, second.chatwootURL}; got[0] != urls[0] || got[1] != urls[1] || got[2] != urls[2] {
		t.Errorf("after a restart: %v, want %v", got, urls)
	}
	second.Close()

	// Someone else took the staging port: a free one instead.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := loadSandboxPorts(file)
	p.Staging = ln.Addr().(*net.TCPAddr).Port
	saveSandboxPorts(nil, file, p)
	third, err := startDevSandbox(context.Background(), nil, false, file)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if urlPort(third.stagingURL) == p.Staging || third.flyURL != urls[0] {
		t.Errorf("taken port: staging %s, fly %s", third.stagingURL, third.flyURL)
	}
	if loadSandboxPorts(file).Staging != urlPort(third.stagingURL) {
		t.Error("the new staging port was not recorded")
	}
}
