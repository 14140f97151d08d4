package consensus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lni/dragonboat/v4"
	"github.com/lni/dragonboat/v4/config"
	dblogger "github.com/lni/dragonboat/v4/logger"
	"github.com/lni/dragonboat/v4/raftio"
	sm "github.com/lni/dragonboat/v4/statemachine"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/warrenhq/warren/consensus/fsm"
)

// Config configures a Host.
type Config struct {
	// NodeID is this node's id, at most MaxNodeID; local replicas' ids
	// derive from it (ReplicaID).
	NodeID uint64
	// Dir holds the Raft log (LogDB) and the state machines' pebble data.
	Dir string
	// RaftAddr is where other nodes reach this node's Raft transport.
	RaftAddr string
	// RTTMillis is the expected round trip between nodes. Heartbeats are
	// sent every RTT and elections start after 10-20 RTT of silence.
	RTTMillis uint64
	// Machines returns the state machines of one shard, keyed by kind. It is
	// called once for every replica the host opens.
	Machines func(shard uint64) map[string]fsm.Machine
	// OnApply, if set, is told about every applied entry (see ApplyFunc).
	OnApply ApplyFunc
	// OnLeader, if set, is told when a local replica learns of a new leader
	// (leader 0: none). It runs on a dragonboat goroutine and must not block.
	OnLeader func(shard, leader, term uint64)
	// SnapshotEntries is how many entries pass between snapshots; the log
	// before a snapshot is compacted. Default 10000.
	SnapshotEntries uint64
	// MaxBatch bounds how many commands share one Raft entry. Default 1024.
	MaxBatch int
	// MaxInflight bounds concurrent proposals per shard. Default 16.
	MaxInflight int
	// Logger receives the host's logs. Default slog.Default().
	Logger *slog.Logger
	// Meter records proposal metrics. Default: a no-op meter.
	Meter metric.Meter
	// NoDragonboatMetrics turns off dragonboat's own per-replica metrics
	// (dragonboat_raftnode_*, see observability.ExportDragonboatMetrics),
	// which are on by default.
	NoDragonboatMetrics bool
	// LogDBShards splits the node's Raft log store into that many
	// databases, each with its own write-ahead log and fsyncs. Default 1:
	// every shard's appends share fsyncs (see sharedLogDBShards). A data
	// directory keeps the layout it was made with.
	LogDBShards uint64
	// Tracer records a span for every traced proposal and, on each
	// replica, for the apply of every traced command. Default: no-op.
	Tracer trace.Tracer
}

