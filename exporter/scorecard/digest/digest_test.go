package digest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/scorecard"
	"github.com/heady/heady-metrics/exporter/scorecard/scorecardtest"
	"github.com/heady/heady-metrics/kpi"
)

// Monday 30 November 2026, 07:00 UTC: the digest reports 2026-W48.
var monday = time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)

func fakeFetcher(calls *atomic.Int64) *EngineFetcher {
	return &EngineFetcher{Name: "synthetic results", Eval: func(_ context.Context, t time.Time) ([]kpi.Result, error) {
		calls.Add(1)
		return scorecardtest.Results(t), nil
	}}
}

// part is one leaf of a parsed MIME message.
type part struct {
	ctype, cid, disposition string
	body                    []byte
}

// parseMIME walks a message and returns its content type and leaves,
// checking the structure the digest promises.
func parseMIME(t *testing.T, raw []byte) (*mail.Message, []part) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail message: %v", err)
	}
	// go-mail's layout: multipart/related holding the multipart/alternative
	// (text, then HTML) and the inline images; without images, the
	// alternative alone.
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || (mt != "multipart/alternative" && mt != "multipart/related") {
		t.Fatalf("top-level Content-Type %q, want multipart/related or multipart/alternative", msg.Header.Get("Content-Type"))
	}
	var leaves []part
	var walk func(r io.Reader, boundary string, depth int)
	walk = func(r io.Reader, boundary string, depth int) {
		mr := multipart.NewReader(r, boundary)
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("MIME part: %v", err)
			}
			ct, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if strings.HasPrefix(ct, "multipart/") {
				if depth > 0 || mt != "multipart/related" || ct != "multipart/alternative" {
					t.Errorf("unexpected nested %s in %s", ct, mt)
				}
				walk(p, pp["boundary"], depth+1)
				continue
			}
			body, err := io.ReadAll(p) // quoted-printable is decoded by the reader
			if err != nil {
				t.Fatal(err)
			}
			if p.Header.Get("Content-Transfer-Encoding") == "base64" {
				if body, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\r\n", "")); err != nil {
					t.Fatalf("base64 part: %v", err)
				}
			}
			leaves = append(leaves, part{ctype: ct, cid: p.Header.Get("Content-ID"), disposition: p.Header.Get("Content-Disposition"), body: body})
		}
	}
	walk(msg.Body, params["boundary"], 0)
	return msg, leaves
}

