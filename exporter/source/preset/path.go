package preset

import (
	"fmt"
	"strconv"
	"strings"
)

// A path addresses a value inside a line's JSON object: keys separated by
// dots, with [N] (element N of an array) and [*] (every element: the emit
// fans out, one event per element) after a key. Examples: ts,
// routing.tier.provider, toolsExecuted[*], Results[*].Status, a.b[0].c.
type step struct {
	key   string
	index int // -1: a key step; -2: [*]; >= 0: [N]
}

const stepStar = -2

func parsePath(s string) ([]step, error) {
	if s == "" {
		return nil, fmt.Errorf("empty path")
	}
	var out []step
	i := 0
	for i < len(s) {
		// a key
		j := i
		for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != ']' {
			j++
		}
		if j == i {
			return nil, fmt.Errorf("bad path %q: empty key at offset %d", s, i)
		}
		out = append(out, step{key: s[i:j], index: -1})
		i = j
		for i < len(s) && s[i] == '[' {
			k := strings.IndexByte(s[i:], ']')
			if k < 0 {
				return nil, fmt.Errorf("bad path %q: unclosed [", s)
			}
			in := s[i+1 : i+k]
			switch n, err := strconv.Atoi(in); {
			case in == "*":
				out = append(out, step{index: stepStar})
			case err == nil && n >= 0 && in[0] != '+':
				out = append(out, step{index: n})
			default:
				return nil, fmt.Errorf("bad path %q: [%s] is neither [*] nor an array index", s, in)
			}
			i += k + 1
		}
		if i == len(s) {
			break
		}
		if s[i] != '.' || i+1 == len(s) {
			return nil, fmt.Errorf("bad path %q: unexpected %q at offset %d", s, s[i], i)
		}
		i++
	}
	return out, nil
}

// node is one step of the trie of every path a mapping reads. The scanner
// walks a line and the trie together, skipping every value no path needs.
type node struct {
	key   string
	index int     // as step.index, for array children
	keys  []*node // object members by key
	idx   []*node // array elements by index
	elem  *node   // [*]: every element; then fan is this array's fan id
	fan   int     // fan id of this array node (elem != nil), else -1
	slot  int     // value slot, or -1
	// inFan is the fan id of the nearest [*] above this node, or -1.
	inFan int
	// fanSlots lists the slots below elem, reset when the array is entered.
	fanSlots []int
}

func newNode(inFan int) *node { return &node{index: -1, fan: -1, slot: -1, inFan: inFan} }

// member returns n's child for the object key, or nil.
func (n *node) member(key string) *node {
	for _, c := range n.keys {
		if c.key == key {
			return c
		}
	}
	return nil
}

// element returns n's child for the array index i, or nil.
func (n *node) element(i int) *node {
	for _, c := range n.idx {
		if c.index == i {
			return c
		}
	}
	return nil
}

// ref is a compiled path: its value slot and the fan it belongs to (-1).
type ref struct {
	slot int
	fan  int
	text string // the path as written, for errors
}

// trie assigns slots and fans to paths.
type trie struct {
	root   *node
	slots  int
	fans   int
	byPath map[string]ref
	// slotFan[s] is the fan id of slot s (-1 if not under a [*]).
	slotFan []int
	fanPath []string
}

func newTrie() *trie {
	return &trie{root: newNode(-1), byPath: map[string]ref{}}
}

// add registers a path and returns its ref.
func (t *trie) add(s string) (ref, error) {
	if r, ok := t.byPath[s]; ok {
		return r, nil
	}
	steps, err := parsePath(s)
	if err != nil {
		return ref{}, err
	}
	n := t.root
	for i, st := range steps {
		switch st.index {
		case -1:
			c := n.member(st.key)
			if c == nil {
				c = newNode(n.inFan)
				c.key = st.key
				n.keys = append(n.keys, c)
			}
			n = c
		case stepStar:
			if n.inFan >= 0 {
				return ref{}, fmt.Errorf("bad path %q: only one [*] per path", s)
			}
			if len(n.idx) > 0 {
				return ref{}, fmt.Errorf("bad path %q: the array %s is read both with [*] and with an index", s, pathPrefix(steps[:i]))
			}
			if n.elem == nil {
				n.fan = t.fans
				t.fans++
				t.fanPath = append(t.fanPath, pathPrefix(steps[:i]))
				n.elem = newNode(n.fan)
			}
			n = n.elem
		default:
			if n.elem != nil {
				return ref{}, fmt.Errorf("bad path %q: the array %s is read both with [*] and with an index", s, pathPrefix(steps[:i]))
			}
			c := n.element(st.index)
			if c == nil {
				c = newNode(n.inFan)
				c.index = st.index
				n.idx = append(n.idx, c)
			}
			n = c
		}
	}
	if n.slot < 0 {
		n.slot = t.slots
		t.slots++
		t.slotFan = append(t.slotFan, n.inFan)
	}
	r := ref{slot: n.slot, fan: n.inFan, text: s}
	t.byPath[s] = r
	return r, nil
}

// finish records, on each fanned array, the slots below it.
func (t *trie) finish() {
	var walk func(n *node, arr *node)
	walk = func(n *node, arr *node) {
		if arr != nil && n.slot >= 0 {
			arr.fanSlots = append(arr.fanSlots, n.slot)
		}
		for _, c := range n.keys {
			walk(c, arr)
		}
		for _, c := range n.idx {
			walk(c, arr)
		}
		if n.elem != nil {
			walk(n.elem, n)
		}
	}
	walk(t.root, nil)
}

func pathPrefix(steps []step) string {
	var b strings.Builder
	for i, st := range steps {
		switch st.index {
		case -1:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(st.key)
		case stepStar:
			b.WriteString("[*]")
		default:
			fmt.Fprintf(&b, "[%d]", st.index)
		}
	}
	return b.String()
}
