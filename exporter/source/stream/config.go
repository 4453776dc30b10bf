package stream

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/event"
)

// Defaults of an input.
const (
	// DefaultFormat is the format of an input that names none.
	DefaultFormat = "canonical"
	// DefaultMaxLineBytes bounds a line of an input that sets no
	// max_line_bytes.
	DefaultMaxLineBytes = event.DefaultMaxLineBytes
)

// Config is one event input of a stream (an entry of sources.audit,
// sources.auth or sources.ci): files, by paths or globs, in one format.
type Config struct {
	// Name is the source label value. ParseConfig leaves it as written;
	// the pipeline, which sees every input, gives an unnamed one its
	// default ("audit", "audit-2", ...) and keeps names unique.
	Name  string
	Paths []string
	// Format is canonical, a shipped preset or "mapping".
	Format string
	// Mapping is the YAML of a custom mapping (format: mapping), with the
	// config file's line numbers; the preset package compiles it.
	Mapping *yaml.Node
	// MaxLineBytes bounds one line; longer lines are skipped and counted.
	MaxLineBytes int
	// Line is the input's line in the config file (0 when not read from
	// one, as the CI webhook's spool input).
	Line int
}

// fileInput is an input as the configuration file writes it.
type fileInput struct {
	Name   string   `yaml:"name"`
	Paths  []string `yaml:"paths"`
	Format string   `yaml:"format"`
	// Mapping is a yaml.Node, not a pointer: yaml.v3 fills only the
	// former with the node itself (line numbers kept).
	Mapping      yaml.Node `yaml:"mapping"`
	MaxLineBytes int       `yaml:"max_line_bytes"`
}

// ParseConfig decodes, defaults and validates one input's block: at least
// one path or glob (resolved against the config file's directory), a
// format of formats (default canonical) whose decoder builds (so a bad
// mapping fails here, with its line and key), a mapping exactly when the
// format is "mapping". Errors name the file, line and key.
func ParseConfig(b *config.Block, formats *Formats) (Config, error) {
	var fi fileInput
	if err := b.Decode(&fi); err != nil {
		return Config{}, err
	}
	c := Config{Name: fi.Name, Paths: fi.Paths, Format: fi.Format, MaxLineBytes: fi.MaxLineBytes, Line: b.Line()}
	if fi.Mapping.Kind != 0 {
		c.Mapping = &fi.Mapping
	}
	if len(c.Paths) == 0 {
		return Config{}, b.Errorf("paths", "required: at least one path or glob")
	}
	for j, p := range c.Paths {
		if p == "" {
			return Config{}, b.Errorf(fmt.Sprintf("paths[%d]", j), "empty path")
		}
		if _, err := filepath.Match(p, ""); err != nil {
			return Config{}, b.Errorf(fmt.Sprintf("paths[%d]", j), "bad glob %q: %v", p, err)
		}
		if !filepath.IsAbs(p) {
			c.Paths[j] = filepath.Join(b.Dir(), p)
		}
	}
	if c.Format == "" {
		c.Format = DefaultFormat
	}
	if c.Format == formatMapping && c.Mapping == nil {
		return Config{}, b.Errorf("mapping", "required with format: mapping")
	}
	if c.Format != formatMapping && c.Mapping != nil {
		return Config{}, b.ErrorfAt(c.Mapping.Line, "mapping", "only allowed with format: mapping")
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if formats == nil {
		formats = NewFormats(nil)
	}
	if _, ok := formats.m[c.Format]; !ok {
		return Config{}, b.Errorf("format", "unknown format %q (known: %s)", c.Format, strings.Join(formats.Names(), ", "))
	}
	if _, err := formats.NewDecoder(&c); err != nil {
		return Config{}, placeDecoderError(b, err)
	}
	return c, nil
}

// formatMapping is the format whose input carries its mapping (the preset
// package's decoder of it).
const formatMapping = "mapping"

var decoderLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// placeDecoderError places a decoder's error in the config file: a
// mapping's "line 9: mapping.rules[0]: ..." becomes
// "FILE:9: sources.audit[0].mapping.rules[0]: ...".
func placeDecoderError(b *config.Block, err error) error {
	m := decoderLine.FindStringSubmatch(err.Error())
	if m == nil {
		return b.Errorf("", "%v", err)
	}
	line, _ := strconv.Atoi(m[1]) // digits, by the pattern
	if sub, msg, ok := strings.Cut(m[2], ": "); ok {
		return b.ErrorfAt(line, sub, "%s", msg)
	}
	return b.ErrorfAt(line, "", "%s", m[2])
}
