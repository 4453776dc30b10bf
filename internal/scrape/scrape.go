// Package scrape reads the exporter's /metrics text into a flat map from
// series (name and labels, as written) to value, and picks out the series
// that come from the engine's state. The end-to-end tests and the soak
// compare exporters with it; it is not a general exposition-format parser
// (no timestamps, no exemplars).
package scrape

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/heady/heady-metrics/kpi"
)

// Parse reads every sample line of r; comments and lines without a number
// are skipped.
func Parse(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// enginePrefixes are the series computed from the engine's state; the
// rest (source health and error counters, Go runtime, HTTP) belong to one
// process and differ between exporters that agree.
var enginePrefixes = []string{"heady_adoption_", "heady_outcomes_", "heady_trust_", "heady_cost_", "heady_delivery_",
	"heady_exporter_events_ingested_total", "heady_exporter_engine_tracked_users", "heady_platform_gateway"}

// EngineSeries keeps the series of m that come from the engine's state.
func EngineSeries(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		for _, p := range enginePrefixes {
			if strings.HasPrefix(k, p) {
				out[k] = v
				break
			}
		}
	}
	return out
}

// CrossStream reports whether series k is a bucket or the sum of the time
// to first outcome histogram. Its pairs span two streams (activity in
// auth, the outcome in audit) and are observed when first complete on
// arrival (docs/series.md), so two exporters that meet the streams' lines
// in another interleaving may file a pair apart: one tailing files as they
// grow and one reading them whole, shards and a single instance, or two
// runs over the same files (an exporter reads its sources side by side).
// Its count, one per user, does not depend on the interleaving.
func CrossStream(k string) bool {
	h := kpi.STimeToFirstOutcomeHist
	return strings.HasPrefix(k, h+"_bucket") || k == h+"_sum"
}

// Comparable is m without the CrossStream series: what two exporters that
// applied the same events show alike.
func Comparable(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !CrossStream(k) {
			out[k] = v
		}
	}
	return out
}

// Ingested is the sum of heady_exporter_events_ingested_total over its labels.
func Ingested(m map[string]float64) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, "heady_exporter_events_ingested_total") {
			n += v
		}
	}
	return n
}
