package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heady/heady-metrics/exporter/event"
)

// maxWarnings bounds the warnings of one Parse; the rest are summed up in a
// last one.
const maxWarnings = 32

// Key names Heady uses, in order of preference.
var (
	versionKeys   = []string{"registryVersion", "version", "schemaVersion"}
	updatedKeys   = []string{"updatedAt", "lastUpdated", "updated"}
	scoreKeys     = []string{"overallSystemScore", "systemScore", "overallScore"}
	lastScanKeys  = []string{"lastDeepScan", "lastScan", "lastScanAt", "lastRealtimePoll", "lastCheck", "ts"}
	nameKeys      = []string{"name", "service"}
	healthyKeys   = []string{"lastScanHealthy", "healthy"}
	latencyMsKeys = []string{"lastScanLatencyMs", "latencyMs"}
	statusKeys    = []string{"status", "lastStatus"}
	scannedKeys   = []string{"lastScannedAt", "lastCheckAt", "ts"}
)

// Parse reads one version of the registry. It never panics and runs in time
// linear in len(data), whatever data holds.
//
// Recovery, each reported as a Warning:
//   - merge-conflict markers: the ours (HEAD) side of every conflict is
//     kept, being the branch's own last committed state; if that side does
//     not parse, the theirs side is tried.
//   - text after the first complete top-level value is ignored.
//   - a key repeated in one object: its last value wins, as with
//     JSON.parse, which is how Heady's own services read this file, so the
//     exporter reports what Heady itself sees.
//   - a top-level array (a scan history) is read through its last object.
//   - values of the wrong JSON type are ignored.
//
// When no object can be recovered (not JSON, truncated, nested deeper than
// 128 levels, over MaxDocumentSize) the Snapshot is empty and a warning with
// event.ReasonParseError says why; Unusable reports it.
func Parse(data []byte) (Snapshot, []Warning) {
	var p parser
	p.run(data)
	return p.snap, p.finish()
}

type parser struct {
	snap      Snapshot
	warnings  []Warning
	omitted   int
	badFields map[string]int // "services[].healthy: string" -> occurrences
}

func (p *parser) warn(r event.Reason, format string, args ...any) {
	if len(p.warnings) >= maxWarnings {
		p.omitted++
		return
	}
	p.warnings = append(p.warnings, Warning{Reason: r, Detail: fmt.Sprintf(format, args...)})
}

// bad records a value of the wrong JSON type at a path pattern.
func (p *parser) bad(path string, v any) {
	if p.badFields == nil {
		p.badFields = make(map[string]int)
	}
	p.badFields[path+" is "+jsonType(v)]++
}

func (p *parser) finish() []Warning {
	if len(p.badFields) > 0 {
		keys := make([]string, 0, len(p.badFields))
		for k := range p.badFields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n := p.badFields[k]
			times := ""
			if n > 1 {
				times = fmt.Sprintf(" (%d times)", n)
			}
			p.warn(event.ReasonPartialParse, "%s%s: value ignored", k, times)
		}
	}
	if p.omitted > 0 {
		p.warnings = append(p.warnings, Warning{Reason: event.ReasonPartialParse,
			Detail: fmt.Sprintf("%d further warnings omitted", p.omitted)})
	}
	return p.warnings
}

