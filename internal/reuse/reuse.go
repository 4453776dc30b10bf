// Package reuse keeps released buffers for whoever needs one next, so
// that a reader filling batch after batch reuses a few batches' memory
// instead of allocating as much as it reads.
package reuse

// List keeps up to its capacity of released values. It is safe for
// concurrent use: values are released on one goroutine and taken on
// another.
type List[T any] chan T

// New returns a list that keeps at most n values.
func New[T any](n int) List[T] { return make(List[T], n) }

// Put keeps v, or drops it when the list is full.
func (l List[T]) Put(v T) {
	select {
	case l <- v:
	default: // enough kept already
	}
}

// Get returns a kept value for which fits holds, dropping the kept values
// it passes over that do not (too small for what is asked now); ok is
// false when none is left.
func (l List[T]) Get(fits func(T) bool) (v T, ok bool) {
	for {
		select {
		case v = <-l:
			if fits(v) {
				return v, true
			}
		default:
			var zero T
			return zero, false
		}
	}
}
