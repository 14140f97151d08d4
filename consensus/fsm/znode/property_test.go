package znode

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

// Small universes make collisions (same names, shared parents, matching and
// non-matching identities) common.
var (
	genNames    = []string{"x", "y", "s-", "z"}
	genSessions = []int64{1, 2, 3}
	genBadPaths = []string{"", "a", "/x/", "//", "/x/./y", "/x\x01", "/\U0001F600", "/" + strings.Repeat("p", 32)}
	genAuths    = []Auth{
		{IP: "10.0.0.1"},
		{IP: "192.168.1.5"},
		{Super: true},
		{IDs: []ID{{"digest", "alice:pw"}}, IP: "172.16.0.1"},
		{IDs: []ID{{"digest", "bob:pw"}}, IP: "172.16.0.2"},
		{IDs: []ID{{"digest", "alice:pw"}, {"ip", "10.0.0.1"}, {"digest", "alice:pw"}}, IP: "10.9.9.9"},
	}
	genACLs = []ACL{
		{PermAll, "world", "anyone"},
		{PermRead, "world", "anyone"},
		{PermRead | PermCreate | PermDelete, "world", "anyone"},
		{PermAll, "digest", "alice:pw"},
		{PermWrite | PermAdmin, "digest", "bob:pw"},
		{PermAll, "ip", "10.0.0.0/8"},
		{PermRead | PermCreate, "ip", "192.168.1.5"},
		{PermAll, "auth", ""},
		{PermAll, "world", "nobody"},
		{PermAll, "digest", "alice"},
		{PermAll, "ip", "10.0.0.0/33"},
		{PermAll, "magic", "x"},
	}
)

// gen draws random operations, looking at the model to aim at existing
// nodes and current versions.
type gen struct {
	rng *rand.Rand
	m   *model
	now int64
}

func (g *gen) pick(n int) int { return g.rng.Intn(n) }

func (g *gen) existing() string {
	ps := g.m.sortedPaths()
	return ps[g.pick(len(ps))]
}

