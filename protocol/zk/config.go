package zk

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config tunes a Server. Start from DefaultConfig; zero values are not
// defaults.
type Config struct {
	// MaxFrameBytes is the largest request frame accepted, length prefix
	// excluded. A longer (or negative) length closes the connection, as
	// ZooKeeper's jute.maxbuffer check does. Default 1 MiB + 1 KiB, room
	// for 1 MiB of znode data plus the request around it.
	MaxFrameBytes int
	// MaxConnections bounds the connections open at once over all
	// listeners; a connection beyond it is closed at once. Default 10000.
	MaxConnections int
	// MaxQueuedBytes bounds the replies and notifications a connection may
	// have waiting to be written. Above half of it the connection stops
	// reading requests until the client catches up; a watch notification
	// that would exceed it closes the connection instead, since watch
	// callbacks must never wait. At least 2 * MaxFrameBytes. Default 16 MiB.
	MaxQueuedBytes int
	// SuperDigest, when set, names ZooKeeper's super user as
	// "user:<base64 sha1 of user:password>", usually with user "super" (the
	// form of zookeeper.DigestAuthenticationProvider.superDigest): a session
	// that adds digest auth "user:password" bypasses every ACL. Default "":
	// NewServer then uses the node's warren.Config.SuperDigest.
	SuperDigest string
	// ReadTimeoutFactor times the negotiated session timeout is how long a
	// connection may stay silent (clients ping every third of it) before the
	// server closes it and abandons its session. Default 1.
	ReadTimeoutFactor float64
	// HandshakeTimeout bounds the wait for a new connection's first frame
	// (the connect request or a four-letter word) and the session it asks
	// for. Default 10s.
	HandshakeTimeout time.Duration
	// RequestTimeout bounds each request's call into the cluster; one that
	// takes longer is answered with ZOPERATIONTIMEOUT. Default 10s.
	RequestTimeout time.Duration
	// WriteTimeout bounds each write to a client that has stopped reading;
	// the connection is closed when it passes. Default 10s.
	WriteTimeout time.Duration
}

// DefaultConfig returns the configuration `warren dev` serves with.
func DefaultConfig() Config {
	return Config{
		MaxFrameBytes:     1<<20 + 1<<10,
		MaxConnections:    10000,
		MaxQueuedBytes:    16 << 20,
		ReadTimeoutFactor: 1,
		HandshakeTimeout:  10 * time.Second,
		RequestTimeout:    10 * time.Second,
		WriteTimeout:      10 * time.Second,
	}
}

// Validate reports every invalid field at once, joined with errors.Join.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("zk: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.MaxFrameBytes < 1024 {
		bad("MaxFrameBytes", "%d is below 1024", c.MaxFrameBytes)
	}
	if c.MaxConnections < 1 {
		bad("MaxConnections", "%d is below 1", c.MaxConnections)
	}
	if c.MaxQueuedBytes < 2*c.MaxFrameBytes {
		bad("MaxQueuedBytes", "%d is below 2 * MaxFrameBytes (%d)", c.MaxQueuedBytes, 2*c.MaxFrameBytes)
	}
	if c.SuperDigest != "" {
		// As loose as warren.Config's check, so that a node that starts
		// also serves: a digest no password hashes to only locks super out.
		if user, hash, ok := strings.Cut(c.SuperDigest, ":"); !ok || user == "" || hash == "" {
			bad("SuperDigest", "want \"user:<base64 sha1 of user:password>\"")
		}
	}
	if !(c.ReadTimeoutFactor >= 0.5 && c.ReadTimeoutFactor <= 10) {
		bad("ReadTimeoutFactor", "%v is outside [0.5, 10]", c.ReadTimeoutFactor)
	}
	if c.HandshakeTimeout <= 0 {
		bad("HandshakeTimeout", "%v must be positive", c.HandshakeTimeout)
	}
	if c.RequestTimeout <= 0 {
		bad("RequestTimeout", "%v must be positive", c.RequestTimeout)
	}
	if c.WriteTimeout <= 0 {
		bad("WriteTimeout", "%v must be positive", c.WriteTimeout)
	}
	return errors.Join(errs...)
}
