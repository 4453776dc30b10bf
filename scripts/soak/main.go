// Command soak runs the load-and-soak test of issue 9 (scripts/soak.sh
// starts it): the real heady-exporter binary (serve --now=T) ingests
// benchmark-shaped audit lines written at a steady rate while a
// Prometheus-like client scrapes /metrics every second; the log is rotated
// every minute (rename + create, the previous rotation gzipped) and the
// process is killed with SIGKILL every few minutes and restarted on its
// state directory. At the end it checks that
//
//   - every engine series equals the one of a clean exporter over the same
//     files (serve --now=T, fresh state), and every KPI of the soak
//     process's /scorecard.json equals `heady-exporter kpis --now=T`;
//   - memory stays flat: the live heap and RSS grow no more than the
//     engine state they hold (see flat.go), and goroutines and open files
//     peak no higher in the second half of the run than in the first;
//   - the p99 of the scrapes' latency is under 100 ms;
//
// and writes the figures to a Markdown report. It exits 1 if a check fails.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/heady/heady-metrics/internal/scrape"
)

type options struct {
	bin, dir, out               string
	duration, killEvery, rotate time.Duration
	scrapeEvery, warmup, settle time.Duration
	rate, users                 int
	idShare                     float64
	heapMargin, rssMargin       float64
	stateRate                   float64
	goroutineMargin             float64
	fdMargin                    float64
	p99Limit                    time.Duration
}

