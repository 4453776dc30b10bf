package engine

// hashSet is a set of 64-bit hashes with open addressing and linear probing:
// a lookup that inserts on a miss walks one probe sequence, usually within
// one cache line, where a Go map would search twice. The load stays at most
// one half. Zero is stored as one (the hashes are xxhash64 of ids; the
// merge of 0 and 1 is one more 1-in-2^64 chance).
type hashSet struct {
	slots []uint64
	n     int
}

func (s *hashSet) key(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// add inserts h and reports whether it was absent.
func (s *hashSet) add(h uint64) bool {
	h = s.key(h)
	if (s.n+1)*2 > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return true
		case h:
			return false
		}
	}
}

func (s *hashSet) has(h uint64) bool {
	if len(s.slots) == 0 {
		return false
	}
	h = s.key(h)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			return false
		case h:
			return true
		}
	}
}

// remove deletes h, shifting later entries of its cluster back so that no
// tombstone is needed.
func (s *hashSet) remove(h uint64) {
	if len(s.slots) == 0 {
		return
	}
	h = s.key(h)
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for s.slots[i] != h {
		if s.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		v := s.slots[j]
		if v == 0 {
			break
		}
		// v may move back to i when its home slot is not in (i, j].
		home := v & mask
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			s.slots[i] = v
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
}

func (s *hashSet) grow() {
	old := s.slots
	size := 1024
	if len(old) > 0 {
		size = len(old) * 2
	}
	s.slots = makeWritten[uint64](size, size)
	s.n = 0
	for _, v := range old {
		if v != 0 {
			s.add(v)
		}
	}
}

func (s *hashSet) len() int { return s.n }
