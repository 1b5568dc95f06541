package sandbox

import (
	"net"
	"net/http"
)

// JournalPath serves the emulator's journal (GET, JSON array of
// JournalEntry), so that a test can see what a separate process changed.
// It is outside the Machines API: it answers loopback clients only, needs
// the emulator's token like every other call, and is not counted, delayed,
// rate-limited or failed by the knobs.
const JournalPath = "/_sandbox/journal"

// serveJournal serves GET JournalPath.
func (e *FlyEmulator) serveJournal(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		writeJSON(w, http.StatusForbidden, errorBody("the journal is for loopback clients only"))
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody("GET only"))
		return
	}
	e.mu.Lock()
	ok := e.authorized(r.Header.Get("Authorization"))
	e.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, errorBody("unauthorized"))
		return
	}
	journal := e.Journal()
	if journal == nil {
		journal = []JournalEntry{}
	}
	writeJSON(w, http.StatusOK, journal)
}
