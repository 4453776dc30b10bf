// Package web serves the exporter's HTTP endpoints: /metrics, the landing
// page, and the lifecycle endpoints /-/healthy, /-/ready and /-/reload. It
// reads the pipeline's published state and never waits on a source.
package web

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
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
}

// NewMux returns the exporter's handler.
func NewMux(o Options) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(o.Logger.Handler(), slog.LevelError),
		MaxRequestsInFlight: o.MaxScrape,
		EnableOpenMetrics:   true,
	}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, r *http.Request) {
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
