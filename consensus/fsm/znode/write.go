package znode

import (
	"github.com/warrenhq/warren/consensus/fsm"
)

// txn applies the single-node operations of one command. Each operation
// reads and checks everything before it writes, so a failing one leaves w
// untouched.
type txn struct {
	w      writer
	lim    Limits
	zxid   uint64
	time   int64 // the command's Stamp, Unix ms
	events []fsm.Event
}

// apply applies one Create, Delete, SetData, SetACL or Check and returns its
// outcome and ZooKeeper error.
func (t *txn) apply(op Op) (OpResult, int32) {
	switch o := op.(type) {
	case Create:
		return t.create(o)
	case Delete:
		return OpResult{}, t.delete(o)
	case SetData:
		return t.setData(o)
	case SetACL:
		return t.setACL(o)
	case Check:
		return OpResult{}, t.check(o)
	}
	return OpResult{}, ZBADARGUMENTS
}

func (t *txn) emit(typ EventType, path string) {
	t.events = append(t.events, fsm.Event{Kind: Kind, Zxid: t.zxid, Data: EncodeEvent(WatchEvent{Type: typ, Path: path})})
}

// valid reports whether path is a valid path within the length limit.
func (t *txn) valid(path string) bool { return len(path) <= t.lim.MaxPathBytes && validPath(path) }

// load reads path's record: ZNONODE when missing, ZSYSTEMERROR when the
// stored record does not decode.
func (t *txn) load(path string) (*node, int32) {
	n, err := getNode(t.w, path)
	switch {
	case err != nil:
		return nil, ZSYSTEMERROR
	case n == nil:
		return nil, ZNONODE
	}
	return n, ZOK
}

func (t *txn) exists(path string) bool {
	_, ok := t.w.Get(nodeKey(path))
	return ok || path == "/"
}

func (t *txn) put(path string, n *node) { t.w.Set(nodeKey(path), n.encode()) }

func (t *txn) create(c Create) (OpResult, int32) {
	if code := t.checkCreate(c); code != ZOK {
		return OpResult{}, code
	}
	if c.Mode.IsEphemeral() {
		if _, gone := t.w.Get(goneKey(c.Session)); gone {
			return OpResult{}, ZSESSIONEXPIRED
		}
	}
	acl, ok := fixupACL(c.ACL, c.Auth)
	if !ok {
		return OpResult{}, ZINVALIDACL
	}
	parentPath := parentOf(c.Path)
	parent, code := t.load(parentPath)
	if code != ZOK {
		return OpResult{}, code
	}
	if !allowed(parent.acl, PermCreate, c.Auth) {
		return OpResult{}, ZNOAUTH
	}
	path := c.Path
	if c.Mode.IsSequential() {
		path += seqSuffix(parent.creates)
	}
	switch {
	case len(path) > t.lim.MaxPathBytes:
		return OpResult{}, ZBADARGUMENTS
	case t.exists(path):
		return OpResult{}, ZNODEEXISTS
	case parent.typ == typeEphemeral:
		return OpResult{}, ZNOCHILDRENFOREPHEMERALS
	}
	n := t.newNode(c, acl)
	t.put(path, n)
	if len(c.Data) > 0 {
		t.w.Set(dataKey(path), c.Data)
	}
	switch n.typ {
	case typeEphemeral:
		t.w.Set(ephKey(n.owner, path), nil)
	case typeContainer, typeTTL:
		t.w.Set(expKey(path), nil)
	}
	parent.creates++
	parent.children++
	parent.pzxid = int64(t.zxid)
	t.put(parentPath, parent)
	t.emit(NodeCreated, path)
	t.emit(NodeChildrenChanged, parentPath)
	return OpResult{Path: path, Stat: n.stat()}, ZOK
}

// checkCreate makes the checks of a Create that need no stored state.
func (t *txn) checkCreate(c Create) int32 {
	switch {
	case len(c.Data) > t.lim.MaxDataBytes || !c.Mode.Valid():
		return ZBADARGUMENTS
	case !validCreatePath(c.Path, c.Mode.IsSequential(), t.lim.MaxPathBytes):
		return ZBADARGUMENTS
	case c.Mode.IsTTL() && (c.TTL <= 0 || c.TTL > t.lim.MaxTTLMillis):
		return ZBADARGUMENTS
	case !c.Mode.IsTTL() && c.TTL > 0:
		return ZBADARGUMENTS
	case c.Mode.IsEphemeral() && !validOwner(c.Session):
		return ZBADARGUMENTS
	}
	return ZOK
}

// validOwner reports whether a session id can own ephemerals: ZooKeeper
// reads 0 as "not ephemeral", and ContainerOwner or a top byte of 0xff as a
// container or TTL mark.
func validOwner(session int64) bool {
	return session != 0 && session != ContainerOwner && session&ttlOwnerBits != ttlOwnerBits
}

