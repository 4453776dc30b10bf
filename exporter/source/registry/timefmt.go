package registry

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// zonedLayouts and bareLayouts are the timestamp strings found in Heady's
// registries and health files. Bare layouts carry no zone and are read as
// UTC.
var (
	zonedLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05.999999999Z07:00"}
	bareLayouts  = []string{
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		"2006-01-02",
	}
)

// epochMillisAbove separates epoch seconds from epoch milliseconds: a number
// above it is read as milliseconds (1e11 s is the year 5138; 1e11 ms is
// 1973).
const epochMillisAbove = 1e11

// parseTime reads a timestamp value of the tree: an RFC 3339 string (with or
// without fraction, any offset), a zone-less date-time or date (UTC), or an
// epoch number in seconds or milliseconds. ok is false for anything else,
// including null and "".
func parseTime(v any) (t time.Time, ok bool) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return time.Time{}, false
		}
		for _, l := range zonedLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), true
			}
		}
		for _, l := range bareLayouts {
			if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
				return t, true
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return epochTime(f)
		}
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return epochTime(f)
		}
	}
	return time.Time{}, false
}

// epochTime reads epoch seconds or milliseconds to the millisecond.
func epochTime(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return time.Time{}, false
	}
	ms := f
	if f <= epochMillisAbove {
		ms = f * 1000
	}
	if ms > 1e16 { // beyond the year 300000: not a timestamp
		return time.Time{}, false
	}
	return time.UnixMilli(int64(math.Round(ms))).UTC(), true
}
