package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/alerts"
)

// heady-gen with the default flags reproduces the committed files.
func TestRunWritesTheCommittedFiles(t *testing.T) {
	out := t.TempDir()
	if err := run([]string{"-out", out}); err != nil {
		t.Fatal(err)
	}
	files, err := Generate(alerts.DefaultOptions(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d files generated", len(files))
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(out, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("..", "..", f.Path))
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("%s: committed file differs from heady-gen's output (run make generate)", f.Path)
		}
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	for _, args := range [][]string{
		{"-out", t.TempDir(), "-job", ""},
		{"-out", t.TempDir(), "-source-stale-after", "soon"},
		{"-no-such-flag"},
	} {
		if err := run(args); err == nil {
			t.Errorf("heady-gen %v succeeded", args)
		}
	}
}

// The chart's files are the bundle's rules and every provisioned dashboard,
// byte for byte, and nothing else.
func TestChartCopiesTheBundle(t *testing.T) {
	files, err := Generate(alerts.DefaultOptions(), "")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
	}
	want := map[string]string{ChartFilesDir + "/heady-rules.yml": alerts.RulesPath}
	dashboards, _ := filepath.Glob(filepath.Join("..", "..", "dashboards", "*.json"))
	if len(dashboards) < 9 {
		t.Fatalf("%d dashboards", len(dashboards))
	}
	for _, d := range dashboards {
		want[ChartFilesDir+"/dashboards/"+filepath.Base(d)] = "dashboards/" + filepath.Base(d)
	}
	for chart, bundle := range want {
		if byPath[chart] == nil || !bytes.Equal(byPath[chart], byPath[bundle]) {
			t.Errorf("%s is not generated as a copy of %s", chart, bundle)
		}
	}
	for p := range byPath {
		if strings.HasPrefix(p, ChartFilesDir+"/") && want[p] == "" {
			t.Errorf("%s: generated into the chart but not part of the bundle", p)
		}
	}
	committed, _ := filepath.Glob(filepath.Join("..", "..", filepath.FromSlash(ChartFilesDir), "dashboards", "*"))
	for _, c := range committed {
		if p := ChartFilesDir + "/dashboards/" + filepath.Base(c); byPath[p] == nil {
			t.Errorf("%s is not generated any more: delete it", p)
		}
	}
}
