// Package kafka will serve the Kafka wire protocol over topic-partition
// grains. Not implemented yet.
package kafka
