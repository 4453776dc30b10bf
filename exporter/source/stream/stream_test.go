package stream

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/source"
)

// Escaped strings come from the decoder's scratch buffer, reused on the
// next line: every event of a batch must still hold its own strings.
func TestBatchEventsKeepEscapedStrings(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "auth.jsonl")
	if err := os.WriteFile(p, []byte(
		`{"ts":"2026-11-20T10:00:00Z","type":"signup","user":"al\u00e9"}`+"\n"+
			`{"ts":"2026-11-20T10:00:01Z","type":"signup","user":"bo\u00e9"}`+"\n"+
			`{"ts":"2026-11-20T10:00:02Z","type":"signup","user":"plain"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := New(Config{Name: "auth", Paths: []string{p}, Format: "canonical"}, Options{PollInterval: time.Second, Health: source.NewHealth("auth"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var users []string
	if _, err := in.Poll(context.Background(), func(b *Batch) error {
		for _, e := range b.Events {
			users = append(users, e.User)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"alé", "boé", "plain"}
	if len(users) != 3 || users[0] != want[0] || users[1] != want[1] || users[2] != want[2] {
		t.Errorf("users %q, want %q", users, want)
	}
}
