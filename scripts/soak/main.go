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
//   - memory (RSS) and goroutines stay flat: after a warm-up, the second
//     half of the run peaks no higher than the first half, with a margin;
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
	"syscall"
	"time"
)

type options struct {
	bin, dir, out               string
	duration, killEvery, rotate time.Duration
	scrapeEvery, warmup         time.Duration
	rate, users                 int
	idShare                     float64
	rssMargin                   float64
	goroutineMargin             float64
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
	flag.Float64Var(&o.rssMargin, "rss-margin", 1.25, "flat memory: second-half peak RSS at most this times the first half's")
	flag.Float64Var(&o.goroutineMargin, "goroutine-margin", 5, "flat goroutines: second-half peak at most the first half's plus this")
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
	latency    time.Duration
	rss        float64
	goroutines float64
}

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
	rotation int
	written  int // lines written
	expected int // distinct valid events among them
	bad      int
	dups     int
}

func run(o options) error {
	s := &soak{o: o, now: time.Now().UTC().Truncate(time.Second)}
	s.dir = o.dir
	if s.dir == "" {
		d, err := os.MkdirTemp("", "heady-soak")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
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
	defer func() { clean.Process.Kill(); clean.Wait() }()
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
	defer l.Close()
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
	logf.Close()
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
		p.Process.Signal(syscall.SIGTERM)
		p.Wait()
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
		p.Process.Signal(syscall.SIGKILL)
		p.Wait()
		if err := s.startProc(); err != nil {
			return err
		}
		s.mu.Lock()
		s.kills++
		s.mu.Unlock()
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
		if time.Since(lastRotate) >= s.o.rotate {
			lastRotate = time.Now()
			f.Close()
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
	defer in.Close()
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

// scrape fetches /metrics as Prometheus does and returns every sample.
func scrape(base string) (map[string]float64, time.Duration, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	lat := time.Since(start)
	if err := sc.Err(); err != nil {
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
		m, lat, err := scrape("http://" + s.addr)
		s.mu.Lock()
		if err != nil {
			s.failed++
		} else {
			s.samples = append(s.samples, sample{at: time.Since(s.start), latency: lat,
				rss: m["process_resident_memory_bytes"], goroutines: m["go_goroutines"]})
		}
		s.mu.Unlock()
	}
}

// engineSeries keeps the series computed from the engine's state (not the
// per-process counters, Go runtime or source health).
func engineSeries(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		for _, p := range []string{"heady_adoption_", "heady_outcomes_", "heady_trust_", "heady_cost_", "heady_delivery_",
			"heady_events_ingested_total", "heady_engine_tracked_users", "heady_platform_gateway"} {
			if strings.HasPrefix(k, p) {
				out[k] = v
			}
		}
	}
	return out
}

func ingested(m map[string]float64) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, "heady_events_ingested_total") {
			n += v
		}
	}
	return n
}

