package zk

import (
	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// Conversions between the SDK's types and the wire's; the fields match one
// for one.

func toStat(s warren.Stat) jute.Stat {
	return jute.Stat{
		Czxid: s.Czxid, Mzxid: s.Mzxid, Ctime: s.Ctime, Mtime: s.Mtime,
		Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion,
		EphemeralOwner: s.EphemeralOwner, DataLength: s.DataLength, NumChildren: s.NumChildren,
		Pzxid: s.Pzxid,
	}
}

func toACL(acl []warren.ACL) []jute.ACL {
	out := make([]jute.ACL, len(acl))
	for i, a := range acl {
		out[i] = jute.ACL{Perms: a.Perms, ID: jute.ID{Scheme: a.Scheme, ID: a.ID}}
	}
	return out
}

func fromACL(acl []jute.ACL) []warren.ACL {
	out := make([]warren.ACL, len(acl))
	for i, a := range acl {
		out[i] = warren.ACL{Perms: a.Perms, Scheme: a.ID.Scheme, ID: a.ID.ID}
	}
	return out
}

// nonNil returns b, or an empty slice for nil: Warren does not keep null
// data apart from empty data, and clients in Java handle an empty array
// better than a null one.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
