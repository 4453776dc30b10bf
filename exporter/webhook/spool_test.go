package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/source/tail"
)

func line(i int) []byte {
	return fmt.Appendf(nil, `{"ts":1763640000,"type":"merge","repo":"r","change":"c-%06d","pad":"%s"}`, i, strings.Repeat("p", 200))
}

// follow reads every spool file of dir from pos to the end, as the
// pipeline's input does, and returns the event lines and the positions
// after them.
func follow(t *testing.T, dir string, pos []tail.Position) ([]string, []tail.Position) {
	t.Helper()
	f, err := tail.New(tail.Config{Paths: []string{filepath.Join(dir, SpoolFile+"*")}}, pos, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	for {
		read := false
		err := f.Poll(context.Background(), func(b tail.Batch) error {
			read = true
			for _, l := range b.Lines {
				if strings.Trim(string(l.Text), " \t") != "" {
					out = append(out, string(l.Text))
				}
			}
			pos = b.Positions
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !read {
			return out, pos
		}
	}
}

func rotated(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, SpoolFile+".*"))
	return m
}

func TestSpoolRotatesAndPruneRemovesOnlyWhatSavedPositionsCover(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	appendN := func(k int) {
		for range k {
			n++
			if err := s.Append([][]byte{line(n)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(40) // about 10 KB: two rotations
	if len(rotated(t, dir)) < 2 {
		t.Fatalf("no rotation: %v", rotated(t, dir))
	}
	for _, p := range append(rotated(t, dir), filepath.Join(dir, SpoolFile)) {
		if st, _ := os.Stat(p); st.Size() > 4096+int64(len(line(0))) {
			t.Errorf("%s: %d bytes, bound 4096", p, st.Size())
		}
	}

	// Nothing read yet: nothing may go.
	if k, err := Prune(dir, nil); k != 0 || err != nil {
		t.Errorf("Prune without positions removed %d (%v)", k, err)
	}
	lines, pos := follow(t, dir, nil)
	if len(lines) != 40 {
		t.Fatalf("follower read %d lines, want 40", len(lines))
	}
	for i, l := range lines {
		if l != string(line(i+1)) {
			t.Fatalf("line %d out of order or damaged: %.60s", i, l)
		}
	}
	saved := marshal(t, pos)

	// More lines and another rotation after the positions were saved: the
	// newly rotated file is not covered and must stay.
	appendN(20)
	before := rotated(t, dir)
	k, err := Prune(dir, saved)
	if err != nil {
		t.Fatal(err)
	}
	after := rotated(t, dir)
	if k == 0 || len(after) != len(before)-k {
		t.Fatalf("Prune removed %d of %v, left %v", k, before, after)
	}
	if _, err := os.Stat(filepath.Join(dir, SpoolFile)); err != nil {
		t.Fatalf("active spool file removed: %v", err)
	}
	// A restart from the saved positions reads exactly the 20 new lines.
	rest, pos2 := follow(t, dir, pos)
	if len(rest) != 20 || rest[0] != string(line(41)) || rest[19] != string(line(60)) {
		t.Fatalf("after prune, a restart from the saved positions reads %d lines (first %.40q)", len(rest), rest)
	}
	if k, _ := Prune(dir, marshal(t, pos2)); len(rotated(t, dir)) != 0 {
		t.Errorf("everything read, yet %d rotated files left (removed %d)", len(rotated(t, dir)), k)
	}
}

func TestSpoolClosesATornLastLine(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append([][]byte{line(1)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A crash in the middle of a write (never acknowledged).
	f, _ := os.OpenFile(filepath.Join(dir, SpoolFile), os.O_APPEND|os.O_WRONLY, 0)
	if _, err := f.Write(line(2)[:30]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s, err = OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append([][]byte{line(3)}); err != nil {
		t.Fatal(err)
	}
	lines, _ := follow(t, dir, nil)
	if len(lines) != 3 || lines[0] != string(line(1)) || lines[1] != string(line(2)[:30]) || lines[2] != string(line(3)) {
		t.Fatalf("lines after a torn write: %q", lines)
	}
}

func TestSpoolFilesHaveDistinctFingerprints(t *testing.T) {
	// The same body posted first in two spool files must not make them one
	// stream for the follower.
	dir := t.TempDir()
	s, err := OpenSpool(dir, 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := [][]byte{line(1), line(2), line(3), line(4)} // over 1 KiB
	for range 3 {
		if err := s.Append(big); err != nil {
			t.Fatal(err)
		}
	}
	lines, _ := follow(t, dir, nil)
	if len(lines) != 12 {
		t.Fatalf("three identical appends in three files read as %d lines, want 12", len(lines))
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	s, err := OpenSpool(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Append([][]byte{line(1)}); err != ErrClosed {
		t.Errorf("Append after Close: %v", err)
	}
}

func marshal(t *testing.T, pos []tail.Position) []byte {
	t.Helper()
	b, err := json.Marshal(pos)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
