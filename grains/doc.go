// Package grains holds Warren's built-in grain kinds. Each subpackage owns one
// kind of entity and pairs a grain (message handling on the shard leader) with
// a pure state machine under consensus/fsm.
package grains
