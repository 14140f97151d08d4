package consensus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/lni/dragonboat/v4"
)

// Non-voting replicas.
//
// A non-voting replica (Raft's learner, ZooKeeper's observer) receives and
// applies every committed entry of its shard but neither votes nor counts
// for a quorum, so it can never lead. A node joins an existing shard as a
// non-voting replica first; the leader later promotes it to a voter
// (AddReplica with the same replica id) or leaves it non-voting so that the
// node serves reads and watches for the shard.
//
// Replica ids. Raft never takes a removed replica id back, and dragonboat
// cannot demote a voter to non-voting. So a node's replica id in a shard
// carries a generation: ReplicaID(node, g), where g counts the node's ids
// the shard has removed. A node that lost its vote to a newer node comes
// back as a non-voting replica of the next generation, and can be promoted
// again later. The host speaks node ids to its callers (Leader, OnLeader,
// LocalShards, TransferLeader) and replica ids to dragonboat; membership
// changes (AddNonVoting, AddReplica, RemoveReplica) and Members take replica
// ids, NodeOf maps them back.
//
// dragonboat must restart a replica in the role its newest snapshot
// records: on restart it replays the membership changes after that
// snapshot, and replaying "add non-voting self" on a replica started as a
// voter panics. So the host persists, per shard, whether the local replica
// restarts as non-voting (set before it first starts, cleared only after a
// snapshot taken after its promotion) and its generation.

// MaxNodeID is the largest node id: the bits above it hold the generation
// of a replica id.
const MaxNodeID = 1<<genShift - 1

const (
	genShift = 56
	maxGen   = 1<<(64-genShift) - 1
)

// ErrNoReplicaID: the shard has removed every replica id this node can
// take, so it can no longer hold a replica of it.
var ErrNoReplicaID = errors.New("consensus: the shard removed every replica id of this node")

// ReplicaID returns the replica id of node in a shard that has removed gen
// of its ids before (0: the node id itself).
func ReplicaID(node uint64, gen int) uint64 { return node | uint64(gen)<<genShift }

// NodeOf returns the node a replica id belongs to.
func NodeOf(replica uint64) uint64 { return replica & MaxNodeID }

// Generation returns the generation of a replica id (see ReplicaID).
func Generation(replica uint64) int { return int(replica >> genShift) }

// Members is a shard's membership by role, each map keyed by replica id.
type Members struct {
	// ConfigChangeIndex is the Raft index of the last membership change.
	ConfigChangeIndex uint64
	// Voters maps voting replicas to their Raft addresses.
	Voters map[uint64]string
	// NonVoting maps non-voting replicas to their Raft addresses.
	NonVoting map[uint64]string
	// Removed holds the replica ids the shard has removed; Raft never adds
	// them back.
	Removed map[uint64]bool
}

// NodeIDs returns the nodes of a set of replica ids, sorted.
func NodeIDs[V any](replicas map[uint64]V) []uint64 {
	out := make([]uint64, 0, len(replicas))
	for id := range replicas {
		out = append(out, NodeOf(id))
	}
	slices.Sort(out)
	return out
}

// Of returns the replica id node has in the membership (0: none) and
// whether it votes.
func (m Members) Of(node uint64) (replica uint64, voter bool) {
	for id := range m.Voters {
		if NodeOf(id) == node {
			return id, true
		}
	}
	for id := range m.NonVoting {
		if NodeOf(id) == node {
			return id, false
		}
	}
	return 0, false
}

// NextID returns the replica id node joins the shard with next: the first
// generation the shard has not removed (0: none is left).
func (m Members) NextID(node uint64) uint64 {
	for g := 0; g <= maxGen; g++ {
		if id := ReplicaID(node, g); !m.Removed[id] {
			return id
		}
	}
	return 0
}

// replicaRole is what the host persists about its replica of one shard.
type replicaRole struct {
	// NonVoting: restart the local replica as non-voting.
	NonVoting bool `json:"non_voting"`
	// Removed counts the ids of this node the shard removed, which is the
	// generation of the next one (ReplicaID).
	Removed int `json:"removed"`
}

