package warren

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/warrenhq/warren/actors"
	"github.com/warrenhq/warren/consensus"
	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/state"
	"github.com/warrenhq/warren/consensus/fsm/znode"
	"github.com/warrenhq/warren/grains/coord"
)

// Sessions, as in ZooKeeper: a client opens a session with a timeout, keeps
// it alive with heartbeats, and owns ephemeral znodes that vanish when the
// session closes or expires.
//
// Each session is a grain (kind sessionKind, id = the session id) on the
// shard its id hashes to. Its record (timeout, password, closing flag) is in
// that shard's state machine under the state grain sessionsGrain, so the
// shard's leader can list every session of the shard. Expiry is decided
// only by that leader: the node's sessionManager tracks the last heartbeat
// of the sessions of the shards it leads, and when one goes quiet for its
// timeout it marks the record closing, deletes the session's ephemerals in
// every data shard (CloseSession, which also makes a racing ephemeral
// create fail), and deletes the record. A new leader gives every session a
// full timeout from the moment it takes over, as ZooKeeper's does, and
// finishes closings it finds half done.

const (
	sessionKind   = "zk.session"
	sessionsGrain = "zk.sessions"
	// zkGrainCodeBase offsets ZooKeeper error numbers carried as grain
	// error codes: code = base - zkErr.
	zkGrainCodeBase = 1000
)

func zkGrainError(code int32, msg string) error {
	return &actors.GrainError{Code: uint32(zkGrainCodeBase - int64(code)), Message: msg}
}

// asZKError turns a grain error carrying a ZooKeeper number back into a
// *ZKError; other errors pass through.
func asZKError(err error) error {
	var ge *actors.GrainError
	if errors.As(err, &ge) && ge.Code > zkGrainCodeBase {
		return &ZKError{Code: int32(zkGrainCodeBase - int64(ge.Code))}
	}
	return err
}

// sessionRecord is what the state machine keeps of a session.
type sessionRecord struct {
	timeout  time.Duration
	password []byte
	closing  bool
}

func (r sessionRecord) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(r.timeout.Milliseconds()))
	if r.closing {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return append(b, r.password...)
}

func decodeSessionRecord(b []byte) (sessionRecord, error) {
	if len(b) < 9 {
		return sessionRecord{}, errors.New("warren: corrupt session record")
	}
	return sessionRecord{
		timeout:  time.Duration(binary.BigEndian.Uint64(b)) * time.Millisecond,
		closing:  b[8] == 1,
		password: b[9:],
	}, nil
}

func sessionKey(id int64) string { return strconv.FormatInt(id, 16) }

func (n *Node) sessionShard(id int64) uint64 {
	return ShardOf(sessionKind, sessionKey(id), n.cfg.Shards)
}

// sessionManager tracks, on each node, the sessions of the shards it leads.
type sessionManager struct {
	n    *Node
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	mu struct {
		sync.Mutex
		live   *coord.Tracker    // sessions of the shards this node leads
		loaded map[uint64]uint64 // shard -> term whose sessions are loaded
		// led holds, for each shard another node leads, when this node
		// last saw that leader in office (sampled every tick). It dates a
		// takeover: see heardSince.
		led map[uint64]time.Time
	}
}

func newSessionManager(n *Node) *sessionManager {
	m := &sessionManager{n: n, done: make(chan struct{})}
	m.mu.live = coord.NewTracker()
	m.mu.loaded = map[uint64]uint64{}
	m.mu.led = map[uint64]time.Time{}
	return m
}

func (m *sessionManager) start() {
	m.wg.Add(1)
	go m.run()
}

func (m *sessionManager) stop() {
	m.once.Do(func() { close(m.done) })
	m.wg.Wait()
}

// count returns how many sessions the manager tracks: those of the shards
// this node leads.
func (m *sessionManager) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.live.Len()
}

// touch records a heartbeat. It reports false when the session is being
// expired.
func (m *sessionManager) touch(id int64, shard uint64, timeout time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.live.Touch(id, shard, timeout, time.Now())
}

