// Package config owns the exporter's configuration file: its YAML shape
// (docs/configuration.md is the contract), strict decoding, defaults and
// validation with errors that name the file, line and key. It is a leaf:
// it imports no source, engine or view. A source's block (registry, cost,
// probe, and each event input of sources.audit, sources.auth and
// sources.ci) is kept as a Block that the source's own package decodes and
// validates with this package's strict decoding and errors. The pipeline
// hands each block to its owner (pipeline.Check, pipeline.BuildSources).
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Defaults. Every interval and timeout has one, so the smallest valid config
// names only paths and URLs.
const (
	DefaultStateDir           = "/var/lib/heady-exporter"
	DefaultCheckpointInterval = 10 * time.Second
	DefaultTopN               = 20
	DefaultPollInterval       = 250 * time.Millisecond
	DefaultDedupHorizon       = 8 * 24 * time.Hour
	DefaultDedupMaxIDs        = 20_000_000

	DefaultWebhookReplayWindow  = 5 * time.Minute
	DefaultWebhookMaxBodyBytes  = 1 << 20
	DefaultWebhookSpoolMaxBytes = 64 << 20
	// MaxWebhookReplayWindow and MaxWebhookBodyBytes bound the webhook
	// options: a longer window makes replay protection meaningless, and a
	// body is held in memory while it is checked.
	MaxWebhookReplayWindow = time.Hour
	MaxWebhookBodyBytes    = 64 << 20
	MinWebhookBodyBytes    = 1 << 10
)

// WebhookSourceName is the source name of the CI webhook's spool input
// (reserved while the webhook is enabled).
const WebhookSourceName = "ci-webhook"

// Duration is a time.Duration written in Prometheus duration syntax
// ("30s", "5m", "1d").
type Duration time.Duration

// UnmarshalYAML parses a Prometheus duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &lineError{line: n.Line, msg: "expected a duration such as 30s"}
	}
	v, err := model.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		return &lineError{line: n.Line, msg: fmt.Sprintf("invalid duration %q (use a positive Prometheus duration such as 30s, 5m, 1h)", n.Value)}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in Prometheus syntax.
func (d Duration) MarshalYAML() (any, error) { return model.Duration(d).String(), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String is d as the file writes it (8d, 10s).
func (d Duration) String() string { return model.Duration(d).String() }

// Config is the whole file.
type Config struct {
	// ExternalURL is Grafana's root as people open it, for the links
	// that leave Grafana (alerts, page, digest; package links).
	ExternalURL ExternalURL  `yaml:"external_url"`
	StateDir    string       `yaml:"state_dir"`
	Sources     Sources      `yaml:"sources"`
	Engine      EngineConfig `yaml:"engine"`
	Web         WebConfig    `yaml:"web"`
	Shard       *Shard       `yaml:"shard"`
	Digest      DigestConfig `yaml:"digest"`

	// File is the path the config was loaded from (not in YAML).
	File string `yaml:"-"`
}

// Sources lists the six source types. Every source's configuration is
// its own package's: config keeps each block (and each input of the audit,
// auth and ci lists) as a Block for that package to decode and validate,
// and the pipeline hands it over (pipeline.Check, pipeline.BuildSources).
type Sources struct {
	Audit    []*Block `yaml:"audit"`
	Auth     []*Block `yaml:"auth"`
	CI       []*Block `yaml:"ci"`
	Registry *Block   `yaml:"registry"`
	Cost     *Block   `yaml:"cost"`
	Probe    *Block   `yaml:"probe"`

	items map[string]int // each list item's line (bind)
}

// Streams returns the event streams' names, in the order of Sources.
func Streams() []string { return []string{"audit", "auth", "ci"} }

// Inputs returns the inputs of a stream of Streams.
func (s *Sources) Inputs(stream string) []*Block {
	switch stream {
	case "audit":
		return s.Audit
	case "auth":
		return s.Auth
	case "ci":
		return s.CI
	}
	return nil
}

// bind records where each source block is, once the whole file is read;
// items has the line of every list item (lineMaps), for an empty one.
func (s *Sources) bind(file string, keys map[int]string, items map[string]int) {
	s.items = items
	dir := filepath.Dir(file)
	for key, b := range map[string]*Block{"sources.registry": s.Registry, "sources.cost": s.Cost, "sources.probe": s.Probe} {
		if b != nil {
			b.bind(key, file, dir, keys)
		}
	}
	for _, st := range Streams() {
		for i, b := range s.Inputs(st) {
			if b != nil {
				b.bind(fmt.Sprintf("sources.%s[%d]", st, i), file, dir, keys)
			}
		}
	}
}

// checkInputs rejects an empty entry of an input list (its shape is the
// file's; what an input holds is the stream source's to validate).
func (s *Sources) checkInputs() error {
	for _, st := range Streams() {
		for i, b := range s.Inputs(st) {
			if b == nil {
				key := fmt.Sprintf("sources.%s[%d]", st, i)
				return &lineError{line: max(s.items[key], 1), key: key, msg: "empty input"}
			}
		}
	}
	return nil
}

// blockError places an error of a block's own validation: a YAML error
// keeps its line (and so its key), any other names the block.
func blockError(n *yaml.Node, key string, err error) error {
	if yamlLine.MatchString(err.Error()) {
		return err
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return err
	}
	// A value quoted in the message ("5x" of a bad duration) points at its
	// own line, and so at its key.
	for _, m := range quoted.FindAllStringSubmatch(err.Error(), -1) {
		if v := findScalar(n, m[1]); v != nil {
			return &lineError{line: v.Line, msg: err.Error()}
		}
	}
	return &lineError{line: n.Line, key: key, msg: err.Error()}
}

var quoted = regexp.MustCompile(`"([^"]+)"`)

func findScalar(n *yaml.Node, value string) *yaml.Node {
	if n.Kind == yaml.ScalarNode && n.Value == value {
		return n
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // keys
		}
		if f := findScalar(c, value); f != nil {
			return f
		}
	}
	return nil
}