func (c *Config) setDefaults() {
	if c.SnapshotEntries == 0 {
		c.SnapshotEntries = 10000
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1024
	}
	if c.MaxInflight <= 0 {
		c.MaxInflight = 16
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RTTMillis == 0 {
		c.RTTMillis = 50
	}
	if c.Meter == nil {
		c.Meter = noop.NewMeterProvider().Meter("consensus")
	}
	if c.Tracer == nil {
		c.Tracer = tracenoop.NewTracerProvider().Tracer("consensus")
	}
}

// instruments are the host's metrics.
type instruments struct {
	entries  metric.Int64Counter
	commands metric.Int64Counter
	batch    metric.Int64Histogram
	latency  metric.Float64Histogram
	leaders  metric.Int64Counter
}

func newInstruments(m metric.Meter) (instruments, error) {
	var in instruments
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	in.entries, err = m.Int64Counter("warren.raft.proposals", metric.WithDescription("Raft entries proposed (each carries a batch of commands), by shard and outcome."))
	add(err)
	in.commands, err = m.Int64Counter("warren.raft.commands", metric.WithDescription("Commands proposed, by shard and outcome."))
	add(err)
	in.batch, err = m.Int64Histogram("warren.raft.batch.size", metric.WithDescription("Commands per proposed Raft entry."),
		metric.WithExplicitBucketBoundaries(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
	add(err)
	in.latency, err = m.Float64Histogram("warren.raft.proposal.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from proposing an entry to its local apply."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
	add(err)
	in.leaders, err = m.Int64Counter("warren.raft.leader.changes", metric.WithDescription("Leader changes seen by local replicas, by shard."))
	add(err)
	return in, errors.Join(errs...)
}

// maxEntryBytes bounds the encoded size of one batched entry.
const maxEntryBytes = 8 << 20

// Host runs this node's shard replicas on one dragonboat NodeHost.
type Host struct {
	cfg Config
	nh  *dragonboat.NodeHost
	log *slog.Logger
	ins instruments

	mu struct {
		sync.Mutex
		shards map[uint64]*replica
		// initial caches memberships dragonboat has not published yet
		// (see initialMembership).
		initial map[uint64]Members
		closed  bool
	}
	nv nonVoting // roles and catch-up of replicas (nonvoting.go)
}

// replica is one local shard replica.
type replica struct {
	shard uint64
	sm    *diskSM
	prop  *proposer
}

var quietOnce sync.Once

// quietDragonboat lowers dragonboat's process-wide log levels; its logger is
// a package global, so this is the one place Warren touches it.
func quietDragonboat() {
	quietOnce.Do(func() {
		for _, p := range []string{"config", "dragonboat", "gossip", "logdb", "LogDB", "pebblekv", "raft", "raftpb", "registry", "rsm", "server", "settings", "tan", "transport", "grpc"} {
			dblogger.GetLogger(p).SetLevel(dblogger.ERROR)
		}
		// The transport reports every connection a stopping peer resets as
		// an error; peers come and go by design, so keep only criticals.
		dblogger.GetLogger("transport").SetLevel(dblogger.CRITICAL)
	})
}

// NewHost starts the NodeHost. No replica runs until StartShard.
func NewHost(cfg Config) (*Host, error) {
	cfg.setDefaults()
	if cfg.NodeID == 0 || cfg.NodeID > MaxNodeID {
		return nil, fmt.Errorf("consensus: NodeID must be in [1, %d]", uint64(MaxNodeID))
	}
	if cfg.Machines == nil {
		return nil, errors.New("consensus: Machines is required")
	}
	quietDragonboat()
	h := &Host{cfg: cfg, log: cfg.Logger.With("component", "consensus")}
	ins, err := newInstruments(cfg.Meter)
	if err != nil {
		return nil, fmt.Errorf("consensus: metrics: %w", err)
	}
	h.ins = ins
	h.mu.shards = make(map[uint64]*replica)
	h.mu.initial = make(map[uint64]Members)
	shards := cfg.LogDBShards
	if shards == 0 {
		shards = sharedLogDBShards
	}
	nhc := nodeHostConfig(cfg, h, shards)
	nh, err := dragonboat.NewNodeHost(nhc)
	if err != nil && strings.Contains(err.Error(), "hard setting") && shards != legacyLogDBShards {
		// A data directory made by a build that split the Raft log
		// over legacyLogDBShards databases: dragonboat refuses another
		// layout, so keep that one.
		h.log.Warn("raft log kept in its earlier layout: this data directory was made by an earlier build", "logdb_shards", legacyLogDBShards)
		nhc = nodeHostConfig(cfg, h, legacyLogDBShards)
		nh, err = dragonboat.NewNodeHost(nhc)
	}
	if err != nil {
		return nil, fmt.Errorf("consensus: start nodehost: %w", err)
	}
	h.nh = nh
	return h, nil
}

// The Raft log of every shard on a node goes to one database with one
// write-ahead log (sharedLogDBShards), so the step workers' appends for
// different shards share fsyncs (pebble commits concurrent synced writes
// together). legacyLogDBShards is the layout of earlier builds.
const (
	sharedLogDBShards = 1
	legacyLogDBShards = 4
)

func nodeHostConfig(cfg Config, h *Host, logdbShards uint64) config.NodeHostConfig {
	logdb := config.GetTinyMemLogDBConfig()
	logdb.Shards = logdbShards
	return config.NodeHostConfig{
		WALDir:            filepath.Join(cfg.Dir, "raft"),
		NodeHostDir:       filepath.Join(cfg.Dir, "raft"),
		RTTMillisecond:    cfg.RTTMillis,
		RaftAddress:       cfg.RaftAddr,
		RaftEventListener: leaderListener{h: h},
		// The event listener records snapshot durations (metrics_extra.go).
		SystemEventListener: newSystemEvents(h),
		EnableMetrics:       !cfg.NoDragonboatMetrics,
		Expert: config.ExpertConfig{
			LogDB: logdb,
			Engine: config.EngineConfig{
				ExecShards: 4, CommitShards: 4, ApplyShards: 4, SnapshotShards: 2, CloseShards: 2,
			},
		},
	}
}

// ElectionRTT is the minimum election timeout in round trips
// (Config.RTTMillis): a follower keeps its leader until it has heard
// nothing from it for between ElectionRTT and twice that.
const ElectionRTT = 10

// heartbeatRTT is how many round trips pass between a leader's heartbeats.
const heartbeatRTT = 2

type leaderListener struct{ h *Host }

func (l leaderListener) LeaderUpdated(info raftio.LeaderInfo) {
	l.h.ins.leaders.Add(context.Background(), 1, metric.WithAttributes(attribute.Int64("shard", int64(info.ShardID))))
	if f := l.h.cfg.OnLeader; f != nil {
		f(info.ShardID, NodeOf(info.LeaderID), info.Term)
	}
}

// NodeID returns the host's node id.
func (h *Host) NodeID() uint64 { return h.cfg.NodeID }

func (h *Host) smDir(shard uint64) string {
	return filepath.Join(h.cfg.Dir, "sm", fmt.Sprintf("shard-%d", shard))
}

// HasShardData reports whether this node has a persisted replica of shard,
// that is, whether StartShard would restart it rather than create it.
func (h *Host) HasShardData(shard uint64) bool {
	id, _ := h.localReplica(shard)
	return id != 0 && h.nh.HasNodeInfo(shard, id)
}

// StartShard starts the local replica of shard. To create a new shard pass
// its initial members (node id -> raft address) and join=false; to join an
// existing shard that has added this node, pass nil and join=true; to
// restart a replica with data on disk, pass nil and false. A replica
// restarts in the role and under the replica id it last had (nonvoting.go).
func (h *Host) StartShard(shard uint64, initial map[uint64]string, join bool) error {
	id, nonVoting, err := h.startRole(shard, initial != nil, join)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if h.mu.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	if _, ok := h.mu.shards[shard]; ok {
		h.mu.Unlock()
		return nil
	}
	r := &replica{shard: shard}
	h.mu.shards[shard] = r
	h.mu.Unlock()

	members := make(map[uint64]dragonboat.Target, len(initial))
	for id, addr := range initial {
		members[id] = addr
	}
	create := func(shardID, replicaID uint64) sm.IOnDiskStateMachine {
		d := newDiskSM(shardID, replicaID, h.smDir(shardID), fsm.NewMux(h.cfg.Machines(shardID)), h.cfg.OnApply, h.cfg.Tracer)
		r.sm = d
		return d
	}
	rc := config.Config{
		ReplicaID:   id,
		IsNonVoting: nonVoting,
		ShardID:     shard,
		CheckQuorum: true,
		PreVote:     true,
		// Heartbeats every 2 round trips, elections after 10 to 20: a
		// follower misses four heartbeats before it campaigns. A busy
		// node runs many shards, so heartbeats are most of what an idle
		// cluster does.
		ElectionRTT:        ElectionRTT,
		HeartbeatRTT:       heartbeatRTT,
		SnapshotEntries:    h.cfg.SnapshotEntries,
		CompactionOverhead: h.cfg.SnapshotEntries / 2,
		MaxInMemLogSize:    64 << 20,
	}
	if err := h.nh.StartOnDiskReplica(members, join, create, rc); err != nil {
		h.mu.Lock()
		delete(h.mu.shards, shard)
		h.mu.Unlock()
		if errors.Is(err, dragonboat.ErrShardAlreadyExist) {
			return nil
		}
		return fmt.Errorf("consensus: start shard %d: %w", shard, mapError(err))
	}
	prop := newProposer(h, shard)
	h.mu.Lock()
	r.prop = prop
	h.mu.Unlock()
	h.log.Debug("shard replica started", "shard", shard, "join", join, "initial", len(initial))
	return nil
}

// StopShard stops the local replica of shard, keeping its data.
func (h *Host) StopShard(shard uint64) error {
	h.mu.Lock()
	r, ok := h.mu.shards[shard]
	delete(h.mu.shards, shard)
	delete(h.mu.initial, shard)
	h.mu.Unlock()
	if !ok {
		return ErrShardNotFound
	}
	if r.prop != nil {
		r.prop.stop()
	}
	return mapError(h.nh.StopShard(shard))
}

// RemoveShardData stops the local replica of shard if it runs and deletes
// its Raft log and state machine data. Use it after the replica was removed
// from the shard's membership.
func (h *Host) RemoveShardData(ctx context.Context, shard uint64) error {
	if err := h.StopShard(shard); err != nil && !errors.Is(err, ErrShardNotFound) {
		return err
	}
	id, _ := h.localReplica(shard)
	if err := h.nh.SyncRemoveData(ctx, shard, id); err != nil {
		return fmt.Errorf("consensus: remove shard %d data: %w", shard, mapError(err))
	}
	return os.RemoveAll(h.smDir(shard))
}

func (h *Host) replica(shard uint64) (*replica, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mu.closed {
		return nil, ErrClosed
	}
	r, ok := h.mu.shards[shard]
	if !ok || r.prop == nil {
		return nil, ErrShardNotFound
	}
	return r, nil
}

// Propose replicates cmd through shard's Raft log and returns its result
// once the local replica has applied it. Concurrent proposals to one shard
// are coalesced into few Raft entries. ctx must carry a deadline.
func (h *Host) Propose(ctx context.Context, shard uint64, cmd fsm.Command) (fsm.Result, error) {
	r, err := h.replica(shard)
	if err != nil {
		return fsm.Result{}, err
	}
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return r.prop.propose(ctx, cmd)
	}
	return h.tracedPropose(ctx, r, cmd)
}

// Read answers an encoded query (fsm.EncodeQuery) against shard. With
// linearizable it first confirms, through the leader (ReadIndex), that the
// local replica has applied every write acknowledged before the call, and
// needs a ctx deadline; otherwise it reads the local replica as it is.
func (h *Host) Read(ctx context.Context, shard uint64, query []byte, linearizable bool) ([]byte, error) {
	if _, err := h.replica(shard); err != nil {
		return nil, err
	}
	var (
		v   interface{}
		err error
	)
	if linearizable {
		v, err = h.linearRead(ctx, shard, query)
	} else {
		v, err = h.nh.StaleRead(shard, query)
	}
	if err != nil {
		return nil, fmt.Errorf("consensus: read shard %d: %w", shard, mapError(err))
	}
	b, _ := v.([]byte)
	return b, nil
}

// ReadLocked answers a query against the local replica of shard and calls
// then with the answer and the applied index while no apply can run: every
// event of a later apply reaches OnApply after then returns, and none of an
// earlier one does. Watches use it to register exactly at the state they
// read. then must not block.
func (h *Host) ReadLocked(shard uint64, query []byte, then func(answer []byte, applied uint64)) error {
	r, err := h.replica(shard)
	if err != nil {
		return err
	}
	if r.sm == nil {
		return ErrShardNotFound
	}
	r.sm.viewMu.RLock()
	defer r.sm.viewMu.RUnlock()
	v, err := r.sm.Lookup(query)
	if err != nil {
		return err
	}
	b, _ := v.([]byte)
	then(b, r.sm.applied.Load())
	return nil
}

// linearRead confirms the read index with the leader and then reads the
// local replica once it has applied that far. Reads are idempotent, so an
// attempt that is dropped or times out (a leader change, a lost message) is
// simply made again until ctx's deadline.
func (h *Host) linearRead(ctx context.Context, shard uint64, query []byte) (interface{}, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil, ErrNoDeadline
	}
	rtt := time.Duration(h.cfg.RTTMillis) * time.Millisecond
	perAttempt := max(20*rtt, 500*time.Millisecond)
	var last error = ErrTimeout
	for {
		remaining := time.Until(deadline)
		if remaining <= time.Millisecond {
			return nil, last
		}
		rs, err := h.nh.ReadIndex(shard, min(perAttempt, remaining))
		if err != nil {
			last = mapError(err)
			if !retryable(last) {
				return nil, last
			}
		} else {
			var r dragonboat.RequestResult
			select {
			case r = <-rs.AppliedC():
			case <-ctx.Done():
				return nil, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
			}
			if r.Completed() {
				v, err := h.nh.ReadLocalNode(rs, query)
				rs.Release()
				return v, mapError(err)
			}
			rs.Release()
			switch {
			case r.Terminated():
				return nil, ErrClosed
			case r.Rejected(), r.Aborted():
				return nil, ErrRejected
			}
			last = ErrTimeout // dropped or timed out: try again
		}
		t := time.NewTimer(rtt)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		}
	}
}

// Hosts reports whether this node runs a replica of shard whose state
// machine is open and that has caught up with its shard since it started
// (see CaughtUp).
func (h *Host) Hosts(shard uint64) bool {
	r, err := h.replica(shard)
	return err == nil && r.sm != nil && h.CaughtUp(shard)
}

// AppliedIndex returns the Raft index the local replica of shard has
// applied, or 0 when it is not hosted here.
func (h *Host) AppliedIndex(shard uint64) uint64 {
	r, err := h.replica(shard)
	if err != nil || r.sm == nil {
		return 0
	}
	return r.sm.applied.Load()
}

// WaitApplied blocks until the local replica of shard has applied index
// (see fsm.Result.Index), or ctx ends.
func (h *Host) WaitApplied(ctx context.Context, shard, index uint64) error {
	r, err := h.replica(shard)
	if err != nil {
		return err
	}
	for {
		if r.sm == nil {
			return ErrShardNotFound
		}
		applied, ch := r.sm.appliedWait()
		if applied >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: shard %d applied %d, waiting for %d: %w", ErrTimeout, shard, applied, index, ctx.Err())
		}
	}
}

