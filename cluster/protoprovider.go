package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	protocluster "github.com/asynkron/protoactor-go/cluster"
)

// ProtoProvider is a protoactor-go cluster.ClusterProvider backed by a
// Membership: it feeds the alive members into protoactor's cluster topology
// (MemberList.UpdateClusterTopology) when it starts and after every
// Membership change, from one goroutine that Shutdown stops and waits for.
//
// Each alive member whose NodeMeta.ActorAddr is a valid host:port becomes a
// protoactor member with that host and port, the kinds given to
// NewProtoProvider, and the id ProtoMemberID(NodeID, BootID). The id
// includes the boot id because protoactor blocks the id of a member that
// left for the rest of its process lifetime: a restarted node needs a new
// one. protoactor tells its own member apart by ActorSystem.ID, so set
//
//	system.ID = provider.MemberID()
//
// right after creating the actor system and before cluster.New. StartMember
// fails otherwise.
//
// protoactor's Cluster.Shutdown calls the provider's Shutdown only when
// graceful; after a non-graceful shutdown call ProtoProvider.Shutdown
// yourself. The provider never stops the Membership.
//
// protoactor's cluster package has data races of its own (DESIGN.md); this
// provider only calls MemberList.UpdateClusterTopology, from its goroutine.
type ProtoProvider struct {
	m       *Membership
	kinds   []string
	logger  *slog.Logger
	started atomic.Bool
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

var _ protocluster.ClusterProvider = (*ProtoProvider)(nil)

// NewProtoProvider returns a provider announcing every member with kinds
// (the grain kinds every node hosts).
func NewProtoProvider(m *Membership, kinds ...string) *ProtoProvider {
	return &ProtoProvider{
		m:      m,
		kinds:  slices.Clone(kinds),
		logger: m.logger.With("component", "protoprovider"),
		stop:   make(chan struct{}),
	}
}

// ProtoMemberID is the protoactor member id of the node with nodeID in its
// boot bootID: "<nodeID>-<bootID as 16 hex digits>".
func ProtoMemberID(nodeID, bootID uint64) string {
	return fmt.Sprintf("%d-%016x", nodeID, bootID)
}

// MemberID returns this node's protoactor member id, which must be its
// ActorSystem.ID.
func (p *ProtoProvider) MemberID() string { return ProtoMemberID(p.m.localID, p.m.boot) }

// StartMember starts feeding the topology, this node included. It is called
// by protoactor's Cluster.StartMember.
func (p *ProtoProvider) StartMember(c *protocluster.Cluster) error {
	if id := c.ActorSystem.ID; id != p.MemberID() {
		return fmt.Errorf("cluster: protoactor ActorSystem.ID is %q; set it to ProtoProvider.MemberID() %q before cluster.New", id, p.MemberID())
	}
	return p.start(c.MemberList, true)
}

// StartClient starts feeding the topology without this node, which joins
// protoactor's cluster as a client only. It is called by protoactor's
// Cluster.StartClient.
func (p *ProtoProvider) StartClient(c *protocluster.Cluster) error {
	return p.start(c.MemberList, false)
}

func (p *ProtoProvider) start(ml *protocluster.MemberList, includeSelf bool) error {
	if !p.started.CompareAndSwap(false, true) {
		return errors.New("cluster: ProtoProvider already started")
	}
	select {
	case <-p.stop:
		return errors.New("cluster: ProtoProvider is shut down")
	default:
	}
	changes, cancel := p.m.Subscribe()
	last := p.feed(ml, includeSelf, "")
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer cancel()
		for {
			select {
			case <-changes:
				last = p.feed(ml, includeSelf, last)
			case <-p.stop:
				return
			case <-p.m.Done():
				return
			}
		}
	}()
	return nil
}

// feed hands the alive members to protoactor unless they are the same as
// last time (identified by key) and returns the new key.
func (p *ProtoProvider) feed(ml *protocluster.MemberList, includeSelf bool, last string) string {
	members, key := p.topology(p.m.Members(), includeSelf)
	if key == last {
		return last
	}
	ml.UpdateClusterTopology(members)
	p.logger.Debug("fed protoactor topology", "members", len(members))
	return key
}

// topology converts the alive members with a usable ActorAddr into
// protoactor members, and returns a key that identifies the result.
func (p *ProtoProvider) topology(all []Member, includeSelf bool) (protocluster.Members, string) {
	var members protocluster.Members
	var key strings.Builder
	for _, mem := range all {
		if mem.State != Alive || (!includeSelf && mem.Meta.NodeID == p.m.localID) {
			continue
		}
		host, port, err := actorHostPort(mem.Meta.ActorAddr)
		if err != nil {
			p.logger.Debug("member has no usable actor address", "member", mem.Meta.NodeID, "actor_addr", mem.Meta.ActorAddr, "err", err)
			continue
		}
		id := ProtoMemberID(mem.Meta.NodeID, mem.BootID)
		members = append(members, &protocluster.Member{Host: host, Port: port, Id: id, Kinds: slices.Clone(p.kinds)})
		fmt.Fprintf(&key, "%s@%s:%d;", id, host, port)
	}
	return members, key.String()
}

func actorHostPort(addr string) (string, int32, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 || host == "" {
		return "", 0, fmt.Errorf("%q is not host:port", addr)
	}
	return host, int32(port), nil
}

// Shutdown stops feeding the topology and waits for the feeding goroutine.
// It is idempotent; graceful is ignored.
func (p *ProtoProvider) Shutdown(bool) error {
	p.once.Do(func() { close(p.stop) })
	p.wg.Wait()
	return nil
}
