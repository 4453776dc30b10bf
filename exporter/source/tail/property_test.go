package tail

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// world is a log writer with logrotate: it writes uniquely numbered lines
// to audit.jsonl and rotates it by rename+create or copytruncate into
// audit.jsonl.1, .2, ... which it may gzip and eventually delete.
type world struct {
	h       *harness
	opts    worldOpts
	rng     *rand.Rand
	next    int
	written []string
	half    string // the part of a line already written to audit.jsonl
	rotated []bool // rotated[i] is audit.jsonl.<i+1>, true when gzipped
}

func (w *world) name(i int) string {
	n := fmt.Sprintf("audit.jsonl.%d", i+1)
	if w.rotated[i] {
		n += ".gz"
	}
	return n
}

func (w *world) line() string {
	w.next++
	s := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, w.next, strings.Repeat("p", w.rng.IntN(300)))
	w.written = append(w.written, s)
	return s
}

// appendLines writes some lines to file, possibly ending in half a line.
func (w *world) appendLines(file string) {
	var b strings.Builder
	b.WriteString(w.half)
	w.half = ""
	for range w.rng.IntN(6) {
		b.WriteString(w.line() + "\n")
	}
	if w.rng.IntN(3) == 0 {
		l := w.line()
		cut := w.rng.IntN(len(l))
		b.WriteString(l[:cut])
		w.half = l[cut:] + "\n"
	}
	if b.Len() > 0 {
		w.h.write(file, b.String())
	}
}

func (w *world) completeHalf() {
	if w.half != "" {
		w.h.write("audit.jsonl", w.half)
		w.half = ""
	}
}

// shift renames every rotated file one number up, making room for .1.
func (w *world) shift() {
	w.rotated = append(w.rotated, false)
	for i := len(w.rotated) - 2; i >= 0; i-- {
		w.rotated[i+1] = w.rotated[i]
		from := w.name(i)
		w.h.rename(from, w.name(i+1))
	}
	w.rotated[0] = false
}

func (w *world) size(name string) int64 {
	fi, err := os.Stat(w.h.path(name))
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (w *world) exists(name string) bool {
	_, err := os.Stat(w.h.path(name))
	return err == nil
}

// poll polls once and, at random batch boundaries, dies: after the batch
// was applied and saved (a kill -9 after the checkpoint) or before (the
// checkpoint failed). It returns whether the poll ran to its end.
func (w *world) poll() bool {
	h := w.h
	killed := false
	err := h.f.Poll(context.Background(), func(b Batch) error {
		switch w.rng.IntN(12) {
		case 0: // killed right after the checkpoint
			if !w.opts.restarts {
				break
			}
			h.apply(b)
			killed = true
			return errStop
		case 1: // the checkpoint failed: the batch is not applied
			return errStop
		}
		h.apply(b)
		return nil
	})
	if errors.Is(err, errStop) {
		if killed || (w.opts.restarts && w.rng.IntN(2) == 0) {
			h.restart()
		}
		return false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return true
}

func TestRandomRotationsAndRestarts(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runWorld(t, uint64(seed), 150, worldOpts{
				patterns: []string{"audit.jsonl*"}, restarts: true, copytruncate: true,
			})
		})
	}
}

// Rotated plain files matched by no pattern are read to their end through
// the descriptor held since before the rename. Without a restart (which
// loses that descriptor) or copytruncate (whose copy is not seen), nothing
// is lost either.
func TestRandomRotationsUnmatchedRotatedFiles(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 5
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runWorld(t, uint64(seed), 150, worldOpts{
				patterns: []string{"audit.jsonl", "audit.jsonl.*.gz"},
			})
		})
	}
}

type worldOpts struct {
	patterns     []string
	restarts     bool // restart and die after checkpoints
	copytruncate bool // rotate by copytruncate too
}

