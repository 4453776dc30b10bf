package config

import "testing"

func TestPodOrdinal(t *testing.T) {
	good := map[string]int{"heady-metrics-0": 0, "heady-metrics-2": 2, "my-release-heady-metrics-12": 12, "a-7": 7}
	for name, want := range good {
		if got, err := PodOrdinal(name); err != nil || got != want {
			t.Errorf("PodOrdinal(%q) = %d, %v; want %d", name, got, err, want)
		}
	}
	for _, name := range []string{"", "heady-metrics", "heady-metrics-", "7", "-7", "heady-metrics-x", "heady-metrics-01", "heady-metrics-+1", "heady-metrics-1a"} {
		if n, err := PodOrdinal(name); err == nil {
			t.Errorf("PodOrdinal(%q) = %d, want an error", name, n)
		}
	}
}

func TestOverrideShard(t *testing.T) {
	cases := []struct {
		name                string
		file                *Shard
		index, count        int
		wantIndex, wantCnt  int
		wantErr, wantUnshrd bool
	}{
		{name: "no flags keep no block", index: -1, count: -1, wantUnshrd: true},
		{name: "no flags keep the block", file: &Shard{Index: 1, Count: 3}, index: -1, count: -1, wantIndex: 1, wantCnt: 3},
		{name: "both flags", index: 2, count: 3, wantIndex: 2, wantCnt: 3},
		{name: "flags win over the block", file: &Shard{Index: 0, Count: 2}, index: 4, count: 5, wantIndex: 4, wantCnt: 5},
		{name: "index flag, count from the block", file: &Shard{Index: 0, Count: 3}, index: 2, count: -1, wantIndex: 2, wantCnt: 3},
		{name: "count flag, index from the block", file: &Shard{Index: 1, Count: 2}, index: -1, count: 4, wantIndex: 1, wantCnt: 4},
		{name: "one shard", index: 0, count: 1, wantIndex: 0, wantCnt: 1},
		{name: "index without count", index: 1, count: -1, wantErr: true},
		{name: "count without index", index: -1, count: 3, wantErr: true},
		{name: "index beyond count", index: 3, count: 3, wantErr: true},
		{name: "zero count", index: 0, count: 0, wantErr: true},
		{name: "flag index beyond the block's count", file: &Shard{Index: 0, Count: 2}, index: 2, count: -1, wantErr: true},
	}
	for _, c := range cases {
		cfg := &Config{File: "f.yml"}
		if c.file != nil {
			s := *c.file
			cfg.Shard = &s
		}
		before := cfg.Shard
		err := cfg.OverrideShard(c.index, c.count)
		switch {
		case c.wantErr:
			if err == nil {
				t.Errorf("%s: no error, shard %+v", c.name, *cfg.Shard)
			}
			if cfg.Shard != before {
				t.Errorf("%s: a refused override changed the config", c.name)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantUnshrd:
			if cfg.Shard != nil {
				t.Errorf("%s: shard %+v, want none", c.name, *cfg.Shard)
			}
		case cfg.Shard == nil || cfg.Shard.Index != c.wantIndex || cfg.Shard.Count != c.wantCnt:
			t.Errorf("%s: shard %+v, want index %d count %d", c.name, cfg.Shard, c.wantIndex, c.wantCnt)
		}
	}
}
