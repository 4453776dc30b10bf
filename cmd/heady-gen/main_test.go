package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/heady/heady-metrics/alerts"
)

// heady-gen with the default flags reproduces the committed files.
func TestRunWritesTheCommittedFiles(t *testing.T) {
	out := t.TempDir()
	if err := run([]string{"-out", out}); err != nil {
		t.Fatal(err)
	}
	files, err := Generate(alerts.DefaultOptions(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d files generated", len(files))
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(out, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("..", "..", f.Path))
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("%s: committed file differs from heady-gen's output (run make generate)", f.Path)
		}
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	for _, args := range [][]string{
		{"-out", t.TempDir(), "-job", ""},
		{"-out", t.TempDir(), "-source-stale-after", "soon"},
		{"-no-such-flag"},
	} {
		if err := run(args); err == nil {
			t.Errorf("heady-gen %v succeeded", args)
		}
	}
}