// EngineConfig tunes the engine.
type EngineConfig struct {
	// CheckpointInterval is how often positions and state are saved.
	CheckpointInterval Duration `yaml:"checkpoint_interval"`
	// TopN caps open label sets (workflow, tool, model, policy, repo).
	TopN int `yaml:"top_n"`
	// DedupHorizon is how long (in event time) an id is remembered.
	DedupHorizon Duration `yaml:"dedup_horizon"`
	// DedupMaxIDs bounds the ids remembered; past it the oldest go first.
	DedupMaxIDs int `yaml:"dedup_max_ids"`
	// PollInterval is how often files are checked for new lines.
	PollInterval Duration `yaml:"poll_interval"`
}

// WebConfig holds options of the HTTP side that belong in the file.
type WebConfig struct {
	// WebhookSecretFile enables the CI webhook at /api/v1/ci/events: the
	// file holds the HMAC-SHA256 key (surrounding whitespace is ignored).
	// It is read at start and at every reload, and never logged.
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// WebhookReplayWindow is how far a request's signed timestamp may be
	// from the exporter's wall clock, either way (default 5m, at most 1h).
	WebhookReplayWindow Duration `yaml:"webhook_replay_window"`
	// WebhookMaxBodyBytes bounds one request body (default 1 MiB, from
	// 1 KiB to 64 MiB).
	WebhookMaxBodyBytes int64 `yaml:"webhook_max_body_bytes"`
	// WebhookSpoolMaxBytes is the size past which the spool file is
	// rotated (default 64 MiB, at least webhook_max_body_bytes).
	WebhookSpoolMaxBytes int64 `yaml:"webhook_spool_max_bytes"`

	line  int
	lines map[string]int // of each key, for errors
}

// UnmarshalYAML records the block's line for validation errors.
func (w *WebConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain WebConfig
	if err := decodeStrict(n, (*plain)(w)); err != nil {
		return err
	}
	w.line = n.Line
	w.lines = map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		w.lines[n.Content[i].Value] = n.Content[i].Line
	}
	return nil
}

// keyErr is a validation error of one key of the block.
func (w *WebConfig) keyErr(key, msg string) error {
	line := w.lines[key]
	if line == 0 {
		line = max(w.line, 1)
	}
	return &lineError{line: line, key: "web." + key, msg: msg}
}

// WebhookEnabled reports whether the CI webhook is configured.
func (w *WebConfig) WebhookEnabled() bool { return w.WebhookSecretFile != "" }

