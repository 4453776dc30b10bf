package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/exporter/source/stream"
)

// Path is where the webhook is served.
const Path = "/api/v1/ci/events"

// The request headers. The signature is "sha256=" and the lowercase or
// uppercase hex HMAC-SHA256, keyed with the secret, of the timestamp
// header's value, a '.', and the raw body.
const (
	SignatureHeader = "X-Heady-Signature"
	TimestampHeader = "X-Heady-Timestamp"
	signaturePrefix = "sha256="
)

// Result is a value of heady_exporter_webhook_requests_total's result label.
type Result string

// Every result a request can have, with its status.
const (
	Accepted         Result = "accepted"           // 202: events synced to the spool
	MethodNotAllowed Result = "method_not_allowed" // 405: not POST
	TooLarge         Result = "too_large"          // 413: body over webhook_max_body_bytes
	BadSignature     Result = "bad_signature"      // 401: signature or timestamp header missing, malformed or wrong
	StaleTimestamp   Result = "stale_timestamp"    // 401: signed, but the timestamp is outside the replay window
	BadBody          Result = "bad_body"           // 400: not a JSON object or a non-empty array
	BadEvent         Result = "bad_event"          // 422: an event the canonical decoder rejects; nothing is accepted
	SpoolError       Result = "spool_error"        // 500: the spool could not be written or synced
)

// Results lists every Result in a stable order.
func Results() []Result { return slices.Clone(resultsArray[:]) }

// Settings are the webhook's options with the secret read.
type Settings struct {
	secret        []byte
	ReplayWindow  time.Duration
	MaxBodyBytes  int64
	MaxEventBytes int
	SpoolDir      string
	SpoolMaxBytes int64
}

// LoadSettings reads c's webhook options and its secret file. It returns
// nil settings when the webhook is not enabled. The error names the file,
// never its content.
func LoadSettings(c *config.Config) (*Settings, error) {
	w := c.Web
	if !w.WebhookEnabled() {
		return nil, nil
	}
	b, err := os.ReadFile(w.WebhookSecretFile)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	secret := bytes.TrimSpace(b)
	if len(secret) == 0 {
		return nil, fmt.Errorf("webhook secret: %s is empty", w.WebhookSecretFile)
	}
	return &Settings{
		secret:        secret,
		ReplayWindow:  w.WebhookReplayWindow.D(),
		MaxBodyBytes:  w.WebhookMaxBodyBytes,
		MaxEventBytes: Input(c).MaxLineBytes,
		SpoolDir:      SpoolDir(c.StateDir),
		SpoolMaxBytes: w.WebhookSpoolMaxBytes,
	}, nil
}

// NewSettings returns settings with the given secret (tests, tools); the
// other fields take the config defaults.
func NewSettings(secret []byte, spoolDir string) *Settings {
	return &Settings{secret: bytes.Clone(secret), ReplayWindow: config.DefaultWebhookReplayWindow,
		MaxBodyBytes: config.DefaultWebhookMaxBodyBytes, MaxEventBytes: stream.DefaultMaxLineBytes,
		SpoolDir: spoolDir, SpoolMaxBytes: config.DefaultWebhookSpoolMaxBytes}
}

// String never shows the secret.
func (s *Settings) String() string {
	return fmt.Sprintf("webhook{spool=%s replay_window=%s max_body_bytes=%d}", s.SpoolDir, s.ReplayWindow, s.MaxBodyBytes)
}

// Sign returns the signature header value of body sent with the timestamp
// header value ts.
func Sign(secret []byte, ts string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Handler serves the webhook. It is disabled (404) until Apply gives it
// settings, and again after Apply(nil).
type Handler struct {
	now    func() time.Time
	logger *slog.Logger

	mu     sync.Mutex // serialises Apply and Close
	state  atomic.Pointer[state]
	counts [len(resultsArray)]atomic.Uint64
}

var resultsArray = [...]Result{Accepted, MethodNotAllowed, TooLarge, BadSignature, StaleTimestamp, BadBody, BadEvent, SpoolError}

type state struct {
	s     *Settings
	spool *Spool
}

// New returns a disabled handler. now is the wall clock the replay window
// is checked against (not a replay clock: senders sign with theirs).
func New(now func() time.Time, logger *slog.Logger) *Handler {
	return &Handler{now: now, logger: logger}
}

// Apply puts settings in force (nil disables the webhook). The spool is
// opened on first use and kept while its directory and size do not change.
func (h *Handler) Apply(s *Settings) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.state.Load()
	if s == nil {
		h.state.Store(nil)
		if old != nil {
			return old.spool.Close()
		}
		return nil
	}
	if old != nil && old.s.SpoolDir == s.SpoolDir && old.s.SpoolMaxBytes == s.SpoolMaxBytes {
		h.state.Store(&state{s: s, spool: old.spool})
		return nil
	}
	sp, err := OpenSpool(s.SpoolDir, s.SpoolMaxBytes)
	if err != nil {
		return err
	}
	h.state.Store(&state{s: s, spool: sp})
	if old != nil {
		return old.spool.Close()
	}
	return nil
}

// Close disables the handler and closes its spool.
func (h *Handler) Close() error { return h.Apply(nil) }

