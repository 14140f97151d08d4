package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestThreeMembersJoin(t *testing.T) {
	log := newTestLog(t)
	nodes := testCluster(t, log, 3)
	for _, m := range nodes {
		members := m.Members()
		if len(members) != 3 {
			t.Fatalf("node %d sees %d members, want 3", m.LocalID(), len(members))
		}
		for i, mem := range members {
			want := testConfig(log, uint64(i+1), "").Meta
			if mem.Meta != want {
				t.Errorf("node %d sees meta %+v, want %+v", m.LocalID(), mem.Meta, want)
			}
			if mem.State != Alive || mem.Since.IsZero() || mem.GossipAddr == "" || mem.BootID == 0 {
				t.Errorf("node %d sees member %+v", m.LocalID(), mem)
			}
			if mem.GossipAddr != nodes[i].cfg.BindAddr {
				t.Errorf("node %d sees member %d at %s, want %s", m.LocalID(), i+1, mem.GossipAddr, nodes[i].cfg.BindAddr)
			}
		}
		if got, ok := m.Member(2); !ok || got.Meta.NodeID != 2 {
			t.Errorf("Member(2) = %+v, %v", got, ok)
		}
		if _, ok := m.Member(99); ok {
			t.Error("Member(99) found")
		}
		if m.HealthScore() < 0 {
			t.Errorf("HealthScore = %d", m.HealthScore())
		}
	}
}

func TestUpdateMetaPropagates(t *testing.T) {
	log := newTestLog(t)
	nodes := testCluster(t, log, 3)
	ch, cancel := nodes[0].Subscribe()
	defer cancel()

	meta := nodes[1].cfg.Meta
	meta.HTTPAddr = "127.0.0.1:28080"
	meta.Name = "renamed"
	ctx, cancelCtx := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelCtx()
	if err := nodes[1].UpdateMeta(ctx, meta); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "every node sees node 2's new meta", func() bool {
		for _, m := range nodes {
			if mem, _ := m.Member(2); mem.Meta != meta {
				return false
			}
		}
		return true
	})
	select {
	case <-ch:
	default:
		t.Error("subscriber of node 1 not signalled by the meta update")
	}

	wrongID := meta
	wrongID.NodeID = 3
	if err := nodes[1].UpdateMeta(ctx, wrongID); err == nil {
		t.Error("UpdateMeta with another node's id succeeded")
	}
	huge := meta
	huge.Name = strings.Repeat("x", MaxMetaSize)
	if err := nodes[1].UpdateMeta(ctx, huge); !errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("UpdateMeta with huge meta: %v, want ErrMetaTooLarge", err)
	}
}

func TestShutdownSeenAsDead(t *testing.T) {
	log := newTestLog(t)
	nodes := testCluster(t, log, 3)
	stopped := time.Now()
	if err := nodes[2].Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := nodes[2].Shutdown(); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	for _, m := range nodes[:2] {
		waitFor(t, 15*time.Second, fmt.Sprintf("node %d sees node 3 dead", m.LocalID()), func() bool {
			s := stateOf(m, 3)
			if s != Alive && s != Suspect && s != Dead {
				t.Fatalf("node %d sees node 3 %v", m.LocalID(), s)
			}
			return s == Dead
		})
		mem, _ := m.Member(3)
		if mem.Since.Before(stopped) {
			t.Errorf("node %d: node 3 dead since %v, before it stopped (%v)", m.LocalID(), mem.Since, stopped)
		}
		if m.NumAlive() != 2 || len(m.Members()) != 3 {
			t.Errorf("node %d: NumAlive %d, %d members", m.LocalID(), m.NumAlive(), len(m.Members()))
		}
	}
	ctx := context.Background()
	if err := nodes[2].UpdateMeta(ctx, nodes[2].cfg.Meta); !errors.Is(err, ErrClosed) {
		t.Errorf("UpdateMeta after Shutdown: %v, want ErrClosed", err)
	}
	if err := nodes[2].Leave(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Leave after Shutdown: %v, want ErrClosed", err)
	}
}