func (w *WebConfig) finish(base string) error {
	if !w.WebhookEnabled() {
		if w.WebhookReplayWindow != 0 || w.WebhookMaxBodyBytes != 0 || w.WebhookSpoolMaxBytes != 0 {
			return &lineError{line: max(w.line, 1), key: "web", msg: "webhook options set without webhook_secret_file"}
		}
		return nil
	}
	w.WebhookSecretFile = resolve(base, w.WebhookSecretFile)
	if w.WebhookReplayWindow == 0 {
		w.WebhookReplayWindow = Duration(DefaultWebhookReplayWindow)
	}
	if w.WebhookReplayWindow.D() > MaxWebhookReplayWindow {
		return w.keyErr("webhook_replay_window", fmt.Sprintf("must be at most %s", model.Duration(MaxWebhookReplayWindow)))
	}
	if w.WebhookMaxBodyBytes == 0 {
		w.WebhookMaxBodyBytes = DefaultWebhookMaxBodyBytes
	}
	if w.WebhookMaxBodyBytes < MinWebhookBodyBytes || w.WebhookMaxBodyBytes > MaxWebhookBodyBytes {
		return w.keyErr("webhook_max_body_bytes", fmt.Sprintf("must be from %d to %d, got %d", MinWebhookBodyBytes, MaxWebhookBodyBytes, w.WebhookMaxBodyBytes))
	}
	if w.WebhookSpoolMaxBytes == 0 {
		w.WebhookSpoolMaxBytes = max(DefaultWebhookSpoolMaxBytes, w.WebhookMaxBodyBytes)
	}
	if w.WebhookSpoolMaxBytes < w.WebhookMaxBodyBytes {
		return w.keyErr("webhook_spool_max_bytes", fmt.Sprintf("must be at least webhook_max_body_bytes (%d), got %d", w.WebhookMaxBodyBytes, w.WebhookSpoolMaxBytes))
	}
	return nil
}

// Shard makes this instance own a share of the users.
type Shard struct {
	Index int `yaml:"index"`
	Count int `yaml:"count"`
	line  int
}

// UnmarshalYAML records the block's line for validation errors.
func (s *Shard) UnmarshalYAML(n *yaml.Node) error {
	type plain Shard
	if err := decodeStrict(n, (*plain)(s)); err != nil {
		return err
	}
	s.line = n.Line
	return nil
}

// OverrideShard replaces the file's shard index and count with the
// command line's (--shard.index, --shard.count): a negative value keeps the
// file's. The result must name both and satisfy 0 <= index < count, as the
// file's block must; a count of 1 with index 0 is an unsharded instance.
func (c *Config) OverrideShard(index, count int) error {
	if index < 0 && count < 0 {
		return nil
	}
	s := Shard{Index: -1, Count: -1}
	if c.Shard != nil {
		s = *c.Shard
	}
	if index >= 0 {
		s.Index = index
	}
	if count >= 0 {
		s.Count = count
	}
	switch {
	case s.Index < 0:
		return fmt.Errorf("shard: --shard.count needs a shard index (--shard.index, --shard.index-from-pod-name or shard.index in %s)", c.File)
	case s.Count < 0:
		return fmt.Errorf("shard: --shard.index needs a shard count (--shard.count or shard.count in %s)", c.File)
	case s.Count < 1 || s.Index >= s.Count:
		return fmt.Errorf("shard: need 0 <= index < count, got index %d count %d", s.Index, s.Count)
	}
	c.Shard = &s
	return nil
}

// PodOrdinal is the ordinal of a StatefulSet pod: the number after the
// last "-" of its name (heady-metrics-2 is 2).
func PodOrdinal(podName string) (int, error) {
	i := strings.LastIndexByte(podName, '-')
	digits := podName[i+1:]
	n, err := strconv.Atoi(digits)
	if i < 1 || err != nil || n < 0 || digits != strconv.Itoa(n) {
		return 0, fmt.Errorf("pod name %q does not end with a StatefulSet ordinal such as -0", podName)
	}
	return n, nil
}

// Load reads, decodes, defaults and validates the file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b, path)
}

// Parse decodes b as the config file called file. Relative paths in the
// config are resolved against the directory of file.
func Parse(b []byte, file string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fileErr(file, nil, err)
	}
	keys, items := lineMaps(&root)
	c := &Config{}
	if len(root.Content) > 0 {
		if err := decodeStrict(root.Content[0], c); err != nil {
			return nil, fileErr(file, keys, err)
		}
	}
	c.File = file
	c.Sources.bind(file, keys, items)
	if err := c.finish(filepath.Dir(file)); err != nil {
		return nil, fileErr(file, keys, err)
	}
	return c, nil
}

