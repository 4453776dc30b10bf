package cost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/prometheus/common/config"
)

const (
	minRetryWait = 500 * time.Millisecond
	maxRetryWait = 15 * time.Second
	// maxBodyBytes bounds one response (or the file in path mode).
	maxBodyBytes = 64 << 20
)

// newRetryClient builds the retrying client over the *http.Client of
// prometheus/common (auth, TLS, proxy). wait maps the computed backoff to
// the time actually waited (identity outside tests).
//
// Waits and deadlines are real time (time.Now), not the source's clock: the
// source's clock may be a fixed instant (the kpis command's --now).
func newRetryClient(cfg Config, logger *slog.Logger, wait func(time.Duration) time.Duration) (*retryablehttp.Client, error) {
	hc, err := config.NewClientFromConfig(cfg.HTTPClientConfig, "cost", config.WithUserAgent("heady-exporter"))
	if err != nil {
		return nil, fmt.Errorf("http client: %w", err)
	}
	hc.Timeout = time.Duration(cfg.Timeout)
	rc := &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: minRetryWait,
		RetryWaitMax: maxRetryWait,
		RetryMax:     cfg.MaxRetries,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			retry, cerr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
			if !retry {
				return false, cerr
			}
			// Give up now rather than wait past the request's deadline.
			if d, ok := retryAfter(resp, time.Now()); ok {
				if dl, has := ctx.Deadline(); has && time.Now().Add(d).After(dl) {
					return false, fmt.Errorf("server asks to retry after %s, beyond max_elapsed", d)
				}
			}
			return true, nil
		},
		Backoff: func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
			return wait(backoff(lo, hi, attempt, resp, time.Now()))
		},
		ErrorHandler: func(resp *http.Response, err error, attempts int) (*http.Response, error) {
			if resp != nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				_ = resp.Body.Close() // read only: closing loses nothing
				if err == nil {
					err = fmt.Errorf("unexpected status %s", resp.Status)
				}
			}
			if err == nil {
				err = errors.New("request failed")
			}
			return nil, fmt.Errorf("giving up after %d attempt(s): %w", attempts, err)
		},
	}
	if logger != nil {
		rc.Logger = retryLogger{logger}
	}
	return rc, nil
}

// backoff is exponential backoff with jitter (a wait drawn from [d/2, d],
// d = lo·2^attempt capped at hi) that honours Retry-After on 429 and 503.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration {
	if d, ok := retryAfter(resp, now); ok {
		return d
	}
	d := hi
	if attempt < 30 {
		if x := lo << attempt; x > 0 && x < hi {
			d = x
		}
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryAfter reads Retry-After (delay-seconds or an HTTP-date) of a 429 or
// 503 response.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	h := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if h == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 || s > int64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// retryLogger routes retryablehttp's per-attempt messages to a slog.Logger
// at debug level: a failed poll is reported once, in the source's health,
// never as a line per retry.
type retryLogger struct{ l *slog.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.l.Debug(msg, kv...) }
func (r retryLogger) Info(msg string, kv ...any)  { r.l.Debug(msg, kv...) }
func (r retryLogger) Debug(msg string, kv ...any) { r.l.Debug(msg, kv...) }
func (r retryLogger) Warn(msg string, kv ...any)  { r.l.Debug(msg, kv...) }
