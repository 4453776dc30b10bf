package registry

import (
	"bytes"
	"fmt"
	"strings"
)

// Merge-conflict markers as git writes them, each at the start of a line:
//
//	<<<<<<< ours-label
//	... ours ...
//	||||||| base-label   (diff3 style only)
//	... base ...
//	=======
//	... theirs ...
//	>>>>>>> theirs-label
//
// A JSON document cannot hold a line that starts with one of these inside a
// string (strings cannot span lines), so a marker line is never data.
var (
	markOurs   = []byte("<<<<<<<")
	markBase   = []byte("|||||||")
	markSplit  = []byte("=======")
	markTheirs = []byte(">>>>>>>")
)

// side names one side of every conflict.
type side int

const (
	sideOurs side = iota
	sideTheirs
)

func (s side) String() string {
	if s == sideOurs {
		return "ours (HEAD)"
	}
	return "theirs"
}

// conflicts describes the merge-conflict blocks of a document.
type conflicts struct {
	n     int      // conflict blocks opened
	lines []string // "2-2063" line ranges, 1-based, one per block
}

// isMarker reports whether line (without its newline) starts with mark
// followed by nothing, a space or a carriage return.
func isMarker(line, mark []byte) bool {
	if !bytes.HasPrefix(line, mark) {
		return false
	}
	rest := line[len(mark):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\r' || rest[0] == '\t'
}

// findConflicts reports the conflict blocks of data; n is 0 when it has none.
func findConflicts(data []byte) conflicts {
	var c conflicts
	if !bytes.Contains(data, markOurs) {
		return c
	}
	in, start := false, 0
	lineNo := 0
	for rest := data; len(rest) > 0; {
		lineNo++
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		switch {
		case isMarker(line, markOurs):
			if in { // a new block before the previous one closed
				c.lines = append(c.lines, fmt.Sprintf("%d-%d", start, lineNo-1))
			}
			in, start = true, lineNo
			c.n++
		case in && isMarker(line, markTheirs):
			c.lines = append(c.lines, fmt.Sprintf("%d-%d", start, lineNo))
			in = false
		}
	}
	if in {
		c.lines = append(c.lines, fmt.Sprintf("%d-end", start))
	}
	return c
}

// resolve returns data with every conflict block replaced by the chosen
// side. Lines outside blocks are kept; the base section of diff3-style
// blocks is dropped; an unterminated block runs to the end of the input.
func resolve(data []byte, keep side) []byte {
	const (
		outside = iota
		inOurs
		inBase
		inTheirs
	)
	out := make([]byte, 0, len(data))
	state := outside
	for rest := data; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		bare := bytes.TrimSuffix(line, []byte("\n"))
		switch {
		case isMarker(bare, markOurs):
			state = inOurs
			continue
		case state != outside && isMarker(bare, markBase):
			state = inBase
			continue
		case state != outside && isMarker(bare, markSplit):
			state = inTheirs
			continue
		case state != outside && isMarker(bare, markTheirs):
			state = outside
			continue
		}
		if state == outside || state == inOurs && keep == sideOurs || state == inTheirs && keep == sideTheirs {
			out = append(out, line...)
		}
	}
	return out
}

func (c conflicts) String() string {
	word := "conflict"
	if c.n != 1 {
		word = "conflicts"
	}
	return fmt.Sprintf("%d merge %s at lines %s", c.n, word, strings.Join(c.lines, ", "))
}
