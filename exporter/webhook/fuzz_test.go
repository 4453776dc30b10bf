package webhook

import (
	"bytes"
	"testing"

	"github.com/heady/heady-metrics/exporter/event"
)

// FuzzDecodeBody checks the webhook's body decoding on any bytes: no panic;
// either an error, or one report per rejected event (in order, with a
// reason), or lines that are single canonical lines the decoder accepts,
// one per event.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{deploy, "[" + deploy + "," + deploy + "]", "[]", "{}", `[{"ts":1,"type":"merge"},42,"x",null]`,
		"[\n {\"ts\": \"2026-11-20T11:00:00+01:00\",\n  \"type\": \"coverage\", \"ratio\": 0.5, \"note\": \"a\\nb\"}\n]", "\xef\xbb\xbf{}", `[[[[[[]]]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lines, bad, err := decodeBody(body, 4096)
		if err != nil {
			return
		}
		if len(lines) == 0 {
			t.Fatal("no error and no events")
		}
		for i, r := range bad {
			if r.Reason == "" || r.Index < 0 || r.Index >= len(lines) || i > 0 && bad[i-1].Index >= r.Index {
				t.Fatalf("bad report %d: %+v of %d events", i, r, len(lines))
			}
		}
		if len(bad) > 0 {
			return
		}
		var d event.Decoder
		var ev event.Event
		for _, l := range lines {
			if bytes.ContainsAny(l, "\n\r") {
				t.Fatalf("spool line with a line break: %q", l)
			}
			if r := d.Decode(l, &ev); r != "" {
				t.Fatalf("accepted line %q does not decode: %s", l, r)
			}
		}
	})
}
