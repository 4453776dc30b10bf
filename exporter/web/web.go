// Package web serves the exporter's HTTP endpoints: /metrics, the live
// scorecard page at / (with its JSON at /scorecard.json), and the lifecycle
// endpoints /-/healthy, /-/ready and /-/reload, and mounts the CI webhook
// (package webhook) at its path. It reads the pipeline's published state
// and never waits on a source.
package web

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/scorecard"
	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/exporter/webhook"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// Ready is what the readiness endpoint asks.
type Ready interface{ Ready() bool }

// Options configures the mux.
type Options struct {
	Server    Ready
	Gatherer  prometheus.Gatherer
	MaxScrape int // concurrent /metrics requests; 0 means no limit
	Reload    func() error
	Logger    *slog.Logger
	Version   string
	// Scorecard feeds the live scorecard at /. When nil and Server
	// implements Scorecard (pipeline.Server does), Server is used; with
	// neither, / is the toolkit's landing page.
	Scorecard Scorecard
	// Webhook, when set, serves the CI webhook at webhook.Path.
	Webhook http.Handler
	// Links returns the external URL setting for the page's links to
	// Grafana (nil: none).
	Links func() links.Base
}

// Scorecard is what the live scorecard page reads: the latest evaluated
// view (nil before the first) and the sources' status.
type Scorecard interface {
	View() *engine.View
	Healths() []source.HealthView
}

// NewMux returns the exporter's handler.
func NewMux(o Options) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(o.Logger.Handler(), slog.LevelError),
		MaxRequestsInFlight: o.MaxScrape,
		EnableOpenMetrics:   true,
	}))
	if o.Webhook != nil {
		mux.Handle(webhook.Path, o.Webhook)
	}
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !o.Server.Ready() {
			http.Error(w, "Not ready: reading the sources for the first time", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "use POST or PUT to reload", http.StatusMethodNotAllowed)
			return
		}
		if err := o.Reload(); err != nil {
			http.Error(w, fmt.Sprintf("reload failed: %v", err), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "Reloaded")
	})
	sc := o.Scorecard
	if sc == nil {
		sc, _ = o.Server.(Scorecard)
	}
	if sc != nil {
		lk := o.Links
		if lk == nil {
			lk = func() links.Base { return links.Base{} }
		}
		mux.HandleFunc("/", scorecardPage(sc, lk, o.Logger))
		mux.HandleFunc("/scorecard.json", scorecardJSON(sc, lk, o.Logger))
		return mux
	}
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "Heady exporter",
		Description: "KPIs of Heady: is Heady winning?",
		Version:     o.Version,
		Links: []web.LandingLinks{
			{Address: "/metrics", Text: "Metrics"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
	})
	if err == nil {
		mux.Handle("/", landing)
	}
	return mux
}

// The live scorecard. The page is rendered on the server by package
// scorecard and refreshes itself from /scorecard.json every
// liveRefreshSeconds (the JSON carries the rendered fragment, so the page
// has one renderer and a few lines of script).
const liveRefreshSeconds = 10

var liveOptions = scorecard.HTMLOptions{Mode: scorecard.Page, RefreshURL: "scorecard.json", RefreshSeconds: liveRefreshSeconds}

func liveCard(sc Scorecard, lk func() links.Base) *scorecard.Card {
	v := sc.View()
	var c *scorecard.Card
	if v == nil {
		c = scorecard.NewLive(time.Time{}, nil, sc.Healths())
		c.Note = "Reading the sources for the first time; the KPIs appear when that is done."
	} else {
		c = scorecard.NewLive(v.Now, kpi.Evaluate(kpi.Input{Samples: v.Samples, Exact: v.Exact, Top: v.Top}), sc.Healths())
	}
	c.Links = lk()
	return c
}

func scorecardPage(sc Scorecard, lk func() links.Base, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := liveCard(sc, lk).WriteHTML(w, liveOptions); err != nil {
			logger.Error("rendering the scorecard page", "err", err)
		}
	}
}

func scorecardJSON(sc Scorecard, lk func() links.Base, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		doc, err := liveCard(sc, lk).Live(liveOptions)
		if err != nil {
			logger.Error("rendering the scorecard", "err", err)
			http.Error(w, "rendering the scorecard failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(doc)
	}
}
