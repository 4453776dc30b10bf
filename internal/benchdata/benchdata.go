// Package benchdata makes the canonical audit lines the benchmarks ingest:
// about 290 bytes a line, tool calls and outcomes of many users over the
// seven days before a given instant, in time order with a minute of jitter.
// The engine benchmark and the mtail comparison (scripts/bench.sh) read the
// same lines.
package benchdata

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Lines returns n lines over users users ending at now.
func Lines(n, users int, now time.Time) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	tools := []string{"github.create_pr", "jira.create_issue", "slack.post_message", "shell.exec", "search.web"}
	statuses := []string{"success", "success", "success", "success", "error", "denied"}
	workflows := []string{"code-review", "bug-fix", "test-generation", "refactor", "docs-update"}
	out := make([][]byte, n)
	start := now.Add(-7 * 24 * time.Hour)
	step := 7 * 24 * time.Hour / time.Duration(n)
	for i := range out {
		t := start.Add(time.Duration(i) * step).Add(time.Duration(r.IntN(60000)) * time.Millisecond)
		u := r.IntN(users)
		var line string
		if i%10 == 9 {
			line = fmt.Sprintf(`{"ts":"%s","type":"outcome","id":"evt-%09d","user":"user-%07d","workflow":"%s","status":"success","receipt":"rcpt_%013d_%08x","session":"sess-%06d","surface":"ide","trace":"%016x%016x"}`,
				t.Format("2006-01-02T15:04:05.000Z07:00"), i, u, workflows[r.IntN(len(workflows))], t.UnixMilli(), r.Uint32(), r.IntN(1000000), r.Uint64(), r.Uint64())
		} else {
			line = fmt.Sprintf(`{"ts":"%s","type":"tool_call","id":"evt-%09d","user":"user-%07d","tool":"%s","status":"%s","duration_ms":%d,"receipt":"rcpt_%013d_%08x","session":"sess-%06d","model":"claude-3-haiku","trace":"%016x%016x"}`,
				t.Format("2006-01-02T15:04:05.000Z07:00"), i, u, tools[r.IntN(len(tools))], statuses[r.IntN(len(statuses))], 20+r.IntN(900), t.UnixMilli(), r.Uint32(), r.IntN(1000000), r.Uint64(), r.Uint64())
		}
		out[i] = []byte(line)
	}
	return out
}
