package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/source/cost"
	"github.com/heady/heady-metrics/exporter/source/probe"
	"github.com/heady/heady-metrics/exporter/source/registry"
)

var decoderLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// Check hands every source its part of c to validate, as BuildSources
// does: each input's decoder is built (an unknown format or a bad mapping
// fails with the file, line and rule it concerns) and the registry, cost
// and probe blocks are read by their packages. --config.check and every
// load (start-up, reload) run it.
func Check(c *config.Config) error {
	if err := checkInputs(c); err != nil {
		return err
	}
	if b := c.Sources.Registry; b != nil {
		if _, err := registry.ParseConfig(b); err != nil {
			return err
		}
	}
	if b := c.Sources.Cost; b != nil {
		if _, err := cost.ParseConfig(b); err != nil {
			return err
		}
	}
	if b := c.Sources.Probe; b != nil {
		if _, err := probe.ParseConfig(b); err != nil {
			return err
		}
	}
	return nil
}

func checkInputs(c *config.Config) error {
	fm := formats()
	for _, st := range []struct {
		name   string
		inputs []*config.Input
	}{{"audit", c.Sources.Audit}, {"auth", c.Sources.Auth}, {"ci", c.Sources.CI}} {
		for i, in := range st.inputs {
			if _, err := fm.NewDecoder(in); err != nil {
				if m := decoderLine.FindStringSubmatch(err.Error()); m != nil {
					return fmt.Errorf("%s:%s: sources.%s[%d].%s", c.File, m[1], st.name, i, m[2])
				}
				return fmt.Errorf("%s: sources.%s[%d]: %v", c.File, st.name, i, err)
			}
		}
	}
	return nil
}

// Warnings lists what in c is valid but reads nothing now: an event input
// path or glob that matches no file, a registry or cost file that does not
// exist (c is one Check accepted). Each names the file, line and key, as errors do. They are not
// errors: logs may appear after the exporter starts (it then reads them
// and says so in its log), but a typo shows up here first.
func Warnings(c *config.Config) []string {
	var out []string
	for _, st := range []struct {
		name   string
		inputs []*config.Input
	}{{"audit", c.Sources.Audit}, {"auth", c.Sources.Auth}, {"ci", c.Sources.CI}} {
		for i, in := range st.inputs {
			for j, p := range in.Paths {
				if ms, _ := filepath.Glob(p); len(ms) == 0 {
					out = append(out, fmt.Sprintf("%s:%d: sources.%s[%d].paths[%d]: %s matches no file now", c.File, in.Line(), st.name, i, j, p))
				}
			}
		}
	}
	if b := c.Sources.Registry; b != nil {
		if r, err := registry.ParseConfig(b); err == nil && r.Path != "" {
			if _, err := os.Stat(r.Path); err != nil {
				out = append(out, fmt.Sprintf("%s:%d: sources.registry.path: %v", c.File, b.Line(), err))
			}
		}
	}
	if b := c.Sources.Cost; b != nil {
		if co, err := cost.ParseConfig(b); err == nil && co.Path != "" {
			if _, err := os.Stat(co.Path); err != nil {
				out = append(out, fmt.Sprintf("%s:%d: sources.cost.path: %v", c.File, b.Line(), err))
			}
		}
	}
	return out
}
