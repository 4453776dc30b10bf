package probe

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"

	expcfg "github.com/heady/heady-metrics/exporter/config"
)

// Defaults of the probe's settings (docs: docs/configuration.md).
const (
	DefaultInterval = model.Duration(30 * time.Second)
	DefaultTimeout  = model.Duration(5 * time.Second)
)

// DefaultTargets returns the nine Heady domains probed when no targets are
// configured.
func DefaultTargets() []string {
	return []string{
		"https://headyme.com",
		"https://admin.headysystems.com",
		"https://headysystems.com",
		"https://manager.headysystems.com/api/health",
		"https://api.headysystems.com/api/health",
		"https://headyio.com",
		"https://headybuddy.org",
		"https://headymcp.com",
		"https://headyconnection.org",
	}
}

// Config is the `sources.probe` block of the exporter's configuration file
// (ParseConfig reads it from there).
// Decoding it with yaml.v3 applies the defaults and validates it; a strict
// decoder (KnownFields) rejects unknown keys, HTTP client keys included.
type Config struct {
	// Targets are the URLs probed, one result each (DefaultTargets if none).
	Targets  []string       `yaml:"targets,omitempty"`
	Interval model.Duration `yaml:"interval,omitempty"`
	// Timeout bounds one probe, redirects and body included.
	Timeout model.Duration `yaml:"timeout,omitempty"`

	// HTTPClientConfig holds tls_config (a CA file for internal targets),
	// proxy_url, http_headers, auth, follow_redirects, ...
	HTTPClientConfig config.HTTPClientConfig `yaml:",inline"`
}

// DefaultConfig returns a Config with every default set.
func DefaultConfig() Config {
	return Config{
		Targets:          DefaultTargets(),
		Interval:         DefaultInterval,
		Timeout:          DefaultTimeout,
		HTTPClientConfig: config.DefaultHTTPClientConfig,
	}
}

// UnmarshalYAML applies the defaults, decodes and validates. It uses the
// func(any) form so that a strict yaml.v3 decoder stays strict inside it.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	*c = DefaultConfig()
	c.Targets = nil
	type plain Config
	if err := unmarshal((*plain)(c)); err != nil {
		return err
	}
	if len(c.Targets) == 0 {
		c.Targets = DefaultTargets()
	}
	return c.Validate()
}

// ParseConfig decodes, defaults and validates the configuration file's
// `sources.probe` block, with relative files resolved against the file's
// directory; a timeout past the interval is refused there too. Errors name
// the file, line and key.
func ParseConfig(b *expcfg.Block) (Config, error) {
	var c Config
	if err := b.Decode(&c); err != nil {
		return Config{}, err
	}
	c.SetDirectory(b.Dir())
	if c.Timeout > c.Interval {
		return Config{}, b.Errorf("timeout", "must not exceed the interval")
	}
	return c, nil
}

// SetDirectory resolves the relative files of the HTTP client settings
// (tls_config ca_file, ...) against dir, the configuration file's directory.
func (c *Config) SetDirectory(dir string) {
	c.HTTPClientConfig.SetDirectory(dir)
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if len(c.Targets) == 0 {
		return errors.New("targets: at least one target is required")
	}
	for i, t := range c.Targets {
		u, err := url.Parse(t)
		if err != nil {
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("targets[%d] %q: want an absolute http or https URL", i, t)
		}
		if slices.Index(c.Targets, t) != i {
			return fmt.Errorf("targets[%d] %q: listed twice", i, t)
		}
	}
	if c.Interval <= 0 {
		return errors.New("interval must be positive")
	}
	if c.Timeout <= 0 {
		return errors.New("timeout must be positive")
	}
	return c.HTTPClientConfig.Validate()
}
