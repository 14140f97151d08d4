// Package recipes implements ZooKeeper's coordination recipes on Warren's
// coordination service: Lock, RWLock, Semaphore, Election, Barrier,
// DoubleBarrier, Counter, ServiceRegistry and Config.
//
// Every recipe is built on a *warren.Session. The znodes that stand for a
// participant (a lock waiter, a candidate, a lease, a registered instance)
// are ephemeral, so a participant that dies or loses its session drops out
// when the cluster expires the session, and no one is left waiting for it.
// Every blocking call takes a context first and returns when its context
// ends, with the context's error, or when the session expires, with
// warren.ErrSessionExpired. A recipe whose session has expired is done:
// open a new session and build new recipe values on it.
//
// Queues (Lock, RWLock, Semaphore, Election) follow ZooKeeper's recipes:
// each contender creates an ephemeral-sequential child of the recipe's
// path and waits, with a one-shot ExistsW watch, for exactly the child it
// must outlast, so a release wakes one waiter and not the herd. Missing
// parents are created on demand: the recipe's own directory as a
// container (the cluster deletes it once it is empty) and its ancestors as
// persistent znodes. ErrNodeExists and ErrNoNode races between contenders
// that create or remove those directories are retried.
//
// Reads see the reading client's own writes; where a recipe must see other
// clients' writes at once (Leader, Instances, Config.Get, Barrier.Wait,
// Counter.Get) it calls Sync first, as ZooKeeper's recipes do.
//
// Waiting uses watches, which a node keeps only for namespaces it
// replicates: open the session through such a node (in a cluster of up to
// Config.Replicas nodes, every node replicates everything), or waits fail
// with warren.ErrWatchNotHosted.
//
// Concurrency: the values of this package are safe for use by several
// goroutines, but a Lock, RWLock, Election or DoubleBarrier value stands for
// one participant: it holds at most one acquisition at a time, and a second
// Lock, Campaign or Enter on the same value while the first is in progress
// or held fails with ErrHeld. Make one value per participant; many values
// may share a session. The channels returned by the Watch and Observe
// methods are fed by one goroutine each, which ends (closing the channel)
// when the context ends, the session expires or the node closes.
//
// This package imports only the root warren package and the standard
// library; nothing in Warren imports it.
package recipes