func join(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

func (g *gen) path() string {
	switch n := g.pick(20); {
	case n < 11:
		return g.existing()
	case n < 19:
		return join(g.existing(), genNames[g.pick(len(genNames))])
	}
	return genBadPaths[g.pick(len(genBadPaths))]
}

func (g *gen) data() []byte {
	b := make([]byte, g.pick(10))
	g.rng.Read(b)
	return b
}

func (g *gen) auth() Auth { return genAuths[g.pick(len(genAuths))] }

func (g *gen) acl() []ACL {
	switch n := g.pick(25); {
	case n == 0:
		return nil
	case n < 13:
		return []ACL{genACLs[0]}
	}
	acl := []ACL{genACLs[g.pick(len(genACLs))]}
	if g.pick(2) == 0 {
		acl = append(acl, genACLs[g.pick(len(genACLs))])
	}
	return acl
}

// version draws an expected version, often the current one.
func (g *gen) version(p string, aversion bool) int32 {
	cur := int32(0)
	if n := g.m.nodes[p]; n != nil {
		cur = n.version
		if aversion {
			cur = n.aversion
		}
	}
	return []int32{-1, -1, cur, cur, 0, 1, 2}[g.pick(7)]
}

func (g *gen) create() Create {
	p := join(g.existing(), genNames[g.pick(len(genNames))])
	switch g.pick(30) {
	case 0:
		p = g.path()
	case 1:
		p = g.existing() + "/"
	case 2:
		p = join(p, genNames[g.pick(len(genNames))])
	}
	c := Create{Path: p, Data: g.data(), ACL: g.acl(), Mode: Mode(g.pick(7)), Session: genSessions[g.pick(3)], Auth: g.auth()}
	switch {
	case g.pick(40) == 0:
		c.Mode = []Mode{-1, 7}[g.pick(2)]
	case c.Mode.IsTTL():
		c.TTL = []int64{100, 100, 300, 1000, 0, 1001, -1}[g.pick(7)]
	case g.pick(15) == 0:
		c.TTL = []int64{-1, 5}[g.pick(2)]
	}
	if g.pick(40) == 0 {
		c.Session = 0
	}
	return c
}

func (g *gen) multiOp() MultiOp {
	p := g.path()
	switch n := g.pick(10); {
	case n < 4:
		return g.create()
	case n < 6:
		return Delete{Path: p, Version: g.version(p, false), Auth: g.auth()}
	case n < 8:
		return SetData{Path: p, Data: g.data(), Version: g.version(p, false), Auth: g.auth()}
	}
	return Check{Path: p, Version: g.version(p, false), Auth: g.auth()}
}

func (g *gen) op() Op {
	p := g.path()
	switch n := g.pick(100); {
	case n < 30:
		return g.create()
	case n < 45:
		return Delete{Path: p, Version: g.version(p, false), Auth: g.auth()}
	case n < 57:
		return SetData{Path: p, Data: g.data(), Version: g.version(p, false), Auth: g.auth()}
	case n < 63:
		return SetACL{Path: p, ACL: g.acl(), Version: g.version(p, true), Auth: g.auth()}
	case n < 67:
		return Check{Path: p, Version: g.version(p, false), Auth: g.auth()}
	case n < 82:
		m := Multi{}
		for range g.pick(5) {
			m.Ops = append(m.Ops, g.multiOp())
		}
		return m
	case n < 88:
		return CloseSession{Session: genSessions[g.pick(3)]}
	}
	return Expire{Now: g.now + int64(g.pick(1500)) - 200}
}

// TestMachineMatchesModel applies seeded random operation sequences to the
// Machine over MemKV and to the reference model, compares every result,
// Stat and event list, and every few steps the whole tree as the queries
// see it.
func TestMachineMatchesModel(t *testing.T) {
	seeds, steps := 2000, 50
	if testing.Short() {
		seeds = 200
	}
	seen := make(map[string]int)
	for seed := int64(1); seed <= int64(seeds); seed++ {
		runModel(t, seed, steps, seen)
	}
	for _, k := range []string{"create/0", "create/-8", "create/-101", "create/-102", "create/-108", "create/-110", "create/-114",
		"delete/0", "delete/-102", "delete/-103", "delete/-111", "setdata/0", "setacl/0", "setacl/-114", "check/-103",
		"multi/0", "multi/-110", "closesession/0", "expire/0", "closed", "expired-ttl", "expired-container"} {
		if seen[k] == 0 {
			t.Errorf("the random sequences never produced %s", k)
		}
	}
	t.Logf("outcomes: %v", seen)
}

func runModel(t *testing.T, seed int64, steps int, seen map[string]int) {
	rng := rand.New(rand.NewSource(seed))
	mach, kv, ref := New(testLimits), &fsm.MemKV{}, newModel(testLimits)
	g := &gen{rng: rng, m: ref, now: 1_000_000}
	zxid := uint64(0)
	for step := 0; step < steps; step++ {
		zxid += 1 + uint64(rng.Intn(3))
		g.now += int64(rng.Intn(60))
		op := g.op()
		want := ref.apply(op, int64(zxid), g.now)
		r, evs := mach.Apply(kv, zxid, fsm.Command{Kind: Kind, Stamp: g.now, Op: appendOp(nil, op)})
		tally(seen, op, r, want)
		if msg := compareOutcome(r, evs, zxid, op, want); msg != "" {
			t.Fatalf("seed %d step %d %T %+v: %s", seed, step, op, op, msg)
		}
		if step%10 == 9 || step == steps-1 {
			if msg := compareTree(mach, kv, ref, rng); msg != "" {
				t.Fatalf("seed %d after step %d %T %+v: %s", seed, step, op, op, msg)
			}
		}
	}
}

func tally(seen map[string]int, op Op, r fsm.Result, want outcome) {
	name := strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", op), "znode."))
	seen[fmt.Sprintf("%s/%d", name, ZKError(r))]++
	switch op.(type) {
	case CloseSession:
		if len(want.paths) > 0 {
			seen["closed"]++
		}
	case Expire:
		seen["expired-container"] += strings.Count(want.kinds, "c")
		seen["expired-ttl"] += strings.Count(want.kinds, "t")
	}
}

func compareOutcome(r fsm.Result, raw []fsm.Event, zxid uint64, op Op, want outcome) string {
	if got := ZKError(r); got != want.err || r.Zxid != zxid {
		return fmt.Sprintf("error %d zxid %d, model says %d", got, r.Zxid, want.err)
	}
	if msg := compareData(r, op, want); msg != "" {
		return msg
	}
	var evs []WatchEvent
	for _, e := range raw {
		w, err := DecodeEvent(e.Data)
		if err != nil || e.Kind != Kind || e.Zxid != zxid {
			return fmt.Sprintf("bad event %+v: %v", e, err)
		}
		evs = append(evs, w)
	}
	if !sameEvents(evs, want.events) {
		return fmt.Sprintf("events %v, model says %v", evs, want.events)
	}
	return ""
}

func compareData(r fsm.Result, op Op, want outcome) string {
	if _, ok := op.(Multi); ok {
		rs, err := DecodeMultiResult(r)
		if err != nil || !slices.Equal(rs, want.multi) {
			return fmt.Sprintf("multi results %+v (%v), model says %+v", rs, err, want.multi)
		}
		return ""
	}
	if want.err != ZOK {
		return ""
	}
	var got OpResult
	var err error
	switch op.(type) {
	case CloseSession, Expire:
		paths, err := DecodePaths(r.Data)
		if err != nil || !slices.Equal(paths, want.paths) {
			return fmt.Sprintf("paths %q (%v), model says %q", paths, err, want.paths)
		}
		return ""
	case Create:
		got.Path, got.Stat, err = DecodeCreateResult(r.Data)
	case SetData, SetACL:
		got.Stat, err = DecodeStat(r.Data)
	default:
		if len(r.Data) != 0 {
			return fmt.Sprintf("unexpected result data %x", r.Data)
		}
	}
	if err != nil || got != want.res {
		return fmt.Sprintf("result %+v (%v), model says %+v", got, err, want.res)
	}
	return ""
}

// compareTree checks every model node through GetData, GetChildren, GetACL
// and GetAllChildrenNumber (as super, and GetACL again as a random caller),
// that the machine has no other node, and every session's ephemerals.
func compareTree(m *Machine, kv *fsm.MemKV, ref *model, rng *rand.Rand) string {
	q := func(query Query) []byte {
		b, err := m.Query(kv, appendQuery(nil, query))
		if err != nil {
			panic(err)
		}
		return b
	}
	for _, p := range ref.sortedPaths() {
		n := ref.nodes[p]
		d, err := DecodeDataReply(q(GetData{Path: p, Auth: asSuper}))
		if err != nil || d.Err != ZOK || !bytes.Equal(d.Data, n.data) || d.Stat != n.stat() {
			return fmt.Sprintf("GetData(%s) = %+v, model has %q %+v", p, d, n.data, n.stat())
		}
		c, err := DecodeChildrenReply(q(GetChildren{Path: p, Auth: asSuper}))
		if want := slices.Sorted(maps.Keys(n.kids)); err != nil || c.Err != ZOK || !slices.Equal(c.Children, want) {
			return fmt.Sprintf("GetChildren(%s) = %q, model has %q", p, c.Children, want)
		}
		if msg := compareACL(q, p, n, genAuths[rng.Intn(len(genAuths))]); msg != "" {
			return msg
		}
	}
	all, err := DecodeCountReply(q(GetAllChildrenNumber{Path: "/", Auth: asSuper}))
	if err != nil || int(all.Count) != len(ref.nodes)-1 {
		return fmt.Sprintf("machine has %d nodes, model %d", all.Count, len(ref.nodes)-1)
	}
	for _, s := range genSessions {
		e, err := DecodePathsReply(q(GetEphemerals{Session: s}))
		if want := ref.ephemerals(s); err != nil || !slices.Equal(e.Paths, want) {
			return fmt.Sprintf("GetEphemerals(%d) = %q, model has %q", s, e.Paths, want)
		}
	}
	return ""
}

func compareACL(q func(Query) []byte, p string, n *mnode, a Auth) string {
	r, err := DecodeACLReply(q(GetACL{Path: p, Auth: a}))
	want := ACLReply{ACL: n.acl, Stat: n.stat()}
	switch {
	case !mAllowed(n.acl, PermRead|PermAdmin, a):
		want = ACLReply{Err: ZNOAUTH}
	case !mAllowed(n.acl, PermAdmin, a):
		want.ACL = nil
		for _, e := range n.acl {
			if user, _, ok := strings.Cut(e.ID, ":"); ok && e.Scheme == "digest" {
				e.ID = user + ":x"
			}
			want.ACL = append(want.ACL, e)
		}
	}
	if err != nil || r.Err != want.Err || r.Stat != want.Stat || !sameACL(r.ACL, want.ACL) {
		return fmt.Sprintf("GetACL(%s, %+v) = %+v, model says %+v", p, a, r, want)
	}
	return ""
}

func (m *model) ephemerals(s int64) []string {
	var out []string
	for _, p := range m.sortedPaths() {
		if n := m.nodes[p]; n.kind == 'e' && n.owner == s {
			out = append(out, p)
		}
	}
	return out
}