func TestLeaveSeenAsLeft(t *testing.T) {
	log := newTestLog(t)
	nodes := testCluster(t, log, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := nodes[2].Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if err := nodes[2].Leave(ctx); err != nil {
		t.Fatalf("second Leave: %v", err)
	}
	if s := stateOf(nodes[2], 3); s != Left {
		t.Errorf("node 3 sees itself %v, want left", s)
	}
	if err := nodes[2].UpdateMeta(ctx, nodes[2].cfg.Meta); !errors.Is(err, ErrClosed) {
		t.Errorf("UpdateMeta after Leave: %v, want ErrClosed", err)
	}
	if err := nodes[2].Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, m := range nodes[:2] {
		waitFor(t, 10*time.Second, fmt.Sprintf("node %d sees node 3 left", m.LocalID()), func() bool {
			s := stateOf(m, 3)
			if s == Dead {
				t.Fatalf("node %d sees node 3 dead, want left", m.LocalID())
			}
			return s == Left
		})
	}
}

func TestRestartedMemberComesBackAlive(t *testing.T) {
	log := newTestLog(t)
	nodes := testCluster(t, log, 3)
	cfg3 := nodes[2].cfg
	boot := nodes[2].boot
	if err := nodes[2].Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "node 1 sees node 3 dead", func() bool { return stateOf(nodes[0], 3) == Dead })
	dead, _ := nodes[0].Member(3)

	cfg3.Seeds = []string{nodes[0].cfg.BindAddr}
	restarted := startNode(t, cfg3)
	if restarted.boot == boot {
		t.Fatal("restart kept the boot id")
	}
	all := []*Membership{nodes[0], nodes[1], restarted}
	waitAllAlive(t, all, 3)
	for _, m := range all {
		mem, _ := m.Member(3)
		if mem.BootID != restarted.boot {
			t.Errorf("node %d sees node 3 with boot %x, want %x", m.LocalID(), mem.BootID, restarted.boot)
		}
	}
	if back, _ := nodes[0].Member(3); !back.Since.After(dead.Since) {
		t.Errorf("node 3 alive since %v, not after it died (%v)", back.Since, dead.Since)
	}
}

func TestPlacementSpreads(t *testing.T) {
	log := newTestLog(t)
	nodes := testCluster(t, log, 3)
	samePlacement := func(want Placement) func() bool {
		return func() bool {
			for _, m := range nodes {
				p := m.Placement()
				if p.Epoch != want.Epoch || !slices.Equal(p.Members, want.Members) {
					return false
				}
			}
			return true
		}
	}

	p5 := Placement{Epoch: 5, Members: []uint64{1, 2, 3}}
	nodes[0].PublishPlacement(p5)
	waitFor(t, 10*time.Second, "every node has placement 5", samePlacement(p5))

	// A lower epoch never overrides a higher one: not when published...
	nodes[1].PublishPlacement(Placement{Epoch: 3, Members: []uint64{2}})
	if p := nodes[1].Placement(); p.Epoch != 5 {
		t.Fatalf("node 2 adopted a lower epoch: %+v", p)
	}
	// ...nor when received by gossip or push/pull.
	d := &delegate{m: nodes[2]}
	d.NotifyMsg(encodePlacement(Placement{Epoch: 4, Members: []uint64{9}}))
	d.MergeRemoteState(encodePlacement(Placement{Epoch: 2}), false)
	if p := nodes[2].Placement(); p.Epoch != 5 {
		t.Fatalf("node 3 adopted a lower epoch: %+v", p)
	}

	p7 := Placement{Epoch: 7, Members: []uint64{1, 3}}
	nodes[2].PublishPlacement(p7)
	waitFor(t, 10*time.Second, "every node has placement 7", samePlacement(p7))

	// Placement returns a copy.
	got := nodes[0].Placement()
	got.Members[0] = 42
	if nodes[0].Placement().Members[0] != 1 {
		t.Error("Placement shares its slice with the caller")
	}

	// A node joining later gets the current placement by push/pull.
	late := startNode(t, testConfig(log, 4, freeAddr(t), nodes[1].cfg.BindAddr))
	waitFor(t, 10*time.Second, "late joiner has placement 7", func() bool {
		p := late.Placement()
		return p.Epoch == 7 && slices.Equal(p.Members, p7.Members)
	})
}

