package cluster

import (
	"errors"
	"go/parser"
	"go/token"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func TestValidateReportsEveryBadField(t *testing.T) {
	cfg := Config{
		BindAddr:      "localhost:0",
		AdvertiseAddr: "0.0.0.0:7946",
		Meta:          NodeMeta{Name: strings.Repeat("n", MaxMetaSize)},
		Seeds:         []string{"127.0.0.1:7946", "no-port", ":7946"},
		SecretKey:     []byte("short"),
		ProbeInterval: -time.Second,
		SuspicionMult: -1,
	}
	err := cfg.Validate()
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Validate = %v, want ErrInvalidConfig", err)
	}
	for _, field := range []string{"BindAddr", "AdvertiseAddr", "Meta.NodeID", "Meta:", "Seeds[1]", "Seeds[2]", "SecretKey", "ProbeInterval", "SuspicionMult"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("Validate error does not mention %s:\n%v", field, err)
		}
	}
	if strings.Contains(err.Error(), "Seeds[0]") {
		t.Errorf("valid seed reported:\n%v", err)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 9 {
		t.Errorf("%d errors, want 9:\n%v", n, err)
	}
}

func TestValidateAcceptsDefaults(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Meta.NodeID = 7
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	minimal := Config{BindAddr: "127.0.0.1:7946", Meta: NodeMeta{NodeID: 7}}
	if err := minimal.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := minimal.withDefaults(); got.ProbeInterval != DefaultProbeInterval || got.ProbeTimeout != DefaultProbeTimeout || got.Logger == nil {
		t.Errorf("defaults not applied: %+v", got)
	}
	fast := Config{BindAddr: "127.0.0.1:7946", Meta: NodeMeta{NodeID: 7}, ProbeInterval: 100 * time.Millisecond}
	if got := fast.withDefaults().ProbeTimeout; got != 50*time.Millisecond {
		t.Errorf("ProbeTimeout default for a 100ms ProbeInterval = %v", got)
	}
	slowProbe := fast
	slowProbe.ProbeTimeout = time.Second
	if err := slowProbe.Validate(); err == nil || !strings.Contains(err.Error(), "ProbeTimeout") {
		t.Errorf("ProbeTimeout >= ProbeInterval accepted: %v", err)
	}
}

