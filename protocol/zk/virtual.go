package zk

import (
	"strings"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// ZooKeeper keeps a system subtree, /zookeeper, that clients read: zkCli's
// `ls /` shows it, and Curator reads /zookeeper/config to track the
// ensemble. Warren serves it read-only and empty, as a standalone ZooKeeper
// without reconfig does: /zookeeper with the children config and quota,
// both without data. Writes under it are refused with ZNOAUTH, so quotas
// (setquota) are not supported.

const virtualRoot = "/zookeeper"

var virtualNodes = map[string]struct {
	children []string
	acl      []jute.ACL
}{
	virtualRoot:             {children: []string{"config", "quota"}, acl: worldACL(jute.PermAll)},
	virtualRoot + "/config": {acl: worldACL(jute.PermRead)},
	virtualRoot + "/quota":  {acl: worldACL(jute.PermAll)},
}

func worldACL(perms int32) []jute.ACL {
	return []jute.ACL{{Perms: perms, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
}

// isVirtual reports whether path is in the /zookeeper subtree.
func isVirtual(path string) bool {
	return path == virtualRoot || strings.HasPrefix(path, virtualRoot+"/")
}

// virtualStat returns the Stat of a virtual node and whether it exists.
func virtualStat(path string) (jute.Stat, bool) {
	n, ok := virtualNodes[path]
	if !ok {
		return jute.Stat{}, false
	}
	return jute.Stat{NumChildren: int32(len(n.children))}, true
}

// virtualRead answers a read of the /zookeeper subtree.
func virtualRead(op jute.OpCode, path string) result {
	st, ok := virtualStat(path)
	if !ok {
		return result{code: jute.CodeNoNode}
	}
	n := virtualNodes[path]
	switch op {
	case jute.OpExists:
		return result{body: &jute.ExistsResponse{Stat: st}}
	case jute.OpGetData:
		return result{body: &jute.GetDataResponse{Data: []byte{}, Stat: st}}
	case jute.OpGetChildren:
		return result{body: &jute.GetChildrenResponse{Children: n.children}}
	case jute.OpGetChildren2:
		return result{body: &jute.GetChildren2Response{Children: n.children, Stat: st}}
	case jute.OpGetACL:
		return result{body: &jute.GetACLResponse{ACL: n.acl, Stat: st}}
	case jute.OpGetAllChildrenNumber:
		total := int32(0)
		for p := range virtualNodes {
			if strings.HasPrefix(p, path+"/") {
				total++
			}
		}
		return result{body: &jute.GetAllChildrenNumberResponse{TotalNumber: total}}
	}
	return result{code: jute.CodeUnimplemented}
}

// virtualWrite answers a write of the /zookeeper subtree.
func virtualWrite(op jute.OpCode, path string) jute.Code {
	if _, ok := virtualStat(path); ok && (op == jute.OpCreate || op == jute.OpCreate2 ||
		op == jute.OpCreateContainer || op == jute.OpCreateTTL) {
		return jute.CodeNodeExists
	}
	return jute.CodeNoAuth
}