// nonVoting is a Host's bookkeeping of replica roles and catch-up.
type nonVoting struct {
	mu struct {
		sync.Mutex
		roles map[uint64]replicaRole // cache of the role files
		// catching holds the replicas that have not yet caught up with
		// their shard since they started, each with its ReadIndex in
		// flight (nil: none).
		catching map[uint64]*dragonboat.RequestState
		// members caches Members by shard, valid while the local
		// replica's published ConfigChangeIndex equals the cached one.
		members map[uint64]Members
		// dropping holds the replicas being deleted, until their data
		// is gone (deleteReplica).
		dropping map[uint64]dropped
	}
}

func (h *Host) roleFile(shard uint64) string {
	return filepath.Join(h.cfg.Dir, "replicas", fmt.Sprintf("shard-%d.json", shard))
}

// role returns the persisted role of the local replica of shard.
func (h *Host) role(shard uint64) replicaRole {
	h.nv.mu.Lock()
	defer h.nv.mu.Unlock()
	return h.roleLocked(shard)
}

// REQUIRES: h.nv.mu
func (h *Host) roleLocked(shard uint64) replicaRole {
	if r, ok := h.nv.mu.roles[shard]; ok {
		return r
	}
	var r replicaRole
	if b, err := os.ReadFile(h.roleFile(shard)); err == nil {
		if err := json.Unmarshal(b, &r); err != nil {
			h.log.Error("unreadable replica role file", "shard", shard, "err", err)
		}
	}
	if h.nv.mu.roles == nil {
		h.nv.mu.roles = map[uint64]replicaRole{}
	}
	h.nv.mu.roles[shard] = r
	return r
}

// saveRole persists r durably (write, fsync, rename, fsync the directory).
func (h *Host) saveRole(shard uint64, r replicaRole) error {
	h.nv.mu.Lock()
	defer h.nv.mu.Unlock()
	path := h.roleFile(shard)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(r)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("consensus: store role of shard %d: %w", shard, err)
	}
	if h.nv.mu.roles == nil {
		h.nv.mu.roles = map[uint64]replicaRole{}
	}
	h.nv.mu.roles[shard] = r
	return nil
}

// localReplica returns the replica id this node uses in shard (0: none is
// left) and whether a replica with data on disk restarts as non-voting.
func (h *Host) localReplica(shard uint64) (id uint64, nonVoting bool) {
	r := h.role(shard)
	if r.Removed > maxGen {
		return 0, false
	}
	return ReplicaID(h.cfg.NodeID, r.Removed), r.NonVoting
}

// startRole decides how StartShard starts the local replica of shard:
// with which replica id, whether as non-voting, and whether it must catch
// up with its shard before it serves reads (Hosts). A replica that creates
// its shard is the node id and a voter.
func (h *Host) startRole(shard uint64, create, join bool) (id uint64, nonVoting bool, err error) {
	id, nonVoting = h.cfg.NodeID, false
	if !create {
		id, nonVoting = h.localReplica(shard)
	}
	if id == 0 {
		return 0, false, fmt.Errorf("consensus: start shard %d: %w", shard, ErrNoReplicaID)
	}
	h.nv.mu.Lock()
	defer h.nv.mu.Unlock()
	if h.nv.mu.catching == nil {
		h.nv.mu.catching = map[uint64]*dragonboat.RequestState{}
	}
	delete(h.nv.mu.catching, shard)
	if join || nonVoting {
		h.nv.mu.catching[shard] = nil
	}
	delete(h.nv.mu.members, shard)
	return id, nonVoting, nil
}

// CanJoin reports whether this node has a replica id left to join shard
// with (see ReplicaID).
func (h *Host) CanJoin(shard uint64) bool { return h.role(shard).Removed <= maxGen }

// StartNonVoting starts a new local replica of shard that joins it as a
// non-voting member, under the node's next replica id in shard. The
// shard's leader adds it with AddNonVoting and may promote it. It must not
// be called while the node has data for shard (HasShardData).
func (h *Host) StartNonVoting(shard uint64) error {
	h.nv.mu.Lock()
	_, dropping := h.nv.mu.dropping[shard]
	h.nv.mu.Unlock()
	if dropping {
		return fmt.Errorf("consensus: start shard %d: the previous replica's data is still being deleted", shard)
	}
	r := h.role(shard)
	if r.Removed > maxGen {
		return fmt.Errorf("consensus: start shard %d: %w", shard, ErrNoReplicaID)
	}
	if r.Removed > 0 {
		// Leftovers of the removed replica, if a crash interrupted
		// DropReplica.
		if err := h.nh.RemoveData(shard, ReplicaID(h.cfg.NodeID, r.Removed-1)); err != nil {
			h.log.Debug("remove data of the removed replica", "shard", shard, "err", err)
		}
	}
	// No Raft data for this replica: any state machine files are left
	// from an earlier replica and must not be opened as this one's.
	if err := os.RemoveAll(h.smDir(shard)); err != nil {
		return fmt.Errorf("consensus: start shard %d: %w", shard, err)
	}
	if !r.NonVoting {
		r.NonVoting = true
		if err := h.saveRole(shard, r); err != nil {
			return err
		}
	}
	return h.StartShard(shard, nil, true)
}

