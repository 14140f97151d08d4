package warren

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"time"
)

// Session is a client session of the coordination service: it owns the
// ephemeral znodes created through its Coord and keeps them alive with
// heartbeats every third of its timeout. When the cluster hears nothing
// for the timeout, it expires the session and deletes its ephemerals.
type Session struct {
	c       *Coord // bound to this session
	id      int64
	passwd  []byte
	timeout time.Duration

	expired  chan struct{}
	expOnce  sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// NewSession opens a session. The timeout is clamped to the node's
// [SessionMinTimeout, SessionMaxTimeout], as ZooKeeper negotiates it.
func (c *Coord) NewSession(ctx context.Context, timeout time.Duration) (*Session, error) {
	n := c.n
	timeout = min(max(timeout, n.cfg.SessionMinTimeout), n.cfg.SessionMaxTimeout)
	id, passwd, err := newSessionID()
	if err != nil {
		return nil, err
	}
	rec := sessionRecord{timeout: timeout, password: passwd}
	if _, err := n.rt.Request(ctx, sessionKind, sessionKey(id), "create", rec.encode(), nil); err != nil {
		return nil, asZKError(err)
	}
	return c.startSession(id, passwd, timeout), nil
}

// AttachSession re-attaches to an existing session, for example from
// another node after the first one failed. It fails with ErrAuthFailed on
// a wrong password and ErrSessionExpired when the session is gone.
func (c *Coord) AttachSession(ctx context.Context, id int64, passwd []byte) (*Session, error) {
	out, err := c.n.rt.Request(ctx, sessionKind, sessionKey(id), "attach", passwd, nil)
	if err != nil {
		return nil, asZKError(err)
	}
	if len(out) != 8 {
		return nil, errors.New("warren: bad attach reply")
	}
	timeout := time.Duration(binary.BigEndian.Uint64(out)) * time.Millisecond
	return c.startSession(id, passwd, timeout), nil
}

func (c *Coord) startSession(id int64, passwd []byte, timeout time.Duration) *Session {
	bound := c.WithAuth(false)
	bound.session = id
	s := &Session{c: bound, id: id, passwd: passwd, timeout: timeout,
		expired: make(chan struct{}), stop: make(chan struct{})}
	s.wg.Add(1)
	go s.heartbeat()
	return s
}

// ID returns the session id.
func (s *Session) ID() int64 { return s.id }

// Password returns the session password, needed to re-attach.
func (s *Session) Password() []byte { return s.passwd }

// Timeout returns the negotiated timeout.
func (s *Session) Timeout() time.Duration { return s.timeout }

// Coord returns the coordination client bound to this session: ephemeral
// znodes created through it belong to the session.
func (s *Session) Coord() *Coord { return s.c }

// Expired is closed when the cluster reports the session expired.
func (s *Session) Expired() <-chan struct{} { return s.expired }

func (s *Session) heartbeat() {
	defer s.wg.Done()
	t := time.NewTicker(s.timeout / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if s.c.n.closed.Load() {
			return // the node this client talks through is gone
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout/3)
		_, err := s.c.n.rt.Request(ctx, sessionKind, sessionKey(s.id), "ping", nil, nil)
		cancel()
		if errors.Is(asZKError(err), ErrSessionExpired) {
			s.expOnce.Do(func() { close(s.expired) })
			return
		}
	}
}

// Close closes the session: its ephemerals are deleted at once.
func (s *Session) Close(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
	_, err := s.c.n.rt.Request(ctx, sessionKind, sessionKey(s.id), "close", nil, nil)
	s.expOnce.Do(func() { close(s.expired) })
	return asZKError(err)
}

// Abandon stops heartbeats without closing the session, as a crashed
// client would; the cluster expires it after its timeout.
func (s *Session) Abandon() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}
