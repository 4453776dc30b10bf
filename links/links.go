// Package links owns the one setting for links that leave Grafana: the
// external URL people open this deployment's Grafana at (external_url in
// the exporter's configuration). Everything a person follows from outside
// Grafana is derived from it: the dashboards linked from alerts and from
// the digest, the runbooks (a generated Grafana dashboard, so links to them
// from inside Grafana stay relative) and the page's and digest's link to
// the KPI definitions. Links inside Grafana are paths, never hosts.
//
// The exporter serves the setting as heady_exporter_links_info, so the
// alert rules, which ship generated, read it when an alert fires instead
// of carrying a host of their own.
package links

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/heady/heady-metrics/kpi"
)

// Dashboard UIDs the links point at.
const (
	ExecutiveUID = "heady-executive"
	RunbooksUID  = "heady-runbooks"
)

// Path is the Grafana path of a dashboard: relative to Grafana's root (and
// to its sub-path, which Grafana prepends to links that start with "/").
func Path(uid string) string { return "/d/" + uid }

// RunbookPath is the Grafana path of one runbook: its panel of the
// runbooks dashboard, shown on its own.
func RunbookPath(panelID uint32) string {
	return fmt.Sprintf("%s?viewPanel=%d", Path(RunbooksUID), panelID)
}

// Base is the external URL of Grafana; the zero Base makes every link a
// relative path.
type Base struct{ URL string }

// Parse checks an external URL: empty, or an absolute http(s) URL with a
// host and no query or fragment.
func Parse(s string) (Base, error) {
	if s == "" {
		return Base{}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Base{}, fmt.Errorf("external URL %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return Base{}, fmt.Errorf("external URL %q: want http(s)://host[:port][/path], Grafana's root as people open it", s)
	}
	return Base{URL: strings.TrimSuffix(s, "/")}, nil
}

// At is the link to a Grafana path.
func (b Base) At(path string) string { return b.URL + path }

// Dashboard is the link to a dashboard.
func (b Base) Dashboard(uid string) string { return b.At(Path(uid)) }

// Docs is the link to the KPI definitions and runbooks ("" with no
// external URL: a page outside Grafana cannot link into it).
func (b Base) Docs() string {
	if b.URL == "" {
		return ""
	}
	return b.Dashboard(RunbooksUID)
}

// Executive is the link to the executive dashboard ("" with no external
// URL).
func (b Base) Executive() string {
	if b.URL == "" {
		return ""
	}
	return b.Dashboard(ExecutiveUID)
}

// InfoSeries is the exporter's series carrying the setting, label
// external_url.
const InfoSeries = kpi.SLinksInfo

// Template is the Prometheus template of the external URL, rendered with
// an alert's annotations: the exporters' current InfoSeries, or while none
// is scraped (the exporter is down, or Prometheus just restarted) the last
// one seen in 7 days; empty when no exporter has set it.
const Template = `{{ with query "max by (external_url) (` + InfoSeries + `)" }}{{ . | first | label "external_url" }}{{ else }}` +
	`{{ with query "max by (external_url) (last_over_time(` + InfoSeries + `[7d]))" }}{{ . | first | label "external_url" }}{{ end }}{{ end }}`
