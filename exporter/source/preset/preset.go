// Package preset owns the mapping language that turns JSONL lines of any
// shape into canonical events (docs/formats.md), and the shipped presets
// for Heady's real log formats, written in that same language as embedded
// YAML files (presets/*.yml) that users can read and copy.
//
// Decoders gives package stream the format "mapping" (a mapping given
// under an input's mapping: key) and one format per preset
// (heady-receipts, heady-governance, heady-cognitive, heady-qa,
// heady-deploy); the pipeline builds its stream.Formats from them. Building
// a decoder compiles and validates its mapping, so --config.check reports a
// bad mapping with its line and key.
//
// It only decodes lines: it never reads files, keeps no KPI state and must
// not touch the engine or the canonical decoder.
package preset

import (
	"embed"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/exporter/source/stream"
)

//go:embed presets/*.yml
var presetFiles embed.FS

// FormatMapping is the format of an input whose mapping: key holds the
// mapping.
const FormatMapping = "mapping"

// Decoders returns the decoder factories of the shipped presets and of
// "mapping", by format name, for stream.NewFormats.
func Decoders() map[string]stream.DecoderFactory {
	out := map[string]stream.DecoderFactory{}
	for _, name := range Presets() {
		out[name] = func(in *stream.Config) (stream.LineDecoder, error) {
			return NewPreset(name, in.MaxLineBytes)
		}
	}
	out[FormatMapping] = func(in *stream.Config) (stream.LineDecoder, error) {
		if in.Mapping == nil {
			return nil, fmt.Errorf("source %s: format mapping needs a mapping: key", in.Name)
		}
		return New(in.Mapping, in.MaxLineBytes)
	}
	return out
}

// New compiles a mapping (the YAML node of an input's mapping: key) into a
// decoder. maxLineBytes bounds a line (0: event.DefaultMaxLineBytes). A bad
// mapping is an *Error: "line N: mapping.rules[2].match[0]: unknown
// operator \"eqq\"".
func New(mapping *yaml.Node, maxLineBytes int) (*Decoder, error) {
	p, err := compile(mapping, "mapping")
	if err != nil {
		return nil, err
	}
	return newDecoder(p, maxLineBytes), nil
}

// NewPreset returns a decoder of a shipped preset.
func NewPreset(name string, maxLineBytes int) (*Decoder, error) {
	src, err := Source(name)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		return nil, fmt.Errorf("preset %s: %w", name, err)
	}
	p, err := compile(&n, "mapping")
	if err != nil {
		return nil, fmt.Errorf("preset %s: %w", name, err)
	}
	return newDecoder(p, maxLineBytes), nil
}

// Presets lists the shipped presets by format name.
func Presets() []string {
	ents, err := presetFiles.ReadDir("presets")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yml"))
	}
	sort.Strings(out)
	return out
}

// Source returns the YAML of a shipped preset, as users may copy it under
// an input's mapping: key.
func Source(name string) ([]byte, error) {
	b, err := presetFiles.ReadFile("presets/" + name + ".yml")
	if err != nil {
		return nil, fmt.Errorf("unknown preset %q (known: %s)", name, strings.Join(Presets(), ", "))
	}
	return b, nil
}
