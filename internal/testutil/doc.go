package testutil

import (
	"os"
	"strings"
	"testing"
)

// DocBlocks returns the fenced code blocks of language lang (```lang) that
// follow the Markdown heading heading (the whole heading line, "## Cost
// API") and come before the next heading of the same or a higher level,
// without the fence's own indentation (blocks inside list items). It
// fails t when the file or the heading is missing or holds no such block,
// so that a renamed section cannot leave its example untested.
func DocBlocks(t testing.TB, path, heading, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	level := strings.Index(heading, " ")
	var blocks []string
	var cur *strings.Builder
	in, indent := false, ""
	for _, line := range strings.Split(string(b), "\n") {
		fence := strings.TrimLeft(line, " ")
		switch {
		case cur != nil && fence == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(strings.TrimPrefix(line, indent) + "\n")
		case line == heading:
			in = true
		case in && strings.HasPrefix(line, "#"):
			if l := strings.Index(line, " "); l > 0 && l <= level && strings.Trim(line[:l], "#") == "" {
				in = false
			}
		case in && fence == "```"+lang:
			indent = line[:len(line)-len(fence)]
			cur = &strings.Builder{}
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("%s: no ```%s block under %q", path, lang, heading)
	}
	return blocks
}
