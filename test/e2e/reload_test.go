package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReload: POST /-/reload and SIGHUP apply a changed config; an invalid
// config is refused with its error and the running one stays; /-/healthy
// and /-/ready answer; GET /-/reload is refused.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	ts := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	if err := os.WriteFile(filepath.Join(dir, "audit.jsonl"), []byte(fmt.Sprintf(`{"ts":%q,"type":"tool_call","user":"u","tool":"t","status":"success","receipt":"r"}`+"\n", ts)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "auth.jsonl"), []byte(fmt.Sprintf(`{"ts":%q,"type":"signup","user":"u2"}`+"\n", ts)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yml")
	write := func(body string) {
		// Counters show as of the last checkpoint: checkpoint often, so the
		// events a reload brings show soon.
		if err := os.WriteFile(cfg, []byte("state_dir: state\nengine:\n  checkpoint_interval: 500ms\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sources:\n  audit:\n    - paths: [audit.jsonl]\n")
	e := startExporter(t, cfg)
	e.waitReady(30 * time.Second)
	for _, p := range []string{"/-/healthy", "/-/ready"} {
		resp, err := http.Get(e.url(p))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, err, resp)
		}
		resp.Body.Close()
	}
	ctx := context.Background()
	has := func(series string) func() (bool, string) {
		return func() (bool, string) {
			m, err := fetchMetrics(ctx, e.url("/metrics"))
			if err != nil {
				return false, err.Error()
			}
			_, ok := m[series]
			return ok, "absent"
		}
	}
	if ok, _ := has(`heady_exporter_source_up{source="auth"}`)(); ok {
		t.Fatal("auth source exported before it is configured")
	}

	post := func() (int, string) {
		resp, err := http.Post(e.url("/-/reload"), "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// A valid change through POST.
	write("sources:\n  audit:\n    - paths: [audit.jsonl]\n  auth:\n    - paths: [auth.jsonl]\n")
	if code, body := post(); code != 200 {
		t.Fatalf("reload: %d %s", code, body)
	}
	waitFor(t, 10*time.Second, "auth source after reload", has(`heady_exporter_source_up{source="auth"}`))
	waitFor(t, 30*time.Second, "auth events after reload", func() (bool, string) {
		m, _ := fetchMetrics(ctx, e.url("/metrics"))
		return m[`heady_exporter_events_ingested_total{stream="auth",type="signup"}`] == 1, "not yet"
	})

	// An invalid file is refused, with its error, and the sources stay.
	write("sources:\n  audit:\n    - paths: [audit.jsonl]\n      colour: blue\n")
	code, body := post()
	if code != 500 || !strings.Contains(body, "colour: unknown key") {
		t.Fatalf("invalid reload: %d %q", code, body)
	}
	if ok, _ := has(`heady_exporter_source_up{source="auth"}`)(); !ok {
		t.Fatal("a refused reload dropped the running configuration")
	}

	// SIGHUP applies the file too: back to audit only.
	write("sources:\n  audit:\n    - paths: [audit.jsonl]\n")
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "auth source gone after SIGHUP", func() (bool, string) {
		ok, _ := has(`heady_exporter_source_up{source="auth"}`)()
		return !ok, "still there"
	})
	m, _ := fetchMetrics(ctx, e.url("/metrics"))
	if m[`heady_exporter_events_ingested_total{stream="audit",type="tool_call"}`] != 1 {
		t.Errorf("audit events after two reloads: %v, want 1 (counted once)", m[`heady_exporter_events_ingested_total{stream="audit",type="tool_call"}`])
	}

	resp, err := http.Get(e.url("/-/reload"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", resp.StatusCode)
	}
}