// Count returns how many requests had result r.
func (h *Handler) Count(r Result) uint64 {
	for i, x := range resultsArray {
		if x == r {
			return h.counts[i].Load()
		}
	}
	return 0
}

func (h *Handler) count(r Result) {
	for i, x := range resultsArray {
		if x == r {
			h.counts[i].Add(1)
			return
		}
	}
}

// BadEventReport is one rejected event of a request.
type BadEventReport struct {
	Index  int          `json:"index"`
	Reason event.Reason `json:"reason"`
}

type response struct {
	Result   Result           `json:"result"`
	Accepted int              `json:"accepted"`
	Error    string           `json:"error,omitempty"`
	Events   []BadEventReport `json:"events,omitempty"`
}

func (h *Handler) reply(w http.ResponseWriter, code int, resp response) {
	h.count(resp.Result)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(resp)
}

func (h *Handler) reject(w http.ResponseWriter, code int, r Result, msg string) {
	h.reply(w, code, response{Result: r, Error: msg})
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := h.state.Load()
	if st == nil {
		http.NotFound(w, r)
		return
	}
	s := st.s
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, http.StatusMethodNotAllowed, MethodNotAllowed, "use POST")
		return
	}
	tooLarge := fmt.Sprintf("body larger than %d bytes", s.MaxBodyBytes)
	if r.ContentLength > s.MaxBodyBytes {
		h.reject(w, http.StatusRequestEntityTooLarge, TooLarge, tooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.reject(w, http.StatusRequestEntityTooLarge, TooLarge, tooLarge)
			return
		}
		h.reject(w, http.StatusBadRequest, BadBody, "reading the body failed")
		return
	}

	ts := r.Header.Get(TimestampHeader)
	sec, ok := parseTimestamp(ts)
	if !ok {
		h.reject(w, http.StatusUnauthorized, BadSignature, "missing or malformed "+TimestampHeader+" (unix seconds)")
		return
	}
	sig, ok := parseSignature(r.Header.Get(SignatureHeader))
	if !ok {
		h.reject(w, http.StatusUnauthorized, BadSignature, "missing or malformed "+SignatureHeader+" (sha256=<hex>)")
		return
	}
	if !hmac.Equal(sig, mac(s.secret, ts, body)) {
		h.reject(w, http.StatusUnauthorized, BadSignature, "signature does not match")
		return
	}
	if d := h.now().Sub(time.Unix(sec, 0)); d > s.ReplayWindow || d < -s.ReplayWindow {
		h.reject(w, http.StatusUnauthorized, StaleTimestamp, fmt.Sprintf("timestamp outside the replay window of %s", s.ReplayWindow))
		return
	}

	lines, bad, err := decodeBody(body, s.MaxEventBytes)
	if err != nil {
		h.reject(w, http.StatusBadRequest, BadBody, err.Error())
		return
	}
	if len(bad) > 0 {
		h.reply(w, http.StatusUnprocessableEntity, response{Result: BadEvent,
			Error: fmt.Sprintf("%d of %d events rejected; nothing accepted", len(bad), len(lines)), Events: bad})
		return
	}
	if err := st.spool.Append(lines); err != nil {
		h.logger.Error("webhook: events not accepted", "err", err)
		h.reject(w, http.StatusInternalServerError, SpoolError, "the events could not be stored; retry")
		return
	}
	h.reply(w, http.StatusAccepted, response{Result: Accepted, Accepted: len(lines)})
}

// parseTimestamp reads unix seconds written as plain decimal digits.
func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > 12 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func parseSignature(s string) ([]byte, bool) {
	hexSig, ok := strings.CutPrefix(s, signaturePrefix)
	if !ok || len(hexSig) != 2*sha256.Size {
		return nil, false
	}
	b, err := hex.DecodeString(hexSig)
	return b, err == nil
}

// decodeBody splits a body (one JSON object, or a non-empty JSON array) into
// compact one-line events and checks each with the canonical decoder. It
// returns the lines, the events the decoder rejects (with its reasons), or
// an error when the body itself is not usable.
func decodeBody(body []byte, maxEventBytes int) ([][]byte, []BadEventReport, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, nil, errors.New("empty body: want a JSON object or an array of objects")
	}
	var raws []json.RawMessage
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, nil, fmt.Errorf("not a JSON array: %v", err)
		}
		if len(raws) == 0 {
			return nil, nil, errors.New("empty array: no events")
		}
	case '{':
		if !json.Valid(body) {
			return nil, nil, errors.New("not a JSON object: malformed JSON")
		}
		raws = []json.RawMessage{body}
	default:
		return nil, nil, errors.New("want a JSON object or an array of objects")
	}
	d := event.Decoder{MaxLineBytes: maxEventBytes}
	var ev event.Event
	lines := make([][]byte, len(raws))
	var bad []BadEventReport
	for i, raw := range raws {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			bad = append(bad, BadEventReport{Index: i, Reason: event.ReasonTruncated})
			continue
		}
		line := buf.Bytes()
		if r := d.Decode(line, &ev); r != "" {
			bad = append(bad, BadEventReport{Index: i, Reason: r})
			continue
		}
		lines[i] = line
	}
	return lines, bad, nil
}
