package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// State is a member's state as this node sees it.
type State int

const (
	// Alive: the member answers probes (or refuted suspicion).
	Alive State = iota
	// Suspect: the member is suspected to have failed. memberlist v0.7.0
	// does not report suspicion through its public API (its Node.State is
	// never updated, hashicorp/memberlist#266), so Membership currently
	// reports a failing member as Alive until memberlist declares it Dead.
	// The state is part of the type so that consumers handle it.
	Suspect
	// Dead: memberlist declared the member failed (it stopped answering
	// without leaving).
	Dead
	// Left: the member left gracefully (Leave).
	Left
)

func (s State) String() string {
	switch s {
	case Alive:
		return "alive"
	case Suspect:
		return "suspect"
	case Dead:
		return "dead"
	case Left:
		return "left"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Member is one node as this node sees it.
type Member struct {
	Meta NodeMeta
	// GossipAddr is the member's advertised gossip address, ip:port.
	GossipAddr string
	State      State
	// Since is when this node saw the member enter State.
	Since time.Time
	// BootID is random per Start of the member's Membership: it changes
	// when the member restarts, even with the same NodeID and address.
	BootID uint64
}

var (
	// ErrJoin is returned by Start when the node could not join its seeds
	// before the context was done, or was refused (see ErrNodeIDConflict).
	ErrJoin = errors.New("cluster: join failed")
	// ErrNodeIDConflict is returned by Start (along with ErrJoin) when
	// another live node already uses this node's NodeID from a different
	// gossip address.
	ErrNodeIDConflict = errors.New("cluster: node id in use by another live node")
	// ErrClosed is returned by calls that need the gossip layer after
	// Leave or Shutdown.
	ErrClosed = errors.New("cluster: membership left or shut down")
)

// waitWithoutDeadline bounds how long UpdateMeta and Leave wait for their
// broadcast when the context has no deadline.
const waitWithoutDeadline = 5 * time.Second

// Membership is one node's gossip membership: the member table, the local
// node's metadata, and the newest shard placement heard of. It is safe for
// concurrent use; see the package doc for the goroutine rules.
type Membership struct {
	cfg     Config // defaults applied; read-only after Start
	localID uint64
	name    string // memberlist node name: decimal localID
	boot    uint64
	logger  *slog.Logger
	queue   *memberlist.TransmitLimitedQueue
	// list is set by Start before it returns and read-only afterwards; the
	// memberlist delegates never use it.
	list *memberlist.Memberlist

	numAlive atomic.Int64 // members in state Alive, self included
	left     atomic.Bool  // Leave was called
	done     chan struct{}
	doneOnce sync.Once
	wg       sync.WaitGroup // goroutines started by this package

	// life orders Leave and UpdateMeta (readers) before Shutdown (writer):
	// memberlist panics when Leave is called after its Shutdown.
	life struct {
		sync.RWMutex
		closed      bool
		shutdownErr error
	}

	mu struct {
		sync.Mutex
		localMeta NodeMeta
		members   map[uint64]*record
		placement Placement
		subs      map[uint64]chan struct{}
		nextSub   uint64
		conflict  error // a live node uses our NodeID elsewhere
	}
}

// record is one row of the member table.
type record struct {
	Member
	// leaving: the member announced a graceful leave for its current boot;
	// when memberlist reports it gone it is Left rather than Dead.
	leaving bool
}

// Start creates this node's memberlist on cfg.BindAddr (memberlist name =
// decimal NodeID) and joins cfg.Seeds, if any. While no seed answers it
// retries every JoinRetryInterval; it returns once joined, or, when ctx is
// done first, shuts down and returns an error wrapping ErrJoin. It also
// fails with ErrJoin and ErrNodeIDConflict when a live member already uses
// this NodeID from another address. Each join attempt may take up to
// TCPTimeout per unreachable seed before ctx is looked at again.
func Start(ctx context.Context, cfg Config) (*Membership, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m := newMembership(cfg)
	mc, err := cfg.memberlistConfig(m.logger)
	if err != nil {
		return nil, err
	}
	d := &delegate{m: m}
	mc.Delegate, mc.Events, mc.Conflict, mc.Merge = d, d, d, d
	list, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("cluster: start gossip on %s: %w", cfg.BindAddr, err)
	}
	m.list = list
	if err := m.join(ctx); err != nil {
		_ = m.Shutdown()
		return nil, err
	}
	m.logger.Info("gossip membership started", "bind", cfg.BindAddr, "alive", m.NumAlive())
	return m, nil
}

// newMembership returns a Membership with no memberlist yet; cfg has its
// defaults applied.
func newMembership(cfg Config) *Membership {
	m := &Membership{
		cfg:     cfg,
		localID: cfg.Meta.NodeID,
		name:    strconv.FormatUint(cfg.Meta.NodeID, 10),
		boot:    rand.Uint64(),
		logger:  cfg.Logger.With("node_id", cfg.Meta.NodeID),
		done:    make(chan struct{}),
	}
	m.mu.localMeta = cfg.Meta
	m.mu.members = make(map[uint64]*record)
	m.mu.subs = make(map[uint64]chan struct{})
	m.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       func() int { return int(m.numAlive.Load()) },
		RetransmitMult: cfg.RetransmitMult,
	}
	return m
}