func (p *parser) run(data []byte) {
	if len(data) > MaxDocumentSize {
		p.warn(event.ReasonParseError, "document is %d bytes, over the %d-byte bound", len(data), MaxDocumentSize)
		return
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark

	var (
		dec decoded
		err error
	)
	if c := findConflicts(data); c.n > 0 {
		dec, err = p.resolveConflicts(data, c)
	} else if dec, err = decodeFirst(data); err == nil {
		p.trailing(data, dec.end, "")
	}
	if err != nil {
		p.warn(event.ReasonParseError, "%v", err)
		return
	}
	for _, d := range dec.dupWarnings {
		p.warn(event.ReasonPartialParse, "%s", d)
	}

	root, ok := dec.root.(*object)
	if !ok {
		arr, isArr := dec.root.([]any)
		if isArr {
			for i := len(arr) - 1; i >= 0 && root == nil; i-- {
				root, _ = arr[i].(*object)
			}
		}
		if root == nil {
			p.warn(event.ReasonParseError, "the top-level value is %s, not an object", jsonType(dec.root))
			return
		}
		p.warn(event.ReasonPartialParse, "the top-level value is an array of %d values: read its last object as the current state", len(arr))
	}
	p.extract(root)
}

// resolveConflicts parses data with every conflict resolved to ours, or
// failing that to theirs.
func (p *parser) resolveConflicts(data []byte, c conflicts) (decoded, error) {
	var firstErr error
	for _, s := range []side{sideOurs, sideTheirs} {
		resolved := resolve(data, s)
		dec, err := decodeFirst(resolved)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if s == sideOurs {
			p.warn(event.ReasonPartialParse, "%s: took the %s side of each", c, s)
		} else {
			p.warn(event.ReasonPartialParse, "%s: took the %s side of each, as the ours side does not parse (%v)", c, s, firstErr)
		}
		p.trailing(resolved, dec.end, " of the resolved text")
		return dec, nil
	}
	return decoded{}, fmt.Errorf("%s and neither side parses: %w", c, firstErr)
}

// trailing warns about non-space text after the first value; of says which
// text the byte offset counts in.
func (p *parser) trailing(data []byte, end int64, of string) {
	if end < 0 || end > int64(len(data)) {
		return
	}
	rest := data[end:]
	if n := len(bytes.TrimSpace(rest)); n > 0 {
		p.warn(event.ReasonPartialParse, "trailing text after the top-level value at byte %d%s ignored (%d bytes)", end, of, n)
	}
}

func (p *parser) extract(root *object) {
	s := &p.snap

	if v, key, ok := firstString(root, versionKeys...); ok {
		s.Version, s.VersionKey = v, key
	} else if meta, ok := get[*object](root, "_meta"); ok {
		if v, _, ok := firstString(meta, "version"); ok {
			s.Version, s.VersionKey = v, "_meta.version"
		}
	}
	s.UpdatedAt = p.firstTime(root, "", updatedKeys)
	if s.UpdatedAt.IsZero() {
		if meta, ok := get[*object](root, "_meta"); ok {
			s.UpdatedAt = p.firstTime(meta, "_meta.", updatedKeys)
		}
	}

	p.score(root)
	newest := p.services(root)
	s.LastScan = p.firstTime(root, "", lastScanKeys)
	if s.LastScan.IsZero() {
		s.LastScan = newest
	}
	p.components(root)
	p.providers(root)
	p.circuitBreakers(root)
}

func (p *parser) score(root *object) {
	for _, k := range scoreKeys {
		v, ok := root.get(k)
		if !ok || v == nil {
			continue
		}
		f, ok := number(v)
		if !ok || f < 0 || math.IsInf(f, 0) {
			p.bad(k, v)
			continue
		}
		if f <= 1 {
			// Round off the binary noise of the scaling (0.07*100 is
			// 7.000000000000001) to 15 significant digits.
			f, _ = strconv.ParseFloat(strconv.FormatFloat(f*100, 'g', 15, 64), 64)
		}
		p.snap.Score, p.snap.HasScore = f, true
		return
	}
}

// services reads the services key in any of its layouts and returns the
// newest per-service scan time.
func (p *parser) services(root *object) time.Time {
	v, ok := root.get("services")
	if !ok || v == nil {
		p.scanTotals(root)
		return time.Time{}
	}
	l := serviceList{index: make(map[string]int)}
	switch x := v.(type) {
	case []any:
		p.snap.ServicesLayout = "list"
		for _, e := range x {
			p.serviceFrom(&l, e, "", "", "services[]")
		}
	case *object:
		kinds := map[string]bool{}
		for _, g := range x.keys {
			gv := x.vals[g]
			switch gx := gv.(type) {
			case []any:
				kinds["grouped-lists"] = true
				for _, e := range gx {
					p.serviceFrom(&l, e, g, "", "services.*[]")
				}
			case *object:
				if isGroup(gx) {
					kinds["grouped-maps"] = true
					for _, k := range gx.keys {
						p.serviceFrom(&l, gx.vals[k], g, k, "services.*.*")
					}
				} else {
					kinds["map"] = true
					p.serviceFrom(&l, gx, "", g, "services.*")
				}
			default:
				kinds["map"] = true
				p.serviceFrom(&l, gx, "", g, "services.*")
			}
		}
		switch len(kinds) {
		case 0:
			p.snap.ServicesLayout = "map"
		case 1:
			for k := range kinds {
				p.snap.ServicesLayout = k
			}
		default:
			p.snap.ServicesLayout = "mixed"
		}
	default:
		p.bad("services", v)
	}
	s := &p.snap
	s.Services = l.list
	s.ServicesRepeated = l.repeated
	var newest time.Time
	for _, svc := range s.Services {
		if svc.Healthy != nil {
			s.ServicesScanned++
			if *svc.Healthy {
				s.ServicesHealthy++
			}
		}
		if svc.ScannedAt.After(newest) {
			newest = svc.ScannedAt
		}
	}
	if l.repeated > 0 {
		p.warn(event.ReasonDuplicate, "%d service entries repeat an earlier id (%s): each service counted once, its last entry wins",
			l.repeated, l.sample())
	}
	if s.ServicesScanned == 0 {
		p.scanTotals(root)
	}
	return newest
}

// scanTotals reads a scan summary (totalCount, healthyCount).
func (p *parser) scanTotals(root *object) {
	total, ok1 := get[json.Number](root, "totalCount")
	healthy, ok2 := get[json.Number](root, "healthyCount")
	if !ok1 || !ok2 {
		return
	}
	t, ok1 := count(total)
	h, ok2 := count(healthy)
	if !ok1 || !ok2 || h > t {
		p.warn(event.ReasonPartialParse, "scan totals healthyCount %s of totalCount %s ignored", healthy, total)
		return
	}
	p.snap.ServicesScanned, p.snap.ServicesHealthy = t, h
}

// isGroup reports whether o is a group of services keyed by name (every
// value an object) rather than one service.
func isGroup(o *object) bool {
	for _, k := range o.keys {
		if _, ok := o.vals[k].(*object); !ok {
			return false
		}
	}
	return true
}

// serviceList collects services, counting a repeated (group, id) once.
type serviceList struct {
	list     []Service
	index    map[string]int
	repeated int
	repeats  []string
}

func (l *serviceList) add(s Service) {
	id := s.ID
	if id == "" {
		id = s.Name
	}
	if id == "" {
		l.list = append(l.list, s)
		return
	}
	key := s.Group + "\x00" + id
	if i, ok := l.index[key]; ok {
		l.list[i] = s
		l.repeated++
		l.repeats = append(l.repeats, id)
		return
	}
	l.index[key] = len(l.list)
	l.list = append(l.list, s)
}

func (l *serviceList) sample() string { return sampleIDs(l.repeats) }

// serviceFrom reads one service entry: a row object or a bare name. key is
// its key when services (or its group) is an object.
func (p *parser) serviceFrom(l *serviceList, v any, group, key, path string) {
	s := Service{Group: group, ID: key}
	switch x := v.(type) {
	case string:
		if key == "" {
			s.ID, s.Name = x, x
		} else {
			s.Status = x
		}
	case *object:
		if id, ok := x.get("id"); ok {
			if str, ok := scalarString(id); ok {
				s.ID = str
			} else if id != nil {
				p.bad(path+".id", id)
			}
		}
		if n, _, ok := firstString(x, nameKeys...); ok {
			s.Name = n
		}
		if st, _, ok := firstString(x, statusKeys...); ok {
			s.Status = st
		}
		if c, ok := x.get("critical"); ok && c != nil {
			if b, ok := c.(bool); ok {
				s.Critical = &b
			} else {
				p.bad(path+".critical", c)
			}
		}
		for _, k := range healthyKeys {
			h, ok := x.get(k)
			if !ok || h == nil {
				continue
			}
			if b, ok := h.(bool); ok {
				s.Healthy = &b
				break
			}
			p.bad(path+"."+k, h)
		}
		for _, k := range latencyMsKeys {
			ms, ok := x.get(k)
			if !ok || ms == nil {
				continue
			}
			if f, ok := number(ms); ok && f >= 0 && !math.IsInf(f, 0) {
				sec := f / 1000
				s.LatencySeconds = &sec
				break
			}
			p.bad(path+"."+k, ms)
		}
		s.ScannedAt = p.firstTime(x, path+".", scannedKeys)
	case nil:
		if key == "" {
			return
		}
	default:
		p.bad(path, v)
		return
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	l.add(s)
}

// components counts the components list (an array of entries with id,
// status and criticality, or an object keyed by id) by status and
// criticality, each id once.
func (p *parser) components(root *object) {
	v, ok := root.get("components")
	if !ok || v == nil {
		return
	}
	type entry struct{ status, crit string }
	var (
		entries  []entry
		index    = make(map[string]int)
		repeated []string
	)
	add := func(id string, e entry) {
		if id == "" {
			entries = append(entries, e)
			return
		}
		if i, ok := index[id]; ok {
			entries[i] = e // the last entry wins
			repeated = append(repeated, id)
			return
		}
		index[id] = len(entries)
		entries = append(entries, e)
	}
	read := func(id string, v any, path string) {
		switch x := v.(type) {
		case *object:
			if raw, ok := x.get("id"); ok && raw != nil {
				if s, ok := scalarString(raw); ok {
					id = s
				} else {
					p.bad(path+".id", raw)
				}
			}
			var e entry
			e.status, _, _ = firstString(x, "status")
			e.crit, _, _ = firstString(x, "criticality")
			add(id, e)
		case string:
			if id == "" {
				id = x
			}
			add(id, entry{})
		default:
			p.bad(path, v)
		}
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			read("", e, "components[]")
		}
	case *object:
		for _, k := range x.keys {
			read(k, x.vals[k], "components.*")
		}
	default:
		p.bad("components", v)
		return
	}
	s := &p.snap
	s.HasComponents = true
	counts := make(map[entry]int)
	for _, e := range entries {
		counts[e]++
	}
	for e, n := range counts {
		s.Components = append(s.Components, ComponentCount{Status: e.status, Criticality: e.crit, Count: n})
	}
	sort.Slice(s.Components, func(i, j int) bool {
		a, b := s.Components[i], s.Components[j]
		if a.Status != b.Status {
			return a.Status < b.Status
		}
		return a.Criticality < b.Criticality
	})
	if len(repeated) > 0 {
		s.ComponentsRepeated = len(repeated)
		p.warn(event.ReasonDuplicate, "%d component entries repeat an earlier id (%s): each component counted once, its last entry wins",
			len(repeated), sampleIDs(repeated))
	}
}

// providers lists cloudProviders and every "provider" named in the tree.
func (p *parser) providers(root *object) {
	var out []Provider
	seen := make(map[Provider]bool)
	addp := func(pr Provider) {
		k := Provider{Name: pr.Name, Kind: pr.Kind}
		if pr.Name == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, pr)
	}
	if v, ok := root.get("cloudProviders"); ok && v != nil {
		switch x := v.(type) {
		case *object:
			for _, k := range x.keys {
				pr := Provider{Name: k, Kind: ProviderCloud}
				if o, ok := x.vals[k].(*object); ok {
					pr.Status, _, _ = firstString(o, "status")
				}
				addp(pr)
			}
		case []any:
			for _, e := range x {
				pr := Provider{Kind: ProviderCloud}
				switch ex := e.(type) {
				case string:
					pr.Name = ex
				case *object:
					pr.Name, _, _ = firstString(ex, "name", "id")
					pr.Status, _, _ = firstString(ex, "status")
				}
				addp(pr)
			}
		default:
			p.bad("cloudProviders", v)
		}
	}
	walk(root, func(key string, v any) bool {
		if key == "cloudProviders" {
			return false
		}
		if key == "provider" {
			if s, ok := v.(string); ok && s != "" {
				addp(Provider{Name: s, Kind: ProviderAI})
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	p.snap.Providers = out
}

// circuitBreakers reads patternsSummary.circuitBreakers, or the first
// circuitBreakers key found in document order.
func (p *parser) circuitBreakers(root *object) {
	var found any
	if ps, ok := get[*object](root, "patternsSummary"); ok {
		found, _ = ps.get("circuitBreakers")
	}
	if found == nil {
		walk(root, func(key string, v any) bool {
			if found == nil && key == "circuitBreakers" && v != nil {
				found = v
			}
			return found == nil
		})
	}
	switch x := found.(type) {
	case nil:
		return
	case json.Number:
		n, ok := count(x)
		if !ok {
			p.bad("circuitBreakers", x)
			return
		}
		p.snap.CircuitBreakers = n
	case []any:
		p.snap.CircuitBreakers = len(x)
	case *object:
		p.snap.CircuitBreakers = len(x.keys)
	default:
		p.bad("circuitBreakers", x)
		return
	}
	p.snap.HasCircuitBreakers = true
}

// firstTime returns the first of keys holding a readable timestamp.
func (p *parser) firstTime(o *object, path string, keys []string) time.Time {
	for _, k := range keys {
		v, ok := o.get(k)
		if !ok || v == nil || v == "" {
			continue
		}
		if t, ok := parseTime(v); ok {
			return t
		}
		p.bad(path+k, v)
	}
	return time.Time{}
}

// walk calls fn for every key and value under v, depth first in document
// order; fn returns false to skip a value's children. The tree's depth is
// bounded by decodeFirst.
func walk(v any, fn func(key string, v any) bool) {
	switch x := v.(type) {
	case *object:
		for _, k := range x.keys {
			c := x.vals[k]
			if fn(k, c) {
				walk(c, fn)
			}
		}
	case []any:
		for _, c := range x {
			walk(c, fn)
		}
	}
}

// get returns o[key] when it holds a T.
func get[T any](o *object, key string) (T, bool) {
	v, ok := o.get(key)
	t, isT := v.(T)
	return t, ok && isT
}

// firstString returns the first of keys holding a non-empty string (or a
// number, as text), and that key.
func firstString(o *object, keys ...string) (string, string, bool) {
	for _, k := range keys {
		if v, ok := o.get(k); ok {
			if s, ok := scalarString(v); ok && s != "" {
				return s, k, true
			}
		}
	}
	return "", "", false
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil && !math.IsNaN(f)
}

// count reads a non-negative whole number that fits an int32.
func count(n json.Number) (int, bool) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f > math.MaxInt32 || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case *object:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// sampleIDs lists up to three ids and how many more.
func sampleIDs(ids []string) string {
	const show = 3
	if len(ids) <= show {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:show], ", "), len(ids)-show)
}
