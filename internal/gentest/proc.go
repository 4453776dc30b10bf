package gentest

import (
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// FreeAddr returns a loopback address whose port is free now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// Start runs name with args, its standard output and error written to
// logFile, and stops it with SIGTERM when the test ends.
func Start(t testing.TB, logFile, name string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // it may have exited already
		_ = cmd.Wait()                          // its exit status is not what the test checks
		_ = logf.Close()                        // written by the process, read by the test
	})
	return cmd
}
