package pipeline

import (
	// The shipped presets and the "mapping" format register themselves
	// with package stream at init; importing them here makes every binary
	// that builds a pipeline know them.
	_ "github.com/heady/heady-metrics/exporter/source/preset"
)
