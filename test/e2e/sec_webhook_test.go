package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const webhookSecret = "wh-secret-3b9f0c1e7d"

// webhookConfig writes a config whose only source is the CI webhook, with
// small bodies and spool files so that requests rotate the spool often.
func webhookConfig(t *testing.T, stateDir string) string {
	t.Helper()
	dir := t.TempDir()
	secret := filepath.Join(dir, "webhook.secret")
	if err := os.WriteFile(secret, []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`state_dir: %s
engine:
  checkpoint_interval: 100ms
  poll_interval: 50ms
web:
  webhook_secret_file: %s
  webhook_max_body_bytes: 4096
  webhook_spool_max_bytes: 4096
`, stateDir, secret)
	p := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// postEvents signs body as docs/webhook.md says (HMAC-SHA256 of
// "<unix seconds>.<body>", written independently of the exporter's code)
// and posts it.
func postEvents(url, secret string, ts time.Time, body []byte) (int, string, error) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Heady-Timestamp", stamp)
	req.Header.Set("X-Heady-Signature", sign(secret, stamp, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// sign is "sha256=" and the hex HMAC-SHA256 of "<stamp>.<body>".
func sign(secret, stamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stamp + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

const deploySeries = `heady_delivery_deploys{env="prod",result="success",window="7d"}`

func deployEvent(i int, withID bool) string {
	id := ""
	if withID {
		id = fmt.Sprintf(`"id":"wh-%d",`, i)
	}
	ts := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	return fmt.Sprintf(`{"ts":%q,%s"type":"deploy","service":"svc-%d","env":"prod","result":"success"}`, ts, id, i%7)
}

// TestWebhookEventsReachTheEngine posts one event and an array, and checks
// they are counted in /metrics, while a request signed with a wrong key is
// refused and counted.
func TestWebhookEventsReachTheEngine(t *testing.T) {
	e := startExporter(t, webhookConfig(t, t.TempDir()))
	e.waitReady(30 * time.Second)
	url := e.url("/api/v1/ci/events")
	if code, body, err := postEvents(url, webhookSecret, time.Now(), []byte(deployEvent(1, true))); err != nil || code != http.StatusAccepted {
		t.Fatalf("one event: %d %s %v", code, body, err)
	}
	arr := "[" + deployEvent(2, false) + ",\n " + deployEvent(3, true) + "]"
	if code, body, err := postEvents(url, webhookSecret, time.Now(), []byte(arr)); err != nil || code != http.StatusAccepted || !strings.Contains(body, `"accepted":2`) {
		t.Fatalf("array: %d %s %v", code, body, err)
	}
	if code, _, _ := postEvents(url, "not-the-secret", time.Now(), []byte(deployEvent(4, true))); code != http.StatusUnauthorized {
		t.Errorf("wrong key: status %d, want 401", code)
	}
	if code, _, _ := postEvents(url, webhookSecret, time.Now().Add(-10*time.Minute), []byte(deployEvent(5, true))); code != http.StatusUnauthorized {
		t.Errorf("stale timestamp: status %d, want 401", code)
	}
	ctx := context.Background()
	waitFor(t, 10*time.Second, "three webhook deploys counted", func() (bool, string) {
		m, err := fetchMetrics(ctx, e.url("/metrics"))
		if err != nil {
			return false, err.Error()
		}
		return m[deploySeries] == 3 && m[`heady_exporter_events_ingested_total{stream="ci",type="deploy"}`] == 3,
			fmt.Sprint(m[deploySeries])
	})
	m, _ := fetchMetrics(ctx, e.url("/metrics"))
	for result, want := range map[string]float64{"accepted": 2, "bad_signature": 1, "stale_timestamp": 1, "bad_body": 0, "too_large": 0} {
		if got := m[`heady_exporter_webhook_requests_total{result="`+result+`"}`]; got != want {
			t.Errorf("heady_exporter_webhook_requests_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	if m[`heady_exporter_source_up{source="ci-webhook"}`] != 1 {
		t.Errorf("the spool input is not an up source: %v", m[`heady_exporter_source_up{source="ci-webhook"}`])
	}
}

// TestWebhookKillNineRightAfterAcceptedLosesNothing kills the exporter with
// SIGKILL the moment it has answered 202, again and again, with checkpoints
// and spool rotations in between, and checks that a restart counts every
// accepted event exactly once (half of them carry no id, so only the
// spool and the saved positions keep them from being lost or doubled).
func TestWebhookKillNineRightAfterAcceptedLosesNothing(t *testing.T) {
	state := t.TempDir()
	cfg := webhookConfig(t, state)
	r := rand.New(rand.NewPCG(7, 9))
	accepted, n := 0, 0
	for round := 0; round < 12; round++ {
		e := startExporter(t, cfg)
		e.waitReady(30 * time.Second)
		url := e.url("/api/v1/ci/events")
		for k := r.IntN(4); k >= 0; k-- {
			var evs []string
			for j := 1 + r.IntN(12); j > 0; j-- {
				n++
				evs = append(evs, deployEvent(n, r.IntN(2) == 0))
			}
			code, body, err := postEvents(url, webhookSecret, time.Now(), []byte("["+strings.Join(evs, ",")+"]"))
			if err != nil || code != http.StatusAccepted {
				t.Fatalf("round %d: %d %s %v", round, code, body, err)
			}
			accepted += len(evs)
		}
		e.kill() // right after the last 202
	}
	e := startExporter(t, cfg)
	e.waitReady(30 * time.Second)
	ctx := context.Background()
	var last map[string]float64
	waitFor(t, 20*time.Second, "every accepted event counted after the kills", func() (bool, string) {
		m, err := fetchMetrics(ctx, e.url("/metrics"))
		if err != nil {
			return false, err.Error()
		}
		last = m
		return m[deploySeries] >= float64(accepted), fmt.Sprintf("%v of %d", m[deploySeries], accepted)
	})
	// Give a double count the time to show, then compare exactly.
	time.Sleep(time.Second)
	last, _ = fetchMetrics(ctx, e.url("/metrics"))
	if last[deploySeries] != float64(accepted) {
		t.Fatalf("after 12 kills right after 202: %v deploys counted, %d accepted", last[deploySeries], accepted)
	}
	// The spool is rotated every few requests; once everything is read and
	// checkpointed, the rotated files are removed.
	waitFor(t, 10*time.Second, "read spool files removed", func() (bool, string) {
		m, _ := filepath.Glob(filepath.Join(state, "webhook", "ci-webhook.jsonl.*"))
		return len(m) == 0, fmt.Sprint(m)
	})
	t.Logf("%d events accepted over 12 kills, all counted once", accepted)
}
