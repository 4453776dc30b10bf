package docs_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/heady/heady-metrics/kpi"
)

// The digest subject scorecard.md shows counts what a real subject counts:
// out of the KPIs with a target.
func TestScorecardSubjectExample(t *testing.T) {
	b, err := os.ReadFile("scorecard.md")
	if err != nil {
		t.Fatal(err)
	}
	ms := regexp.MustCompile(`(\d+)\s+of\s+(\d+)\s+targets\s+met,\s+(\d+)\s+missed,\s+(\d+)\s+with\s+no\s+data`).FindAllSubmatch(b, -1)
	if len(ms) == 0 {
		t.Fatal("scorecard.md shows no subject example")
	}
	judged := 0
	for _, k := range kpi.Catalog {
		if k.Target.Judged() {
			judged++
		}
	}
	for _, m := range ms {
		met, _ := strconv.Atoi(string(m[1]))
		of, _ := strconv.Atoi(string(m[2]))
		missed, _ := strconv.Atoi(string(m[3]))
		noData, _ := strconv.Atoi(string(m[4]))
		// "of" counts the KPIs judged (met or missed); with those that
		// have no data they are every KPI with a target.
		if of+noData != judged || met+missed != of {
			t.Errorf("scorecard.md shows %s; the catalog has %d KPIs with a target", m[0], judged)
		}
	}
}
