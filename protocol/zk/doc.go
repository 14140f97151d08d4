// Package zk will serve the Apache ZooKeeper 3.8 wire protocol over the
// coordination grains. Not implemented yet.
package zk
