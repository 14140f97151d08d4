package znode

// Op is an operation Apply accepts: Create, Delete, SetData, SetACL, Check,
// Multi, CloseSession or Expire.
type Op interface{ isOp() }

// MultiOp is an operation allowed inside a Multi: Create, Delete, SetData or
// Check.
type MultiOp interface {
	Op
	isMultiOp()
}

// Create creates a znode, as ZooKeeper's create, create2, createContainer and
// createTTL do. On success the result data is the created path (which has a
// sequence suffix for sequential modes) and its Stat (DecodeCreateResult),
// and the events are NodeCreated on the path and NodeChildrenChanged on its
// parent.
//
// Checks, in order, each failing with the error named: Data longer than
// MaxDataBytes, an unknown Mode, or an invalid Path (a sequential Path may
// end in "/": the suffix is the whole name) ZBADARGUMENTS; TTL not in
// (0, MaxTTLMillis] for TTL modes or positive for other modes ZBADARGUMENTS;
// for ephemeral modes, a Session that cannot be an owner (0, ContainerOwner,
// or a top byte of 0xff, which ZooKeeper reads as a TTL mark) ZBADARGUMENTS;
// ACL empty or invalid ZINVALIDACL; parent missing ZNONODE; no CREATE
// permission on the parent ZNOAUTH; the suffixed path longer than
// MaxPathBytes ZBADARGUMENTS; the node exists ZNODEEXISTS; the parent is
// ephemeral ZNOCHILDRENFOREPHEMERALS.
type Create struct {
	Path string
	Data []byte
	// ACL is stored after expanding "auth" entries into the caller's
	// authenticated identities.
	ACL  []ACL
	Mode Mode
	// TTL is the time to live in milliseconds of TTL modes.
	TTL int64
	// Session is the caller's session, recorded as owner by ephemeral
	// modes.
	Session int64
	Auth    Auth
}

// Delete deletes a znode without children whose version is Version
// (AnyVersion matches all). The result data is empty; the events are
// NodeDeleted on the path and NodeChildrenChanged on its parent.
//
// Checks, in order: invalid Path or "/" ZBADARGUMENTS; parent missing
// ZNONODE; no DELETE permission on the parent ZNOAUTH; node missing ZNONODE;
// version mismatch ZBADVERSION; children ZNOTEMPTY.
type Delete struct {
	Path    string
	Version int32
	Auth    Auth
}

// SetData replaces a znode's data if its version is Version (AnyVersion
// matches all). The result data is the new Stat (DecodeStat); the event is
// NodeDataChanged.
//
// Checks, in order: Data longer than MaxDataBytes or invalid Path
// ZBADARGUMENTS; node missing ZNONODE; no WRITE permission ZNOAUTH; version
// mismatch ZBADVERSION.
type SetData struct {
	Path    string
	Data    []byte
	Version int32
	Auth    Auth
}

// SetACL replaces a znode's ACL if its ACL version is Version (AnyVersion
// matches all). The result data is the new Stat; there is no event.
//
// Checks, in order: invalid Path ZBADARGUMENTS; ACL empty or invalid
// ZINVALIDACL; node missing ZNONODE; no ADMIN permission ZNOAUTH; ACL
// version mismatch ZBADVERSION.
type SetACL struct {
	Path    string
	ACL     []ACL
	Version int32
	Auth    Auth
}

// Check succeeds if a znode's version is Version; it changes nothing. It is
// meant for Multi; alone its result data is empty.
//
// Checks, in order: invalid Path ZBADARGUMENTS; node missing ZNONODE; no
// READ permission ZNOAUTH; version mismatch ZBADVERSION.
type Check struct {
	Path    string
	Version int32
	Auth    Auth
}

// Multi applies Ops atomically: each sees the effects of those before it,
// all share the command's zxid and time, and if one fails nothing is
// applied. The result (DecodeMultiResult) has one OpResult per op; on
// failure its code is CodeZK with the failing op's error. Events are those
// of the ops, in order, and none on failure. An empty Multi succeeds.
type Multi struct {
	Ops []MultiOp
}

// CloseSession deletes every ephemeral znode Session owns in this shard, in
// path order, each with the events of a Delete. The result data is the
// deleted paths (DecodePaths).
type CloseSession struct {
	Session int64
}

// Expire deletes the containers that have no children and have had one
// (ZooKeeper's internal cversion > 0), and the TTL nodes without children
// whose mtime + TTL < Now, as ZooKeeper's container manager does in one
// pass. The leader proposes it periodically. Deletions are in path order,
// each with the events of a Delete; the result data is the deleted paths.
type Expire struct {
	// Now is the proposer's wall clock in Unix milliseconds.
	Now int64
}

func (Create) isOp()       {}
func (Delete) isOp()       {}
func (SetData) isOp()      {}
func (SetACL) isOp()       {}
func (Check) isOp()        {}
func (Multi) isOp()        {}
func (CloseSession) isOp() {}
func (Expire) isOp()       {}

