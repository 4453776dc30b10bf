package dashboards_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/heady/heady-metrics/alerts"
	"github.com/heady/heady-metrics/dashboards"
	"github.com/heady/heady-metrics/internal/gentest"
	"github.com/heady/heady-metrics/kpi"
)

// repoRoot is where generated paths (relative to the repository) resolve.
const repoRoot = ".."

func options() dashboards.Options {
	sections, err := alerts.RunbookSections(alerts.DefaultOptions(), true)
	if err != nil {
		panic(err) // the catalog's runbooks are broken: every test fails
	}
	return dashboards.Options{Runbooks: sections}
}

func generated(t *testing.T) []dashboards.File {
	t.Helper()
	files, err := dashboards.Files(options())
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// The committed dashboards are what the generator produces now, and the
// generator is deterministic.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	gentest.CheckCommitted(t, repoRoot, func() ([]dashboards.File, error) { return dashboards.Files(options()) },
		dashboards.Dir+"/*.json", dashboards.ImportDir+"/*.json")
}

func strict(path string, b []byte) (dashboard.Dashboard, error) {
	var d dashboard.Dashboard
	err := d.UnmarshalJSONStrict(b)
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		err = nil // the SDK returns an empty error list on success
	}
	if err != nil {
		return d, fmt.Errorf("%s does not load strictly into the SDK types: %w", path, err)
	}
	// The strict loader (v0.0.22) validates every level but drops panels
	// whose nested decoding returns its empty error list, so the model the
	// tests inspect comes from the regular loader.
	d = dashboard.Dashboard{}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// committed loads every committed dashboard strictly, both forms, once for
// all tests (decoding them is the slow part of the suite).
var committed = sync.OnceValues(func() (map[string]dashboard.Dashboard, error) {
	plugins.RegisterDefaultPlugins()
	files, err := dashboards.Files(options())
	if err != nil {
		return nil, err
	}
	out := map[string]dashboard.Dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(repoRoot, f.Path))
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(f.Path, dashboards.ImportDir+"/") {
			if b, err = dashboards.StripImportFields(b); err != nil {
				return nil, err
			}
		}
		if out[f.Path], err = strict(f.Path, b); err != nil {
			return nil, err
		}
	}
	return out, nil
})

func loadAll(t *testing.T) map[string]dashboard.Dashboard {
	t.Helper()
	ds, err := committed()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestDashboardsLoadStrictly(t *testing.T) {
	ds := loadAll(t)
	if len(ds) != 2*(len(kpi.Panels)+3) {
		t.Errorf("loaded %d dashboards, want %d", len(ds), 2*(len(kpi.Panels)+3))
	}
	// Unknown fields are rejected: the strict loader is not a no-op.
	var d dashboard.Dashboard
	err := d.UnmarshalJSONStrict([]byte(`{"title":"x","schemaVersion":41,"templating":{},"annotations":{},"bogus":1}`))
	var be cog.BuildErrors
	if err == nil || (errors.As(err, &be) && len(be) == 0) {
		t.Error("strict loading accepted an unknown field")
	}
}

type panelInfo struct {
	dash        string
	panel       dashboard.Panel
	exprs       []string
	datasources []string
}

func panels(d dashboard.Dashboard, path string) []panelInfo {
	var out []panelInfo
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		pi := panelInfo{dash: path, panel: *p.Panel}
		if p.Panel.Datasource != nil && p.Panel.Datasource.Uid != nil {
			pi.datasources = append(pi.datasources, *p.Panel.Datasource.Uid)
		}
		for _, q := range p.Panel.Targets {
			pq, ok := q.(*prometheus.Dataquery)
			if !ok {
				continue
			}
			pi.exprs = append(pi.exprs, pq.Expr)
			if pq.Datasource != nil && pq.Datasource.Uid != nil {
				pi.datasources = append(pi.datasources, *pq.Datasource.Uid)
			} else {
				pi.datasources = append(pi.datasources, "")
			}
		}
		out = append(out, pi)
	}
	return out
}

