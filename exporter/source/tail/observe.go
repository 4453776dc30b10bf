package tail

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry is one followed stream: its committed position plus what the
// follower keeps in memory about it.
type entry struct {
	pos  Position
	fp   [sha256.Size]byte // decoded pos.Fingerprint
	head []byte            // the stream's first pos.FPLen bytes, nil until read

	f          *os.File // descriptor held for a plain file not yet finished
	fdev, fino uint64

	// Bytes after pos.Offset read but not yet delivered (a line without
	// its newline), from the file identified by cacheKey. readOff is the
	// offset just past them.
	pending  []byte
	readOff  int64
	cacheKey fileKey

	// gzDone is the .gz file last read to its end: while it is unchanged
	// there is nothing more to read from it.
	gzDone statKey
	gzErr  *FileError // how reading gzDone ended, if in error
	gzCut  bool       // gzDone ended early, not yet reported (not idle then)

	reader *obs // the file this stream is read from in the current poll
}

type fileKey struct {
	dev, ino uint64
	gz       bool
}

type statKey struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

func (e *entry) closeFile() {
	if e.f != nil {
		_ = e.f.Close() // read only: closing loses nothing
		e.f = nil
	}
}

func (e *entry) dropCache() {
	e.pending = nil
	e.readOff = e.pos.Offset
}

// setHead makes head (a verified prefix of the stream's content) the
// fingerprint.
func (e *entry) setHead(head []byte) {
	e.head = bytes.Clone(head)
	e.fp = sha256.Sum256(e.head)
	e.pos.FPLen = len(e.head)
	e.pos.Fingerprint = hex.EncodeToString(e.fp[:])
}

// obs is one file seen in the current poll.
type obs struct {
	path        string
	dev, ino    uint64
	size        int64 // bytes; compressed size for .gz
	mtime       time.Time
	gz          bool
	head        []byte
	f           *os.File // open descriptor
	owner       *entry   // set for a descriptor held by owner whose file is no longer at any matched path
	assigned    *entry
	hashes      map[int][sha256.Size]byte
	gzTruncated bool // the .gz ended before its head was complete
}

func (o *obs) unreachable() bool { return o.owner != nil }

func (o *obs) key() statKey {
	return statKey{o.dev, o.ino, o.size, o.mtime.UnixNano()}
}

func (o *obs) hash(n int) [sha256.Size]byte {
	if h, ok := o.hashes[n]; ok {
		return h
	}
	if o.hashes == nil {
		o.hashes = map[int][sha256.Size]byte{}
	}
	h := sha256.Sum256(o.head[:n])
	o.hashes[n] = h
	return h
}

type matchKind int

const (
	noMatch   matchKind = iota
	fullMatch           // o starts with the stream's fingerprinted bytes
	prefixOf            // o is shorter and all of it is a prefix of the stream
)

func match(e *entry, o *obs) matchKind {
	n := e.pos.FPLen
	if len(o.head) >= n {
		if e.head != nil {
			if bytes.Equal(o.head[:n], e.head) {
				return fullMatch
			}
			return noMatch
		}
		if o.hash(n) == e.fp {
			return fullMatch
		}
		return noMatch
	}
	if e.head != nil && len(o.head) > 0 && bytes.HasPrefix(e.head, o.head) {
		return prefixOf
	}
	return noMatch
}

