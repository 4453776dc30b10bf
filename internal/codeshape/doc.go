// Package codeshape holds the tests of rules that hold for the whole
// repository's code rather than for one package (no function over
// MaxFuncLines lines). It has no code of its own.
package codeshape