// DropReplica stops the local replica of shard and deletes its data, after
// the shard removed it from its membership. It records the removal, so that
// the node joins the shard under its next replica id from then on.
func (h *Host) DropReplica(ctx context.Context, shard uint64) error {
	return h.deleteReplica(ctx, shard, true)
}

// DiscardReplica stops the local replica of shard and deletes its data
// without recording a removal: for a replica its shard never added (it
// was started for a placement that changed before the leader added it),
// which therefore holds nothing of the shard's.
func (h *Host) DiscardReplica(ctx context.Context, shard uint64) error {
	return h.deleteReplica(ctx, shard, false)
}

// dropped is a local replica being deleted.
type dropped struct {
	id uint64   // its replica id
	r  *replica // nil if it was not running
}

func (h *Host) deleteReplica(ctx context.Context, shard uint64, removed bool) error {
	h.nv.mu.Lock()
	d, resumed := h.nv.mu.dropping[shard]
	h.nv.mu.Unlock()
	if !resumed {
		id, _ := h.localReplica(shard)
		if id == 0 {
			return nil
		}
		h.mu.Lock()
		d = dropped{id: id, r: h.mu.shards[shard]}
		h.mu.Unlock()
		if removed {
			// Record the removal first: a crash after it leaves data of
			// the old id, which StartNonVoting clears.
			r := h.role(shard)
			r.NonVoting, r.Removed = false, Generation(id)+1
			if err := h.saveRole(shard, r); err != nil {
				return err
			}
		}
		h.nv.mu.Lock()
		if h.nv.mu.dropping == nil {
			h.nv.mu.dropping = map[uint64]dropped{}
		}
		h.nv.mu.dropping[shard] = d
		h.nv.mu.Unlock()
		if err := h.StopShard(shard); err != nil && !errors.Is(err, ErrShardNotFound) {
			return err
		}
	}
	if err := h.nh.SyncRemoveData(ctx, shard, d.id); err != nil {
		return fmt.Errorf("consensus: remove shard %d data: %w", shard, mapError(err))
	}
	// SyncRemoveData can return before dragonboat has closed the state
	// machine; the next replica must not open its database while this
	// one still holds it.
	if err := waitClosed(ctx, d.r); err != nil {
		return fmt.Errorf("consensus: remove shard %d data: %w", shard, err)
	}
	if err := os.RemoveAll(h.smDir(shard)); err != nil {
		return fmt.Errorf("consensus: remove shard %d data: %w", shard, err)
	}
	h.nv.mu.Lock()
	delete(h.nv.mu.dropping, shard)
	delete(h.nv.mu.members, shard)
	delete(h.nv.mu.catching, shard)
	h.nv.mu.Unlock()
	return nil
}

// AddNonVoting adds replica (on the node reachable at raftAddr; see
// Members.NextID) to shard's membership as a non-voting member. That node
// then starts it with StartNonVoting. Promote it with AddReplica and the
// same replica id.
func (h *Host) AddNonVoting(ctx context.Context, shard, replica uint64, raftAddr string) error {
	if err := h.nh.SyncRequestAddNonVoting(ctx, shard, replica, raftAddr, 0); err != nil {
		return fmt.Errorf("consensus: add non-voting %d to shard %d: %w", replica, shard, mapError(err))
	}
	return nil
}

