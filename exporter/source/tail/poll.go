package tail

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
)

// Poll does one round synchronously: it looks at every matched file and
// reads each, oldest first, up to its current end, handing fn batches of at
// most Config.BatchLines lines. It returns ctx's error if ctx is done and
// the error of fn if fn fails; the batch fn failed on is not committed and
// is delivered again by the next Poll. File errors are not returned (see
// Config.OnError).
//
// Calling Poll until it delivers nothing reads every source once to the end.
func (f *Follower) Poll(ctx context.Context, fn func(Batch) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := f.now()
	f.seen = map[string]bool{}
	list, maxMtime := f.scan()
	defer func() {
		for _, o := range list {
			if o.f != nil && o.owner == nil {
				_ = o.f.Close() // read only: closing loses nothing
			}
		}
	}()
	f.assign(list, now)

	heads := make(map[statKey][]byte, len(f.gzHeads))
	for _, o := range list {
		if h, ok := f.gzHeads[o.key()]; ok && o.gz {
			heads[o.key()] = h
		}
	}
	f.gzHeads = heads

	var todo []*entry
	for _, e := range f.entries {
		if e.reader != nil {
			todo = append(todo, e)
		}
	}
	// Oldest first; on equal mtimes the stream known longest first.
	slices.SortStableFunc(todo, func(a, b *entry) int {
		return a.reader.mtime.Compare(b.reader.mtime)
	})
	for _, e := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.read(e, now, maxMtime, fn); err != nil {
			return err
		}
	}
	for p := range f.errs {
		if !f.seen[p] {
			delete(f.errs, p)
		}
	}
	return nil
}

// assign decides which file each stream is read from this poll, creates
// streams for new files and forgets streams gone for too long.
func (f *Follower) assign(list []*obs, now time.Time) {
	for _, e := range f.entries {
		e.reader = nil
	}
	type pair struct {
		e *entry
		o *obs
	}
	var pairs []pair
	for _, e := range f.entries {
		for _, o := range list {
			if o.owner != nil && o.owner != e {
				continue
			}
			if match(e, o) != fullMatch {
				continue
			}
			if !o.gz && o.size < e.pos.Offset {
				continue // shorter than what was read: not (yet) this stream
			}
			pairs = append(pairs, pair{e, o})
		}
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		sameA := a.o.ino != 0 && a.o.ino == a.e.pos.Ino && a.o.dev == a.e.pos.Dev
		sameB := b.o.ino != 0 && b.o.ino == b.e.pos.Ino && b.o.dev == b.e.pos.Dev
		return cmp.Or(
			cmp.Compare(b2i(sameB), b2i(sameA)),
			cmp.Compare(b.e.pos.FPLen, a.e.pos.FPLen),
			cmp.Compare(b2i(!b.o.gz), b2i(!a.o.gz)),
			cmp.Compare(b2i(b.o.path == b.e.pos.Path), b2i(a.o.path == a.e.pos.Path)),
			cmp.Compare(b.o.size, a.o.size),
			strings.Compare(a.o.path, b.o.path),
			strings.Compare(a.e.pos.Path, b.e.pos.Path),
		)
	})
	for _, p := range pairs {
		if p.e.reader == nil && p.o.assigned == nil {
			p.e.reader, p.o.assigned = p.o, p.e
		}
	}

	// Files no stream reads: copies of a stream, or new files.
	var rest []*obs
	for _, o := range list {
		if o.assigned == nil && o.owner == nil {
			rest = append(rest, o)
		}
	}
	slices.SortStableFunc(rest, func(a, b *obs) int {
		return cmp.Or(
			cmp.Compare(b2i(a.gz), b2i(b.gz)),
			a.mtime.Compare(b.mtime),
			strings.Compare(a.path, b.path),
		)
	})
	for _, o := range rest {
		if f.isCopy(o) {
			continue
		}
		if o.gzTruncated && len(o.head) < FingerprintBytes && now.Sub(o.mtime) < f.cfg.IdleFinal {
			continue // a .gz still being written: its head may grow into a known stream's
		}
		e := &entry{pos: Position{Path: o.path}}
		e.setHead(o.head)
		e.reader, o.assigned = o, e
		f.entries = append(f.entries, e)
	}

	kept := f.entries[:0]
	for _, e := range f.entries {
		o := e.reader
		if o == nil {
			e.closeFile()
			if e.pos.GoneSince == 0 {
				e.pos.GoneSince = now.UnixMilli()
			}
			if now.Sub(time.UnixMilli(e.pos.GoneSince)) >= f.cfg.ForgetAfter {
				continue
			}
			kept = append(kept, e)
			continue
		}
		kept = append(kept, e)
		e.pos.GoneSince = 0
		if o.owner == nil {
			e.pos.Path = o.path
		}
		e.pos.Dev, e.pos.Ino = o.dev, o.ino
		if len(o.head) > e.pos.FPLen || e.head == nil {
			e.setHead(o.head) // o starts with the fingerprinted bytes
		}
		if k := (fileKey{o.dev, o.ino, o.gz}); k != e.cacheKey {
			e.cacheKey = k
			e.dropCache()
		}
		switch {
		case o.gz:
			e.closeFile()
		case e.f != nil && e.fdev == o.dev && e.fino == o.ino:
			// keep the descriptor already held
		default:
			e.closeFile()
			e.f, e.fdev, e.fino = o.f, o.dev, o.ino
			o.f = nil // the entry owns it now
		}
	}
	clear(f.entries[len(kept):])
	f.entries = kept
}

