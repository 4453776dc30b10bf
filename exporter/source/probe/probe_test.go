package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/heady/heady-metrics/exporter/source"
	"github.com/heady/heady-metrics/internal/testutil"
)

func testConfig(targets ...string) Config {
	c := DefaultConfig()
	c.Targets = targets
	c.Timeout = model.Duration(5 * time.Second)
	return c
}

func newProber(t *testing.T, cfg Config, opts Options) *Prober {
	t.Helper()
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func probeOne(t *testing.T, cfg Config) Result {
	t.Helper()
	res := newProber(t, cfg, Options{}).ProbeOnce(context.Background())
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return res[0]
}

func TestProbeOK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	r := probeOne(t, testConfig(srv.URL))
	if !r.Success || r.StatusCode != 200 || r.Error != "" || !r.CertExpiry.IsZero() || r.Target != srv.URL {
		t.Errorf("result = %+v", r)
	}
}

func TestProbe500IsNotRetried(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	r := probeOne(t, testConfig(srv.URL))
	if r.Success || r.StatusCode != 500 || r.Error != ReasonHTTPStatus {
		t.Errorf("result = %+v", r)
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1", hits.Load())
	}
}

func TestProbeSlowerThanTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := testConfig(srv.URL)
	cfg.Timeout = model.Duration(50 * time.Millisecond)
	r := probeOne(t, cfg)
	if r.Success || r.StatusCode != 0 || r.Error != ReasonTimeout {
		t.Errorf("result = %+v", r)
	}
}

func TestProbeConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := probeOne(t, testConfig("http://"+addr+"/"))
	if r.Success || r.StatusCode != 0 || r.Error != ReasonRefused {
		t.Errorf("result = %+v", r)
	}
}

func TestProbeRedirectThenOK(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusFound) })
	mux.HandleFunc("/new", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res := newProber(t, testConfig(srv.URL+"/old", srv.URL+"/loop"), Options{}).ProbeOnce(context.Background())
	if r := res[0]; !r.Success || r.StatusCode != 200 {
		t.Errorf("302 -> 200: %+v", r)
	}
	if r := res[1]; r.Success || r.Error != ReasonRedirects {
		t.Errorf("redirect loop: %+v", r)
	}
}

func TestProbeFollowsExactlyTenRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		_, _ = fmt.Sscanf(r.URL.Path, "/%d", &n) // "/" leaves n at 0
		if n == 0 {
			fmt.Fprint(w, "ok")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/%d", n-1), http.StatusFound)
	}))
	defer srv.Close()
	res := newProber(t, testConfig(srv.URL+"/10", srv.URL+"/11"), Options{}).ProbeOnce(context.Background())
	if !res[0].Success || res[1].Success || res[1].Error != ReasonRedirects {
		t.Errorf("10 redirects: %+v; 11: %+v", res[0], res[1])
	}
}

func TestProbeTLSExpiry(t *testing.T) {
	notAfter := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	c := testutil.SelfSigned(t, notAfter)
	cert, caPEM := c.TLS, c.CertPEM
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}

	cfg := testConfig(srv.URL)
	cfg.HTTPClientConfig.TLSConfig.CAFile = caFile
	r := probeOne(t, cfg)
	if !r.Success || r.StatusCode != 200 || !r.CertExpiry.Equal(notAfter) {
		t.Errorf("with the CA: %+v, want success and cert expiry %v", r, notAfter)
	}

	// Trusting another CA only, the certificate is not trusted. (Not the
	// system roots: loading them is slow under -race on a busy machine.)
	otherPEM := testutil.SelfSigned(t, notAfter).CertPEM
	otherFile := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(otherFile, otherPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClientConfig.TLSConfig.CAFile = otherFile
	r = probeOne(t, cfg)
	if r.Success || r.Error != ReasonTLS || r.StatusCode != 0 {
		t.Errorf("with another CA: %+v", r)
	}
}

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Get", URL: "https://headyme.com", Err: err} }
	for _, tc := range []struct {
		err  error
		want Reason
	}{
		{wrap(&net.DNSError{Err: "no such host", Name: "headyme.com", IsNotFound: true}), ReasonDNS},
		{wrap(&net.DNSError{Err: "i/o timeout", Name: "headyme.com", IsTimeout: true}), ReasonTimeout},
		{wrap(context.DeadlineExceeded), ReasonTimeout},
		{wrap(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), ReasonRefused},
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), ReasonTLS},
		{wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), ReasonTLS},
		{wrap(fmt.Errorf("x: %w", errTooManyRedirects)), ReasonRedirects},
		{wrap(errors.New("EOF")), ReasonConnection},
	} {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestDurationIsMeasuredAndTimeStamped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	p := newProber(t, testConfig(srv.URL), Options{Now: func() time.Time { return t0 }})
	p.stopwatch = func() func() time.Duration {
		return func() time.Duration { return 1500 * time.Millisecond }
	}
	if r := p.ProbeOnce(context.Background())[0]; r.DurationSeconds != 1.5 || !r.Time.Equal(t0) {
		t.Errorf("result = %+v, want 1.5s at %v", r, t0)
	}
}

// The kpis command passes a fixed clock: durations must still be real.
func TestFixedClockStillMeasuresDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Timeout = model.Duration(50 * time.Millisecond)
	fixed := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	r := newProber(t, cfg, Options{Now: func() time.Time { return fixed }}).ProbeOnce(context.Background())[0]
	// A probe that timed out cannot have taken less than the timeout.
	if r.Error != ReasonTimeout || r.DurationSeconds < 0.05 || !r.Time.Equal(fixed) {
		t.Errorf("result = %+v", r)
	}
}

func TestLatestDoesNotWaitForARound(t *testing.T) {
	var slow atomic.Bool
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if slow.Load() {
			entered <- struct{}{}
			<-release
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	h := source.NewHealth("probe")
	p := newProber(t, testConfig(srv.URL, srv.URL+"/second"), Options{Health: h})
	if p.Latest() != nil {
		t.Error("Latest before any round must be nil")
	}
	first := p.ProbeOnce(context.Background())
	if !h.View().Up {
		t.Error("a completed round must mark the source up")
	}

	slow.Store(true)
	done := make(chan []Result)
	go func() { done <- p.ProbeOnce(context.Background()) }()
	<-entered
	// A round is in flight, blocked in the server: Latest answers anyway
	// (if it waited, this test would hang) with the previous round.
	if got := p.Latest(); len(got) != 2 || got[0] != first[0] || got[1] != first[1] {
		t.Errorf("Latest during a round = %+v, want %+v", got, first)
	}
	close(release)
	second := <-done
	if got := p.Latest(); got[0] != second[0] || got[0].Target != srv.URL || got[1].Target != srv.URL+"/second" {
		t.Errorf("Latest after the round = %+v", got)
	}
}

func TestCancelledRoundIsNotKept(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	p := newProber(t, testConfig(srv.URL), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := p.ProbeOnce(ctx); len(res) != 1 || res[0].Success {
		t.Errorf("cancelled round = %+v", res)
	}
	if p.Latest() != nil {
		t.Error("a cancelled round must not replace Latest")
	}
}

func TestResultJSON(t *testing.T) {
	r := Result{Target: "http://a", Success: true, StatusCode: 200, DurationSeconds: 0.25, Time: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "cert_expiry") || strings.Contains(string(b), "error") {
		t.Errorf("absent fields written: %s", b)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
