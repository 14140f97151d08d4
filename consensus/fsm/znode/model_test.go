package znode

import (
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"strings"
	"unicode/utf16"
)

// This file is the reference model: ZooKeeper's data tree as plain Go
// structs, written from ZooKeeper's documented behaviour without reusing the
// Machine's code (no keys, no records, no shared helpers). It keeps the
// visible cversion as a counter bumped on child create and delete, and the
// sequence counter separately, where the Machine derives both from one
// stored count.

// mnode is a znode of the model.
type mnode struct {
	data                        []byte
	acl                         []ACL
	czxid, mzxid, pzxid         int64
	ctime, mtime                int64
	version, cversion, aversion int32
	seq                         int32 // child creates so far
	kids                        map[string]bool
	kind                        byte // 'p'ersistent, 'e'phemeral, 'c'ontainer, 't'tl
	owner, ttl                  int64
}

type model struct {
	lim   Limits
	nodes map[string]*mnode
	gone  map[int64]bool // sessions closed: their ephemeral creates fail
}

// outcome is what the model expects from one operation.
type outcome struct {
	err    int32
	res    OpResult   // Create, SetData, SetACL
	multi  []OpResult // Multi
	paths  []string   // CloseSession, Expire
	kinds  string     // Expire: the kind of each deleted node
	events []WatchEvent
}

func newModel(lim Limits) *model {
	root := &mnode{acl: []ACL{{Perms: 31, Scheme: "world", ID: "anyone"}}, kids: map[string]bool{}, kind: 'p'}
	return &model{lim: lim, nodes: map[string]*mnode{"/": root}, gone: map[int64]bool{}}
}

func (m *model) clone() *model {
	c := &model{lim: m.lim, nodes: make(map[string]*mnode, len(m.nodes)), gone: make(map[int64]bool, len(m.gone))}
	for k, v := range m.gone {
		c.gone[k] = v
	}
	for p, n := range m.nodes {
		cp := *n
		cp.kids = maps.Clone(n.kids)
		c.nodes[p] = &cp
	}
	return c
}

func (m *model) sortedPaths() []string { return slices.Sorted(maps.Keys(m.nodes)) }

func (n *mnode) stat() Stat {
	var owner int64
	switch n.kind {
	case 'e':
		owner = n.owner
	case 'c':
		owner = math.MinInt64
	case 't':
		owner = int64(uint64(0xff)<<56 | uint64(n.ttl))
	}
	return Stat{Czxid: n.czxid, Mzxid: n.mzxid, Ctime: n.ctime, Mtime: n.mtime, Version: n.version,
		Cversion: n.cversion, Aversion: n.aversion, EphemeralOwner: owner, DataLength: int32(len(n.data)),
		NumChildren: int32(len(n.kids)), Pzxid: n.pzxid}
}

// mValidPath checks a path the way ZooKeeper's Java code sees it: as UTF-16
// code units.
func mValidPath(p string, maxLen int) bool {
	if len(p) > maxLen || !strings.HasPrefix(p, "/") {
		return false
	}
	if p != "/" {
		for _, seg := range strings.Split(p[1:], "/") {
			if seg == "" || seg == "." || seg == ".." {
				return false
			}
		}
	}
	for _, r := range p {
		for _, u := range utf16.Encode([]rune{r}) {
			if u < 0x20 || (u >= 0x7f && u <= 0x9f) || (u >= 0xd800 && u <= 0xf8ff) || u >= 0xfff0 {
				return false
			}
		}
	}
	return true
}

// mFixACL validates a request's ACL the way ZooKeeper's fixupACL does, for
// the schemes the generator uses (world, auth, digest, ip).
func mFixACL(in []ACL, a Auth) ([]ACL, bool) {
	var out []ACL
	seen := map[ACL]bool{}
	for _, e := range in {
		if seen[e] {
			continue
		}
		seen[e] = true
		switch e.Scheme {
		case "world":
			if e.ID != "anyone" {
				return nil, false
			}
			out = append(out, e)
		case "auth":
			var got []ID
			for _, id := range a.IDs {
				if id.Scheme == "digest" && !slices.Contains(got, id) {
					got = append(got, id)
					out = append(out, ACL{Perms: e.Perms, Scheme: id.Scheme, ID: id.ID})
				}
			}
			if len(got) == 0 {
				return nil, false
			}
		case "digest":
			if strings.Count(strings.TrimRight(e.ID, ":"), ":") != 1 {
				return nil, false
			}
			out = append(out, e)
		case "ip":
			if _, _, ok := mParseIPv4(e.ID); !ok {
				return nil, false
			}
			out = append(out, e)
		default:
			return nil, false
		}
	}
	return out, len(out) > 0
}

