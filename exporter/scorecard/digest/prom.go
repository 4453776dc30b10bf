package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	"github.com/prometheus/common/model"

	"github.com/heady/heady-metrics/exporter/scorecard"
	"github.com/heady/heady-metrics/kpi"
)

// PromFetcher reads the KPIs' recording rules (kpi.RecordValue,
// kpi.RecordPrev, kpi.RecordTrend and the judgment kpi.RecordMet, one
// series per KPI by label kpi) and
// the top lists' TopExpr from Prometheus's HTTP API. Series that differ
// in other labels (replicas of an HA pair) are reduced with max by (kpi).
//
// It uses client_golang's HTTP client (package api) and decodes the
// documented JSON envelope itself: the typed v1 package would pull in a
// JSON library this module does not otherwise depend on.
type PromFetcher struct {
	client api.Client
	url    string
}

// NewPromFetcher returns a fetcher for the Prometheus at url; rt may be
// nil for the default transport.
func NewPromFetcher(url string, rt http.RoundTripper) (*PromFetcher, error) {
	c, err := api.NewClient(api.Config{Address: url, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", url, err)
	}
	return &PromFetcher{client: c, url: url}, nil
}

// apiResponse is the envelope of Prometheus's /api/v1 answers.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

type queryData struct {
	ResultType model.ValueType `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// call POSTs a query to endpoint ("query", "query_range") and returns the
// result, whose type must be want.
func (p *PromFetcher) call(ctx context.Context, endpoint string, args url.Values, want model.ValueType) (json.RawMessage, error) {
	u := p.client.URL("/api/v1/"+endpoint, nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(args.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body, err := p.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d: not a Prometheus API answer: %w", resp.StatusCode, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("HTTP %d: %s: %s", resp.StatusCode, r.ErrorType, r.Error)
	}
	var d queryData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return nil, fmt.Errorf("decoding data: %w", err)
	}
	if d.ResultType != want {
		return nil, fmt.Errorf("got a %s, want a %s", d.ResultType, want)
	}
	return d.Result, nil
}

func unixArg(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// Origin implements Fetcher.
func (p *PromFetcher) Origin() string { return "Prometheus at " + p.url }

func byKPI(record string) string { return "max by (kpi) (" + record + ")" }

func (p *PromFetcher) vector(ctx context.Context, q string, t time.Time) (model.Vector, error) {
	raw, err := p.call(ctx, "query", url.Values{"query": {q}, "time": {unixArg(t)}}, model.ValVector)
	var vec model.Vector
	if err == nil {
		err = json.Unmarshal(raw, &vec)
	}
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: query %s at %s: %w", p.url, q, t.Format(time.RFC3339), err)
	}
	return vec, nil
}

func (p *PromFetcher) byID(ctx context.Context, record string, t time.Time) (map[string]float64, error) {
	vec, err := p.vector(ctx, byKPI(record), t)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(vec))
	for _, s := range vec {
		v := float64(s.Value)
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[string(s.Metric["kpi"])] = v
		}
	}
	return out, nil
}

// Results implements Fetcher.
func (p *PromFetcher) Results(ctx context.Context, t time.Time) ([]kpi.Result, error) {
	vals, err := p.byID(ctx, kpi.RecordValue, t)
	if err != nil {
		return nil, err
	}
	prevs, err := p.byID(ctx, kpi.RecordPrev, t)
	if err != nil {
		return nil, err
	}
	trends, err := p.byID(ctx, kpi.RecordTrend, t)
	if err != nil {
		return nil, err
	}
	mets, err := p.byID(ctx, kpi.RecordMet, t)
	if err != nil {
		return nil, err
	}
	out := make([]kpi.Result, 0, len(kpi.Catalog))
	for _, k := range kpi.Catalog {
		r := kpi.Result{KPI: k}
		r.Value, r.HasValue = vals[k.ID]
		r.Prev, r.HasPrev = prevs[k.ID]
		r.Trend, r.HasTrend = trends[k.ID]
		if k.TopExpr != "" {
			vec, err := p.vector(ctx, k.TopExpr, t)
			if err != nil {
				return nil, err
			}
			r.Top = topEntries(vec)
		}
		r.Judge()
		fromRules(&r, mets)
		out = append(out, r)
	}
	return out, nil
}

// fromRules takes the status from the rules' judgment (kpi.RecordMet),
// which the alerts fire on: a KPI the values would judge but the rules do
// not failed its cohort guard, which Prometheus evaluated.
func fromRules(r *kpi.Result, mets map[string]float64) {
	m, ok := mets[r.KPI.ID]
	switch {
	case ok:
		met := m == 1
		r.Met = &met
		r.Status = kpi.StatusMissed
		if met {
			r.Status = kpi.StatusMet
		}
	case r.Status == kpi.StatusMet || r.Status == kpi.StatusMissed:
		r.GuardFails = r.KPI.GuardOn != nil
		r.Met, r.Status = nil, kpi.StatusNotJudged
	}
}

// topEntries reads a TopExpr result: the entry's name is its workflow or
// policy label; count descending, name ascending.
func topEntries(vec model.Vector) []kpi.TopEntry {
	out := []kpi.TopEntry{}
	for _, s := range vec {
		name := ""
		for _, l := range []model.LabelName{"workflow", "policy"} {
			if v, ok := s.Metric[l]; ok {
				name = string(v)
				break
			}
		}
		out = append(out, kpi.TopEntry{Name: name, Count: float64(s.Value)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Series implements Fetcher with one range query; ts must be evenly
// spaced.
func (p *PromFetcher) Series(ctx context.Context, ts []time.Time) (map[string][]scorecard.Point, error) {
	out := map[string][]scorecard.Point{}
	if len(ts) == 0 {
		return out, nil
	}
	step := 24 * time.Hour
	if len(ts) > 1 {
		step = ts[1].Sub(ts[0])
	}
	q := byKPI(kpi.RecordValue)
	raw, err := p.call(ctx, "query_range", url.Values{"query": {q}, "start": {unixArg(ts[0])}, "end": {unixArg(ts[len(ts)-1])},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}, model.ValMatrix)
	var m model.Matrix
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: query_range %s: %w", p.url, q, err)
	}
	got := map[string]map[int64]float64{}
	for _, s := range m {
		id := string(s.Metric["kpi"])
		got[id] = map[int64]float64{}
		for _, sp := range s.Values {
			got[id][sp.Timestamp.Unix()] = float64(sp.Value)
		}
	}
	for _, k := range kpi.Catalog {
		pts := make([]scorecard.Point, len(ts))
		for i, t := range ts {
			v, ok := got[k.ID][t.Unix()]
			pts[i] = scorecard.Point{Time: t, Value: v, OK: ok && !math.IsNaN(v) && !math.IsInf(v, 0)}
		}
		out[k.ID] = pts
	}
	return out, nil
}
