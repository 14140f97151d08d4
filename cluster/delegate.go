package cluster

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
)

// delegate receives memberlist's callbacks for one Membership. memberlist
// calls the event and conflict methods while holding its node lock, and
// NotifyMsg/GetBroadcasts from its packet loop: every method here only
// decodes, updates Membership.mu's state and returns. None calls memberlist.
type delegate struct {
	m *Membership
}

var (
	_ memberlist.Delegate         = (*delegate)(nil)
	_ memberlist.EventDelegate    = (*delegate)(nil)
	_ memberlist.ConflictDelegate = (*delegate)(nil)
	_ memberlist.MergeDelegate    = (*delegate)(nil)
)

// NodeMeta returns the local node's encoded metadata; Start and UpdateMeta
// have checked that it fits limit.
func (d *delegate) NodeMeta(limit int) []byte {
	m := d.m
	m.mu.Lock()
	meta := m.mu.localMeta
	m.mu.Unlock()
	buf, err := encodeMeta(meta, m.boot)
	if err != nil || len(buf) > limit {
		m.logger.Error("local node meta does not fit", "limit", limit, "err", err)
		return nil
	}
	return buf
}

// NotifyMsg handles a user message received by gossip or sent reliably. buf
// is not retained.
func (d *delegate) NotifyMsg(buf []byte) {
	if len(buf) == 0 {
		return
	}
	m := d.m
	switch buf[0] {
	case msgPlacement:
		p, err := decodePlacement(buf[1:])
		if err != nil {
			m.logger.Warn("dropping gossip message", "err", err)
			return
		}
		if m.adoptPlacement(p) {
			m.queue.QueueBroadcast(&broadcast{key: placementKey, msg: encodePlacement(p)})
		}
	case msgLeave:
		l, err := decodeLeave(buf[1:])
		if err != nil {
			m.logger.Warn("dropping gossip message", "err", err)
			return
		}
		if m.noteLeave(l) {
			m.queue.QueueBroadcast(&broadcast{key: leaveKey(l.nodeID), msg: encodeLeave(l)})
		}
	default:
		m.logger.Debug("ignoring gossip message of unknown kind", "kind", buf[0])
	}
}

// GetBroadcasts hands memberlist the queued placement and leave messages.
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.m.queue.GetBroadcasts(overhead, limit)
}

// LocalState is sent on every push/pull (join or periodic): the current
// placement, so that late joiners get it.
func (d *delegate) LocalState(bool) []byte {
	p := d.m.Placement()
	if p.Epoch == 0 {
		return nil
	}
	return encodePlacement(p)
}

// MergeRemoteState adopts the remote node's placement if it is newer.
func (d *delegate) MergeRemoteState(buf []byte, _ bool) {
	if len(buf) == 0 {
		return
	}
	if buf[0] != msgPlacement {
		d.m.logger.Debug("ignoring remote state of unknown kind", "kind", buf[0])
		return
	}
	p, err := decodePlacement(buf[1:])
	if err != nil {
		d.m.logger.Warn("dropping remote state", "err", err)
		return
	}
	if d.m.adoptPlacement(p) {
		d.m.queue.QueueBroadcast(&broadcast{key: placementKey, msg: encodePlacement(p)})
	}
}

// NotifyJoin: a node became alive (first seen, or back from dead or left).
func (d *delegate) NotifyJoin(n *memberlist.Node) { d.m.observe(n, Alive) }

// NotifyUpdate: an alive node's metadata changed.
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.m.observe(n, Alive) }

// NotifyLeave: a node was declared dead or left. memberlist does not say
// which (its Node.State is not maintained); a leave notice decides.
func (d *delegate) NotifyLeave(n *memberlist.Node) { d.m.observe(n, Dead) }

// NotifyConflict: a node claims an alive member's name (NodeID) from another
// address; memberlist ignores the claim.
func (d *delegate) NotifyConflict(existing, other *memberlist.Node) {
	d.m.logger.Error("node id claimed from a second address; ignoring the claim",
		"node", existing.Name, "address", existing.Address(), "claimed_from", other.Address())
}

// NotifyMerge vets the members a joining node (or the node we join)
// reports: if one of them is alive under the NodeID of a member alive here
// at another address, the join is refused. When that NodeID is ours, Start
// fails with ErrNodeIDConflict.
func (d *delegate) NotifyMerge(peers []*memberlist.Node) error {
	m := d.m
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range peers {
		if p.State != memberlist.StateAlive && p.State != memberlist.StateSuspect {
			continue
		}
		id, err := strconv.ParseUint(p.Name, 10, 64)
		if err != nil {
			continue
		}
		r := m.mu.members[id]
		if r == nil || r.State != Alive || r.GossipAddr == p.Address() {
			continue
		}
		err = fmt.Errorf("%w: node %d is alive at %s and at %s", ErrNodeIDConflict, id, r.GossipAddr, p.Address())
		m.logger.Error("refusing to merge with a cluster that has a node id twice", "err", err)
		if id == m.localID && m.mu.conflict == nil {
			m.mu.conflict = err
		}
		return err
	}
	return nil
}

// observe applies a memberlist event about n: to == Alive for join and
// update, Dead for leave (Left if the node announced its leave).
func (m *Membership) observe(n *memberlist.Node, to State) {
	id, err := strconv.ParseUint(n.Name, 10, 64)
	if err != nil || id == 0 {
		m.logger.Warn("ignoring gossip member whose name is not a node id", "name", n.Name)
		return
	}
	meta, boot, err := decodeMeta(n.Meta)
	if err != nil {
		m.logger.Warn("member gossips unreadable metadata", "member", id, "err", err)
		meta = NodeMeta{NodeID: id}
	} else if meta.NodeID != id {
		m.logger.Warn("member's metadata names another node id", "member", id, "meta_node_id", meta.NodeID)
		meta.NodeID = id
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.mu.members[id]
	if r == nil {
		if to != Alive {
			return // never seen alive: nothing to record
		}
		r = &record{Member: Member{State: Alive, Since: now}}
		m.mu.members[id] = r
		m.logger.Info("member joined", "member", id, "addr", n.Address())
	}
	before := r.Member
	if to == Alive {
		if r.State != Alive {
			r.State, r.Since, r.leaving = Alive, now, false
			m.logger.Info("member is back", "member", id, "addr", n.Address())
		}
		if r.BootID != boot {
			r.leaving = false
		}
		r.Meta, r.GossipAddr, r.BootID = meta, n.Address(), boot
	} else if r.State == Alive || r.State == Suspect {
		r.State, r.Since = Dead, now
		if r.leaving {
			r.State = Left
		}
		m.logger.Info("member gone", "member", id, "state", r.State)
	}
	if r.Member != before {
		m.changedLocked()
	}
}

// noteLeave records a leave notice and reports whether it was news.
func (m *Membership) noteLeave(l leaveNotice) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.mu.members[l.nodeID]
	if r == nil || r.BootID != l.boot {
		return false
	}
	switch {
	case r.State == Dead: // the leave overtook the notice
		r.State = Left
		m.changedLocked()
		return true
	case r.State == Left || r.leaving:
		return false
	default:
		r.leaving = true
		return true
	}
}

// changedLocked recounts the alive members and signals subscribers.
// REQUIRES: m.mu
func (m *Membership) changedLocked() {
	alive := 0
	for _, r := range m.mu.members {
		if r.State == Alive {
			alive++
		}
	}
	m.numAlive.Store(int64(alive))
	m.notifyLocked()
}