// mParseIPv4 parses "a.b.c.d" or "a.b.c.d/bits" into an address and mask.
func mParseIPv4(s string) (addr, mask uint32, ok bool) {
	bits := 32
	if i := strings.IndexByte(s, '/'); i >= 0 {
		if _, err := fmt.Sscanf(s[i+1:], "%d", &bits); err != nil || bits < 0 || bits > 32 || fmt.Sprint(bits) != s[i+1:] {
			return 0, 0, false
		}
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return 0, 0, false
	}
	for _, p := range parts {
		var b int
		if _, err := fmt.Sscanf(p, "%d", &b); err != nil || b < 0 || b > 255 || fmt.Sprint(b) != p {
			return 0, 0, false
		}
		addr = addr<<8 | uint32(b)
	}
	if bits > 0 {
		mask = ^uint32(0) << (32 - bits)
	}
	return addr, mask, true
}

func mAllowed(acl []ACL, perm int32, a Auth) bool {
	if a.Super {
		return true
	}
	for _, e := range acl {
		if e.Perms&perm == 0 {
			continue
		}
		switch e.Scheme {
		case "world":
			if e.ID == "anyone" {
				return true
			}
		case "ip":
			want, mask, _ := mParseIPv4(e.ID)
			if got, _, ok := mParseIPv4(a.IP); ok && got&mask == want&mask {
				return true
			}
		default:
			if slices.Contains(a.IDs, ID{Scheme: e.Scheme, ID: e.ID}) {
				return true
			}
		}
	}
	return false
}

// apply applies op at zxid z with time now.
func (m *model) apply(op Op, z, now int64) outcome {
	switch o := op.(type) {
	case Multi:
		return m.multi(o, z, now)
	case CloseSession:
		var dead []string
		for _, p := range m.sortedPaths() {
			if n := m.nodes[p]; n.kind == 'e' && n.owner == o.Session {
				dead = append(dead, p)
			}
		}
		out := m.dropAll(dead, z)
		if out.err == ZOK {
			m.gone[o.Session] = true
		}
		return out
	case Expire:
		return m.expire(o.Now, z)
	}
	var evs []WatchEvent
	res, err := m.one(op, z, now, &evs)
	if err != ZOK {
		return outcome{err: err}
	}
	return outcome{res: res, events: evs}
}

func (m *model) one(op Op, z, now int64, evs *[]WatchEvent) (OpResult, int32) {
	switch o := op.(type) {
	case Create:
		return m.create(o, z, now, evs)
	case Delete:
		return OpResult{}, m.delete(o, z, evs)
	case SetData:
		return m.setData(o, z, now, evs)
	case SetACL:
		return m.setACL(o)
	case Check:
		return OpResult{}, m.check(o)
	}
	panic(fmt.Sprintf("model: unexpected op %T", op))
}

func (m *model) multi(mu Multi, z, now int64) outcome {
	c := m.clone()
	var evs []WatchEvent
	rs := make([]OpResult, len(mu.Ops))
	for i, op := range mu.Ops {
		res, err := c.one(op, z, now, &evs)
		if err == ZOK {
			rs[i] = res
			continue
		}
		for j := range rs {
			rs[j] = OpResult{Err: ZOK}
			if j == i {
				rs[j].Err = err
			} else if j > i {
				rs[j].Err = ZRUNTIMEINCONSISTENCY
			}
		}
		return outcome{err: err, multi: rs}
	}
	*m = *c
	return outcome{multi: rs, events: evs}
}

func (m *model) createArgsOK(c Create) bool {
	seq := c.Mode == 2 || c.Mode == 3 || c.Mode == 6
	ttlMode := c.Mode == 5 || c.Mode == 6
	check := c.Path
	if seq {
		check += "1"
	}
	switch {
	case len(c.Data) > m.lim.MaxDataBytes || c.Mode < 0 || c.Mode > 6:
		return false
	case len(c.Path) > m.lim.MaxPathBytes || !mValidPath(check, m.lim.MaxPathBytes+1):
		return false
	case ttlMode && (c.TTL <= 0 || c.TTL > m.lim.MaxTTLMillis), !ttlMode && c.TTL > 0:
		return false
	case (c.Mode == 1 || c.Mode == 3) && (c.Session == 0 || c.Session == math.MinInt64 || uint64(c.Session)>>56 == 0xff):
		return false
	}
	return true
}

func (m *model) create(c Create, z, now int64, evs *[]WatchEvent) (OpResult, int32) {
	if !m.createArgsOK(c) {
		return OpResult{}, ZBADARGUMENTS
	}
	if (c.Mode == 1 || c.Mode == 3) && m.gone[c.Session] {
		return OpResult{}, ZSESSIONEXPIRED
	}
	acl, ok := mFixACL(c.ACL, c.Auth)
	if !ok {
		return OpResult{}, ZINVALIDACL
	}
	parentPath := path.Dir(c.Path)
	parent := m.nodes[parentPath]
	if parent == nil {
		return OpResult{}, ZNONODE
	}
	if !mAllowed(parent.acl, PermCreate, c.Auth) {
		return OpResult{}, ZNOAUTH
	}
	p := c.Path
	if c.Mode == 2 || c.Mode == 3 || c.Mode == 6 {
		p += fmt.Sprintf("%010d", parent.seq)
	}
	switch {
	case len(p) > m.lim.MaxPathBytes:
		return OpResult{}, ZBADARGUMENTS
	case m.nodes[p] != nil:
		return OpResult{}, ZNODEEXISTS
	case parent.kind == 'e':
		return OpResult{}, ZNOCHILDRENFOREPHEMERALS
	}
	n := &mnode{data: c.Data, acl: acl, czxid: z, mzxid: z, pzxid: z, ctime: now, mtime: now, kids: map[string]bool{}, kind: 'p'}
	switch c.Mode {
	case 1, 3:
		n.kind, n.owner = 'e', c.Session
	case 4:
		n.kind = 'c'
	case 5, 6:
		n.kind, n.ttl = 't', c.TTL
	}
	m.nodes[p] = n
	parent.kids[path.Base(p)] = true
	parent.seq++
	parent.cversion++
	parent.pzxid = z
	*evs = append(*evs, WatchEvent{NodeCreated, p}, WatchEvent{NodeChildrenChanged, parentPath})
	return OpResult{Path: p, Stat: n.stat()}, ZOK
}

