package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/pipeline"
	"github.com/heady/heady-metrics/exporter/scorecard/digest"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/links"
)

// digestFlags are the digest command's flags.
type digestFlags struct {
	cmd       *kingpin.CmdClause
	now       *string
	promURL   *string
	out       *string
	force     *bool
	chartDays *int
	parallel  *int

	smarthost, from, hello, username, passwordFile, caFile *string
	to                                                     *[]string
	requireTLS                                             *bool
	timeout                                                *time.Duration
	externalURL                                            *string
}

func addDigestCommand(app *kingpin.Application) *digestFlags {
	c := app.Command("digest", "Render the weekly scorecard of the newest ISO week ended as of --now and mail it (--smtp.*) or write it (--out), once per week unless --force.")
	f := &digestFlags{cmd: c}
	f.now = c.Flag("now", "Pick the newest ISO week (Monday to Sunday, UTC) that has ended as of this instant (RFC 3339); default: the wall clock.").String()
	f.promURL = c.Flag("prometheus.url", "Read the KPIs' recording rules from this Prometheus; default: read the configured sources into the exporter's engine.").String()
	f.out = c.Flag("out", "Write digest.html, digest.txt, digest.eml and the chart PNGs into this directory (the week ledger then lives there too).").String()
	f.force = c.Flag("force", "Deliver even if this week's digest was already delivered.").Bool()
	f.chartDays = c.Flag("chart.days", "Days of daily points in each KPI's trend chart (0: no charts).").Default("28").Int()
	f.parallel = c.Flag("engine.parallel", "Without --prometheus.url: how many instants to evaluate at once.").Default("4").Int()
	f.smarthost = c.Flag("smtp.smarthost", "SMTP server host:port to send the digest through (STARTTLS when offered); overrides digest.smtp.smarthost.").String()
	f.from = c.Flag("smtp.from", "Sender address; overrides digest.smtp.from.").String()
	f.to = c.Flag("smtp.to", "Recipient address (repeat the flag, or separate with commas); overrides digest.smtp.to.").Strings()
	f.hello = c.Flag("smtp.hello", "Name to send with EHLO; overrides digest.smtp.hello (default localhost).").String()
	f.username = c.Flag("smtp.auth-username", "Username for AUTH PLAIN (only over TLS or to a loopback server); overrides digest.smtp.auth_username.").String()
	f.passwordFile = c.Flag("smtp.auth-password-file", "File holding the AUTH password; overrides digest.smtp.auth_password_file; default: the HEADY_SMTP_PASSWORD environment variable.").String()
	f.requireTLS = c.Flag("smtp.require-tls", "Fail when the server offers no STARTTLS (or digest.smtp.require_tls).").Bool()
	f.caFile = c.Flag("smtp.tls-ca-file", "CA certificates (PEM) to verify the SMTP server with, instead of the system's; overrides digest.smtp.tls_ca_file.").String()
	f.timeout = c.Flag("smtp.timeout", "Bound on the SMTP conversation; overrides digest.smtp.timeout (default 1m).").Duration()
	f.externalURL = c.Flag("external-url", "Grafana's root as people open it, for the digest's links; overrides external_url.").String()
	return f
}

// merged is the configuration file's digest.smtp with the flags applied
// over it.
func (f *digestFlags) merged(cfg *config.Config) config.SMTPConfig {
	s := cfg.Digest.SMTP
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&s.Smarthost, *f.smarthost)
	set(&s.From, *f.from)
	set(&s.Hello, *f.hello)
	set(&s.AuthUsername, *f.username)
	set(&s.AuthPasswordFile, *f.passwordFile)
	set(&s.TLSCAFile, *f.caFile)
	if len(*f.to) > 0 {
		s.To = nil
		for _, t := range *f.to {
			for _, a := range strings.Split(t, ",") {
				if a = strings.TrimSpace(a); a != "" {
					s.To = append(s.To, a)
				}
			}
		}
	}
	s.RequireTLS = s.RequireTLS || *f.requireTLS
	if *f.timeout > 0 {
		s.Timeout = config.Duration(*f.timeout)
	}
	return s
}

