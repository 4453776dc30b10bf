package config

import (
	"strings"
	"testing"
)

const minimal = "sources:\n  auth:\n    - paths: [/tmp/a]\n"

func TestExternalURLAndDigestSMTP(t *testing.T) {
	c, err := Parse([]byte(minimal+"external_url: https://grafana.example.com/\ndigest:\n  smtp:\n    smarthost: mail:587\n    from: Heady <s@example.com>\n    to: [a@example.com]\n    auth_password_file: pw\n"), "/etc/heady/x.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.ExternalURL.URL != "https://grafana.example.com" || c.ExternalURL.Docs() != "https://grafana.example.com/d/heady-runbooks" {
		t.Errorf("external URL %q", c.ExternalURL.URL)
	}
	if s := c.Digest.SMTP; s.Smarthost != "mail:587" || s.From != "Heady <s@example.com>" || len(s.To) != 1 || s.AuthPasswordFile != "/etc/heady/pw" {
		t.Errorf("smtp %+v", s)
	}
	if err := (&SMTPConfig{Smarthost: "mail:587", To: []string{"a@example.com"}}).Check(); err == nil || !strings.Contains(err.Error(), "no sender: set digest.smtp.from") {
		t.Errorf("missing from: %v", err)
	}
	for in, want := range map[string]string{
		"external_url: ftp://x\n":              "x.yml:4: external_url: external URL \"ftp://x\": want http(s)",
		"external_url: https://g.example/?a\n": "x.yml:4: external_url:",
		"digest:\n  smtp:\n    smarthost: mail:587\n    from: nope\n    to: [a@example.com]\n": "x.yml:6: digest.smtp: from \"nope\" is not a valid address",
		"digest:\n  smtp:\n    smarthost: mail\n    from: a@b.c\n    to: [a@example.com]\n":    "smarthost \"mail\": want host:port",
		"digest:\n  smtp:\n    bogus: 1\n":                                                     "bogus",
	} {
		_, err := Parse([]byte(minimal+in), "/etc/heady/x.yml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}
