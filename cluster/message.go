package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/memberlist"
)

// Placement is the cluster's shard placement as decided by the meta shard's
// leader: Members are the node ids the placement counts, and Epoch orders
// placements (a higher epoch supersedes a lower one). The zero value is "no
// placement heard of yet".
type Placement struct {
	Epoch   uint64
	Members []uint64
}

func (p Placement) clone() Placement {
	return Placement{Epoch: p.Epoch, Members: slices.Clone(p.Members)}
}

// Message kinds of this package's user messages (memberlist NotifyMsg,
// broadcasts, and push/pull local state). A message is kind(1) | payload; a
// change to a payload's layout takes a new kind, and receivers ignore kinds
// they do not know.
const (
	// msgPlacement: uvarint Epoch | uvarint count | count × uvarint member.
	msgPlacement byte = 1
	// msgLeave: uvarint NodeID | boot (8 bytes, big endian). Sent by a node
	// that is about to leave gracefully, so receivers record it as left.
	msgLeave byte = 2
)

var errBadMessage = errors.New("cluster: malformed gossip message")

func encodePlacement(p Placement) []byte {
	buf := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(p.Members)*binary.MaxVarintLen64)
	buf = append(buf, msgPlacement)
	buf = binary.AppendUvarint(buf, p.Epoch)
	buf = binary.AppendUvarint(buf, uint64(len(p.Members)))
	for _, id := range p.Members {
		buf = binary.AppendUvarint(buf, id)
	}
	return buf
}

// decodePlacement decodes the payload of a msgPlacement message (after the
// kind byte). It never retains buf.
func decodePlacement(payload []byte) (Placement, error) {
	r := reader{buf: payload}
	p := Placement{Epoch: r.uvarint()}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.buf)) { // every member takes at least one byte
		r.err = fmt.Errorf("%d members in %d bytes", n, len(r.buf))
	}
	if r.err == nil && n > 0 {
		p.Members = make([]uint64, 0, n)
		for range n {
			p.Members = append(p.Members, r.uvarint())
		}
	}
	if r.err != nil {
		return Placement{}, fmt.Errorf("%w: placement: %w", errBadMessage, r.err)
	}
	return p, nil
}

type leaveNotice struct {
	nodeID uint64
	boot   uint64
}

func encodeLeave(l leaveNotice) []byte {
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+8)
	buf = append(buf, msgLeave)
	buf = binary.AppendUvarint(buf, l.nodeID)
	return binary.BigEndian.AppendUint64(buf, l.boot)
}

// decodeLeave decodes the payload of a msgLeave message (after the kind
// byte).
func decodeLeave(payload []byte) (leaveNotice, error) {
	r := reader{buf: payload}
	l := leaveNotice{nodeID: r.uvarint(), boot: r.uint64()}
	if r.err != nil {
		return leaveNotice{}, fmt.Errorf("%w: leave: %w", errBadMessage, r.err)
	}
	return l, nil
}

// broadcast is one of this package's messages queued for gossip. A newer
// broadcast with the same key replaces an older one still in the queue: there
// is one key for the placement and one per leaving node.
type broadcast struct {
	key string
	msg []byte
}

var _ memberlist.Broadcast = (*broadcast)(nil)

// Invalidates is called by the queue, under its lock.
func (b *broadcast) Invalidates(other memberlist.Broadcast) bool {
	o, ok := other.(*broadcast)
	return ok && o.key == b.key
}

// Message returns the encoded message; the queue does not modify it.
func (b *broadcast) Message() []byte { return b.msg }

// Finished is called by the queue when the message has been sent often
// enough or was invalidated; nothing waits for it.
func (b *broadcast) Finished() {}

const placementKey = "placement"

func leaveKey(id uint64) string { return fmt.Sprintf("leave/%d", id) }
