package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/source/cost"
	"github.com/heady/heady-metrics/exporter/source/probe"
	"github.com/heady/heady-metrics/exporter/source/registry"
)

// TestCheckErrorsNameFileLineKey: what config hands to the sources (the
// registry, cost and probe blocks, each event input) is validated by them
// through Check, and the inputs' names by the pipeline, with errors naming
// the file, line and key as config's own do.
func TestCheckErrorsNameFileLineKey(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown key in http config", "sources:\n  cost:\n    url: http://x/\n    tls_config:\n      insecure_skip: true\n", "c.yml:5: sources.cost.tls_config.insecure_skip: unknown key"},
		{"unknown probe key", "sources:\n  probe:\n    target: [http://x/]\n", `c.yml:3: sources.probe.target: unknown key (did you mean "targets"?)`},
		{"unknown registry key", "sources:\n  registry:\n    pth: r.json\n", `c.yml:3: sources.registry.pth: unknown key (did you mean "path"?)`},
		{"bad duration", "sources:\n  probe:\n    interval: 5x\n", `c.yml:3: sources.probe.interval: unknown unit "x" in duration "5x"`},
		{"bad registry duration", "sources:\n  registry:\n    path: r.json\n    interval: 5x\n", `c.yml:4: sources.registry.interval: invalid duration "5x"`},
		{"unknown format", "sources:\n  audit:\n    - paths: [a]\n      format: nope\n", `c.yml:3: sources.audit[0].format: unknown format "nope" (known: canonical, heady-`},
		{"unknown input key", "sources:\n  audit:\n    - paths: [a]\n      fromat: canonical\n", `c.yml:4: sources.audit[0].fromat: unknown key`},
		{"missing paths", "sources:\n  audit:\n    - format: canonical\n", "c.yml:3: sources.audit[0].paths: required"},
		{"input did you mean", "sources:\n  audit:\n    - Paths: [a]\n", `c.yml:3: sources.audit[0].Paths: unknown key (did you mean "paths"?)`},
		{"bad glob", "sources:\n  auth:\n    - paths: ['[']\n", `c.yml:3: sources.auth[0].paths[0]: bad glob "["`},
		{"mapping without its format", "sources:\n  ci:\n    - paths: [a]\n      mapping: {time: ts}\n", "c.yml:4: sources.ci[0].mapping: only allowed with format: mapping"},
		{"bad mapping", "sources:\n  audit:\n    - paths: [a]\n      format: mapping\n      mapping:\n        time: ts\n        rule: []\n",
			`c.yml:7: sources.audit[0].mapping: unknown key "rule" (want time, rules)`},
		{"name used twice", "sources:\n  audit:\n    - paths: [a]\n  auth:\n    - paths: [b]\n      name: audit\n", `c.yml:5: sources.auth[0].name: source name "audit" used twice`},
		{"default name taken", "sources:\n  audit:\n    - {paths: [a], name: audit-2}\n    - paths: [b]\n", `c.yml:4: sources.audit[1].name: source name "audit-2" used twice`},
		{"webhook's name", "web:\n  webhook_secret_file: s\nsources:\n  ci:\n    - name: ci-webhook\n      paths: [a]\n", `c.yml:5: sources.ci[0].name: source name "ci-webhook" is the CI webhook's`},
		{"registry needs one of", "sources:\n  registry:\n    interval: 5s\n", "c.yml:3: sources.registry: set exactly one of path and url"},
		{"registry bad url", "sources:\n  registry:\n    url: ftp://x\n", `c.yml:3: sources.registry.url: bad URL "ftp://x": want http:// or https:// with a host`},
		{"registry bad http config", "sources:\n  registry:\n    url: http://x/\n    bearer_token: a\n    bearer_token_file: b\n", "c.yml:3: sources.registry: at most one of bearer_token & bearer_token_file must be configured"},
		{"bad url", "sources:\n  cost:\n    url: ftp://x\n", `c.yml:3: sources.cost.url: url "ftp://x": want an absolute http or https URL`},
		{"cost needs url or path", "sources:\n  cost:\n    interval: 1m\n", `c.yml:3: sources.cost: one of url and path is required`},
		{"timeout past interval", "sources:\n  probe: {interval: 5s, timeout: 10s}\n", "c.yml:2: sources.probe.timeout: must not exceed the interval"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(c.src), "c.yml")
			if err != nil {
				t.Fatalf("config: %v", err)
			}
			err = Check(cfg)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to start with %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestInputNames: an unnamed input is named after its stream ("audit",
// then "audit-2", ...), whatever the other inputs are called; the CI
// webhook's spool input comes last, and its name is free while it is off.
func TestInputNames(t *testing.T) {
	c, err := config.Parse([]byte(`state_dir: /var/lib/h
sources:
  audit:
    - paths: ["/var/log/heady/audit-*.jsonl"]
      format: canonical
    - paths: ["receipts/receipts-*.jsonl"]
    - {paths: [x], name: jobs}
  auth:
    - paths: ["/var/log/heady/auth.jsonl"]
  ci:
    - paths: ["/var/log/heady/ci.jsonl"]
web:
  webhook_secret_file: s
`), "/etc/heady/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := parseSources(c, formats())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range sc.inputs {
		names = append(names, in.cfg.Name)
	}
	if got := strings.Join(names, " "); got != "audit audit-2 jobs auth ci ci-webhook" {
		t.Errorf("names %s", got)
	}
	if in := sc.inputs[1].cfg; in.Paths[0] != "/etc/heady/receipts/receipts-*.jsonl" || in.Format != "canonical" {
		t.Errorf("second audit input: %+v", in)
	}
	if in := sc.inputs[5]; in.block != nil || in.cfg.Paths[0] != "/var/lib/h/webhook/ci-webhook.jsonl*" {
		t.Errorf("webhook's spool input: %+v", in)
	}
	off, err := config.Parse([]byte("sources:\n  ci:\n    - name: ci-webhook\n      paths: [a]\n"), "c.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(off); err != nil {
		t.Errorf("ci-webhook without the webhook: %v", err)
	}
}

// TestSourcesReadTheirBlocks: each source package reads its block with its
// defaults, and relative files resolve against the config file's directory.
func TestSourcesReadTheirBlocks(t *testing.T) {
	c, err := config.Parse([]byte(`sources:
  registry:
    path: reg/heady-registry.json
  cost:
    url: https://cost.internal/api
    interval: 60s
    bearer_token_file: token
  probe:
    interval: 30s
    timeout: 5s
`), "/etc/heady/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(c); err != nil {
		t.Fatal(err)
	}
	r, err := registry.ParseConfig(c.Sources.Registry)
	if err != nil || r.Path != "/etc/heady/reg/heady-registry.json" || r.Interval != registry.DefaultInterval || r.Timeout != registry.DefaultTimeout {
		t.Errorf("registry: %+v, %v", r, err)
	}
	co, err := cost.ParseConfig(c.Sources.Cost)
	if err != nil || time.Duration(co.Interval) != time.Minute || time.Duration(co.Timeout) != 10*time.Second {
		t.Errorf("cost durations: %+v, %v", co, err)
	}
	if a := co.HTTPClientConfig.Authorization; a == nil || a.CredentialsFile != "/etc/heady/token" {
		t.Errorf("http client config not inlined or not resolved: %+v", a)
	}
	p, err := probe.ParseConfig(c.Sources.Probe)
	if err != nil || len(p.Targets) != 9 {
		t.Errorf("default probe targets: %+v, %v", p, err)
	}
}
