// Package builtin holds the grain kinds every Warren node registers:
// "counter", a replicated int64 counter, and "register", a replicated
// versioned value with compare-and-set. They prove the grain path end to end
// and serve as small building blocks for SDK users.
//
// Payload formats (all integers 8-byte big-endian):
//
//	counter  add  <delta int64, or empty for 1>  -> <value int64>
//	counter  get  <empty>                        -> <value int64>
//	register set  <data>                         -> <version int64>
//	register cas  <expect version int64><data>   -> <version int64>
//	register get  <empty>                        -> <version int64><data>
//
// A failed cas answers a GrainError with actors.CodeBadVersion.
package builtin
