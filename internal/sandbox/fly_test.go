package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"
	"github.com/superfly/fly-go/tokens"
)

func newTestEmulator(t *testing.T, seed *FlySeed) (*FlyEmulator, *httptest.Server) {
	t.Helper()
	e := NewFlyEmulator(seed)
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return e, srv
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestFlyEmulatorWithFlyGo drives every endpoint through fly-go's flaps
// client, which finds the emulator through FLY_FLAPS_BASE_URL.
func TestFlyEmulatorWithFlyGo(t *testing.T) {
	e, srv := newTestEmulator(t, nil)
	t.Setenv("FLY_FLAPS_BASE_URL", srv.URL)
	ctx := context.Background()
	client, err := flaps.NewWithOptions(ctx, flaps.NewClientOpts{Tokens: tokens.Parse(e.Token())})
	if err != nil {
		t.Fatal(err)
	}
	apps, err := client.ListApps(ctx, flaps.ListAppsRequest{OrgSlug: "personal"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, " "); got != "hotdash-chatwoot hotdash-staging hotdash-staging-db time-purple-wildflower-3973" {
		t.Errorf("apps = %s", got)
	}
	app, err := client.GetApp(ctx, "time-purple-wildflower-3973")
	if err != nil || app.Status != "suspended" || app.Organization.Slug != "personal" {
		t.Errorf("get app = %+v, %v", app, err)
	}
	machines, err := client.List(ctx, "hotdash-chatwoot", "")
	if err != nil || len(machines) != 2 {
		t.Fatalf("machines = %v, %v", machines, err)
	}
	worker, err := client.Get(ctx, "hotdash-chatwoot", "6e82d4e7b11d28")
	if err != nil {
		t.Fatal(err)
	}
	if worker.ProcessGroup() != "worker" || worker.Config.Guest.MemoryMB != 512 || !worker.Events[1].Request.ExitEvent.OOMKilled {
		t.Errorf("worker = %+v", worker)
	}
	if got := worker.Events[1].Request.ExitEvent.ExitedAt.UTC().Format(time.RFC3339); got != "2025-10-11T20:08:45Z" {
		t.Errorf("oom exited_at = %s", got)
	}

	ttl := 30
	lease, err := client.AcquireLease(ctx, "hotdash-chatwoot", worker.ID, &ttl)
	if err != nil {
		t.Fatal(err)
	}
	cfg := *worker.Config
	cfg.Guest = &fly.MachineGuest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}
	updated, err := client.Update(ctx, "hotdash-chatwoot", fly.LaunchMachineInput{ID: worker.ID, Config: &cfg}, lease.Data.Nonce)
	if err != nil || updated.Config.Guest.MemoryMB != 1024 || updated.State != "started" {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	if err := client.Wait(ctx, "hotdash-chatwoot", worker.ID, flaps.WithWaitStates("started"), flaps.WithWaitTimeout(time.Second)); err != nil {
		t.Errorf("wait: %v", err)
	}
	if err := client.ReleaseLease(ctx, "hotdash-chatwoot", worker.ID, lease.Data.Nonce); err != nil {
		t.Errorf("release: %v", err)
	}
	if err := client.DeleteApp(ctx, "time-purple-wildflower-3973"); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := client.GetApp(ctx, "time-purple-wildflower-3973"); !strings.Contains(err.Error(), "Could not find App") {
		t.Errorf("get deleted app: %v", err)
	}
	var actions []string
	for _, j := range e.Journal() {
		actions = append(actions, j.Action+" "+j.Detail)
	}
	want := []string{"lease_acquire ttl 30s", "machine_update memory_mb 512 -> 1024; state started -> started",
		"lease_release ", "app_delete destroyed with 1 machine(s)"}
	if !reflect.DeepEqual(actions, want) {
		t.Errorf("journal:\n got %q\nwant %q", actions, want)
	}
}

func TestFlyEmulatorAuth(t *testing.T) {
	e, srv := newTestEmulator(t, nil)
	for _, tok := range []string{"", "wrong"} {
		resp, body := get(t, srv.URL+"/v1/apps?org_slug=personal", tok)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"error":"unauthorized"`) {
			t.Errorf("token %q: %d %s", tok, resp.StatusCode, body)
		}
	}
	resp, body := get(t, srv.URL+"/v1/apps?org_slug=personal", e.Token())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"total_apps":4`) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if e.Stats().Unauthorized != 2 {
		t.Errorf("stats = %+v", e.Stats())
	}
}

func TestFlyEmulatorShapes(t *testing.T) {
	e, srv := newTestEmulator(t, nil)
	_, body := get(t, srv.URL+"/v1/apps?org_slug=personal", e.Token())
	var list struct {
		Total int              `json:"total_apps"`
		Apps  []map[string]any `json:"apps"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if list.Total != 4 || list.Apps[2]["name"] != "hotdash-staging-db" || list.Apps[2]["volume_count"] != 1.0 || list.Apps[2]["machine_count"] != 1.0 {
		t.Errorf("list = %s", body)
	}
	resp, body := get(t, srv.URL+"/v1/apps/nope", e.Token())
	if resp.StatusCode != http.StatusNotFound || strings.TrimSpace(body) != `{"error":"Could not find App"}` {
		t.Errorf("404: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, srv.URL+"/v1/apps/hotdash-staging/machines/1781e52c4d7408/wait?state=started&timeout=1", e.Token())
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("waiting for a stopped machine to start: %d %s", resp.StatusCode, body)
	}
}

// TestFlyEmulatorServesSeedAsIs: machines come back exactly as seeded, quirks
// included (the 2023 docs sample's numeric exited_at, which fly-go rejects).
func TestFlyEmulatorServesSeedAsIs(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "fly")
	var machines []json.RawMessage
	for _, name := range []string{"machine_get_stopped_exit_event.docs-2023-08.json", "laravel-fly-machines_README_get_machine_flyio-postgres_2022-11.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Skipf("fixtures not beside the repository: %v", err)
		}
		machines = append(machines, raw)
	}
	seed := &FlySeed{Apps: []FlySeedApp{{ID: "x", Name: "fixtures", Status: "deployed", Organization: FlySeedOrg{Slug: "personal"}, Machines: machines}}}
	e, srv := newTestEmulator(t, seed)
	for i, id := range []string{"73d8d46dbee589", "148e127*****"} {
		_, body := get(t, srv.URL+"/v1/apps/fixtures/machines/"+id, e.Token())
		var got, want any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(machines[i], &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("machine %s differs from the seed:\n%s", id, body)
		}
	}
}

func TestFlyEmulatorRateLimit(t *testing.T) {
	e, srv := newTestEmulator(t, nil)
	e.SetRateLimit(0.5, 1)
	url := srv.URL + "/v1/apps/hotdash-staging"
	if resp, _ := get(t, url, e.Token()); resp.StatusCode != http.StatusOK {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	resp, body := get(t, url, e.Token())
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("second request: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestFlyEmulatorFaults(t *testing.T) {
	e, srv := newTestEmulator(t, nil)
	e.FailApp("hotdash-staging", http.StatusBadGateway)
	if resp, _ := get(t, srv.URL+"/v1/apps/hotdash-staging/machines", e.Token()); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("forced failure: %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.URL+"/v1/apps/hotdash-chatwoot", e.Token()); resp.StatusCode != http.StatusOK {
		t.Errorf("other app: %d", resp.StatusCode)
	}
	// The same seed fails the same sequence of requests.
	sequence := func() string {
		e, srv := newTestEmulator(t, nil)
		e.SetFailureRate(0.3, 0, 7)
		var b strings.Builder
		for range 40 {
			resp, _ := get(t, srv.URL+"/v1/apps/hotdash-chatwoot", e.Token())
			b.WriteString(resp.Status[:1])
		}
		return b.String()
	}
	first, second := sequence(), sequence()
	if first != second || !strings.Contains(first, "5") || !strings.Contains(first, "2") {
		t.Errorf("fault sequences %s and %s", first, second)
	}
}

func TestParseFlySeedErrors(t *testing.T) {
	_, err := ParseFlySeed([]byte(`{"apps":[{"name":"a","organization":{"slug":"o"},"machines":[{"id":"m"},{"state":"started"}]},{"name":"a","organization":{}}],"extra":1}`))
	if err == nil || !strings.Contains(err.Error(), `unknown field "extra"`) {
		t.Errorf("unknown field: %v", err)
	}
	_, err = ParseFlySeed([]byte(`{"apps":[{"name":"a","organization":{"slug":"o"},"machines":[{"id":"m"},{"state":"started"}]},{"name":"a","organization":{}}]}`))
	for _, want := range []string{"machine m: state is empty", "machines[1]: id is empty", `duplicate app "a"`, "organization.slug is empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if n := len(SyntheticFlySeed(3, 4).Apps); n != 3 {
		t.Errorf("synthetic apps = %d", n)
	}
}
