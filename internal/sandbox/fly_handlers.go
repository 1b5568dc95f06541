package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// nonceHeader carries a lease nonce, as fly-go's flaps.NonceHeader.
const nonceHeader = "fly-machine-lease-nonce"

func (e *FlyEmulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/apps", e.listApps)
	mux.HandleFunc("GET /v1/apps/{app}", e.getApp)
	mux.HandleFunc("DELETE /v1/apps/{app}", e.deleteApp)
	mux.HandleFunc("GET /v1/apps/{app}/machines", e.listMachines)
	mux.HandleFunc("GET /v1/apps/{app}/machines/{id}", e.getMachine)
	mux.HandleFunc("POST /v1/apps/{app}/machines/{id}", e.updateMachine)
	mux.HandleFunc("GET /v1/apps/{app}/machines/{id}/wait", e.waitMachine)
	mux.HandleFunc("GET /v1/apps/{app}/machines/{id}/lease", e.getLease)
	mux.HandleFunc("POST /v1/apps/{app}/machines/{id}/lease", e.acquireLease)
	mux.HandleFunc("DELETE /v1/apps/{app}/machines/{id}/lease", e.releaseLease)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody(fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)))
	})
	return mux
}

// listApps serves GET /v1/apps?org_slug=SLUG: {"total_apps":N,"apps":[...]}.
func (e *FlyEmulator) listApps(w http.ResponseWriter, r *http.Request) {
	org := r.URL.Query().Get("org_slug")
	if org == "" {
		writeJSON(w, http.StatusBadRequest, errorBody("org_slug is required"))
		return
	}
	e.mu.Lock()
	names := make([]string, 0, len(e.apps))
	for name, app := range e.apps {
		if app.seed.Organization.Slug == org {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	list := make([]any, 0, len(names))
	for _, name := range names {
		list = append(list, e.apps[name].listJSON())
	}
	body := snapshot(map[string]any{"total_apps": len(list), "apps": list})
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// lookup finds the app (and machine when id != "") of a request or answers 404.
func (e *FlyEmulator) lookup(w http.ResponseWriter, r *http.Request, withMachine bool) (*flyApp, map[string]any, bool) {
	app := e.apps[r.PathValue("app")]
	if app == nil {
		writeJSON(w, http.StatusNotFound, errorBody("Could not find App"))
		return nil, nil, false
	}
	if !withMachine {
		return app, nil, true
	}
	m := app.machine(r.PathValue("id"))
	if m == nil {
		writeJSON(w, http.StatusNotFound, errorBody("machine not found"))
		return nil, nil, false
	}
	return app, m, true
}

func (e *FlyEmulator) getApp(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	app, _, ok := e.lookup(w, r, false)
	if !ok {
		e.mu.Unlock()
		return
	}
	body := snapshot(app.appJSON())
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// deleteApp serves DELETE /v1/apps/{app}: 202 with no body.
func (e *FlyEmulator) deleteApp(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	name := r.PathValue("app")
	app := e.apps[name]
	if app == nil {
		e.record(r, "app_delete", name, "", http.StatusNotFound, "no such app")
		writeJSON(w, http.StatusNotFound, errorBody("Could not find App"))
		return
	}
	for _, m := range app.machines {
		delete(e.leases, stringAt(m, "id"))
	}
	delete(e.apps, name)
	e.record(r, "app_delete", name, "", http.StatusAccepted, fmt.Sprintf("destroyed with %d machine(s)", len(app.machines)))
	e.broadcast()
	w.WriteHeader(http.StatusAccepted)
}

func (e *FlyEmulator) listMachines(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	app, _, ok := e.lookup(w, r, false)
	if !ok {
		e.mu.Unlock()
		return
	}
	list := make([]any, 0, len(app.machines))
	for _, m := range app.machines {
		list = append(list, m)
	}
	body := snapshot(list)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (e *FlyEmulator) getMachine(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	_, m, ok := e.lookup(w, r, true)
	if !ok {
		e.mu.Unlock()
		return
	}
	body := snapshot(m)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// updateMachine serves POST /v1/apps/{app}/machines/{id}: the request's config
// replaces the machine's. A started machine restarts with it; a stopped one
// stays stopped with skip_launch and starts without it.
func (e *FlyEmulator) updateMachine(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Config     map[string]any `json:"config"`
		SkipLaunch bool           `json:"skip_launch"`
	}
	raw, err := io.ReadAll(r.Body)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		err = dec.Decode(&in)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	app, m, ok := e.lookup(w, r, true)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err != nil || in.Config == nil {
		e.record(r, "machine_update", app.seed.Name, id, http.StatusBadRequest, "invalid body")
		writeJSON(w, http.StatusBadRequest, errorBody("invalid machine config: a config object is required"))
		return
	}
	if l := e.activeLease(id); l != nil && r.Header.Get(nonceHeader) != l.Nonce {
		e.record(r, "machine_update", app.seed.Name, id, http.StatusConflict, "lease held by "+l.Owner)
		writeJSON(w, http.StatusConflict, errorBody(fmt.Sprintf("machine %s: lease currently held by %s, expires at %s", id, l.Owner, l.ExpiresAt.UTC().Format(time.RFC3339))))
		return
	}
	now := e.now().UTC()
	before := intAt(m, "config", "guest", "memory_mb")
	prevState := stringAt(m, "state")
	state := prevState
	launched := false
	switch {
	case prevState == "started" || prevState == "starting" || prevState == "replacing":
		state, launched = "started", true
	case !in.SkipLaunch:
		state, launched = "started", true
	}
	m["config"] = in.Config
	m["state"] = state
	m["instance_id"] = e.nextID("01K")
	m["updated_at"] = now.Format(time.RFC3339)
	prependEvent(m, map[string]any{"type": "update", "status": "replacing", "source": "user", "timestamp": now.UnixMilli()})
	if launched {
		prependEvent(m, map[string]any{"type": "start", "status": "started", "source": "flyd", "timestamp": now.UnixMilli()})
	}
	after := intAt(m, "config", "guest", "memory_mb")
	e.record(r, "machine_update", app.seed.Name, id, http.StatusOK,
		fmt.Sprintf("memory_mb %d -> %d; state %s -> %s", before, after, prevState, state))
	e.broadcast()
	writeJSON(w, http.StatusOK, snapshot(m))
}

// waitMachine serves GET .../wait?state=S&timeout=SECONDS: 200 once the
// machine is in one of the states, 408 at the timeout (60 s at most).
func (e *FlyEmulator) waitMachine(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var states []string
	for _, s := range q["state"] {
		states = append(states, strings.Split(s, ",")...)
	}
	if len(states) == 0 {
		states = []string{"started"}
	}
	timeout := 60 * time.Second
	if s := q.Get("timeout"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 60 {
			timeout = time.Duration(n) * time.Second
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		_, m, ok := e.lookup(w, r, true)
		if !ok {
			e.mu.Unlock()
			return
		}
		state := stringAt(m, "state")
		changed := e.changed
		e.mu.Unlock()
		if slices.Contains(states, state) {
			writeJSON(w, http.StatusOK, map[string]any{"ok": true})
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			writeJSON(w, http.StatusRequestTimeout, errorBody(fmt.Sprintf("deadline_exceeded: machine is %s, not %s", state, strings.Join(states, " or "))))
			return
		case <-r.Context().Done():
			return
		}
	}
}

func leaseJSON(l *flyLease) map[string]any {
	return map[string]any{
		"status": "success",
		"data": map[string]any{
			"nonce":       l.Nonce,
			"expires_at":  l.ExpiresAt.Unix(),
			"owner":       l.Owner,
			"description": l.Description,
			"version":     l.Version,
		},
	}
}

func (e *FlyEmulator) getLease(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, _, ok := e.lookup(w, r, true); !ok {
		return
	}
	l := e.activeLease(r.PathValue("id"))
	if l == nil {
		writeJSON(w, http.StatusNotFound, errorBody("lease not found"))
		return
	}
	writeJSON(w, http.StatusOK, leaseJSON(l))
}

// acquireLease serves POST .../lease?ttl=SECONDS (refreshes with the nonce header).
func (e *FlyEmulator) acquireLease(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	app, _, ok := e.lookup(w, r, true)
	if !ok {
		return
	}
	id := r.PathValue("id")
	ttl := 30 * time.Second
	if n, err := strconv.Atoi(r.URL.Query().Get("ttl")); err == nil && n > 0 {
		ttl = time.Duration(n) * time.Second
	}
	if l := e.activeLease(id); l != nil && r.Header.Get(nonceHeader) != l.Nonce {
		e.record(r, "lease_acquire", app.seed.Name, id, http.StatusConflict, "held by "+l.Owner)
		writeJSON(w, http.StatusConflict, errorBody(fmt.Sprintf("failed to acquire lease: lease currently held by %s", l.Owner)))
		return
	}
	l := &flyLease{
		Nonce:     strings.ToLower(e.nextID("")[10:]),
		ExpiresAt: e.now().Add(ttl),
		Owner:     "sandbox@drillbook.local",
		Version:   e.nextID("01K"),
	}
	e.leases[id] = l
	e.record(r, "lease_acquire", app.seed.Name, id, http.StatusOK, fmt.Sprintf("ttl %s", ttl))
	writeJSON(w, http.StatusOK, leaseJSON(l))
}

func (e *FlyEmulator) releaseLease(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	app, _, ok := e.lookup(w, r, true)
	if !ok {
		return
	}
	id := r.PathValue("id")
	l := e.activeLease(id)
	if l != nil && r.Header.Get(nonceHeader) != l.Nonce {
		e.record(r, "lease_release", app.seed.Name, id, http.StatusConflict, "nonce mismatch")
		writeJSON(w, http.StatusConflict, errorBody("lease nonce does not match"))
		return
	}
	delete(e.leases, id)
	e.record(r, "lease_release", app.seed.Name, id, http.StatusOK, "")
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
