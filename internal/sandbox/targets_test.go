package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"testing"
	"time"
)

func getTarget(t *testing.T, url string) (int, []byte, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body, time.Since(start)
}

func TestStagingApp(t *testing.T) {
	app := NewStagingApp(40*time.Millisecond, 60*time.Millisecond)
	url, err := app.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for range 3 {
		code, _, took := getTarget(t, url+"/")
		if code != 200 || took < 40*time.Millisecond || took > time.Second {
			t.Errorf("GET /: %d after %s, want 200 after 40-60ms", code, took)
		}
	}
	for _, path := range []string{"/hc", "/rails/health", "/healthz"} {
		if code, body, _ := getTarget(t, url+path); code != 404 || len(body) == 0 {
			t.Errorf("GET %s: %d, want 404 with a page", path, code)
		}
	}
	if app.Requests() != 6 {
		t.Errorf("requests = %d, want 6", app.Requests())
	}
}

func TestStagingAppDefaultLatency(t *testing.T) {
	srv := httptest.NewServer(NewStagingApp(DefaultStagingMinLatency, DefaultStagingMaxLatency).Handler())
	defer srv.Close()
	code, _, took := getTarget(t, srv.URL)
	if code != 200 || took < 300*time.Millisecond || took > 2*time.Second {
		t.Errorf("GET /: %d after %s, want 200 after 300-600ms", code, took)
	}
}

func TestChatwoot(t *testing.T) {
	cw := NewChatwoot()
	url, err := cw.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	api := func() map[string]string {
		code, body, _ := getTarget(t, url+"/api")
		if code != 200 {
			t.Fatalf("GET /api: %d", code)
		}
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("GET /api: %v: %s", err, body)
		}
		return m
	}
	m := api()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"data_services", "queue_services", "timestamp", "version"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("fields %v, want exactly %v (the real four)", keys, want)
	}
	ts, err := time.Parse("2006-01-02 15:04:05", m["timestamp"])
	if err != nil || time.Since(ts) > time.Minute || time.Since(ts) < -time.Minute {
		t.Errorf("timestamp %q is not a live UTC YYYY-MM-DD HH:MM:SS (%v)", m["timestamp"], err)
	}
	if m["queue_services"] != "ok" || m["data_services"] != "ok" {
		t.Errorf("healthy chatwoot: %v", m)
	}
	if err := cw.SetServices("", "failing"); err != nil {
		t.Fatal(err)
	}
	if m := api(); m["data_services"] != "failing" || m["queue_services"] != "ok" {
		t.Errorf("after SetServices: %v", m)
	}
	resp, err := http.Post(url+"/_sandbox/services?queue_services=failing&data_services=ok", "", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /_sandbox/services: %v %v", resp, err)
	}
	resp.Body.Close()
	if m := api(); m["data_services"] != "ok" || m["queue_services"] != "failing" {
		t.Errorf("after POST: %v", m)
	}
	if err := cw.SetServices("broken", ""); err == nil {
		t.Error("SetServices accepted \"broken\"")
	}
	if code, body, _ := getTarget(t, url+"/health"); code != 200 || string(body) != "{\"status\":\"woot\"}\n" {
		t.Errorf("GET /health: %d %q", code, body)
	}
}
