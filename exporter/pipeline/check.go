package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/source/stream"
)

var decoderLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// Check builds every input's decoder, so that a bad mapping fails
// --config.check (and start-up) with the file, line and rule it concerns.
func Check(c *config.Config) error {
	for _, st := range []struct {
		name   string
		inputs []*config.Input
	}{{"audit", c.Sources.Audit}, {"auth", c.Sources.Auth}, {"ci", c.Sources.CI}} {
		for i, in := range st.inputs {
			if _, err := stream.NewDecoder(in); err != nil {
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
// exist. Each names the file, line and key, as errors do. They are not
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
	if r := c.Sources.Registry; r != nil && r.Path != "" {
		if _, err := os.Stat(r.Path); err != nil {
			out = append(out, fmt.Sprintf("%s:%d: sources.registry.path: %v", c.File, r.Line(), err))
		}
	}
	if co := c.Sources.Cost; co != nil && co.Path != "" {
		if _, err := os.Stat(co.Path); err != nil {
			out = append(out, fmt.Sprintf("%s:%d: sources.cost.path: %v", c.File, co.Line(), err))
		}
	}
	return out
}
