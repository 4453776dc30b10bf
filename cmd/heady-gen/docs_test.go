package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// genFlags runs `heady-gen -h` and returns the flags its usage lists.
func genFlags(t *testing.T) map[string]bool {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	runErr := run([]string{"-h"})
	os.Stderr = stderr
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	usage, _ := io.ReadAll(r)
	if !errors.Is(runErr, flag.ErrHelp) {
		t.Fatalf("heady-gen -h: %v", runErr)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z-]*)`).FindAllStringSubmatch(string(usage), -1) {
		flags[m[1]] = true
	}
	if len(flags) < 3 {
		t.Fatalf("usage lists %d flags: %s", len(flags), usage)
	}
	return flags
}

// Every heady-gen command line in the docs uses only flags heady-gen has,
// and the generator-settings table of docs/operations.md lists exactly
// heady-gen's flags.
func TestDocsUseRealGeneratorFlags(t *testing.T) {
	flags := genFlags(t)
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md", "../../CONTRIBUTING.md")
	flagRe := regexp.MustCompile(`(?:^|\s)--?([a-z][a-z-]*)`)
	lines := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			_, rest, ok := strings.Cut(line, "cmd/heady-gen")
			if !ok {
				continue
			}
			rest, _, _ = strings.Cut(rest, "`")
			lines++
			for _, m := range flagRe.FindAllStringSubmatch(rest, -1) {
				if !flags[m[1]] {
					t.Errorf("%s: %q: heady-gen has no flag -%s", f, strings.TrimSpace(line), m[1])
				}
			}
		}
	}
	if lines < 3 {
		t.Errorf("only %d heady-gen command lines in the docs", lines)
	}

	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Generator settings\n")
	if !ok {
		t.Fatal("operations.md has no Generator settings section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	table := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `-([a-z][a-z-]*)` \\|").FindAllStringSubmatch(section, -1) {
		table[m[1]] = true
		if !flags[m[1]] {
			t.Errorf("operations.md documents -%s, which heady-gen does not have", m[1])
		}
	}
	for f := range flags {
		if !table[f] {
			t.Errorf("operations.md's generator settings lack -%s", f)
		}
	}
}