// LastZxid returns the zxid of the last command the local replica of shard
// has applied (0 when it is not hosted here).
func (h *Host) LastZxid(shard uint64) uint64 {
	r, err := h.replica(shard)
	if err != nil || r.sm == nil {
		return 0
	}
	r.sm.mu.RLock()
	defer r.sm.mu.RUnlock()
	if r.sm.mu.db == nil {
		return 0
	}
	return fsm.LastZxid(pebbleReader{g: r.sm.mu.db})
}

// Leader returns the leader of shard as known to the local replica.
func (h *Host) Leader(shard uint64) (leader, term uint64, ok bool) {
	id, t, valid, err := h.nh.GetLeaderID(shard)
	if err != nil || !valid || id == 0 {
		return 0, t, false
	}
	return NodeOf(id), t, true
}

// IsLeader reports whether this node leads shard.
func (h *Host) IsLeader(shard uint64) bool {
	l, _, ok := h.Leader(shard)
	return ok && l == h.cfg.NodeID
}

// ShardInfo describes a local replica.
type ShardInfo struct {
	ShardID uint64
	// Replicas maps node ids to raft addresses of the voting members, in
	// the replica's view of the shard's membership. Leader is a node id.
	Replicas map[uint64]string
	Leader   uint64
	Term     uint64
	IsLeader bool
	// Pending is true while the replica's membership is not known yet
	// (starting, joining, or no leader to ask).
	Pending bool
	// ReplicaID is the local replica's id (see ReplicaID).
	ReplicaID uint64
	// IsNonVoting is true while the local replica is a non-voting member.
	IsNonVoting bool
}