// decodeStrict is yaml.Node.Decode rejecting unknown keys. yaml.v3 offers
// strictness only on its Decoder, which would lose the node's line numbers,
// so the node is first checked against the yaml tags of v's type.
func decodeStrict(n *yaml.Node, v any) error {
	if err := checkKnown(n, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	return n.Decode(v)
}

type lineError struct {
	line int
	key  string
	msg  string
}

func (e *lineError) Error() string {
	if e.key != "" {
		return fmt.Sprintf("line %d: %s: %s", e.line, e.key, e.msg)
	}
	return fmt.Sprintf("line %d: %s", e.line, e.msg)
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// fileErr turns any decoding or validation error into one line
// "FILE:LINE: KEY: message".
func fileErr(file string, keys map[int]string, err error) error {
	var le *lineError
	if errors.As(err, &le) {
		key := le.key
		if key == "" && keys != nil {
			key = keys[le.line]
		}
		if key != "" {
			return fmt.Errorf("%s:%d: %s: %s", file, le.line, key, le.msg)
		}
		return fmt.Errorf("%s:%d: %s", file, le.line, le.msg)
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if k := keys[line]; k != "" {
			return fmt.Errorf("%s:%d: %s: %s", file, line, k, m[2])
		}
		return fmt.Errorf("%s:%d: %s", file, line, m[2])
	}
	return fmt.Errorf("%s: %s", file, msg)
}

// lineMaps walks the document once for where things are: keys maps each
// line holding a mapping key to the key's dotted path ("sources.cost.url"),
// items each list item's dotted path ("sources.audit[1]") to its line, for
// an empty item, which decodes to nothing that remembers it.
func lineMaps(root *yaml.Node) (keys map[int]string, items map[string]int) {
	keys, items = map[int]string{}, map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if _, ok := keys[k.Line]; !ok {
					keys[k.Line] = p
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				items[p] = c.Line
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return keys, items
}

// finish applies the defaults and validates what config owns: the state
// directory, the engine, the web options, the digest's mail and the shard.
// The source blocks, event inputs included, are their owners' to validate.
func (c *Config) finish(base string) error {
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	c.StateDir = resolve(base, c.StateDir)
	if err := c.Engine.finish(); err != nil {
		return err
	}
	if err := c.Web.finish(base); err != nil {
		return err
	}
	if err := c.Digest.SMTP.finish(base); err != nil {
		return err
	}
	if err := c.Sources.checkInputs(); err != nil {
		return err
	}
	if s := c.Shard; s != nil {
		if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
			return &lineError{line: s.line, key: "shard", msg: fmt.Sprintf("need 0 <= index < count, got index %d count %d", s.Index, s.Count)}
		}
	}
	if !c.HasSources() {
		return &lineError{line: 1, key: "sources", msg: "no source configured"}
	}
	return nil
}

func (e *EngineConfig) finish() error {
	if e.CheckpointInterval == 0 {
		e.CheckpointInterval = Duration(DefaultCheckpointInterval)
	}
	if e.TopN == 0 {
		e.TopN = DefaultTopN
	}
	if e.TopN < 5 {
		return &lineError{line: 1, key: "engine.top_n", msg: "must be at least 5 (top_workflows lists five)"}
	}
	if e.DedupHorizon == 0 {
		e.DedupHorizon = Duration(DefaultDedupHorizon)
	}
	if e.DedupHorizon.D() < 7*24*time.Hour {
		return &lineError{line: 1, key: "engine.dedup_horizon", msg: "must be at least 7d (kpis.md)"}
	}
	if e.DedupMaxIDs == 0 {
		e.DedupMaxIDs = DefaultDedupMaxIDs
	}
	if e.PollInterval == 0 {
		e.PollInterval = Duration(DefaultPollInterval)
	}
	return nil
}

// HasSources reports whether any source is configured.
func (c *Config) HasSources() bool {
	s := c.Sources
	return len(s.Audit)+len(s.Auth)+len(s.CI) > 0 || s.Registry != nil || s.Cost != nil || s.Probe != nil ||
		c.Web.WebhookEnabled()
}

func resolve(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}