// scan lists the files matched by the configured paths, opened, with their
// heads, and the files still held open by entries but no longer at any
// matched path. maxMtime is the newest modification time among the matched
// plain files, empty ones included: .gz files are never written to, and
// gzip gives them the mtime of the file they compress anyway.
func (f *Follower) scan() (list []*obs, maxMtime time.Time) {
	var paths []string
	seenPath := map[string]bool{}
	f.matched, f.unmatched = 0, f.unmatched[:0]
	for _, pat := range f.cfg.Paths {
		ms, _ := filepath.Glob(pat) // the only error is ErrBadPattern, checked in New
		if len(ms) == 0 {
			f.unmatched = append(f.unmatched, pat)
		}
		if len(ms) == 0 && !hasMeta(pat) {
			if _, err := os.Lstat(pat); err != nil && !errors.Is(err, os.ErrNotExist) {
				f.report(newFileError(pat, "stat", err))
			}
		}
		for _, m := range ms {
			if !seenPath[m] {
				seenPath[m] = true
				paths = append(paths, m)
			}
		}
	}
	slices.Sort(paths)
	seenID := map[[2]uint64]bool{}
	for _, p := range paths {
		o := f.observe(p)
		if o == nil {
			continue
		}
		if !o.gz && o.mtime.After(maxMtime) {
			maxMtime = o.mtime
		}
		id := [2]uint64{o.dev, o.ino}
		if o.ino != 0 {
			if seenID[id] { // a second name of a file already seen
				_ = o.f.Close() // read only
				continue
			}
			seenID[id] = true
		}
		f.matched++
		if len(o.head) == 0 { // empty: nothing to identify it by yet
			_ = o.f.Close() // read only
			continue
		}
		list = append(list, o)
	}
	for _, e := range f.entries {
		if e.f == nil || seenID[[2]uint64{e.fdev, e.fino}] {
			continue
		}
		o := &obs{path: e.pos.Path, dev: e.fdev, ino: e.fino, f: e.f, owner: e}
		fi, err := e.f.Stat()
		if err != nil {
			f.report(newFileError(e.pos.Path, "stat", err))
			e.closeFile()
			continue
		}
		o.size, o.mtime = fi.Size(), fi.ModTime()
		if err := readHead(o); err != nil {
			f.report(newFileError(e.pos.Path, "read", err))
			e.closeFile()
			continue
		}
		list = append(list, o)
	}
	return list, maxMtime
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// openFile opens the files followed; tests replace it to inject failures
// (a permission denied that root, which CI runs as, never meets).
var openFile = os.OpenFile

// observe opens path and reads its head. It returns nil for files that
// are not regular or cannot be read (reported).
func (f *Follower) observe(path string) *obs {
	fh, err := openFile(path, openFlags, 0)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) { // vanished since the glob: not an error
			f.report(newFileError(path, "open", err))
		}
		return nil
	}
	fi, err := fh.Stat()
	if err != nil {
		_ = fh.Close() // read only
		f.report(newFileError(path, "stat", err))
		return nil
	}
	if !fi.Mode().IsRegular() {
		_ = fh.Close() // read only
		return nil
	}
	o := &obs{path: path, size: fi.Size(), mtime: fi.ModTime(), f: fh, gz: strings.HasSuffix(path, ".gz")}
	o.dev, o.ino = fileID(fi)
	if o.gz {
		if h, ok := f.gzHeads[o.key()]; ok {
			o.head = h
			return o
		}
	}
	if err := readHead(o); err != nil {
		_ = fh.Close() // read only
		f.report(newFileError(path, opOf(o), err))
		return nil
	}
	if o.gz && !o.gzTruncated {
		f.gzHeads[o.key()] = o.head
	}
	return o
}

func opOf(o *obs) string {
	if o.gz {
		return "gzip"
	}
	return "read"
}

// readHead reads the first FingerprintBytes bytes of o's content.
func readHead(o *obs) error {
	buf := make([]byte, FingerprintBytes)
	if !o.gz {
		n, err := o.f.ReadAt(buf, 0)
		if err != nil && err != io.EOF {
			return err
		}
		o.head = buf[:n]
		return nil
	}
	if _, err := o.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zr, err := gzip.NewReader(o.f)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF { // empty or header not written yet
			o.gzTruncated = true
			return nil
		}
		return err
	}
	n, err := io.ReadFull(zr, buf)
	switch err {
	case nil, io.EOF:
	case io.ErrUnexpectedEOF:
		// Either a short stream or one still being written: which one
		// is known only at the end of the stream.
		if _, err := io.Copy(io.Discard, zr); err != nil {
			if err != io.ErrUnexpectedEOF {
				return err
			}
			o.gzTruncated = true
		}
	default:
		return err
	}
	o.head = buf[:n]
	return nil
}