func TestMemberlistConfig(t *testing.T) {
	cfg := testConfig(newTestLog(t), 42, "0.0.0.0:7000")
	cfg.SecretKey = []byte("0123456789abcdef0123456789abcdef")
	mc, err := cfg.withDefaults().memberlistConfig(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if mc.Name != "42" || mc.BindAddr != "0.0.0.0" || mc.BindPort != 7000 || mc.AdvertiseAddr != "" || mc.AdvertisePort != 7000 {
		t.Errorf("addresses: name %q bind %s:%d advertise %q:%d", mc.Name, mc.BindAddr, mc.BindPort, mc.AdvertiseAddr, mc.AdvertisePort)
	}
	if mc.ProbeInterval != cfg.ProbeInterval || mc.SuspicionMult != 2 || mc.Keyring == nil || mc.Logger == nil {
		t.Errorf("tuning not applied: %+v", mc)
	}
	cfg.AdvertiseAddr = "10.0.0.1:7001"
	mc, _ = cfg.withDefaults().memberlistConfig(slog.New(slog.DiscardHandler))
	if mc.AdvertiseAddr != "10.0.0.1" || mc.AdvertisePort != 7001 {
		t.Errorf("advertise %q:%d", mc.AdvertiseAddr, mc.AdvertisePort)
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Alive: "alive", Suspect: "suspect", Dead: "dead", Left: "left", 9: "State(9)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

func TestMetaRoundTrip(t *testing.T) {
	for _, meta := range []NodeMeta{
		{NodeID: 1},
		{NodeID: 1<<64 - 1, Name: "n", RaftAddr: "10.0.0.1:7950", ActorAddr: "[::1]:7960", ZKAddr: ":2181", KafkaAddr: "h:9092", HTTPAddr: "ünïcode:80"},
	} {
		buf, err := encodeMeta(meta, 0xdeadbeef)
		if err != nil {
			t.Fatal(err)
		}
		got, boot, err := decodeMeta(buf)
		if err != nil || got != meta || boot != 0xdeadbeef {
			t.Errorf("round trip of %+v: %+v %x %v", meta, got, boot, err)
		}
		// Fields appended by a later version are ignored.
		if got, _, err := decodeMeta(append(buf, 1, 2, 3)); err != nil || got != meta {
			t.Errorf("with trailing bytes: %+v %v", got, err)
		}
	}
	max := NodeMeta{NodeID: 1, Name: strings.Repeat("x", MaxMetaSize-1-1-8-6-1)}
	if buf, err := encodeMeta(max, 0); err != nil || len(buf) != MaxMetaSize {
		t.Errorf("largest meta: %d bytes, %v", len(buf), err)
	}
	max.Name += "x"
	if _, err := encodeMeta(max, 0); !errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("oversize meta: %v", err)
	}
	for _, bad := range [][]byte{nil, {2}, {1}, {1, 5}, {1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 9, 'a'}} {
		if _, _, err := decodeMeta(bad); err == nil {
			t.Errorf("decodeMeta(%v) accepted", bad)
		}
	}
}

func FuzzDecodeMeta(f *testing.F) {
	buf, _ := encodeMeta(NodeMeta{NodeID: 3, Name: "a", HTTPAddr: "b:1"}, 9)
	f.Add(buf)
	f.Add([]byte{1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, buf []byte) {
		meta, boot, err := decodeMeta(buf)
		if err != nil {
			return
		}
		again, err := encodeMeta(meta, boot)
		if err != nil {
			return // decoded from a longer buffer than the limit
		}
		meta2, boot2, err := decodeMeta(again)
		if err != nil || meta2 != meta || boot2 != boot {
			t.Fatalf("re-encoding changed %+v/%x to %+v/%x (%v)", meta, boot, meta2, boot2, err)
		}
	})
}

func TestMessagesRoundTrip(t *testing.T) {
	for _, p := range []Placement{{}, {Epoch: 1}, {Epoch: 1 << 40, Members: []uint64{1, 2, 1<<64 - 1}}} {
		buf := encodePlacement(p)
		if buf[0] != msgPlacement {
			t.Fatalf("kind %d", buf[0])
		}
		got, err := decodePlacement(buf[1:])
		if err != nil || got.Epoch != p.Epoch || !slices.Equal(got.Members, p.Members) {
			t.Errorf("placement %+v: %+v %v", p, got, err)
		}
	}
	l := leaveNotice{nodeID: 12, boot: 1<<64 - 3}
	buf := encodeLeave(l)
	if got, err := decodeLeave(buf[1:]); err != nil || got != l || buf[0] != msgLeave {
		t.Errorf("leave: %+v %v", got, err)
	}
	for _, bad := range [][]byte{nil, {1}, {1, 200}, {1, 2, 5}} {
		if _, err := decodePlacement(bad); err == nil {
			t.Errorf("decodePlacement(%v) accepted", bad)
		}
	}
	if _, err := decodeLeave([]byte{1, 2, 3}); err == nil {
		t.Error("short leave accepted")
	}
}

func FuzzNotifyMsg(f *testing.F) {
	f.Add(encodePlacement(Placement{Epoch: 3, Members: []uint64{1, 2}}))
	f.Add(encodeLeave(leaveNotice{nodeID: 1, boot: 2}))
	f.Add([]byte{msgPlacement, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, buf []byte) {
		m := newMembership(Config{Meta: NodeMeta{NodeID: 1}}.withDefaults())
		d := &delegate{m: m}
		d.NotifyMsg(buf) // must not panic
		d.MergeRemoteState(buf, true)
		p := m.Placement()
		if len(buf) > 0 && buf[0] == msgPlacement && p.Epoch > 0 {
			want, err := decodePlacement(buf[1:])
			if err != nil || want.Epoch != p.Epoch || !slices.Equal(want.Members, p.Members) {
				t.Fatalf("adopted %+v from %v", p, buf)
			}
		}
	})
}

func TestParseLogLine(t *testing.T) {
	for _, tc := range []struct {
		line  string
		level slog.Level
		msg   string
	}{
		{"[DEBUG] memberlist: Stream connection from=127.0.0.1:1\n", slog.LevelDebug, "Stream connection from=127.0.0.1:1"},
		{"[INFO] memberlist: Marking 3 as failed\n", slog.LevelInfo, "Marking 3 as failed"},
		{"[WARN] memberlist: Refuting a suspect message\n", slog.LevelWarn, "Refuting a suspect message"},
		{"[ERR] memberlist: Conflicting address for 2\n", slog.LevelError, "Conflicting address for 2"},
		{"[ERROR] boom", slog.LevelError, "boom"},
		{"Err: Could not set the deadline", slog.LevelInfo, "Err: Could not set the deadline"},
	} {
		level, msg := parseLogLine([]byte(tc.line))
		if level != tc.level || msg != tc.msg {
			t.Errorf("parseLogLine(%q) = %v %q, want %v %q", tc.line, level, msg, tc.level, tc.msg)
		}
	}
}

// memberlistNode builds the *memberlist.Node memberlist hands the event
// delegate.
func memberlistNode(t *testing.T, id uint64, boot uint64, port uint16) *memberlist.Node {
	t.Helper()
	meta, err := encodeMeta(NodeMeta{NodeID: id, Name: "n" + strconv.FormatUint(id, 10)}, boot)
	if err != nil {
		t.Fatal(err)
	}
	return &memberlist.Node{Name: strconv.FormatUint(id, 10), Addr: net.IPv4(127, 0, 0, 1), Port: port, Meta: meta}
}

func TestLeaveNoticeOrdering(t *testing.T) {
	m := newMembership(Config{Meta: NodeMeta{NodeID: 1}}.withDefaults())
	d := &delegate{m: m}
	ch, cancel := m.Subscribe()
	defer cancel()

	// Notice, then memberlist's leave: Left.
	d.NotifyJoin(memberlistNode(t, 2, 20, 7002))
	d.NotifyMsg(encodeLeave(leaveNotice{nodeID: 2, boot: 20}))
	d.NotifyLeave(memberlistNode(t, 2, 20, 7002))
	if s := stateOf(m, 2); s != Left {
		t.Errorf("notice then leave: %v, want left", s)
	}
	// memberlist's leave overtaking the notice: Dead, then Left.
	d.NotifyJoin(memberlistNode(t, 3, 30, 7003))
	d.NotifyLeave(memberlistNode(t, 3, 30, 7003))
	if s := stateOf(m, 3); s != Dead {
		t.Errorf("leave without notice: %v, want dead", s)
	}
	<-ch
	d.NotifyMsg(encodeLeave(leaveNotice{nodeID: 3, boot: 30}))
	if s := stateOf(m, 3); s != Left {
		t.Errorf("leave then notice: %v, want left", s)
	}
	select {
	case <-ch:
	default:
		t.Error("dead -> left not signalled")
	}
	// A notice from an earlier boot does not apply to the restarted node.
	d.NotifyJoin(memberlistNode(t, 3, 31, 7003))
	d.NotifyMsg(encodeLeave(leaveNotice{nodeID: 3, boot: 30}))
	d.NotifyLeave(memberlistNode(t, 3, 31, 7003))
	if s := stateOf(m, 3); s != Dead {
		t.Errorf("stale notice: %v, want dead", s)
	}
	if m.NumAlive() != 0 {
		t.Errorf("NumAlive = %d", m.NumAlive())
	}
	// Names that are not node ids are ignored.
	d.NotifyJoin(&memberlist.Node{Name: "consul-agent", Addr: net.IPv4(127, 0, 0, 1), Port: 1})
	if len(m.Members()) != 2 {
		t.Errorf("members: %+v", m.Members())
	}
}

func TestActorHostPort(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:7960": true, "[::1]:7960": true, "node-1:1": true,
		"": false, "127.0.0.1": false, ":7960": false, "h:0": false, "h:70000": false, "h:x": false,
	} {
		_, _, err := actorHostPort(addr)
		if (err == nil) != ok {
			t.Errorf("actorHostPort(%q): %v", addr, err)
		}
	}
	if id := ProtoMemberID(12, 0xab); id != "12-00000000000000ab" {
		t.Errorf("ProtoMemberID = %q", id)
	}
}

func TestProtoProviderTopology(t *testing.T) {
	m := newMembership(Config{Meta: NodeMeta{NodeID: 1}}.withDefaults())
	p := NewProtoProvider(m, "echo", "counter")
	all := []Member{
		{Meta: NodeMeta{NodeID: 1, ActorAddr: "127.0.0.1:7961"}, State: Alive, BootID: 1},
		{Meta: NodeMeta{NodeID: 2, ActorAddr: "127.0.0.1:7962"}, State: Dead, BootID: 2},
		{Meta: NodeMeta{NodeID: 3, ActorAddr: "[::1]:7963"}, State: Alive, BootID: 3},
		{Meta: NodeMeta{NodeID: 4, ActorAddr: ""}, State: Alive, BootID: 4},
		{Meta: NodeMeta{NodeID: 5, ActorAddr: "127.0.0.1:7965"}, State: Left, BootID: 5},
	}
	members, key := p.topology(all, true)
	if len(members) != 2 {
		t.Fatalf("members %v", members)
	}
	if m0 := members[0]; m0.Id != ProtoMemberID(1, 1) || m0.Host != "127.0.0.1" || m0.Port != 7961 || !slices.Equal(m0.Kinds, []string{"echo", "counter"}) {
		t.Errorf("member 1: %v", m0)
	}
	if m1 := members[1]; m1.Id != ProtoMemberID(3, 3) || m1.Host != "::1" || m1.Port != 7963 {
		t.Errorf("member 3: %v", m1)
	}
	members[0].Kinds[0] = "changed"
	if p.kinds[0] != "echo" {
		t.Error("members share the provider's kinds")
	}
	clientView, clientKey := p.topology(all, false)
	if len(clientView) != 1 || clientView[0].Id != ProtoMemberID(3, 3) || clientKey == key {
		t.Errorf("client view %v (key %q)", clientView, clientKey)
	}
	if p.MemberID() != ProtoMemberID(1, m.boot) {
		t.Errorf("MemberID = %q", p.MemberID())
	}
	if err := p.Shutdown(false); err != nil {
		t.Fatal(err)
	}
}

// TestForbiddenImports keeps the layering of DESIGN.md: cluster sits below
// the grain runtime and the SDK.
func TestForbiddenImports(t *testing.T) {
	const module = "github.com/warrenhq/warren"
	forbidden := []string{"/actors", "/mailbox", "/grains", "/protocol", "/cmd", "/examples"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == module {
				t.Errorf("%s imports the SDK root package", name)
			}
			for _, p := range forbidden {
				if path == module+p || strings.HasPrefix(path, module+p+"/") {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
}
