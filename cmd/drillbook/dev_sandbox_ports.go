package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"time"
)

// sandboxPortsFile is where `drillbook dev --sandbox` records its
// stand-ins' ports, inside the state dir.
const sandboxPortsFile = "sandbox-ports.json"

// sandboxPorts are the loopback ports of the sandbox's servers.
type sandboxPorts struct {
	Fly      int `json:"fly"`
	Staging  int `json:"staging"`
	Chatwoot int `json:"chatwoot"`
}

// loadSandboxPorts reads path; a missing or unreadable file (or an empty
// path) gives zero ports: free ones.
func loadSandboxPorts(path string) sandboxPorts {
	var p sandboxPorts
	if path == "" {
		return p
	}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &p)
	}
	return p
}

// saveSandboxPorts records p in path (nothing when path is empty); a
// failure only costs the next start its stable ports, so it is logged.
func saveSandboxPorts(logger *slog.Logger, path string, p sandboxPorts) {
	if path == "" {
		return
	}
	b, _ := json.Marshal(p)
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil && logger != nil {
		logger.Warn("could not record the sandbox's ports", "file", path, "err", err)
	}
}

// startOnPort starts a server on 127.0.0.1:port, or on a free port when
// port is 0 or taken.
func startOnPort(logger *slog.Logger, what string, port int, start func(addr string) (string, error)) (string, error) {
	if port > 0 {
		// A server just closed may not have released it yet: a few tries.
		var err error
		for try := 0; try < 5; try++ {
			var u string
			if u, err = start(fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				return u, nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		if logger != nil {
			logger.Warn("sandbox port of the last start is taken; runs started before the restart cannot reach this server",
				"server", what, "port", port, "err", err)
		}
	}
	return start("127.0.0.1:0")
}

// urlPort is the port of a http://host:port URL, 0 if none.
func urlPort(raw string) int {
	u, err := url.Parse(raw)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(u.Port())
	return n
}