// join joins the seeds other than this node itself, retrying until one
// answers or ctx is done.
func (m *Membership) join(ctx context.Context) error {
	seeds := m.peerSeeds()
	if len(seeds) == 0 {
		return nil
	}
	retry := time.NewTimer(0)
	defer retry.Stop()
	for attempt := 1; ; attempt++ {
		n, err := m.list.Join(seeds)
		if c := m.conflictErr(); c != nil {
			return fmt.Errorf("%w: %w", ErrJoin, c)
		}
		if err == nil {
			m.logger.Info("joined cluster", "seeds_reached", n, "attempts", attempt)
			return nil
		}
		level := slog.LevelDebug
		if attempt == 1 {
			level = slog.LevelInfo
		}
		m.logger.Log(ctx, level, "seeds unreachable, retrying", "seeds", seeds, "attempt", attempt, "err", err)
		retry.Reset(m.cfg.JoinRetryInterval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: seeds %v: %w (last attempt: %v)", ErrJoin, seeds, ctx.Err(), err)
		case <-retry.C:
		}
	}
}

// peerSeeds returns the configured seeds without this node's own address.
func (m *Membership) peerSeeds() []string {
	self := map[string]bool{}
	for _, a := range []string{m.cfg.BindAddr, m.cfg.AdvertiseAddr} {
		if n, err := splitHostPort(a); err == nil {
			self[n] = true
		}
	}
	var out []string
	for _, s := range m.cfg.Seeds {
		if n, err := splitHostPort(s); err == nil && !self[n] && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// LocalID returns this node's NodeID.
func (m *Membership) LocalID() uint64 { return m.localID }

// Done returns a channel closed when Shutdown starts.
func (m *Membership) Done() <-chan struct{} { return m.done }

// Members returns every node seen during this process's lifetime, this node
// included, sorted by NodeID. Dead and left nodes keep their state and Since
// until they come back (then they are Alive again).
func (m *Membership) Members() []Member {
	m.mu.Lock()
	out := make([]Member, 0, len(m.mu.members))
	for _, r := range m.mu.members {
		out = append(out, r.Member)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.Meta.NodeID, b.Meta.NodeID) })
	return out
}

// Member returns the member with NodeID id, if it was ever seen.
func (m *Membership) Member(id uint64) (Member, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.mu.members[id]
	if !ok {
		return Member{}, false
	}
	return r.Member, true
}

// NumAlive returns the number of members in state Alive, this node included.
func (m *Membership) NumAlive() int { return int(m.numAlive.Load()) }

// HealthScore returns memberlist's view of how well this node meets gossip's
// soft real-time requirements: 0 is healthy, higher is worse.
func (m *Membership) HealthScore() int { return m.list.GetHealthScore() }

// Subscribe returns a channel that is signalled (without blocking, coalesced
// into its one-slot buffer) after every change of a member's state or
// metadata and of the placement, and a cancel func that unsubscribes
// (idempotent). Read the state after subscribing: changes before Subscribe
// are not signalled. The channel is never closed; see Done.
func (m *Membership) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	m.mu.Lock()
	id := m.mu.nextSub
	m.mu.nextSub++
	m.mu.subs[id] = ch
	m.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.mu.subs, id)
			m.mu.Unlock()
		})
	}
}

