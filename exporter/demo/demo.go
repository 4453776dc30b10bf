// Package demo writes the demo data set of `heady-exporter demo`: realistic,
// deterministic input for all six sources (audit, auth and ci event files, a
// registry document, a cost API response, probe targets) covering at least
// eight weeks before a given instant, and a config file that reads them.
//
// The data follows the scenario table of Scenario: every KPI of kpis.md gets
// a value, some meet their target and some miss it. The same (now, Options)
// always produce the same bytes; every timestamp is derived from now.
//
// The package only writes files. It parses nothing, computes no KPI and
// touches nothing outside the directory it is given.
package demo

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files written by Write, relative to its directory.
const (
	FileAudit    = "audit.jsonl"
	FileAuth     = "auth.jsonl"
	FileCI       = "ci.jsonl"
	FileRegistry = "registry.json"
	FileCost     = "cost.json"
	FileConfig   = "config.yml"
	FileReadme   = "README.txt"
	// DirState is the demo config's state_dir. It belongs to the data set:
	// writing a new data set over an earlier demo removes it.
	DirState = "state"
)

// ConfigHeader opens the demo's config file; it is how Write recognises a
// directory an earlier demo wrote.
const ConfigHeader = "# heady-exporter config for the demo data set (heady-exporter demo)."

// DefaultExporterAddr is where the demo's probe targets expect the exporter.
const DefaultExporterAddr = "127.0.0.1:9877"

// Options tunes the size of the data set. The zero value means the
// defaults.
type Options struct {
	// Users is the number of signups spread over the span (default 560;
	// those that would fall after now are not written).
	Users int
	// Weeks is the number of complete ISO weeks before the week of now
	// (default 13, at least 8). Data starts on the Monday that many weeks
	// before the current week's.
	Weeks int
	// Seed selects another, equally plausible, data set (default 1).
	Seed uint64
	// ExporterAddr is the host:port the exporter will serve on; eight of
	// the nine probe targets are its own endpoints there (default
	// DefaultExporterAddr). ExporterAddrOf turns a listen address into it.
	ExporterAddr string
}

// ExporterAddrOf is the address to reach an exporter listening on listen
// (a --web.listen-address such as ":9877", "0.0.0.0:9999" or
// "[::1]:9877"): the loopback address when the host is empty or a
// wildcard.
func ExporterAddrOf(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("demo: listen address %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port), nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Users == 0 {
		o.Users = knobUsers
	}
	if o.Weeks == 0 {
		o.Weeks = 13
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.ExporterAddr == "" {
		o.ExporterAddr = DefaultExporterAddr
	}
	switch {
	case o.Users < 50:
		return o, fmt.Errorf("demo: at least 50 users are needed, got %d", o.Users)
	case o.Weeks < 8:
		return o, fmt.Errorf("demo: at least 8 weeks are needed, got %d", o.Weeks)
	case o.Weeks > 13:
		// The engine keeps 98 days of history: 13 weeks plus the current one.
		return o, fmt.Errorf("demo: at most 13 weeks fit the engine's history, got %d", o.Weeks)
	}
	return o, nil
}

// Write writes the default demo data set as of now into dir (created if
// needed; existing demo files are replaced, and so is an earlier demo's
// state: see WriteOptions).
func Write(dir string, now time.Time) error {
	_, err := WriteOptions(dir, now, Options{})
	return err
}

// WriteOptions is Write with explicit options. The demo owns its state: a
// state directory (DirState) that an earlier demo left in dir holds
// positions and counts of the data set being replaced, so it is removed
// and its path returned (empty when there was none), for the caller to
// say so. A state directory in dir that no demo wrote (dir has no demo
// config) is left alone and Write fails.
func WriteOptions(dir string, now time.Time, o Options) (removedState string, err error) {
	files, err := Generate(now, o)
	if err != nil {
		return "", err
	}
	if dir == "" {
		return "", errors.New("demo: no output directory")
	}
	if removedState, err = removeDemoState(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return removedState, fmt.Errorf("demo: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return removedState, fmt.Errorf("demo: %w", err)
		}
	}
	return removedState, nil
}

// removeDemoState removes dir/DirState when an earlier demo wrote dir.
func removeDemoState(dir string) (string, error) {
	state := filepath.Join(dir, DirState)
	if _, err := os.Stat(state); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	cfg, err := os.ReadFile(filepath.Join(dir, FileConfig))
	if err != nil || !bytes.HasPrefix(cfg, []byte(ConfigHeader)) {
		return "", fmt.Errorf("demo: %s exists but %s was not written by a demo: choose an empty or a demo directory for --out", state, filepath.Join(dir, FileConfig))
	}
	if err := os.RemoveAll(state); err != nil {
		return "", fmt.Errorf("demo: removing the earlier demo's state: %w", err)
	}
	return state, nil
}

// File is one generated file.
type File struct {
	Name string // relative to the output directory
	Data []byte
}

// Generate returns the demo files as of now without writing them, in the
// order of the File* constants.
func Generate(now time.Time, o Options) ([]File, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, errors.New("demo: now is not set")
	}
	g := newGen(now, o)
	g.users()
	g.platform()
	g.delivery()
	return g.files()
}
