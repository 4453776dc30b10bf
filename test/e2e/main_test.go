// Package e2e runs the real heady-exporter binary (and, where a test says
// so, real Prometheus and Alertmanager) on loopback ports against real files.
package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/heady/heady-metrics/internal/scrape"
)

// exporterBin is the binary built once for every test of the package.
var exporterBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "heady-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exporterBin = filepath.Join(dir, "heady-exporter")
	build := exec.Command("go", "build", "-race", "-o", exporterBin, "github.com/heady/heady-metrics/cmd/heady-exporter")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building heady-exporter:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback address nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// exporter is one running heady-exporter process.
type exporter struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	log  *os.File
}

func startExporter(t *testing.T, config string, extra ...string) *exporter {
	t.Helper()
	addr := freePort(t)
	logf, err := os.CreateTemp(t.TempDir(), "exporter-*.log")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config.file=" + config, "--web.listen-address=" + addr, "--log.level=debug"}, extra...)
	cmd := exec.Command(exporterBin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &exporter{t: t, cmd: cmd, addr: addr, log: logf}
	t.Cleanup(func() { e.kill() })
	return e
}

func (e *exporter) url(path string) string { return "http://" + e.addr + path }

// kill sends SIGKILL: no chance to save anything.
func (e *exporter) kill() {
	if e.cmd.ProcessState == nil {
		_ = e.cmd.Process.Signal(syscall.SIGKILL) // it may have exited already
		_ = e.cmd.Wait()                          // killed: its exit status says nothing
	}
}

// stop sends SIGTERM and waits for a clean exit (the exporter saves its
// checkpoint on the way out).
func (e *exporter) stop() error {
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return e.cmd.Wait()
}

func (e *exporter) logText() string {
	b, _ := os.ReadFile(e.log.Name())
	return string(b)
}

// waitReady polls /-/ready until it answers 200 or the deadline passes.
func (e *exporter) waitReady(d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(e.url("/-/ready")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if e.cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("exporter not ready within %v; log:\n%s", d, e.logText())
}

// fetchMetrics returns every sample of /metrics as "name{labels}" -> value.
func fetchMetrics(ctx context.Context, url string) (map[string]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%s: %s: %s", url, resp.Status, b)
	}
	return scrape.Parse(resp.Body)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %v (last: %s)", what, d, last)
}
