package event

import "github.com/cespare/xxhash/v2"

// The engine files an event under hashes of its ID (deduplication) and of
// its User (the user's record and partition). An input computes them with
// SetKeys where it decodes the event, while the bytes are in that core's
// cache: the engine's goroutines, on other cores, then read the hashes in
// the event instead of the strings' bytes in the input's line buffer, which
// the input's core writes again for a later batch.

// SetKeys stores the hashes of e's ID and User in e. Call it after the
// last change to either; Reset clears them. An event without them has them
// computed where they are needed: the results are the same.
func (e *Event) SetKeys() {
	e.idKey = Key(e.ID)
	e.userKey = Key(e.User)
	e.userFP = Fingerprint(e.User)
	e.keysSet = true
}

// IDKey is Key(e.ID).
func (e *Event) IDKey() uint64 {
	if e.keysSet {
		return e.idKey
	}
	return Key(e.ID)
}

// UserKey is Key(e.User).
func (e *Event) UserKey() uint64 {
	if e.keysSet {
		return e.userKey
	}
	return Key(e.User)
}

// UserFingerprint is Fingerprint(e.User).
func (e *Event) UserFingerprint() uint32 {
	if e.keysSet {
		return e.userFP
	}
	return Fingerprint(e.User)
}

// Key is the 64-bit xxhash of s, or 0 for "" (no ID, no user).
func Key(s string) uint64 {
	if s == "" {
		return 0
	}
	return xxhash.Sum64String(s)
}

// Fingerprint is the 32-bit FNV-1a hash of s: with Key, a user's
// fingerprint in the engine's user table.
func Fingerprint[T string | []byte](s T) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
