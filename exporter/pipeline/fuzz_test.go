package pipeline

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/internal/testutil"
)

// FuzzCheck checks that Check never panics on a file config accepts, that
// every error it returns is one line naming the file (the "FILE:LINE:
// KEY: message" style), and that the inputs of a file it accepts are
// complete: named, unique, not the CI webhook's while it is on, paths
// absolute, format and line bound set.
func FuzzCheck(f *testing.F) {
	testutil.AddSeedFiles(f, "../config/testdata/seeds/*.yml")
	for _, s := range []string{
		"sources:\n  audit: [{paths: ['[']}]\n",
		"sources:\n  audit: [{paths: [a], name: audit-2}, {paths: [b]}]\n",
		"web: {webhook_secret_file: s}\nsources: {ci: [{name: ci-webhook, paths: [c]}]}\n",
		"sources: {auth: [{paths: [a], format: mapping, mapping: {time: ts, rules: [{emit: [{type: signup, user: u}]}]}}]}\n",
		"sources: {auth: [{paths: [a], format: mapping, mapping: ~}]}\n",
		"sources: {ci: [{paths: [a], max_line_bytes: x}]}\n",
	} {
		f.Add([]byte(s))
	}
	const file = "/etc/heady/fuzz.yml"
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, file)
		if err != nil {
			return // config's own FuzzConfig
		}
		if err := Check(c); err != nil {
			if !strings.HasPrefix(err.Error(), file+":") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not one line naming the file: %q", err)
			}
			return
		}
		sc, err := parseSources(c, formats())
		if err != nil {
			t.Fatalf("Check accepted what parseSources refuses: %v", err)
		}
		names := map[string]bool{}
		for _, in := range sc.inputs {
			cfg := in.cfg
			if cfg.Name == "" || names[cfg.Name] || len(cfg.Paths) == 0 || cfg.MaxLineBytes == 0 || cfg.Format == "" {
				t.Fatalf("accepted input incomplete or repeated: %+v", cfg)
			}
			if in.block == nil && cfg.Name != config.WebhookSourceName {
				t.Fatalf("input %s from no block", cfg.Name)
			}
			names[cfg.Name] = true
			for _, p := range cfg.Paths {
				if !filepath.IsAbs(p) {
					t.Fatalf("input path %q not resolved", p)
				}
			}
		}
		if c.Web.WebhookEnabled() && !names[config.WebhookSourceName] {
			t.Fatalf("webhook on without its spool input: %v", names)
		}
	})
}
