package demo

import (
	"fmt"
	"slices"
	"strings"
)

// defect is a deliberately unreadable line: the exporter must count and
// skip it. %s in text is replaced by a nearby timestamp.
type defect struct {
	file string
	text string
	why  string
}

func defects() []defect {
	return []defect{
		{FileAudit, `{"ts":"%s","type":"tool_call","id":"evt-truncated","user":"user-0001","tool":"fs.re`, "truncated JSON"},
		{FileAudit, `{"ts":"%s","type":"heartbeat","id":"evt-heartbeat","service":"heady-gateway"}`, "unknown type"},
		{FileAuth, `{"type":"session_start","id":"auth-no-ts","user":"user-0001","surface":"web"}`, "missing ts"},
		{FileCI, `{"ts":"last tuesday","type":"merge","id":"ci-bad-ts","repo":"heady-core","change":"chg-x"}`, "unparsable ts"},
		{FileCI, `["merge","heady-core","chg-y"]`, "not an object"},
	}
}

// badLines is the number of deliberately unreadable lines in file.
func badLines(file string) int {
	n := 0
	for _, d := range defects() {
		if d.file == file {
			n++
		}
	}
	return n
}

const (
	noiseDisorder   = 8 // records per stream moved later than their time
	noiseDuplicates = 5 // records per stream written twice
)

// dupWithinMS is how recent a duplicated record is: a retry delivers a
// record again soon after it, well inside the exporter's default dedup
// horizon (8 days). A repeat of an older record would be counted again by
// a long-running exporter (its ids are forgotten after the horizon) but not
// by `kpis`, and the demo would read differently depending on the hour.
const dupWithinMS = 6 * 24 * 3600 * 1000

// finish sorts a stream and adds the imperfections of real logs: a few
// other timestamp forms, out-of-order and duplicated lines, and the
// stream's deliberately bad lines. nowMS is the data set's end.
func finish(r *rng, file string, rs []rec, formEvery int, form tsForm, nowMS int64) []rec {
	sortRecs(rs)
	for i := formEvery / 2; i < len(rs); i += formEvery {
		rs[i].form = form
	}
	for range noiseDisorder { // delivered late: moved a few lines down
		i := r.intn(len(rs) - 50)
		x := rs[i]
		j := i + 3 + r.intn(40)
		copy(rs[i:j], rs[i+1:j+1])
		rs[j] = x
	}
	recent := len(rs) - 50
	for recent > 0 && rs[recent-1].ms >= nowMS-dupWithinMS {
		recent--
	}
	// At least one record to repeat; each is delivered twice, soon after.
	recent = min(recent, len(rs)-51)
	for range noiseDuplicates {
		i := recent + r.intn(len(rs)-50-recent)
		rs = slices.Insert(rs, i+1+r.intn(20), rs[i])
	}
	bad := 0
	for _, d := range defects() {
		if d.file != file {
			continue
		}
		bad++
		i := len(rs) * bad / (badLines(file) + 1)
		text := d.text
		if strings.Contains(text, "%s") {
			text = fmt.Sprintf(text, formatTS(rs[i].ms))
		}
		rs = slices.Insert(rs, i, rec{raw: text, ms: rs[i].ms})
	}
	return rs
}
