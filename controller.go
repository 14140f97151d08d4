package warren

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenhq/warren/cluster"
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
//   - on every node: start the replicas placement assigns to this node and
//     drop the ones it no longer hosts after their removal;
//   - on each shard's leader: add and remove Raft replicas one safe step at
//     a time until the shard's membership matches placement.
type controller struct {
	n         *Node
	peers     []string    // last peers written to the data dir
	bootstrap atomic.Bool // this node formed the cluster: it initialises meta
	kickc     chan struct{}
	transfers map[uint64]time.Time // shard -> last transfer asked; run goroutine only
	seenEpoch uint64               // placement epoch last seen, and since when
	seenSince time.Time
	done      chan struct{}
	wg        sync.WaitGroup
	once      sync.Once
}

// reconcileInterval is how often the controller looks even without a
// membership or leadership event.
const reconcileInterval = 500 * time.Millisecond

func newController(n *Node) *controller {
	return &controller{n: n, kickc: make(chan struct{}, 1), done: make(chan struct{}), transfers: map[uint64]time.Time{}}
}

func (c *controller) start() {
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
	c.startAssigned(p)
	c.reconcileLed(p)
	c.dropRemoved(p)
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

// startAssigned starts the replicas placement assigns to this node.
func (c *controller) startAssigned(p cluster.Placement) {
	n := c.n
	running := map[uint64]bool{}
	for _, s := range n.host.LocalShards() {
		running[s.ShardID] = true
	}
	for s := uint64(0); s < uint64(n.cfg.Shards); s++ {
		if running[s] || !slices.Contains(c.desired(s, p), n.cfg.NodeID) {
			continue
		}
		join := !n.host.HasShardData(s)
		if err := n.host.StartShard(s, nil, join); err != nil {
			n.log.Warn("start assigned replica", "shard", s, "err", err)
		}
	}
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
		current := make([]uint64, 0, len(s.Replicas))
		for id := range s.Replicas {
			current = append(current, id)
		}
		want := c.desired(s.ShardID, p)
		step := placement.Next(current, want, n.cfg.NodeID)
		if step.Op == placement.None {
			step = c.balanceStep(s.ShardID, current, want)
		}
		if step.Op == placement.None || (step.Op != placement.Add && !settled) {
			continue
		}
		select {
		case <-c.done:
			return
		default:
		}
		c.apply(s.ShardID, step)
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
func (c *controller) balanceStep(shard uint64, current, want []uint64) placement.Step {
	n := c.n
	if len(want) == 0 || want[0] == n.cfg.NodeID || !slices.Contains(current, want[0]) || len(current) != len(want) {
		return placement.Step{}
	}
	if m, ok := n.members.Member(want[0]); !ok || m.State != cluster.Alive {
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

func (c *controller) apply(shard uint64, step placement.Step) {
	n := c.n
	ctx, cancel := c.ctx(3 * time.Second)
	defer cancel()
	var err error
	switch step.Op {
	case placement.Add:
		m, ok := n.members.Member(step.Node)
		if !ok || m.State != cluster.Alive || m.Meta.RaftAddr == "" {
			return // add only nodes that can start the replica now
		}
		err = n.host.AddReplica(ctx, shard, step.Node, m.Meta.RaftAddr)
	case placement.Remove:
		// A replica on a node gossip has not told us about yet was added by
		// a leader that knew a newer placement: leave it alone.
		if _, ok := n.members.Member(step.Node); !ok {
			return
		}
		err = n.host.RemoveReplica(ctx, shard, step.Node)
	case placement.TransferLeader:
		err = n.host.TransferLeader(shard, step.Node)
	}
	if err != nil {
		n.log.Debug("placement step failed", "shard", shard, "op", step.Op, "node", step.Node, "err", err)
		return
	}
	n.log.Info("placement step", "shard", shard, "op", step.Op, "node", step.Node)
}

// dropRemoved deletes local replicas that placement no longer wants and
// that the shard has already removed from its membership.
func (c *controller) dropRemoved(p cluster.Placement) {
	n := c.n
	for _, s := range n.host.LocalShards() {
		if s.Pending || slices.Contains(c.desired(s.ShardID, p), n.cfg.NodeID) {
			continue
		}
		if _, member := s.Replicas[n.cfg.NodeID]; member || len(s.Replicas) == 0 {
			continue
		}
		ctx, cancel := c.ctx(5 * time.Second)
		err := n.host.RemoveShardData(ctx, s.ShardID)
		cancel()
		if err != nil {
			n.log.Warn("drop removed replica", "shard", s.ShardID, "err", err)
			continue
		}
		n.log.Info("dropped replica no longer placed here", "shard", s.ShardID)
	}
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
