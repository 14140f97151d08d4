package warren

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenhq/warren/actors"
	"github.com/warrenhq/warren/cluster"
	"github.com/warrenhq/warren/consensus"
	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/meta"
	"github.com/warrenhq/warren/consensus/placement"
)

// controller keeps this node's replicas where placement wants them. Its run
// goroutine owns all of the work below:
//
//   - on the meta shard's leader: turn gossip membership into the cluster's
//     placement (the set of nodes shards are placed on), committed to the
//     meta shard with an epoch, and spread it by gossip;
//   - on every node: start the replicas placement assigns to this node
//     and, with Config.Observers, a non-voting replica of every other data
//     shard; drop the ones the shard has removed;
//   - on each shard's leader: add and remove Raft replicas one safe step at
//     a time until the shard's voters match placement, and keep one
//     non-voting replica on every other node of the placement.
type controller struct {
	n         *Node
	peers     []string    // last peers written to the data dir
	bootstrap atomic.Bool // this node formed the cluster: it initialises meta
	kickc     chan struct{}
	transfers map[uint64]time.Time    // shard -> last transfer asked; run goroutine only
	stuck     map[uint64]stuckReplica // local replicas without leader or catch-up; run goroutine only
	grainIDs  map[uint64]string       // replica grain id by shard; run goroutine only
	seenEpoch uint64                  // placement epoch last seen, and since when
	seenSince time.Time
	done      chan struct{}
	wg        sync.WaitGroup
	once      sync.Once
}

// reconcileInterval is how often the controller looks even without a
// membership or leadership event.
const reconcileInterval = 500 * time.Millisecond

func newController(n *Node) *controller {
	return &controller{n: n, kickc: make(chan struct{}, 1), done: make(chan struct{}), transfers: map[uint64]time.Time{},
		stuck: map[uint64]stuckReplica{}, grainIDs: map[uint64]string{}}
}

func (c *controller) start() {
	if err := c.n.rt.Register(replicaKind, func(string, string) actors.Grain { return replicaGrain{n: c.n} }); err != nil {
		c.n.log.Error("register the replica grain", "err", err)
	}
	c.wg.Add(1)
	go c.run()
}

func (c *controller) stop() {
	c.once.Do(func() { close(c.done) })
	c.wg.Wait()
}

// kick asks for a reconcile soon; it never blocks.
func (c *controller) kick() {
	select {
	case c.kickc <- struct{}{}:
	default:
	}
}

func (c *controller) run() {
	defer c.wg.Done()
	sub, cancel := c.n.members.Subscribe()
	defer cancel()
	t := time.NewTicker(reconcileInterval)
	defer t.Stop()
	for {
		c.reconcile()
		select {
		case <-c.done:
			return
		case <-t.C:
		case <-sub:
		case <-c.kickc:
		}
	}
}