// isCopy reports whether o, read by no stream, holds content of a known
// stream rather than being a new file.
func (f *Follower) isCopy(o *obs) bool {
	for _, e := range f.entries {
		switch match(e, o) {
		case prefixOf:
			return true // a copy or .gz in progress, or too short to tell yet
		case fullMatch:
			r := e.reader
			// A plain file longer than the one the stream is read from
			// cannot be its copy: it is a new file with the same start.
			if o.gz || r == nil || r.gz || o.size <= r.size {
				return true
			}
		}
	}
	return false
}

// cursor is the uncommitted state of the stream being read.
type cursor struct {
	off     int64 // start of the next line (or inside a skipped long line)
	lines   int64
	skip    bool
	readOff int64 // bytes read; off + len(pending) when not skipping
}

// read reads e from its reader up to the reader's current end.
func (f *Follower) read(e *entry, now, maxMtime time.Time, fn func(Batch) error) error {
	o := e.reader
	st := cursor{off: e.pos.Offset, lines: e.pos.Lines, skip: e.pos.InLongLine, readOff: e.readOff}
	if st.skip || st.readOff != st.off+int64(len(e.pending)) {
		e.pending = e.pending[:0]
		st.readOff = st.off
	}
	r := run{f: f, e: e, st: st, start: st, fn: fn}

	var finished bool
	if o.gz {
		if e.gzDone == o.key() {
			if e.gzErr == nil && e.gzCut && now.Sub(o.mtime) >= f.cfg.IdleFinal {
				e.gzErr = newFileError(o.path, "gzip", io.ErrUnexpectedEOF)
			}
			if e.gzErr != nil {
				f.report(e.gzErr) // still current
			}
			return nil
		}
		done, clean, err := r.readGzip(o)
		if err != nil {
			return err
		}
		if done {
			e.gzDone, e.gzErr, e.gzCut = o.key(), r.err, r.cut && r.err == nil
		}
		finished = clean
	} else {
		atEnd, mtime, err := r.readPlain()
		if err != nil {
			return err
		}
		finished = atEnd && now.Sub(mtime) >= f.cfg.IdleFinal &&
			(o.unreachable() || mtime.Before(maxMtime))
	}
	if finished && r.err == nil {
		if r.st.skip {
			r.st.skip = false
		} else if len(e.pending) > 0 {
			if err := r.addLine(e.pending, nil); err != nil {
				return err
			}
			r.st.off = r.st.readOff
			e.pending = e.pending[:0]
		}
	}
	if err := r.flush(); err != nil {
		return err
	}
	if cap(e.pending) > 64<<10 && len(e.pending) == 0 {
		e.pending = nil
	}
	if finished && e.f != nil && len(e.pending) == 0 {
		e.closeFile() // reopened through its path if it changes again
	}
	return nil
}