func TestSubscribeSignalsChanges(t *testing.T) {
	log := newTestLog(t)
	n1 := startNode(t, testConfig(log, 1, freeAddr(t)))
	ch, cancel := n1.Subscribe()
	ch2, cancel2 := n1.Subscribe()
	defer cancel2()

	n2 := startNode(t, testConfig(log, 2, freeAddr(t), n1.cfg.BindAddr))
	waitAllAlive(t, []*Membership{n1, n2}, 2)
	select {
	case <-ch:
	default:
		t.Fatal("not signalled by a join")
	}
	n1.PublishPlacement(Placement{Epoch: 1, Members: []uint64{1, 2}})
	select {
	case <-ch:
	default:
		t.Fatal("not signalled by a placement")
	}
	// Signals coalesce in the one-slot buffer and never block the sender.
	for epoch := uint64(2); epoch < 10; epoch++ {
		n1.PublishPlacement(Placement{Epoch: epoch})
	}
	if len(ch2) != 1 {
		t.Fatalf("buffered signals = %d, want 1", len(ch2))
	}

	<-ch // drain what the loop above signalled
	cancel()
	cancel() // idempotent
	n1.mu.Lock()
	subs := len(n1.mu.subs)
	n1.mu.Unlock()
	if subs != 1 {
		t.Fatalf("%d subscribers after cancel, want 1", subs)
	}
	n1.PublishPlacement(Placement{Epoch: 20})
	select {
	case <-ch:
		t.Fatal("signalled after cancel")
	default:
	}
}

func TestSeedRetriedUntilUp(t *testing.T) {
	log := newTestLog(t)
	seedAddr := freeAddr(t)
	retrying := log.watch("seeds unreachable, retrying")

	type result struct {
		m   *Membership
		err error
	}
	done := make(chan result, 1)
	cfg := testConfig(log, 2, freeAddr(t), seedAddr)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		m, err := Start(ctx, cfg)
		done <- result{m, err}
	}()
	select {
	case <-retrying:
	case r := <-done:
		t.Fatalf("Start returned before the seed was up: %v", r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("no join attempt logged")
	}

	seed := startNode(t, testConfig(log, 1, seedAddr))
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { _ = r.m.Shutdown() })
	waitAllAlive(t, []*Membership{seed, r.m}, 2)
}

func TestStartGivesUpWithErrJoin(t *testing.T) {
	log := newTestLog(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Start(ctx, testConfig(log, 2, addr, freeAddr(t)))
	if !errors.Is(err, ErrJoin) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start with no seed up: %v, want ErrJoin and DeadlineExceeded", err)
	}
	// It shut down: its address is free again.
	startNode(t, testConfig(log, 2, addr))
}

func TestNodeIDConflictRefused(t *testing.T) {
	log := newTestLog(t)
	nodes := testCluster(t, log, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, testConfig(log, 2, freeAddr(t), nodes[0].cfg.BindAddr))
	if !errors.Is(err, ErrJoin) || !errors.Is(err, ErrNodeIDConflict) {
		t.Fatalf("Start with a live node's id: %v, want ErrJoin and ErrNodeIDConflict", err)
	}
	mem, _ := nodes[0].Member(2)
	if mem.GossipAddr != nodes[1].cfg.BindAddr || mem.State != Alive {
		t.Errorf("node 1 sees node 2 as %+v after the conflict", mem)
	}
}

func TestEncryptedGossip(t *testing.T) {
	log := newTestLog(t)
	key := []byte("0123456789abcdef")
	cfg1 := testConfig(log, 1, freeAddr(t))
	cfg1.SecretKey = key
	n1 := startNode(t, cfg1)
	cfg2 := testConfig(log, 2, freeAddr(t), cfg1.BindAddr)
	cfg2.SecretKey = key
	n2 := startNode(t, cfg2)
	waitAllAlive(t, []*Membership{n1, n2}, 2)

	cfg3 := testConfig(log, 3, freeAddr(t), cfg1.BindAddr)
	cfg3.SecretKey = []byte("fedcba9876543210")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := Start(ctx, cfg3); !errors.Is(err, ErrJoin) {
		t.Fatalf("join with the wrong key: %v, want ErrJoin", err)
	}
}

func TestSelfSeedIsSkipped(t *testing.T) {
	log := newTestLog(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m, err := Start(ctx, testConfig(log, 1, addr, addr))
	if err != nil {
		t.Fatalf("first node listing itself as seed: %v", err)
	}
	defer m.Shutdown()
	if m.NumAlive() != 1 {
		t.Errorf("NumAlive = %d", m.NumAlive())
	}
}
