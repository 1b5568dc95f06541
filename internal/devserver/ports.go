package devserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// PortInUseError names a port that is already taken and the flag that set it.
type PortInUseError struct {
	Addr string
	Flag string
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %s is already in use (set by %s); pick another with %s N, or 0 for a free one",
		e.Addr, e.Flag, e.Flag)
}

// freePort asks the kernel for a free TCP port on ip.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// resolvePort returns port, or a free port when it is 0, after checking that
// it can be bound. flag names the option that set it, for the error.
func resolvePort(ip string, port int, flag string) (int, error) {
	if port == 0 {
		return freePort(ip)
	}
	if port < 0 || port > 65535 {
		return 0, fmt.Errorf("%s %d: not a TCP port (0-65535)", flag, port)
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return 0, &PortInUseError{Addr: addr, Flag: flag}
		}
		return 0, fmt.Errorf("%s: cannot listen on %s: %w", flag, addr, err)
	}
	l.Close()
	return port, nil
}