// run reads one stream in one poll.
type run struct {
	f     *Follower
	e     *entry
	st    cursor
	fn    func(Batch) error
	start cursor     // where this run started
	end   int64      // size of the plain file being read, 0 if unknown
	err   *FileError // a file error stopped reading; what was read is delivered
	cut   bool       // the gzip stream ended early
}

func (r *run) fail(op string, err error) {
	r.err = newFileError(r.e.reader.path, op, err)
	r.f.report(r.err)
}

// readPlain reads from the held descriptor up to the size it has now.
func (r *run) readPlain() (atEnd bool, mtime time.Time, err error) {
	fh := r.e.f
	fi, serr := fh.Stat()
	if serr != nil {
		r.fail("stat", serr)
		return false, mtime, nil
	}
	size, mtime := fi.Size(), fi.ModTime()
	if size < r.st.readOff { // shrank since the scan: look again next poll
		r.e.pending = r.e.pending[:0]
		r.st.readOff = r.st.off
		return false, mtime, nil
	}
	r.end = size
	for r.st.readOff < size {
		n := int(min(int64(len(r.f.buf)), size-r.st.readOff))
		n, rerr := fh.ReadAt(r.f.buf[:n], r.st.readOff)
		if err := r.feed(r.f.buf[:n]); err != nil {
			return false, mtime, err
		}
		if rerr != nil && rerr != io.EOF {
			r.fail("read", rerr)
			return false, mtime, nil
		}
		if n == 0 {
			break // shrank while reading
		}
	}
	return r.st.readOff >= size, mtime, nil
}

// readGzip reads the decompressed stream of o from where e stands. done
// means the stream was read to its current end (cleanly or not); clean
// means the gzip stream is complete.
func (r *run) readGzip(o *obs) (done, clean bool, err error) {
	if _, err := o.f.Seek(0, io.SeekStart); err != nil {
		r.fail("read", err)
		return false, false, nil
	}
	zr, zerr := gzip.NewReader(bufio.NewReaderSize(o.f, 64<<10))
	if zerr != nil {
		r.fail("gzip", zerr)
		return false, false, nil
	}
	// end classifies the error that ended the stream.
	end := func(err error) (done, clean bool) {
		switch {
		case err == io.EOF:
			return true, true
		case errors.Is(err, io.ErrUnexpectedEOF):
			// Still being written, or cut short: wait for it to change,
			// and report it once it has been idle for long.
			r.cut = true
			if r.f.now().Sub(o.mtime) >= r.f.cfg.IdleFinal {
				r.fail("gzip", err)
			}
			return true, false
		default:
			r.fail("gzip", err)
			return true, false
		}
	}
	if _, err := io.CopyN(io.Discard, zr, r.st.readOff); err != nil {
		done, _ := end(err)
		return done, false, nil // shorter than what was read: nothing more here
	}
	for {
		n, rerr := zr.Read(r.f.buf)
		if err := r.feed(r.f.buf[:n]); err != nil {
			return false, false, err
		}
		if rerr != nil {
			done, clean := end(rerr)
			return done, clean, nil
		}
	}
}

// feed splits data, the bytes at r.st.readOff, into lines, emitting
// batches as they fill.
func (r *run) feed(data []byte) error {
	e, maxLine := r.e, r.f.cfg.MaxLineBytes
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if r.st.skip {
			if i < 0 {
				r.st.readOff += int64(len(data))
				r.st.off = r.st.readOff
				return nil
			}
			r.st.readOff += int64(i + 1)
			r.st.off = r.st.readOff
			r.st.skip = false
			data = data[i+1:]
			continue
		}
		if i < 0 {
			if len(e.pending)+len(data) > maxLine {
				if err := r.tooLong(); err != nil {
					return err
				}
				r.st.readOff += int64(len(data))
				r.st.off = r.st.readOff
				return nil
			}
			e.pending = appendBounded(e.pending, data, maxLine)
			r.st.readOff += int64(len(data))
			return nil
		}
		if len(e.pending)+i > maxLine {
			if err := r.tooLong(); err != nil {
				return err
			}
			r.st.skip = false
		} else if err := r.addLine(e.pending, data[:i]); err != nil {
			return err
		}
		e.pending = e.pending[:0]
		r.st.readOff += int64(i + 1)
		r.st.off = r.st.readOff
		data = data[i+1:]
	}
	return nil
}

