package probe

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func decodeStrict(doc string) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	err := dec.Decode(&c)
	return c, err
}

func TestConfigDefaults(t *testing.T) {
	c, err := decodeStrict("interval: 1m\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 9 || !slices.Equal(c.Targets, DefaultTargets()) {
		t.Errorf("targets = %v, want the nine Heady domains", c.Targets)
	}
	if time.Duration(c.Interval) != time.Minute || c.Timeout != DefaultTimeout || !c.HTTPClientConfig.FollowRedirects {
		t.Errorf("config = %+v", c)
	}

	c, err = decodeStrict("targets: [\"https://internal.heady\"]\ntls_config:\n  ca_file: ca.pem\n")
	if err != nil {
		t.Fatal(err)
	}
	c.SetDirectory("/etc/heady")
	if !slices.Equal(c.Targets, []string{"https://internal.heady"}) || c.HTTPClientConfig.TLSConfig.CAFile != "/etc/heady/ca.pem" {
		t.Errorf("config = %+v", c)
	}
	// The default list is a fresh copy each time.
	c.Targets[0] = "x"
	if DefaultTargets()[0] != "https://headyme.com" {
		t.Error("DefaultTargets shares memory")
	}
}

func TestConfigRejects(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"targetz: [\"https://a\"]\n", "targetz"},
		{"targets: [\"https://a\"]\ntls_config: {ca_fil: x}\n", "ca_fil"},
		{"targets: [\"headyme.com\"]\n", "absolute http"},
		{"targets: [\"https://a\", \"https://a\"]\n", "listed twice"},
		{"timeout: 0s\n", "timeout"},
	} {
		if _, err := decodeStrict(tc.doc); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to mention %q", tc.doc, err, tc.want)
		}
	}
}
