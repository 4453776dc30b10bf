package scrape

import (
	"strings"
	"testing"
)

func TestParseAndPick(t *testing.T) {
	m, err := Parse(strings.NewReader(`# HELP heady_exporter_events_ingested_total x
# TYPE heady_exporter_events_ingested_total counter
heady_exporter_events_ingested_total{stream="audit",type="tool_call"} 12
heady_exporter_events_ingested_total{stream="auth",type="signup"} 3

heady_exporter_source_errors_total{source="a",reason="truncated"} 2
heady_adoption_active_users{window="7d"} 5
go_goroutines 13
broken_line_without_value
heady_trust_x NaNx
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 5 || m[`heady_exporter_events_ingested_total{stream="audit",type="tool_call"}`] != 12 || m["go_goroutines"] != 13 {
		t.Fatalf("parsed %v", m)
	}
	if got := Ingested(m); got != 15 {
		t.Errorf("Ingested = %v, want 15", got)
	}
	e := EngineSeries(m)
	if len(e) != 3 || e[`heady_adoption_active_users{window="7d"}`] != 5 {
		t.Errorf("EngineSeries = %v", e)
	}
}

func TestComparableDropsCrossStreamSeries(t *testing.T) {
	m := map[string]float64{
		`heady_adoption_time_to_first_outcome_seconds_bucket{le="30"}`:   2,
		`heady_adoption_time_to_first_outcome_seconds_sum`:               90,
		`heady_adoption_time_to_first_outcome_seconds_count`:             3,
		`heady_adoption_time_to_first_outcome_quantile_seconds{q="0.5"}`: 20,
		`heady_outcomes_fix_loop_seconds_bucket{le="60"}`:                1,
	}
	c := Comparable(m)
	if len(c) != 3 || c[`heady_adoption_time_to_first_outcome_seconds_count`] != 3 ||
		c[`heady_outcomes_fix_loop_seconds_bucket{le="60"}`] != 1 {
		t.Errorf("Comparable = %v", c)
	}
}
