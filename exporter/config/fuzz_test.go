package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/internal/testutil"
)

// FuzzConfig checks that Parse never panics on any bytes, that every error
// it returns names the file (the "FILE:LINE: KEY: message" style), and that
// a config it accepts is complete: defaults filled, paths absolute, every
// input block placed, webhook options consistent. (What an input holds is
// the stream source's: exporter/pipeline's FuzzCheck.)
func FuzzConfig(f *testing.F) {
	testutil.AddSeedFiles(f, "testdata/seeds/*.yml")
	for _, s := range []string{
		"sources:\n  audit: [~, {paths: ['[']}]\n",
		"web: {webhook_secret_file: s, webhook_max_body_bytes: -1}\nsources: {ci: [{name: ci-webhook, paths: [c]}]}\n",
		"engine: {top_n: 4, dedup_horizon: 1d, checkpoint_interval: 0s}\n",
		"shard: {index: 3, count: 3}\nsources: {probe: {}}\n",
		"\t- not yaml: [\n",
		"--- \n...\n",
	} {
		f.Add([]byte(s))
	}
	const file = "/etc/heady/fuzz.yml"
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, file)
		if err != nil {
			if !strings.HasPrefix(err.Error(), file+":") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if c.File != file || !filepath.IsAbs(c.StateDir) || !c.HasSources() {
			t.Fatalf("accepted config incomplete: file %q state_dir %q sources %v", c.File, c.StateDir, c.HasSources())
		}
		e := c.Engine
		if e.CheckpointInterval <= 0 || e.TopN < 5 || e.DedupHorizon <= 0 || e.PollInterval <= 0 || e.DedupMaxIDs == 0 {
			t.Fatalf("engine defaults missing: %+v", e)
		}
		for _, st := range Streams() {
			for i, b := range c.Sources.Inputs(st) {
				if b == nil || b.Key() != fmt.Sprintf("sources.%s[%d]", st, i) || b.Dir() != filepath.Dir(file) {
					t.Fatalf("accepted input block empty or not placed: %+v", b)
				}
			}
		}
		w := c.Web
		if w.WebhookEnabled() {
			if !filepath.IsAbs(w.WebhookSecretFile) || w.WebhookReplayWindow <= 0 || w.WebhookReplayWindow.D() > MaxWebhookReplayWindow ||
				w.WebhookMaxBodyBytes < MinWebhookBodyBytes || w.WebhookMaxBodyBytes > MaxWebhookBodyBytes ||
				w.WebhookSpoolMaxBytes < w.WebhookMaxBodyBytes {
				t.Fatalf("accepted webhook options out of bounds: %+v", w)
			}
		} else if w.WebhookReplayWindow != 0 || w.WebhookMaxBodyBytes != 0 || w.WebhookSpoolMaxBytes != 0 {
			t.Fatalf("webhook options without the webhook: %+v", w)
		}
		if s := c.Shard; s != nil && (s.Count < 1 || s.Index < 0 || s.Index >= s.Count) {
			t.Fatalf("accepted shard %+v", s)
		}
	})
}
