// Command heady-exporter exports Heady's KPIs to Prometheus: it reads the
// configured sources (event logs, registry, cost API, probes), keeps the KPI
// state, and serves /metrics. Subcommands compute the KPIs once (kpis) and
// write a demo data set (demo).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/demo"
	"github.com/heady/heady-metrics/exporter/pipeline"
)

// Exit codes (docs/configuration.md): 0 success, 1 runtime failure, 2 bad usage or
// invalid config.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

type usageError struct{ error }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("heady-exporter", "Prometheus exporter for Heady's KPIs: is Heady winning?")
	app.Version(version.Print("heady-exporter"))
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	exited := -1
	app.Terminate(func(code int) {
		if exited < 0 {
			exited = code
		}
	})

	configFile := app.Flag("config.file", "Exporter configuration file.").Default("heady-exporter.yml").String()
	configCheck := app.Flag("config.check", "Validate the configuration file and exit (0 valid, 2 invalid).").Bool()
	shard := addShardFlags(app) // shard.go
	logCfg := &promslog.Config{}
	promslogflag.AddFlags(app, logCfg)

	serveCmd := app.Command("serve", "Serve /metrics, the scorecard page and the lifecycle endpoints (the default).").Default()
	webFlags := kingpinflag.AddFlags(serveCmd, ":9877")
	maxScrapes := serveCmd.Flag("web.max-requests", "Maximum concurrent /metrics requests (0: no limit).").Default("10").Int()
	serveNow := serveCmd.Flag("now", "Replay: evaluate as of this fixed instant (RFC 3339) instead of the wall clock.").String()

	kpisCmd := app.Command("kpis", "Read every source once to the end, print every KPI as of --now as JSON, and exit.")
	kpisNow := kpisCmd.Flag("now", "The instant to compute the KPIs at (RFC 3339); default: the wall clock.").String()

	demoCmd := app.Command("demo", "Write a deterministic demo data set for all six sources and a config that uses it.")
	demoOut := demoCmd.Flag("out", "Directory to write the demo data set into.").Required().String()
	demoNow := demoCmd.Flag("now", "The instant the data set ends at (RFC 3339); default: the wall clock.").String()
	demoListen := demoCmd.Flag("web.listen-address", "Address the exporter will serve the demo on; the demo's probe targets are its own endpoints there.").Default(":9877").String()

	digestFlags := addDigestCommand(app) // digest.go

	backfillCmd := app.Command("backfill", "Write the exported series as of every step from --from to --to as OpenMetrics (for promtool tsdb create-blocks-from openmetrics).")
	backfillFrom := backfillCmd.Flag("from", "First step (RFC 3339).").Required().String()
	backfillTo := backfillCmd.Flag("to", "Last step (RFC 3339); default: the wall clock.").String()
	backfillStep := backfillCmd.Flag("step", "Time between steps.").Default("1h").Duration()
	backfillOut := backfillCmd.Flag("out", "File to write (default: standard output).").String()

	cmd, err := app.Parse(args)
	if exited >= 0 {
		return exited // --help, --version
	}
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: %v (see --help)\n", err)
		return exitUsage
	}
	logger := promslog.New(&promslog.Config{Level: logCfg.Level, Format: logCfg.Format, Writer: stderr})

	loadConfig := func() (*config.Config, error) { return shard.load(*configFile) }
	if *configCheck {
		c, err := loadConfig()
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: %v\n", err)
			return exitUsage
		}
		// Valid but reading nothing now: said, not failed (logs may appear
		// after the exporter starts).
		for _, w := range pipeline.Warnings(c) {
			fmt.Fprintf(stderr, "heady-exporter: warning: %s\n", w)
		}
		fmt.Fprintf(stdout, "%s: valid\n", *configFile)
		return exitOK
	}

	switch cmd {
	case demoCmd.FullCommand():
		now, err := parseNow(*demoNow)
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: --now: %v\n", err)
			return exitUsage
		}
		addr, err := demo.ExporterAddrOf(*demoListen)
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: --web.listen-address: %v\n", err)
			return exitUsage
		}
		removed, err := demo.WriteOptions(*demoOut, now, demo.Options{ExporterAddr: addr})
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: %v\n", err)
			return exitRuntime
		}
		if removed != "" {
			fmt.Fprintf(stdout, "removed the earlier demo's state %s: a new data set starts a new state\n", removed)
		}
		fmt.Fprintf(stdout, "demo data set for %s written to %s\nrun: heady-exporter --config.file=%s/config.yml --web.listen-address=%s\n",
			now.Format(time.RFC3339), *demoOut, *demoOut, *demoListen)
		return exitOK
	}

	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case digestFlags.cmd.FullCommand():
		return runDigest(ctx, cfg, digestFlags, logger, stdout, stderr)
	case backfillCmd.FullCommand():
		from, err := parseNow(*backfillFrom)
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: --from: %v\n", err)
			return exitUsage
		}
		to, err := parseNow(*backfillTo)
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: --to: %v\n", err)
			return exitUsage
		}
		if !to.After(from) || *backfillStep < time.Second {
			fmt.Fprintln(stderr, "heady-exporter: backfill needs --from before --to and a --step of at least 1s")
			return exitUsage
		}
		if err := writeBackfill(ctx, cfg, from, to, *backfillStep, *backfillOut, stdout, logger); err != nil {
			fmt.Fprintf(stderr, "heady-exporter: backfill: %v\n", err)
			return exitRuntime
		}
		return exitOK
	case kpisCmd.FullCommand():
		now, err := parseNow(*kpisNow)
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: --now: %v\n", err)
			return exitUsage
		}
		if err := printKPIs(ctx, cfg, now, logger, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "heady-exporter: kpis: %v\n", err)
			return exitRuntime
		}
		return exitOK
	default:
		clock := time.Now
		if *serveNow != "" {
			fixed, err := parseNow(*serveNow)
			if err != nil {
				fmt.Fprintf(stderr, "heady-exporter: --now: %v\n", err)
				return exitUsage
			}
			clock = func() time.Time { return fixed }
		}
		if err := serve(ctx, cfg, *configFile, loadConfig, webFlags, *maxScrapes, clock, logger); err != nil {
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(stderr, "heady-exporter: %v\n", err)
				return exitUsage
			}
			logger.Error("exiting", "err", err)
			return exitRuntime
		}
		return exitOK
	}
}

// parseNow reads --now (RFC 3339, resolved to whole seconds, see kpis.md's
// windows); empty means the wall clock.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339 such as 2026-11-20T12:00:00Z: %v", err)
	}
	return t.UTC().Truncate(time.Second), nil
}
