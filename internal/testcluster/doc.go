// Package testcluster starts real Warren clusters for tests: N nodes on
// loopback with free ports, their own data directories, real Raft, gossip
// and gRPC. Nodes can be killed (abruptly), restarted on the same data, and
// added; WaitFor polls a condition with a deadline instead of sleeping.
//
// Cluster runs nodes in the test process; Procs (procs.go) runs them as
// `warren server` processes so they can also be paused with SIGSTOP.
package testcluster