func (Create) isMultiOp()  {}
func (Delete) isMultiOp()  {}
func (SetData) isMultiOp() {}
func (Check) isMultiOp()   {}

// Query is a read Machine.Query answers: GetData, Exists, GetChildren,
// GetAllChildrenNumber, GetACL or GetEphemerals.
type Query interface{ isQuery() }

// GetData reads a znode's data and Stat; it needs READ. The answer is a
// DataReply (DecodeDataReply) whose Err is ZOK, ZBADARGUMENTS, ZNONODE or
// ZNOAUTH.
type GetData struct {
	Path string
	Auth Auth
}

// Exists reads a znode's Stat; like ZooKeeper it checks no ACL. The answer
// is a StatReply with Err ZOK, ZBADARGUMENTS or ZNONODE.
type Exists struct {
	Path string
}

// GetChildren lists a znode's children in ascending byte order with the
// znode's Stat; it needs READ. The answer is a ChildrenReply.
type GetChildren struct {
	Path string
	Auth Auth
}

// GetAllChildrenNumber counts a znode's descendants at every depth; it needs
// READ. The answer is a CountReply.
type GetAllChildrenNumber struct {
	Path string
	Auth Auth
}

// GetACL reads a znode's ACL and Stat; it needs READ or ADMIN, and without
// ADMIN the secret part of digest ids is replaced by "x". The answer is an
// ACLReply.
type GetACL struct {
	Path string
	Auth Auth
}

// GetEphemerals lists, in path order, the ephemeral znodes Session owns in
// this shard whose path starts with PathPrefix (a string prefix; "" or "/"
// lists all). The answer is a PathsReply whose Err is always ZOK.
type GetEphemerals struct {
	Session    int64
	PathPrefix string
}

func (GetData) isQuery()              {}
func (Exists) isQuery()               {}
func (GetChildren) isQuery()          {}
func (GetAllChildrenNumber) isQuery() {}
func (GetACL) isQuery()               {}
func (GetEphemerals) isQuery()        {}
func (PendingExpiry) isQuery()        {}

// Op tags: the first byte of every encoded operation.
const (
	tagCreate byte = 1 + iota
	tagDelete
	tagSetData
	tagSetACL
	tagCheck
	tagMulti
	tagCloseSession
	tagExpire
)

// Query tags: the first byte of every encoded query.
const (
	tagGetData byte = 1 + iota
	tagExists
	tagGetChildren
	tagGetAllChildrenNumber
	tagGetACL
	tagGetEphemerals
	tagPendingExpiry
)

// PendingExpiry asks which znodes an Expire at Now would delete; the answer
// is a PathsReply. The leader asks before proposing Expire, so that shards
// without expirable znodes add nothing to their logs.
type PendingExpiry struct {
	Now int64
}

// EncodePendingExpiry encodes q as a query.
func EncodePendingExpiry(q PendingExpiry) []byte { return appendQuery(nil, q) }

// EncodeCreate encodes c as an fsm.Command Op.
func EncodeCreate(c Create) []byte { return appendOp(nil, c) }

// EncodeDelete encodes d as an fsm.Command Op.
func EncodeDelete(d Delete) []byte { return appendOp(nil, d) }

// EncodeSetData encodes s as an fsm.Command Op.
func EncodeSetData(s SetData) []byte { return appendOp(nil, s) }

// EncodeSetACL encodes s as an fsm.Command Op.
func EncodeSetACL(s SetACL) []byte { return appendOp(nil, s) }

// EncodeCheck encodes c as an fsm.Command Op.
func EncodeCheck(c Check) []byte { return appendOp(nil, c) }

// EncodeMulti encodes m as an fsm.Command Op.
func EncodeMulti(m Multi) []byte { return appendOp(nil, m) }

// EncodeCloseSession encodes c as an fsm.Command Op.
func EncodeCloseSession(c CloseSession) []byte { return appendOp(nil, c) }

// EncodeExpire encodes e as an fsm.Command Op.
func EncodeExpire(e Expire) []byte { return appendOp(nil, e) }

// EncodeGetData encodes g for Machine.Query (wrap it with
// fsm.EncodeQuery(Kind, ...) to route it through an fsm.Mux).
func EncodeGetData(g GetData) []byte { return appendQuery(nil, g) }

// EncodeExists encodes e for Machine.Query.
func EncodeExists(e Exists) []byte { return appendQuery(nil, e) }

// EncodeGetChildren encodes g for Machine.Query.
func EncodeGetChildren(g GetChildren) []byte { return appendQuery(nil, g) }

// EncodeGetAllChildrenNumber encodes g for Machine.Query.
func EncodeGetAllChildrenNumber(g GetAllChildrenNumber) []byte { return appendQuery(nil, g) }

// EncodeGetACL encodes g for Machine.Query.
func EncodeGetACL(g GetACL) []byte { return appendQuery(nil, g) }

// EncodeGetEphemerals encodes g for Machine.Query.
func EncodeGetEphemerals(g GetEphemerals) []byte { return appendQuery(nil, g) }
