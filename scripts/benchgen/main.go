// Command benchgen writes the benchmark's canonical audit lines to a file
// (scripts/bench.sh feeds the same file to mtail).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/heady/heady-metrics/internal/benchdata"
)

func main() {
	out := flag.String("out", "bench-audit.jsonl", "file to write")
	n := flag.Int("lines", 1_000_000, "lines")
	users := flag.Int("users", 200_000, "distinct users")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, l := range benchdata.Lines(*n, *users, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)) {
		w.Write(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
