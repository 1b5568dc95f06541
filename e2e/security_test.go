package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotdash/drillbook/internal/testbin"
)

// TestSecurityDevListensOnLoopbackByDefault: `drillbook dev` prints
// 127.0.0.1 addresses, and every TCP socket its process listens on (from
// /proc/PID/fd and /proc/net/tcp{,6}) is bound to 127.0.0.1.
func TestSecurityDevListensOnLoopbackByDefault(t *testing.T) {
	bin := testbin.Drillbook(t)
	dev := testbin.StartDev(t, bin, nil, "--state-dir", t.TempDir(), "--port", "0", "--ui-port", "0")
	for what, addr := range map[string]string{"gRPC": dev.Frontend, "UI": strings.TrimPrefix(dev.UIURL, "http://")} {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("%s printed as %q, want 127.0.0.1", what, addr)
		}
	}
	listening := listeningSockets(t, dev.Cmd.Process.Pid)
	if len(listening) < 2 {
		t.Fatalf("found %d listening sockets of drillbook dev (%v), want at least the gRPC and UI ones", len(listening), listening)
	}
	for _, addr := range listening {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("drillbook dev listens on %s, beyond loopback", addr)
		}
	}
	t.Logf("listening on %v", listening)
}

// TestSecurityDevListenWarns: --listen on a non-loopback address prints a
// warning that the UI has no authentication (before anything listens; the
// process is stopped as soon as it has warned).
func TestSecurityDevListenWarns(t *testing.T) {
	bin := testbin.Drillbook(t)
	cmd, out := testbin.StartProcess(t, bin, nil, "dev", "--listen", "0.0.0.0", "--state-dir", t.TempDir(),
		"--port", "0", "--ui-port", "0", "--headless")
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "WARNING"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no warning within 30s:\n%s", out.String())
		}
	}
	warning := out.String()
	if !strings.Contains(warning, "0.0.0.0") || !strings.Contains(warning, "no authentication") {
		t.Errorf("warning does not say the UI has no authentication:\n%s", warning)
	}
}

// listeningSockets returns the local addresses of the TCP sockets in the
// LISTEN state that pid holds open.
func listeningSockets(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && err == nil {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: TCP_LISTEN
				continue
			}
			out = append(out, decodeProcAddr(f[1]))
		}
	}
	return out
}

// decodeProcAddr turns /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080"
// (IPv6 too: four little-endian 32-bit words).
func decodeProcAddr(s string) string {
	hexIP, hexPort, _ := strings.Cut(s, ":")
	port, _ := strconv.ParseUint(hexPort, 16, 16)
	var ip net.IP
	for i := 0; i+8 <= len(hexIP); i += 8 {
		w, _ := strconv.ParseUint(hexIP[i:i+8], 16, 32)
		ip = append(ip, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(port))
}
