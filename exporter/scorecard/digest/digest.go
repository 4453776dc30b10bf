// Package digest builds and delivers the weekly scorecard digest: it
// gathers each KPI's value at the end of an ISO week, a week earlier and
// at daily points for the trend charts (from Prometheus, or from a
// function that evaluates the exporter's engine), renders the card with
// package scorecard, and writes it to a directory or mails it over SMTP,
// at most once per ISO week unless forced.
//
// It computes no KPI and holds no exporter state: values come from a
// Fetcher, and the only file it writes besides the output is the ledger of
// weeks already delivered.
package digest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/heady/heady-metrics/exporter/scorecard"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// Fetcher gives every KPI's result as of an instant.
type Fetcher interface {
	// Results evaluates every KPI of the catalog as of t, in catalog
	// order.
	Results(ctx context.Context, t time.Time) ([]kpi.Result, error)
	// Series returns each KPI's value at each of ts (ascending), by KPI id.
	Series(ctx context.Context, ts []time.Time) (map[string][]scorecard.Point, error)
	// Origin says where values come from, for the card's footer.
	Origin() string
}

// EvalFunc evaluates every KPI as of an instant, for example by reading
// the exporter's sources into a fresh engine.
type EvalFunc func(ctx context.Context, t time.Time) ([]kpi.Result, error)

// EngineFetcher is a Fetcher over an EvalFunc. Series calls it once per
// instant, Parallel at a time.
//
// Results of every instant are kept, so the week's end and the week before,
// which are also chart points, are evaluated once.
type EngineFetcher struct {
	Eval     EvalFunc
	Parallel int // default 4
	Name     string

	mu   sync.Mutex
	done map[int64][]kpi.Result // by unix second
}

// Results implements Fetcher.
func (f *EngineFetcher) Results(ctx context.Context, t time.Time) ([]kpi.Result, error) {
	f.mu.Lock()
	r, ok := f.done[t.Unix()]
	f.mu.Unlock()
	if ok {
		return r, nil
	}
	r, err := f.Eval(ctx, t)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.done == nil {
		f.done = map[int64][]kpi.Result{}
	}
	f.done[t.Unix()] = r
	f.mu.Unlock()
	return r, nil
}

// Origin implements Fetcher.
func (f *EngineFetcher) Origin() string {
	if f.Name != "" {
		return f.Name
	}
	return "the exporter's sources"
}

// Series implements Fetcher.
func (f *EngineFetcher) Series(ctx context.Context, ts []time.Time) (map[string][]scorecard.Point, error) {
	par := f.Parallel
	if par <= 0 {
		par = 4
	}
	res := make([][]kpi.Result, len(ts))
	errs := make([]error, len(ts))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			res[i], errs[i] = f.Results(ctx, t)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := map[string][]scorecard.Point{}
	for i, t := range ts {
		for _, r := range res[i] {
			out[r.KPI.ID] = append(out[r.KPI.ID], scorecard.Point{Time: t, Value: r.Value, OK: r.HasValue})
		}
	}
	return out, nil
}

// Instants returns the chart's instants for week w: daily at 00:00 UTC
// from days before the week's end to its end, inclusive.
func Instants(w scorecard.Week, days int) []time.Time {
	end := w.End()
	out := make([]time.Time, 0, days+1)
	for d := days; d >= 0; d-- {
		out = append(out, end.AddDate(0, 0, -d))
	}
	return out
}

// Build gathers week w's values and renders its card: results at the
// week's end, a week before, and a chart point per day over chartDays
// (0: no charts).
func Build(ctx context.Context, f Fetcher, w scorecard.Week, chartDays int) (*scorecard.Card, error) {
	// The chart first: a caching fetcher then has both instants below.
	var series map[string][]scorecard.Point
	if chartDays > 0 {
		var err error
		if series, err = f.Series(ctx, Instants(w, chartDays)); err != nil {
			return nil, fmt.Errorf("trend charts: %w", err)
		}
	}
	cur, err := f.Results(ctx, w.End())
	if err != nil {
		return nil, fmt.Errorf("values at %s: %w", w.End().Format(time.RFC3339), err)
	}
	prevAt := w.End().AddDate(0, 0, -7)
	prev, err := f.Results(ctx, prevAt)
	if err != nil {
		return nil, fmt.Errorf("values at %s: %w", prevAt.Format(time.RFC3339), err)
	}
	return scorecard.NewWeekly(w, f.Origin(), cur, prev, series), nil
}

// Rendered is a card in its delivered forms.
type Rendered struct {
	Card *scorecard.Card
	Text []byte
	// HTML refers to the charts by Content-ID (for mail); FileHTML by the
	// file names Charts are written under (for --out).
	HTML, FileHTML []byte
	Charts         []Chart
}

// Chart is one KPI's trend chart PNG.
type Chart struct {
	KPI       string
	ContentID string // without angle brackets
	File      string
	PNG       []byte
}

