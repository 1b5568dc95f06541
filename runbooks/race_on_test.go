//go:build race

package runbooks

// raceEnabled: the race detector slows parsing down about tenfold, so the
// "within a second" checks allow ten.
const raceEnabled = true