// addLine adds the line p1+p2 that starts at r.st.off, first handing over
// the batch if it is full or the line does not fit its buffer.
func (r *run) addLine(p1, p2 []byte) error {
	b, c := &r.f.b, r.f.cfg
	n := len(p1) + len(p2)
	if !b.empty() && (len(b.lines)+len(b.tooLong) >= c.BatchLines || len(b.data)+n > cap(b.data)) {
		if err := r.flush(); err != nil {
			return err
		}
	}
	if b.data == nil || len(b.data)+n > cap(b.data) {
		// Size the batch's memory by what is left to read, so that
		// following a slowly growing file does not allocate a full
		// batch per poll.
		want := int64(c.BatchBytes)
		if r.end > 0 {
			want = min(want, r.end-r.st.readOff+int64(len(r.e.pending)))
		}
		if read := r.st.lines - r.start.lines; read > 16 { // lines seen: BatchLines of them
			avg := (r.st.off-r.start.off)/read + 1
			want = min(want, avg*int64(c.BatchLines)*9/8)
		}
		size := max(int(want), n, 512)
		if len(b.data) == 0 && b.lines == nil {
			if m := r.f.recycled(size); m.data != nil {
				b.data, b.lines = m.data, m.lines
			}
		}
		if len(b.data)+n > cap(b.data) {
			data := make([]byte, len(b.data), size)
			copy(data, b.data)
			b.data = data
		}
		if b.lines == nil {
			b.lines = make([]Line, 0, min(c.BatchLines, size/64+1))
		}
	}
	start := len(b.data)
	b.data = append(b.data, p1...)
	b.data = append(b.data, p2...)
	b.lines = append(b.lines, Line{Num: r.st.lines + 1, Offset: r.st.off, Text: b.data[start:len(b.data):len(b.data)]})
	r.st.lines++
	return nil
}

// tooLong reports the line starting at r.st.off as too long and sets the
// cursor to skip the rest of it.
func (r *run) tooLong() error {
	b := &r.f.b
	if !b.empty() && len(b.lines)+len(b.tooLong) >= r.f.cfg.BatchLines {
		if err := r.flush(); err != nil {
			return err
		}
	}
	b.tooLong = append(b.tooLong, LineRef{Num: r.st.lines + 1, Offset: r.st.off})
	r.st.lines++
	r.st.skip = true
	r.e.pending = nil
	return nil
}

// flush hands the batch under construction to fn and commits the cursor;
// with nothing to hand over it commits the cursor alone (skipped bytes of
// a long line already reported).
func (r *run) flush() error {
	b := &r.f.b
	if b.empty() {
		r.commit()
		return nil
	}
	batch := Batch{
		Path:      r.e.reader.path,
		Lines:     b.lines,
		TooLong:   slices.Clone(b.tooLong),
		Positions: r.f.positionsWith(r.e, r.st),
		data:      b.data,
	}
	b.data, b.lines, b.tooLong = nil, nil, b.tooLong[:0] // now the batch's
	if err := r.fn(batch); err != nil {
		r.e.dropCache()
		return err
	}
	r.commit()
	return nil
}

func (r *run) commit() {
	p := &r.e.pos
	p.Offset, p.Lines, p.InLongLine = r.st.off, r.st.lines, r.st.skip
	r.e.readOff = r.st.readOff
}

// builder is the batch under construction. data and lines are handed
// over with the batch; each batch gets new ones, or a released batch's
// (Follower.Release).
type builder struct {
	data    []byte
	lines   []Line
	tooLong []LineRef
}

func (b *builder) empty() bool { return len(b.lines) == 0 && len(b.tooLong) == 0 }

// appendBounded appends data to p, never growing p beyond limit bytes of
// capacity (len(p)+len(data) <= limit).
func appendBounded(p, data []byte, limit int) []byte {
	if need := len(p) + len(data); need > cap(p) {
		n := min(max(2*cap(p), need, 4096), limit)
		q := make([]byte, len(p), n)
		copy(q, p)
		p = q
	}
	return append(p, data...)
}