// smtpConfig builds the SMTP settings from the configuration file and the
// flags; nil when neither names a smarthost, a sender or a recipient.
func (f *digestFlags) smtpConfig(cfg *config.Config) (*digest.SMTPConfig, error) {
	m := f.merged(cfg)
	if m.Smarthost == "" && m.From == "" && len(m.To) == 0 {
		return nil, nil
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	c := &digest.SMTPConfig{Smarthost: m.Smarthost, From: m.From, To: m.To, Hello: m.Hello, Username: m.AuthUsername,
		RequireTLS: m.RequireTLS, Timeout: m.Timeout.D()}
	if c.Hello == "" {
		c.Hello = "localhost"
	}
	if c.Timeout == 0 {
		c.Timeout = time.Minute
	}
	if c.Username != "" {
		if m.AuthPasswordFile != "" {
			b, err := os.ReadFile(m.AuthPasswordFile)
			if err != nil {
				return nil, fmt.Errorf("SMTP password file: %w", err)
			}
			c.Password = strings.TrimRight(string(b), "\r\n")
		} else {
			c.Password = os.Getenv("HEADY_SMTP_PASSWORD")
		}
	}
	if m.TLSCAFile != "" {
		pem, err := os.ReadFile(m.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("SMTP CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SMTP CA file %s: no PEM certificate", m.TLSCAFile)
		}
		c.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// engineEval evaluates every KPI as of t by reading the configured sources
// into a fresh engine, as the kpis command does. Probes are left out: they
// measure the present, not a past instant, so domains_up has no value in
// engine mode (Prometheus keeps its history).
func engineEval(cfg *config.Config, logger *slog.Logger) digest.EvalFunc {
	c := *cfg
	c.Sources.Probe = nil
	return func(ctx context.Context, t time.Time) ([]kpi.Result, error) {
		eng, _, err := pipeline.ReadOnce(ctx, &c, t, logger)
		if err != nil {
			return nil, err
		}
		v := eng.Evaluate(t.UnixMilli())
		return kpi.Evaluate(kpi.Input{Samples: v.Samples, Exact: v.Exact, Top: v.Top}), nil
	}
}

// runDigest runs the digest command and returns its exit code.
func runDigest(ctx context.Context, cfg *config.Config, f *digestFlags, logger *slog.Logger, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "heady-exporter: digest: "+format+"\n", a...)
		return code
	}
	now, err := parseNow(*f.now)
	if err != nil {
		return fail(exitUsage, "--now: %v", err)
	}
	smtpCfg, err := f.smtpConfig(cfg)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if smtpCfg == nil && *f.out == "" {
		return fail(exitUsage, "nothing to deliver to: set digest.smtp (smarthost, from, to) in the configuration file or --smtp.smarthost, --smtp.from and --smtp.to, or give --out")
	}
	base := cfg.ExternalURL.Base
	if *f.externalURL != "" {
		if base, err = links.Parse(*f.externalURL); err != nil {
			return fail(exitUsage, "--external-url: %v", err)
		}
	}
	if *f.chartDays < 0 || *f.chartDays > 366 {
		return fail(exitUsage, "--chart.days: want 0 to 366")
	}
	var fetcher digest.Fetcher
	if *f.promURL != "" {
		p, err := digest.NewPromFetcher(*f.promURL, nil)
		if err != nil {
			return fail(exitUsage, "--prometheus.url: %v", err)
		}
		fetcher = p
	} else {
		fetcher = &digest.EngineFetcher{Eval: engineEval(cfg, logger), Parallel: *f.parallel,
			Name: "the sources of " + cfg.File}
	}
	ledgerDir := cfg.StateDir
	if *f.out != "" {
		ledgerDir = *f.out
	}
	res, err := digest.Run(ctx, digest.Options{
		Fetcher: fetcher, Now: now, ChartDays: *f.chartDays, OutDir: *f.out, SMTP: smtpCfg,
		LedgerDir: ledgerDir, Force: *f.force, Clock: time.Now, Links: base,
	})
	if err != nil {
		return fail(exitRuntime, "%v", err)
	}
	if res.Previous != nil {
		fmt.Fprintf(stdout, "digest %s already delivered at %s (%q); --force delivers it again\n",
			res.Week, res.Previous.At.Format(time.RFC3339), res.Previous.Subject)
		return exitOK
	}
	fmt.Fprintf(stdout, "digest %s delivered: %s\n", res.Week, res.Subject)
	if smtpCfg != nil {
		fmt.Fprintf(stdout, "sent to %s via %s\n", strings.Join(smtpCfg.To, ", "), smtpCfg.Smarthost)
	}
	if *f.out != "" {
		fmt.Fprintf(stdout, "written to %s\n", *f.out)
	}
	return exitOK
}
