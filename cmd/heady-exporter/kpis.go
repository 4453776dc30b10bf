package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/pipeline"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/kpi"
)

// kpiJSON is one KPI in the kpis command's output.
type kpiJSON struct {
	Value      *float64 `json:"value"`
	Target     any      `json:"target"`
	Comparison string   `json:"comparison,omitempty"`
	Met        *bool    `json:"met"`
	Status     string   `json:"status"`
	Display    string   `json:"display"`
	TargetText string   `json:"target_text,omitempty"`
	Previous   *float64 `json:"previous,omitempty"`
	Trend      *float64 `json:"trend,omitempty"`
	Top        []topRow `json:"top,omitempty"`
	Unit       string   `json:"unit"`
	Panel      string   `json:"panel"`
	Title      string   `json:"title"`
}

type topRow struct {
	Workflow string  `json:"workflow,omitempty"`
	Policy   string  `json:"policy,omitempty"`
	Count    float64 `json:"count"`
}

// display is the value as people read it ("no data" without one).
func display(r kpi.Result) string {
	if !r.HasValue {
		if len(r.Top) > 0 {
			return r.Top[0].Name
		}
		return "no data"
	}
	return kpi.FormatValue(r.KPI.Unit, r.Value)
}

func num(v float64, ok bool) *float64 {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// kpisDocument renders results as one JSON object keyed by KPI id, in
// catalog order.
func kpisDocument(results []kpi.Result) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("{\n")
	for i, r := range results {
		k := r.KPI
		out := kpiJSON{
			Value: num(r.Value, r.HasValue), Met: r.Met, Unit: string(k.Unit), Panel: string(k.Panel), Title: k.Title,
			Previous: num(r.Prev, r.HasPrev), Trend: num(r.Trend, r.HasTrend),
			Status: string(r.Status), Display: display(r), TargetText: k.Target.Text(k.Unit),
		}
		switch {
		case k.Target.HasValueTarget():
			out.Target, out.Comparison = k.Target.Value, string(k.Target.Op)
		case k.Target.HasTrendTarget():
			out.Target = string(k.Target.Trend)
		}
		if k.TopExpr != "" {
			out.Top = []topRow{}
			for _, t := range r.Top {
				row := topRow{Count: t.Count}
				if k.ID == "top_workflows" {
					row.Workflow = t.Name
				} else {
					row.Policy = t.Name
				}
				out.Top = append(out.Top, row)
			}
		}
		var enc bytes.Buffer
		e := json.NewEncoder(&enc)
		e.SetEscapeHTML(false) // keep ">" readable
		if err := e.Encode(out); err != nil {
			return nil, err
		}
		b := bytes.TrimSpace(enc.Bytes())
		key, _ := json.Marshal(k.ID)
		buf.WriteString("  ")
		buf.Write(key)
		buf.WriteString(": ")
		buf.Write(b)
		if i < len(results)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("}\n")
	return buf.Bytes(), nil
}

// errNothingReadable is printKPIs' error when a configured source had
// nothing readable (exit 1; the JSON is still printed).
var errNothingReadable = errors.New("a configured source had nothing readable (see above)")

// printKPIs prints the KPIs as JSON on w and, on diag, one line per source
// saying what it read and skipped. It returns errNothingReadable when a
// configured source read nothing: a path matching no file, a file that
// cannot be read, a registry or cost API that could not be fetched.
func printKPIs(ctx context.Context, cfg *config.Config, now time.Time, logger *slog.Logger, w, diag io.Writer) error {
	eng, healths, err := pipeline.ReadOnce(ctx, cfg, now, logger)
	if err != nil {
		return err
	}
	v := eng.Evaluate(now.UnixMilli())
	doc, err := kpisDocument(kpi.Evaluate(kpi.Input{Samples: v.Samples, Exact: v.Exact, Top: v.Top}))
	if err != nil {
		return err
	}
	if _, err := w.Write(doc); err != nil {
		return err
	}
	empty := false
	for _, h := range healths {
		line, nothing := readSummary(h.View())
		empty = empty || nothing
		fmt.Fprintf(diag, "heady-exporter kpis: source %s: %s\n", h.Name(), line)
	}
	if empty {
		return errNothingReadable
	}
	return nil
}

// readSummary says what one source read and skipped, and whether it had
// nothing readable.
func readSummary(v source.HealthView) (string, bool) {
	one, many := "record", "records"
	var parts []string
	if v.FileSource() {
		one, many = "line", "lines"
		parts = append(parts, plural(v.Files, "file", "files"))
		if len(v.Unmatched) > 0 {
			parts = append(parts, "no file matches "+strings.Join(v.Unmatched, ", "))
		}
	}
	parts = append(parts, plural(int(v.Records), one, many)+" read")
	var skipped uint64
	for _, n := range v.Errors {
		skipped += n
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped or failed (%s)", skipped, source.FormatReasons(v.Errors)))
	}
	line := strings.Join(parts, ", ")
	switch v.State {
	case source.StateNoFiles, source.StateDown, source.StateStarting:
		if v.LastError != "" {
			line += "; last error: " + v.LastError
		}
		return "nothing readable: " + line, true
	}
	return line, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