func (m *sessionManager) run() {
	defer m.wg.Done()
	t := time.NewTicker(sessionTick)
	defer t.Stop()
	var lastExpiry time.Time
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		if time.Since(lastExpiry) >= time.Second {
			lastExpiry = time.Now()
			m.n.expireZnodes()
		}
		m.loadLedShards()
		for _, id := range m.due() {
			m.wg.Add(1)
			go func(id int64) {
				defer m.wg.Done()
				m.expire(id)
			}(id)
		}
	}
}

// sessionTick is how often the manager looks for due sessions and for
// shards it has started or stopped leading.
const sessionTick = 100 * time.Millisecond

// loadLedShards picks up the sessions of shards this node has started to
// lead, and forgets the sessions of shards it no longer leads.
func (m *sessionManager) loadLedShards() {
	n := m.n
	now := time.Now()
	led := map[uint64]uint64{}
	shards := n.host.LocalShards() // may ask Raft: not under m.mu, which heartbeats take
	m.mu.Lock()
	for _, s := range shards {
		if s.ShardID == MetaShard {
			continue
		}
		switch {
		case s.IsLeader:
			led[s.ShardID] = s.Term
		case s.Leader != 0:
			m.mu.led[s.ShardID] = now
		}
	}
	m.mu.live.Keep(func(shard uint64) bool { _, ok := led[shard]; return ok })
	type takeover struct {
		shard, term uint64
		since       time.Time
	}
	var toLoad []takeover
	for shard, term := range led {
		if m.mu.loaded[shard] != term {
			toLoad = append(toLoad, takeover{shard, term, m.heardSince(shard, now)})
		}
	}
	for shard := range m.mu.loaded {
		if _, ok := led[shard]; !ok {
			delete(m.mu.loaded, shard)
		}
	}
	m.mu.Unlock()
	for _, t := range toLoad {
		if err := m.load(t.shard, t.term, t.since); err != nil {
			n.log.Debug("load sessions", "shard", t.shard, "err", err)
		}
	}
}

// heardSince returns the moment from which a node taking over shard at now
// times the shard's sessions: no heartbeat of them can have been
// acknowledged after it, so each gets its full timeout from there, and a
// client whose node died with the old leader sees its session expire
// about one timeout after the crash, not a timeout after the election.
//
// A follower keeps its leader in office until its randomized election
// timeout, at least the minimum election timeout, passes without hearing
// from it; this manager samples that every tick. So the old leader was
// last heard from no earlier than (last seen in office - minimum election
// timeout), less one tick, and it acknowledged nothing after it died. (A
// leadership transfer hands over sooner; a session then silent for all but
// the last few hundred milliseconds of its timeout may expire that much
// early, as it also could before this estimate existed.) When this node
// never saw the old leader, the election is the estimate: it lasted at
// least the minimum election timeout without a heartbeat reaching any
// leader. load also gives every session at least half its timeout from
// the takeover, so clients have time to find the shard again after it
// was without a quorum. Caller holds m.mu.
func (m *sessionManager) heardSince(shard uint64, now time.Time) time.Time {
	minElection := consensus.ElectionRTT * time.Duration(m.n.cfg.RTTMillis) * time.Millisecond
	fallback := now.Add(-minElection)
	seen, ok := m.mu.led[shard]
	if !ok {
		return fallback
	}
	if since := seen.Add(-minElection + sessionTick); since.Before(fallback) {
		return since
	}
	return fallback
}

func (m *sessionManager) load(shard, term uint64, since time.Time) error {
	now := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	raw, err := m.n.host.Read(ctx, shard, fsm.EncodeQuery(state.Kind, state.EncodeList(state.List{Grain: sessionsGrain})), true)
	if err != nil {
		return err
	}
	keys, err := state.DecodeKeys(raw)
	if err != nil {
		return err
	}
	type found struct {
		id  int64
		rec sessionRecord
	}
	var all []found
	for _, k := range keys {
		id, err := strconv.ParseInt(k, 16, 64)
		if err != nil {
			continue
		}
		// The linearizable List above brought the local replica up to
		// date, so plain local reads suffice for the records.
		raw, err := m.n.host.Read(ctx, shard, fsm.EncodeQuery(state.Kind, state.EncodeGet(state.Get{Grain: sessionsGrain, Key: k})), false)
		if err != nil {
			return err
		}
		v, err := state.DecodeValue(raw)
		if err != nil || !v.Exists {
			continue
		}
		rec, err := decodeSessionRecord(v.Data)
		if err != nil {
			continue
		}
		all = append(all, found{id, rec})
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range all {
		last := since
		if floor := now.Add(-f.rec.timeout / 2); floor.After(last) {
			last = floor
		}
		m.mu.live.Load(f.id, shard, f.rec.timeout, f.rec.closing, last)
	}
	m.mu.loaded[shard] = term
	delete(m.mu.led, shard)
	if len(all) > 0 {
		m.n.log.Info("took over sessions", "shard", shard, "term", term, "sessions", len(all),
			"timed_from", since.Format(time.RFC3339Nano))
	}
	return nil
}

// holdsLeadership reports whether this node, leading shard, still times
// one of its sessions from the estimate it made when it took over (see
// heardSince). Handing leadership on now would push a dead client's expiry
// back by up to a timeout, so the controller waits: every such session is
// heard from or expires within its timeout.
func (m *sessionManager) holdsLeadership(shard uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.live.Unheard(shard)
}

// due returns the sessions whose timeout has passed and marks them.
func (m *sessionManager) due() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.live.Due(time.Now())
}

