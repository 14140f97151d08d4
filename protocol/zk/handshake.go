package zk

import (
	"bufio"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// handshake reads the connect request and opens or resumes its session. It
// reports whether the connection goes on to requests.
func (c *conn) handshake(br *bufio.Reader) bool {
	frame, err := jute.ReadFrame(br, nil, c.s.cfg.MaxFrameBytes)
	if err != nil {
		c.readFailed("connect request", err)
		return false
	}
	c.s.stats.received.Add(1)
	c.stats.recv.Add(1)
	req, err := jute.DecodeConnectRequest(frame)
	if err != nil {
		c.bad("malformed connect request", err)
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.HandshakeTimeout)
	defer cancel()
	// Answer in the layout the client used: with the readOnly byte only if
	// it sent one. Warren never runs read-only.
	resp := jute.ConnectResponse{ProtocolVersion: jute.ProtocolVersion, HasReadOnly: req.HasReadOnly}
	var sess session
	if req.SessionID == 0 {
		sess, err = c.s.b.NewSession(ctx, time.Duration(req.TimeOut)*time.Millisecond)
	} else {
		c.reattached = true
		sess, err = c.s.b.AttachSession(ctx, req.SessionID, req.Passwd)
	}
	switch {
	case err == nil:
	case req.SessionID != 0 && (errors.Is(err, warren.ErrSessionExpired) || errors.Is(err, warren.ErrAuthFailed)):
		// What ZooKeeper sends for a session that is gone or a wrong
		// password: timeout 0 and session 0, which clients report as
		// session expiry, then it closes the connection.
		c.s.log.Info("client resumes a session that is gone; answering expired", "remote", c.remote,
			"session", sessionHex(req.SessionID), "err", err)
		resp.Passwd = make([]byte, 16)
		c.push(false, func(e *jute.Encoder) { jute.EncodeConnectResponse(e, &resp) })
		c.flush = true
		return false
	default:
		if closing(err) || c.ctx.Err() != nil {
			c.s.log.Info("closing; refusing a session", "remote", c.remote)
		} else {
			c.s.log.Warn("cannot open or resume a session; closing the connection", "remote", c.remote,
				"session", sessionHex(req.SessionID), "err", err)
		}
		return false
	}
	c.sess = sess
	c.cl = sess.Client(c.ip)
	if c.reattached {
		// Replies never carry a zxid below what the client has seen.
		c.zxid.Store(max(req.LastZxidSeen, 0))
	}
	c.sid.Store(sess.ID())
	c.timeout.Store(sess.Timeout().Milliseconds())
	c.readTimeout = time.Duration(float64(sess.Timeout()) * c.s.cfg.ReadTimeoutFactor)
	c.idents = []jute.ClientInfo{{AuthScheme: "ip", User: c.ip}}
	resp.TimeOut = int32(sess.Timeout().Milliseconds())
	resp.SessionID = sess.ID()
	resp.Passwd = sess.Password()
	c.push(false, func(e *jute.Encoder) { jute.EncodeConnectResponse(e, &resp) })
	c.stats.lastResp.Store(time.Now().UnixMilli())
	c.s.bindSession(sess.ID(), c)
	c.s.log.Debug("session", "remote", c.remote, "session", sessionHex(sess.ID()),
		"resumed", c.reattached, "timeout", sess.Timeout())
	return true
}

// closeSession closes the session: its ephemerals go at once. The reply is
// the last frame of the connection.
func (c *conn) closeSession(ctx context.Context) result {
	c.sessClosed = true
	if err := c.sess.Close(ctx); err != nil && !errors.Is(err, warren.ErrSessionExpired) {
		// The session no longer heartbeats, so the cluster expires it
		// after its timeout in any case.
		c.s.log.Warn("closing a session failed; it will expire", "remote", c.remote,
			"session", sessionHex(c.sess.ID()), "err", err)
	}
	return result{closeAfter: true}
}

// fresh applies Warren's rule for sessions resumed through another node
// (design decision 3): the first read of each namespace after the resume
// syncs this node's replica first, so the client never reads older state
// than it saw through the node it left.
func (c *conn) fresh(ctx context.Context, path string) error {
	if !c.reattached {
		return nil
	}
	// Reads run in parallel (see pipeline); the first of each namespace
	// syncs while the others wait for it.
	c.freshMu.Lock()
	defer c.freshMu.Unlock()
	if c.syncedAll {
		return nil
	}
	if path == "/" {
		if err := c.cl.Sync(ctx, "/"); err != nil {
			return err
		}
		c.syncedAll = true
		return nil
	}
	ns := namespaceOf(path)
	if c.synced[ns] {
		return nil
	}
	if err := c.cl.Sync(ctx, "/"+ns); err != nil {
		return err
	}
	c.synced[ns] = true
	return nil
}

// namespaceOf returns the first segment of an absolute path.
func namespaceOf(path string) string {
	ns, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return ns
}
