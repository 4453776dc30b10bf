package tail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAppendHoldsBackHalfLine(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl")
	wantLines(t, "nothing yet", h.poll())

	h.write("audit.jsonl", "one\ntw")
	wantLines(t, "first write", h.poll(), "one")
	h.write("audit.jsonl", "o")
	wantLines(t, "still half", h.poll())
	h.write("audit.jsonl", "\nthree\nfo")
	wantLines(t, "completed", h.poll(), "two", "three")
	// A half line is never delivered while the file is the newest one,
	// however long it is idle: the writer will complete it.
	wantLines(t, "idle active file", h.idlePoll())
	h.write("audit.jsonl", "ur\n")
	wantLines(t, "last", h.poll(), "four")

	pos := h.f.Positions()
	if len(pos) != 1 || pos[0].Offset != int64(len("one\ntwo\nthree\nfour\n")) || pos[0].Lines != 4 {
		t.Fatalf("positions = %+v", pos)
	}
}

func TestLineNumbersAndOffsets(t *testing.T) {
	h := newHarness(t, Config{}, "a.log")
	h.write("a.log", "ab\n\ncde\n")
	var got []Line
	if err := h.f.Poll(context.Background(), func(b Batch) error { got = append(got, b.Lines...); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Line{{1, 0, []byte("ab")}, {2, 3, []byte("")}, {3, 4, []byte("cde")}}
	if len(got) != len(want) {
		t.Fatalf("got %d lines", len(got))
	}
	for i := range want {
		if got[i].Num != want[i].Num || got[i].Offset != want[i].Offset || string(got[i].Text) != string(want[i].Text) {
			t.Errorf("line %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestRenameCreate(t *testing.T) {
	for _, pattern := range []string{"audit.jsonl", "audit.jsonl*"} {
		t.Run(pattern, func(t *testing.T) {
			h := newHarness(t, Config{}, pattern)
			h.write("audit.jsonl", "1\n2\n")
			wantLines(t, "before", h.poll(), "1", "2")
			h.rename("audit.jsonl", "audit.jsonl.1")
			// The writer still holds the old file for a moment.
			h.write("audit.jsonl.1", "3\n4")
			wantLines(t, "after rename", h.poll(), "3")
			h.write("audit.jsonl.1", "\n")
			h.write("audit.jsonl", "5\n")
			wantLines(t, "new file", h.poll(), "4", "5")
			h.write("audit.jsonl", "6\n")
			wantLines(t, "later", h.poll(), "6")
			wantLines(t, "all", h.lines, "1", "2", "3", "4", "5", "6")
		})
	}
}

func TestRenameCreateAcrossRestart(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl*")
	h.write("audit.jsonl", "1\n2\n")
	h.poll()
	h.rename("audit.jsonl", "audit.jsonl.1")
	h.write("audit.jsonl.1", "3\n")
	h.write("audit.jsonl", "4\n")
	h.restart()
	h.poll()
	h.restart()
	h.write("audit.jsonl", "5\n")
	h.poll()
	wantLines(t, "all", h.lines, "1", "2", "3", "4", "5")
}

func TestRotateThenGzip(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			h := newHarness(t, Config{}, "audit.jsonl", "audit.jsonl.*.gz")
			h.write("audit.jsonl", "1\n2\n")
			wantLines(t, "before", h.poll(), "1", "2")
			h.write("audit.jsonl", "3\n4\n") // not read before the rotation
			h.rename("audit.jsonl", "audit.jsonl.1")
			h.write("audit.jsonl", "5\n")
			h.gzipFile("audit.jsonl.1") // audit.jsonl.1 is gone, audit.jsonl.1.gz appears
			if restart {
				h.restart() // no descriptor held: the rest must come from the .gz
			}
			h.poll()
			h.idlePoll()
			h.poll()
			wantLines(t, "all", h.lines, "1", "2", "3", "4", "5")
			if h.paths[2] != h.path("audit.jsonl.1.gz") && restart {
				t.Errorf("line 3 read from %s, want the .gz", h.paths[2])
			}
		})
	}
}

func TestPartialGzipIsWaitedFor(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl*")
	var content strings.Builder
	for i := range 400 {
		fmt.Fprintf(&content, "{\"n\":%d,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n", i)
	}
	h.write("audit.jsonl.1", content.String())
	h.setMtime("audit.jsonl.1", -time.Minute)
	h.write("audit.jsonl", "new\n")
	h.setMtime("audit.jsonl", 0)
	h.poll()
	h.restart() // nothing is held open
	z := gz([]byte(content.String()))
	if err := os.WriteFile(h.path("audit.jsonl.1.gz"), z[:len(z)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	h.remove("audit.jsonl.1")
	wantLines(t, "half a gzip", h.poll())
	if err := os.WriteFile(h.path("audit.jsonl.1.gz"), z, 0o644); err != nil {
		t.Fatal(err)
	}
	wantLines(t, "whole gzip", h.poll())
	if len(h.lines) != 401 || len(h.errs) != 0 {
		t.Fatalf("got %d lines, errors %v", len(h.lines), h.errs)
	}
}

func TestCopyTruncate(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			h := newHarness(t, Config{}, "audit.jsonl*")
			h.write("audit.jsonl", "1\n2\n")
			wantLines(t, "before", h.poll(), "1", "2")
			h.write("audit.jsonl", "3\n4\n") // just before the copy
			h.copyTruncate("audit.jsonl", "audit.jsonl.1")
			if restart {
				h.restart()
			}
			h.write("audit.jsonl", "5\n")
			h.poll()
			h.write("audit.jsonl", "6\n")
			h.poll()
			wantLines(t, "all", h.lines, "1", "2", "3", "4", "5", "6")
		})
	}
}

// After copytruncate the original may grow past the old offset before the
// next poll: its content differs, so it is still a new file.
func TestCopyTruncateOriginalRefilled(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl*")
	h.write("audit.jsonl", "a1\n")
	h.poll()
	h.copyTruncate("audit.jsonl", "audit.jsonl.1")
	h.write("audit.jsonl", "b1\nb2\nb3\n")
	h.poll()
	wantLines(t, "all", h.lines, "a1", "b1", "b2", "b3")
}

// A file shorter than the fingerprint size has a short fingerprint; a new
// file that starts with the same bytes but is longer is a new file, and
// the fingerprint grows with the file.
func TestShortFingerprint(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl*")
	h.write("audit.jsonl", "x\n")
	h.poll()
	if p := h.f.Positions(); p[0].FPLen != 2 {
		t.Fatalf("FPLen = %d, want 2", p[0].FPLen)
	}
	h.rename("audit.jsonl", "audit.jsonl.1")
	h.write("audit.jsonl", "x\ny\n")
	h.poll()
	h.restart()
	h.write("audit.jsonl", "z\n")
	h.write("audit.jsonl.1", "w\n")
	h.poll()
	wantLines(t, "all", h.lines, "x", "x", "y", "w", "z")
	for _, p := range h.f.Positions() {
		if p.FPLen != 4 && p.FPLen != 6 {
			t.Errorf("%s: FPLen %d did not grow with the file", p.Path, p.FPLen)
		}
	}
}

func TestFingerprintGrowsPastLimit(t *testing.T) {
	h := newHarness(t, Config{}, "a.log")
	h.write("a.log", "short\n")
	h.poll()
	h.write("a.log", strings.Repeat("y", 3000)+"\n")
	h.poll()
	h.poll()
	if p := h.f.Positions(); p[0].FPLen != FingerprintBytes {
		t.Fatalf("FPLen = %d, want %d", p[0].FPLen, FingerprintBytes)
	}
	h.restart()
	h.write("a.log", "more\n")
	wantLines(t, "after restart", h.poll(), "more")
}

func TestFinalLineWithoutNewline(t *testing.T) {
	h := newHarness(t, Config{IdleFinal: time.Minute}, "app-*.log")
	h.write("app-1.log", "a\nb")
	h.setMtime("app-1.log", 0)
	wantLines(t, "newest file", h.idlePoll(), "a")
	h.write("app-2.log", "c\n")
	h.setMtime("app-2.log", time.Second)
	h.clock = h.clock.Add(30 * time.Second)
	wantLines(t, "older but not idle", h.poll(), "c")
	h.clock = h.clock.Add(31 * time.Second)
	var last Line
	if err := h.f.Poll(context.Background(), func(b Batch) error { last = b.Lines[0]; last.Text = slices.Clone(last.Text); h.apply(b); return nil }); err != nil {
		t.Fatal(err)
	}
	if string(last.Text) != "b" || last.Num != 2 || last.Offset != 2 {
		t.Fatalf("final line = %+v, want b, line 2 at offset 2", last)
	}
	if p := h.saved[0]; p.Offset != 3 || p.Lines != 2 {
		t.Fatalf("position after the final line = %+v", p)
	}
	h.clock = h.clock.Add(time.Hour)
	wantLines(t, "only once", h.poll())
	h.restart()
	wantLines(t, "only once after restart", h.poll())

	// A complete gzip stream is finished at once.
	if err := os.WriteFile(h.path("app-0.log.gz"), gz([]byte("g1\ng2")), 0o644); err != nil {
		t.Fatal(err)
	}
	h.setMtime("app-0.log.gz", -time.Hour)
	h.cfg.Paths = append(h.cfg.Paths, h.path("app-*.log.gz"))
	h.restart()
	wantLines(t, "gzip", h.poll(), "g1", "g2")
}

func TestFinalLineOfFileRenamedAway(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl")
	h.write("audit.jsonl", "1\n2")
	h.poll()
	h.rename("audit.jsonl", "old")
	wantLines(t, "not idle yet", h.poll())
	wantLines(t, "idle", h.idlePoll(), "2")
	wantLines(t, "all", h.lines, "1", "2")
}

func TestOlderFilesFirst(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl*")
	h.write("audit.jsonl.1", "b1\nb2\n")
	h.setMtime("audit.jsonl.1", -time.Hour)
	h.write("audit.jsonl", "c1\n")
	h.setMtime("audit.jsonl", 0)
	if err := os.WriteFile(h.path("audit.jsonl.2.gz"), gz([]byte("a1\na2\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	h.setMtime("audit.jsonl.2.gz", -2*time.Hour)
	wantLines(t, "order", h.poll(), "a1", "a2", "b1", "b2", "c1")
}

func TestTooLongLine(t *testing.T) {
	const maxLine = 1 << 20
	h := newHarness(t, Config{MaxLineBytes: maxLine}, "big.log")
	h.write("big.log", "before\n")
	h.poll()
	chunk := strings.Repeat("z", 512<<10)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	alloc0 := ms.TotalAlloc
	for i := range 10 { // 5 MiB, no newline, growing
		h.write("big.log", chunk)
		h.poll()
		if i == 5 {
			h.restart() // inside the long line
		}
		if n := cap(h.f.entries[0].pending); n > maxLine {
			t.Fatalf("pending buffer grew to %d bytes", n)
		}
	}
	runtime.ReadMemStats(&ms)
	// Writing the file allocates nothing worth counting; holding the line
	// would take 5 MiB at least.
	if d := ms.TotalAlloc - alloc0; d > 4<<20 {
		t.Errorf("allocated %d bytes following a 5 MiB line", d)
	}
	h.write("big.log", "tail of the long line\nafter\n")
	h.poll()
	h.write("big.log", "last\n")
	h.poll()
	wantLines(t, "lines", h.lines, "before", "after", "last")
	if len(h.long) != 1 || h.long[0] != (LineRef{Num: 2, Offset: 7}) {
		t.Fatalf("too long = %+v, want one at line 2 offset 7", h.long)
	}
	var got []Line
	h.write("big.log", "n\n")
	if err := h.f.Poll(context.Background(), func(b Batch) error { got = b.Lines; return nil }); err != nil {
		t.Fatal(err)
	}
	if got[0].Num != 5 {
		t.Errorf("line after the long one is numbered %d, want 5", got[0].Num)
	}
}

func TestLineOfExactlyMaxBytes(t *testing.T) {
	h := newHarness(t, Config{MaxLineBytes: 4}, "a.log")
	h.write("a.log", "abcd\nabcde\nab")
	h.poll()
	h.write("a.log", "cde\nabc")
	h.poll()
	h.write("a.log", "\n")
	h.poll()
	wantLines(t, "lines", h.lines, "abcd", "abc")
	if len(h.long) != 2 {
		t.Fatalf("too long = %+v", h.long)
	}
}

func TestGlobSeveralFiles(t *testing.T) {
	h := newHarness(t, Config{}, "*.jsonl", "extra.log")
	h.write("a.jsonl", "a1\n")
	h.write("b.jsonl", "b1\n")
	h.write("c.txt", "c1\n")
	h.write("extra.log", "e1\n")
	if err := os.Mkdir(h.path("dir.jsonl"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := h.poll()
	slices.Sort(got)
	wantLines(t, "matched", got, "a1", "b1", "e1")
	if len(h.errs) != 0 {
		t.Fatalf("errors: %v", h.errs)
	}
	if len(h.saved) != 3 {
		t.Fatalf("positions: %+v", h.saved)
	}
}

func TestDeletedFile(t *testing.T) {
	h := newHarness(t, Config{ForgetAfter: time.Hour}, "*.log")
	h.write("a.log", "1\n")
	h.write("b.log", "x\n")
	h.poll()
	h.write("a.log", "2\n") // written before the delete, not yet read
	h.remove("a.log")
	wantLines(t, "drained", h.poll(), "2")
	h.idlePoll() // finished: the descriptor is let go
	h.poll()     // gone from now on
	if len(h.f.entries) != 2 {
		t.Fatalf("the gone stream should be kept for a while: %+v", h.f.Positions())
	}
	h.clock = h.clock.Add(2 * time.Hour)
	h.poll()
	if p := h.f.Positions(); len(p) != 1 || p[0].Path != h.path("b.log") {
		t.Fatalf("positions after forgetting: %+v", p)
	}
	h.write("b.log", "y\n")
	wantLines(t, "others", h.poll(), "y")
}

func TestErrorsDoNotStopOthers(t *testing.T) {
	h := newHarness(t, Config{}, "*.log", "*.log.gz")
	h.write("good.log", "g1\n")
	if err := os.Symlink("loop.log", h.path("loop.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.path("bad.log.gz"), []byte("not gzip at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantLines(t, "first", h.poll(), "g1")
	h.write("good.log", "g2\n")
	wantLines(t, "second", h.poll(), "g2")
	if len(h.errs) != 2 {
		t.Fatalf("errors reported %d times, want once per bad file: %v", len(h.errs), h.errs)
	}
	for _, e := range h.errs {
		if e.Path != h.path("loop.log") && e.Path != h.path("bad.log.gz") {
			t.Errorf("error for %s: %v", e.Path, e)
		}
	}
	if len(h.f.Errors()) != 2 {
		t.Errorf("current errors: %v", h.f.Errors())
	}
	// Fixed: the error is cleared and reported again if it comes back.
	h.remove("loop.log")
	h.remove("bad.log.gz")
	h.poll()
	if len(h.f.Errors()) != 0 {
		t.Errorf("errors after the fix: %v", h.f.Errors())
	}
}

// A file the exporter may not read is reported (once, as a permission
// error) and the others are read; once readable, it is read from its
// start. The failure is injected: root, which CI runs as, reads any file.
func TestPermissionDenied(t *testing.T) {
	h := newHarness(t, Config{}, "*.log")
	h.write("good.log", "g1\n")
	h.write("secret.log", "s1\n")
	denied := h.path("secret.log")
	t.Cleanup(func() { openFile = os.OpenFile })
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if name == denied {
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EACCES}
		}
		return os.OpenFile(name, flag, perm)
	}
	wantLines(t, "readable", h.poll(), "g1")
	h.write("good.log", "g2\n")
	wantLines(t, "second poll", h.poll(), "g2")
	if len(h.errs) != 1 || !errors.Is(h.errs[0], os.ErrPermission) || h.errs[0].Path != denied {
		t.Fatalf("errors: %v", h.errs)
	}
	if errs := h.f.Errors(); len(errs) != 1 {
		t.Errorf("current errors: %v", errs)
	}
	openFile = os.OpenFile
	wantLines(t, "readable again", h.poll(), "s1")
	if errs := h.f.Errors(); len(errs) != 0 {
		t.Errorf("errors after the fix: %v", errs)
	}
}

func TestCallbackErrorRedelivers(t *testing.T) {
	h := newHarness(t, Config{BatchLines: 2}, "a.log")
	h.write("a.log", "1\n2\n3\n4\n5")
	calls := 0
	err := h.f.Poll(context.Background(), func(b Batch) error {
		calls++
		if calls == 2 {
			return errStop
		}
		h.apply(b)
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Poll = %v, want the callback's error", err)
	}
	wantLines(t, "before the failure", h.lines, "1", "2")
	h.write("a.log", "\n")
	h.poll()
	wantLines(t, "after", h.lines, "1", "2", "3", "4", "5")
}

func TestRunStopsWithContext(t *testing.T) {
	h := newHarness(t, Config{PollInterval: time.Millisecond}, "a.log")
	h.write("a.log", "1\n")
	ctx, cancel := context.WithCancel(context.Background())
	err := h.f.Run(ctx, func(b Batch) error {
		h.apply(b)
		cancel()
		return nil
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	wantLines(t, "run", h.lines, "1")
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}, nil, nil); err == nil {
		t.Error("no paths accepted")
	}
	if _, err := New(Config{Paths: []string{"a["}}, nil, nil); err == nil {
		t.Error("bad pattern accepted")
	}
	bad := []Position{
		{Path: "x", Fingerprint: "zz", FPLen: 1},
		{Path: "x", Fingerprint: strings.Repeat("0", 64), FPLen: 0},
		{Path: "x", Fingerprint: strings.Repeat("0", 64), FPLen: 1, Offset: -1},
	}
	for _, p := range bad {
		if _, err := New(Config{Paths: []string{"a"}}, []Position{p}, nil); err == nil {
			t.Errorf("position %+v accepted", p)
		}
	}
}

// A .gz file never takes over the writes, whatever its mtime: the half
// line of the active file stays held back.
func TestGzipDoesNotFinishActiveFile(t *testing.T) {
	h := newHarness(t, Config{}, "audit.jsonl*")
	h.write("audit.jsonl", "a\nhalf")
	h.setMtime("audit.jsonl", 0)
	if err := os.WriteFile(h.path("audit.jsonl.1.gz"), gz([]byte("z\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	h.setMtime("audit.jsonl.1.gz", time.Hour)
	h.clock = h.clock.Add(3 * time.Hour)
	got := h.poll()
	slices.Sort(got)
	wantLines(t, "idle active file", got, "a", "z")
}

// A .gz cut short (a crash during gzip) delivers its complete lines and,
// once idle, is reported as an error that stays current.
func TestTruncatedGzip(t *testing.T) {
	h := newHarness(t, Config{}, "*.gz")
	var content strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&content, "{\"n\":%d,\"x\":%d}\n", i, i*7919%1000)
	}
	z := gz([]byte(content.String()))
	if err := os.WriteFile(h.path("a.jsonl.1.gz"), z[:len(z)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	got := h.poll()
	if len(got) == 0 || len(got) >= 2000 || len(h.errs) != 0 {
		t.Fatalf("still being written: %d lines, errors %v", len(got), h.errs)
	}
	for i, l := range got {
		if !strings.HasPrefix(l, fmt.Sprintf("{\"n\":%d,", i)) {
			t.Fatalf("line %d = %q", i, l)
		}
	}
	wantLines(t, "idle", h.idlePoll())
	h.idlePoll()
	if len(h.errs) != 1 || !errors.Is(h.errs[0], io.ErrUnexpectedEOF) {
		t.Fatalf("errors: %v", h.errs)
	}
	if _, ok := h.f.Errors()[h.path("a.jsonl.1.gz")]; !ok {
		t.Fatalf("current errors: %v", h.f.Errors())
	}
	if err := os.WriteFile(h.path("a.jsonl.1.gz"), z, 0o644); err != nil {
		t.Fatal(err)
	}
	h.poll()
	if len(h.lines) != 2000 || len(h.f.Errors()) != 0 {
		t.Fatalf("complete: %d lines, errors %v", len(h.lines), h.f.Errors())
	}
}