func runWorld(t *testing.T, seed uint64, steps int, opts worldOpts) {
	rng := rand.New(rand.NewPCG(seed, 0x7a11))
	h := newHarness(t, Config{BatchLines: 1 + rng.IntN(5)}, opts.patterns...)
	w := &world{h: h, rng: rng, opts: opts}
	var log []string // what happened, for the failure message
	caughtUp := false
	for range steps {
		op := rng.IntN(100)
		switch {
		case op < 35:
			log = append(log, "append")
			w.appendLines("audit.jsonl")
			caughtUp = false
		case op < 65:
			log = append(log, "poll")
			caughtUp = w.poll()
		case op < 68:
			log = append(log, "idle poll")
			saved := h.clock
			h.clock = time.Now().Add(24 * time.Hour)
			caughtUp = w.poll()
			h.clock = saved
		case op < 72:
			if !opts.restarts {
				continue
			}
			log = append(log, "restart")
			h.restart()
		case op < 80:
			log = append(log, "rename+create")
			w.completeHalf()
			if !opts.copytruncate {
				// A file renamed out of the patterns before it was ever
				// seen cannot be read: see it once first.
				for done := false; !done; {
					done = w.poll()
				}
			}
			w.shift()
			// An empty file is not followed yet (it has no fingerprint):
			// a writer holding it open after the rename is not modelled.
			open := w.size("audit.jsonl") > 0
			if w.exists("audit.jsonl") {
				h.rename("audit.jsonl", "audit.jsonl.1")
			} else {
				h.write("audit.jsonl.1", "")
			}
			if open && rng.IntN(2) == 0 { // the writer still has the old file open
				w.appendLines("audit.jsonl.1")
				if w.half != "" {
					h.write("audit.jsonl.1", w.half)
					w.half = ""
				}
			}
			if rng.IntN(2) == 0 {
				h.write("audit.jsonl", "")
			}
			caughtUp = false
		case op < 87:
			if !opts.copytruncate {
				continue
			}
			log = append(log, "copytruncate")
			w.completeHalf()
			w.shift()
			if !w.exists("audit.jsonl") {
				h.write("audit.jsonl", "")
			}
			h.copyTruncate("audit.jsonl", "audit.jsonl.1")
			caughtUp = false
		case op < 94:
			var plain []int
			for i, z := range w.rotated {
				if !z {
					plain = append(plain, i)
				}
			}
			if len(plain) == 0 {
				continue
			}
			i := plain[rng.IntN(len(plain))]
			log = append(log, fmt.Sprintf("gzip .%d", i+1))
			h.gzipFile(w.name(i))
			w.rotated[i] = true
			caughtUp = false
		default:
			// Delete the oldest rotated file, once everything in it was
			// delivered: logrotate's rotate N, with a reader keeping up.
			if len(w.rotated) == 0 || !caughtUp {
				continue
			}
			log = append(log, "delete oldest")
			h.remove(w.name(len(w.rotated) - 1))
			w.rotated = w.rotated[:len(w.rotated)-1]
		}
	}
	w.completeHalf()
	for range 3 {
		for done := false; !done; {
			done = w.poll()
		}
	}

	got := slices.Clone(h.lines)
	slices.Sort(got)
	want := slices.Clone(w.written)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		seen := map[string]int{}
		for _, l := range h.lines {
			seen[l]++
		}
		var lost, twice []string
		for _, l := range w.written {
			switch seen[l] {
			case 0:
				lost = append(lost, l[:min(len(l), 12)])
			case 1:
			default:
				twice = append(twice, l[:min(len(l), 12)])
			}
		}
		t.Fatalf("seed %d: %d lines written, %d delivered; lost %v; delivered more than once %v\nsteps: %s",
			seed, len(w.written), len(h.lines), lost, twice, strings.Join(log, ", "))
	}
}

// TestRestartAtEveryBatchBoundary reads a fixed set of files once, then,
// for every batch boundary, starts a new follower from the positions of
// that batch and checks that it delivers exactly the rest.
func TestRestartAtEveryBatchBoundary(t *testing.T) {
	dir := t.TempDir()
	var content strings.Builder
	for i := range 300 {
		fmt.Fprintf(&content, "{\"n\":%d,\"pad\":\"%s\"}\n", i, strings.Repeat("q", i%37))
	}
	files := map[string][]byte{
		"app.log.3.gz": gz([]byte(content.String())),
		"app.log.2":    []byte("r1\n" + strings.Repeat("L", 100) + "\nr2\nr3 without newline"),
		"app.log.1":    []byte("s1\ns2\n\ns4\n"),
		"app.log":      []byte("t1\nt2\nhalf"),
	}
	ages := map[string]time.Duration{"app.log.3.gz": 4 * time.Hour, "app.log.2": 3 * time.Hour, "app.log.1": 2 * time.Hour, "app.log": time.Hour}
	now := time.Now()
	for name, data := range files {
		p := dir + "/" + name
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-ages[name]), now.Add(-ages[name])); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Paths: []string{dir + "/app.log*"}, BatchLines: 7, MaxLineBytes: 64}
	clock := func() time.Time { return now }

	type step struct {
		lines []string
		long  int
		pos   []Position
	}
	readAll := func(start []Position) []step {
		f, err := New(cfg, start, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var steps []step
		for range 2 {
			err := f.Poll(context.Background(), func(b Batch) error {
				s := step{long: len(b.TooLong), pos: b.Positions}
				for _, l := range b.Lines {
					s.lines = append(s.lines, string(l.Text))
				}
				steps = append(steps, s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return steps
	}
	flat := func(steps []step) (lines []string, long int) {
		for _, s := range steps {
			lines = append(lines, s.lines...)
			long += s.long
		}
		return lines, long
	}

	full := readAll(nil)
	all, allLong := flat(full)
	if len(all) != 300+3+4+2 || allLong != 1 {
		t.Fatalf("full read: %d lines, %d too long", len(all), allLong)
	}
	if all[0] != `{"n":0,"pad":""}` || all[len(all)-1] != "t2" || all[302] != "r3 without newline" {
		t.Fatalf("full read out of order: first %q, last %q", all[0], all[len(all)-1])
	}
	if len(full) < 40 {
		t.Fatalf("only %d batches", len(full))
	}
	doneLines, doneLong := 0, 0
	for k, s := range full {
		doneLines += len(s.lines)
		doneLong += s.long
		rest, restLong := flat(readAll(s.pos))
		if !slices.Equal(rest, all[doneLines:]) || restLong != allLong-doneLong {
			t.Fatalf("restart after batch %d: got %d lines (%d too long), want %d (%d)",
				k, len(rest), restLong, len(all)-doneLines, allLong-doneLong)
		}
	}
}
