package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/heady/heady-metrics/internal/gentest"
)

// serveDemoBinary builds the real binary, writes the demo data set (ending
// at the wall clock, so the live engine sees it) and serves it on a free
// loopback port with the extra flags, until ready. The process is stopped
// at cleanup. It returns the base URL and the log file.
func serveDemoBinary(t *testing.T, extra ...string) (base, logFile string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "heady-exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "demo")
	if out, err := exec.Command(bin, "demo", "--out="+data).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	addr := gentest.FreeAddr(t)
	args := append([]string{"--config.file=" + filepath.Join(data, "config.yml"), "--web.listen-address=" + addr}, extra...)
	logFile = filepath.Join(dir, "exporter.log")
	gentest.Start(t, logFile, bin, args...)
	base = "http://" + addr
	waitReady(t, base, logFile)
	return base, logFile
}

// waitReady polls /-/ready until it answers 200, for at most two minutes.
func waitReady(t *testing.T, base, logFile string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(logFile)
			t.Fatalf("exporter not ready: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
