// Package routing is the pure core of outbound trunk selection (issue 4):
// given a compiled routing plan, a normalized number and the projected
// state of the trunks, it decides which trunks to try and in what order,
// and says why each one is or is not usable.
//
// It does no I/O and keeps no mutable state: Compile builds an immutable
// *Table that any number of goroutines read without locks. When carriers,
// trunks, routes or the portability table change, the caller compiles a
// new Table and swaps it in (an atomic.Pointer[Table], say); decisions in
// flight finish on the old one.
//
// See docs/routing.md for the rules.
package routing
