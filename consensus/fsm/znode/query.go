package znode

import (
	"fmt"
	"strings"

	"github.com/warrenhq/warren/consensus/fsm"
)

// Query answers one encoded query (see the Encode functions for queries)
// with the encoded reply its type documents. ZooKeeper errors travel in the
// reply's Err; the error is non-nil (wrapping ErrCorrupt) only when q or a
// stored record does not decode.
func (m *Machine) Query(r fsm.Reader, q []byte) ([]byte, error) {
	query, err := DecodeQuery(q)
	if err != nil {
		return nil, err
	}
	switch o := query.(type) {
	case GetData:
		return m.getData(r, o)
	case Exists:
		n, code, err := m.lookup(r, o.Path, 0, nil)
		if err != nil || code != ZOK {
			return encodeStatReply(StatReply{Err: code}), err
		}
		return encodeStatReply(StatReply{Stat: n.stat()}), nil
	case GetChildren:
		return m.getChildren(r, o)
	case GetAllChildrenNumber:
		return m.countDescendants(r, o)
	case GetACL:
		return m.getACL(r, o)
	case GetEphemerals:
		return getEphemerals(r, o), nil
	case PendingExpiry:
		t := &txn{w: readOnly{r}, lim: m.lim}
		paths, code := t.expired(scanSuffixes(r, expKey("")), o.Now)
		return encodePathsReply(PathsReply{Err: code, Paths: paths}), nil
	}
	return nil, fmt.Errorf("%w: unknown query %T", ErrCorrupt, query)
}

// lookup finds path's record and, when auth is not nil, checks that the
// caller holds one of the permissions in perm. The ZooKeeper error is
// ZBADARGUMENTS, ZNONODE or ZNOAUTH.
func (m *Machine) lookup(r fsm.Reader, path string, perm int32, auth *Auth) (*node, int32, error) {
	if len(path) > m.lim.MaxPathBytes || !validPath(path) {
		return nil, ZBADARGUMENTS, nil
	}
	n, err := getNode(r, path)
	switch {
	case err != nil:
		return nil, ZSYSTEMERROR, err
	case n == nil:
		return nil, ZNONODE, nil
	case auth != nil && !allowed(n.acl, perm, *auth):
		return nil, ZNOAUTH, nil
	}
	return n, ZOK, nil
}

func (m *Machine) getData(r fsm.Reader, q GetData) ([]byte, error) {
	n, code, err := m.lookup(r, q.Path, PermRead, &q.Auth)
	if err != nil || code != ZOK {
		return encodeDataReply(DataReply{Err: code}), err
	}
	return encodeDataReply(DataReply{Data: getData(r, q.Path, n), Stat: n.stat()}), nil
}

func (m *Machine) getChildren(r fsm.Reader, q GetChildren) ([]byte, error) {
	n, code, err := m.lookup(r, q.Path, PermRead, &q.Auth)
	if err != nil || code != ZOK {
		return encodeChildrenReply(ChildrenReply{Err: code}), err
	}
	names := scanSuffixes(r, childPrefix(q.Path))
	return encodeChildrenReply(ChildrenReply{Children: names, Stat: n.stat()}), nil
}

// countDescendants counts the node keys under path: its children, then
// everything below them.
func (m *Machine) countDescendants(r fsm.Reader, q GetAllChildrenNumber) ([]byte, error) {
	_, code, err := m.lookup(r, q.Path, PermRead, &q.Auth)
	if err != nil || code != ZOK {
		return encodeCountReply(CountReply{Err: code}), err
	}
	var count int32
	counter := func(_, _ []byte) bool { count++; return true }
	if q.Path != "/" {
		r.Scan(childPrefix(q.Path), counter)
	}
	r.Scan(deepPrefix(q.Path), counter)
	return encodeCountReply(CountReply{Count: count}), nil
}

func (m *Machine) getACL(r fsm.Reader, q GetACL) ([]byte, error) {
	n, code, err := m.lookup(r, q.Path, PermRead|PermAdmin, &q.Auth)
	if err != nil || code != ZOK {
		return encodeACLReply(ACLReply{Err: code}), err
	}
	acl := n.acl
	if !allowed(n.acl, PermAdmin, q.Auth) {
		acl = redacted(acl)
	}
	return encodeACLReply(ACLReply{ACL: acl, Stat: n.stat()}), nil
}

// getEphemerals lists like ZooKeeper: a prefix that is blank or "/" once
// trimmed of spaces and control characters lists everything; otherwise the
// untrimmed prefix is matched as a string prefix.
func getEphemerals(r fsm.Reader, q GetEphemerals) []byte {
	base := ephPrefix(q.Session)
	scan := base
	if t := strings.TrimFunc(q.PathPrefix, func(c rune) bool { return c <= ' ' }); t != "" && t != "/" {
		scan = append(ephPrefix(q.Session), q.PathPrefix...)
	}
	var paths []string
	r.Scan(scan, func(k, _ []byte) bool {
		paths = append(paths, string(k[len(base):]))
		return true
	})
	return encodePathsReply(PathsReply{Paths: paths})
}

// readOnly lets read-only txn methods run over an fsm.Reader; they never
// write.
type readOnly struct{ fsm.Reader }

func (readOnly) Set(key, value []byte) {}
func (readOnly) Delete(key []byte)     {}
