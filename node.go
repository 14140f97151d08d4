package warren

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren/actors"
	"github.com/warrenhq/warren/cluster"
	"github.com/warrenhq/warren/consensus"
	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/meta"
	"github.com/warrenhq/warren/consensus/fsm/state"
	"github.com/warrenhq/warren/consensus/fsm/znode"
	"github.com/warrenhq/warren/grains/builtin"
	"github.com/warrenhq/warren/grains/coord"
	"github.com/warrenhq/warren/observability"
)

// Node is one running Warren cluster member inside this process. It is safe
// for concurrent use.
type Node struct {
	cfg      Config
	log      *slog.Logger
	tel      *observability.Telemetry
	tracer   trace.Tracer
	ownTel   bool
	host     *consensus.Host
	members  *cluster.Membership
	rt       *actors.Runtime
	ctl      *controller
	sessions *sessionManager
	watches  *watchHub
	// rtReady publishes rt to dragonboat's goroutines (onLeader).
	rtReady atomic.Pointer[actors.Runtime]

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Start starts a node: it opens DataDir, starts Raft, gossip and the actor
// runtime, forms a new cluster (no Join seeds and no data yet), restarts the
// replicas found in DataDir, or joins the seeds, and returns once the node
// knows the cluster's placement. Cancel ctx to give up.
func Start(ctx context.Context, cfg Config) (_ *Node, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("warren: invalid config: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("warren: data dir: %w", err)
	}
	id, err := loadNodeID(cfg.DataDir, cfg.NodeID)
	if err != nil {
		return nil, err
	}
	cfg.NodeID = id
	if cfg.Name == "" {
		cfg.Name = "node-" + strconv.FormatUint(id, 10)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", id), tel: cfg.Telemetry}
	defer func() {
		if err != nil {
			n.shutdown(context.Background(), false)
		}
	}()
	if n.tel == nil {
		n.tel, err = observability.NewTelemetry(observability.TelemetryOptions{InstanceID: strconv.FormatUint(id, 10), Logger: n.log})
		if err != nil {
			return nil, err
		}
		n.ownTel = true
	}
	n.tracer = n.tel.Tracer(tracerName)
	fresh := !hasRaftData(cfg.DataDir)
	n.ctl = newController(n)
	n.watches = newWatchHub()
	n.host, err = consensus.NewHost(consensus.Config{
		NodeID:    id,
		Dir:       cfg.DataDir,
		RaftAddr:  cfg.RaftAddr,
		RTTMillis: uint64(cfg.RTTMillis),
		Machines:  machines(cfg),
		OnLeader:  n.onLeader,
		OnApply: func(shard, _ uint64, _ []fsm.Result, events []fsm.Event) {
			if len(events) > 0 {
				n.watches.dispatch(shard, events)
			}
		},
		Logger: n.log,
		Meter:  n.tel.Meter("github.com/warrenhq/warren/consensus"),
		Tracer: n.tel.Tracer("github.com/warrenhq/warren/consensus"),
	})
	if err != nil {
		return nil, err
	}
	seeds := slices.Clone(cfg.Join)
	if !fresh {
		// A restarting node rejoins through the peers it last knew, so a
		// node started without --join (the one that formed the cluster)
		// finds the others again.
		seeds = append(seeds, readPeers(cfg.DataDir, cfg.GossipAddr)...)
	}
	n.members, err = cluster.Start(ctx, n.clusterConfig(seeds))
	if err != nil {
		return nil, err
	}
	rt, err := actors.Start(actors.Config{
		NodeID: id, ActorAddr: cfg.ActorAddr, Host: n.host, Route: router{n},
		IdleTimeout: cfg.GrainIdleTimeout, RequestTimeout: cfg.RequestTimeout, Logger: n.log,
		Tracer: n.tel.Tracer("github.com/warrenhq/warren/actors"),
	})
	if err != nil {
		return nil, err
	}
	n.rt = rt
	n.rtReady.Store(rt)
	if err := builtin.Register(n.rt); err != nil {
		return nil, err
	}
	if err := coord.Register(n.rt); err != nil {
		return nil, err
	}
	if err := n.rt.Register(sessionKind, func(string, string) actors.Grain { return sessionGrain{n: n} }); err != nil {
		return nil, err
	}
	n.sessions = newSessionManager(n)
	n.sessions.start()
	if err := n.startReplicas(fresh); err != nil {
		return nil, err
	}
	if err := n.registerMetrics(); err != nil {
		return nil, fmt.Errorf("warren: metrics: %w", err)
	}
	n.ctl.start()
	if err := n.waitPlacement(ctx); err != nil {
		return nil, err
	}
	n.log.Info("node started", "name", cfg.Name, "raft", cfg.RaftAddr, "gossip", cfg.GossipAddr,
		"actor", cfg.ActorAddr, "shards", cfg.Shards, "bootstrap", fresh && len(cfg.Join) == 0)
	return n, nil
}

// machines returns, for each shard, its state machines.
func machines(cfg Config) func(shard uint64) map[string]fsm.Machine {
	lim := znode.DefaultLimits()
	lim.MaxDataBytes = cfg.MaxZnodeDataBytes
	return func(shard uint64) map[string]fsm.Machine {
		if shard == MetaShard {
			return map[string]fsm.Machine{meta.Kind: meta.New()}
		}
		return map[string]fsm.Machine{state.Kind: state.New(), znode.Kind: znode.New(lim)}
	}
}

func (n *Node) clusterConfig(seeds []string) cluster.Config {
	c := cluster.DefaultConfig()
	c.BindAddr = n.cfg.GossipAddr
	c.Seeds = seeds
	c.Logger = n.log
	c.Meta = cluster.NodeMeta{
		NodeID: n.cfg.NodeID, Name: n.cfg.Name, RaftAddr: n.cfg.RaftAddr, ActorAddr: n.cfg.ActorAddr,
		ZKAddr: n.cfg.ZKAddr, KafkaAddr: n.cfg.KafkaAddr, HTTPAddr: n.cfg.HTTPAddr,
	}
	return c
}

// startReplicas restarts every replica with data on disk, or, for the first
// node of a new cluster, creates every shard with this node as its only
// member. A node joining an existing cluster starts nothing here: the
// controller starts its replicas once placement assigns them.
func (n *Node) startReplicas(fresh bool) error {
	if fresh && len(n.cfg.Join) == 0 {
		self := map[uint64]string{n.cfg.NodeID: n.cfg.RaftAddr}
		for s := 0; s < n.cfg.Shards; s++ {
			if err := n.host.StartShard(uint64(s), self, false); err != nil {
				return err
			}
		}
		n.ctl.bootstrap.Store(true)
		return nil
	}
	for s := 0; s < n.cfg.Shards; s++ {
		if n.host.HasShardData(uint64(s)) {
			if err := n.host.StartShard(uint64(s), nil, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitPlacement returns once this node knows a placement (epoch > 0).
func (n *Node) waitPlacement(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for n.members.Placement().Epoch == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("warren: waiting for the cluster's placement: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func (n *Node) onLeader(shard, leader, term uint64) {
	if rt := n.rtReady.Load(); rt != nil {
		rt.LeaderChanged(shard, leader)
	}
	n.ctl.kick()
}

// ID returns the node's id.
func (n *Node) ID() uint64 { return n.cfg.NodeID }

// Config returns the node's configuration, with NodeID and Name resolved.
func (n *Node) Config() Config { return n.cfg }

// Telemetry returns the node's metrics pipeline.
func (n *Node) Telemetry() *observability.Telemetry { return n.tel }

// ActorSystem returns the node's protoactor actor system, reachable from
// other nodes over protoactor remote at Config.ActorAddr.
func (n *Node) ActorSystem() *actor.ActorSystem { return n.rt.System() }

// Spawn starts a plain (non-grain) protoactor actor on this node.
func (n *Node) Spawn(props *actor.Props) (*actor.PID, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	return n.rt.System().Root.Spawn(props), nil
}

// Ready returns nil once this node knows the placement and every replica
// placement assigns to it runs, votes, and has a leader.
func (n *Node) Ready(ctx context.Context) error {
	if n.closed.Load() {
		return ErrClosed
	}
	p := n.members.Placement()
	if p.Epoch == 0 {
		return errors.New("no placement yet")
	}
	if !contains(p.Members, n.cfg.NodeID) {
		return fmt.Errorf("node not in placement epoch %d yet", p.Epoch)
	}
	local := map[uint64]consensus.ShardInfo{}
	for _, s := range n.host.LocalShards() {
		local[s.ShardID] = s
	}
	var missing []string
	for s := 0; s < n.cfg.Shards; s++ {
		if !contains(n.ctl.desired(uint64(s), p), n.cfg.NodeID) {
			continue
		}
		info, ok := local[uint64(s)]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("shard %d not started", s))
		case info.IsNonVoting:
			// Until it votes, the shard's quorum is counted among fewer
			// nodes than placement wants: losing one could stall it.
			missing = append(missing, fmt.Sprintf("shard %d not a voter yet", s))
		case info.Leader == 0:
			missing = append(missing, fmt.Sprintf("shard %d has no leader", s))
		}
	}
	if len(missing) > 0 {
		if len(missing) > 5 {
			missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
		}
		return errors.New(strings.Join(missing, "; "))
	}
	return nil
}

// Close leaves the cluster gracefully: it hands leadership of the shards
// this node leads to other replicas, stops its grains, leaves gossip and
// stops Raft. The node keeps its place in the shard placement, so a
// restart with the same DataDir resumes where it left off.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown(ctx, true) })
	return n.closeErr
}

func (n *Node) shutdown(ctx context.Context, graceful bool) error {
	n.closed.Store(true)
	if n.ctl != nil {
		n.ctl.stop()
	}
	if n.sessions != nil {
		n.sessions.stop()
	}
	if graceful && n.host != nil {
		n.handOffLeadership(ctx)
	}
	if !graceful && n.host != nil {
		n.host.Close() // as in a crash, Raft stops first
	}
	if n.rt != nil {
		n.rt.Close()
	}
	var errs []error
	if n.members != nil {
		if graceful {
			if err := n.members.Leave(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if err := n.members.Shutdown(); err != nil {
			errs = append(errs, err)
		}
	}
	if n.host != nil {
		n.host.Close()
	}
	if n.ownTel && n.tel != nil {
		if err := n.tel.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// handOffLeadership asks another replica to take over every shard this node
// leads and waits (bounded by ctx and 5 s) until it has.
func (n *Node) handOffLeadership(ctx context.Context) {
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for time.Now().Before(deadline) {
		moved := true
		for _, s := range n.host.LocalShards() {
			if !s.IsLeader {
				continue
			}
			for id := range s.Replicas {
				if id != n.cfg.NodeID {
					moved = false
					_ = n.host.TransferLeader(s.ShardID, id)
					break
				}
			}
		}
		if moved {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadNodeID returns the node id stored in dir, storing want (or a random
// id when want is 0) on first start.
func loadNodeID(dir string, want uint64) (uint64, error) {
	path := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(path)
	if err == nil {
		id, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if perr != nil || id == 0 {
			return 0, fmt.Errorf("warren: %s: bad node id %q", path, strings.TrimSpace(string(b)))
		}
		if want != 0 && want != id {
			return 0, fmt.Errorf("%w: configured %d, %s holds %d", ErrNodeIDMismatch, want, path, id)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("warren: read node id: %w", err)
	}
	id := want
	for id == 0 {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return 0, err
		}
		id = binary.BigEndian.Uint64(r[:]) >> 11 // fits a JSON number exactly
	}
	if err := os.WriteFile(path, []byte(strconv.FormatUint(id, 10)+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("warren: store node id: %w", err)
	}
	return id, nil
}

func hasRaftData(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "raft"))
	return err == nil
}

func contains(s []uint64, v uint64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Kill stops the node abruptly, as a crash would: no leadership hand-off,
// no gossip leave. Data already acknowledged is on disk. It exists for fault
// tests; use Close otherwise.
func (n *Node) Kill() {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown(context.Background(), false) })
}

// peersFile lists the gossip addresses of the other members, one per line,
// so that a restart can rejoin without --join.
const peersFile = "peers"

func readPeers(dir, self string) []string {
	b, err := os.ReadFile(filepath.Join(dir, peersFile))
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && l != self {
			out = append(out, l)
		}
	}
	return out
}

// writePeers stores peers atomically.
func writePeers(dir string, peers []string) error {
	tmp := filepath.Join(dir, peersFile+".tmp")
	if err := os.WriteFile(tmp, []byte(strings.Join(peers, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, peersFile))
}

// ClusterProvider returns a protoactor-go ClusterProvider fed by this node's
// gossip membership, for SDK users who run protoactor's cluster package on
// top of Warren (set the actor system's ID to the provider's MemberID before
// cluster.New). Warren's own grains do not need it.
func (n *Node) ClusterProvider(kinds ...string) *cluster.ProtoProvider {
	return cluster.NewProtoProvider(n.members, kinds...)
}
