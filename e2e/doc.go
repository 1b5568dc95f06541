// Package e2e holds end-to-end tests that run the built drillbook binary as a
// user would: separate processes, signals, kills and restarts.
package e2e
