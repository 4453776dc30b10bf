package pipeline

import (
	"github.com/heady/heady-metrics/exporter/source/preset"
	"github.com/heady/heady-metrics/exporter/source/stream"
)

// formats are the event formats an input may name: canonical, the shipped
// presets and "mapping". Built where they are used; there is no global
// table.
func formats() *stream.Formats { return stream.NewFormats(preset.Decoders()) }
