package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	// The source blocks, each event input's too, are kept for their
	// owners (exporter/pipeline's check_test reads them through the
	// sources), with where they are.
	for key, b := range map[string]*Block{"sources.registry": c.Sources.Registry, "sources.cost": c.Sources.Cost, "sources.probe": c.Sources.Probe,
		"sources.audit[0]": c.Sources.Audit[0], "sources.audit[1]": c.Sources.Audit[1], "sources.auth[0]": c.Sources.Auth[0], "sources.ci[0]": c.Sources.CI[0]} {
		if b == nil || b.Key() != key || b.Dir() != "/etc/heady" {
			t.Errorf("%s: block %+v", key, b)
		}
	}
	if len(c.Sources.Audit) != 2 || c.Sources.Audit[1].Line() != 6 || len(c.Sources.Inputs("auth")) != 1 || c.Sources.Inputs("ci")[0].Line() != 10 {
		t.Errorf("inputs: audit %v, auth %v, ci %v", c.Sources.Audit, c.Sources.Auth, c.Sources.CI)
	}
	if c.Sources.Registry.Line() != 12 || c.Sources.Cost.Line() != 15 || c.Sources.Probe.Line() != 19 {
		t.Errorf("block lines: %d %d %d", c.Sources.Registry.Line(), c.Sources.Cost.Line(), c.Sources.Probe.Line())
	}
}

// TestBlockErrors: a source block's owner decodes it strictly and places
// its errors with the file, line and key (the owners' own checks are
// exporter/pipeline's check_test).
func TestBlockErrors(t *testing.T) {
	c, err := Parse([]byte("sources:\n  cost:\n    url: http://x/\n    tls_config:\n      insecure_skip: true\n    interval: 5x\n"), "c.yml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		URL       string `yaml:"url"`
		Interval  Duration
		TLSConfig struct {
			InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
		} `yaml:"tls_config"`
	}
	err = c.Sources.Cost.Decode(&v)
	if want := `c.yml:5: sources.cost.tls_config.insecure_skip: unknown key`; err == nil || err.Error() != want {
		t.Errorf("unknown key: %v\nwant %s", err, want)
	}
	var w struct {
		URL      string   `yaml:"url"`
		Interval Duration `yaml:"interval"`
		TLS      any      `yaml:"tls_config"`
	}
	err = c.Sources.Cost.Decode(&w)
	if want := `c.yml:6: sources.cost.interval: invalid duration "5x"`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("bad value: %v\nwant %s...", err, want)
	}
	err = c.Sources.Cost.Errorf("timeout", "must not exceed %s", "the interval")
	if want := "c.yml:3: sources.cost.timeout: must not exceed the interval"; err == nil || err.Error() != want {
		t.Errorf("Errorf: %v\nwant %s", err, want)
	}
	if err := c.Sources.Cost.Errorf("", "broken"); err == nil || err.Error() != "c.yml:3: sources.cost: broken" {
		t.Errorf("Errorf of the block: %v", err)
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

// TestErrorsNameFileLineKey: config's own errors. What an input or a
// source block holds is its source's to validate: those errors are
// asserted in exporter/pipeline's TestCheckErrorsNameFileLineKey.
func TestErrorsNameFileLineKey(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown top key", "sources: {}\nstate_dri: x\n", "c.yml:2: state_dri: unknown key"},
		{"unknown nested key", "sources:\n  audit: [{paths: [a]}]\n  costs: {url: x}\n", `c.yml:3: sources.costs: unknown key (did you mean "cost"?)`},
		{"empty input", "sources:\n  audit:\n    - paths: [a]\n    -\n", "c.yml:4: sources.audit[1]: empty input"},
		{"syntax", "sources: [\n", "c.yml:"},
		{"wrong type", "sources:\n  audit: 5\n", "c.yml:2: sources.audit: cannot unmarshal"},
		{"no sources", "state_dir: x\n", "sources: no source configured"},
		{"bad shard", "sources:\n  ci: [{paths: [a]}]\nshard: {index: 3, count: 3}\n", "c.yml:3: shard: need 0 <= index < count"},
		{"did you mean", "sources:\n  audti:\n    - paths: [a]\n", `c.yml:2: sources.audti: unknown key (did you mean "audit"?)`},
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
