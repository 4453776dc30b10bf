// Package probe is the active source: it fetches each configured target
// URL (the nine Heady domains by default) once per interval and reports, per
// target, whether it answered 2xx after redirects within the timeout, its
// status code, latency, TLS certificate expiry and, on failure, why.
//
// It owns the HTTP probing and the classification of failures. It keeps
// only the latest round of results; it does not compute domains_up or any
// other KPI and does not export metrics: the collector reads Latest, the
// kpis command calls ProbeOnce.
//
// A probe is never retried (a retry would hide the failure being
// measured), and each probe opens a fresh connection, so that refusals,
// handshakes and certificates are observed on every round.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/common/config"

	"github.com/heady/heady-metrics/exporter/source"
)

const (
	// maxRedirects is how many redirects a probe follows.
	maxRedirects = 10
	// maxConcurrent bounds the probes in flight.
	maxConcurrent = 16
	// maxBodyBytes bounds the body read (and discarded) per probe.
	maxBodyBytes = 1 << 20
)

// Reason says why a probe failed. The set is fixed (a label value set).
type Reason string

const (
	ReasonDNS        Reason = "dns"         // name did not resolve
	ReasonRefused    Reason = "refused"     // connection refused
	ReasonTimeout    Reason = "timeout"     // no complete answer within the timeout
	ReasonTLS        Reason = "tls"         // handshake or certificate verification failed
	ReasonRedirects  Reason = "redirects"   // more than 10 redirects
	ReasonHTTPStatus Reason = "http_status" // the final answer was not 2xx
	ReasonConnection Reason = "connection"  // any other transport error (reset, EOF, ...)
)

// Reasons returns the fixed reason set, in a stable order.
func Reasons() []Reason {
	return []Reason{ReasonDNS, ReasonRefused, ReasonTimeout, ReasonTLS, ReasonRedirects, ReasonHTTPStatus, ReasonConnection}
}

// Result is one probe of one target.
type Result struct {
	Target  string `json:"target"`
	Success bool   `json:"success"`
	// StatusCode is the final response's status (0 if none came).
	StatusCode int `json:"status_code"`
	// DurationSeconds is from the request to the end of the body.
	DurationSeconds float64 `json:"duration_seconds"`
	// CertExpiry is the NotAfter of the leaf certificate the final hop
	// presented; zero for plain http or when no handshake completed.
	CertExpiry time.Time `json:"cert_expiry,omitzero"`
	// Error is why the probe failed ("" on success).
	Error Reason `json:"error,omitempty"`
	// Detail is the error's text, for the status page.
	Detail string `json:"detail,omitempty"`
	// Time is when the probe started.
	Time time.Time `json:"time"`
}

// Options are the prober's collaborators.
type Options struct {
	// Health gets a Success after each completed round (nil: none).
	Health *source.Health
	// Logger gets debug lines (nil: none).
	Logger *slog.Logger
	// Now stamps results and health (nil: time.Now). It may be a fixed
	// instant (the kpis command's --now); durations are measured on the
	// monotonic clock regardless.
	Now func() time.Time
}

// Prober probes the configured targets. Its methods are safe for
// concurrent use; Latest never waits for a round in flight.
type Prober struct {
	targets  []string
	interval time.Duration
	timeout  time.Duration
	client   *http.Client
	health   *source.Health
	logger   *slog.Logger
	now      func() time.Time

	// stopwatch starts a duration measurement (monotonic time; tests
	// replace it). Fixed once New returns.
	stopwatch func() func() time.Duration

	mu     sync.Mutex // guards latest; held only to copy it
	latest []Result
}

var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// New validates cfg and builds the prober's HTTP client.
func New(cfg Config, opts Options) (*Prober, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	client, err := config.NewClientFromConfig(cfg.HTTPClientConfig, "probe",
		config.WithKeepAlivesDisabled(), config.WithUserAgent("heady-exporter"))
	if err != nil {
		return nil, fmt.Errorf("probe: http client: %w", err)
	}
	if cfg.HTTPClientConfig.FollowRedirects {
		client.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return errTooManyRedirects
			}
			return nil
		}
	}
	p := &Prober{
		targets:  slices.Clone(cfg.Targets),
		interval: time.Duration(cfg.Interval),
		timeout:  time.Duration(cfg.Timeout),
		client:   client,
		health:   opts.Health,
		logger:   opts.Logger,
		now:      opts.Now,
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.stopwatch = func() func() time.Duration {
		start := time.Now()
		return func() time.Duration { return time.Since(start) }
	}
	return p, nil
}

// Latest returns a copy of the last completed round, in target order (nil
// before the first). It never waits for a round in flight.
func (p *Prober) Latest() []Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.latest)
}

// Run probes at once, then every interval, until ctx is done.
func (p *Prober) Run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.ProbeOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ProbeOnce probes every target once, concurrently, and returns the results
// in target order. A completed round becomes Latest; a round cut short by
// ctx is returned but not kept.
func (p *Prober) ProbeOnce(ctx context.Context) []Result {
	results := make([]Result, len(p.targets))
	sem := make(chan struct{}, maxConcurrent)
	var wg sync.WaitGroup
	for i, target := range p.targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = p.probe(ctx, target)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return results
	}
	p.mu.Lock()
	p.latest = slices.Clone(results)
	p.mu.Unlock()
	if p.health != nil {
		p.health.Read(len(results))
		p.health.Success(p.now())
	}
	return results
}

func (p *Prober) probe(ctx context.Context, target string) Result {
	r := Result{Target: target, Time: p.now()}
	elapsed := p.stopwatch()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	fail := func(err error) Result {
		r.DurationSeconds = elapsed().Seconds()
		r.Error, r.Detail = classify(err), err.Error()
		if p.logger != nil {
			p.logger.Debug("probe failed", "target", target, "reason", r.Error, "err", err)
		}
		return r
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fail(err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close() //nolint:errcheck // read only: closing loses nothing
	r.StatusCode = resp.StatusCode
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.CertExpiry = resp.TLS.PeerCertificates[0].NotAfter.UTC()
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes)); err != nil {
		return fail(fmt.Errorf("reading body: %w", err))
	}
	r.DurationSeconds = elapsed().Seconds()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.Error, r.Detail = ReasonHTTPStatus, resp.Status
		return r
	}
	r.Success = true
	return r
}

// classify maps a transport error to its Reason.
func classify(err error) Reason {
	var (
		dnsErr     *net.DNSError
		netErr     net.Error
		verifyErr  *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
	)
	switch {
	case errors.Is(err, errTooManyRedirects):
		return ReasonRedirects
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return ReasonDNS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return ReasonTLS
	}
	return ReasonConnection
}
