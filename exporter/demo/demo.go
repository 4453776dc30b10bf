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
	"errors"
	"fmt"
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
)

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
// needed; existing demo files are replaced).
func Write(dir string, now time.Time) error {
	return WriteOptions(dir, now, Options{})
}

// WriteOptions is Write with explicit options.
func WriteOptions(dir string, now time.Time, o Options) error {
	files, err := Generate(now, o)
	if err != nil {
		return err
	}
	if dir == "" {
		return errors.New("demo: no output directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
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
