package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/common/promslog"

	"github.com/heady/heady-metrics/exporter/config"
	"github.com/heady/heady-metrics/exporter/engine"
	"github.com/heady/heady-metrics/exporter/event"
	"github.com/heady/heady-metrics/internal/benchdata"
)

// ReadOnce packs the hours its events leave behind as it reads (every
// engine.SealEvery events), with the clock days ahead of the events as in
// a kpis run over last week's logs. What it reads is still what an engine
// that never packs anything gives, to the bit, on one core and on two.
func TestReadOnceSealingChangesNoSample(t *testing.T) {
	end := time.Date(2026, 11, 17, 12, 0, 0, 0, time.UTC)
	now := end.Add(3 * 24 * time.Hour)
	lines := benchdata.Lines(3*engine.SealEvery, 5000, end) // a week: three calls of Seal
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "audit.jsonl"), append(bytes.Join(lines, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	yml := fmt.Sprintf("state_dir: %s\nsources:\n  audit:\n    - paths: [%s]\n", filepath.Join(dir, "state"), filepath.Join(dir, "audit.jsonl"))
	c, err := config.Parse([]byte(yml), "config.yml")
	if err != nil {
		t.Fatal(err)
	}

	opt := EngineOptions(c)
	opt.DedupHorizonSec = oneShotDedupHorizon
	ref := engine.New(opt)
	ref.Advance(now.UnixMilli())
	var d event.Decoder
	for _, l := range lines {
		var ev event.Event
		if r := d.Decode(l, &ev); r != "" {
			t.Fatalf("line %q: %s", l, r)
		}
		ref.Apply(&ev)
	}
	want := ref.Evaluate(now.UnixMilli())

	for _, procs := range []int{1, 2} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			eng, _, err := ReadOnce(context.Background(), c, now, promslog.NewNopLogger())
			if err != nil {
				t.Fatal(err)
			}
			got := eng.Evaluate(now.UnixMilli())
			if len(want.Samples) == 0 || !reflect.DeepEqual(got.Samples, want.Samples) ||
				!reflect.DeepEqual(got.Cumulative, want.Cumulative) {
				for i := range want.Samples {
					if i >= len(got.Samples) || !reflect.DeepEqual(got.Samples[i], want.Samples[i]) {
						t.Fatalf("GOMAXPROCS=%d: sample %d: %+v, want %+v", procs, i, got.Samples[min(i, len(got.Samples)-1)], want.Samples[i])
					}
				}
				t.Fatalf("GOMAXPROCS=%d: the view differs from an engine that never seals", procs)
			}
		}()
	}
}