// LocalShards describes every replica this node runs, sorted by shard.
// dragonboat publishes a replica's membership only after its first
// membership change, so for a replica that has none yet the membership is
// read through Raft (bounded by a short timeout).
func (h *Host) LocalShards() []ShardInfo {
	info := h.nh.GetNodeHostInfo(dragonboat.NodeHostInfoOption{SkipLogInfo: true})
	out := make([]ShardInfo, 0, len(info.ShardInfoList))
	for _, s := range info.ShardInfoList {
		reps := make(map[uint64]string, len(s.Replicas))
		for id, a := range s.Replicas {
			reps[NodeOf(id)] = a
		}
		si := ShardInfo{
			ShardID: s.ShardID, ReplicaID: s.ReplicaID, Replicas: reps, Leader: NodeOf(s.LeaderID), Term: s.Term,
			IsLeader: NodeOf(s.LeaderID) == h.cfg.NodeID, IsNonVoting: s.IsNonVoting,
		}
		if len(reps) == 0 && s.LeaderID != 0 {
			m := h.initialMembership(s.ShardID)
			for id, a := range m.Voters {
				reps[NodeOf(id)] = a
			}
			_, si.IsNonVoting = m.NonVoting[s.ReplicaID]
		}
		si.Pending = len(si.Replicas) == 0
		out = append(out, si)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ShardID < out[j].ShardID })
	return out
}