func main() {
	var o options
	minutes := flag.Float64("minutes", 10, "soak duration in minutes")
	flag.StringVar(&o.bin, "bin", "bin/heady-exporter", "heady-exporter binary")
	flag.StringVar(&o.dir, "dir", "", "work directory (default: a temporary one, removed at the end)")
	flag.StringVar(&o.out, "out", "bench/soak.md", "report to write (empty: none)")
	flag.DurationVar(&o.killEvery, "kill-every", 3*time.Minute, "SIGKILL and restart the exporter this often")
	flag.DurationVar(&o.rotate, "rotate-every", time.Minute, "rotate the log this often")
	flag.DurationVar(&o.scrapeEvery, "scrape-every", time.Second, "scrape interval")
	flag.IntVar(&o.rate, "rate", 5000, "lines written per second")
	flag.IntVar(&o.users, "users", 20000, "distinct users")
	flag.Float64Var(&o.idShare, "id-share", 0.1, "share of lines with an id (ids are held for 8 days: they are the state that grows)")
	flag.Float64Var(&o.heapMargin, "heap-margin", 1.10, "flat memory: late median live heap at most this times the early one, plus the engine state's growth")
	flag.Float64Var(&o.rssMargin, "rss-margin", 1.25, "flat memory: late median RSS at most this times the early one, plus the engine state's growth")
	flag.Float64Var(&o.stateRate, "state-rate", 6, "flat memory: in-memory bytes allowed per byte of saved engine state growth (ids: 8 saved, at most 48 held)")
	flag.DurationVar(&o.settle, "settle", 10*time.Second, "flat memory: samples this soon after a process caught up are not judged")
	flag.Float64Var(&o.goroutineMargin, "goroutine-margin", 5, "flat goroutines: second-half peak at most the first half's plus this")
	flag.Float64Var(&o.fdMargin, "fd-margin", 5, "flat open files: second-half peak at most the first half's plus this")
	flag.DurationVar(&o.p99Limit, "p99", 100*time.Millisecond, "scrape latency p99 limit")
	flag.Parse()
	o.duration = time.Duration(*minutes * float64(time.Minute))
	o.warmup = o.duration / 4
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// sample is one scrape.
type sample struct {
	at         time.Duration // since the start
	life       int           // which process: 0 the first, n after the n-th kill
	latency    time.Duration
	rss        float64
	goroutines float64
	fds        float64
	heapAlloc  float64 // go_memstats_heap_alloc_bytes: live + garbage not yet collected
	heapInuse  float64
	heapIdle   float64
	released   float64
	nextGC     float64 // the heap goal: (1 + GOGC/100) times the live heap of the last GC
	gogc       float64
	gcs        float64 // go_gc_duration_seconds_count
	ingested   float64 // events applied, as of the process's last view
	expected   float64 // distinct valid events written when the scrape started
	state      float64 // checkpoint size on disk
}

// live is the heap marked live at the process's last collection.
func (x sample) live() float64 { return x.nextGC / (1 + x.gogc/100) }

type soak struct {
	o     options
	now   time.Time // the fixed --now of every process
	dir   string
	cfg   string
	addr  string
	start time.Time

	mu       sync.Mutex
	proc     *exec.Cmd
	samples  []sample
	failed   int // scrapes that got no answer (mostly while restarting)
	kills    int
	ckpts    []int64 // checkpoint size at each kill
	rotation int
	written  int // lines written
	expected int // distinct valid events among them
	bad      int
	dups     int
	// expected as of the writer's last flush, for the scrapes (the other
	// counters are the writer's alone until it ends)
	expectedNow atomic.Int64
}

func run(o options) error {
	s := &soak{o: o, now: time.Now().UTC().Truncate(time.Second)}
	s.dir = o.dir
	if s.dir == "" {
		d, err := os.MkdirTemp("", "heady-soak")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d) //nolint:errcheck // a leftover temp dir is reported by nobody; the run's result is what matters
		s.dir = d
	}
	for _, d := range []string{"data", "state", "clean"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	var err error
	if s.cfg, err = s.writeConfig("state"); err != nil {
		return err
	}
	if s.addr, err = freeAddr(); err != nil {
		return err
	}
	s.start = time.Now()
	if err := s.startProc(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "soak: %s at %d lines/s, rotating every %s, kill -9 every %s, --now=%s, dir %s\n",
		o.duration, o.rate, o.rotate, o.killEvery, s.now.Format(time.RFC3339), s.dir)

	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for _, f := range []func(context.Context) error{s.write, s.scrapeLoop, s.killLoop} {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- f(ctx) }()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		if e != nil {
			s.stopProc()
			return e
		}
	}
	defer s.stopProc()
	fmt.Fprintf(os.Stderr, "soak: %d lines written, %d kills, %d rotations; waiting for the exporter to catch up\n", s.written, s.kills, s.rotation)

	soakSeries, err := s.caughtUp("http://"+s.addr, float64(s.expected), 5*time.Minute)
	if err != nil {
		return err
	}
	soakKPIs, err := scorecardKPIs("http://" + s.addr + "/scorecard.json")
	if err != nil {
		return err
	}

	// The clean side: a fresh exporter and the one-shot kpis command over
	// the same files, both as of the same --now.
	cleanCfg, err := s.writeConfig("clean")
	if err != nil {
		return err
	}
	cleanAddr, err := freeAddr()
	if err != nil {
		return err
	}
	clean := exec.Command(o.bin, "serve", "--config.file="+cleanCfg, "--web.listen-address="+cleanAddr, "--now="+s.now.Format(time.RFC3339))
	clean.Stdout, clean.Stderr = io.Discard, io.Discard
	if err := clean.Start(); err != nil {
		return err
	}
	defer func() {
		_ = clean.Process.Kill() // it may have exited already
		_ = clean.Wait()         // killed: its exit status says nothing
	}()
	cleanSeries, err := s.caughtUp("http://"+cleanAddr, float64(s.expected), 5*time.Minute)
	if err != nil {
		return fmt.Errorf("clean exporter: %w", err)
	}
	out, err := exec.Command(o.bin, "kpis", "--config.file="+cleanCfg, "--now="+s.now.Format(time.RFC3339)).Output()
	if err != nil {
		return fmt.Errorf("kpis: %w", err)
	}
	var oneShot map[string]struct {
		Value *float64 `json:"value"`
	}
	if err := json.Unmarshal(out, &oneShot); err != nil {
		return fmt.Errorf("kpis output: %w", err)
	}
	if err := writeSamples(filepath.Join(s.dir, "samples.csv"), s.samples); err != nil {
		return err
	}
	return s.report(soakSeries, cleanSeries, soakKPIs, oneShot)
}

func (s *soak) writeConfig(state string) (string, error) {
	cfg := fmt.Sprintf("state_dir: %s\nsources:\n  audit:\n    - paths: [\"%s/audit.jsonl*\"]\n",
		filepath.Join(s.dir, state), filepath.Join(s.dir, "data"))
	p := filepath.Join(s.dir, state+".yml")
	return p, os.WriteFile(p, []byte(cfg), 0o644)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close() //nolint:errcheck // only its free port was wanted
	return l.Addr().String(), nil
}

