package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// File is one generated file, its path relative to the repository root.
type File struct {
	Path string
	Data []byte
}

// Dir is where the dashboards are written, relative to the repository root;
// ImportDir holds their grafana.com import form.
const (
	Dir       = "dashboards"
	ImportDir = "dashboards/grafana.com"
)

// Files renders every dashboard as provisioned JSON (Dir) and in the
// grafana.com import form (ImportDir). The output is deterministic.
func Files(o Options) ([]File, error) {
	all, err := All(o)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, d := range all {
		b, err := marshal(d.Model)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", d.UID, err)
		}
		out = append(out, File{Path: path.Join(Dir, d.File), Data: b})
		imp, err := ImportForm(b)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: import form: %w", d.UID, err)
		}
		out = append(out, File{Path: path.Join(ImportDir, d.File), Data: imp})
	}
	return out, nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ImportInput is the name of the datasource input of the import form.
const ImportInput = "DS_PROMETHEUS"

// ImportForm turns a dashboard's JSON into the form grafana.com and
// Grafana's "Import dashboard" expect: an __inputs entry asks for the
// Prometheus datasource, which becomes the datasource variable's default;
// __requires lists the plugins; the numeric id is dropped.
func ImportForm(model []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(model, &m); err != nil {
		return nil, err
	}
	delete(m, "id")
	ref := "${" + ImportInput + "}"
	tpl, _ := m["templating"].(map[string]any)
	list, _ := tpl["list"].([]any)
	found := false
	for _, v := range list {
		v, _ := v.(map[string]any)
		if v["type"] == "datasource" && v["name"] == DatasourceVar {
			v["current"] = map[string]any{"text": ref, "value": ref}
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("no datasource variable %q", DatasourceVar)
	}
	m["__inputs"] = []any{map[string]any{
		"name":        ImportInput,
		"label":       "Prometheus",
		"description": "The Prometheus that scrapes heady-exporter and evaluates the heady rules.",
		"type":        "datasource",
		"pluginId":    "prometheus",
		"pluginName":  "Prometheus",
	}}
	requires := []any{
		map[string]any{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
		map[string]any{"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
	}
	for _, t := range panelTypes(m) {
		requires = append(requires, map[string]any{"type": "panel", "id": t, "name": t, "version": ""})
	}
	m["__requires"] = requires
	m["__elements"] = map[string]any{}
	return marshal(m)
}

func panelTypes(m map[string]any) []string {
	seen := map[string]bool{}
	panels, _ := m["panels"].([]any)
	for _, p := range panels {
		p, _ := p.(map[string]any)
		if t, ok := p["type"].(string); ok && t != "row" {
			seen[t] = true
		}
	}
	var out []string
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// StripImportFields removes what ImportForm adds outside the dashboard
// model, so that the rest can be loaded strictly into the SDK types.
func StripImportFields(b []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k := range m {
		if strings.HasPrefix(k, "__") {
			delete(m, k)
		}
	}
	return json.Marshal(m)
}
