// Package jute is the ZooKeeper 3.8 wire format: the jute encoding of
// primitives and records, the length-prefixed framing of the TCP stream, the
// records clients and servers exchange for every opcode, the protocol's
// constants and error codes, and ZooKeeper's rules for znode paths.
//
// It owns bytes only. It does no network I/O of its own beyond reading one frame
// from an io.Reader it is handed, starts no goroutines, keeps no global mutable
// state, and imports nothing of Warren's: protocol/zk builds its server on top
// of it. Every value is safe to use from one goroutine at a time; distinct
// values may be used concurrently.
//
// Decoding is defensive, because its input comes from the network (Warren's
// design decision 9: bad input never crashes a node). A Decoder never panics,
// reports the first error it meets (always wrapping ErrMalformed), and never
// allocates more than the remaining input could justify: a length or count
// that the remaining bytes cannot hold is rejected before anything is
// allocated. DecodeRequest rejects unknown opcodes with ErrUnimplemented and
// bodies that are truncated or carry bytes after the record with
// ErrMalformed. The one place real clients legitimately differ is the trailing
// readOnly byte of ConnectRequest, which is optional.
//
// Decoded values never alias the input: buffers and strings are copied, so a
// frame's storage may be reused as soon as decoding returns.
//
// Encoding appends to an Encoder's buffer and never fails. The Encode*
// functions append complete frames (length prefix included) that can be
// written to a connection as they are. An empty or nil vector is always
// written with count 0, never -1, because clients disagree on how to read a
// null vector; a nil buffer is written as -1 (null) and an empty one as 0,
// as ZooKeeper does.
package jute
