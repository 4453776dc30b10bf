package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heady/heady-metrics/internal/testutil"
)

// The basic-auth user of the web config and its bcrypt hash (cost 4).
const (
	basicUser     = "heady"
	basicPassword = "correct-horse-7f3a"
	basicHash     = "$2a$04$MREwPyrn9Q9sSs7DAS./S.KFMCx0EJnUE0bBRvYA6xUh/Jv0Fy2y."
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool trusting the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	c := testutil.SelfSigned(t, time.Now().Add(24*time.Hour))
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, c.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, c.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, c.Pool
}

// webConfig writes an exporter-toolkit web config: TLS with a fresh
// certificate and one basic-auth user. It returns its path and an HTTPS
// client trusting the certificate.
func webConfig(t *testing.T) (string, *http.Client) {
	t.Helper()
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	p := filepath.Join(dir, "web.yml")
	cfg := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  %s: %s\n", cert, key, basicUser, basicHash)
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// get sends GET url with basic auth (user "" sends none) and returns the
// status and body.
func get(c *http.Client, url, user, password string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// waitHTTPS waits until the exporter answers /-/ready over HTTPS.
func (e *exporter) waitHTTPS(c *http.Client, d time.Duration) {
	e.t.Helper()
	waitFor(e.t, d, "exporter ready over HTTPS", func() (bool, string) {
		if e.cmd.ProcessState != nil {
			e.t.Fatalf("exporter exited; log:\n%s", e.logText())
		}
		code, _, err := get(c, "https://"+e.addr+"/-/ready", basicUser, basicPassword)
		return err == nil && code == 200, fmt.Sprint(code, err)
	})
}

// TestTLSAndBasicAuthFromTheWebConfig runs the exporter with a web config
// file (--web.config.file): HTTPS with the configured certificate, basic
// auth on every endpoint (the webhook included), and plain HTTP refused.
func TestTLSAndBasicAuthFromTheWebConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "audit.jsonl"), []byte(`{"ts":"`+time.Now().UTC().Format(time.RFC3339)+`","type":"tool_call","user":"u1","tool":"x","status":"success"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "webhook.secret"), []byte(webhookSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("state_dir: %[1]s/state\nsources:\n  audit:\n    - paths: [%[1]s/audit.jsonl]\nweb:\n  webhook_secret_file: %[1]s/webhook.secret\n", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	webCfg, client := webConfig(t)
	e := startExporter(t, cfg, "--web.config.file="+webCfg)
	e.waitHTTPS(client, 30*time.Second)
	base := "https://" + e.addr

	code, body, err := get(client, base+"/metrics", basicUser, basicPassword)
	if err != nil || code != 200 || !strings.Contains(body, "heady_trust_tool_calls") {
		t.Fatalf("HTTPS /metrics with the right password: %d %v %.200s", code, err, body)
	}
	for _, path := range []string{"/metrics", "/", "/-/healthy", "/scorecard.json", "/api/v1/ci/events"} {
		for _, c := range []struct{ user, password string }{{"", ""}, {basicUser, "wrong-password"}, {"someone", basicPassword}, {basicUser, strings.ToUpper(basicPassword)}} {
			code, body, err := get(client, base+path, c.user, c.password)
			if err != nil || code != http.StatusUnauthorized {
				t.Errorf("%s as %q/%q: status %d (%v), want 401", path, c.user, c.password, code, err)
			}
			if strings.Contains(body, "heady_") {
				t.Errorf("%s as %q/%q: a 401 leaks content: %.200s", path, c.user, c.password, body)
			}
		}
	}

	// The webhook behind basic auth: the signature alone is not enough.
	ev := deployEvent(1, true)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/ci/events", strings.NewReader(ev))
	signReq(req, []byte(ev))
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed webhook post without basic auth: %v %v", resp.StatusCode, err)
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/api/v1/ci/events", strings.NewReader(ev))
	signReq(req, []byte(ev))
	req.SetBasicAuth(basicUser, basicPassword)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("signed webhook post with basic auth: %v %v %s", resp.StatusCode, err, b)
	}

	// Plain HTTP on the TLS port gets no content.
	code, body, err = get(&http.Client{Timeout: 5 * time.Second}, "http://"+e.addr+"/metrics", basicUser, basicPassword)
	if err == nil && (code == 200 || strings.Contains(body, "heady_")) {
		t.Errorf("plain HTTP served: %d %.200s", code, body)
	}
	// A client that does not trust the certificate fails the handshake.
	if _, _, err := get(&http.Client{Timeout: 5 * time.Second}, base+"/metrics", basicUser, basicPassword); err == nil {
		t.Error("HTTPS accepted by a client that does not trust the certificate")
	}
	// The password is never written to the log.
	if strings.Contains(e.logText(), basicPassword) {
		t.Error("basic-auth password in the log")
	}
}

func signReq(req *http.Request, body []byte) {
	stamp := fmt.Sprint(time.Now().Unix())
	req.Header.Set("X-Heady-Timestamp", stamp)
	req.Header.Set("X-Heady-Signature", sign(webhookSecret, stamp, body))
}

// TestNoSecretOnAnyPageOrInTheLog runs the exporter with a webhook secret,
// a cost API bearer token and a registry basic-auth password (each used:
// the fake APIs check them), drives it through good and bad webhook posts,
// failing upstream polls, reloads (one refused) and SIGHUP, and checks that
// no secret appears in /metrics, the scorecard page and JSON, the landing
// and lifecycle endpoints, error responses, or the debug log.
func TestNoSecretOnAnyPageOrInTheLog(t *testing.T) {
	const (
		costToken        = "cost-token-5c1d9e"
		registryPassword = "registry-pw-a8e4b2"
	)
	secrets := []string{webhookSecret, costToken, registryPassword}
	var costSeen, registrySeen atomic.Int32
	var polls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/costs"):
			if r.Header.Get("Authorization") == "Bearer "+costToken {
				costSeen.Add(1)
			}
			if polls.Add(1)%2 == 0 {
				http.Error(w, "upstream failure", http.StatusBadGateway)
				return
			}
			fmt.Fprint(w, `{"records":[],"budgets":[{"name":"total","cap_usd":100,"spent_usd":5}]}`)
		case r.URL.Path == "/registry.json":
			if u, p, ok := r.BasicAuth(); ok && u == "reader" && p == registryPassword {
				registrySeen.Add(1)
				fmt.Fprint(w, `{"version":"1","services":[{"id":"api","healthy":true}]}`)
				return
			}
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "webhook.secret"), []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cost.token"), []byte(costToken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registry.pw"), []byte(registryPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgText := fmt.Sprintf(`state_dir: %[1]s/state
sources:
  registry:
    url: %[2]s/registry.json
    interval: 1s
    basic_auth: {username: reader, password_file: %[1]s/registry.pw}
  cost:
    url: %[2]s
    interval: 1s
    bearer_token_file: %[1]s/cost.token
web:
  webhook_secret_file: %[1]s/webhook.secret
`, dir, api.URL)
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, cfg)
	e.waitReady(30 * time.Second)

	hook := e.url("/api/v1/ci/events")
	if code, body, err := postEvents(hook, webhookSecret, time.Now(), []byte(deployEvent(1, true))); code != http.StatusAccepted {
		t.Fatalf("webhook with the secret: %d %s %v", code, body, err)
	}
	var responses []string
	for _, key := range []string{"wrong", webhookSecret[:len(webhookSecret)-1]} {
		_, body, _ := postEvents(hook, key, time.Now(), []byte(deployEvent(2, true)))
		responses = append(responses, body)
	}
	_, body, _ := postEvents(hook, webhookSecret, time.Now(), []byte(`{"type":"deploy"}`))
	responses = append(responses, body)
	// A reload, a refused reload (the secret file is gone) and SIGHUP.
	post := func() string {
		resp, err := http.Post(e.url("/-/reload"), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprint(resp.StatusCode, string(b))
	}
	responses = append(responses, post())
	if err := os.Rename(filepath.Join(dir, "webhook.secret"), filepath.Join(dir, "webhook.secret.gone")); err != nil {
		t.Fatal(err)
	}
	refused := post()
	if !strings.HasPrefix(refused, "500") {
		t.Errorf("reload without the secret file: %s", refused)
	}
	responses = append(responses, refused)
	if err := os.Rename(filepath.Join(dir, "webhook.secret.gone"), filepath.Join(dir, "webhook.secret")); err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}

	waitFor(t, 20*time.Second, "the fake APIs see the token and the password, and a failed poll", func() (bool, string) {
		return costSeen.Load() >= 3 && registrySeen.Load() >= 1 && polls.Load() >= 4, fmt.Sprint(costSeen.Load(), registrySeen.Load())
	})
	if code, _, _ := postEvents(hook, webhookSecret, time.Now(), []byte(deployEvent(3, true))); code != http.StatusAccepted {
		t.Errorf("webhook after the reloads: %d", code)
	}

	pages := map[string]string{}
	for _, path := range []string{"/metrics", "/", "/scorecard.json", "/-/healthy", "/-/ready", "/api/v1/ci/events", "/nope"} {
		code, body, err := get(http.DefaultClient, e.url(path), "", "")
		if err != nil {
			t.Fatal(err)
		}
		pages[fmt.Sprintf("%s (%d)", path, code)] = body
	}
	for i, r := range responses {
		pages[fmt.Sprintf("response %d", i)] = r
	}
	pages["log"] = e.logText()
	if !strings.Contains(pages["log"], "reload refused") {
		t.Errorf("the refused reload is not logged; log:\n%s", pages["log"])
	}
	for name, text := range pages {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %.6s... appears in %s", s, name)
			}
		}
	}
}

// TestMetricsConcurrencyIsBounded: with --web.max-requests=2, two clients
// scraping back to back never see a 503, and a burst of many concurrent
// scrapes gets 503s (promhttp's in-flight limit) next to 200s.
func TestMetricsConcurrencyIsBounded(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "audit.jsonl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("state_dir: %[1]s/state\nsources:\n  audit:\n    - paths: [%[1]s/audit.jsonl]\n", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, cfg, "--web.max-requests=2")
	e.waitReady(30 * time.Second)

	// scrapers runs n clients, each on its own single connection, each
	// scraping k times, and counts the statuses.
	scrapers := func(n, k int) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for range k {
					code, body, err := get(c, e.url("/metrics"), "", "")
					if err != nil {
						code = -1
					}
					if code == 503 && !strings.Contains(body, "Limit of concurrent requests reached") {
						code = -503
					}
					mu.Lock()
					codes[code]++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		return codes
	}
	if codes := scrapers(2, 40); codes[200] != 80 {
		t.Fatalf("two sequential scrapers under a limit of two: %v, want 80 x 200", codes)
	}
	var last map[int]int
	waitFor(t, 60*time.Second, "a burst of 40 concurrent scrapes meets the limit", func() (bool, string) {
		last = scrapers(40, 5)
		return last[503] > 0, fmt.Sprint(last)
	})
	if last[200] == 0 || last[200]+last[503] != 200 {
		t.Errorf("burst: %v, want only 200s and 503s", last)
	}
}
