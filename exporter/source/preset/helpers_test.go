package preset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// canonicalJSON writes e as one canonical line (docs/events.md), with keys in
// a fixed order and only the fields that are set: golden files are
// canonical JSONL that event.Decoder reads back.
func canonicalJSON(e *event.Event) []byte {
	var b bytes.Buffer
	b.WriteString(`{"ts":"`)
	b.WriteString(time.UnixMilli(e.Time).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	b.WriteString(`","type":`)
	str := func(k, v string) {
		if v == "" {
			return
		}
		b.WriteString(`,"` + k + `":`)
		q, _ := json.Marshal(v)
		b.Write(q)
	}
	q, _ := json.Marshal(e.Type.String())
	b.Write(q)
	str("id", e.ID)
	str("user", e.User)
	str(outcomeKey(e.Type), e.Status)
	for _, f := range []struct {
		k string
		v string
	}{
		{"receipt", e.Receipt}, {"tool", e.Tool}, {"workflow", e.Workflow}, {"policy", e.Policy},
		{"surface", e.Surface}, {"kind", e.Kind}, {"name", e.Name}, {"run", e.Run},
		{"change", e.Change}, {"service", e.Service}, {"provider", e.Provider}, {"model", e.Model},
		{"routed", e.Routed}, {"repo", e.Repo}, {"gate", e.Gate}, {"env", e.Env}, {"item", e.Item},
		{"incident", e.Incident}, {"severity", e.Severity}, {"milestone", e.Milestone},
	} {
		str(f.k, f.v)
	}
	for _, f := range []struct {
		k string
		v float64
	}{
		{"duration_ms", e.DurationMS}, {"cost_usd", e.CostUSD}, {"confidence", e.Confidence},
		{"tokens_in", e.TokensIn}, {"tokens_out", e.TokensOut}, {"ratio", e.Ratio}, {"score", e.Score},
	} {
		if !math.IsNaN(f.v) {
			b.WriteString(`,"` + f.k + `":` + strconv.FormatFloat(f.v, 'g', -1, 64))
		}
	}
	if e.Security {
		b.WriteString(`,"security":true`)
	}
	for _, f := range []struct {
		k string
		v int64
	}{{"opened_at", e.OpenedAt}, {"due", e.Due}} {
		if f.v != event.NoTime {
			b.WriteString(`,"` + f.k + `":"` + time.UnixMilli(f.v).UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// outcomeKey is the canonical key of a type's outcome word.
func outcomeKey(t event.Type) string {
	switch t {
	case event.TypeSetup, event.TypeArenaRun, event.TypeQualityGate, event.TypeDeploy:
		return "result"
	case event.TypeApproval:
		return "decision"
	case event.TypeCircuitBreaker:
		return "state"
	}
	return "status"
}

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// decoded is what a decoder made of some lines.
type decoded struct {
	lines   [][]byte // canonical JSON of each event, in order
	skipped map[event.Reason]int
}

func decodeAll(d interface {
	DecodeLine([]byte, func(*event.Event)) event.Reason
}, lines [][]byte) decoded {
	out := decoded{skipped: map[event.Reason]int{}}
	for _, l := range lines {
		if r := d.DecodeLine(l, func(e *event.Event) { out.lines = append(out.lines, canonicalJSON(e)) }); r != "" {
			out.skipped[r]++
		}
	}
	return out
}

// events decodes lines into owned copies of their events.
func events(t testing.TB, d *Decoder, lines [][]byte) []event.Event {
	t.Helper()
	var out []event.Event
	for i, l := range lines {
		if r := d.DecodeLine(l, func(e *event.Event) {
			// Own the strings: they alias the line and the decoder's scratch.
			c := *e
			for _, p := range []*string{&c.ID, &c.User, &c.Status, &c.Receipt, &c.Tool, &c.Workflow, &c.Policy,
				&c.Surface, &c.Kind, &c.Name, &c.Run, &c.Change, &c.Service, &c.Provider, &c.Model,
				&c.Routed, &c.Repo, &c.Gate, &c.Env, &c.Item, &c.Incident, &c.Severity, &c.Milestone} {
				*p = string(append([]byte(nil), *p...))
			}
			out = append(out, c)
		}); r != "" {
			t.Fatalf("line %d skipped: %s", i+1, r)
		}
	}
	return out
}
