package znode

import (
	"errors"
	"fmt"
	"math"

	"github.com/warrenhq/warren/consensus/fsm"
)

// Kind is the fsm.Command kind this package's Machine applies.
const Kind = "znode"

// CodeZK is the fsm result code of an operation that ZooKeeper answers with
// an error. The result's Data begins with that error number as a 4-byte
// big-endian int32 (see ZKError); a failed Multi follows it with the per-op
// results (see DecodeMultiResult).
const CodeZK fsm.Code = 16

// ZooKeeper error numbers (KeeperException.Code) this package answers with.
const (
	ZOK                      int32 = 0
	ZSYSTEMERROR             int32 = -1
	ZRUNTIMEINCONSISTENCY    int32 = -2
	ZMARSHALLINGERROR        int32 = -5
	ZBADARGUMENTS            int32 = -8
	ZNONODE                  int32 = -101
	ZNOAUTH                  int32 = -102
	ZBADVERSION              int32 = -103
	ZNOCHILDRENFOREPHEMERALS int32 = -108
	ZNODEEXISTS              int32 = -110
	ZNOTEMPTY                int32 = -111
	ZSESSIONEXPIRED          int32 = -112
	ZINVALIDACL              int32 = -114
)

// AnyVersion is the expected version that matches every version.
const AnyVersion int32 = -1

// MaxTTL is the longest TTL ZooKeeper can record, in milliseconds (40 bits of
// a Stat's ephemeralOwner).
const MaxTTL int64 = 1<<40 - 1

// ContainerOwner is the Stat.EphemeralOwner ZooKeeper reports for containers.
const ContainerOwner int64 = math.MinInt64

// ttlOwnerBits marks a TTL node's Stat.EphemeralOwner; the low 40 bits hold
// the TTL in milliseconds.
const ttlOwnerBits int64 = -1 << 56

// Mode is a ZooKeeper CreateMode, numbered as on the wire.
type Mode int32

// Create modes.
const (
	Persistent              Mode = 0
	Ephemeral               Mode = 1
	PersistentSequential    Mode = 2
	EphemeralSequential     Mode = 3
	Container               Mode = 4
	PersistentTTL           Mode = 5
	PersistentSequentialTTL Mode = 6
)

// Valid reports whether m is one of the seven create modes.
func (m Mode) Valid() bool { return m >= Persistent && m <= PersistentSequentialTTL }

// IsSequential reports whether the created name gets a sequence suffix.
func (m Mode) IsSequential() bool {
	return m == PersistentSequential || m == EphemeralSequential || m == PersistentSequentialTTL
}

// IsEphemeral reports whether the node belongs to the creating session.
func (m Mode) IsEphemeral() bool { return m == Ephemeral || m == EphemeralSequential }

// IsTTL reports whether the node expires after its TTL without children.
func (m Mode) IsTTL() bool { return m == PersistentTTL || m == PersistentSequentialTTL }

// IsContainer reports whether the node is a container.
func (m Mode) IsContainer() bool { return m == Container }

// ACL permission bits.
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)

// ID is one identity: a scheme ("digest", "ip", "world", ...) and an id whose
// form the scheme defines ("user:base64(sha1(user:password))" for digest).
type ID struct {
	Scheme, ID string
}

// ACL is one access-control entry: the permissions Perms granted to the
// identities (Scheme, ID) names.
type ACL struct {
	Perms      int32
	Scheme, ID string
}

// OpenACL returns ZooKeeper's OPEN_ACL_UNSAFE: everyone may do everything.
func OpenACL() []ACL { return []ACL{{Perms: PermAll, Scheme: "world", ID: "anyone"}} }

// Auth is the identity of the caller of an operation or query.
type Auth struct {
	// Super bypasses every ACL check (ZooKeeper's super user).
	Super bool
	// IDs are the identities the caller has authenticated as (addauth):
	// schemes "digest", "sasl" and "x509".
	IDs []ID
	// IP is the caller's bare address ("10.1.2.3", "fe80::1"), matched by
	// ACL entries of scheme "ip".
	IP string
}

