package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// flyApp is an app and its machines. Machines are generic JSON objects so that
// whatever the seed holds is served back unchanged.
type flyApp struct {
	seed     FlySeedApp // Machines cleared
	machines []map[string]any
}

// flyLease is a machine lease (POST /machines/{id}/lease).
type flyLease struct {
	Nonce       string
	ExpiresAt   time.Time
	Owner       string
	Description string
	Version     string
}

func newFlyApp(sa FlySeedApp) *flyApp {
	app := &flyApp{}
	for _, raw := range sa.Machines {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // keep numbers (millisecond timestamps) exactly as seeded
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			panic(fmt.Sprintf("sandbox: seed machine of %s: %v", sa.Name, err)) // ParseFlySeed checked it
		}
		app.machines = append(app.machines, m)
	}
	sa.Machines = nil
	app.seed = sa
	return app
}

// appJSON is the shape of GET /v1/apps/{app}.
func (a *flyApp) appJSON() map[string]any {
	return map[string]any{
		"id":           a.seed.ID,
		"name":         a.seed.Name,
		"status":       a.seed.Status,
		"organization": map[string]any{"name": a.seed.Organization.Name, "slug": a.seed.Organization.Slug},
	}
}

// listJSON is the shape of one entry of GET /v1/apps.
func (a *flyApp) listJSON() map[string]any {
	network := a.seed.Network
	if network == "" {
		network = "default"
	}
	return map[string]any{
		"id":            a.seed.ID,
		"name":          a.seed.Name,
		"machine_count": len(a.machines),
		"volume_count":  a.seed.VolumeCount,
		"network":       network,
	}
}

func (a *flyApp) machine(id string) map[string]any {
	for _, m := range a.machines {
		if s, _ := m["id"].(string); s == id {
			return m
		}
	}
	return nil
}

// path walks nested objects of m; nil when any step is missing.
func path(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}

// intAt reads a number at keys, 0 when absent.
func intAt(m map[string]any, keys ...string) int64 {
	switch v := path(m, keys...).(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case float64:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

func stringAt(m map[string]any, keys ...string) string {
	s, _ := path(m, keys...).(string)
	return s
}

// prependEvent adds ev as the newest event (the API lists newest first).
func prependEvent(m map[string]any, ev map[string]any) {
	events, _ := m["events"].([]any)
	m["events"] = append([]any{ev}, events...)
}

// record appends a journal entry; e.mu held.
func (e *FlyEmulator) record(r *http.Request, action, app, machine string, status int, detail string) {
	e.journal = append(e.journal, JournalEntry{
		Time:    e.now().UTC(),
		Method:  r.Method,
		Path:    r.URL.Path,
		Action:  action,
		App:     app,
		Machine: machine,
		Status:  status,
		Detail:  detail,
	})
}

// broadcast wakes every waiter; e.mu held.
func (e *FlyEmulator) broadcast() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// nextID returns a deterministic, ULID-looking identifier; e.mu held.
func (e *FlyEmulator) nextID(prefix string) string {
	e.serial++
	return fmt.Sprintf("%s%022X", prefix, e.serial)
}

// activeLease returns the unexpired lease of machine id; e.mu held.
func (e *FlyEmulator) activeLease(id string) *flyLease {
	l := e.leases[id]
	if l == nil || !e.now().Before(l.ExpiresAt) {
		delete(e.leases, id)
		return nil
	}
	return l
}

func errorBody(msg string) map[string]any { return map[string]any{"error": msg} }

// writeJSON encodes v (already detached from shared state) with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, fmt.Sprintf(`{"error":%q}`, err.Error()), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// snapshot marshals v under the lock so the response cannot race with updates.
func snapshot(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return b
}
