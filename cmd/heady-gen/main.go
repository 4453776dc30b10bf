// Command heady-gen writes every file generated from the KPI catalog: the
// Grafana dashboards (dashboards/), the Prometheus rules, PrometheusRule and
// promtool tests (alerts/), the provisioning bundle (provisioning/) and the
// KPI table, the runbooks and the metric reference (docs/kpis.md,
// docs/runbooks.md, docs/metrics.md), and the Helm chart's copies of the
// rules and dashboards (charts/heady-metrics/files/).
//
//	go run ./cmd/heady-gen -out .
//
// The committed files are generated with the default flags; CI regenerates
// them and fails on any difference. They name no host: links inside
// Grafana are relative, and the alerts' links to Grafana and the runbooks
// are built when an alert fires from the external_url the exporter serves
// (package links), so a deployment sets its URL once, in the exporter's
// configuration, without regenerating.
package main

import (
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/exporter/collector"
	"github.com/heady/heady-metrics/provisioning"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "heady-gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	def := alerts.DefaultOptions()
	fs := flag.NewFlagSet("heady-gen", flag.ContinueOnError)
	out := fs.String("out", ".", "repository root to write the generated files under")
	job := fs.String("job", def.Job, "Prometheus job name scraping heady-exporter (exporter-absent alert, prometheus.yml)")
	stale := fs.String("source-stale-after", def.SourceStaleAfter, "age of a source's last success beyond which HeadySourceNotUpdated fires")
	webhook := fs.String("alert-webhook-url", "", "generic webhook Alertmanager sends every alert to besides Slack (your incident tool); empty: no webhook receiver")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ao := alerts.Options{Job: *job, SourceStaleAfter: *stale}
	files, err := Generate(ao, *webhook)
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(*out, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("heady-gen: wrote %d files under %s\n", len(files), *out)
	return nil
}

// File is a generated file, its path relative to the repository root.
type File struct {
	Path string
	Data []byte
}

// Generate renders every generated file; webhookURL is the generic alert
// webhook (empty: none).
func Generate(o alerts.Options, webhookURL string) ([]File, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var out []File
	sections, err := alerts.RunbookSections(o, true)
	if err != nil {
		return nil, err
	}
	ds, err := dashboards.Files(dashboards.Options{Runbooks: sections})
	if err != nil {
		return nil, err
	}
	for _, f := range ds {
		out = append(out, File(f))
	}
	as, err := alerts.Files(o)
	if err != nil {
		return nil, err
	}
	for _, f := range as {
		out = append(out, File(f))
	}
	ps, err := provisioning.Files(provisioning.Options{Job: o.Job, WebhookURL: webhookURL})
	if err != nil {
		return nil, err
	}
	for _, f := range ps {
		out = append(out, File(f))
	}
	ref, err := collector.Reference()
	if err != nil {
		return nil, err
	}
	out = append(out, File{Path: collector.ReferencePath, Data: ref})
	return append(out, chartFiles(out)...), nil
}

// ChartFilesDir is where the Helm chart reads the rules and dashboards it
// deploys (a chart can only read files inside its own directory).
const ChartFilesDir = "charts/heady-metrics/files"

// chartFiles are the chart's copies of the Prometheus rules (the
// PrometheusRule's spec) and of every provisioned dashboard (one ConfigMap
// each): byte for byte the bundle's files, so the drift check covers them.
func chartFiles(bundle []File) []File {
	var out []File
	for _, f := range bundle {
		switch {
		case f.Path == alerts.RulesPath:
			out = append(out, File{path.Join(ChartFilesDir, path.Base(f.Path)), f.Data})
		case path.Dir(f.Path) == dashboards.Dir && path.Ext(f.Path) == ".json":
			out = append(out, File{path.Join(ChartFilesDir, "dashboards", path.Base(f.Path)), f.Data})
		}
	}
	return out
}
