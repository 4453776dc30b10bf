package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFullExample(t *testing.T) {
	src := `state_dir: state
sources:
  audit:
    - paths: ["/var/log/heady/audit-*.jsonl"]
      format: canonical
    - paths: ["receipts/receipts-*.jsonl"]
  auth:
    - paths: ["/var/log/heady/auth.jsonl"]
  ci:
    - paths: ["/var/log/heady/ci.jsonl"]
  registry:
    path: /srv/heady/heady-registry.json
    interval: 30s
  cost:
    url: https://cost.internal/api
    interval: 60s
    bearer_token_file: token
  probe:
    interval: 30s
    timeout: 5s
`
	c, err := Parse([]byte(src), "/etc/heady/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != "/etc/heady/state" {
		t.Errorf("state_dir not resolved against the config's directory: %s", c.StateDir)
	}
	if got := c.Sources.Audit[1].Paths[0]; got != "/etc/heady/receipts/receipts-*.jsonl" {
		t.Errorf("relative path: %s", got)
	}
	if c.Sources.Audit[1].Format != "canonical" || c.Sources.Audit[1].Name != "audit-2" || c.Sources.Audit[0].Name != "audit" {
		t.Errorf("defaults: %+v", c.Sources.Audit[1])
	}
	if len(c.Sources.Probe.Targets) != 9 {
		t.Errorf("default probe targets: %d", len(c.Sources.Probe.Targets))
	}
	if time.Duration(c.Sources.Cost.Interval) != time.Minute || time.Duration(c.Sources.Cost.Timeout) != 10*time.Second {
		t.Errorf("cost durations: %v %v", c.Sources.Cost.Interval, c.Sources.Cost.Timeout)
	}
	if c.Sources.Cost.HTTPClientConfig.Authorization == nil || c.Sources.Cost.HTTPClientConfig.Authorization.CredentialsFile != "/etc/heady/token" {
		t.Errorf("http client config not inlined or not resolved: %+v", c.Sources.Cost.HTTPClientConfig.Authorization)
	}
}

func TestSmallestConfig(t *testing.T) {
	c, err := Parse([]byte("sources:\n  audit:\n    - paths: [a.jsonl]\n"), "c.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine.CheckpointInterval.D() != DefaultCheckpointInterval || c.Engine.TopN != DefaultTopN {
		t.Errorf("engine defaults: %+v", c.Engine)
	}
}

func TestErrorsNameFileLineKey(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown top key", "sources: {}\nstate_dri: x\n", "c.yml:2: state_dri: unknown key"},
		{"unknown nested key", "sources:\n  audit:\n    - paths: [a]\n      fromat: canonical\n", `c.yml:4: sources.audit[0].fromat: unknown key`},
		{"unknown key in http config", "sources:\n  cost:\n    url: http://x/\n    tls_config:\n      insecure_skip: true\n", "c.yml:5: sources.cost.tls_config.insecure_skip: unknown key"},
		{"unknown probe key", "sources:\n  probe:\n    target: [http://x/]\n", `c.yml:3: sources.probe.target: unknown key (did you mean "targets"?)`},
		{"bad duration", "sources:\n  probe:\n    interval: 5x\n", `c.yml:3: sources.probe.interval: unknown unit "x" in duration "5x"`},
		{"missing paths", "sources:\n  audit:\n    - format: canonical\n", "c.yml:3: sources.audit[0].paths: required"},
		{"unknown format", "sources:\n  audit:\n    - paths: [a]\n      format: nope\n", `c.yml:3: sources.audit[0].format: unknown format "nope"`},
		{"registry needs one of", "sources:\n  registry:\n    interval: 5s\n", "c.yml:3: sources.registry: set exactly one of path and url"},
		{"bad url", "sources:\n  cost:\n    url: ftp://x\n", `c.yml:3: sources.cost.url: url "ftp://x": want an absolute http or https URL`},
		{"cost needs url or path", "sources:\n  cost:\n    interval: 1m\n", `c.yml:3: sources.cost: one of url and path is required`},
		{"syntax", "sources: [\n", "c.yml:"},
		{"wrong type", "sources:\n  audit: 5\n", "c.yml:2: sources.audit: cannot unmarshal"},
		{"no sources", "state_dir: x\n", "sources: no source configured"},
		{"bad shard", "sources:\n  ci: [{paths: [a]}]\nshard: {index: 3, count: 3}\n", "c.yml:3: shard: need 0 <= index < count"},
		{"timeout past interval", "sources:\n  probe: {interval: 5s, timeout: 10s}\n", "sources.probe.timeout: must not exceed the interval"},
		{"did you mean", "sources:\n  audit:\n    - Paths: [a]\n", `did you mean "paths"?`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "c.yml")
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yml"))
	if !os.IsNotExist(err) {
		t.Errorf("want a not-exist error, got %v", err)
	}
}
