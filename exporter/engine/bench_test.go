package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// benchLines makes n canonical audit lines of about 290 bytes over users
// users and the seven days before now, in time order with some jitter.
func benchLines(n, users int, now time.Time) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	tools := []string{"github.create_pr", "jira.create_issue", "slack.post_message", "shell.exec", "search.web"}
	statuses := []string{"success", "success", "success", "success", "error", "denied"}
	workflows := []string{"code-review", "bug-fix", "test-generation", "refactor", "docs-update"}
	out := make([][]byte, n)
	start := now.Add(-7 * 24 * time.Hour)
	step := 7 * 24 * time.Hour / time.Duration(n)
	for i := range out {
		t := start.Add(time.Duration(i) * step).Add(time.Duration(r.IntN(60000)) * time.Millisecond)
		u := r.IntN(users)
		var line string
		switch i % 10 {
		case 9:
			line = fmt.Sprintf(`{"ts":"%s","type":"outcome","id":"evt-%09d","user":"user-%07d","workflow":"%s","status":"success","receipt":"rcpt_%013d_%08x","session":"sess-%06d"}`,
				t.Format("2006-01-02T15:04:05.000Z07:00"), i, u, workflows[r.IntN(len(workflows))], t.UnixMilli(), r.Uint32(), r.IntN(1000000))
		default:
			line = fmt.Sprintf(`{"ts":"%s","type":"tool_call","id":"evt-%09d","user":"user-%07d","tool":"%s","status":"%s","duration_ms":%d,"receipt":"rcpt_%013d_%08x","session":"sess-%06d","model":"claude-3-haiku"}`,
				t.Format("2006-01-02T15:04:05.000Z07:00"), i, u, tools[r.IntN(len(tools))], statuses[r.IntN(len(statuses))], 20+r.IntN(900), t.UnixMilli(), r.Uint32(), r.IntN(1000000))
		}
		out[i] = []byte(line)
	}
	return out
}

// BenchmarkIngest measures the whole engine path per line: decode, dedup,
// per-user state, windows. Run with GOMAXPROCS=1 (scripts/bench.sh does).
var (
	benchOnce  sync.Once
	benchInput [][]byte
	benchNow   = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
)

func ingestInput() [][]byte {
	benchOnce.Do(func() { benchInput = benchLines(1_000_000, 200_000, benchNow) })
	return benchInput
}

func BenchmarkIngest(b *testing.B) {
	now := benchNow
	lines := ingestInput()
	var total int
	for _, l := range lines {
		total += len(l) + 1
	}
	b.SetBytes(int64(total / len(lines)))
	b.ResetTimer()
	var e *Engine
	var d event.Decoder
	var ev event.Event
	for i := 0; i < b.N; i++ {
		if i%len(lines) == 0 {
			b.StopTimer()
			e = New(Options{})
			e.Advance(now.UnixMilli())
			b.StartTimer()
		}
		if d.Decode(lines[i%len(lines)], &ev) == "" {
			e.Apply(&ev)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkDecodeOnly is the decoder alone on the same lines, the floor the
// engine's share is measured against.
func BenchmarkDecodeOnly(b *testing.B) {
	lines := ingestInput()
	var d event.Decoder
	var ev event.Event
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Decode(lines[i%len(lines)], &ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkMemoryPerUser applies activity for 1,000,000 users (a session
// and a verified outcome each, on a few days) and reports the heap bytes
// per tracked user.
func BenchmarkMemoryPerUser(b *testing.B) {
	for i := 0; i < b.N; i++ {
		now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		const users = 1_000_000
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		e := New(Options{})
		e.Advance(now.UnixMilli())
		var ev event.Event
		ids := make([]string, users)
		for u := range ids {
			ids[u] = fmt.Sprintf("user-%07d", u)
		}
		for day := 0; day < 3; day++ {
			for u := 0; u < users; u++ {
				ev.Reset()
				ev.Type, ev.User = event.TypeSessionStart, ids[u]
				ev.Surface = [...]string{"web", "ide", "cli"}[(u+day)%3]
				ev.Time = now.Add(-time.Duration(day*3+u%3)*24*time.Hour - time.Duration(u%86400)*time.Second).UnixMilli()
				e.Apply(&ev)
			}
		}
		ids = nil
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/users, "bytes/user")
		runtime.KeepAlive(e)
	}
}

var sink *View

// BenchmarkRestart saves and loads a checkpoint of 1,000,000 users.
func BenchmarkRestart(b *testing.B) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e := New(Options{})
	e.Advance(now.UnixMilli())
	var ev event.Event
	for u := 0; u < 1_000_000; u++ {
		ev.Reset()
		ev.Type, ev.User = event.TypeSessionStart, fmt.Sprintf("user-%07d", u)
		ev.Surface, ev.Time = "web", now.Add(-time.Duration(u%(30*86400))*time.Second).UnixMilli()
		e.Apply(&ev)
	}
	dir := b.TempDir()
	if err := e.Save(dir); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e2, err := Load(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		sink = e2.Evaluate(now.UnixMilli()) // ready means a first view
	}
}

var _ = bytes.MinRead