func (s *soak) startProc() error {
	logf, err := os.OpenFile(filepath.Join(s.dir, "exporter.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.o.bin, "serve", "--config.file="+s.cfg, "--web.listen-address="+s.addr, "--now="+s.now.Format(time.RFC3339))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	_ = logf.Close() // the child holds its own descriptor
	s.mu.Lock()
	s.proc = cmd
	s.mu.Unlock()
	return nil
}

func (s *soak) stopProc() {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p != nil && p.ProcessState == nil {
		_ = p.Process.Signal(syscall.SIGTERM) // it may have exited already
		_ = p.Wait()                          // stopped at the end of the run: its status says nothing
	}
}

// killLoop kills the exporter with SIGKILL every killEvery and restarts it
// at once on the same state directory and port.
func (s *soak) killLoop(ctx context.Context) error {
	t := time.NewTicker(s.o.killEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		s.mu.Lock()
		p := s.proc
		s.mu.Unlock()
		_ = p.Process.Signal(syscall.SIGKILL) // it may have exited already
		_ = p.Wait()                          // killed on purpose: its status says nothing
		var ckpt int64
		if st, err := os.Stat(filepath.Join(s.dir, "state", "checkpoint.bin")); err == nil {
			ckpt = st.Size()
		}
		s.mu.Lock()
		s.kills++
		s.ckpts = append(s.ckpts, ckpt)
		s.mu.Unlock()
		if err := s.startProc(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "soak: %s: kill -9 #%d and restart\n", time.Since(s.start).Round(time.Second), s.kills)
	}
}

// write appends benchmark-shaped lines (tool calls and outcomes of many
// users, about 290 bytes, in time order with a minute of jitter, the run
// mapped onto the same length of time before now) at the rate, with
// idShare of them with an id, 0.5% malformed, and 0.5% repeats of a recent
// line's id; it rotates the file every rotate.
func (s *soak) write(ctx context.Context) error {
	r := rand.New(rand.NewPCG(9, 4))
	path := filepath.Join(s.dir, "data", "audit.jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastRotate := time.Now()
	var recent []string // recent lines with an id, some repeated as duplicates
	tools := []string{"github.create_pr", "jira.create_issue", "slack.post_message", "shell.exec", "search.web"}
	statuses := []string{"success", "success", "success", "success", "error", "denied"}
	workflows := []string{"code-review", "bug-fix", "test-generation", "refactor", "docs-update"}
	var prev string // the last rotated file, gzipped at the next rotation
	flush := func() error {
		if err := w.Flush(); err != nil {
			return err
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			if err := flush(); err != nil {
				return err
			}
			return f.Close()
		case <-tick.C:
		}
		due := int(time.Since(s.start).Seconds()*float64(s.o.rate)) - s.written
		for range due {
			s.written++
			i := s.written
			// In time order with up to a minute of jitter, as the benchmark's
			// lines: the run's wall time is mapped onto (now-duration, now].
			t := s.now.Add(-s.o.duration + time.Since(s.start) - time.Duration(r.Int64N(int64(time.Minute))))
			ts := t.Format("2006-01-02T15:04:05.000Z07:00")
			u := r.IntN(s.o.users)
			id := fmt.Sprintf(`"id":"evt-%09d",`, i)
			switch k := r.IntN(200); {
			case k == 0:
				fmt.Fprintf(w, `{"ts":"%s","type":"tool_call","user":"user-%07d","tool":`+"\n", ts, u)
				s.bad++
				continue
			case k == 1 && len(recent) > 0:
				// A repeat of a recent line with an id: counted once.
				w.WriteString(recent[r.IntN(len(recent))])
				s.dups++
				continue
			case float64(k) >= 2+198*s.o.idShare:
				id = "" // no id: only the saved positions keep it from being read twice
			}
			var line string
			if i%10 == 9 {
				line = fmt.Sprintf(`{"ts":"%s","type":"outcome",%s"user":"user-%07d","workflow":"%s","status":"success","receipt":"rcpt_%013d_%08x","session":"sess-%06d","surface":"ide","trace":"%016x%016x"}`+"\n",
					ts, id, u, workflows[r.IntN(len(workflows))], t.UnixMilli(), r.Uint32(), r.IntN(1000000), r.Uint64(), r.Uint64())
			} else {
				line = fmt.Sprintf(`{"ts":"%s","type":"tool_call",%s"user":"user-%07d","tool":"%s","status":"%s","duration_ms":%d,"receipt":"rcpt_%013d_%08x","session":"sess-%06d","model":"claude-3-haiku","trace":"%016x%016x"}`+"\n",
					ts, id, u, tools[r.IntN(len(tools))], statuses[r.IntN(len(statuses))], 20+r.IntN(900), t.UnixMilli(), r.Uint32(), r.IntN(1000000), r.Uint64(), r.Uint64())
			}
			w.WriteString(line)
			if id != "" {
				if len(recent) < 1000 {
					recent = append(recent, line)
				} else {
					recent[r.IntN(len(recent))] = line
				}
			}
			s.expected++
		}
		if err := flush(); err != nil {
			return err
		}
		s.expectedNow.Store(int64(s.expected))
		if time.Since(lastRotate) >= s.o.rotate {
			lastRotate = time.Now()
			if err := f.Close(); err != nil {
				return err
			}
			s.rotation++
			rotated := fmt.Sprintf("%s.%d", path, s.rotation)
			if err := os.Rename(path, rotated); err != nil {
				return err
			}
			if f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
				return err
			}
			w.Reset(f)
			if prev != "" {
				if err := gzipFile(prev); err != nil {
					return err
				}
			}
			prev = rotated
		}
	}
}

// gzipFile replaces p with p.gz, as logrotate's compress does.
func gzipFile(p string) error {
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close() //nolint:errcheck // read only: closing loses nothing
	out, err := os.Create(p + ".gz")
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	if _, err := io.Copy(zw, in); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Remove(p)
}

var client = &http.Client{Timeout: 10 * time.Second}

// fetchMetrics fetches /metrics as Prometheus does and returns every sample.
func fetchMetrics(base string) (map[string]float64, time.Duration, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close() //nolint:errcheck // read only: closing loses nothing
	m, err := scrape.Parse(resp.Body)
	lat := time.Since(start)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != 200 {
		return nil, 0, fmt.Errorf("status %s", resp.Status)
	}
	return m, lat, nil
}

func (s *soak) scrapeLoop(ctx context.Context) error {
	t := time.NewTicker(s.o.scrapeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		at := time.Since(s.start)
		expected := float64(s.expectedNow.Load())
		s.mu.Lock()
		life := s.kills
		s.mu.Unlock()
		m, lat, err := fetchMetrics("http://" + s.addr)
		var state float64
		if st, err := os.Stat(filepath.Join(s.dir, "state", "checkpoint.bin")); err == nil {
			state = float64(st.Size())
		}
		s.mu.Lock()
		switch {
		case err != nil:
			s.failed++
		case s.kills != life:
			// Answered around a kill: which process it was is unknown.
		default:
			s.samples = append(s.samples, sample{at: at, life: life, latency: lat,
				rss: m["process_resident_memory_bytes"], goroutines: m["go_goroutines"], fds: m["process_open_fds"],
				heapAlloc: m["go_memstats_heap_alloc_bytes"], heapInuse: m["go_memstats_heap_inuse_bytes"],
				heapIdle: m["go_memstats_heap_idle_bytes"], released: m["go_memstats_heap_released_bytes"],
				nextGC: m["go_memstats_next_gc_bytes"], gogc: m["go_gc_gogc_percent"],
				gcs: m["go_gc_duration_seconds_count"], ingested: scrape.Ingested(m), expected: expected, state: state})
		}
		s.mu.Unlock()
	}
}

// caughtUp waits until the exporter at base has applied want events and
// two scrapes a second apart agree, and returns its engine series
// (scrape.Comparable: the soak and the clean run interleave the streams
// otherwise).
func (s *soak) caughtUp(base string, want float64, d time.Duration) (map[string]float64, error) {
	deadline := time.Now().Add(d)
	last := 0.0
	for time.Now().Before(deadline) {
		a, _, err := fetchMetrics(base)
		if err == nil {
			last = scrape.Ingested(a)
			if last >= want {
				time.Sleep(time.Second)
				if b, _, err := fetchMetrics(base); err == nil && scrape.Ingested(b) == last {
					return scrape.Comparable(scrape.EngineSeries(b)), nil
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return nil, fmt.Errorf("%s applied %v of %v events within %s", base, last, want, d)
}

func scorecardKPIs(url string) (map[string]*float64, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close() //nolint:errcheck // read only: closing loses nothing
	var doc struct {
		KPIs []struct {
			ID    string   `json:"id"`
			Value *float64 `json:"value"`
		} `json:"kpis"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	out := map[string]*float64{}
	for _, k := range doc.KPIs {
		out[k.ID] = k.Value
	}
	return out, nil
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func peak(xs []sample, f func(sample) float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, f(x))
	}
	return m
}

func same(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// findings are what a soak run measured and the checks it failed.
type findings struct {
	fails []string
	// diffs are the series and KPIs that differ from the clean run and
	// from kpis --now; kpiDiffs of them are KPIs.
	diffs    []string
	kpiDiffs int
	// Scrape latency quantiles (ms), and peak goroutines and open files in
	// the first and second half after the warm-up.
	p50, p99, pmax float64
	g1, g2, f1, f2 float64
	rule           flatRule
	pts            []memPoint
	mem            []growth
}

// report judges the run, prints the report and writes it to the -out file
// (keeping its hand-written notes); an error is the failing verdict.
func (s *soak) report(soakSeries, cleanSeries map[string]float64, soakKPIs map[string]*float64, oneShot map[string]struct {
	Value *float64 `json:"value"`
}) error {
	f := &findings{}
	s.judgeCorrectness(f, soakSeries, cleanSeries, soakKPIs, oneShot)
	s.judgeResources(f)
	verdict := "PASS"
	if len(f.fails) > 0 {
		verdict = "FAIL: " + strings.Join(f.fails, "; ")
	}
	var b strings.Builder
	s.writeSummary(&b, f, soakSeries, cleanSeries, len(oneShot))
	fmt.Fprintf(&b, "\nVerdict: %s\n", verdict)
	s.writeDetails(&b, f)
	fmt.Print(b.String())
	if s.o.out != "" {
		old, _ := os.ReadFile(s.o.out)
		if err := os.WriteFile(s.o.out, []byte(withNotes(b.String(), string(old))), 0o644); err != nil {
			return err
		}
	}
	if len(f.fails) > 0 {
		return errors.New(verdict)
	}
	return nil
}

// judgeCorrectness compares the soak process's series and KPIs with a
// clean run's and with kpis --now, and the events applied with those
// written.
func (s *soak) judgeCorrectness(f *findings, soakSeries, cleanSeries map[string]float64, soakKPIs map[string]*float64, oneShot map[string]struct {
	Value *float64 `json:"value"`
}) {
	for k, v := range cleanSeries {
		if got, ok := soakSeries[k]; !ok || !same(got, v) {
			f.diffs = append(f.diffs, fmt.Sprintf("%s: soak %v, clean %v", k, got, v))
		}
	}
	for k, v := range soakSeries {
		if _, ok := cleanSeries[k]; !ok {
			f.diffs = append(f.diffs, fmt.Sprintf("%s: soak %v, absent from the clean run", k, v))
		}
	}
	for id, c := range oneShot {
		g := soakKPIs[id]
		if (g == nil) != (c.Value == nil) || g != nil && !same(*g, *c.Value) {
			f.kpiDiffs++
			f.diffs = append(f.diffs, fmt.Sprintf("KPI %s: soak %v, kpis --now %v", id, fmtp(g), fmtp(c.Value)))
		}
	}
	sort.Strings(f.diffs)
	if len(f.diffs) > 0 {
		f.fails = append(f.fails, fmt.Sprintf("%d series or KPIs differ from the clean run", len(f.diffs)))
	}
	if scrape.Ingested(cleanSeries) != float64(s.expected) {
		f.fails = append(f.fails, fmt.Sprintf("the clean run applied %v events, %d expected", scrape.Ingested(cleanSeries), s.expected))
	}
}

// judgeResources checks scrape latency, goroutines, open files and memory.
func (s *soak) judgeResources(f *findings) {
	var lats []float64
	var first, second []sample
	for _, x := range s.samples {
		lats = append(lats, float64(x.latency)/float64(time.Millisecond))
		if x.at < s.o.warmup {
			continue
		}
		if x.at < s.o.warmup+(s.o.duration-s.o.warmup)/2 {
			first = append(first, x)
		} else {
			second = append(second, x)
		}
	}
	f.p50, f.p99, f.pmax = quantile(lats, 0.5), quantile(lats, 0.99), quantile(lats, 1)
	if !(f.p99 < float64(s.o.p99Limit)/float64(time.Millisecond)) {
		f.fails = append(f.fails, fmt.Sprintf("scrape p99 %.1f ms, limit %s", f.p99, s.o.p99Limit))
	}
	gor := func(x sample) float64 { return x.goroutines }
	fds := func(x sample) float64 { return x.fds }
	f.g1, f.g2 = peak(first, gor), peak(second, gor)
	f.f1, f.f2 = peak(first, fds), peak(second, fds)
	if len(first) == 0 || len(second) == 0 {
		f.fails = append(f.fails, "too few samples after the warm-up")
	}
	if f.g2 > f.g1+s.o.goroutineMargin {
		f.fails = append(f.fails, fmt.Sprintf("goroutines grew: peak %.0f after %.0f", f.g2, f.g1))
	}
	if f.f2 > f.f1+s.o.fdMargin {
		f.fails = append(f.fails, fmt.Sprintf("open files grew: peak %.0f after %.0f", f.f2, f.f1))
	}
	f.rule = flatRule{warmup: s.o.warmup, settle: s.o.settle, duration: s.o.duration,
		heapMargin: s.o.heapMargin, rssMargin: s.o.rssMargin, stateRate: s.o.stateRate, minLife: 10}
	f.pts = memPoints(s.samples, s.o.rate)
	f.mem = judgeMemory(f.pts, f.rule)
	for _, g := range f.mem {
		switch {
		case g.insufficient:
			f.fails = append(f.fails, fmt.Sprintf("%s: too few steady samples (%d / %d)", g.what, g.n1, g.n2))
		case !g.ok:
			f.fails = append(f.fails, "grew more than the engine state: "+g.String())
		}
	}
}

// writeSummary writes the report's heading, the run's description and the
// table of measures and checks.
func (s *soak) writeSummary(b *strings.Builder, f *findings, soakSeries, cleanSeries map[string]float64, kpis int) {
	fmt.Fprintf(b, "# Soak results\n\nWritten by `make soak` (scripts/soak.sh) on %s.\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(b, "Machine: %s, %d cores, %s; load average at the end: %s; %s.\n\n", cpuModel(), runtime.NumCPU(), memTotal(), loadAvg(), runtime.Version())
	fmt.Fprintf(b, "Run: %s of benchmark-shaped audit lines (tool calls and outcomes, about 290 bytes, %d users, in time order with a minute of jitter "+
		"over the %s before --now, %.0f%% with an id, 0.5%% malformed, 0.5%% repeats of a recent line) at %d lines/s; the log rotated every %s "+
		"(rename + create, the previous rotation gzipped); the exporter (`serve --now=%s`) killed with SIGKILL every %s and restarted on its state "+
		"directory; /metrics scraped every %s.\n\n",
		s.o.duration, s.o.users, s.o.duration, 100*s.o.idShare, s.o.rate, s.o.rotate, s.now.Format(time.RFC3339), s.o.killEvery, s.o.scrapeEvery)
	fmt.Fprintf(b, "| measure | result | check |\n|---|---|---|\n")
	fmt.Fprintf(b, "| lines written (malformed / repeated ids) | %d (%d / %d) | |\n", s.written, s.bad, s.dups)
	fmt.Fprintf(b, "| achieved write rate | %.0f lines/s | |\n", float64(s.written)/s.o.duration.Seconds())
	fmt.Fprintf(b, "| rotations / kill -9 and restarts | %d / %d | |\n", s.rotation, s.kills)
	fmt.Fprintf(b, "| events applied: soak process / clean run / expected | %.0f / %.0f / %d | equal |\n", scrape.Ingested(soakSeries), scrape.Ingested(cleanSeries), s.expected)
	fmt.Fprintf(b, "| engine series compared with a clean `serve --now` | %d, %d differ | none differ |\n", len(cleanSeries), len(f.diffs)-f.kpiDiffs)
	fmt.Fprintf(b, "| KPIs compared with `kpis --now` | %d, %d differ | none differ |\n", kpis, f.kpiDiffs)
	if st, err := os.Stat(filepath.Join(s.dir, "state", "checkpoint.bin")); err == nil {
		var at []string
		for _, c := range s.ckpts {
			at = append(at, fmt.Sprintf("%.2f", float64(c)/mib))
		}
		fmt.Fprintf(b, "| checkpoint (engine state) at each kill -9 / at the end | %s / %.2f MiB, %.0f bytes per applied event | |\n",
			strings.Join(at, ", "), float64(st.Size())/mib, float64(st.Size())/max(scrape.Ingested(soakSeries), 1))
	}
	fmt.Fprintf(b, "| scrapes answered / unanswered (restarts) | %d / %d | |\n", len(s.samples), s.failed)
	fmt.Fprintf(b, "| scrape latency p50 / p99 / max | %.1f / %.1f / %.1f ms | p99 < %s |\n", f.p50, f.p99, f.pmax, s.o.p99Limit)
	fmt.Fprintf(b, "| peak goroutines, first / second half after a %s warm-up | %.0f / %.0f | second <= first + %.0f |\n", s.o.warmup, f.g1, f.g2, s.o.goroutineMargin)
	fmt.Fprintf(b, "| peak open files, first / second half | %.0f / %.0f | second <= first + %.0f |\n", f.f1, f.f2, s.o.fdMargin)
	st := steady(f.pts, f.rule)
	fmt.Fprintf(b, "| restart catch-up (kill -9 to caught up), longest | %s | |\n", s.longestCatchUp().Round(100*time.Millisecond))
	fmt.Fprintf(b, "| peak RSS / live heap, whole run (catch-ups included) | %.0f / %.1f MiB | |\n",
		peak(s.samples, func(x sample) float64 { return x.rss })/mib, peak(s.samples, sample.live)/mib)
	fmt.Fprintf(b, "| peak RSS / live heap, steady samples (%d: after the warm-up, %s after catching up) | %.0f / %.1f MiB | |\n",
		len(st), s.o.settle, peakPts(st, func(p memPoint) float64 { return p.rss })/mib, peakPts(st, func(p memPoint) float64 { return p.live })/mib)
	for _, g := range f.mem {
		if g.insufficient {
			fmt.Fprintf(b, "| %s | too few steady samples (%d / %d) | |\n", g.what, g.n1, g.n2)
			continue
		}
		fmt.Fprintf(b, "| %s: median early / late (engine state saved) | %.1f / %.1f MiB (%.2f / %.2f MiB) | growth %.1f <= allowed %.1f MiB; a leak over %.0f KiB/s fails |\n",
			g.what, g.early/mib, g.late/mib, g.state1/mib, g.state2/mib, (g.late-g.early)/mib, g.allowed/mib, g.leakRate()/1024)
	}
}

// writeDetails writes, after the verdict, how memory is judged, the
// differences, the slowest scrapes and the run's timeline.
func (s *soak) writeDetails(b *strings.Builder, f *findings) {
	fmt.Fprintf(b, "\nFlat memory is judged on steady samples (after the warm-up, and %s after the answering process had applied all but "+
		"2 s of what was written, so not during a restart's catch-up) by medians: early against late half of the run (growth that survives "+
		"kill -9), and first against second half of each process life, averaged over lives (growth a restart resets). The late median may exceed the early "+
		"one by %.0f%% (live heap) or %.0f%% (RSS) plus %.0f bytes per byte the saved engine state (checkpoint.bin) grew, times "+
		"(1 + GOGC/100) x %.1f for RSS (heap goal and the scavenger's idle pages); the live heap is the heap goal / (1 + GOGC/100). "+
		"The leak rate shown is the steady leak that, added to this run, would have failed it.\n",
		s.o.settle, 100*(s.o.heapMargin-1), 100*(s.o.rssMargin-1), s.o.stateRate, scavengerRetain)
	if len(f.diffs) > 0 {
		fmt.Fprintf(b, "\nDifferences:\n\n```\n%s\n```\n", strings.Join(f.diffs[:min(len(f.diffs), 50)], "\n"))
	}
	slow := append([]sample(nil), s.samples...)
	sort.Slice(slow, func(i, j int) bool { return slow[i].latency > slow[j].latency })
	fmt.Fprintf(b, "\nSlowest scrapes (time into the run, latency; kills at every %s):", s.o.killEvery)
	for _, x := range slow[:min(len(slow), 8)] {
		fmt.Fprintf(b, " %s %.0f ms;", x.at.Round(time.Second), float64(x.latency)/float64(time.Millisecond))
	}
	step := max(s.o.duration/20, time.Second)
	fmt.Fprintf(b, "\n\nOver the run, a row every %s (life: processes killed before; live heap = heap goal / (1 + GOGC/100); "+
		"steady: judged by the flat-memory check):\n\n```\n  time life   RSS  live  heap_inuse  idle_kept  state  goroutines fds steady\n", step)
	steadyAt := map[time.Duration]bool{}
	for _, p := range steady(f.pts, f.rule) {
		steadyAt[p.at] = true
	}
	next := time.Duration(0)
	for _, x := range s.samples {
		if x.at >= next {
			fmt.Fprintf(b, "%6s %4d %5.1f %5.1f %11.1f %10.1f %6.2f %11.0f %3.0f %6v\n", x.at.Round(time.Second), x.life, x.rss/mib, x.live()/mib,
				x.heapInuse/mib, (x.heapIdle-x.released)/mib, x.state/mib, x.goroutines, x.fds, steadyAt[x.at])
			next = x.at.Truncate(step) + step
		}
	}
	fmt.Fprintf(b, "```\n")
}

// notesMark starts the part of the report that is written by hand and
// kept when the soak rewrites it.
const notesMark = "<!-- notes below are kept by make soak -->"

// withNotes appends to a new report the hand-written notes of the old one
// (from notesMark on).
func withNotes(report, old string) string {
	if i := strings.Index(old, notesMark); i >= 0 {
		return report + "\n" + old[i:]
	}
	return report
}

// memPoints are the samples as the flat-memory verdict sees them. A
// process has caught up when it has applied all but two seconds of what
// was written (rate lines a second).
func memPoints(xs []sample, rate int) []memPoint {
	out := make([]memPoint, len(xs))
	first := map[int]time.Duration{}
	for i, x := range xs {
		if _, ok := first[x.life]; !ok {
			first[x.life] = x.at
		}
		out[i] = memPoint{at: x.at, age: x.at - first[x.life], life: x.life, live: x.live(), rss: x.rss,
			state: x.state, gogc: x.gogc, caughtUp: caughtUp(x, rate)}
	}
	return out
}

func caughtUp(x sample, rate int) bool { return x.ingested >= x.expected-2*float64(rate) }

// longestCatchUp is the longest time from a kill to the first sample of
// the restarted process that had caught up.
func (s *soak) longestCatchUp() time.Duration {
	var longest time.Duration
	for life := 1; life <= s.kills; life++ {
		var first, caught time.Duration = -1, -1
		for _, x := range s.samples {
			if x.life != life {
				continue
			}
			if first < 0 {
				first = x.at
			}
			if caughtUp(x, s.o.rate) {
				caught = x.at
				break
			}
		}
		kill := time.Duration(life) * s.o.killEvery
		if caught < 0 {
			return -1
		}
		longest = max(longest, caught-kill)
	}
	return longest
}

func peakPts(xs []memPoint, f func(memPoint) float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, f(x))
	}
	return m
}

func fmtp(p *float64) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	var kb float64
	if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.0f GiB", kb/(1<<20))
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// writeSamples writes every scrape's figures as CSV, for a closer look.
func writeSamples(path string, xs []sample) error {
	var b strings.Builder
	b.WriteString("at_s,life,latency_ms,rss,goroutines,fds,heap_alloc,heap_inuse,heap_idle,heap_released,next_gc,gogc,gcs,ingested,expected,state\n")
	for _, x := range xs {
		fmt.Fprintf(&b, "%.1f,%d,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n", x.at.Seconds(), x.life,
			float64(x.latency)/float64(time.Millisecond), x.rss, x.goroutines, x.fds, x.heapAlloc, x.heapInuse,
			x.heapIdle, x.released, x.nextGC, x.gogc, x.gcs, x.ingested, x.expected, x.state)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