func (t *txn) newNode(c Create, acl []ACL) *node {
	z := int64(t.zxid)
	n := &node{czxid: z, mzxid: z, pzxid: z, ctime: t.time, mtime: t.time, dataLen: int32(len(c.Data)), acl: acl}
	switch {
	case c.Mode.IsEphemeral():
		n.typ, n.owner = typeEphemeral, c.Session
	case c.Mode.IsContainer():
		n.typ = typeContainer
	case c.Mode.IsTTL():
		n.typ, n.owner = typeTTL, c.TTL
	}
	return n
}

func (t *txn) delete(d Delete) int32 {
	if !t.valid(d.Path) || d.Path == "/" {
		return ZBADARGUMENTS
	}
	parentPath := parentOf(d.Path)
	parent, code := t.load(parentPath)
	if code != ZOK {
		return code
	}
	if !allowed(parent.acl, PermDelete, d.Auth) {
		return ZNOAUTH
	}
	n, code := t.load(d.Path)
	switch {
	case code != ZOK:
		return code
	case d.Version != AnyVersion && d.Version != n.version:
		return ZBADVERSION
	case n.children > 0:
		return ZNOTEMPTY
	}
	t.remove(d.Path, n, parentPath, parent)
	return ZOK
}

// remove deletes the node at path with its data and index entries, and
// updates its parent as ZooKeeper does: one child fewer (which raises the
// visible cversion) and pzxid raised to this zxid.
func (t *txn) remove(path string, n *node, parentPath string, parent *node) {
	t.w.Delete(nodeKey(path))
	if n.dataLen > 0 {
		t.w.Delete(dataKey(path))
	}
	switch n.typ {
	case typeEphemeral:
		t.w.Delete(ephKey(n.owner, path))
	case typeContainer, typeTTL:
		t.w.Delete(expKey(path))
	}
	parent.children--
	if z := int64(t.zxid); z > parent.pzxid {
		parent.pzxid = z
	}
	t.put(parentPath, parent)
	t.emit(NodeDeleted, path)
	t.emit(NodeChildrenChanged, parentPath)
}

// removePath removes a node found through an index, without checks.
func (t *txn) removePath(path string) int32 {
	n, code := t.load(path)
	if code != ZOK {
		return ZSYSTEMERROR
	}
	parentPath := parentOf(path)
	parent, code := t.load(parentPath)
	if code != ZOK {
		return ZSYSTEMERROR
	}
	t.remove(path, n, parentPath, parent)
	return ZOK
}

func (t *txn) setData(s SetData) (OpResult, int32) {
	if len(s.Data) > t.lim.MaxDataBytes || !t.valid(s.Path) {
		return OpResult{}, ZBADARGUMENTS
	}
	n, code := t.load(s.Path)
	switch {
	case code != ZOK:
		return OpResult{}, code
	case !allowed(n.acl, PermWrite, s.Auth):
		return OpResult{}, ZNOAUTH
	case s.Version != AnyVersion && s.Version != n.version:
		return OpResult{}, ZBADVERSION
	}
	if len(s.Data) > 0 {
		t.w.Set(dataKey(s.Path), s.Data)
	} else if n.dataLen > 0 {
		t.w.Delete(dataKey(s.Path))
	}
	n.version++
	n.mzxid, n.mtime = int64(t.zxid), t.time
	n.dataLen = int32(len(s.Data))
	t.put(s.Path, n)
	t.emit(NodeDataChanged, s.Path)
	return OpResult{Stat: n.stat()}, ZOK
}

func (t *txn) setACL(s SetACL) (OpResult, int32) {
	if !t.valid(s.Path) {
		return OpResult{}, ZBADARGUMENTS
	}
	acl, ok := fixupACL(s.ACL, s.Auth)
	if !ok {
		return OpResult{}, ZINVALIDACL
	}
	n, code := t.load(s.Path)
	switch {
	case code != ZOK:
		return OpResult{}, code
	case !allowed(n.acl, PermAdmin, s.Auth):
		return OpResult{}, ZNOAUTH
	case s.Version != AnyVersion && s.Version != n.aversion:
		return OpResult{}, ZBADVERSION
	}
	n.aversion++
	n.acl = acl
	t.put(s.Path, n)
	return OpResult{Stat: n.stat()}, ZOK
}

func (t *txn) check(c Check) int32 {
	if !t.valid(c.Path) {
		return ZBADARGUMENTS
	}
	n, code := t.load(c.Path)
	switch {
	case code != ZOK:
		return code
	case !allowed(n.acl, PermRead, c.Auth):
		return ZNOAUTH
	case c.Version != AnyVersion && c.Version != n.version:
		return ZBADVERSION
	}
	return ZOK
}
