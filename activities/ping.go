package activities

import (
	"context"
	"os"
)

// PingResult says which worker answered.
type PingResult struct {
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Message string `json:"message"`
}

// Ping proves the chain client -> server -> worker -> activity works.
func (a *Activities) Ping(_ context.Context, message string) (PingResult, error) {
	host, _ := os.Hostname()
	return PingResult{Host: host, PID: os.Getpid(), Message: message}, nil
}
