//go:build !race

package runbooks

const raceEnabled = false
