package event

import (
	"testing"

	"github.com/cespare/xxhash/v2"
)

func TestKeys(t *testing.T) {
	if Key("") != 0 {
		t.Fatalf("Key(\"\") = %d, want 0 (no id, no user)", Key(""))
	}
	// FNV-1a 32 test vectors.
	for s, want := range map[string]uint32{"": 0x811c9dc5, "a": 0xe40c292c, "foobar": 0xbf9cf968} {
		if got := Fingerprint(s); got != want {
			t.Errorf("Fingerprint(%q) = %#x, want %#x", s, got, want)
		}
		if got := Fingerprint([]byte(s)); got != want {
			t.Errorf("Fingerprint([]byte(%q)) = %#x, want %#x", s, got, want)
		}
	}
	var e Event
	e.Reset()
	e.ID, e.User = "r-1", "u-7"
	unset := [3]uint64{e.IDKey(), e.UserKey(), uint64(e.UserFingerprint())}
	want := [3]uint64{xxhash.Sum64String("r-1"), xxhash.Sum64String("u-7"), uint64(Fingerprint("u-7"))}
	if unset != want {
		t.Fatalf("keys computed on demand %v, want %v", unset, want)
	}
	e.SetKeys()
	e.ID, e.User = "r-2", "" // after SetKeys: the stored keys stay
	if got := [3]uint64{e.IDKey(), e.UserKey(), uint64(e.UserFingerprint())}; got != want {
		t.Fatalf("stored keys %v, want %v", got, want)
	}
	e.Reset()
	e.ID = "r-2"
	if e.IDKey() != Key("r-2") || e.UserKey() != 0 {
		t.Fatalf("Reset kept the stored keys: %d %d", e.IDKey(), e.UserKey())
	}
}
