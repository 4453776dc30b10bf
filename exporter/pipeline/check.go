package pipeline

import (
	"fmt"
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