func byUID(t *testing.T) map[string]dashboard.Dashboard {
	out := map[string]dashboard.Dashboard{}
	for path, d := range loadAll(t) {
		if strings.HasPrefix(path, dashboards.ImportDir+"/") {
			continue
		}
		out[*d.Uid] = d
	}
	return out
}

// Every KPI of the catalog is on the executive dashboard and on its
// panel's drill-down, and each such panel states the KPI's target.
func TestEveryKPIHasAPanel(t *testing.T) {
	ds := byUID(t)
	for _, uid := range []string{dashboards.ExecutiveUID, ""} {
		for _, k := range kpi.Catalog {
			u := uid
			if u == "" {
				u = dashboards.PanelUID(k.Panel)
			}
			want := k.Expr
			if want == "" {
				want = k.TopExpr
			}
			if u == dashboards.ExecutiveUID {
				want = dashboards.StatusQueries(k)[dashboards.RefNotJudged]
			}
			found := false
			for _, p := range panels(ds[u], u) {
				if p.panel.Description == nil || !strings.Contains(*p.panel.Description, "(KPI `"+k.ID+"`)") {
					continue
				}
				for _, e := range p.exprs {
					if e == want {
						found = true
						if !strings.Contains(*p.panel.Description, k.Help) ||
							!strings.Contains(*p.panel.Description, k.Target.Text(k.Unit)) {
							t.Errorf("%s: panel %q of %s does not describe its definition and target", k.ID, *p.panel.Title, u)
						}
					}
				}
			}
			if !found {
				t.Errorf("%s: no panel of %s queries it", k.ID, u)
			}
		}
	}
}

