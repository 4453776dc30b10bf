package scorecard_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/scorecard"
	"github.com/heady/heady-metrics/kpi"
	"github.com/heady/heady-metrics/kpi/kpitest"
)

// The page, its JSON, the digest's HTML, text and subject show the
// judgment of package kpi for values at, just above and just below every
// target (alerts/tests/judgment.yml runs the same scenarios through the
// recording rules, the Grafana status queries and the alerts).
func TestEveryFaceAgreesWithTheJudgment(t *testing.T) {
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, sc := range kpitest.Scenarios() {
		want := sc.Counts()
		live := scorecard.NewLive(at, sc.Results(), nil)
		weekly := scorecard.NewWeekly(scorecard.Week{Year: 2026, Week: 48}, "test", sc.Results(), nil, nil)
		for _, c := range []*scorecard.Card{live, weekly} {
			if got := c.Counts(); got != want {
				t.Errorf("%s: counts %+v, want %+v", sc.Name, got, want)
			}
		}
		if !strings.HasSuffix(weekly.Subject(), ": "+want.Headline()) || !strings.HasSuffix(live.Subject(), ": "+want.Headline()) {
			t.Errorf("%s: subjects %q / %q, want %q", sc.Name, weekly.Subject(), live.Subject(), want.Headline())
		}
		var page, mail, text bytes.Buffer
		if err := live.WriteHTML(&page, scorecard.HTMLOptions{Mode: scorecard.Page}); err != nil {
			t.Fatal(err)
		}
		if err := weekly.WriteHTML(&mail, scorecard.HTMLOptions{Mode: scorecard.Email}); err != nil {
			t.Fatal(err)
		}
		if err := weekly.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		doc, err := live.Live(scorecard.HTMLOptions{Mode: scorecard.Page})
		if err != nil {
			t.Fatal(err)
		}
		if doc.Met != want.Met || doc.Missed != want.Missed || doc.NoData != want.NoData || doc.Judged != want.Judged() {
			t.Errorf("%s: JSON counts %d/%d/%d of %d, want %+v", sc.Name, doc.Met, doc.Missed, doc.NoData, doc.Judged, want)
		}
		status := map[string]string{}
		for _, k := range doc.KPIs {
			status[k.ID] = k.Status
		}
		missed := 0
		for _, c := range sc.Cases {
			id := c.KPI.ID
			if status[id] != string(c.Want) {
				t.Errorf("%s: %s: JSON status %q, want %q", sc.Name, id, status[id], c.Want)
			}
			for name, h := range map[string]string{"page": page.String(), "mail": mail.String()} {
				if !strings.Contains(h, fmt.Sprintf(`data-kpi="%s" data-status="%s"`, id, c.Want)) {
					t.Errorf("%s: %s: %s does not show it %s", sc.Name, id, name, c.Want)
				}
			}
			line := regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(c.KPI.Title)+`  .*$`).FindAllString(text.String(), -1)
			word := strings.ToUpper(string(c.Want))
			if c.Want == kpi.StatusNotJudged && c.KPI.GuardOn != nil {
				word = "COHORT TOO SMALL"
			}
			if len(line) == 0 || !strings.Contains(line[len(line)-1], "  "+word) {
				t.Errorf("%s: %s: text line %q lacks %s", sc.Name, id, line, word)
			}
			if c.Want == kpi.StatusMissed && c.KPI.Panel != kpi.PanelNorthStar {
				missed++
				if !strings.Contains(page.String(), fmt.Sprintf(`data-missed="%s"`, id)) {
					t.Errorf("%s: %s missed but not listed first", sc.Name, id)
				}
			}
		}
		if got := strings.Count(page.String(), `data-missed="`); got != missed {
			t.Errorf("%s: %d KPIs listed as missed, want %d", sc.Name, got, missed)
		}
	}
}
