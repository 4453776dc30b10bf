// Package docs_test holds the checks on the repository's documentation
// that belong to no Go package.
package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// mdRef is a reference to a Markdown file: a path ending in .md that is not
// part of a URL (those are checked by their own tests: runbook_url).
var mdRef = regexp.MustCompile(`(^|[^A-Za-z0-9_./:-])((?:\.\./|\./)*[A-Za-z0-9_][A-Za-z0-9_./-]*\.md)\b`)

// TestFileReferencesExist: every Markdown file named in code, comments,
// error messages, scripts and docs exists, relative to the naming file's
// directory, to the repository root or to docs/ (the docs name each other
// by their bare names, and the generators write those names into docs/).
// A reference to a file outside the
// repository (a spec next to it) fails too: the repository's docs must
// stand alone.
func TestFileReferencesExist(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	checked := 0
	for _, f := range strings.Fields(string(out)) {
		switch {
		case strings.HasSuffix(f, ".go"), strings.HasSuffix(f, ".md"), strings.HasSuffix(f, ".yml"),
			strings.HasSuffix(f, ".yaml"), strings.HasSuffix(f, ".sh"), strings.HasSuffix(f, ".tmpl"),
			filepath.Base(f) == "Makefile", filepath.Base(f) == "Dockerfile":
		default:
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree
			}
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range mdRef.FindAllStringSubmatch(line, -1) {
				ref := m[2]
				checked++
				if !exists(filepath.Join(root, filepath.Dir(f), ref)) && !exists(filepath.Join(root, ref)) &&
					!exists(filepath.Join(root, "docs", ref)) {
					t.Errorf("%s:%d: %s does not exist (relative to the file, the repository root or docs/)", f, i+1, ref)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d references found: is the pattern still matching?", checked)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// repoPath is a path into the repository written in a doc's code span or
// link: it starts with one of the repository's top-level directories.
var repoPath = regexp.MustCompile("[`(]((?:alerts|bench|cmd|dashboards|docs|exporter|internal|kpi|provisioning|scripts|test)/[A-Za-z0-9_.*/-]*)[`)]")

// TestDocRepoPathsExist: every repository path a doc names in a code span
// or link (alerts/heady-rules.yml, provisioning/grafana/, alerts/tests/*.yml)
// exists; placeholders (<name>) are left alone.
func TestDocRepoPathsExist(t *testing.T) {
	n := 0
	for _, d := range readDocs(t) {
		f := d.path
		for i, line := range strings.Split(d.text, "\n") {
			for _, m := range repoPath.FindAllStringSubmatch(line, -1) {
				n++
				p := filepath.Join("..", strings.TrimSuffix(m[1], "/"))
				if matches, _ := filepath.Glob(p); len(matches) == 0 {
					t.Errorf("%s:%d: %s does not exist", f, i+1, m[1])
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d repository paths found in the docs", n)
	}
}

var (
	mdLink     = regexp.MustCompile(`\]\(([A-Za-z0-9_./-]*\.md)?#([^)\s]+)\)`)
	mdHeading  = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	slugRemove = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// slugs are the anchors GitHub gives a Markdown file's headings: lower
// case, punctuation dropped, spaces as dashes, repeats numbered.
func slugs(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
		}
		m := mdHeading.FindStringSubmatch(line)
		if inCode || m == nil {
			continue
		}
		s := strings.ReplaceAll(slugRemove.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")
		slug := s
		for i := 1; out[slug]; i++ {
			slug = s + "-" + strconv.Itoa(i)
		}
		out[slug] = true
	}
	return out
}

// TestDocAnchorsExist: every link to a section in the docs (#anchor, or
// another Markdown file plus #anchor) points at a heading that exists.
func TestDocAnchorsExist(t *testing.T) {
	n := 0
	headings := map[string]map[string]bool{} // file -> its anchors, read once
	for _, d := range readDocs(t) {
		f := d.path
		for _, m := range mdLink.FindAllStringSubmatch(d.text, -1) {
			target := f
			if m[1] != "" {
				target = filepath.Join(filepath.Dir(f), m[1])
			}
			n++
			if headings[target] == nil {
				headings[target] = slugs(t, target)
			}
			if !headings[target][m[2]] {
				t.Errorf("%s links to %s#%s, which has no such heading", f, target, m[2])
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d section links found", n)
	}
}

// doc is one of the repository's Markdown documents and its text.
type doc struct{ path, text string }

// readDocs reads docs/*.md, the README and CONTRIBUTING.md.
func readDocs(t *testing.T) []doc {
	t.Helper()
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []doc
	for _, f := range append(files, "../README.md", "../CONTRIBUTING.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, doc{f, string(b)})
	}
	return out
}
