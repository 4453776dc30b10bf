package cost

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"

	expcfg "github.com/heady/heady-metrics/exporter/config"
)

// Defaults of the cost source's settings (docs: docs/configuration.md).
const (
	DefaultInterval   = model.Duration(60 * time.Second)
	DefaultTimeout    = model.Duration(10 * time.Second)
	DefaultMaxElapsed = model.Duration(30 * time.Second)
	DefaultMaxRetries = 4
)

// Config is the `sources.cost` block of the exporter's configuration file
// (ParseConfig reads it from there). Decoding it with yaml.v3 applies the
// defaults and validates it, and a strict decoder (KnownFields) rejects
// unknown keys, including unknown HTTP client keys.
type Config struct {
	// URL is the base of the cost API; the source polls <URL>/costs.
	URL string `yaml:"url,omitempty"`
	// Path reads the same JSON document from a local file instead (the
	// offline demo). Exactly one of URL and Path is set.
	Path string `yaml:"path,omitempty"`

	Interval model.Duration `yaml:"interval,omitempty"`
	// Timeout bounds one HTTP attempt.
	Timeout model.Duration `yaml:"timeout,omitempty"`
	// MaxRetries is how many times one page request is retried after a
	// connection error, a 5xx or a 429 (0: never).
	MaxRetries int `yaml:"max_retries"`
	// MaxElapsed bounds one page request, retries and waits included.
	MaxElapsed model.Duration `yaml:"max_elapsed,omitempty"`

	// BudgetCaps gives caps (USD) to budgets that have none: a canonical
	// budget without cap_usd, or, for the Heady budget summary shape, the
	// name "total" (totalCostUsd) or a model name of byModel.
	BudgetCaps map[string]float64 `yaml:"budget_caps,omitempty"`

	// HTTPClientConfig holds bearer_token(_file), basic_auth, authorization,
	// oauth2, tls_config, proxy_url, http_headers, follow_redirects, ...
	HTTPClientConfig config.HTTPClientConfig `yaml:",inline"`
}

// DefaultConfig returns a Config with every default set and no URL or Path.
func DefaultConfig() Config {
	return Config{
		Interval:         DefaultInterval,
		Timeout:          DefaultTimeout,
		MaxRetries:       DefaultMaxRetries,
		MaxElapsed:       DefaultMaxElapsed,
		HTTPClientConfig: config.DefaultHTTPClientConfig,
	}
}

// UnmarshalYAML applies the defaults, decodes and validates. It uses the
// func(any) form so that a strict yaml.v3 decoder stays strict inside it.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	*c = DefaultConfig()
	type plain Config
	if err := unmarshal((*plain)(c)); err != nil {
		return err
	}
	return c.Validate()
}

// ParseConfig decodes, defaults and validates the configuration file's
// `sources.cost` block, with relative files resolved against the file's
// directory. Errors name the file, line and key.
func ParseConfig(b *expcfg.Block) (Config, error) {
	var c Config
	if err := b.Decode(&c); err != nil {
		return Config{}, err
	}
	c.SetDirectory(b.Dir())
	return c, nil
}

// SetDirectory resolves relative file paths (path, bearer_token_file,
// tls_config files, ...) against dir, the configuration file's directory.
func (c *Config) SetDirectory(dir string) {
	c.Path = config.JoinDir(dir, c.Path)
	c.HTTPClientConfig.SetDirectory(dir)
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	switch {
	case c.URL == "" && c.Path == "":
		return errors.New("one of url and path is required")
	case c.URL != "" && c.Path != "":
		return errors.New("url and path are mutually exclusive")
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil {
			return fmt.Errorf("url: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("url %q: want an absolute http or https URL", c.URL)
		}
	}
	if c.Interval <= 0 {
		return errors.New("interval must be positive")
	}
	if c.Timeout <= 0 {
		return errors.New("timeout must be positive")
	}
	if c.MaxElapsed <= 0 {
		return errors.New("max_elapsed must be positive")
	}
	if c.MaxRetries < 0 {
		return errors.New("max_retries must not be negative")
	}
	for name, v := range c.BudgetCaps {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("budget_caps: %q: cap must be a positive number, got %v", name, v)
		}
	}
	if err := c.HTTPClientConfig.Validate(); err != nil {
		return err
	}
	return nil
}
