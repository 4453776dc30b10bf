package scorecard

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/kpi"
)

// Mode selects how the HTML is styled.
type Mode int

const (
	// Email inlines every style on its element (mail clients drop <style>
	// blocks and scripts) and lays out with tables only.
	Email Mode = iota
	// Page emits one small <style> block with the same rules as classes,
	// plus rules for narrow screens, so the live page stays a few
	// kilobytes.
	Page
)

// HTMLOptions configures the HTML renderer.
type HTMLOptions struct {
	Mode Mode
	// ChartSrc returns the image URL of a KPI's trend chart ("cid:..." in
	// mail, a file name next to the HTML, a data: URL); "" or a nil func
	// shows no chart.
	ChartSrc func(kpiID string) string
	// RefreshURL (Page only) is the JSON endpoint the page re-renders
	// itself from every RefreshSeconds; "" disables the script.
	RefreshURL     string
	RefreshSeconds int
}

// styles is the one style sheet: by class name, the declarations an
// element of that class gets. In Email mode they are inlined, in Page mode
// they become a <style> block. Names without an entry (such as "narrow")
// only matter to the page's media rules.
var styles = map[string]string{
	"body":      "margin:0;padding:0;background:#f6f8fa;color:#1f2328;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.4",
	"wrap":      "max-width:760px;margin:0 auto;padding:12px",
	"box":       "width:100%;box-sizing:border-box;border-collapse:collapse;background:#ffffff;border:1px solid #d0d7de;margin:0 0 12px 0",
	"h1":        "margin:0;font-size:20px;font-weight:600;color:#1f2328",
	"h2":        "margin:0;padding:8px 10px;font-size:15px;font-weight:600;background:#f6f8fa;border-bottom:1px solid #d0d7de;text-align:left",
	"meta":      "margin:4px 0 0 0;color:#59636e;font-size:12px",
	"score":     "margin:6px 0 0 0;font-size:15px;font-weight:600",
	"pad":       "padding:10px",
	"th":        "padding:6px 10px;text-align:left;font-size:11px;font-weight:600;color:#59636e;text-transform:uppercase;border-bottom:1px solid #d0d7de",
	"td":        "padding:6px 8px;vertical-align:middle;border-bottom:1px solid #eaeef2",
	"num":       "white-space:nowrap;font-variant-numeric:tabular-nums",
	"strong":    "font-weight:600",
	"small":     "display:block;color:#59636e;font-size:12px",
	"hero":      "font-size:30px;font-weight:600;line-height:1.1",
	"met":       "display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;background:#dafbe1;color:#1a7f37;white-space:nowrap",
	"missed":    "display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;background:#ffebe9;color:#cf222e;white-space:nowrap",
	"nodata":    "display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;background:#eaeef2;color:#59636e;white-space:nowrap",
	"better":    "color:#1a7f37;white-space:nowrap",
	"worse":     "color:#cf222e;white-space:nowrap",
	"neutral":   "color:#59636e;white-space:nowrap",
	"up":        "color:#1a7f37;font-weight:600",
	"down":      "color:#cf222e;font-weight:600",
	"a":         "color:#0969da;text-decoration:none",
	"foot":      "color:#59636e;font-size:12px;padding:4px 2px 16px 2px",
	"img":       "display:block;border:0",
	"container": "width:100%;max-width:760px;border-collapse:collapse",
	"headline":  "margin:6px 0 0 0;font-size:18px;font-weight:600",
	"inline":    "display:inline",
	"spark":     "margin:4px 0 0 0",
	"outer":     "padding:8px 2px",
}

// pageCSS is the page-only part: a desktop screen's width, the panels in
// columns, and the media rule for phones.
const pageCSS = `.wrap{max-width:1800px}.top{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin:0 0 12px 0}.top .box{margin:0}.flush{margin:-10px -10px 8px -10px}.mlist{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:4px 16px}.mitem{padding:3px 0;border-bottom:1px solid #eaeef2}div.box{width:auto}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px;align-items:start}.grid .box{margin:0}.box{table-layout:auto}` +
	`@media (max-width:600px){.narrow{display:none}.wrap{padding:6px}.hero{font-size:24px}.td,.th{padding:5px 6px}.grid{display:block}.grid .box{margin:0 0 12px 0}.top{display:block}.top .box{margin:0 0 12px 0}}`

