package registry

import (
	"fmt"
	"net/url"

	commoncfg "github.com/prometheus/common/config"

	"github.com/heady/heady-metrics/exporter/config"
)

// fileConfig is the `sources.registry` block of the configuration file.
type fileConfig struct {
	Path             string                     `yaml:"path"`
	URL              string                     `yaml:"url"`
	Interval         config.Duration            `yaml:"interval"`
	Timeout          config.Duration            `yaml:"timeout"`
	HTTPClientConfig commoncfg.HTTPClientConfig `yaml:",inline"`
}

// ParseConfig decodes, defaults and validates the configuration file's
// `sources.registry` block: exactly one of path (resolved against the
// file's directory) and url, with the HTTP client settings for the url.
// Errors name the file, line and key.
func ParseConfig(b *config.Block) (Config, error) {
	var fc fileConfig
	if err := b.Decode(&fc); err != nil {
		return Config{}, err
	}
	if (fc.Path == "") == (fc.URL == "") {
		return Config{}, b.Errorf("", "set exactly one of path and url")
	}
	if err := checkURL(fc.URL); err != nil {
		return Config{}, b.Errorf("url", "%v", err)
	}
	c := Config{Path: commoncfg.JoinDir(b.Dir(), fc.Path), URL: fc.URL, Interval: fc.Interval.D(), Timeout: fc.Timeout.D(),
		HTTPClientConfig: fc.HTTPClientConfig}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	c.HTTPClientConfig.SetDirectory(b.Dir())
	if err := c.HTTPClientConfig.Validate(); err != nil {
		return Config{}, b.Errorf("", "%v", err)
	}
	return c, nil
}

func checkURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("bad URL %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("bad URL %q: want http:// or https:// with a host", s)
	}
	return nil
}
