package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/pipeline"
)

// writeBackfill writes the backfill to path (atomically: a partial file
// never stands), or to w when path is empty.
func writeBackfill(ctx context.Context, cfg *config.Config, from, to time.Time, step time.Duration, path string, w io.Writer, logger *slog.Logger) error {
	if path == "" {
		return pipeline.Backfill(ctx, cfg, from, to, step, w, logger)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) //nolint:errcheck // no-op after the rename; a leftover temp file is harmless
	if err := pipeline.Backfill(ctx, cfg, from, to, step, f, logger); err != nil {
		_ = f.Close() // the backfill's error is the one to report
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