func (c *controller) ctx(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (c *controller) reconcile() {
	n := c.n
	if n.host.IsLeader(MetaShard) {
		c.leadMeta()
	}
	c.savePeers()
	p := n.members.Placement()
	if p.Epoch == 0 {
		return
	}
	c.dropRemoved(p)
	c.startAssigned(p)
	c.reconcileLed(p)
	c.settleLocal(p)
}

// desired returns the nodes placement assigns shard to.
func (c *controller) desired(shard uint64, p cluster.Placement) []uint64 {
	return placement.Replicas(shard, p.Members, c.n.cfg.Replicas)
}

// leadMeta runs on the meta shard's leader: it initialises the cluster's
// settings, keeps the placement in line with gossip, and republishes it.
func (c *controller) leadMeta() {
	n := c.n
	ctx, cancel := c.ctx(3 * time.Second)
	defer cancel()
	if c.bootstrap.Load() {
		init := meta.EncodeInit(meta.Init{Settings: meta.Settings{Shards: uint32(n.cfg.Shards), Replicas: uint32(n.cfg.Replicas)}})
		if r, err := n.proposeMeta(ctx, init); err == nil {
			if r.Code != fsm.OK {
				n.log.Error("cluster settings differ from this node's", "code", r.Code)
			}
			c.bootstrap.Store(false)
		}
	}
	raw, err := n.host.Read(ctx, MetaShard, fsm.EncodeQuery(meta.Kind, meta.EncodeGetPlacement()), true)
	if err != nil {
		return
	}
	cur, err := meta.DecodePlacement(raw)
	if err != nil {
		n.log.Error("decode placement", "err", err)
		return
	}
	next := c.placementMembers(cur.Members)
	if !slices.Equal(next, cur.Members) {
		for _, id := range next {
			if !slices.Contains(cur.Members, id) {
				c.registerMember(ctx, id)
			}
		}
		r, err := n.proposeMeta(ctx, meta.EncodeSetPlacement(meta.SetPlacement{PrevEpoch: cur.Epoch, Members: next}))
		if err != nil {
			n.log.Warn("propose placement", "err", err)
			return
		}
		if r.Code != fsm.OK {
			return // raced with another leader's change: look again next time
		}
		cur = meta.Placement{Epoch: cur.Epoch + 1, Members: next}
		n.log.Info("placement changed", "epoch", cur.Epoch, "members", next)
	}
	n.members.PublishPlacement(cluster.Placement{Epoch: cur.Epoch, Members: cur.Members})
}

// placementMembers computes the nodes shards should be placed on: the
// current ones, plus every alive node gossip knows, minus those that have
// been dead or gone for longer than DeadNodeTimeout.
func (c *controller) placementMembers(cur []uint64) []uint64 {
	n := c.n
	known := map[uint64]cluster.Member{}
	for _, m := range n.members.Members() {
		known[m.Meta.NodeID] = m
	}
	var out []uint64
	for _, id := range cur {
		m, ok := known[id]
		if ok && (m.State == cluster.Dead || m.State == cluster.Left) && time.Since(m.Since) > n.cfg.DeadNodeTimeout {
			continue
		}
		out = append(out, id)
	}
	for id, m := range known {
		if m.State == cluster.Alive && m.Meta.RaftAddr != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (c *controller) registerMember(ctx context.Context, id uint64) {
	m, ok := c.n.members.Member(id)
	if !ok {
		return
	}
	mm := meta.Member{ID: id, Name: m.Meta.Name, GossipAddr: m.GossipAddr, RaftAddr: m.Meta.RaftAddr,
		ActorAddr: m.Meta.ActorAddr, ZKAddr: m.Meta.ZKAddr, KafkaAddr: m.Meta.KafkaAddr, HTTPAddr: m.Meta.HTTPAddr}
	if _, err := c.n.proposeMeta(ctx, meta.EncodePutMember(meta.PutMember{Member: mm})); err != nil {
		c.n.log.Warn("register member", "member", id, "err", err)
	}
}

// startAssigned starts the replicas this node should run and does not:
// those placement assigns to it and, with Config.Observers, one of every
// other data shard. A replica with data on disk restarts in the role it
// had. A new one joins its shard as non-voting: the shard's leader adds it,
// then promotes it if placement wants it to vote.
func (c *controller) startAssigned(p cluster.Placement) {
	n := c.n
	running := map[uint64]bool{}
	for _, s := range n.host.LocalShards() {
		running[s.ShardID] = true
	}
	for s := uint64(0); s < uint64(n.cfg.Shards); s++ {
		if running[s] || !c.wantsLocal(s, p) {
			continue
		}
		var err error
		if n.host.HasShardData(s) {
			err = n.host.StartShard(s, nil, false)
		} else {
			err = n.host.StartNonVoting(s)
		}
		if err != nil {
			n.log.Warn("start replica", "shard", s, "err", err)
		}
	}
}

// wantsLocal reports whether this node should run a replica of shard: as a
// voter placement assigns it, or as a non-voting observer. Either way the
// replica joins as non-voting, under the node's next replica id in the
// shard (consensus.ReplicaID).
func (c *controller) wantsLocal(shard uint64, p cluster.Placement) bool {
	if !c.n.host.CanJoin(shard) {
		return false
	}
	return slices.Contains(c.desired(shard, p), c.n.cfg.NodeID) || c.observes(shard, p)
}

// observes reports whether nodes of placement p hold non-voting replicas of
// shard: with Config.Observers, every data shard.
func (c *controller) observes(shard uint64, p cluster.Placement) bool {
	return c.n.cfg.Observers && shard != MetaShard && slices.Contains(p.Members, c.n.cfg.NodeID)
}

// reconcileLed moves the membership of every shard this node leads one
// step toward placement.
func (c *controller) reconcileLed(p cluster.Placement) {
	n := c.n
	settled := c.settled(p)
	for _, s := range n.host.LocalShards() {
		if !s.IsLeader {
			continue
		}
		select {
		case <-c.done:
			return
		default:
		}
		c.reconcileShard(s.ShardID, p, settled)
	}
}

// reconcileShard takes at most one membership step on a shard this node
// leads: first toward placement's voters (a node joins as non-voting and
// is then promoted), then keeping the non-voting replicas in line.
// Non-voting replicas never count as voters.
func (c *controller) reconcileShard(shard uint64, p cluster.Placement, settled bool) {
	n := c.n
	ctx, cancel := c.ctx(3 * time.Second)
	m, err := n.host.Members(ctx, shard)
	cancel()
	if err != nil {
		n.log.Debug("read membership", "shard", shard, "err", err)
		return
	}
	current := consensus.NodeIDs(m.Voters)
	want := c.desired(shard, p)
	step := placement.Next(current, want, n.cfg.NodeID)
	if step.Op == placement.None {
		step = c.balanceStep(shard, current, want)
	}
	switch {
	case step.Op == placement.Add:
		if c.addVoter(shard, step.Node, m) {
			return
		}
	case step.Op != placement.None:
		if settled {
			c.apply(shard, step, m)
		}
		return
	}
	c.observerStep(shard, p, m, settled)
}

// addVoter takes the next step toward node voting in shard: it promotes the
// non-voting replica node has, or adds one. It reports false when node
// cannot be added now (not alive, or no replica id left).
func (c *controller) addVoter(shard, node uint64, m consensus.Members) bool {
	n := c.n
	mem, ok := n.members.Member(node)
	if !ok || mem.State != cluster.Alive || mem.Meta.RaftAddr == "" {
		return false // add only nodes that can start the replica now
	}
	ctx, cancel := c.ctx(3 * time.Second)
	defer cancel()
	op, id := "promote", uint64(0)
	var err error
	if r, voter := m.Of(node); r != 0 && !voter {
		id = r
		err = n.host.AddReplica(ctx, shard, id, m.NonVoting[id])
	} else {
		op, id = "add non-voting", m.NextID(node)
		if id == 0 {
			return false
		}
		err = n.host.AddNonVoting(ctx, shard, id, mem.Meta.RaftAddr)
	}
	if err != nil {
		n.log.Debug("placement step failed", "shard", shard, "op", op, "node", node, "replica", id, "err", err)
		return true
	}
	n.log.Info("placement step", "shard", shard, "op", op, "node", node, "replica", id)
	return true
}

// observerStep keeps one non-voting replica on every alive node of the
// placement that is not a voter of shard (with Config.Observers), and
// removes, once placement has settled, those of nodes placement dropped,
// as voters are removed. At most one change per call.
func (c *controller) observerStep(shard uint64, p cluster.Placement, m consensus.Members, settled bool) {
	n := c.n
	ctx, cancel := c.ctx(3 * time.Second)
	defer cancel()
	if n.cfg.Observers && shard != MetaShard {
		for _, node := range p.Members {
			if r, _ := m.Of(node); r != 0 {
				continue
			}
			mem, ok := n.members.Member(node)
			id := m.NextID(node)
			if !ok || mem.State != cluster.Alive || mem.Meta.RaftAddr == "" || id == 0 {
				continue
			}
			if err := n.host.AddNonVoting(ctx, shard, id, mem.Meta.RaftAddr); err != nil {
				n.log.Debug("add observer failed", "shard", shard, "node", node, "replica", id, "err", err)
			} else {
				n.log.Info("placement step", "shard", shard, "op", "add observer", "node", node, "replica", id)
			}
			return
		}
	}
	if !settled {
		return
	}
	ids := make([]uint64, 0, len(m.NonVoting))
	for id := range m.NonVoting {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	want := c.desired(shard, p)
	for _, id := range ids {
		// Only replicas of nodes gossip knows: an unknown one may belong
		// to a node a leader with a newer placement added. Without
		// observers, a node that placement no longer wants to vote loses
		// the non-voting replica it joined with.
		node := consensus.NodeOf(id)
		keep := slices.Contains(p.Members, node) && (n.cfg.Observers && shard != MetaShard || slices.Contains(want, node))
		if _, known := n.members.Member(node); !known || keep {
			continue
		}
		if err := n.host.RemoveReplica(ctx, shard, id); err != nil {
			n.log.Debug("remove observer failed", "shard", shard, "node", node, "replica", id, "err", err)
		} else {
			n.log.Info("placement step", "shard", shard, "op", "remove observer", "node", node, "replica", id)
		}
		return
	}
}

// settleTime is how long a placement must stay unchanged before leaders
// remove replicas or move leadership because of it.
const settleTime = 2 * time.Second

// settled reports whether this node's placement can be trusted for steps
// that take replicas away. A placement learnt by gossip may be older than
// the one another leader already acted on: acting on it could remove a
// replica that a newer placement added, and Raft never lets a removed
// replica back. So removals (and leadership moves) wait until the placement
// has been stable for settleTime and includes every alive node gossip
// knows; adds are always safe.
func (c *controller) settled(p cluster.Placement) bool {
	now := time.Now()
	if p.Epoch != c.seenEpoch {
		c.seenEpoch, c.seenSince = p.Epoch, now
	}
	if now.Sub(c.seenSince) < settleTime {
		return false
	}
	for _, m := range c.n.members.Members() {
		if m.State == cluster.Alive && m.Meta.RaftAddr != "" && !slices.Contains(p.Members, m.Meta.NodeID) {
			return false
		}
	}
	return true
}

// balanceStep spreads leadership: once a shard's membership matches
// placement, its preferred leader is the first of its desired replicas (the
// highest rendezvous score), so leaders, and with them grain activations
// and write load, spread evenly over the nodes. Leadership moves there only
// while that node is alive; Raft hands over once its log has caught up.
// It waits while this node, having taken the shard over, still times a
// session from its takeover estimate (sessionManager.holdsLeadership).
func (c *controller) balanceStep(shard uint64, current, want []uint64) placement.Step {
	n := c.n
	if len(want) == 0 || want[0] == n.cfg.NodeID || !slices.Contains(current, want[0]) || len(current) != len(want) {
		return placement.Step{}
	}
	if m, ok := n.members.Member(want[0]); !ok || m.State != cluster.Alive {
		return placement.Step{}
	}
	if n.sessions.holdsLeadership(shard) {
		return placement.Step{}
	}
	now := time.Now()
	// Ask at most once per shard every few seconds, so a preferred node
	// that cannot take over is not pestered.
	if last, ok := c.transfers[shard]; ok && now.Sub(last) < 5*time.Second {
		return placement.Step{}
	}
	c.transfers[shard] = now
	return placement.Step{Op: placement.TransferLeader, Node: want[0]}
}

// apply takes a Remove or TransferLeader step on shard, whose membership
// is m.
func (c *controller) apply(shard uint64, step placement.Step, m consensus.Members) {
	n := c.n
	ctx, cancel := c.ctx(3 * time.Second)
	defer cancel()
	var err error
	switch step.Op {
	case placement.Remove:
		// A replica on a node gossip has not told us about yet was added by
		// a leader that knew a newer placement: leave it alone.
		id, _ := m.Of(step.Node)
		if _, ok := n.members.Member(step.Node); !ok || id == 0 {
			return
		}
		err = n.host.RemoveReplica(ctx, shard, id)
	case placement.TransferLeader:
		err = n.host.TransferLeader(shard, step.Node)
	}
	if err != nil {
		n.log.Debug("placement step failed", "shard", shard, "op", step.Op, "node", step.Node, "err", err)
		return
	}
	n.log.Info("placement step", "shard", shard, "op", step.Op, "node", step.Node)
}

// dropRemoved deletes the data of the local replicas that their shard has
// removed from its membership: dragonboat stops such a replica once it
// applies its removal. The watches set on a dropped replica wait for the
// replica that replaces it (watchHub.detach).
func (c *controller) dropRemoved(p cluster.Placement) {
	n := c.n
	for _, shard := range n.host.Unloaded() {
		n.watches.detach(shard)
		ctx, cancel := c.ctx(5 * time.Second)
		err := n.host.DropReplica(ctx, shard)
		cancel()
		if err != nil {
			n.log.Warn("drop removed replica", "shard", shard, "err", err)
			continue
		}
		n.log.Info("dropped replica its shard removed", "shard", shard, "placed here", slices.Contains(c.desired(shard, p), n.cfg.NodeID))
	}
}

// settleLocal moves local replicas along: it drives the catch-up of those
// that joined or run non-voting, records promotions (see
// consensus.Host.FinishPromotion), checks on replicas that stay without a
// leader or behind, and resumes watches that waited for a replacement
// replica.
func (c *controller) settleLocal(p cluster.Placement) {
	n := c.n
	now := time.Now()
	local := map[uint64]bool{}
	for _, s := range n.host.LocalShards() {
		local[s.ShardID] = true
		if !n.host.CaughtUp(s.ShardID) {
			n.host.PollCatchUp(s.ShardID)
		}
		c.checkStuck(s, p, now)
		if _, voter := s.Replicas[n.cfg.NodeID]; !voter || s.IsNonVoting || !n.host.PendingPromotion(s.ShardID) {
			continue
		}
		ctx, cancel := c.ctx(3 * time.Second)
		err := n.host.FinishPromotion(ctx, s.ShardID)
		cancel()
		if err != nil {
			n.log.Debug("record promotion", "shard", s.ShardID, "err", err)
			continue
		}
		n.log.Info("replica promoted to voter", "shard", s.ShardID)
	}
	for shard := range c.stuck {
		if !local[shard] {
			delete(c.stuck, shard)
		}
	}
	for _, shard := range n.watches.detachedShards() {
		if err := n.reattachWatches(shard); err != nil {
			n.log.Debug("resume watches", "shard", shard, "err", err)
		}
	}
}

// Stuck replicas. A replica removed from its shard stops once it applies
// its removal, but the leader stops talking to it as soon as it applies
// the removal itself, so the replica may never learn of it (nor does one
// removed while its node was down), and a replica started for a placement
// that changed before the leader added it is never added at all. Such a
// replica has no leader or does not catch up; a non-voting one may keep
// its last leader, but then placement no longer wants it here. After
// stuckAfter in one of these states the controller asks, through the
// replica grain, how the shard's membership sees the replica, and drops it
// if the shard removed it, or discards it if the shard never added it and
// placement no longer wants it.
const (
	stuckAfter = 3 * time.Second
	stuckProbe = 5 * time.Second // between two questions about one replica
)

type stuckReplica struct {
	since, asked time.Time
}

// checkStuck looks at one local replica; see stuckAfter.
func (c *controller) checkStuck(s consensus.ShardInfo, p cluster.Placement, now time.Time) {
	n := c.n
	if s.Leader != 0 && n.host.CaughtUp(s.ShardID) && c.wantsLocal(s.ShardID, p) {
		delete(c.stuck, s.ShardID)
		return
	}
	st, ok := c.stuck[s.ShardID]
	if !ok {
		c.stuck[s.ShardID] = stuckReplica{since: now}
		return
	}
	if now.Sub(st.since) < stuckAfter || now.Sub(st.asked) < stuckProbe {
		return
	}
	st.asked = now
	c.stuck[s.ShardID] = st
	status, err := c.askReplica(s.ShardID, s.ReplicaID)
	if err != nil {
		n.log.Debug("ask about a stuck replica", "shard", s.ShardID, "replica", s.ReplicaID, "err", err)
		return
	}
	ctx, cancel := c.ctx(5 * time.Second)
	defer cancel()
	switch status {
	case replicaRemoved:
		n.watches.detach(s.ShardID)
		err = n.host.DropReplica(ctx, s.ShardID)
	case replicaUnknown:
		if c.wantsLocal(s.ShardID, p) {
			return // the leader adds it
		}
		err = n.host.DiscardReplica(ctx, s.ShardID)
	default:
		return // a member: slow, not stuck
	}
	if err != nil {
		n.log.Warn("delete stuck replica", "shard", s.ShardID, "replica", s.ReplicaID, "err", err)
		return
	}
	delete(c.stuck, s.ShardID)
	n.log.Info("deleted a replica its shard removed or never added", "shard", s.ShardID, "replica", s.ReplicaID)
}

// askReplica asks how shard's membership sees replica: for a data shard,
// the replica grain on the shard's leader; for the meta shard, whose leader
// holds no grains, those of data shards until one whose node holds a meta
// replica answers.
func (c *controller) askReplica(shard, replica uint64) (replicaStatus, error) {
	q := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, shard), replica)
	via := []uint64{shard}
	if shard == MetaShard {
		via = via[:0]
		for d := uint64(1); d < uint64(c.n.cfg.Shards) && len(via) < 4; d++ {
			via = append(via, d)
		}
	}
	var err error
	for _, d := range via {
		ctx, cancel := c.ctx(time.Second)
		var out []byte
		out, err = c.n.rt.Request(ctx, replicaKind, c.replicaGrainID(d), replicaMethod, q, nil)
		cancel()
		if err == nil && len(out) == 1 {
			return replicaStatus(out[0]), nil
		}
	}
	return 0, fmt.Errorf("no answer about replica %d of shard %d: %w", replica, shard, err)
}

// replicaKind is the grain, one per data shard on its leader, that tells
// nodes how the membership of a shard its node replicates sees one of
// their replicas.
const (
	replicaKind   = "warren.replica"
	replicaMethod = "status" // payload: shard, replica id (8 bytes each); reply: replicaStatus
)

type replicaStatus byte

const (
	replicaUnknown replicaStatus = iota // never added
	replicaVoter
	replicaNonVoting
	replicaRemoved
)

// replicaGrainID returns an id of the replica grain that lives on shard
// (grain ids hash onto data shards; the first that lands on shard).
func (c *controller) replicaGrainID(shard uint64) string {
	if id, ok := c.grainIDs[shard]; ok {
		return id
	}
	for k := 0; ; k++ {
		id := fmt.Sprintf("%d.%d", shard, k)
		if ShardOf(replicaKind, id, c.n.cfg.Shards) == shard {
			c.grainIDs[shard] = id
			return id
		}
	}
}

// replicaGrain answers replicaMethod from the membership its shard's
// leader reads.
type replicaGrain struct{ n *Node }

func (replicaGrain) Concurrent() bool { return true }

func (g replicaGrain) Receive(ctx *actors.Context, method string, payload []byte) ([]byte, error) {
	if method != replicaMethod || len(payload) != 16 {
		return nil, fmt.Errorf("%w: replica grain: method %q with %d bytes", ErrBadRequest, method, len(payload))
	}
	shard, id := binary.BigEndian.Uint64(payload), binary.BigEndian.Uint64(payload[8:])
	if !g.n.host.Hosts(shard) {
		return nil, fmt.Errorf("replica grain: node %d holds no caught-up replica of shard %d", g.n.cfg.NodeID, shard)
	}
	m, err := g.n.host.Members(ctx, shard)
	if err != nil {
		return nil, err
	}
	_, voter := m.Voters[id]
	_, nonVoting := m.NonVoting[id]
	st := replicaUnknown
	switch {
	case voter:
		st = replicaVoter
	case nonVoting:
		st = replicaNonVoting
	case m.Removed[id]:
		st = replicaRemoved
	}
	return []byte{byte(st)}, nil
}

// proposeMeta proposes one meta-shard command.
func (n *Node) proposeMeta(ctx context.Context, op []byte) (fsm.Result, error) {
	return n.host.Propose(ctx, MetaShard, fsm.Command{Kind: meta.Kind, Stamp: time.Now().UnixMilli(), Op: op})
}

// savePeers records the gossip addresses of the other known members when
// they change, for readPeers after a restart.
func (c *controller) savePeers() {
	var peers []string
	for _, m := range c.n.members.Members() {
		if m.Meta.NodeID != c.n.cfg.NodeID && m.GossipAddr != "" {
			peers = append(peers, m.GossipAddr)
		}
	}
	slices.Sort(peers)
	if len(peers) == 0 || slices.Equal(peers, c.peers) {
		return
	}
	if err := writePeers(c.n.cfg.DataDir, peers); err != nil {
		c.n.log.Warn("store peers", "err", err)
		return
	}
	c.peers = peers
}
