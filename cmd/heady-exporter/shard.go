package main

import (
	"fmt"
	"strconv"

	"github.com/alecthomas/kingpin/v2"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/pipeline"
)

// shardFlags override the config file's `shard` block (docs/scaling.md), so
// that every replica of one deployment can share one file: a Kubernetes
// StatefulSet passes its pod name, whose ordinal is the shard index, and
// the replica count.
type shardFlags struct {
	index, count, podName *string
}

func addShardFlags(app *kingpin.Application) *shardFlags {
	return &shardFlags{
		count: app.Flag("shard.count", "Number of shards; overrides shard.count of the config file (docs/scaling.md).").PlaceHolder("N").String(),
		index: app.Flag("shard.index", "This instance's shard, 0 to count-1; overrides shard.index of the config file.").PlaceHolder("I").String(),
		podName: app.Flag("shard.index-from-pod-name", "Take the shard index from this StatefulSet pod name's ordinal (heady-metrics-2 is shard 2); for Kubernetes, pass the pod's name from the downward API.").
			PlaceHolder("NAME").String(),
	}
}

// load reads and validates the file, mappings included, with the shard
// flags applied; it runs again at every reload, so the flags hold.
func (f *shardFlags) load(path string) (*config.Config, error) {
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	index, count, err := f.values()
	if err != nil {
		return nil, err
	}
	if err := c.OverrideShard(index, count); err != nil {
		return nil, err
	}
	if err := pipeline.Check(c); err != nil {
		return nil, err
	}
	return c, nil
}

// values are the flags' index and count, -1 where not given.
func (f *shardFlags) values() (index, count int, err error) {
	index, count = -1, -1
	num := func(flag, s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("--%s: want a non-negative integer, got %q", flag, s)
		}
		return n, nil
	}
	if *f.count != "" {
		if count, err = num("shard.count", *f.count); err != nil {
			return 0, 0, err
		}
	}
	switch {
	case *f.index != "" && *f.podName != "":
		return 0, 0, fmt.Errorf("--shard.index and --shard.index-from-pod-name: give one")
	case *f.index != "":
		index, err = num("shard.index", *f.index)
	case *f.podName != "":
		index, err = config.PodOrdinal(*f.podName)
		if err != nil {
			err = fmt.Errorf("--shard.index-from-pod-name: %w", err)
		}
	}
	return index, count, err
}
