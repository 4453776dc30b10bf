package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/kpi"
)

// TestDigestCommand runs `digest --out` on the demo data set as a user
// would: the files are written, the North Star value is the one `kpis`
// computes at the week's end, a second run the same week delivers
// nothing, and --force delivers again.
func TestDigestCommand(t *testing.T) {
	dir := t.TempDir()
	const now = "2026-11-30T07:00:00Z" // reports 2026-W48, values as of 2026-11-30T00:00:00Z
	if code, _, stderr := runCmd(t, "demo", "--out="+dir, "--now="+now); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	cfg := filepath.Join(dir, "config.yml")
	out := filepath.Join(dir, "digest")
	args := []string{"digest", "--config.file=" + cfg, "--now=" + now, "--out=" + out, "--chart.days=2"}
	code, stdout, stderr := runCmd(t, args...)
	if code != 0 || !strings.Contains(stdout, "digest 2026-W48 delivered: Heady scorecard 2026-W48: ") {
		t.Fatalf("digest: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"digest.html", "digest.txt", "digest.eml", "chart-north_star.png", "digest-ledger.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	txt, _ := os.ReadFile(filepath.Join(out, "digest.txt"))

	code, kout, stderr := runCmd(t, "kpis", "--config.file="+cfg, "--now=2026-11-30T00:00:00Z")
	if code != 0 {
		t.Fatalf("kpis: %s", stderr)
	}
	var doc map[string]struct{ Value *float64 }
	if err := json.Unmarshal([]byte(kout), &doc); err != nil || doc["north_star"].Value == nil {
		t.Fatalf("kpis output: %v", err)
	}
	ns, _ := kpi.Lookup("north_star")
	want := regexp.MustCompile(regexp.QuoteMeta(ns.Title) + ` +` + regexp.QuoteMeta(kpi.FormatValue(ns.Unit, *doc["north_star"].Value)) + ` `)
	if !want.Match(txt) {
		t.Errorf("digest.txt does not show the North Star of `kpis` at the week's end (%v):\n%s", *doc["north_star"].Value, txt)
	}

	code, stdout, _ = runCmd(t, args...)
	if code != 0 || !strings.Contains(stdout, "already delivered") {
		t.Errorf("second run: exit %d: %s", code, stdout)
	}
	code, stdout, _ = runCmd(t, append(args, "--force")...)
	if code != 0 || !strings.Contains(stdout, "delivered: ") || strings.Contains(stdout, "already") {
		t.Errorf("forced run: exit %d: %s", code, stdout)
	}
	var ledger []map[string]any
	b, _ := os.ReadFile(filepath.Join(out, "digest-ledger.json"))
	if err := json.Unmarshal(b, &ledger); err != nil || len(ledger) != 2 {
		t.Errorf("ledger %s: %v", b, err)
	}

	for _, bad := range [][]string{
		{"digest", "--config.file=" + cfg},                                                                // nowhere to deliver
		{"digest", "--config.file=" + cfg, "--out=" + out, "--now=monday"},                                // bad --now
		{"digest", "--config.file=" + cfg, "--smtp.smarthost=nohost", "--smtp.from=a@b", "--smtp.to=c@d"}, // no port
		{"digest", "--config.file=" + cfg, "--smtp.to=c@d", "--out=" + out},                               // recipients but no server
	} {
		if code, _, _ := runCmd(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad[2:], code, exitUsage)
		}
	}
	// A missing sender is named with its configuration key and flag; the
	// configuration file's settings are completed by the flags.
	code, _, stderr = runCmd(t, "digest", "--config.file="+cfg, "--smtp.smarthost=127.0.0.1:25", "--smtp.to=c@example.com")
	if code != exitUsage || !strings.Contains(stderr, "no sender: set digest.smtp.from") || !strings.Contains(stderr, "--smtp.from") {
		t.Errorf("missing from: exit %d: %s", code, stderr)
	}
	withSMTP := filepath.Join(dir, "with-smtp.yml")
	base, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withSMTP, append(base, []byte("\ndigest:\n  smtp:\n    smarthost: 127.0.0.1:25\n    to: [ceo@example.com]\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, "digest", "--config.file="+withSMTP, "--smtp.from=not an address")
	if code != exitUsage || !strings.Contains(stderr, `from "not an address" is not a valid address`) {
		t.Errorf("invalid from: exit %d: %s", code, stderr)
	}
}