// Members returns shard's membership by role, read linearizably through
// Raft by the local replica (voting or not). It is cached until the local
// replica applies the next membership change.
func (h *Host) Members(ctx context.Context, shard uint64) (Members, error) {
	cci, published := h.publishedChange(shard)
	h.nv.mu.Lock()
	m, ok := h.nv.mu.members[shard]
	h.nv.mu.Unlock()
	if ok && published && m.ConfigChangeIndex >= cci {
		return m, nil
	}
	if !published {
		// No change since the replica started: the membership it read
		// then still holds (initialMembership).
		h.mu.Lock()
		m, ok = h.mu.initial[shard]
		h.mu.Unlock()
		if ok {
			return m, nil
		}
	}
	raw, err := h.nh.SyncGetShardMembership(ctx, shard)
	if err != nil {
		return Members{}, fmt.Errorf("consensus: membership of shard %d: %w", shard, mapError(err))
	}
	m = Members{ConfigChangeIndex: raw.ConfigChangeID, Voters: map[uint64]string{}, NonVoting: map[uint64]string{}, Removed: map[uint64]bool{}}
	for id, a := range raw.Nodes {
		m.Voters[id] = a
	}
	for id, a := range raw.NonVotings {
		m.NonVoting[id] = a
	}
	for id := range raw.Removed {
		m.Removed[id] = true
	}
	if published {
		h.nv.mu.Lock()
		if h.nv.mu.members == nil {
			h.nv.mu.members = map[uint64]Members{}
		}
		h.nv.mu.members[shard] = m
		h.nv.mu.Unlock()
	}
	return m, nil
}

// publishedChange returns the index of the last membership change the
// local replica of shard has published, and whether it has published one.
func (h *Host) publishedChange(shard uint64) (uint64, bool) {
	info := h.nh.GetNodeHostInfo(dragonboat.NodeHostInfoOption{SkipLogInfo: true})
	for _, s := range info.ShardInfoList {
		if s.ShardID == shard {
			return s.ConfigChangeIndex, !s.Pending && len(s.Replicas) > 0
		}
	}
	return 0, false
}

// CaughtUp reports whether the local replica of shard has caught up with
// its shard since it started: at once for a replica that restarted as a
// voter or created the shard; for a replica that joined, or runs
// non-voting, once a ReadIndex through the leader has completed on it.
func (h *Host) CaughtUp(shard uint64) bool {
	h.nv.mu.Lock()
	defer h.nv.mu.Unlock()
	_, catching := h.nv.mu.catching[shard]
	return !catching
}

// PollCatchUp moves the catch-up of the local replica of shard along
// without blocking: it starts a ReadIndex, or looks whether the one in
// flight has completed, and reports whether the replica has caught up.
func (h *Host) PollCatchUp(shard uint64) bool {
	h.nv.mu.Lock()
	defer h.nv.mu.Unlock()
	rs, catching := h.nv.mu.catching[shard]
	if !catching {
		return true
	}
	if rs == nil {
		// Short attempts: one made before the leader has added this
		// replica is never answered.
		rtt := time.Duration(h.cfg.RTTMillis) * time.Millisecond
		rs, err := h.nh.ReadIndex(shard, max(20*rtt, 500*time.Millisecond))
		if err == nil {
			h.nv.mu.catching[shard] = rs
		}
		return false
	}
	select {
	case r := <-rs.AppliedC():
		rs.Release()
		if r.Completed() {
			delete(h.nv.mu.catching, shard)
			return true
		}
		h.nv.mu.catching[shard] = nil // dropped or timed out: ask again
	default:
	}
	return false
}

// CatchUp waits until the local replica of shard has caught up (see
// CaughtUp), driving a ReadIndex through the leader, or ctx ends.
func (h *Host) CatchUp(ctx context.Context, shard uint64) error {
	if h.CaughtUp(shard) {
		return nil
	}
	if _, err := h.replica(shard); err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		return ErrNoDeadline
	}
	rtt := time.Duration(h.cfg.RTTMillis) * time.Millisecond
	for {
		if h.PollCatchUp(shard) {
			return nil
		}
		t := time.NewTimer(rtt)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: shard %d catching up: %w", ErrTimeout, shard, ctx.Err())
		}
	}
}

// PendingPromotion reports whether the local replica of shard is recorded
// to restart as non-voting although it may have been promoted since.
func (h *Host) PendingPromotion(shard uint64) bool {
	_, nonVoting := h.localReplica(shard)
	return nonVoting
}

