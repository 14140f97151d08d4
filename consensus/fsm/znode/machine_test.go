package znode

import (
	"math"
	"strings"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

// errorSetup is the tree every TestOpErrors case starts from.
func errorSetup() []Op {
	withAuth := func(c Create, a Auth) Create { c.Auth = a; return c }
	return []Op{
		mkCreate("/a", Persistent),
		mkCreate("/a/b", Persistent),
		mkCreate("/e", Ephemeral),
		mkCreateACL("/ro", worldRead),
		withAuth(mkCreate("/ro/x", Persistent), asSuper),
		mkCreateACL("/al", aliceAll),
		mkCreateACL("/nocd", worldNoCrD),
		withAuth(mkCreate("/nocd/c", Persistent), asSuper),
		mkCreateACL("/net", ACL{Perms: PermAll, Scheme: "ip", ID: "10.0.0.0/8"}),
	}
}

// errorCase is one operation applied to errorSetup and the error it gets.
type errorCase struct {
	name string
	op   Op
	want int32
}

func createErrorCases() []errorCase {
	long := "/" + strings.Repeat("l", 31) // 32 bytes: at the limit
	c := mkCreate
	cd := func(path string, data string) Create { x := c(path, Persistent); x.Data = []byte(data); return x }
	ttl := func(mode Mode, ttl int64) Create { x := c("/t", mode); x.TTL = ttl; return x }
	eph := func(session int64) Create { x := c("/s", Ephemeral); x.Session = session; return x }
	acl := func(path string, a Auth, acl ...ACL) Create { x := mkCreateACL(path, acl...); x.Auth = a; return x }
	as := func(x Create, a Auth) Create { x.Auth = a; return x }
	return []errorCase{
		{"create", c("/n", Persistent), ZOK},
		{"create data at limit", cd("/n", "12345678"), ZOK},
		{"create data too large", cd("/n", "123456789"), ZBADARGUMENTS},
		{"create mode 7", c("/n", 7), ZBADARGUMENTS},
		{"create mode -1", c("/n", -1), ZBADARGUMENTS},
		{"create path at limit", c(long, Persistent), ZOK},
		{"create path too long", c(long+"l", Persistent), ZBADARGUMENTS},
		{"create relative path", c("n", Persistent), ZBADARGUMENTS},
		{"create empty path", c("", Persistent), ZBADARGUMENTS},
		{"create trailing slash", c("/a/", Persistent), ZBADARGUMENTS},
		{"create dot segment", c("/a/.", Persistent), ZBADARGUMENTS},
		{"create dotdot segment", c("/a/../x", Persistent), ZBADARGUMENTS},
		{"create control char", c("/n\x01", Persistent), ZBADARGUMENTS},
		{"create sequential trailing slash", c("/a/", PersistentSequential), ZOK},
		{"create sequential dot prefix", c("/a/.", PersistentSequential), ZOK},
		{"create sequential double slash", c("//", PersistentSequential), ZBADARGUMENTS},
		{"create suffix too long", c(long[:23], PersistentSequential), ZBADARGUMENTS},
		{"create suffix too long under missing parent", c("/zz/"+strings.Repeat("l", 19), PersistentSequential), ZNONODE},
		{"create ttl", ttl(PersistentTTL, 1000), ZOK},
		{"create ttl zero", ttl(PersistentTTL, 0), ZBADARGUMENTS},
		{"create ttl negative", ttl(PersistentSequentialTTL, -5), ZBADARGUMENTS},
		{"create ttl above max", ttl(PersistentTTL, 1001), ZBADARGUMENTS},
		{"create ttl on persistent", ttl(Persistent, 1), ZBADARGUMENTS},
		{"create ttl -1 on persistent", ttl(Persistent, -1), ZOK},
		{"create ephemeral session 0", eph(0), ZBADARGUMENTS},
		{"create ephemeral container owner", eph(math.MinInt64), ZBADARGUMENTS},
		{"create ephemeral ttl-looking owner", eph(ttlOwnerBits | 5), ZBADARGUMENTS},
		{"create ephemeral session -1", eph(-1), ZBADARGUMENTS},
		{"create ephemeral", eph(1 << 55), ZOK},
		{"create no acl", acl("/n", Auth{}), ZINVALIDACL},
		{"create acl before parent", acl("/zz/n", Auth{}), ZINVALIDACL},
		{"create world nobody", acl("/n", Auth{}, ACL{PermAll, "world", "nobody"}), ZINVALIDACL},
		{"create digest without colon", acl("/n", Auth{}, ACL{PermAll, "digest", "alice"}), ZINVALIDACL},
		{"create digest two colons", acl("/n", Auth{}, ACL{PermAll, "digest", "a:b:c"}), ZINVALIDACL},
		{"create digest empty user", acl("/n", Auth{}, ACL{PermAll, "digest", ":x"}), ZOK},
		{"create digest trailing colons", acl("/n", Auth{}, ACL{PermAll, "digest", "a:b::"}), ZOK},
		{"create ip cidr", acl("/n", Auth{}, ACL{PermAll, "ip", "10.0.0.0/8"}), ZOK},
		{"create ip6 cidr", acl("/n", Auth{}, ACL{PermAll, "ip", "fe80::/10"}), ZOK},
		{"create ip bits too many", acl("/n", Auth{}, ACL{PermAll, "ip", "10.0.0.0/33"}), ZINVALIDACL},
		{"create ip zone", acl("/n", Auth{}, ACL{PermAll, "ip", "fe80::1%eth0"}), ZINVALIDACL},
		{"create ip garbage", acl("/n", Auth{}, ACL{PermAll, "ip", "host"}), ZINVALIDACL},
		{"create unknown scheme", acl("/n", Auth{}, ACL{PermAll, "magic", "x"}), ZINVALIDACL},
		{"create auth without identity", acl("/n", asNobody, ACL{PermAll, "auth", ""}), ZINVALIDACL},
		{"create auth with ip identity only", acl("/n", Auth{IDs: []ID{{"ip", "10.0.0.1"}}}, ACL{PermAll, "auth", ""}), ZINVALIDACL},
		{"create auth", acl("/n", asAlice, ACL{PermAll, "auth", ""}), ZOK},
		{"create x509 and sasl", acl("/n", Auth{}, ACL{PermAll, "x509", "CN=a"}, ACL{PermRead, "sasl", "svc"}), ZOK},
		{"create missing parent", c("/zz/n", Persistent), ZNONODE},
		{"create without CREATE", as(c("/ro/n", Persistent), asNobody), ZNOAUTH},
		{"create NOAUTH before NODEEXISTS", as(c("/ro/x", Persistent), asNobody), ZNOAUTH},
		{"create digest allowed", as(c("/al/n", Persistent), asAlice), ZOK},
		{"create digest refused", as(c("/al/n", Persistent), asBob), ZNOAUTH},
		{"create super", as(c("/al/n", Persistent), asSuper), ZOK},
		{"create ip allowed", as(c("/net/n", Persistent), Auth{IP: "10.200.0.1"}), ZOK},
		{"create ip refused", as(c("/net/n", Persistent), Auth{IP: "11.0.0.1"}), ZNOAUTH},
		{"create ip6 caller on ip4 acl", as(c("/net/n", Persistent), Auth{IP: "::ffff:10.0.0.1"}), ZNOAUTH},
		{"create exists", c("/a", Persistent), ZNODEEXISTS},
		{"create root", c("/", Persistent), ZNODEEXISTS},
		{"create under ephemeral", c("/e/n", Persistent), ZNOCHILDRENFOREPHEMERALS},
		{"create sequential under ephemeral", c("/e/n", EphemeralSequential), ZNOCHILDRENFOREPHEMERALS},
	}
}

func updateErrorCases() []errorCase {
	return []errorCase{
		{"delete", Delete{Path: "/a/b", Version: AnyVersion}, ZOK},
		{"delete matching version", Delete{Path: "/a/b", Version: 0}, ZOK},
		{"delete stale version", Delete{Path: "/a/b", Version: 5}, ZBADVERSION},
		{"delete version -2", Delete{Path: "/a/b", Version: -2}, ZBADVERSION},
		{"delete root", Delete{Path: "/", Version: AnyVersion}, ZBADARGUMENTS},
		{"delete bad path", Delete{Path: "/a/b/", Version: AnyVersion}, ZBADARGUMENTS},
		{"delete missing parent", Delete{Path: "/zz/b", Version: AnyVersion}, ZNONODE},
		{"delete missing node", Delete{Path: "/a/zz", Version: AnyVersion}, ZNONODE},
		{"delete without DELETE", Delete{Path: "/nocd/c", Version: AnyVersion, Auth: asNobody}, ZNOAUTH},
		{"delete NOAUTH before NONODE", Delete{Path: "/nocd/zz", Version: AnyVersion, Auth: asNobody}, ZNOAUTH},
		{"delete needs nothing on the node", Delete{Path: "/al", Version: AnyVersion, Auth: asBob}, ZOK},
		{"delete not empty", Delete{Path: "/a", Version: AnyVersion}, ZNOTEMPTY},
		{"delete BADVERSION before NOTEMPTY", Delete{Path: "/a", Version: 9}, ZBADVERSION},
		{"delete ephemeral of another session", Delete{Path: "/e", Version: AnyVersion}, ZOK},

		{"setData", SetData{Path: "/a", Data: []byte("x"), Version: AnyVersion}, ZOK},
		{"setData root", SetData{Path: "/", Data: []byte("x"), Version: 0}, ZOK},
		{"setData too large", SetData{Path: "/a", Data: []byte("123456789"), Version: AnyVersion}, ZBADARGUMENTS},
		{"setData bad path", SetData{Path: "a", Version: AnyVersion}, ZBADARGUMENTS},
		{"setData missing", SetData{Path: "/zz", Version: AnyVersion}, ZNONODE},
		{"setData without WRITE", SetData{Path: "/ro", Version: AnyVersion, Auth: asNobody}, ZNOAUTH},
		{"setData NOAUTH before BADVERSION", SetData{Path: "/ro", Version: 4, Auth: asNobody}, ZNOAUTH},
		{"setData stale version", SetData{Path: "/a", Version: 3}, ZBADVERSION},

		{"setACL", SetACL{Path: "/a", ACL: []ACL{worldRead}, Version: 0}, ZOK},
		{"setACL bad path", SetACL{Path: "/a/", ACL: []ACL{worldRead}, Version: AnyVersion}, ZBADARGUMENTS},
		{"setACL INVALIDACL before NONODE", SetACL{Path: "/zz", Version: AnyVersion}, ZINVALIDACL},
		{"setACL missing", SetACL{Path: "/zz", ACL: []ACL{worldRead}, Version: AnyVersion}, ZNONODE},
		{"setACL without ADMIN", SetACL{Path: "/ro", ACL: []ACL{worldAll}, Version: AnyVersion, Auth: asNobody}, ZNOAUTH},
		{"setACL digest admin", SetACL{Path: "/al", ACL: []ACL{worldAll}, Version: AnyVersion, Auth: asAlice}, ZOK},
		{"setACL stale aversion", SetACL{Path: "/a", ACL: []ACL{worldAll}, Version: 1}, ZBADVERSION},

		{"check", Check{Path: "/a", Version: 0}, ZOK},
		{"check any", Check{Path: "/a", Version: AnyVersion}, ZOK},
		{"check bad path", Check{Path: "//", Version: 0}, ZBADARGUMENTS},
		{"check missing", Check{Path: "/zz", Version: 0}, ZNONODE},
		{"check without READ", Check{Path: "/al", Version: 0, Auth: asBob}, ZNOAUTH},
		{"check stale", Check{Path: "/a", Version: 1}, ZBADVERSION},
	}
}

func TestOpErrors(t *testing.T) {
	tests := append(createErrorCases(), updateErrorCases()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			for _, op := range errorSetup() {
				h.must(op)
			}
			before := h.snapshot()
			r, evs := h.apply(tt.op)
			if got := ZKError(r); got != tt.want {
				t.Fatalf("error %d, want %d", got, tt.want)
			}
			if tt.want == ZOK {
				return
			}
			if r.Code != CodeZK || len(r.Data) != 4 || evs != nil {
				t.Fatalf("failure result %+v with events %v", r, evs)
			}
			if !sameSnapshot(before, h.snapshot()) {
				t.Fatal("failed operation changed the state")
			}
		})
	}
}