// caughtUp waits until the exporter at base has applied want events and
// two scrapes a second apart agree, and returns its engine series.
func (s *soak) caughtUp(base string, want float64, d time.Duration) (map[string]float64, error) {
	deadline := time.Now().Add(d)
	last := 0.0
	for time.Now().Before(deadline) {
		a, _, err := scrape(base)
		if err == nil {
			last = ingested(a)
			if last >= want {
				time.Sleep(time.Second)
				if b, _, err := scrape(base); err == nil && ingested(b) == last {
					return engineSeries(b), nil
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
	defer resp.Body.Close()
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

func (s *soak) report(soakSeries, cleanSeries map[string]float64, soakKPIs map[string]*float64, oneShot map[string]struct {
	Value *float64 `json:"value"`
}) error {
	var fails, diffs []string
	for k, v := range cleanSeries {
		if got, ok := soakSeries[k]; !ok || !same(got, v) {
			diffs = append(diffs, fmt.Sprintf("%s: soak %v, clean %v", k, got, v))
		}
	}
	for k, v := range soakSeries {
		if _, ok := cleanSeries[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: soak %v, absent from the clean run", k, v))
		}
	}
	kpiDiffs := 0
	for id, c := range oneShot {
		g := soakKPIs[id]
		if (g == nil) != (c.Value == nil) || g != nil && !same(*g, *c.Value) {
			kpiDiffs++
			diffs = append(diffs, fmt.Sprintf("KPI %s: soak %v, kpis --now %v", id, fmtp(g), fmtp(c.Value)))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		fails = append(fails, fmt.Sprintf("%d series or KPIs differ from the clean run", len(diffs)))
	}
	if ingested(cleanSeries) != float64(s.expected) {
		fails = append(fails, fmt.Sprintf("the clean run applied %v events, %d expected", ingested(cleanSeries), s.expected))
	}

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
	p50, p99, pmax := quantile(lats, 0.5), quantile(lats, 0.99), quantile(lats, 1)
	if !(p99 < float64(s.o.p99Limit)/float64(time.Millisecond)) {
		fails = append(fails, fmt.Sprintf("scrape p99 %.1f ms, limit %s", p99, s.o.p99Limit))
	}
	rss := func(x sample) float64 { return x.rss }
	gor := func(x sample) float64 { return x.goroutines }
	rss1, rss2 := peak(first, rss), peak(second, rss)
	g1, g2 := peak(first, gor), peak(second, gor)
	if len(first) == 0 || len(second) == 0 {
		fails = append(fails, "too few samples after the warm-up")
	}
	if rss2 > rss1*s.o.rssMargin {
		fails = append(fails, fmt.Sprintf("RSS grew: peak %.0f MiB after %.0f MiB", rss2/(1<<20), rss1/(1<<20)))
	}
	if g2 > g1+s.o.goroutineMargin {
		fails = append(fails, fmt.Sprintf("goroutines grew: peak %.0f after %.0f", g2, g1))
	}

	verdict := "PASS"
	if len(fails) > 0 {
		verdict = "FAIL: " + strings.Join(fails, "; ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Soak results\n\nWritten by `make soak` (scripts/soak.sh) on %s.\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s; load average at the end: %s; %s.\n\n", cpuModel(), runtime.NumCPU(), memTotal(), loadAvg(), runtime.Version())
	fmt.Fprintf(&b, "Run: %s of benchmark-shaped audit lines (tool calls and outcomes, about 290 bytes, %d users, in time order with a minute of jitter "+
		"over the %s before --now, %.0f%% with an id, 0.5%% malformed, 0.5%% repeats of a recent line) at %d lines/s; the log rotated every %s "+
		"(rename + create, the previous rotation gzipped); the exporter (`serve --now=%s`) killed with SIGKILL every %s and restarted on its state "+
		"directory; /metrics scraped every %s.\n\n",
		s.o.duration, s.o.users, s.o.duration, 100*s.o.idShare, s.o.rate, s.o.rotate, s.now.Format(time.RFC3339), s.o.killEvery, s.o.scrapeEvery)
	fmt.Fprintf(&b, "| measure | result | check |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| lines written (malformed / repeated ids) | %d (%d / %d) | |\n", s.written, s.bad, s.dups)
	fmt.Fprintf(&b, "| achieved write rate | %.0f lines/s | |\n", float64(s.written)/s.o.duration.Seconds())
	fmt.Fprintf(&b, "| rotations / kill -9 and restarts | %d / %d | |\n", s.rotation, s.kills)
	fmt.Fprintf(&b, "| events applied: soak process / clean run / expected | %.0f / %.0f / %d | equal |\n", ingested(soakSeries), ingested(cleanSeries), s.expected)
	fmt.Fprintf(&b, "| engine series compared with a clean `serve --now` | %d, %d differ | none differ |\n", len(cleanSeries), len(diffs)-kpiDiffs)
	fmt.Fprintf(&b, "| KPIs compared with `kpis --now` | %d, %d differ | none differ |\n", len(oneShot), kpiDiffs)
	if st, err := os.Stat(filepath.Join(s.dir, "state", "checkpoint.bin")); err == nil {
		fmt.Fprintf(&b, "| checkpoint (engine state) at the end | %.1f MiB, %.0f bytes per applied event | |\n",
			float64(st.Size())/(1<<20), float64(st.Size())/max(ingested(soakSeries), 1))
	}
	fmt.Fprintf(&b, "| scrapes answered / unanswered (restarts) | %d / %d | |\n", len(s.samples), s.failed)
	fmt.Fprintf(&b, "| scrape latency p50 / p99 / max | %.1f / %.1f / %.1f ms | p99 < %s |\n", p50, p99, pmax, s.o.p99Limit)
	fmt.Fprintf(&b, "| peak RSS, first / second half after a %s warm-up | %.0f / %.0f MiB | second <= %.2fx first |\n", s.o.warmup, rss1/(1<<20), rss2/(1<<20), s.o.rssMargin)
	fmt.Fprintf(&b, "| peak goroutines, first / second half | %.0f / %.0f | second <= first + %.0f |\n", g1, g2, s.o.goroutineMargin)
	fmt.Fprintf(&b, "\nVerdict: %s\n", verdict)
	if len(diffs) > 0 {
		fmt.Fprintf(&b, "\nDifferences:\n\n```\n%s\n```\n", strings.Join(diffs[:min(len(diffs), 50)], "\n"))
	}
	slow := append([]sample(nil), s.samples...)
	sort.Slice(slow, func(i, j int) bool { return slow[i].latency > slow[j].latency })
	fmt.Fprintf(&b, "\nSlowest scrapes (time into the run, latency; kills at every %s):", s.o.killEvery)
	for _, x := range slow[:min(len(slow), 8)] {
		fmt.Fprintf(&b, " %s %.0f ms;", x.at.Round(time.Second), float64(x.latency)/float64(time.Millisecond))
	}
	step := max(s.o.duration/20, time.Second)
	fmt.Fprintf(&b, "\n\nRSS and goroutines over the run (a row every %s: time, RSS MiB, goroutines):\n\n```\n", step)
	next := time.Duration(0)
	for _, x := range s.samples {
		if x.at >= next {
			fmt.Fprintf(&b, "%6s %6.0f %4.0f\n", x.at.Round(time.Second), x.rss/(1<<20), x.goroutines)
			next = x.at.Truncate(step) + step
		}
	}
	fmt.Fprintf(&b, "```\n")
	fmt.Print(b.String())
	if s.o.out != "" {
		if err := os.WriteFile(s.o.out, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if len(fails) > 0 {
		return errors.New(verdict)
	}
	return nil
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
	fmt.Sscanf(string(b), "MemTotal: %f kB", &kb)
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
