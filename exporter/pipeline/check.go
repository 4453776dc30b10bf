package pipeline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/source/cost"
	"github.com/heady/heady-metrics/exporter/source/probe"
	"github.com/heady/heady-metrics/exporter/source/registry"
	"github.com/heady/heady-metrics/exporter/source/stream"
	"github.com/heady/heady-metrics/exporter/webhook"
)

// Check hands every source its block of c to read and validate, as
// BuildSources does: each event input's (an unknown format or a bad
// mapping fails with the file, line and rule it concerns), the registry's,
// the cost API's and the probe's; then it names the inputs and checks
// that no two share a name. --config.check and every load (start-up,
// reload) run it.
func Check(c *config.Config) error {
	_, err := parseSources(c, formats())
	return err
}

// sourceConfigs is the configuration of every source of a config, each
// read from its block by its own package.
type sourceConfigs struct {
	inputs   []input // the three streams' in file order, then the CI webhook's spool
	registry *registry.Config
	cost     *cost.Config
	probe    *probe.Config
}

// input is an event input's configuration and the block it was read from
// (nil for the CI webhook's spool, which is not in the file).
type input struct {
	block *config.Block
	cfg   stream.Config
}

// parseSources reads every source block of c with its package's
// ParseConfig (func(*config.Block) (Config, error)).
func parseSources(c *config.Config, fm *stream.Formats) (*sourceConfigs, error) {
	sc := &sourceConfigs{}
	var err error
	if sc.inputs, err = parseInputs(c, fm); err != nil {
		return nil, err
	}
	if sc.registry, err = parseBlock(c.Sources.Registry, registry.ParseConfig); err != nil {
		return nil, err
	}
	if sc.cost, err = parseBlock(c.Sources.Cost, cost.ParseConfig); err != nil {
		return nil, err
	}
	if sc.probe, err = parseBlock(c.Sources.Probe, probe.ParseConfig); err != nil {
		return nil, err
	}
	return sc, nil
}

// parseBlock reads b with parse; a block not configured is nil.
func parseBlock[C any](b *config.Block, parse func(*config.Block) (C, error)) (*C, error) {
	if b == nil {
		return nil, nil
	}
	cfg, err := parse(b)
	if err != nil {
		return nil, err
	}
	return &cfg, nil
}

// parseInputs reads the inputs of the three streams and names them: an
// input without a name is "<stream>" if it is its stream's first, else
// "<stream>-<n>". Names are unique across the streams (they are the
// source label and the key of the saved positions), and not the CI
// webhook's while the webhook is on, whose spool input comes last.
func parseInputs(c *config.Config, fm *stream.Formats) ([]input, error) {
	var out []input
	names := map[string]bool{}
	for _, st := range config.Streams() {
		for i, b := range c.Sources.Inputs(st) {
			in, err := stream.ParseConfig(b, fm)
			if err != nil {
				return nil, err
			}
			if in.Name == "" {
				in.Name = st
				if i > 0 {
					in.Name = fmt.Sprintf("%s-%d", st, i+1)
				}
			}
			if names[in.Name] {
				return nil, b.Errorf("name", "source name %q used twice", in.Name)
			}
			if in.Name == config.WebhookSourceName && c.Web.WebhookEnabled() {
				return nil, b.Errorf("name", "source name %q is the CI webhook's", in.Name)
			}
			names[in.Name] = true
			out = append(out, input{block: b, cfg: in})
		}
	}
	if in := webhook.Input(c); in != nil {
		out = append(out, input{cfg: *in})
	}
	return out, nil
}

// Warnings lists what in c is valid but reads nothing now: an event input
// path or glob that matches no file, a registry or cost file that does not
// exist (c is one Check accepted). Each names the file, line and key, as
// errors do. They are not errors: logs may appear after the exporter
// starts (it then reads them and says so in its log), but a typo shows up
// here first.
func Warnings(c *config.Config) []string {
	sc, err := parseSources(c, formats())
	if err != nil {
		return nil // Check's to report
	}
	var out []string
	for _, in := range sc.inputs {
		if in.block == nil {
			continue // the webhook's spool: made when the first request comes
		}
		for j, p := range in.cfg.Paths {
			if ms, _ := filepath.Glob(p); len(ms) == 0 {
				out = append(out, fmt.Sprintf("%s:%d: %s.paths[%d]: %s matches no file now", c.File, in.cfg.Line, in.block.Key(), j, p))
			}
		}
	}
	if r := sc.registry; r != nil && r.Path != "" {
		if _, err := os.Stat(r.Path); err != nil {
			out = append(out, fmt.Sprintf("%s:%d: sources.registry.path: %v", c.File, c.Sources.Registry.Line(), err))
		}
	}
	if co := sc.cost; co != nil && co.Path != "" {
		if _, err := os.Stat(co.Path); err != nil {
			out = append(out, fmt.Sprintf("%s:%d: sources.cost.path: %v", c.File, c.Sources.Cost.Line(), err))
		}
	}
	return out
}