func (m *model) delete(d Delete, z int64, evs *[]WatchEvent) int32 {
	if !mValidPath(d.Path, m.lim.MaxPathBytes) || d.Path == "/" {
		return ZBADARGUMENTS
	}
	parent := m.nodes[path.Dir(d.Path)]
	if parent == nil {
		return ZNONODE
	}
	if !mAllowed(parent.acl, PermDelete, d.Auth) {
		return ZNOAUTH
	}
	n := m.nodes[d.Path]
	switch {
	case n == nil:
		return ZNONODE
	case d.Version != -1 && d.Version != n.version:
		return ZBADVERSION
	case len(n.kids) > 0:
		return ZNOTEMPTY
	}
	m.drop(d.Path, z, evs)
	return ZOK
}

func (m *model) drop(p string, z int64, evs *[]WatchEvent) {
	parentPath := path.Dir(p)
	parent := m.nodes[parentPath]
	delete(m.nodes, p)
	delete(parent.kids, path.Base(p))
	parent.cversion++
	parent.pzxid = max(parent.pzxid, z)
	*evs = append(*evs, WatchEvent{NodeDeleted, p}, WatchEvent{NodeChildrenChanged, parentPath})
}

func (m *model) dropAll(paths []string, z int64) outcome {
	var evs []WatchEvent
	for _, p := range paths {
		m.drop(p, z, &evs)
	}
	return outcome{paths: paths, events: evs}
}

func (m *model) expire(now, z int64) outcome {
	var dead []string
	var kinds []byte
	for _, p := range m.sortedPaths() {
		n := m.nodes[p]
		if len(n.kids) > 0 {
			continue
		}
		if (n.kind == 'c' && n.seq > 0) || (n.kind == 't' && now-n.mtime > n.ttl) {
			dead = append(dead, p)
			kinds = append(kinds, n.kind)
		}
	}
	o := m.dropAll(dead, z)
	o.kinds = string(kinds)
	return o
}

func (m *model) setData(s SetData, z, now int64, evs *[]WatchEvent) (OpResult, int32) {
	if len(s.Data) > m.lim.MaxDataBytes || !mValidPath(s.Path, m.lim.MaxPathBytes) {
		return OpResult{}, ZBADARGUMENTS
	}
	n := m.nodes[s.Path]
	switch {
	case n == nil:
		return OpResult{}, ZNONODE
	case !mAllowed(n.acl, PermWrite, s.Auth):
		return OpResult{}, ZNOAUTH
	case s.Version != -1 && s.Version != n.version:
		return OpResult{}, ZBADVERSION
	}
	n.data, n.version, n.mzxid, n.mtime = s.Data, n.version+1, z, now
	*evs = append(*evs, WatchEvent{NodeDataChanged, s.Path})
	return OpResult{Stat: n.stat()}, ZOK
}

func (m *model) setACL(s SetACL) (OpResult, int32) {
	if !mValidPath(s.Path, m.lim.MaxPathBytes) {
		return OpResult{}, ZBADARGUMENTS
	}
	acl, ok := mFixACL(s.ACL, s.Auth)
	if !ok {
		return OpResult{}, ZINVALIDACL
	}
	n := m.nodes[s.Path]
	switch {
	case n == nil:
		return OpResult{}, ZNONODE
	case !mAllowed(n.acl, PermAdmin, s.Auth):
		return OpResult{}, ZNOAUTH
	case s.Version != -1 && s.Version != n.aversion:
		return OpResult{}, ZBADVERSION
	}
	n.acl, n.aversion = acl, n.aversion+1
	return OpResult{Stat: n.stat()}, ZOK
}

func (m *model) check(c Check) int32 {
	if !mValidPath(c.Path, m.lim.MaxPathBytes) {
		return ZBADARGUMENTS
	}
	n := m.nodes[c.Path]
	switch {
	case n == nil:
		return ZNONODE
	case !mAllowed(n.acl, PermRead, c.Auth):
		return ZNOAUTH
	case c.Version != -1 && c.Version != n.version:
		return ZBADVERSION
	}
	return ZOK
}
