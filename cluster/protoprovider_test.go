//go:build protoactor_cluster

// This test runs only with -tags protoactor_cluster because protoactor-go
// itself races under -race once a test process starts a second remote:
// remote.(*Remote).Start calls grpclog.SetLoggerV2 (a global) while grpc
// goroutines of the previous, non-gracefully stopped remote still log (seen
// with -count=2). Run alone with -count=1 it passes under -race:
//
//	go test -race -count=1 -tags protoactor_cluster -run Proto ./cluster/

package cluster

import (
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
)

// newProtoCluster creates (without starting) a protoactor cluster whose
// remote listens on actorAddr.
func newProtoCluster(t *testing.T, log *testLog, actorAddr string, p *ProtoProvider, systemID string) *protocluster.Cluster {
	t.Helper()
	host, portStr, _ := net.SplitHostPort(actorAddr)
	port, _ := strconv.Atoi(portStr)
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return log.logger().With("subsystem", "protoactor")
	}))
	system.ID = systemID
	echo := protocluster.NewKind("echo", actor.PropsFromFunc(func(ctx actor.Context) {
		if s, ok := ctx.Message().(string); ok {
			ctx.Respond(s)
		}
	}))
	cfg := protocluster.Configure("warren-test", p, disthash.New(), remote.Configure(host, port), protocluster.WithKinds(echo))
	return protocluster.New(system, cfg)
}

// topologyLog records the member ids of the topologies protoactor publishes.
type topologyLog struct {
	mu     sync.Mutex
	latest []string
}

func (l *topologyLog) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.latest)
}

func TestProtoProviderFeedsTopology(t *testing.T) {
	log := newTestLog(t)
	cfg1 := testConfig(log, 1, freeAddr(t))
	cfg1.Meta.ActorAddr = freeAddr(t)
	m1 := startNode(t, cfg1)

	p := NewProtoProvider(m1, "echo")
	wrong := newProtoCluster(t, log, cfg1.Meta.ActorAddr, p, "not-the-member-id")
	if err := p.StartMember(wrong); err == nil || !strings.Contains(err.Error(), "ActorSystem.ID") {
		t.Fatalf("StartMember with a wrong ActorSystem.ID: %v", err)
	}
	wrong.ActorSystem.Shutdown()

	c := newProtoCluster(t, log, cfg1.Meta.ActorAddr, p, p.MemberID())
	var topo topologyLog
	c.ActorSystem.EventStream.Subscribe(func(evt any) {
		if ct, ok := evt.(*protocluster.ClusterTopology); ok {
			var ids []string
			for _, m := range ct.Members {
				ids = append(ids, m.Id)
			}
			slices.Sort(ids)
			topo.mu.Lock()
			topo.latest = ids
			topo.mu.Unlock()
		}
	})
	c.StartMember()
	t.Cleanup(func() {
		c.Shutdown(false)
		_ = p.Shutdown(false)
	})
	self := p.MemberID()
	waitFor(t, 10*time.Second, "topology has node 1", func() bool { return slices.Equal(topo.ids(), []string{self}) })

	cfg2 := testConfig(log, 2, freeAddr(t), cfg1.BindAddr)
	cfg2.Meta.ActorAddr = freeAddr(t)
	m2 := startNode(t, cfg2)
	other := ProtoMemberID(2, m2.boot)
	want := []string{self, other}
	slices.Sort(want)
	waitFor(t, 10*time.Second, "topology has nodes 1 and 2", func() bool { return slices.Equal(topo.ids(), want) })

	if err := m2.Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "topology drops node 2", func() bool { return slices.Equal(topo.ids(), []string{self}) })

	if err := p.Shutdown(true); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(true); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}
