package cost

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func decodeStrict(t *testing.T, doc string) (Config, error) {
	t.Helper()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	err := dec.Decode(&c)
	return c, err
}

func TestConfigDefaultsAndInlineHTTPClient(t *testing.T) {
	c, err := decodeStrict(t, `
url: https://cost.internal/api
bearer_token_file: /etc/heady/token
tls_config:
  ca_file: /etc/heady/ca.pem
budget_caps:
  total: 5000
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Interval != DefaultInterval || c.Timeout != DefaultTimeout || c.MaxRetries != DefaultMaxRetries || c.MaxElapsed != DefaultMaxElapsed {
		t.Errorf("defaults not applied: %+v", c)
	}
	// common's Validate turns bearer_token_file into an authorization block.
	if a := c.HTTPClientConfig.Authorization; a == nil || a.Type != "Bearer" || a.CredentialsFile != "/etc/heady/token" || c.HTTPClientConfig.TLSConfig.CAFile != "/etc/heady/ca.pem" {
		t.Errorf("http client settings not read: %+v", c.HTTPClientConfig)
	}
	if !c.HTTPClientConfig.FollowRedirects || !c.HTTPClientConfig.EnableHTTP2 {
		t.Error("common's HTTP client defaults not applied")
	}
	if c.BudgetCaps["total"] != 5000 {
		t.Errorf("budget_caps = %v", c.BudgetCaps)
	}

	c, err = decodeStrict(t, "path: costs.json\ninterval: 2m\nmax_retries: 0\n")
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Interval) != 2*time.Minute || c.MaxRetries != 0 {
		t.Errorf("explicit values lost: %+v", c)
	}
	c.SetDirectory("/etc/heady")
	if c.Path != "/etc/heady/costs.json" {
		t.Errorf("SetDirectory: path = %q", c.Path)
	}
}

func TestConfigRejects(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"url: https://x\nbearer_tokn_file: /t\n", "bearer_tokn_file"},
		{"url: https://x\nintervall: 1m\n", "intervall"},
		{"interval: 1m\n", "one of url and path"},
		{"url: https://x\npath: /f\n", "mutually exclusive"},
		{"url: cost.internal\n", "absolute http"},
		{"url: https://x\ntimeout: 0s\n", "timeout"},
		{"url: https://x\nmax_retries: -1\n", "max_retries"},
		{"url: https://x\nbudget_caps: {total: 0}\n", "budget_caps"},
		{"url: https://x\nbearer_token: a\nbasic_auth: {username: u, password: p}\n", "at most one"},
	} {
		_, err := decodeStrict(t, tc.doc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to mention %q", tc.doc, err, tc.want)
		}
	}
}
