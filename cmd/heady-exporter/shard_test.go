package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The shard flags shard the demo data as the config file's `shard` block
// does: a pod name's ordinal is the index, the shards' weekly active users
// add up to the unsharded count, and a bad combination exits 2.
func TestShardFlags(t *testing.T) {
	dir := t.TempDir()
	const now = "2026-11-20T12:00:00Z"
	if code, _, stderr := runCmd(t, "demo", "--out="+dir, "--now="+now); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	cfg := filepath.Join(dir, "config.yml")
	wau := func(args ...string) (float64, string) {
		t.Helper()
		code, out, stderr := runCmd(t, append([]string{"kpis", "--now=" + now}, args...)...)
		if code != 0 {
			t.Fatalf("kpis %v: exit %d: %s", args, code, stderr)
		}
		var doc map[string]struct{ Value float64 }
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		return doc["wau"].Value, out
	}
	all, _ := wau("--config.file=" + cfg)
	s0, _ := wau("--config.file="+cfg, "--shard.count=2", "--shard.index-from-pod-name=heady-metrics-0")
	s1, viaFlags := wau("--config.file="+cfg, "--shard.count=2", "--shard.index-from-pod-name=heady-metrics-1")
	if all == 0 || s0 == 0 || s1 == 0 || s0+s1 != all {
		t.Errorf("weekly active users: shards %v + %v, unsharded %v", s0, s1, all)
	}
	_, viaIndex := wau("--config.file="+cfg, "--shard.count=2", "--shard.index=1")
	if viaIndex != viaFlags {
		t.Error("--shard.index=1 and the pod name heady-metrics-1 give different KPIs")
	}

	// The same shard from the file's block gives the same KPIs; the flags
	// override the block.
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sharded := filepath.Join(dir, "sharded.yml")
	if err := os.WriteFile(sharded, append(body, "shard: {index: 1, count: 2}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, viaFile := wau("--config.file=" + sharded); viaFile != viaFlags {
		t.Error("shard {index: 1, count: 2} in the file and the flags give different KPIs")
	}
	if got, _ := wau("--config.file="+sharded, "--shard.count=1", "--shard.index=0"); got != all {
		t.Errorf("flags overriding the block to one shard: %v weekly active users, want %v", got, all)
	}

	for _, bad := range [][]string{
		{"--shard.count=2", "--shard.index-from-pod-name=heady-metrics-2"},
		{"--shard.count=2", "--shard.index-from-pod-name=heady-metrics"},
		{"--shard.count=2", "--shard.index=1", "--shard.index-from-pod-name=heady-metrics-1"},
		{"--shard.count=2"},
		{"--shard.index=0"},
		{"--shard.count=two", "--shard.index=0"},
	} {
		code, _, stderr := runCmd(t, append([]string{"--config.file=" + cfg, "--config.check"}, bad...)...)
		if code != 2 || !strings.Contains(stderr, "shard") {
			t.Errorf("%v: exit %d, %q; want 2 and an error naming the shard", bad, code, stderr)
		}
	}
}

// A shard keeps its flags across a reload: shard 1 of 2 reads the event
// files but not the registry, the cost API or the probes (shard 0's), before
// and after POST /-/reload. (Without the flags, the reloaded unsharded
// instance would start those sources, whose series appear at once.)
func TestShardFlagsSurviveReload(t *testing.T) {
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
	ln.Close()
	srv := exec.Command(bin, "--config.file="+filepath.Join(data, "config.yml"), "--web.listen-address="+addr,
		"--shard.count=2", "--shard.index-from-pod-name=heady-metrics-1")
	logFile := filepath.Join(dir, "exporter.log")
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
		logf.Close()
	})
	base := "http://" + addr
	waitReady(t, base, logFile)

	sources := func() map[string]bool {
		t.Helper()
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		seen := map[string]bool{}
		for _, m := range regexp.MustCompile(`source="([a-z-]+)"`).FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
		return seen
	}
	check := func(when string) {
		t.Helper()
		seen := sources()
		if !seen["audit"] || !seen["auth"] || !seen["ci"] || seen["registry"] || seen["cost"] || seen["probe"] {
			t.Errorf("%s: sources %v; shard 1 reads the event files only", when, seen)
		}
	}
	check("at start")
	resp, err := http.Post(base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("reload: %s\n%s", resp.Status, log)
	}
	check("after the reload")
}

// waitReady polls /-/ready until it answers 200, for at most two minutes.
func waitReady(t *testing.T, base, logFile string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
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