// FinishPromotion records that the local replica of shard, promoted to a
// voter, restarts as one. It first takes a local snapshot, which holds the
// membership with this replica as a voter, so that a restart no longer
// replays the change that added it as non-voting. Call it once the local
// replica's membership shows it as a voter.
func (h *Host) FinishPromotion(ctx context.Context, shard uint64) error {
	timeout := defaultTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	rs, err := h.nh.RequestSnapshot(shard, dragonboat.SnapshotOption{}, timeout)
	if err != nil {
		return fmt.Errorf("consensus: snapshot shard %d: %w", shard, mapError(err))
	}
	select {
	case r := <-rs.AppliedC():
		// Rejected: nothing was applied since the newest snapshot, which
		// then already holds the promotion.
		if !r.Completed() && !r.Rejected() {
			return fmt.Errorf("consensus: snapshot shard %d: %w", shard, ErrTimeout)
		}
	case <-ctx.Done():
		return fmt.Errorf("consensus: snapshot shard %d: %w: %w", shard, ErrTimeout, ctx.Err())
	}
	r := h.role(shard)
	r.NonVoting = false
	return h.saveRole(shard, r)
}

// ViewLocked calls fn with a lookup that answers queries against the local
// replica of shard while no apply can run, as ReadLocked does for one
// query. fn must not block.
func (h *Host) ViewLocked(shard uint64, fn func(lookup func(query []byte) ([]byte, error))) error {
	r, err := h.replica(shard)
	if err != nil {
		return err
	}
	if r.sm == nil {
		return ErrShardNotFound
	}
	r.sm.viewMu.RLock()
	defer r.sm.viewMu.RUnlock()
	fn(func(q []byte) ([]byte, error) {
		v, err := r.sm.Lookup(q)
		b, _ := v.([]byte)
		return b, err
	})
	return nil
}

// Runs reports whether this node runs a replica of shard, caught up or not.
func (h *Host) Runs(shard uint64) bool {
	_, err := h.replica(shard)
	return err == nil
}

// Unloaded returns the shards whose local replica this host started but
// dragonboat no longer runs, and those whose deletion has not finished.
// dragonboat stops a replica on its own only when the replica applies its
// removal from the shard (or learns of it from a snapshot), so these are
// the replicas to drop (DropReplica).
func (h *Host) Unloaded() []uint64 {
	h.mu.Lock()
	started := make([]uint64, 0, len(h.mu.shards))
	for shard, r := range h.mu.shards {
		if r.prop != nil {
			started = append(started, shard)
		}
	}
	closed := h.mu.closed
	h.mu.Unlock()
	if closed {
		return nil
	}
	running := map[uint64]bool{}
	for _, s := range h.nh.GetNodeHostInfo(dragonboat.NodeHostInfoOption{SkipLogInfo: true}).ShardInfoList {
		running[s.ShardID] = true
	}
	var out []uint64
	for _, shard := range started {
		if !running[shard] {
			out = append(out, shard)
		}
	}
	h.nv.mu.Lock()
	for shard := range h.nv.mu.dropping {
		if !slices.Contains(out, shard) {
			out = append(out, shard)
		}
	}
	h.nv.mu.Unlock()
	slices.Sort(out)
	return out
}

// voterID returns the replica id of node among the voters of shard as the
// local replica knows them (node itself if it finds none).
func (h *Host) voterID(shard, node uint64) uint64 {
	for _, s := range h.nh.GetNodeHostInfo(dragonboat.NodeHostInfoOption{SkipLogInfo: true}).ShardInfoList {
		if s.ShardID != shard {
			continue
		}
		for id := range s.Replicas {
			if NodeOf(id) == node {
				return id
			}
		}
	}
	h.mu.Lock()
	m, ok := h.mu.initial[shard]
	h.mu.Unlock()
	if ok {
		if id, voter := m.Of(node); voter {
			return id
		}
	}
	return node
}

// waitClosed waits until dragonboat has closed the state machine of r (nil:
// none), or ctx ends.
func waitClosed(ctx context.Context, r *replica) error {
	if r == nil || r.sm == nil {
		return nil
	}
	for {
		r.sm.mu.RLock()
		open := r.sm.mu.db != nil
		r.sm.mu.RUnlock()
		if !open {
			return nil
		}
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: state machine still open: %w", ErrTimeout, ctx.Err())
		}
	}
}
