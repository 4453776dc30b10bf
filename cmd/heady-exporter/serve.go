package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/heady/heady-metrics/exporter/collector"
	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/pipeline"
	hweb "github.com/heady/heady-metrics/exporter/web"
	"github.com/heady/heady-metrics/exporter/webhook"
)

func serve(ctx context.Context, cfg *config.Config, configFile string, loadConfig func() (*config.Config, error), flags *web.FlagConfig, maxScrapes int, clock func() time.Time, logger *slog.Logger) error {
	logger.Info("starting heady-exporter", "version", version.Info(), "config", configFile)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The CI webhook: its secret is read before anything starts, and its
	// replay window is checked against the wall clock (not a --now clock).
	hookSettings, err := webhook.LoadSettings(cfg)
	if err != nil {
		return usageError{err}
	}
	hook := webhook.New(time.Now, logger)
	if err := hook.Apply(hookSettings); err != nil {
		return err
	}
	defer hook.Close() //nolint:errcheck // at exit: the spool is synced on every append
	srv, err := pipeline.NewServer(cfg, logger, clock)
	if err != nil {
		return usageError{err}
	}

	linkSet := newLinksSetting(cfg.ExternalURL.Base)
	reg := newRegistry(srv, hook, linkSet)

	// Reload: SIGHUP or POST /-/reload. A config that does not load is
	// refused and the running one stays.
	var reloadMu sync.Mutex
	reload := func() (err error) {
		reloadMu.Lock()
		defer reloadMu.Unlock()
		defer func() { srv.RecordReload(err) }()
		c, err := loadConfig()
		if err != nil {
			logger.Error("reload refused: invalid configuration", "err", err)
			return err
		}
		hs, err := webhook.LoadSettings(c)
		if err != nil {
			logger.Error("reload refused: webhook", "err", err)
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := srv.Reload(rctx, c); err != nil {
			logger.Error("reload failed", "err", err)
			return err
		}
		if err := hook.Apply(hs); err != nil {
			logger.Error("reload: webhook", "err", err)
			return err
		}
		linkSet.set(c.ExternalURL.Base)
		logger.Info("configuration reloaded", "config", configFile)
		return nil
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				_ = reload()
			case <-ctx.Done():
				return
			}
		}
	}()

	mux := hweb.NewMux(hweb.Options{
		Server:    srv,
		Gatherer:  reg,
		MaxScrape: maxScrapes,
		Reload:    reload,
		Logger:    logger,
		Version:   version.Info(),
		Webhook:   hook,
		Links:     linkSet.get,
	})
	httpSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	// Listen before the sources start, so that probes of the exporter's own
	// endpoints (the demo's) never find the port closed.
	listeners, err := listen(flags)
	if err != nil {
		return err
	}
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()
	webErr := make(chan error, 1)
	go func() {
		if listeners == nil { // systemd socket activation: the toolkit takes them
			webErr <- web.ListenAndServe(httpSrv, flags, logger)
			return
		}
		webErr <- web.ServeMultiple(listeners, httpSrv, flags, logger)
	}()

	select {
	case err := <-webErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			// Stop the engine cleanly (it checkpoints) before exiting.
			cancel()
			return errors.Join(fmt.Errorf("web server: %w", err), <-runErr)
		}
	case <-ctx.Done():
	case err := <-runErr:
		return err
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(shutdownCtx)
	return <-runErr
}

// listen binds every --web.listen-address (TCP). With
// --web.systemd-socket or a vsock:// address it binds nothing and returns
// nil: the toolkit makes those listeners itself.
func listen(flags *web.FlagConfig) ([]net.Listener, error) {
	if flags.WebSystemdSocket != nil && *flags.WebSystemdSocket {
		return nil, nil
	}
	for _, addr := range *flags.WebListenAddresses {
		if strings.HasPrefix(addr, "vsock://") {
			return nil, nil // the toolkit's own listener
		}
	}
	var out []net.Listener
	for _, addr := range *flags.WebListenAddresses {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, o := range out {
				_ = o.Close() // the listen error is the one to report
			}
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// newRegistry is the registry /metrics serves: every family it gathers is
// documented in docs/metrics.md (TestMetricReferenceCoversRegistry).
func newRegistry(srv *pipeline.Server, hook *webhook.Handler, linkSet prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collector.New(srv),
		linkSet,
		hook,
		versioncollector.NewCollector("heady_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}
