package warren_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

func TestCoordAcrossNodes(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b, cc := c.N(0).Coord(), c.N(1).Coord(), c.N(2).Coord()

	p, st, err := a.Create(ctx, "/app", []byte("root"), warren.CreateOptions{})
	if err != nil || p != "/app" || st.Version != 0 || st.DataLength != 4 {
		t.Fatalf("create /app = %q %+v %v", p, st, err)
	}
	if _, _, err := b.Create(ctx, "/app", nil, warren.CreateOptions{}); !errors.Is(err, warren.ErrNodeExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, _, err := b.Create(ctx, "/nope/child", nil, warren.CreateOptions{}); !errors.Is(err, warren.ErrNoNode) {
		t.Fatalf("create without parent: %v", err)
	}
	// Sequential children, created through different nodes.
	var seqs []string
	for i, cl := range []*warren.Coord{a, b, cc, a} {
		p, _, err := cl.Create(ctx, "/app/job-", []byte(fmt.Sprint(i)), warren.CreateOptions{Mode: warren.ModePersistentSequential})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, p)
	}
	want := []string{"/app/job-0000000000", "/app/job-0000000001", "/app/job-0000000002", "/app/job-0000000003"}
	if !slices.Equal(seqs, want) {
		t.Fatalf("sequential names %v", seqs)
	}
	// Written through A, read through C after a sync (another client's
	// writes are visible once synced, as in ZooKeeper).
	if err := cc.Sync(ctx, "/app"); err != nil {
		t.Fatal(err)
	}
	kids, pst, err := cc.Children(ctx, "/app")
	if err != nil || len(kids) != 4 || pst.NumChildren != 4 || pst.Cversion != 4 {
		t.Fatalf("children = %v %+v %v", kids, pst, err)
	}
	// Versions: set with the right version, then a stale one.
	st, err = b.Set(ctx, "/app", []byte("v1"), 0)
	if err != nil || st.Version != 1 {
		t.Fatalf("set v0: %+v %v", st, err)
	}
	if _, err := cc.Set(ctx, "/app", []byte("v2"), 0); !errors.Is(err, warren.ErrBadVersion) {
		t.Fatalf("stale set: %v", err)
	}
	// cc's failed write went through the leader, but a failed write is no
	// promise of freshness: sync before reading b's write.
	if err := cc.Sync(ctx, "/app"); err != nil {
		t.Fatal(err)
	}
	data, st, err := cc.Get(ctx, "/app")
	if err != nil || string(data) != "v1" || st.Version != 1 || st.Mzxid <= st.Czxid {
		t.Fatalf("get = %q %+v %v", data, st, err)
	}
	if err := a.Delete(ctx, "/app", warren.AnyVersion); !errors.Is(err, warren.ErrNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if err := cc.Delete(ctx, want[0], 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx, "/app"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Exists(ctx, want[0]); ok || err != nil {
		t.Fatalf("exists after delete: %v %v", ok, err)
	}
	// Ephemerals need a session.
	if _, _, err := a.Create(ctx, "/app/e", nil, warren.CreateOptions{Mode: warren.ModeEphemeral}); !errors.Is(err, warren.ErrNeedsSession) {
		t.Fatalf("ephemeral without session: %v", err)
	}
	// Root listing gathers namespaces from every shard.
	for _, ns := range []string{"/zeta", "/beta", "/gamma"} {
		if _, _, err := b.Create(ctx, ns, nil, warren.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cc.Sync(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	roots, _, err := cc.Children(ctx, "/")
	if err != nil || !slices.Equal(roots, []string{"app", "beta", "gamma", "zeta"}) {
		t.Fatalf("ls / = %v %v", roots, err)
	}
	if err := a.Sync(ctx, "/app"); err != nil {
		t.Fatal(err)
	}
	if n, err := a.ChildrenCount(ctx, "/app"); err != nil || n != 3 {
		t.Fatalf("children count = %d %v", n, err)
	}
}

func TestCoordMultiAndACL(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := c.N(0).Coord(), c.N(1).Coord()
	if _, _, err := a.Create(ctx, "/m", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Multi(ctx,
		a.CreateOp("/m/x", []byte("1"), warren.CreateOptions{}),
		a.SetOp("/m", []byte("parent"), 0),
		a.CheckOp("/m/x", 0),
	)
	if err != nil || len(res) != 3 || res[0].Path != "/m/x" {
		t.Fatalf("multi = %+v %v", res, err)
	}
	// A failing op rolls the whole multi back.
	res, err = b.Multi(ctx,
		b.CreateOp("/m/y", nil, warren.CreateOptions{}),
		b.CheckOp("/m/x", 7),
	)
	if !errors.Is(err, warren.ErrBadVersion) || len(res) != 2 {
		t.Fatalf("failing multi = %+v %v", res, err)
	}
	if _, ok, _ := a.Exists(ctx, "/m/y"); ok {
		t.Fatal("failed multi left /m/y behind")
	}
	if _, err := a.Multi(ctx, a.CreateOp("/m/z", nil, warren.CreateOptions{}), a.CreateOp("/other", nil, warren.CreateOptions{})); !errors.Is(err, warren.ErrCrossNamespace) {
		t.Fatalf("cross-namespace multi: %v", err)
	}
	if _, ok, _ := a.Exists(ctx, "/m/z"); ok {
		t.Fatal("cross-namespace multi applied part")
	}

	// Digest ACL: only alice may read and write.
	sum := sha1.Sum([]byte("alice:secret"))
	alice := warren.AuthID{Scheme: "digest", ID: "alice:" + base64.StdEncoding.EncodeToString(sum[:])}
	acl := []warren.ACL{{Perms: 31, Scheme: alice.Scheme, ID: alice.ID}}
	asAlice := a.WithAuth(false, alice)
	if _, _, err := asAlice.Create(ctx, "/m/secret", []byte("s"), warren.CreateOptions{ACL: acl}); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx, "/m"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(ctx, "/m/secret"); !errors.Is(err, warren.ErrNoAuth) {
		t.Fatalf("anonymous read of a digest node: %v", err)
	}
	if _, err := b.Set(ctx, "/m/secret", nil, -1); !errors.Is(err, warren.ErrNoAuth) {
		t.Fatalf("anonymous write of a digest node: %v", err)
	}
	if d, _, err := b.WithAuth(false, alice).Get(ctx, "/m/secret"); err != nil || string(d) != "s" { // WithAuth keeps what b has seen
		t.Fatalf("alice reads %q %v", d, err)
	}
	if d, _, err := b.WithAuth(true).Get(ctx, "/m/secret"); err != nil || string(d) != "s" {
		t.Fatalf("super reads %q %v", d, err)
	}
}

func TestContainersAndTTLNodesExpire(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := c.N(0).Coord()
	if _, _, err := a.Create(ctx, "/ct", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Create(ctx, "/ct/box", nil, warren.CreateOptions{Mode: warren.ModeContainer}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Create(ctx, "/ct/box/item", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Create(ctx, "/ct/ttl", nil, warren.CreateOptions{Mode: warren.ModePersistentTTL, TTL: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	gone := func(path string) func() bool {
		return func() bool {
			if err := a.Sync(ctx, path); err != nil {
				t.Fatal(err)
			}
			_, ok, err := a.Exists(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			return !ok
		}
	}
	if gone("/ct/box")() {
		t.Fatal("container with a child was deleted")
	}
	if err := a.Delete(ctx, "/ct/box/item", -1); err != nil {
		t.Fatal(err)
	}
	testcluster.WaitFor(t, 10*time.Second, "empty container deleted", gone("/ct/box"))
	testcluster.WaitFor(t, 10*time.Second, "TTL node deleted", gone("/ct/ttl"))
}

func TestCoordCheckMultiReadAndSuperDigest(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.Options{Configure: func(cfg *warren.Config) {
		cfg.SuperDigest = warren.Digest("super", "s3cret")
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a := c.N(0).Coord()
	if _, _, err := a.Create(ctx, "/mr", []byte("d"), warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(ctx, "/mr", 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(ctx, "/mr", 3); !errors.Is(err, warren.ErrBadVersion) {
		t.Fatalf("check with a wrong version: %v", err)
	}
	res, err := a.MultiRead(ctx, warren.GetDataOp("/mr"), warren.GetChildrenOp("/mr"), warren.GetDataOp("/missing"))
	if err != nil || string(res[0].Data) != "d" || len(res[1].Children) != 0 || !errors.Is(res[2].Err, warren.ErrNoNode) {
		t.Fatalf("multiRead = %+v %v", res, err)
	}
	// A node whose ACL names only bob: refused to alice, allowed to bob.
	bob, err := a.AddAuth("digest", "bob:pw")
	if err != nil {
		t.Fatal(err)
	}
	acl := []warren.ACL{{Perms: 31, Scheme: "digest", ID: warren.Digest("bob", "pw")}}
	if _, _, err := bob.Create(ctx, "/mr/bob", nil, warren.CreateOptions{ACL: acl}); err != nil {
		t.Fatal(err)
	}
	alice, _ := a.AddAuth("digest", "alice:pw")
	if _, _, err := alice.Get(ctx, "/mr/bob"); !errors.Is(err, warren.ErrNoAuth) {
		t.Fatalf("alice reads bob's node: %v", err)
	}
	super, err := a.AddAuth("digest", "super:s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := super.Set(ctx, "/mr/bob", []byte("by super"), -1); err != nil {
		t.Fatalf("super writes bob's node: %v", err)
	}
	if _, err := a.AddAuth("digest", "nocolon"); !errors.Is(err, warren.ErrAuthFailed) {
		t.Fatalf("malformed digest auth: %v", err)
	}
}
