package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
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

func serve(ctx context.Context, cfg *config.Config, configFile string, flags *web.FlagConfig, maxScrapes int, clock func() time.Time, logger *slog.Logger) error {
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
	defer hook.Close()
	srv, err := pipeline.NewServer(cfg, logger, clock)
	if err != nil {
		return usageError{err}
	}

	linkSet := newLinksSetting(cfg.ExternalURL.Base)
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collector.New(srv),
		linkSet,
		hook,
		versioncollector.NewCollector("heady_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	// Reload: SIGHUP or POST /-/reload. A config that does not load is
	// refused and the running one stays.
	var reloadMu sync.Mutex
	reload := func() error {
		reloadMu.Lock()
		defer reloadMu.Unlock()
		c, err := loadConfig(configFile)
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

	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()
	webErr := make(chan error, 1)
	go func() { webErr <- web.ListenAndServe(httpSrv, flags, logger) }()

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