// expire closes a session: mark its record closing, delete its ephemerals
// in every data shard, delete the record. On failure it is retried later.
func (m *sessionManager) expire(id int64) {
	n := m.n
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := n.closeSession(ctx, id)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		n.log.Warn("session expiry failed; will retry", "session", fmt.Sprintf("0x%x", id), "err", err)
		m.mu.live.Retry(id, time.Now())
		return
	}
	m.mu.live.Done(id)
	n.log.Info("session closed", "session", fmt.Sprintf("0x%x", id))
}

// closeSession runs on the leader of the session's shard.
func (n *Node) closeSession(ctx context.Context, id int64) error {
	shard := n.sessionShard(id)
	key := sessionKey(id)
	raw, err := n.host.Read(ctx, shard, fsm.EncodeQuery(state.Kind, state.EncodeGet(state.Get{Grain: sessionsGrain, Key: key})), true)
	if err != nil {
		return err
	}
	v, err := state.DecodeValue(raw)
	if err != nil {
		return err
	}
	if v.Exists {
		rec, err := decodeSessionRecord(v.Data)
		if err != nil {
			return err
		}
		if !rec.closing {
			rec.closing = true
			if _, err := n.proposeState(ctx, shard, state.EncodePut(state.Put{Grain: sessionsGrain, Key: key, Value: rec.encode(), ExpectVersion: v.Version})); err != nil {
				return err
			}
		}
	}
	if err := n.closeEphemerals(ctx, id); err != nil {
		return err
	}
	_, err = n.proposeState(ctx, shard, state.EncodeDelete(state.Delete{Grain: sessionsGrain, Key: key, ExpectVersion: state.AnyVersion}))
	return err
}

// closeEphemerals applies CloseSession on every data shard, in parallel.
func (n *Node) closeEphemerals(ctx context.Context, id int64) error {
	c := n.Coord()
	op := znode.EncodeCloseSession(znode.CloseSession{Session: id})
	errs := make([]error, n.cfg.Shards)
	var wg sync.WaitGroup
	for s := 1; s < n.cfg.Shards; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			r, err := c.write(ctx, "closeSession", uint64(s), op)
			if err == nil && r.Code != fsm.OK {
				err = fmt.Errorf("shard %d: close session: code %d", s, r.Code)
			}
			errs[s] = err
		}(s)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// proposeState proposes a state-machine op on a shard this node leads.
func (n *Node) proposeState(ctx context.Context, shard uint64, op []byte) (fsm.Result, error) {
	r, err := n.host.Propose(ctx, shard, fsm.Command{Kind: state.Kind, Stamp: time.Now().UnixMilli(), Op: op})
	if err != nil {
		return r, err
	}
	if r.Code != fsm.OK {
		return r, fmt.Errorf("warren: session record: state code %d", r.Code)
	}
	return r, nil
}

// sessionGrain is the grain behind one session.
type sessionGrain struct{ n *Node }

func (sessionGrain) Concurrent() bool { return true }

