package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// refSign is the signature as docs/webhook.md states it, computed here
// without the package's signer: "sha256=" and the hex HMAC-SHA256, keyed
// with the secret, of the timestamp header's value, a ".", and the body.
func refSign(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts + "." + string(body)))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// A request signed as the documentation says is accepted, and the
// package's signer makes the same signature.
func TestReferenceSignatureIsAccepted(t *testing.T) {
	h, dir := newHandler(t, nil)
	ts := strconv.FormatInt(t0.Unix(), 10)
	if w := (req{body: deploy, ts: ts, sig: refSign(secret, ts, []byte(deploy))}).do(h); w.Code != http.StatusAccepted {
		t.Fatalf("reference signature: status %d: %s", w.Code, w.Body)
	}
	if got := spooled(t, dir); len(got) != 1 {
		t.Errorf("spool holds %q, want the one event", got)
	}
	for _, c := range []struct {
		key  string
		ts   string
		body string
	}{{"k", "0", ""}, {"s3cr3t", ts, deploy}, {"another key", "1763640000", "[" + deploy + "]"}} {
		if got, want := Sign([]byte(c.key), c.ts, []byte(c.body)), refSign([]byte(c.key), c.ts, []byte(c.body)); got != want {
			t.Errorf("Sign(%q, %q, %q) = %s, want %s", c.key, c.ts, c.body, got, want)
		}
	}
}

// A request whose timestamp, body or signature was changed after signing
// is rejected as badly signed, counted, and nothing of it is spooled.
func TestTamperedRequestsAreRejected(t *testing.T) {
	ts := strconv.FormatInt(t0.Unix(), 10)
	sig := refSign(secret, ts, []byte(deploy))
	later := strconv.FormatInt(t0.Add(time.Second).Unix(), 10) // inside the replay window
	otherBody := strings.Replace(deploy, `"env":"prod"`, `"env":"prof"`, 1)
	if otherBody == deploy {
		t.Fatal("the body tampering changed nothing")
	}
	cases := map[string]req{
		"timestamp changed":      {body: deploy, ts: later, sig: sig},
		"body changed":           {body: otherBody, ts: ts, sig: sig},
		"body with a byte added": {body: deploy + " ", ts: ts, sig: sig},
	}
	hexSig := strings.TrimPrefix(sig, signaturePrefix)
	for i := 0; i < len(hexSig); i++ {
		b := []byte(hexSig)
		// Another lowercase hex digit in one position.
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		cases["signature digit "+strconv.Itoa(i)+" changed"] = req{body: deploy, ts: ts, sig: signaturePrefix + string(b)}
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			h, dir := newHandler(t, nil)
			w := r.do(h)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", w.Code, w.Body)
			}
			if got := counter(t, h, BadSignature); got != 1 {
				t.Errorf("bad_signature = %v, want 1", got)
			}
			if got := spooled(t, dir); len(got) != 0 {
				t.Errorf("tampered request spooled %q", got)
			}
		})
	}
	// The untampered request is accepted: the cases above fail for their
	// change alone.
	h, _ := newHandler(t, nil)
	if w := (req{body: deploy, ts: ts, sig: sig}).do(h); w.Code != http.StatusAccepted {
		t.Fatalf("untampered request: status %d: %s", w.Code, w.Body)
	}
}
