package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFlyEmulatorJournalEndpoint: GET /_sandbox/journal needs the token,
// answers loopback clients only, and lists the mutating calls.
func TestFlyEmulatorJournalEndpoint(t *testing.T) {
	e, srv := newTestEmulator(t, nil)
	resp, body := get(t, srv.URL+JournalPath, "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, srv.URL+JournalPath, e.Token())
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("empty journal: %d %s", resp.StatusCode, body)
	}

	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/v1/apps/time-purple-wildflower-3973", nil)
	req.Header.Set("Authorization", "Bearer "+e.Token())
	del, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	del.Body.Close()
	if del.StatusCode != http.StatusAccepted {
		t.Fatalf("delete: %d", del.StatusCode)
	}
	resp, body = get(t, srv.URL+JournalPath, e.Token())
	var got []JournalEntry
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	if len(got) != 1 || got[0].Action != "app_delete" || got[0].App != "time-purple-wildflower-3973" || got[0].Status != http.StatusAccepted {
		t.Errorf("journal = %+v", got)
	}
	if e.Stats().Requests != 1 {
		t.Errorf("the journal endpoint must not count as API traffic: %+v", e.Stats())
	}

	// A client from elsewhere is refused.
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, JournalPath, nil)
	r.RemoteAddr = "192.0.2.7:4321"
	r.Header.Set("Authorization", "Bearer "+e.Token())
	e.Handler().ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("non-loopback client: %d %s", rec.Code, rec.Body)
	}
}
