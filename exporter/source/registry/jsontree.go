package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bounds on what the decoder accepts. They keep Parse linear in its input and
// its memory bounded whatever the bytes are; the largest real registry is
// 77 kB, ~9k tokens and 8 levels deep.
const (
	// MaxDocumentSize is the largest document Parse reads (64 MiB).
	MaxDocumentSize = 64 << 20
	// maxDepth is the deepest nesting of arrays and objects accepted.
	maxDepth = 128
	// maxTokens is the most JSON tokens (scalars, delimiters, keys) accepted.
	maxTokens = 4 << 20
)

// object is a decoded JSON object that keeps its key order. A repeated key
// keeps the position of its first occurrence and the value of its last, as
// JavaScript's JSON.parse does.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) get(key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[key]
	return v, ok
}

// The decoded tree holds *object, []any, string, json.Number, bool and nil.

// frame is one open container of the decoder's explicit stack.
type frame struct {
	obj     *object
	arr     []any
	key     string // current key of obj, valid when haveKey
	haveKey bool
	name    string         // the key or index this container sits under in its parent
	dups    map[string]int // key -> occurrences beyond the first
}

// decoded is the outcome of reading the first JSON value of a document.
type decoded struct {
	root any
	// end is the byte offset just after the first value.
	end int64
	// dupWarnings describe repeated object keys, one per object holding any.
	dupWarnings []string
}

// errSyntax wraps every reason the first value could not be read.
var errSyntax = errors.New("invalid JSON")

// decodeFirst reads the first complete JSON value of data into a tree,
// detecting repeated object keys (which map decoding would hide) and
// enforcing maxDepth and maxTokens. Text after the value is not read.
func decodeFirst(data []byte) (decoded, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()

	var (
		out    decoded
		stack  []*frame
		tokens int
	)
	// place stores a finished value in the container on top of the stack, or
	// makes it the root; it reports whether the root is complete.
	place := func(v any) bool {
		if len(stack) == 0 {
			out.root = v
			return true
		}
		top := stack[len(stack)-1]
		if top.obj != nil {
			if _, seen := top.obj.vals[top.key]; seen {
				if top.dups == nil {
					top.dups = make(map[string]int)
				}
				top.dups[top.key]++
			} else {
				top.obj.keys = append(top.obj.keys, top.key)
			}
			top.obj.vals[top.key] = v
			top.haveKey = false
			return false
		}
		top.arr = append(top.arr, v)
		return false
	}
	childName := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if top.obj != nil {
			return "." + quoteKey(top.key)
		}
		return "[" + strconv.Itoa(len(top.arr)) + "]"
	}

	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if len(stack) == 0 {
					return out, fmt.Errorf("%w: no JSON value in the document", errSyntax)
				}
				err = io.ErrUnexpectedEOF
			}
			return out, fmt.Errorf("%w at byte %d: %v", errSyntax, dec.InputOffset(), err)
		}
		tokens++
		if tokens > maxTokens {
			return out, fmt.Errorf("%w: more than %d tokens", errSyntax, maxTokens)
		}

		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.obj != nil && !top.haveKey {
				// The decoder guarantees a string or '}' here.
				if key, ok := tok.(string); ok {
					top.key, top.haveKey = key, true
					continue
				}
			}
		}

		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxDepth {
					return out, fmt.Errorf("%w: nesting deeper than %d levels at byte %d", errSyntax, maxDepth, dec.InputOffset())
				}
				f := &frame{name: childName()}
				if t == '{' {
					f.obj = &object{vals: make(map[string]any)}
				}
				stack = append(stack, f)
				continue
			case '}', ']':
				f := stack[len(stack)-1]
				if len(f.dups) > 0 {
					out.dupWarnings = append(out.dupWarnings, dupDetail(stack, f))
				}
				stack = stack[:len(stack)-1]
				var v any
				if f.obj != nil {
					v = f.obj
				} else {
					if f.arr == nil {
						f.arr = []any{}
					}
					v = f.arr
				}
				if place(v) {
					out.end = dec.InputOffset()
					return out, nil
				}
			}
		default:
			if place(tok) {
				out.end = dec.InputOffset()
				return out, nil
			}
		}
	}
}

// dupDetail describes the repeated keys of the object f (the top of stack).
func dupDetail(stack []*frame, f *frame) string {
	var path strings.Builder
	path.WriteString("$")
	for _, s := range stack {
		path.WriteString(s.name)
	}
	keys := make([]string, 0, len(f.dups))
	for _, k := range f.obj.keys { // document order
		if n, ok := f.dups[k]; ok {
			keys = append(keys, fmt.Sprintf("%q (%d times)", k, n+1))
		}
	}
	word := "key"
	if len(keys) > 1 {
		word = "keys"
	}
	return fmt.Sprintf("duplicate %s in %s: %s; the last value of each wins, as with JSON.parse, the reader Heady itself uses",
		word, path.String(), strings.Join(keys, ", "))
}

// quoteKey renders an object key for a path: bare when it is a simple
// identifier, quoted otherwise.
func quoteKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return strconv.Quote(k)
		}
	}
	return k
}
