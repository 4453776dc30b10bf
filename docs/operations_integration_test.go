//go:build integration

package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/internal/testutil"
)

// The Prometheus snippets of operations.md (scrape job, rule files,
// Alertmanager target) are valid prometheus.yml files for promtool.
func TestOperationsPrometheusSnippets(t *testing.T) {
	promtool := gentest.Upstream(t, "promtool")
	dir := t.TempDir()
	n := 0
	for _, heading := range []string{"## Scrape the exporter", "## Load the rules"} {
		for _, block := range testutil.DocBlocks(t, "operations.md", heading, "yaml") {
			if !strings.Contains(block, "scrape_configs:") && !strings.Contains(block, "rule_files:") {
				continue
			}
			n++
			p := filepath.Join(dir, "prometheus.yml")
			if err := os.WriteFile(p, []byte(block), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := gentest.Run(dir, promtool, "check", "config", "--syntax-only", p)
			if err != nil {
				t.Errorf("promtool check config of the snippet under %q: %v\n%s\n%s", heading, err, out, block)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d Prometheus snippets checked, want the scrape job and the rule files", n)
	}
}

// The bot-token variant of the Slack receivers that operations.md
// describes, applied to the generated Alertmanager configuration, is
// accepted by amtool.
func TestOperationsSlackBotTokenConfig(t *testing.T) {
	amtool := gentest.Upstream(t, "amtool")
	var snippet string
	for _, block := range testutil.DocBlocks(t, "operations.md", "## Route alerts to Slack", "yaml") {
		if strings.Contains(block, "chat.postMessage") {
			snippet = block
		}
	}
	if snippet == "" {
		t.Fatal("operations.md shows no bot-token snippet")
	}
	generated, err := os.ReadFile("../provisioning/alertmanager/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	// "      - api_url_file: F" (the first key of a receiver's list item)
	// or "        api_url_file: F" becomes the snippet at the same place.
	urlFile := regexp.MustCompile(`(?m)^( +)(- )?api_url_file: .*$`)
	if len(urlFile.FindAll(generated, -1)) == 0 {
		t.Fatal("the generated configuration has no api_url_file to replace")
	}
	cfg := urlFile.ReplaceAllFunc(generated, func(line []byte) []byte {
		m := urlFile.FindSubmatch(line)
		first, rest := string(m[1])+string(m[2]), string(m[1])+strings.Repeat(" ", len(m[2]))
		var out []string
		for i, l := range strings.Split(strings.TrimRight(snippet, "\n"), "\n") {
			if i == 0 {
				out = append(out, first+l)
			} else {
				out = append(out, rest+l)
			}
		}
		return []byte(strings.Join(out, "\n"))
	})
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("../provisioning/alertmanager/templates/heady.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"templates/heady.tmpl": tmpl, "alertmanager.yml": cfg} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := gentest.Run(dir, amtool, "check-config", filepath.Join(dir, "alertmanager.yml"))
	if err != nil {
		t.Fatalf("amtool check-config with the documented bot token: %v\n%s\n%s", err, out, cfg)
	}
}