// Every metric a dashboard query reads is one the exporter exports.
func TestQueriesReadExportedSeries(t *testing.T) {
	n := 0
	for path, d := range loadAll(t) {
		for _, p := range panels(d, path) {
			for _, e := range p.exprs {
				names := dashboards.MetricNames(e)
				if len(names) == 0 {
					t.Errorf("%s %q: query reads no metric: %s", path, *p.panel.Title, e)
				}
				for _, name := range names {
					n++
					if !exported(name) {
						t.Errorf("%s %q: %s is not an exported series (query %s)", path, *p.panel.Title, name, e)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no query checked")
	}
}

func exported(name string) bool {
	switch name {
	case kpi.RecordValue, kpi.RecordPrev, kpi.RecordTrend, kpi.RecordMet, kpi.RecordNoData,
		kpi.RecordCountMet, kpi.RecordCountMissed, kpi.RecordCountNoData, kpi.RecordCountJudged:
		return true
	}
	for _, suffix := range []string{"", "_bucket", "_count", "_sum"} {
		if s, ok := kpi.LookupSeries(strings.TrimSuffix(name, suffix)); ok && (suffix == "" || s.Type == kpi.Histogram) {
			return true
		}
	}
	return false
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum without (instance, window) (heady_a{window="7d",x=~"a|b"}) / (heady_b > 0)`:     {"heady_a", "heady_b"},
		`histogram_quantile(0.95, sum without (instance) (heady_h_bucket{le!="1e6"}))`:       {"heady_h_bucket"},
		`time() - max without (instance) (heady_ts) and on (job) up{job="heady"} * 1e6`:      {"heady_ts", "up"},
		`sum without (instance) (rate(heady_errors_total[$__rate_interval])) or vector(0)`:   {"heady_errors_total"},
		`topk(5, heady:kpi_value{kpi="x"}) unless ignoring (kpi) group_left heady:kpi_trend`: {"heady:kpi_trend", "heady:kpi_value"},
	} {
		if got := dashboards.MetricNames(expr); !reflect.DeepEqual(got, want) {
			t.Errorf("MetricNames(%s) = %v, want %v", expr, got, want)
		}
	}
}

// No dashboard hard-codes a datasource: every panel and query uses the
// datasource variable, whose default is the provisioned datasource.
func TestDatasourceVariable(t *testing.T) {
	for path, d := range loadAll(t) {
		var dsVar *dashboard.VariableModel
		for i, v := range d.Templating.List {
			if v.Type == "datasource" && v.Name == dashboards.DatasourceVar {
				dsVar = &d.Templating.List[i]
			}
		}
		if dsVar == nil {
			t.Errorf("%s: no datasource variable", path)
			continue
		}
		def := dashboards.DatasourceUID
		if strings.HasPrefix(path, dashboards.ImportDir+"/") {
			def = "${" + dashboards.ImportInput + "}"
		}
		if dsVar.Current == nil || dsVar.Current.Value.String == nil || *dsVar.Current.Value.String != def {
			t.Errorf("%s: datasource variable defaults to %+v, want %s", path, dsVar.Current, def)
		}
		for _, p := range panels(d, path) {
			for _, uid := range p.datasources {
				if uid != "${"+dashboards.DatasourceVar+"}" {
					t.Errorf("%s %q: datasource %q, want the variable", path, *p.panel.Title, uid)
				}
			}
		}
	}
}

func TestImportForm(t *testing.T) {
	for _, f := range generated(t) {
		if !strings.HasPrefix(f.Path, dashboards.ImportDir+"/") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(f.Data, &m); err != nil {
			t.Fatal(err)
		}
		inputs, _ := m["__inputs"].([]any)
		if len(inputs) != 1 || inputs[0].(map[string]any)["name"] != dashboards.ImportInput {
			t.Errorf("%s: __inputs = %v", f.Path, m["__inputs"])
		}
		if _, ok := m["__requires"]; !ok {
			t.Errorf("%s: no __requires", f.Path)
		}
		if _, ok := m["id"]; ok {
			t.Errorf("%s: keeps a numeric id", f.Path)
		}
		if bytes.Contains(f.Data, []byte(dashboards.DatasourceUID)) {
			t.Errorf("%s: names the provisioned datasource uid", f.Path)
		}
	}
}

// UIDs are stable and unique, and every link points at a dashboard that
// exists: the executive dashboard reaches every drill-down and back.
func TestUIDsAndLinks(t *testing.T) {
	ds := byUID(t)
	wantUIDs := []string{dashboards.ExecutiveUID, dashboards.SourcesUID, dashboards.RunbooksUID}
	for _, p := range kpi.Panels {
		wantUIDs = append(wantUIDs, dashboards.PanelUID(p.ID))
	}
	for _, u := range wantUIDs {
		if _, ok := ds[u]; !ok {
			t.Errorf("no dashboard with uid %s", u)
		}
	}
	if len(ds) != len(wantUIDs) {
		t.Errorf("%d dashboards, want %d (uids must be unique)", len(ds), len(wantUIDs))
	}
	linked := map[string]map[string]bool{}
	for uid, d := range ds {
		linked[uid] = map[string]bool{}
		var urls []string
		for _, l := range d.Links {
			if l.Url != nil {
				urls = append(urls, *l.Url)
			}
			if l.Type == dashboard.DashboardLinkTypeDashboards && !slices.Contains(l.Tags, dashboards.Tag) {
				t.Errorf("%s: dashboards link without the %s tag", uid, dashboards.Tag)
			}
		}
		for _, p := range panels(d, uid) {
			for _, l := range p.panel.Links {
				if l.Url != nil {
					urls = append(urls, *l.Url)
				}
			}
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, "/d/") {
				continue
			}
			target := strings.SplitN(strings.TrimPrefix(u, "/d/"), "?", 2)[0]
			if _, ok := ds[target]; !ok {
				t.Errorf("%s links to missing dashboard %s", uid, target)
			}
			linked[uid][target] = true
		}
		if !slices.Contains(d.Tags, dashboards.Tag) {
			t.Errorf("%s: not tagged %s", uid, dashboards.Tag)
		}
	}
	for _, u := range wantUIDs {
		if u == dashboards.ExecutiveUID {
			continue
		}
		if !linked[dashboards.ExecutiveUID][u] {
			t.Errorf("executive dashboard does not link to %s", u)
		}
		if !linked[u][dashboards.ExecutiveUID] {
			t.Errorf("%s does not link back to the executive dashboard", u)
		}
	}
}
