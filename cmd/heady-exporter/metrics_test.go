package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/promslog"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/demo"
	"github.com/heady/heady-metrics/exporter/pipeline"
	"github.com/heady/heady-metrics/exporter/webhook"
)

// referenceRow is a family's row in docs/metrics.md: its name and type.
var referenceRow = regexp.MustCompile("^\\| `([a-z0-9_:]+)` \\| ([a-z]+)")

// TestMetricReferenceCoversRegistry serves the demo data set with the
// registry /metrics serves, gathers it, and fails for every family the
// committed docs/metrics.md has no row for, or documents with another
// type. A family added to the exporter without an entry in kpi.AllSeries
// (from which heady-gen writes the reference) fails here.
func TestMetricReferenceCoversRegistry(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	if err := demo.Write(dir, now); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	logger := promslog.NewNopLogger()
	srv, err := pipeline.NewServer(cfg, logger, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	hook := webhook.New(time.Now, logger)
	defer func() {
		if err := hook.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	for !srv.Ready() {
		select {
		case err := <-done:
			t.Fatalf("server stopped before ready: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}

	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	closed := map[string]map[string]map[string]bool{} // family -> label -> values
	for _, line := range strings.Split(string(doc), "\n") {
		if m := referenceRow.FindStringSubmatch(line); m != nil {
			documented[m[1]] = m[2]
			closed[m[1]] = closedLabelSets(line)
		}
	}
	mfs, err := newRegistry(srv, hook, newLinksSetting(cfg.ExternalURL.Base)).Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	for _, mf := range mfs {
		served++
		typ, ok := documented[mf.GetName()]
		want := strings.ToLower(mf.GetType().String())
		switch {
		case !ok:
			t.Errorf("%s (%s) is served but docs/metrics.md has no row for it: declare it in kpi.AllSeries and run `make generate`", mf.GetName(), want)
		case typ != want:
			t.Errorf("%s is served as a %s, docs/metrics.md says %s", mf.GetName(), want, typ)
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if vs := closed[mf.GetName()][lp.GetName()]; vs != nil && !vs[lp.GetValue()] {
					t.Errorf("%s{%s=%q}: docs/metrics.md lists the values %v", mf.GetName(), lp.GetName(), lp.GetValue(), vs)
				}
			}
		}
	}
	// The demo data set feeds every source: the heady_ families served
	// must be most of what the reference lists, or the gather saw nothing.
	if served < 60 {
		t.Errorf("only %d families served over the demo data", served)
	}
}

var (
	labelCell   = regexp.MustCompile("^`([a-z_]+)`: (.*)$")
	codeValue   = regexp.MustCompile("`([^`]*)`")
	parenthesis = regexp.MustCompile(`\([^)]*\)`)
)

// closedLabelSets reads the labels cell of a reference row and returns the
// labels whose values it lists completely: only code spans, commas and
// remarks in parentheses ("`1w`, `4w` (weeks after the cohort week)"), not
// prose ("a repository of CI events").
func closedLabelSets(row string) map[string]map[string]bool {
	cells := strings.Split(row, " | ")
	if len(cells) < 3 {
		return nil
	}
	out := map[string]map[string]bool{}
	for _, part := range strings.Split(cells[2], "; ") {
		m := labelCell.FindStringSubmatch(part)
		if m == nil {
			continue
		}
		values := parenthesis.ReplaceAllString(m[2], "")
		if strings.Trim(codeValue.ReplaceAllString(values, ""), ", ") != "" {
			continue
		}
		set := map[string]bool{}
		for _, v := range codeValue.FindAllStringSubmatch(values, -1) {
			set[v[1]] = true
		}
		out[m[1]] = set
	}
	return out
}
