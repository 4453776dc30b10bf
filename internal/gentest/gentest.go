// Package gentest holds what the tests of the generated artefacts (alerts,
// dashboards, provisioning) share: the check that the committed files are
// what the generator makes now, and running the real Prometheus tools
// (promtool, amtool) on them; and, for the tests that run the exporter
// binary, a free port and a process stopped at cleanup. It is imported by
// tests only.
package gentest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// File is the shape of the generators' files: a path relative to the
// repository root and its content.
type File = struct {
	Path string
	Data []byte
}

// CheckCommitted fails t for every generated file that is missing under
// root or differs from its committed copy, for every file matching one of
// the stale globs (relative to root) that the generator no longer makes,
// and if two runs of generate differ.
func CheckCommitted[F ~File](t testing.TB, root string, generate func() ([]F, error), stale ...string) {
	t.Helper()
	files, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, x := range files {
		f := File(x)
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(root, f.Path))
		if err != nil {
			t.Errorf("%s: %v (run `make generate`)", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s differs from the generator's output: run `make generate` and commit", f.Path)
		}
	}
	for _, g := range stale {
		matches, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(root, m)
			if !want[filepath.ToSlash(rel)] {
				t.Errorf("%s is not generated any more: delete it", rel)
			}
		}
	}
	again, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(files, again) {
		t.Error("two runs of the generator differ")
	}
}

// Tool returns the path of a Prometheus tool. The tests need the real
// binaries, from Debian's prometheus (promtool) and
// prometheus-alertmanager (amtool) packages; scripts/test-deps.sh
// installs them.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found in PATH: install the Debian packages prometheus and prometheus-alertmanager (apt-get install --no-install-recommends prometheus prometheus-alertmanager)", name)
	}
	return p
}

// Upstream returns the path of a current upstream tool that
// scripts/test-deps.sh builds with `go install` from the Go module proxy:
// "promtool" (prometheus v0.316.0), "amtool" and "alertmanager"
// (alertmanager v0.35.0), "sloth", "helm", "golangci-lint". The Makefile
// exports their paths as HEADY_<NAME>_UPSTREAM_BIN (the three Prometheus
// tools, which Debian also ships) or HEADY_<NAME>_BIN. The test fails, never
// skips, when the tool is not there.
func Upstream(t testing.TB, name string) string {
	t.Helper()
	env := UpstreamEnv(name)
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set: run the tests through `make test` (or `eval \"$(scripts/test-deps.sh --print-env)\"` after scripts/test-deps.sh)", env)
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		t.Fatalf("%s=%s: not an installed tool (run scripts/test-deps.sh): %v", env, p, err)
	}
	return p
}

// UpstreamEnv is the environment variable that names an upstream tool's
// path (see Upstream).
func UpstreamEnv(name string) string {
	n := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	switch name {
	case "promtool", "amtool", "alertmanager":
		return "HEADY_" + n + "_UPSTREAM_BIN"
	}
	return "HEADY_" + n + "_BIN"
}

// Run runs bin with args in dir and returns its combined output and error.
func Run(dir, bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MustRun is Run that fails t, with the output, when the command fails.
func MustRun(t testing.TB, dir, bin string, args ...string) string {
	t.Helper()
	out, err := Run(dir, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}
