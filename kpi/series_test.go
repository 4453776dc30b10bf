package kpi

import (
	"strings"
	"testing"
)

// Every exposed name is one family's: a counter's family is its name
// without _total and a histogram's has _bucket, _count and _sum, and
// OpenMetrics (the backfill, and scrapes that negotiate it) needs each
// family name and each sample name to be unique.
func TestSeriesFamiliesDoNotCollide(t *testing.T) {
	family := map[string]string{}
	sample := map[string]string{}
	claim := func(m map[string]string, name, owner string) {
		if o, ok := m[name]; ok {
			t.Errorf("%s of %s is also %s's", name, owner, o)
		}
		m[name] = owner
	}
	for _, s := range AllSeries {
		switch s.Type {
		case Counter:
			if !strings.HasSuffix(s.Name, "_total") {
				t.Errorf("counter %s does not end in _total", s.Name)
			}
			claim(family, strings.TrimSuffix(s.Name, "_total"), s.Name)
			claim(sample, s.Name, s.Name)
		case Histogram:
			claim(family, s.Name, s.Name)
			for _, x := range []string{"_bucket", "_count", "_sum"} {
				claim(sample, s.Name+x, s.Name)
			}
		default:
			claim(family, s.Name, s.Name)
			claim(sample, s.Name, s.Name)
		}
	}
}
