package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config.file=" + filepath.Join(data, "config.yml"), "--web.listen-address=" + addr}, extra...)
	srv := exec.Command(bin, args...)
	logFile = filepath.Join(dir, "exporter.log")
	logf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM) // it may have exited already
		_ = srv.Wait()                          // its exit status is not what the test checks
		_ = logf.Close()                        // written by the process, read by the test
	})
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
