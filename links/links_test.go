package links

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "",
		"https://grafana.example.com":     "https://grafana.example.com",
		"https://grafana.example.com/":    "https://grafana.example.com",
		"http://example.com:3000/grafana": "http://example.com:3000/grafana",
	} {
		b, err := Parse(in)
		if err != nil || b.URL != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, b.URL, err, want)
		}
	}
	for _, bad := range []string{"grafana.example.com", "ftp://g.example", "https://g.example/?x=1", "https://g.example/#a", "https://"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	b, _ := Parse("https://g.example/grafana")
	if b.Dashboard("heady-trust") != "https://g.example/grafana/d/heady-trust" || b.Docs() != "https://g.example/grafana/d/heady-runbooks" ||
		b.Executive() != "https://g.example/grafana/d/heady-executive" {
		t.Errorf("links %q %q %q", b.Dashboard("heady-trust"), b.Docs(), b.Executive())
	}
	if (Base{}).Docs() != "" || (Base{}).Executive() != "" || RunbookPath(3) != "/d/heady-runbooks?viewPanel=3" {
		t.Error("without an external URL there is no outside link")
	}
}