// notifyLocked signals every subscriber without blocking.
// REQUIRES: m.mu
func (m *Membership) notifyLocked() {
	for _, ch := range m.mu.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// UpdateMeta replaces this node's metadata (meta.NodeID must be LocalID) and
// gossips it, waiting until the update has been broadcast, up to ctx's
// deadline (5s without one).
func (m *Membership) UpdateMeta(ctx context.Context, meta NodeMeta) error {
	if meta.NodeID != m.localID {
		return fmt.Errorf("cluster: update meta: NodeID %d is not this node's (%d)", meta.NodeID, m.localID)
	}
	if _, err := encodeMeta(meta, m.boot); err != nil {
		return fmt.Errorf("cluster: update meta: %w", err)
	}
	m.life.RLock()
	defer m.life.RUnlock()
	if m.life.closed || m.left.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cluster: update meta: %w", err)
	}
	m.mu.Lock()
	m.mu.localMeta = meta
	m.mu.Unlock()
	if err := m.list.UpdateNode(memberlistTimeout(ctx)); err != nil {
		return fmt.Errorf("cluster: update meta: %w", err)
	}
	return nil
}

// memberlistTimeout turns ctx's deadline into a memberlist timeout, which must be
// positive (memberlist waits forever on 0).
func memberlistTimeout(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return waitWithoutDeadline
	}
	return max(time.Until(deadline), time.Millisecond)
}

// PublishPlacement adopts p if its epoch is higher than the current
// placement's and then gossips it to every node; nodes that join later get
// it by push/pull state sync. A placement whose encoding does not fit one
// gossip packet (~1,400 bytes: hundreds of members, each a uvarint) spreads
// by push/pull only.
func (m *Membership) PublishPlacement(p Placement) {
	if m.adoptPlacement(p) {
		m.queue.QueueBroadcast(&broadcast{key: placementKey, msg: encodePlacement(p)})
	}
}

// adoptPlacement makes p current if it is newer and reports whether it was.
func (m *Membership) adoptPlacement(p Placement) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.Epoch <= m.mu.placement.Epoch {
		return false
	}
	m.mu.placement = p.clone()
	m.notifyLocked()
	return true
}

// Placement returns the newest placement this node has heard of.
func (m *Membership) Placement() Placement {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.placement.clone()
}

// Leave leaves the cluster gracefully: it tells the alive members this node
// is leaving (so they record it as Left, not Dead) and broadcasts
// memberlist's leave, waiting for both up to ctx's deadline (5s without
// one). The node keeps gossiping until Shutdown, which should follow.
// Leaving again is a no-op.
func (m *Membership) Leave(ctx context.Context) error {
	m.life.RLock()
	defer m.life.RUnlock()
	if m.life.closed {
		return ErrClosed
	}
	if m.left.Swap(true) {
		return nil
	}
	notice := encodeLeave(leaveNotice{nodeID: m.localID, boot: m.boot})
	m.mu.Lock()
	if r := m.mu.members[m.localID]; r != nil {
		r.leaving = true
	}
	m.mu.Unlock()
	m.queue.QueueBroadcast(&broadcast{key: leaveKey(m.localID), msg: notice})
	sendCtx, cancel := context.WithTimeout(ctx, memberlistTimeout(ctx))
	m.sendToAlive(sendCtx, notice)
	cancel()
	if err := m.list.Leave(memberlistTimeout(ctx)); err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	m.logger.Info("left cluster")
	return nil
}

// sendToAlive sends msg reliably (TCP) to every other alive member in
// parallel, and waits for the sends until ctx or Shutdown ends the wait.
// Failures are logged: gossip carries the message too.
func (m *Membership) sendToAlive(ctx context.Context, msg []byte) {
	var peers []*memberlist.Node
	for _, n := range m.list.Members() {
		if n.Name != m.name {
			peers = append(peers, n)
		}
	}
	results := make(chan error, len(peers))
	for _, n := range peers {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			err := m.list.SendReliable(n, msg)
			if err != nil {
				err = fmt.Errorf("to %s (%s): %w", n.Name, n.Address(), err)
			}
			results <- err
		}()
	}
	for range peers {
		select {
		case err := <-results:
			if err != nil {
				m.logger.Warn("leave notice not delivered", "err", err)
			}
		case <-ctx.Done():
			return
		case <-m.done:
			return
		}
	}
}

// Shutdown stops gossip without leaving (other members will declare this
// node dead; call Leave first to leave gracefully) and waits for this
// package's goroutines and for a Leave or UpdateMeta in progress (each is
// bounded by its context's deadline). It is idempotent and returns the first
// call's error.
func (m *Membership) Shutdown() error {
	m.doneOnce.Do(func() { close(m.done) })
	m.life.Lock()
	if !m.life.closed {
		m.life.closed = true
		if m.list != nil {
			m.life.shutdownErr = m.list.Shutdown()
		}
		m.logger.Info("gossip membership stopped")
	}
	err := m.life.shutdownErr
	m.life.Unlock()
	m.wg.Wait()
	return err
}

func (m *Membership) conflictErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.conflict
}