// initialMembership returns the membership of a replica that dragonboat
// has not published yet (no membership change since it started). It is
// read through Raft once and remembered: the first change makes dragonboat
// publish the membership, and this cache is not consulted again.
func (h *Host) initialMembership(shard uint64) Members {
	h.mu.Lock()
	m, ok := h.mu.initial[shard]
	h.mu.Unlock()
	if ok {
		return m
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	m, err := h.Members(ctx, shard)
	if err != nil {
		return Members{}
	}
	h.mu.Lock()
	if h.mu.initial != nil {
		h.mu.initial[shard] = m
	}
	h.mu.Unlock()
	return m
}

// Membership returns shard's voting members (node id -> raft address),
// read linearizably through Raft.
func (h *Host) Membership(ctx context.Context, shard uint64) (map[uint64]string, error) {
	m, err := h.nh.SyncGetShardMembership(ctx, shard)
	if err != nil {
		return nil, fmt.Errorf("consensus: membership of shard %d: %w", shard, mapError(err))
	}
	out := make(map[uint64]string, len(m.Nodes))
	for id, a := range m.Nodes {
		out[id] = a
	}
	return out, nil
}

// AddReplica adds replica (a replica id, see ReplicaID; on the node
// reachable at raftAddr) to shard's voting members, promoting it if it is a
// non-voting member. A new replica must then be started on its node with
// StartShard(shard, nil, true).
func (h *Host) AddReplica(ctx context.Context, shard, replica uint64, raftAddr string) error {
	if err := h.nh.SyncRequestAddReplica(ctx, shard, replica, raftAddr, 0); err != nil {
		return fmt.Errorf("consensus: add replica %d to shard %d: %w", replica, shard, mapError(err))
	}
	return nil
}

// RemoveReplica removes replica (a replica id) from shard's membership.
func (h *Host) RemoveReplica(ctx context.Context, shard, replica uint64) error {
	if err := h.nh.SyncRequestDeleteReplica(ctx, shard, replica, 0); err != nil {
		return fmt.Errorf("consensus: remove replica %d from shard %d: %w", replica, shard, mapError(err))
	}
	return nil
}

// TransferLeader asks the local leader of shard to hand leadership to node.
func (h *Host) TransferLeader(shard, node uint64) error {
	return mapError(h.nh.RequestLeaderTransfer(shard, h.voterID(shard, node)))
}

// Close stops every replica and the NodeHost. It waits for them.
func (h *Host) Close() {
	h.mu.Lock()
	if h.mu.closed {
		h.mu.Unlock()
		return
	}
	h.mu.closed = true
	reps := h.mu.shards
	h.mu.shards = nil
	h.mu.Unlock()
	for _, r := range reps {
		if r.prop != nil {
			r.prop.stop()
		}
	}
	h.nh.Close()
}

// defaultTimeout bounds requests whose context has no deadline.
const defaultTimeout = 5 * time.Second