// TestSendOverSTARTTLS sends the digest to a local SMTP server that
// offers STARTTLS and requires AUTH PLAIN, and checks what arrived: the
// envelope, the subject, the MIME structure (text and HTML alternatives,
// inline PNG charts referenced by Content-ID) and every KPI of the catalog.
func TestSendOverSTARTTLS(t *testing.T) {
	srvTLS, pool := selfSigned(t)
	srv := startSMTP(t, srvTLS, "digest", "s3cret")
	var calls atomic.Int64
	dir := t.TempDir()
	smtpCfg := &SMTPConfig{Smarthost: srv.addr(), From: "Heady <scorecard@heady.test>", To: []string{"ceo@heady.test", "Ops <ops@heady.test>"},
		Username: "digest", Password: "s3cret", RequireTLS: true, TLS: &tls.Config{RootCAs: pool}}
	out, err := Run(context.Background(), Options{Fetcher: fakeFetcher(&calls), Now: monday, ChartDays: 14, SMTP: smtpCfg,
		LedgerDir: dir, Clock: func() time.Time { return monday }})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Delivered || out.Week.String() != "2026-W48" {
		t.Fatalf("outcome %+v", out)
	}
	// 15 chart instants, which include the week's end and the week before.
	if calls.Load() != 15 {
		t.Errorf("%d evaluations, want 15", calls.Load())
	}
	mails := srv.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails received", len(mails))
	}
	m := mails[0]
	if !m.tls || m.authed != "digest" || m.from != "scorecard@heady.test" || strings.Join(m.to, ",") != "ceo@heady.test,ops@heady.test" {
		t.Errorf("envelope: tls %v auth %q from %q to %v", m.tls, m.authed, m.from, m.to)
	}
	msg, leaves := parseMIME(t, m.data)

	card := scorecard.NewWeekly(scorecard.Week{Year: 2026, Week: 48}, "", scorecardtest.Results(monday), nil, nil)
	wantSubject := card.Subject()
	if got := msg.Header.Get("Subject"); got != wantSubject || out.Subject != wantSubject {
		t.Errorf("subject %q (outcome %q), want %q", got, out.Subject, wantSubject)
	}
	if msg.Header.Get("Date") == "" || msg.Header.Get("Message-ID") == "" || msg.Header.Get("MIME-Version") != "1.0" {
		t.Errorf("headers %v", msg.Header)
	}

	if len(leaves) < 3 || leaves[0].ctype != "text/plain" || leaves[1].ctype != "text/html" {
		t.Fatalf("parts: want text/plain, then text/html and images; got %d leaves", len(leaves))
	}
	text, html := string(leaves[0].body), string(leaves[1].body)
	for _, k := range kpi.Catalog {
		if !strings.Contains(text, k.Title) {
			t.Errorf("text part lacks %q", k.Title)
		}
		if !strings.Contains(html, strings.ReplaceAll(k.Title, "&", "&amp;")) {
			t.Errorf("HTML part lacks %q", k.Title)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "<style") {
		t.Error("HTML part has a script or style block")
	}
	cids := map[string]bool{}
	for _, l := range leaves[2:] {
		if l.ctype != "image/png" || !strings.HasPrefix(l.disposition, "inline") {
			t.Errorf("image part %s %q", l.ctype, l.disposition)
		}
		if _, err := png.Decode(bytes.NewReader(l.body)); err != nil {
			t.Errorf("image %s: %v", l.cid, err)
		}
		cids[strings.Trim(l.cid, "<>")] = true
	}
	refs := regexp.MustCompile(`src="cid:([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) == 0 {
		t.Fatal("the HTML shows no chart")
	}
	for _, r := range refs {
		if !cids[r[1]] {
			t.Errorf("HTML refers to cid:%s, which is not attached", r[1])
		}
	}
	if len(cids) != len(kpi.Catalog)-2 { // top_workflows and domains_up have no values
		t.Errorf("%d charts attached", len(cids))
	}
}

// TestOncePerWeek: a second run for the same week delivers nothing; with
// Force it delivers again; the next week is delivered.
func TestOncePerWeek(t *testing.T) {
	srv := startSMTP(t, nil, "", "")
	dir := t.TempDir()
	var calls atomic.Int64
	opts := Options{Fetcher: fakeFetcher(&calls), Now: monday, ChartDays: 7, LedgerDir: dir,
		SMTP: &SMTPConfig{Smarthost: srv.addr(), From: "scorecard@heady.test", To: []string{"ceo@heady.test"}}}
	if out, err := Run(context.Background(), opts); err != nil || !out.Delivered {
		t.Fatalf("first run: %+v %v", out, err)
	}
	opts.Now = monday.Add(50 * time.Hour) // Wednesday: still 2026-W48 to report
	out, err := Run(context.Background(), opts)
	if err != nil || out.Delivered || out.Previous == nil || out.Previous.Week != "2026-W48" {
		t.Fatalf("second run: %+v %v", out, err)
	}
	if n := len(srv.received()); n != 1 {
		t.Fatalf("%d mails after the second run, want 1", n)
	}
	opts.Force = true
	if out, err := Run(context.Background(), opts); err != nil || !out.Delivered {
		t.Fatalf("forced run: %+v %v", out, err)
	}
	if n := len(srv.received()); n != 2 {
		t.Fatalf("%d mails after --force, want 2", n)
	}
	opts.Force, opts.Now = false, monday.AddDate(0, 0, 7)
	if out, err := Run(context.Background(), opts); err != nil || !out.Delivered || out.Week.String() != "2026-W49" {
		t.Fatalf("next week: %+v %v", out, err)
	}
	es, err := Ledger{Dir: dir}.Entries()
	if err != nil || len(es) != 3 || es[2].Week != "2026-W49" || es[0].To[0] != "ceo@heady.test" {
		t.Errorf("ledger %+v %v", es, err)
	}
}

// TestFailedSendIsNotRecorded: a refused delivery leaves the week
// undelivered, so the next run tries again.
func TestFailedSendIsNotRecorded(t *testing.T) {
	srv := startSMTP(t, nil, "digest", "right")
	dir := t.TempDir()
	var calls atomic.Int64
	opts := Options{Fetcher: fakeFetcher(&calls), Now: monday, LedgerDir: dir,
		SMTP: &SMTPConfig{Smarthost: srv.addr(), From: "s@heady.test", To: []string{"c@heady.test"}, Username: "digest", Password: "wrong"}}
	if _, err := Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("want an AUTH error, got %v", err)
	}
	if es, _ := (Ledger{Dir: dir}).Entries(); len(es) != 0 {
		t.Errorf("failed delivery recorded: %+v", es)
	}
	opts.SMTP.Password = "right"
	if out, err := Run(context.Background(), opts); err != nil || !out.Delivered {
		t.Fatalf("retry: %+v %v", out, err)
	}
	// RequireTLS against a server without STARTTLS fails before MAIL.
	opts.SMTP.RequireTLS, opts.Force = true, true
	if _, err := Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("want a STARTTLS error, got %v", err)
	}
}

func TestCorruptLedger(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LedgerFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	_, err := Run(context.Background(), Options{Fetcher: fakeFetcher(&calls), Now: monday, LedgerDir: dir, OutDir: dir})
	if err == nil || !strings.Contains(err.Error(), LedgerFile) {
		t.Errorf("want an error naming the ledger, got %v", err)
	}
}

// TestPromFetcher answers the fetcher's queries like Prometheus's HTTP API
// does and checks values, previous-window trends, targets, top lists and
// the range query's points.
func TestPromFetcher(t *testing.T) {
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		q := r.Form.Get("query")
		queries = append(queries, r.URL.Path+" "+q)
		sample := func(labels map[string]string, v float64) map[string]any {
			return map[string]any{"metric": labels, "value": []any{float64(at.Unix()), fmt.Sprint(v)}}
		}
		var result []map[string]any
		rtype := "vector"
		switch {
		case r.URL.Path == "/api/v1/query" && q == "max by (kpi) (heady:kpi_value)":
			if r.Form.Get("time") != fmt.Sprint(at.Unix()) {
				t.Errorf("query time %s", r.Form.Get("time"))
			}
			result = append(result, sample(map[string]string{"kpi": "north_star"}, 6.5), sample(map[string]string{"kpi": "fix_loop_p50"}, 3600),
				sample(map[string]string{"kpi": "rollback_rate"}, 0.07), map[string]any{"metric": map[string]string{"kpi": "wau"}, "value": []any{float64(at.Unix()), "NaN"}},
				sample(map[string]string{"kpi": "retention_w1"}, 0.1))
		case q == "max by (kpi) (heady:kpi_met)":
			// retention_w1 has a value but no judgment: its cohort guard
			// failed in Prometheus.
			result = append(result, sample(map[string]string{"kpi": "north_star"}, 1), sample(map[string]string{"kpi": "fix_loop_p50"}, 1),
				sample(map[string]string{"kpi": "rollback_rate"}, 0))
		case q == "max by (kpi) (heady:kpi_previous)":
			result = append(result, sample(map[string]string{"kpi": "fix_loop_p50"}, 4000))
		case q == "max by (kpi) (heady:kpi_trend)":
			result = append(result, sample(map[string]string{"kpi": "fix_loop_p50"}, 0.9))
		case strings.HasPrefix(q, "topk(5") && strings.Contains(q, "workflow"):
			result = append(result, sample(map[string]string{"workflow": "bug-fix"}, 10), sample(map[string]string{"workflow": "code-review"}, 30), sample(map[string]string{"workflow": "a-team"}, 10))
		case strings.HasPrefix(q, "topk(5"):
		case r.URL.Path == "/api/v1/query_range":
			rtype = "matrix"
			if r.Form.Get("step") != "86400" {
				t.Errorf("step %q", r.Form.Get("step"))
			}
			result = append(result, map[string]any{"metric": map[string]string{"kpi": "north_star"},
				"values": [][]any{{float64(at.AddDate(0, 0, -2).Unix()), "5"}, {float64(at.Unix()), "6.5"}}})
		default:
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": "bad_data", "error": "unexpected query " + q})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": rtype, "result": result}})
	}))
	defer srv.Close()
	p, err := NewPromFetcher(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Results(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]kpi.Result{}
	for _, r := range res {
		by[r.KPI.ID] = r
	}
	if len(res) != len(kpi.Catalog) {
		t.Errorf("%d results", len(res))
	}
	if r := by["north_star"]; !r.HasValue || r.Value != 6.5 || r.Met == nil || !*r.Met {
		t.Errorf("north_star %+v", r)
	}
	if r := by["rollback_rate"]; r.Met == nil || *r.Met {
		t.Errorf("rollback_rate 7%% should miss < 5%%: %+v", r)
	}
	if r := by["fix_loop_p50"]; !r.HasTrend || r.Trend != 0.9 || r.Prev != 4000 || r.Met == nil || !*r.Met {
		t.Errorf("fix_loop_p50 %+v", r)
	}
	if r := by["retention_w1"]; !r.HasValue || r.Met != nil || r.Status != kpi.StatusNotJudged || !r.GuardFails {
		t.Errorf("retention_w1 with a failed guard: %+v", r)
	}
	if r := by["wau"]; r.HasValue {
		t.Errorf("NaN is no value: %+v", r)
	}
	if r := by["domains_up"]; r.HasValue || r.Met != nil {
		t.Errorf("absent series: %+v", r)
	}
	top := by["top_workflows"].Top
	if len(top) != 3 || top[0].Name != "code-review" || top[1].Name != "a-team" || top[2].Name != "bug-fix" {
		t.Errorf("top %+v", top)
	}
	if pb := by["policy_blocks"].Top; pb == nil || len(pb) != 0 {
		t.Errorf("empty top list %+v", pb)
	}
	ts := Instants(scorecard.WeekEnded(monday), 2)
	series, err := p.Series(context.Background(), ts)
	if err != nil {
		t.Fatal(err)
	}
	ns := series["north_star"]
	if len(ns) != 3 || !ns[0].OK || ns[0].Value != 5 || ns[1].OK || !ns[2].OK || ns[2].Value != 6.5 {
		t.Errorf("north_star points %+v", ns)
	}
	if pts := series["wau"]; len(pts) != 3 || pts[0].OK {
		t.Errorf("wau points %+v", pts)
	}
	// An API error is reported with the query.
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"status":"error","errorType":"execution","error":"boom"}`)
	})
	if _, err := p.Results(context.Background(), at); err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "heady:kpi_value") {
		t.Errorf("want the API error, got %v", err)
	}
}
