package config

import (
	"strings"
	"testing"
	"time"
)

func TestWebhookDefaultsAndResolution(t *testing.T) {
	c, err := Parse([]byte("state_dir: st\nweb:\n  webhook_secret_file: hook.secret\n"), "/etc/heady/c.yml")
	if err != nil {
		t.Fatal(err)
	}
	w := c.Web
	if w.WebhookSecretFile != "/etc/heady/hook.secret" || w.WebhookReplayWindow.D() != 5*time.Minute ||
		w.WebhookMaxBodyBytes != 1<<20 || w.WebhookSpoolMaxBytes != 64<<20 {
		t.Errorf("defaults: %+v", w)
	}
	if !c.HasSources() {
		t.Error("the webhook alone is a source")
	}
}

func TestWebhookValidation(t *testing.T) {
	cases := map[string]string{
		"web:\n  webhook_replay_window: 1m\n":                               "c.yml:2: web: webhook options set without webhook_secret_file",
		"web:\n  webhook_secret_file: s\n  webhook_replay_window: 2h\n":     "c.yml:3: web.webhook_replay_window: must be at most 1h",
		"web:\n  webhook_secret_file: s\n  webhook_replay_window: -1m\n":    `c.yml:3: web.webhook_replay_window: invalid duration "-1m"`,
		"web:\n  webhook_secret_file: s\n  webhook_max_body_bytes: 100\n":   "c.yml:3: web.webhook_max_body_bytes: must be from 1024 to 67108864, got 100",
		"web:\n  webhook_secret_file: s\n  webhook_max_body_bytes: 1e9\n":   "c.yml:3: web.webhook_max_body_bytes: must be from 1024 to 67108864, got 1000000000",
		"web:\n  webhook_secret_file: s\n  webhook_spool_max_bytes: 2048\n": "c.yml:3: web.webhook_spool_max_bytes: must be at least webhook_max_body_bytes (1048576), got 2048",
		"web:\n  webhook_secret_file: s\n  webhook_secret: x\n":             `c.yml:3: web.webhook_secret: unknown key`,
	}
	for src, want := range cases {
		_, err := Parse([]byte(src), "c.yml")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q:\n got %v\nwant %s", src, err, want)
		}
	}
	// An input named as the webhook's source is the pipeline's to refuse
	// (TestCheckErrorsNameFileLineKey, TestWebhookNameFreeWhileOff).
}
