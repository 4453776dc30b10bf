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
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
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

	serveFlags := addServeCommand(app)
	kpisFlags := addKPIsCommand(app)
	demoFlags := addDemoCommand(app)
	digestFlags := addDigestCommand(app) // digest.go
	backfillFlags := addBackfillCommand(app)

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
		return checkConfig(*configFile, loadConfig, stdout, stderr)
	}
	if cmd == demoFlags.cmd.FullCommand() {
		return demoFlags.run(stdout, stderr)
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
	case backfillFlags.cmd.FullCommand():
		return backfillFlags.run(ctx, cfg, logger, stdout, stderr)
	case kpisFlags.cmd.FullCommand():
		return kpisFlags.run(ctx, cfg, logger, stdout, stderr)
	default:
		return serveFlags.run(ctx, cfg, *configFile, loadConfig, logger, stderr)
	}
}

// checkConfig is --config.check: it loads the file as serve would and
// says whether it is valid (exit 0) or not (exit 2).
func checkConfig(file string, loadConfig func() (*config.Config, error), stdout, stderr io.Writer) int {
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
	fmt.Fprintf(stdout, "%s: valid\n", file)
	return exitOK
}

// serveFlags are the serve command's (the default command).
type serveFlags struct {
	cmd        *kingpin.CmdClause
	web        *web.FlagConfig
	maxScrapes *int
	now        *string
}

func addServeCommand(app *kingpin.Application) *serveFlags {
	c := app.Command("serve", "Serve /metrics, the scorecard page and the lifecycle endpoints (the default).").Default()
	return &serveFlags{
		cmd:        c,
		web:        kingpinflag.AddFlags(c, ":9877"),
		maxScrapes: c.Flag("web.max-requests", "Maximum concurrent /metrics requests (0: no limit).").Default("10").Int(),
		now:        c.Flag("now", "Replay: evaluate as of this fixed instant (RFC 3339) instead of the wall clock.").String(),
	}
}

func (f *serveFlags) run(ctx context.Context, cfg *config.Config, configFile string, loadConfig func() (*config.Config, error), logger *slog.Logger, stderr io.Writer) int {
	clock := time.Now
	if *f.now != "" {
		fixed, err := parseNow(*f.now)
		if err != nil {
			fmt.Fprintf(stderr, "heady-exporter: --now: %v\n", err)
			return exitUsage
		}
		clock = func() time.Time { return fixed }
	}
	if err := serve(ctx, cfg, configFile, loadConfig, f.web, *f.maxScrapes, clock, logger); err != nil {
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

// kpisFlags are the kpis command's.
type kpisFlags struct {
	cmd *kingpin.CmdClause
	now *string
}

func addKPIsCommand(app *kingpin.Application) *kpisFlags {
	c := app.Command("kpis", "Read every source once to the end, print every KPI as of --now as JSON, and exit.")
	return &kpisFlags{cmd: c, now: c.Flag("now", "The instant to compute the KPIs at (RFC 3339); default: the wall clock.").String()}
}

func (f *kpisFlags) run(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdout, stderr io.Writer) int {
	now, err := parseNow(*f.now)
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: --now: %v\n", err)
		return exitUsage
	}
	if err := printKPIs(ctx, cfg, now, logger, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "heady-exporter: kpis: %v\n", err)
		return exitRuntime
	}
	return exitOK
}

// demoFlags are the demo command's.
type demoFlags struct {
	cmd              *kingpin.CmdClause
	out, now, listen *string
}

func addDemoCommand(app *kingpin.Application) *demoFlags {
	c := app.Command("demo", "Write a deterministic demo data set for all six sources and a config that uses it.")
	return &demoFlags{
		cmd:    c,
		out:    c.Flag("out", "Directory to write the demo data set into.").Required().String(),
		now:    c.Flag("now", "The instant the data set ends at (RFC 3339); default: the wall clock.").String(),
		listen: c.Flag("web.listen-address", "Address the exporter will serve the demo on; the demo's probe targets are its own endpoints there.").Default(":9877").String(),
	}
}

func (f *demoFlags) run(stdout, stderr io.Writer) int {
	now, err := parseNow(*f.now)
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: --now: %v\n", err)
		return exitUsage
	}
	addr, err := demo.ExporterAddrOf(*f.listen)
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: --web.listen-address: %v\n", err)
		return exitUsage
	}
	removed, err := demo.WriteOptions(*f.out, now, demo.Options{ExporterAddr: addr})
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: %v\n", err)
		return exitRuntime
	}
	if removed != "" {
		fmt.Fprintf(stdout, "removed the earlier demo's state %s: a new data set starts a new state\n", removed)
	}
	fmt.Fprintf(stdout, "demo data set for %s written to %s\nrun: heady-exporter --config.file=%s/config.yml --web.listen-address=%s\n",
		now.Format(time.RFC3339), *f.out, *f.out, *f.listen)
	return exitOK
}

// backfillFlags are the backfill command's.
type backfillFlags struct {
	cmd      *kingpin.CmdClause
	from, to *string
	step     *time.Duration
	out      *string
}

func addBackfillCommand(app *kingpin.Application) *backfillFlags {
	c := app.Command("backfill", "Write the exported series as of every step from --from to --to as OpenMetrics (for promtool tsdb create-blocks-from openmetrics).")
	return &backfillFlags{
		cmd:  c,
		from: c.Flag("from", "First step (RFC 3339).").Required().String(),
		to:   c.Flag("to", "Last step (RFC 3339); default: the wall clock.").String(),
		step: c.Flag("step", "Time between steps.").Default("1h").Duration(),
		out:  c.Flag("out", "File to write (default: standard output).").String(),
	}
}

func (f *backfillFlags) run(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdout, stderr io.Writer) int {
	from, err := parseNow(*f.from)
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: --from: %v\n", err)
		return exitUsage
	}
	to, err := parseNow(*f.to)
	if err != nil {
		fmt.Fprintf(stderr, "heady-exporter: --to: %v\n", err)
		return exitUsage
	}
	if !to.After(from) || *f.step < time.Second {
		fmt.Fprintln(stderr, "heady-exporter: backfill needs --from before --to and a --step of at least 1s")
		return exitUsage
	}
	if err := writeBackfill(ctx, cfg, from, to, *f.step, *f.out, stdout, logger); err != nil {
		fmt.Fprintf(stderr, "heady-exporter: backfill: %v\n", err)
		return exitRuntime
	}
	return exitOK
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