// Render renders c as text, as HTML for mail and as HTML for files, and
// draws its charts.
func Render(c *scorecard.Card) (*Rendered, error) {
	r := &Rendered{Card: c}
	recent := c.At.AddDate(0, 0, -7)
	byID := map[string]Chart{}
	for _, row := range c.Rows {
		png, err := scorecard.Chart(row, recent.Add(time.Second))
		if err != nil {
			return nil, err
		}
		if png == nil {
			continue
		}
		ch := Chart{KPI: row.KPI.ID, ContentID: "chart-" + row.KPI.ID + "@heady-scorecard", File: "chart-" + row.KPI.ID + ".png", PNG: png}
		r.Charts = append(r.Charts, ch)
		byID[ch.KPI] = ch
	}
	var buf writerBuf
	if err := c.WriteText(&buf); err != nil {
		return nil, err
	}
	r.Text = buf.take()
	if err := c.WriteHTML(&buf, scorecard.HTMLOptions{Mode: scorecard.Email, ChartSrc: func(id string) string {
		if ch, ok := byID[id]; ok {
			return "cid:" + ch.ContentID
		}
		return ""
	}}); err != nil {
		return nil, err
	}
	r.HTML = buf.take()
	if err := c.WriteHTML(&buf, scorecard.HTMLOptions{Mode: scorecard.Email, ChartSrc: func(id string) string {
		if ch, ok := byID[id]; ok {
			return ch.File
		}
		return ""
	}}); err != nil {
		return nil, err
	}
	r.FileHTML = buf.take()
	return r, nil
}

type writerBuf struct{ b []byte }

func (w *writerBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *writerBuf) take() []byte                { b := w.b; w.b = nil; return b }

// WriteFiles writes digest.html, digest.txt, digest.eml (when msg is not
// nil) and the chart PNGs into dir, each atomically, and returns their
// paths.
func WriteFiles(dir string, r *Rendered, msg []byte) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("digest output: %w", err)
	}
	files := []struct {
		name string
		b    []byte
	}{{"digest.html", r.FileHTML}, {"digest.txt", r.Text}}
	if msg != nil {
		files = append(files, struct {
			name string
			b    []byte
		}{"digest.eml", msg})
	}
	for _, ch := range r.Charts {
		files = append(files, struct {
			name string
			b    []byte
		}{ch.File, ch.PNG})
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := writeAtomic(p, f.b); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // the write's error is the one to report
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Options configures Run.
type Options struct {
	Fetcher Fetcher
	// Now picks the week: the newest ISO week ended as of Now.
	Now       time.Time
	ChartDays int
	// OutDir, when set, receives the files.
	OutDir string
	// SMTP, when set, sends the mail.
	SMTP *SMTPConfig
	// LedgerDir holds the record of delivered weeks.
	LedgerDir string
	// Force delivers even if the week was delivered already.
	Force bool
	// Clock stamps the ledger and the mail's Date (default time.Now).
	Clock func() time.Time
	// Links is the external URL setting: the digest's links to Grafana
	// and the KPI definitions.
	Links links.Base
}

// Outcome is what Run did.
type Outcome struct {
	Week      scorecard.Week
	Subject   string
	Delivered bool
	// Previous is the ledger entry that made Run skip the week.
	Previous *Entry
	Files    []string
}

// Run delivers the digest of the newest ISO week ended as of o.Now,
// unless the ledger says it was delivered already and o.Force is false.
// The week is recorded only after every delivery succeeded.
func Run(ctx context.Context, o Options) (Outcome, error) {
	if o.OutDir == "" && o.SMTP == nil {
		return Outcome{}, errors.New("nothing to do: give an output directory or an SMTP smarthost")
	}
	clock := o.Clock
	if clock == nil {
		clock = time.Now
	}
	w := scorecard.WeekEnded(o.Now)
	out := Outcome{Week: w}
	ledger := Ledger{Dir: o.LedgerDir}
	if !o.Force {
		prev, ok, err := ledger.Find(w)
		if err != nil {
			return out, err
		}
		if ok {
			out.Previous = &prev
			return out, nil
		}
	}
	card, err := Build(ctx, o.Fetcher, w, o.ChartDays)
	if err != nil {
		return out, fmt.Errorf("digest %s: %w", w, err)
	}
	card.Links = o.Links
	out.Subject = card.Subject()
	r, err := Render(card)
	if err != nil {
		return out, fmt.Errorf("digest %s: %w", w, err)
	}
	entry := Entry{Week: w.String(), Subject: out.Subject, At: clock().UTC()}
	// The file's From when there is no SMTP: a valid address (go-mail
	// refuses others) that says where the file came from.
	from, to := "heady-exporter <heady-exporter@localhost>", []string(nil)
	if o.SMTP != nil {
		from, to = o.SMTP.From, o.SMTP.To
	}
	date := clock()
	msg, err := Message(r, from, to, date)
	if err != nil {
		return out, fmt.Errorf("digest %s: %w", w, err)
	}
	if o.OutDir != "" {
		if out.Files, err = WriteFiles(o.OutDir, r, msg); err != nil {
			return out, fmt.Errorf("digest %s: %w", w, err)
		}
		entry.Out = o.OutDir
	}
	if o.SMTP != nil {
		if err := Send(ctx, *o.SMTP, r, date); err != nil {
			return out, fmt.Errorf("digest %s: %w", w, err)
		}
		entry.To = o.SMTP.To
	}
	out.Delivered = true
	if err := ledger.Record(entry); err != nil {
		return out, fmt.Errorf("digest %s delivered, but: %w", w, err)
	}
	return out, nil
}