// css renders styles as class rules, sorted for a stable page.
func css() string {
	names := make([]string, 0, len(styles))
	for n := range styles {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if n == "body" {
			fmt.Fprintf(&b, "body{%s}", styles[n])
			continue
		}
		fmt.Fprintf(&b, ".%s{%s}", n, styles[n])
	}
	b.WriteString(pageCSS)
	return b.String()
}

// attr renders the style of the named classes as an attribute: inline
// declarations in Email mode, a class list in Page mode.
func attr(m Mode, names ...string) template.HTMLAttr {
	if m == Page {
		return template.HTMLAttr(`class="` + template.HTMLEscapeString(strings.Join(names, " ")) + `"`)
	}
	var parts []string
	for _, n := range names {
		if s := styles[n]; s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return template.HTMLAttr(`style="` + template.HTMLEscapeString(strings.Join(parts, ";")) + `"`)
}

// view is what the templates see.
type view struct {
	*Card
	Opt    HTMLOptions
	Panels []Panel
	North  *Row
	// MissedRows are the missed KPIs but the North Star (shown above
	// them with its status).
	MissedRows []Row
	HasChart   bool
}

func (c *Card) view(o HTMLOptions) *view {
	v := &view{Card: c, Opt: o}
	for _, r := range c.Missed() {
		if r.KPI.Panel != kpi.PanelNorthStar {
			v.MissedRows = append(v.MissedRows, r)
		}
	}
	for _, p := range c.Panels() {
		if p.ID == kpi.PanelNorthStar && len(p.Rows) == 1 {
			r := p.Rows[0]
			v.North = &r
		}
		v.Panels = append(v.Panels, p)
	}
	if o.ChartSrc != nil {
		for _, r := range c.Rows {
			if o.ChartSrc(r.KPI.ID) != "" {
				v.HasChart = true
			}
		}
	}
	return v
}

func (v *view) refreshSeconds() int {
	if v.Opt.RefreshSeconds <= 0 {
		return 10
	}
	return v.Opt.RefreshSeconds
}

func (v *view) chart(id string) string {
	if v.Opt.ChartSrc == nil {
		return ""
	}
	return v.Opt.ChartSrc(id)
}

var tmpl = template.Must(template.New("doc").Funcs(template.FuncMap{
	"st": func(v *view, names ...string) template.HTMLAttr { return attr(v.Opt.Mode, names...) },
	"chart": func(v *view, id string) template.URL {
		// Chart URLs are built by our own callers (cid:, file names,
		// data:image/png): mark them safe so that cid: is kept.
		return template.URL(v.chart(id))
	},
	"badge": func(status kpi.Status) string {
		switch status {
		case kpi.StatusMet, kpi.StatusMissed:
			return string(status)
		}
		return "nodata"
	},
	"changeClass": func(r Row) string {
		_, d := r.Change()
		return [...]string{"neutral", "better", "worse"}[d]
	},
	"changeText": func(r Row) string {
		s, _ := r.Change()
		return s
	},
	"alt":        ChartAlt,
	"fmtT":       fmtTime,
	"css":        func() template.CSS { return template.CSS(css()) },
	"errs":       errorsText,
	"isPage":     func(v *view) bool { return v.Opt.Mode == Page },
	"refreshSec": func(v *view) int { return v.refreshSeconds() },
	"refreshMS":  func(v *view) int { return v.refreshSeconds() * 1000 },
	"down":       func(c *Card) string { return strings.Join(c.SourcesDown(), ", ") },
	"cw":         func() int { return ChartWidth },
	"ch":         func() int { return ChartHeight },
}).Parse(docTemplate))

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// fmtUnit formats v in r's unit.
func fmtUnit(r Row, v float64) string { return kpi.FormatValue(r.KPI.Unit, v) }

const docTemplate = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Subject}}</title>
{{- if isPage .}}<style>{{css}}</style>{{end}}</head>
<body {{st . "body"}}>{{if isPage .}}<div {{st . "wrap"}} id="card">{{template "card" .}}</div>
{{- if .Opt.RefreshURL}}<script>
setInterval(function(){fetch({{.Opt.RefreshURL}},{cache:"no-store"}).then(function(r){if(!r.ok)throw r.status;return r.json()}).then(function(j){var c=document.getElementById("card");c.innerHTML=j.html;c.setAttribute("data-at",j.at);document.title=j.title}).catch(function(){})},{{refreshMS .}});
</script>{{end}}
{{- else}}<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {{st . "body"}}><tr><td align="center" {{st . "outer"}}>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {{st . "container"}}><tr><td>{{template "card" .}}</td></tr></table>
</td></tr></table>{{end}}
</body></html>
{{define "card" -}}
<div {{st . "top"}}>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {{st . "box"}}><tr><td {{st . "pad"}}>
<h1 {{st . "h1"}}>{{.Title}}</h1>
<p {{st . "meta"}}>{{if not .Week.IsZero}}{{.Week.Start.Format "Mon 2 Jan 2006"}} to {{(.Week.End.AddDate 0 0 -1).Format "Mon 2 Jan 2006"}} (UTC); values as of {{fmtT .At}}{{else}}As of {{fmtT .At}}{{end}}, from {{.Origin}}.</p>
{{- if .Note}}<p {{st . "meta"}}>{{.Note}}</p>{{end}}
<p {{st . "headline"}} id="headline" data-count-met="{{.Counts.Met}}" data-count-missed="{{.Counts.Missed}}" data-count-nodata="{{.Counts.NoData}}">{{.Headline}}</p>
{{- if .Sources}}<p {{st . "meta"}} id="sources-down">{{with down .Card}}<span {{st $ "down"}}>Sources down: {{.}}</span>{{else}}All {{len .Sources}} sources up{{end}}</p>{{end}}
</td></tr></table>
{{- with .North}}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {{st $ "box"}}>
<tr><th colspan="2" {{st $ "h2"}}>North Star</th></tr>
<tr data-kpi="{{.KPI.ID}}" data-status="{{.Status}}"><td {{st $ "pad"}}><span {{st $ "small"}}>{{.KPI.Title}}</span>
<span {{st $ "hero" "num"}}>{{.ValueText}}</span>
<span {{st $ "small"}}>{{with .TargetText}}target {{.}} &middot; {{end}}<span {{st $ (badge .Status)}}>{{.StatusText}}</span>{{with changeText .}} &middot; <span {{st $ (changeClass $.North)}}>{{.}}</span>{{end}}</span></td>
<td align="right" {{st $ "pad"}}>{{with chart $ .KPI.ID}}<img src="{{.}}" width="{{cw}}" height="{{ch}}" alt="{{alt $.North}}" {{st $ "img"}}>{{end}}</td></tr>
</table>
{{- end}}
</div>
{{- with .MissedRows}}{{if isPage $}}
<div {{st $ "box" "pad"}} id="missed"><h2 {{st $ "h2" "flush"}}>Missed</h2><div {{st $ "mlist"}}>
{{- range .}}
<div {{st $ "mitem"}} data-missed="{{.KPI.ID}}"><span {{st $ "strong"}}>{{.KPI.Title}}</span> <span {{st $ "num"}}>{{.ValueText}}</span> <span {{st $ "small" "inline"}}>target {{.TargetText}}</span></div>
{{- end}}
</div></div>
{{- else}}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {{st $ "box"}} id="missed">
<tr><th colspan="2" {{st $ "h2"}}>Missed</th></tr>
{{- range .}}
<tr data-missed="{{.KPI.ID}}"><td {{st $ "td" "strong"}}>{{.KPI.Title}}</td><td {{st $ "td"}}><span {{st $ "num"}}>{{.ValueText}}</span> <span {{st $ "small" "inline"}}>target {{.TargetText}}</span></td></tr>
{{- end}}
</table>{{end}}
{{- end}}
<div {{st . "grid"}}>
{{- range .Panels}}{{if ne .ID "north_star"}}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {{st $ "box"}}>
<tr><th colspan="3" {{st $ "h2"}}>{{.Title}}</th></tr>
<tr><th {{st $ "th"}}>KPI</th><th width="1%" {{st $ "th"}}>Value</th><th width="1%" {{st $ "th"}}>Status</th></tr>
{{- range $r := .Rows}}
<tr data-kpi="{{.KPI.ID}}" data-status="{{.Status}}"><td {{st $ "td"}}><span {{st $ "strong"}}>{{.KPI.Title}}</span>
<span {{st $ "small"}}>{{with .TargetText}}target {{.}}{{end}}{{with changeText .}}{{if $r.TargetText}} &middot; {{end}}<span {{st $ (changeClass $r)}}>{{.}}</span>{{end}}</span>
{{- with .TopText}}<span {{st $ "small"}}>{{.}}</span>{{end}}
{{- with chart $ .KPI.ID}}<img src="{{.}}" width="{{cw}}" height="{{ch}}" alt="" {{st $ "img" "spark"}}>{{end}}</td>
<td {{st $ "td" "num"}}>{{.ValueText}}</td>
<td {{st $ "td"}}><span {{st $ (badge .Status)}}>{{.StatusText}}</span></td></tr>
{{- end}}
</table>
{{- end}}{{end}}
</div>
{{- if .Sources}}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {{st . "box"}} id="sources">
<tr><th colspan="5" {{st . "h2"}}>Sources</th></tr>
<tr><th {{st . "th"}}>Source</th><th {{st . "th"}}>Up</th><th {{st . "th" "narrow"}}>Last success</th><th {{st . "th"}}>Errors</th><th {{st . "th" "narrow"}}>Last error</th></tr>
{{- range .Sources}}
<tr data-source="{{.Name}}"><td {{st $ "td" "strong"}}>{{.Name}}</td><td {{st $ "td"}}>{{if .Up}}<span {{st $ "up"}}>up</span>{{else}}<span {{st $ "down"}}>{{.StatusText}}</span>{{end}}</td><td {{st $ "td" "num" "narrow"}}>{{fmtT .LastSuccess}}</td><td {{st $ "td"}}>{{errs .Errors}}</td><td {{st $ "td" "narrow"}}>{{.Problem}}</td></tr>
{{- end}}
</table>
{{- end}}
<p {{st . "foot"}}>{{if isPage .}}<a href="metrics" {{st . "a"}}>/metrics</a> &middot; <a href="-/healthy" {{st . "a"}}>health</a> &middot; <a href="-/ready" {{st . "a"}}>readiness</a>{{end}}{{with .Links.Executive}}{{if isPage $}} &middot; {{end}}<a href="{{.}}" {{st $ "a"}}>Is Heady winning? (Grafana)</a>{{end}}{{with .Links.Docs}} &middot; <a href="{{.}}" {{st $ "a"}}>KPI definitions and runbooks</a>{{end}}{{if and (isPage .) .Opt.RefreshURL}} &middot; refreshes every {{refreshSec .}}s{{end}}</p>
{{- end}}`

// errorsText sums a source's error counters and names the largest reasons:
// "12 (parse_error 10, read_error 2)".
func errorsText(m map[event.Reason]uint64) string {
	type kv struct {
		r event.Reason
		n uint64
	}
	var all []kv
	var total uint64
	for r, n := range m {
		if n > 0 {
			all = append(all, kv{r, n})
			total += n
		}
	}
	if total == 0 {
		return "0"
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].r < all[j].r
	})
	parts := make([]string, 0, 3)
	for i, x := range all {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", x.r, x.n))
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// WriteHTML renders the whole document.
func (c *Card) WriteHTML(w io.Writer, o HTMLOptions) error {
	if err := tmpl.ExecuteTemplate(w, "doc", c.view(o)); err != nil {
		return fmt.Errorf("scorecard html: %w", err)
	}
	return nil
}

// Fragment renders the part of the page that refreshes (what the page's
// script swaps in).
func (c *Card) Fragment(o HTMLOptions) (string, error) {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, "card", c.view(o)); err != nil {
		return "", fmt.Errorf("scorecard html: %w", err)
	}
	return b.String(), nil
}