func (g sessionGrain) Receive(ctx *actors.Context, method string, payload []byte) ([]byte, error) {
	id, err := strconv.ParseInt(ctx.ID, 16, 64)
	if err != nil {
		return nil, &actors.GrainError{Code: actors.CodeBadRequest, Message: "bad session id"}
	}
	key := sessionKey(id)
	switch method {
	case "create":
		if len(payload) < 9 {
			return nil, &actors.GrainError{Code: actors.CodeBadRequest, Message: "bad session record"}
		}
		rec, err := decodeSessionRecord(payload)
		if err != nil {
			return nil, err
		}
		r, err := ctx.Propose(state.Kind, state.EncodePut(state.Put{Grain: sessionsGrain, Key: key, Value: rec.encode(), ExpectVersion: 0}))
		if err != nil {
			return nil, err
		}
		if r.Code != fsm.OK {
			return nil, zkGrainError(znode.ZNODEEXISTS, "session id in use")
		}
		g.n.sessions.touch(id, ctx.Shard, rec.timeout)
		return nil, nil
	case "ping", "attach":
		rec, err := g.record(ctx, key)
		if err != nil {
			return nil, err
		}
		if method == "attach" && subtle.ConstantTimeCompare(rec.password, payload) != 1 {
			return nil, zkGrainError(-115, "wrong session password")
		}
		if !g.n.sessions.touch(id, ctx.Shard, rec.timeout) {
			return nil, zkGrainError(znode.ZSESSIONEXPIRED, "session expiring")
		}
		return binary.BigEndian.AppendUint64(nil, uint64(rec.timeout.Milliseconds())), nil
	case "close":
		g.n.sessions.mu.Lock()
		g.n.sessions.mu.live.Expiring(id)
		g.n.sessions.mu.Unlock()
		if err := g.n.closeSession(ctx, id); err != nil {
			return nil, err
		}
		g.n.sessions.mu.Lock()
		g.n.sessions.mu.live.Done(id)
		g.n.sessions.mu.Unlock()
		return nil, nil
	}
	return nil, &actors.GrainError{Code: actors.CodeBadRequest, Message: "session has no method " + method}
}

func (g sessionGrain) record(ctx *actors.Context, key string) (sessionRecord, error) {
	raw, err := ctx.Read(state.Kind, state.EncodeGet(state.Get{Grain: sessionsGrain, Key: key}))
	if err != nil {
		return sessionRecord{}, err
	}
	v, err := state.DecodeValue(raw)
	if err != nil {
		return sessionRecord{}, err
	}
	if !v.Exists {
		return sessionRecord{}, zkGrainError(znode.ZSESSIONEXPIRED, "no such session")
	}
	rec, err := decodeSessionRecord(v.Data)
	if err != nil {
		return sessionRecord{}, err
	}
	if rec.closing {
		return sessionRecord{}, zkGrainError(znode.ZSESSIONEXPIRED, "session closing")
	}
	return rec, nil
}

// newSessionID returns a random id that is positive and never carries the
// marks ZooKeeper reserves in Stat.ephemeralOwner.
func newSessionID() (int64, []byte, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, nil, err
	}
	id := int64(binary.BigEndian.Uint64(b[:8]) >> 2) // < 2^62: top byte never 0xff
	if id == 0 {
		id = 1
	}
	return id, b[8:], nil
}

// SessionShard returns the shard whose leader tracks session id.
func (n *Node) SessionShard(id int64) uint64 { return n.sessionShard(id) }

// expireZnodes deletes, on every data shard this node leads, the empty
// containers and the TTL znodes past their TTL (ZooKeeper's container
// manager). It proposes Expire only where PendingExpiry finds something.
func (n *Node) expireZnodes() {
	now := time.Now().UnixMilli()
	for _, s := range n.host.LocalShards() {
		if !s.IsLeader || s.ShardID == MetaShard {
			continue
		}
		raw, err := n.host.Read(context.Background(), s.ShardID, fsm.EncodeQuery(znode.Kind, znode.EncodePendingExpiry(znode.PendingExpiry{Now: now})), false)
		if err != nil {
			continue
		}
		rep, err := znode.DecodePathsReply(raw)
		if err != nil || len(rep.Paths) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err = n.host.Propose(ctx, s.ShardID, fsm.Command{Kind: znode.Kind, Stamp: now, Op: znode.EncodeExpire(znode.Expire{Now: now})})
		cancel()
		if err != nil {
			n.log.Debug("expire znodes", "shard", s.ShardID, "err", err)
		}
	}
}
