package stream

import (
	"errors"
	"strings"
	"testing"

	"github.com/heady/heady-metrics/exporter/config"
)

// firstAudit parses a config file and returns its first audit input's block.
func firstAudit(t *testing.T, src string) *config.Block {
	t.Helper()
	c, err := config.Parse([]byte(src), "/etc/heady/c.yml")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return c.Sources.Audit[0]
}

func TestParseConfigDefaults(t *testing.T) {
	b := firstAudit(t, "sources:\n  audit:\n    - paths: [receipts/*.jsonl, /var/log/a.jsonl]\n")
	c, err := ParseConfig(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Paths[0] != "/etc/heady/receipts/*.jsonl" || c.Paths[1] != "/var/log/a.jsonl" {
		t.Errorf("paths not resolved against the config's directory: %q", c.Paths)
	}
	if c.Format != "canonical" || c.MaxLineBytes != 1<<20 || c.Name != "" || c.Mapping != nil || c.Line != 3 {
		t.Errorf("defaults: %+v", c)
	}
	b = firstAudit(t, "sources:\n  audit:\n    - {paths: [a], name: jobs, format: twice, max_line_bytes: 4096}\n")
	c, err = ParseConfig(b, NewFormats(map[string]DecoderFactory{"twice": func(*Config) (LineDecoder, error) { return twice{}, nil }}))
	if err != nil || c.Name != "jobs" || c.Format != "twice" || c.MaxLineBytes != 4096 {
		t.Errorf("set values: %+v, %v", c, err)
	}
}

// TestParseConfigErrors: the input's own checks, placed at the file, line
// and key (exporter/pipeline's TestCheckErrorsNameFileLineKey runs the
// same through Check, with the shipped formats).
func TestParseConfigErrors(t *testing.T) {
	formats := NewFormats(map[string]DecoderFactory{
		"mapping": func(*Config) (LineDecoder, error) {
			return nil, errors.New(`line 7: mapping.rules[0]: unknown key "mtch"`)
		},
		"broken": func(*Config) (LineDecoder, error) { return nil, errors.New("no decoder today") },
	})
	cases := map[string]string{
		"sources:\n  audit:\n    - format: canonical\n":                                    "c.yml:3: sources.audit[0].paths: required: at least one path or glob",
		"sources:\n  audit:\n    - paths: [a, '']\n":                                       "c.yml:3: sources.audit[0].paths[1]: empty path",
		"sources:\n  audit:\n    - paths: ['[']\n":                                         `c.yml:3: sources.audit[0].paths[0]: bad glob "[": syntax error in pattern`,
		"sources:\n  audit:\n    - paths: [a]\n      fromat: canonical\n":                  `c.yml:4: sources.audit[0].fromat: unknown key (did you mean "format"?)`,
		"sources:\n  audit:\n    - paths: 5\n":                                             "c.yml:3: sources.audit[0].paths: cannot unmarshal",
		"sources:\n  audit:\n    - paths: [a]\n      format: mapping\n":                    "c.yml:3: sources.audit[0].mapping: required with format: mapping",
		"sources:\n  audit:\n    - paths: [a]\n      mapping:\n        time: ts\n":         "c.yml:5: sources.audit[0].mapping: only allowed with format: mapping",
		"sources:\n  audit:\n    - paths: [a]\n      format: nope\n":                       `c.yml:3: sources.audit[0].format: unknown format "nope" (known: broken, canonical, mapping)`,
		"sources:\n  audit:\n    - paths: [a]\n      format: broken\n":                     "c.yml:3: sources.audit[0]: no decoder today",
		"sources:\n  audit:\n    - paths: [a]\n      format: mapping\n      mapping: {}\n": `c.yml:7: sources.audit[0].mapping.rules[0]: unknown key "mtch"`,
	}
	for src, want := range cases {
		_, err := ParseConfig(firstAudit(t, src), formats)
		if err == nil || !strings.HasPrefix(err.Error(), "/etc/heady/"+want) {
			t.Errorf("%q:\n got %v\nwant /etc/heady/%s", src, err, want)
		}
	}
}
