package tail

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchFile writes a file of n event-sized lines once per benchmark.
func benchFile(b *testing.B, n int) (path string, size int64) {
	b.Helper()
	path = filepath.Join(b.TempDir(), "audit.jsonl")
	fh, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(fh)
	for i := range n {
		fmt.Fprintf(w, `{"ts":"2026-11-20T10:%02d:%02d.123Z","type":"task.completed","id":"evt-%08d","user":"u%03d","pad":"%s"}`+"\n",
			i/60%60, i%60, i, i%500, strings.Repeat("x", i%120))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	fh.Close()
	fi, _ := os.Stat(path)
	return path, fi.Size()
}

const benchLines = 400_000

// BenchmarkRead compares the follower with a plain bufio.Scanner over the
// same file, in the same run: lines/s and bytes/s (MB/s) for each.
func BenchmarkRead(b *testing.B) {
	path, size := benchFile(b, benchLines)
	b.Run("follower", func(b *testing.B) {
		b.SetBytes(size)
		lines := 0
		for b.Loop() {
			f, err := New(Config{Paths: []string{path}}, nil, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Poll(context.Background(), func(batch Batch) error { lines += len(batch.Lines); return nil }); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		if lines != benchLines*b.N {
			b.Fatalf("read %d lines, want %d", lines, benchLines*b.N)
		}
		b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
	})
	b.Run("bufio.Scanner", func(b *testing.B) {
		b.SetBytes(size)
		lines := 0
		for b.Loop() {
			fh, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(fh)
			sc.Buffer(make([]byte, 64<<10), DefaultMaxLineBytes)
			for sc.Scan() {
				lines++
			}
			fh.Close()
		}
		if lines != benchLines*b.N {
			b.Fatalf("read %d lines, want %d", lines, benchLines*b.N)
		}
		b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
	})
}