func TestUndecodableOps(t *testing.T) {
	good := EncodeDelete(Delete{Path: "/a", Version: AnyVersion})
	for _, op := range [][]byte{
		nil, {0}, {99}, good[:len(good)-1], append(good, 0),
		EncodeMulti(Multi{Ops: []MultiOp{nil}}),
		append([]byte{tagMulti, 1}, EncodeSetACL(SetACL{Path: "/a"})...),
		append([]byte{tagMulti, 1}, EncodeMulti(Multi{})...),
		append([]byte{tagMulti, 1}, EncodeExpire(Expire{})...),
		{tagDelete, 2, '/', 'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
	} {
		h := newHarness(t)
		r, evs := h.apply(opBytes(op))
		if r.Code != fsm.CodeBadCommand || evs != nil || ZKError(r) != ZMARSHALLINGERROR {
			t.Errorf("op %x: code %d events %v", op, r.Code, evs)
		}
	}
}

func TestStatMaintenance(t *testing.T) {
	h := newHarness(t)
	h.must(Create{Path: "/a", Data: []byte("hi"), ACL: OpenACL()}) // zxid 1
	z := func(n uint64) int64 { return int64(n) }
	want := Stat{Czxid: 1, Mzxid: 1, Ctime: stampOf(1), Mtime: stampOf(1), DataLength: 2, Pzxid: 1}
	if st, _ := h.stat("/a"); st != want {
		t.Fatalf("new node %+v, want %+v", st, want)
	}
	h.must(mkCreate("/a/b", Persistent))              // 2
	h.must(Delete{Path: "/a/b", Version: AnyVersion}) // 3
	h.must(mkCreate("/a/c", Persistent))              // 4
	want.Cversion, want.NumChildren, want.Pzxid = 3, 1, z(4)
	if st, _ := h.stat("/a"); st != want {
		t.Fatalf("after create, delete, create: %+v, want %+v", st, want)
	}
	h.must(SetData{Path: "/a", Data: []byte("x"), Version: 0}) // 5
	want.Version, want.Mzxid, want.Mtime, want.DataLength = 1, 5, stampOf(5), 1
	h.must(SetACL{Path: "/a", ACL: OpenACL(), Version: 0}) // 6
	want.Aversion = 1
	if st, _ := h.stat("/a"); st != want {
		t.Fatalf("after setData and setACL: %+v, want %+v", st, want)
	}
	h.must(SetData{Path: "/a", Version: 1}) // 7: empty data
	want.Version, want.Mzxid, want.Mtime, want.DataLength = 2, 7, stampOf(7), 0
	if st, _ := h.stat("/a"); st != want || len(h.data("/a")) != 0 {
		t.Fatalf("after clearing data: %+v, want %+v", st, want)
	}
	root, _ := h.stat("/")
	if root != (Stat{Cversion: 1, NumChildren: 1, Pzxid: 1}) {
		t.Fatalf("root %+v", root)
	}
}

// TestSequenceSuffix checks that suffixes count child creates only (the
// stored cversion), while the visible cversion counts deletes too.
func TestSequenceSuffix(t *testing.T) {
	h := newHarness(t)
	h.must(mkCreate("/q", Persistent))
	created := func(r fsm.Result) string {
		p, _, err := DecodeCreateResult(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := created(h.must(mkCreate("/q/n-", PersistentSequential))); p != "/q/n-0000000000" {
		t.Fatalf("first %q", p)
	}
	h.must(Delete{Path: "/q/n-0000000000", Version: AnyVersion})
	if p := created(h.must(mkCreate("/q/", EphemeralSequential))); p != "/q/0000000001" {
		t.Fatalf("after a delete %q", p)
	}
	if p := created(h.must(mkCreate("/q/t", PersistentSequentialTTL))); p != "/q/t0000000002" {
		t.Fatalf("ttl %q", p)
	}
	if st, _ := h.stat("/q"); st.Cversion != 4 || st.NumChildren != 2 {
		t.Fatalf("cversion %d children %d", st.Cversion, st.NumChildren)
	}
	if p := created(h.must(mkCreate("/", PersistentSequential))); p != "/0000000001" {
		t.Fatalf("under root %q", p)
	}
}

func TestSeqSuffix(t *testing.T) {
	for n, want := range map[int32]string{
		0: "0000000000", 42: "0000000042", math.MaxInt32: "2147483647",
		-1: "-000000001", math.MinInt32: "-2147483648",
	} {
		if got := seqSuffix(n); got != want {
			t.Errorf("seqSuffix(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestEphemeralOwner(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		op   Create
		want int64
	}{
		{mkCreate("/p", Persistent), 0},
		{mkCreate("/e", Ephemeral), 7},
		{mkCreate("/c", Container), ContainerOwner},
		{mkCreate("/t", PersistentTTL), -0x0100000000000000 | 100},
	}
	for _, tt := range tests {
		_, st, err := DecodeCreateResult(h.must(tt.op).Data)
		if err != nil || st.EphemeralOwner != tt.want {
			t.Errorf("%s: owner %#x, want %#x (%v)", tt.op.Path, uint64(st.EphemeralOwner), uint64(tt.want), err)
		}
	}
}

func TestEvents(t *testing.T) {
	h := newHarness(t)
	steps := []struct {
		op   Op
		want []WatchEvent
	}{
		{mkCreate("/a", Persistent), []WatchEvent{ev(NodeCreated, "/a"), ev(NodeChildrenChanged, "/")}},
		{mkCreate("/a/b", Persistent), []WatchEvent{ev(NodeCreated, "/a/b"), ev(NodeChildrenChanged, "/a")}},
		{SetData{Path: "/a/b", Version: AnyVersion}, []WatchEvent{ev(NodeDataChanged, "/a/b")}},
		{SetACL{Path: "/a/b", ACL: OpenACL(), Version: AnyVersion}, nil},
		{Check{Path: "/a/b", Version: AnyVersion}, nil},
		{Delete{Path: "/a/b", Version: AnyVersion}, []WatchEvent{ev(NodeDeleted, "/a/b"), ev(NodeChildrenChanged, "/a")}},
		{Delete{Path: "/a/b", Version: AnyVersion}, nil},
	}
	for i, s := range steps {
		if _, evs := h.apply(s.op); !sameEvents(evs, s.want) {
			t.Errorf("step %d %T: events %v, want %v", i, s.op, evs, s.want)
		}
	}
}

func TestAuthExpansion(t *testing.T) {
	h := newHarness(t)
	a := Auth{IDs: []ID{alice, {"ip", "10.0.0.1"}, alice, {"x509", "CN=me"}}, IP: "10.0.0.1"}
	h.must(Create{Path: "/n", ACL: []ACL{{PermRead, "auth", "ignored"}, worldRead, worldRead}, Auth: a})
	r, err := DecodeACLReply(h.query(GetACL{Path: "/n", Auth: asSuper}))
	want := []ACL{{PermRead, "digest", alice.ID}, {PermRead, "x509", "CN=me"}, worldRead}
	if err != nil || !sameACL(r.ACL, want) {
		t.Fatalf("stored ACL %+v, want %+v (%v)", r.ACL, want, err)
	}
}

func TestLimits(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Limits{}).Validate(); err != nil {
		t.Fatalf("zero limits: %v", err)
	}
	err := Limits{MaxDataBytes: -1, MaxPathBytes: -1, MaxTTLMillis: MaxTTL + 1}.Validate()
	if err == nil || strings.Count(err.Error(), "znode:") != 3 {
		t.Fatalf("Validate reported %v", err)
	}
	got := New(Limits{MaxDataBytes: -1, MaxTTLMillis: MaxTTL + 1}).Limits()
	if got != DefaultLimits() {
		t.Fatalf("normalized %+v", got)
	}
	if got := New(Limits{MaxDataBytes: 5}).Limits(); got.MaxDataBytes != 5 || got.MaxPathBytes != 4096 {
		t.Fatalf("partial limits %+v", got)
	}
}

func TestKeysStayUnderKindPrefix(t *testing.T) {
	h := newHarness(t)
	h.must(mkCreate("/a", Container))
	h.must(mkCreate("/a/e", Ephemeral))
	h.must(mkCreate("/t", PersistentTTL))
	h.must(SetData{Path: "/", Data: []byte("r"), Version: AnyVersion})
	h.kv.Scan(nil, func(k, _ []byte) bool {
		if !strings.HasPrefix(string(k), "k/znode/") {
			t.Errorf("key %q outside the kind prefix", k)
		}
		return true
	})
}