// Stat is a znode's metadata, field for field ZooKeeper's Stat.
type Stat struct {
	Czxid          int64 // zxid of the create
	Mzxid          int64 // zxid of the last create or setData
	Ctime          int64 // Unix ms of the create
	Mtime          int64 // Unix ms of the last create or setData
	Version        int32 // number of setData calls
	Cversion       int32 // number of child creates and deletes
	Aversion       int32 // number of setACL calls
	EphemeralOwner int64 // session of an ephemeral, ContainerOwner, a TTL mark, or 0
	DataLength     int32
	NumChildren    int32
	Pzxid          int64 // zxid of the last child create or delete
}

// EventType is a ZooKeeper watch event type, numbered as on the wire.
type EventType int32

// Watch event types.
const (
	NodeCreated         EventType = 1
	NodeDeleted         EventType = 2
	NodeDataChanged     EventType = 3
	NodeChildrenChanged EventType = 4
)

// WatchEvent is what an fsm.Event of kind Kind carries (see DecodeEvent): the
// watches on Path of the kind Type implies fire.
type WatchEvent struct {
	Type EventType
	Path string
}

// OpResult is the outcome of one operation of a Multi.
type OpResult struct {
	// Err is ZOK, or in a failed Multi: ZOK for the operations before the
	// failing one, its error for it, ZRUNTIMEINCONSISTENCY after it.
	Err int32
	// Path is the created path of a successful Create.
	Path string
	// Stat is the node's Stat after a successful Create or SetData.
	Stat Stat
}

// Limits bound what Apply accepts. Every replica of a shard must use the
// same Limits, or replicas diverge.
type Limits struct {
	// MaxDataBytes is the largest znode data in bytes, at most
	// math.MaxInt32. Default 1 MiB, like ZooKeeper's jute.maxbuffer.
	MaxDataBytes int
	// MaxPathBytes is the longest path in bytes, sequence suffix included.
	// Default 4096.
	MaxPathBytes int
	// MaxTTLMillis is the longest TTL of a TTL node. Default and upper
	// bound MaxTTL.
	MaxTTLMillis int64
}

// DefaultLimits returns the limits New uses for zero fields.
func DefaultLimits() Limits {
	return Limits{MaxDataBytes: 1 << 20, MaxPathBytes: 4096, MaxTTLMillis: MaxTTL}
}

// Validate reports every field that is negative or out of range; zero fields
// are valid and mean the default.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxDataBytes < 0 || l.MaxDataBytes > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("znode: MaxDataBytes %d is outside [0, %d]", l.MaxDataBytes, math.MaxInt32))
	}
	if l.MaxPathBytes < 0 {
		errs = append(errs, fmt.Errorf("znode: MaxPathBytes %d is negative", l.MaxPathBytes))
	}
	if l.MaxTTLMillis < 0 || l.MaxTTLMillis > MaxTTL {
		errs = append(errs, fmt.Errorf("znode: MaxTTLMillis %d is outside [0, %d]", l.MaxTTLMillis, MaxTTL))
	}
	return errors.Join(errs...)
}

// normalize replaces zero or negative fields with defaults and caps the
// data size (a Stat's dataLength is an int32) and the TTL.
func (l Limits) normalize() Limits {
	d := DefaultLimits()
	if l.MaxDataBytes <= 0 {
		l.MaxDataBytes = d.MaxDataBytes
	}
	l.MaxDataBytes = min(l.MaxDataBytes, math.MaxInt32)
	if l.MaxPathBytes <= 0 {
		l.MaxPathBytes = d.MaxPathBytes
	}
	if l.MaxTTLMillis <= 0 || l.MaxTTLMillis > MaxTTL {
		l.MaxTTLMillis = d.MaxTTLMillis
	}
	return l
}
