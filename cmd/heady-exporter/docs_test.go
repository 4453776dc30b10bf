package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docFiles are the user documentation the accuracy tests read.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"../../README.md", "../../CONTRIBUTING.md"} {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	if len(files) < 8 {
		t.Fatalf("only %d doc files", len(files))
	}
	return files
}

// codeBlocks returns the fenced blocks of a Markdown file with their
// language, without the fence's own indentation (blocks inside list items),
// continuation lines (ending in a backslash) joined.
func codeBlocks(t *testing.T, path string) (langs, blocks []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cur *strings.Builder
	indent := ""
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			langs = append(langs, strings.TrimPrefix(trimmed, "```"))
			indent = line[:len(line)-len(strings.TrimLeft(line, " "))]
			cur = &strings.Builder{}
		case cur != nil && trimmed == "```":
			blocks = append(blocks, strings.ReplaceAll(cur.String(), "\\\n", " "))
			cur = nil
		case cur != nil:
			cur.WriteString(strings.TrimPrefix(line, indent) + "\n")
		}
	}
	return langs, blocks
}

// helpFlag is a flag line of kingpin's help: "  -h, --[no-]help  ...".
var helpFlag = regexp.MustCompile(`(?m)^\s+(?:-[a-z], )?--(?:\[no-\])?([a-z][a-z0-9.-]*[a-z0-9])`)

// helpFlags runs `heady-exporter [command] --help` and returns the flags
// its Flags section lists.
func helpFlags(t *testing.T, command string) map[string]bool {
	t.Helper()
	args := []string{"--help"}
	if command != "" {
		args = []string{command, "--help"}
	}
	code, out, errOut := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	out, _, _ = strings.Cut(out, "\nCommands:")
	out, _, _ = strings.Cut(out, "\nArgs:")
	flags := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(out, -1) {
		flags[m[1]] = true
	}
	return flags
}

var commands = []string{"serve", "kpis", "demo", "digest", "backfill"}

// invocation is one heady-exporter command line in the docs.
type invocation struct {
	file, command string
	flags         []string
	line          string
}

// invocations finds every heady-exporter command line in the docs' code
// blocks (shell, ini, cron, yaml lists of a container's command).
func invocations(t *testing.T) []invocation {
	var out []invocation
	for _, f := range docFiles(t) {
		_, blocks := codeBlocks(t, f)
		for _, block := range blocks {
			for _, line := range strings.Split(block, "\n") {
				if inv, ok := parseInvocation(f, line); ok {
					out = append(out, inv)
				}
			}
		}
	}
	return out
}

func parseInvocation(file, line string) (invocation, bool) {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return invocation{}, false
	}
	fields := strings.Fields(line)
	start := -1
	for i, w := range fields {
		w = strings.TrimPrefix(w, "ExecStart=")
		w = strings.TrimPrefix(w, "ExecStartPre=")
		// A word that is the program, not a flag's value that ends with
		// its name (`--set image.repository=REGISTRY/heady-exporter`).
		if filepath.Base(w) == "heady-exporter" && !strings.Contains(w, "=") {
			start = i
			break
		}
	}
	if start < 0 {
		return invocation{}, false
	}
	inv := invocation{file: file, line: strings.TrimSpace(line)}
	for _, w := range fields[start+1:] {
		if w == "|" || w == "&&" || w == ";" || w == "#" || strings.HasPrefix(w, ">") {
			break
		}
		w = strings.Trim(w, "[]")
		switch {
		case strings.HasPrefix(w, "--"):
			name, _, _ := strings.Cut(strings.TrimPrefix(w, "--"), "=")
			inv.flags = append(inv.flags, name)
		case inv.command == "" && len(inv.flags) == 0 && regexp.MustCompile(`^[a-z]+$`).MatchString(w):
			inv.command = w
		}
	}
	if inv.command == "" {
		inv.command = "serve" // the default command
	}
	return inv, true
}

// TestDocCommandsMatchHelp: every heady-exporter command line in the docs
// names a real command and only flags that command's --help lists.
func TestDocCommandsMatchHelp(t *testing.T) {
	help := map[string]map[string]bool{"": helpFlags(t, "")}
	for _, c := range commands {
		help[c] = helpFlags(t, c)
	}
	invs := invocations(t)
	if len(invs) < 15 {
		t.Fatalf("only %d heady-exporter command lines found in the docs", len(invs))
	}
	seen := map[string]bool{}
	for _, inv := range invs {
		flags, ok := help[inv.command]
		if !ok {
			t.Errorf("%s: %q: no command %q (commands: %v)", inv.file, inv.line, inv.command, commands)
			continue
		}
		seen[inv.command] = true
		for _, f := range inv.flags {
			if !flags[f] {
				t.Errorf("%s: %q: `heady-exporter %s --help` lists no --%s", inv.file, inv.line, inv.command, f)
			}
		}
	}
	for _, c := range commands {
		if !seen[c] {
			t.Errorf("no doc shows a `heady-exporter %s` command line", c)
		}
	}
}

// TestConfigurationDocListsEveryFlag: docs/configuration.md, the
// reference, names every command and every flag of every command's --help.
func TestConfigurationDocListsEveryFlag(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, c := range append([]string{""}, commands...) {
		if c != "" && !strings.Contains(doc, "`"+c+"`") {
			t.Errorf("configuration.md does not name the command %s", c)
		}
		for f := range helpFlags(t, c) {
			if f == "help" || f == "version" || f == "help-long" || f == "help-man" {
				continue
			}
			if !strings.Contains(doc, "`--"+f) {
				t.Errorf("configuration.md does not document --%s (of %q)", f, c)
			}
		}
	}
}

// TestDocConfigsPassCheck: every exporter configuration in the docs (a
// YAML block with a top-level sources or state_dir key) passes
// --config.check.
func TestDocConfigsPassCheck(t *testing.T) {
	top := regexp.MustCompile(`(?m)^(sources|state_dir):`)
	dir := t.TempDir()
	n := 0
	for _, f := range docFiles(t) {
		langs, blocks := codeBlocks(t, f)
		for i, block := range blocks {
			if langs[i] != "yaml" || !top.MatchString(block) {
				continue
			}
			n++
			cfg := filepath.Join(dir, "heady-exporter.yml")
			if err := os.WriteFile(cfg, []byte(block), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := runCmd(t, "--config.file="+cfg, "--config.check"); code != 0 {
				t.Errorf("%s: configuration block %d fails --config.check: %s\n%s", f, i, errOut, block)
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d configuration examples found in the docs", n)
	}
}
