package zk

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// handle runs one decoded request. Znode reads and writes are here; the
// session, watch and auth requests are in handleSession.
func (c *conn) handle(ctx context.Context, hdr jute.RequestHeader, req jute.Request) result {
	switch r := req.(type) {
	case *jute.CreateRequest:
		return c.create(ctx, createArgs{op: jute.OpCreate, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags})
	case *jute.Create2Request:
		return c.create(ctx, createArgs{op: jute.OpCreate2, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags})
	case *jute.CreateContainerRequest:
		return c.create(ctx, createArgs{op: jute.OpCreateContainer, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags})
	case *jute.CreateTTLRequest:
		return c.create(ctx, createArgs{op: jute.OpCreateTTL, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags, ttl: r.TTL})
	case *jute.DeleteRequest:
		return c.delete(ctx, r.Path, r.Version)
	case *jute.SetDataRequest:
		return c.setData(ctx, r)
	case *jute.SetACLRequest:
		return c.setACL(ctx, r)
	case *jute.CheckVersionRequest:
		return c.check(ctx, r)
	case *jute.MultiRequest:
		return c.multi(ctx, r)
	case *jute.ExistsRequest:
		return c.exists(ctx, r.Path, r.Watch)
	case *jute.GetDataRequest:
		return c.getData(ctx, r.Path, r.Watch)
	case *jute.GetChildrenRequest:
		return c.getChildren(ctx, jute.OpGetChildren, r.Path, r.Watch)
	case *jute.GetChildren2Request:
		return c.getChildren(ctx, jute.OpGetChildren2, r.Path, r.Watch)
	case *jute.GetACLRequest:
		return c.getACL(ctx, r.Path)
	case *jute.GetAllChildrenNumberRequest:
		return c.countChildren(ctx, r.Path)
	case *jute.MultiReadRequest:
		return c.multiRead(ctx, r)
	case *jute.SyncRequest:
		return c.sync(ctx, r.Path)
	}
	return c.handleSession(ctx, hdr, req)
}

// handleSession runs the requests that are not znode reads or writes.
func (c *conn) handleSession(ctx context.Context, hdr jute.RequestHeader, req jute.Request) result {
	switch r := req.(type) {
	case *jute.PingRequest:
		return result{}
	case *jute.CloseSessionRequest:
		return c.closeSession(ctx)
	case *jute.AuthPacket:
		return c.auth(r)
	case *jute.GetSASLRequest:
		return c.sasl()
	case *jute.WhoAmIRequest:
		return result{body: &jute.WhoAmIResponse{ClientInfo: slices.Clone(c.idents)}}
	case *jute.SetWatches:
		return c.setWatches(ctx, r.RelativeZxid, [][]string{r.DataWatches, r.ExistWatches, r.ChildWatches})
	case *jute.SetWatches2:
		return c.setWatches(ctx, r.RelativeZxid, [][]string{r.DataWatches, r.ExistWatches, r.ChildWatches,
			r.PersistentWatches, r.PersistentRecursiveWatches})
	case *jute.AddWatchRequest:
		return c.addWatch(ctx, r)
	case *jute.CheckWatchesRequest:
		return c.removeWatches(r.Path, r.Type, false)
	case *jute.RemoveWatchesRequest:
		return c.removeWatches(r.Path, r.Type, true)
	case *jute.GetEphemeralsRequest:
		return c.ephemerals(ctx, r.PrefixPath)
	case *jute.ReconfigRequest:
		// Membership is Warren's (gossip and placement), not the client's.
		return result{code: jute.CodeReconfigDisabled}
	}
	c.s.log.Debug("unhandled opcode", "remote", c.remote, "op", hdr.Type.String())
	return result{code: jute.CodeUnimplemented}
}

// badPath answers a request whose path breaks ZooKeeper's rules.
func badPath(path string, sequential bool) (result, bool) {
	if jute.ValidatePath(path, sequential) != nil {
		return result{code: jute.CodeBadArguments}, true
	}
	return result{}, false
}

// settled waits until this node has applied the connection's last write,
// so that the notifications it triggers precede its reply, as in
// ZooKeeper. A timeout only reorders them, so it is not an error.
func (c *conn) settled(ctx context.Context, path string) {
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = c.cl.WaitLocal(wctx, path)
}

type createArgs struct {
	op    jute.OpCode
	path  string
	data  []byte
	acl   []jute.ACL
	flags jute.CreateMode
	ttl   int64 // ms; createTTL only
}

// maxTTL is the longest TTL a Stat can record, in milliseconds.
const maxTTL = 1<<40 - 1

// createOptions checks a create as ZooKeeper does before it reaches the
// data tree and returns the SDK's options for it. As in ZooKeeper the mode
// comes from the flags whatever the opcode, except that TTL modes need
// createTTL and createTTL needs them.
func createOptions(a createArgs) (warren.CreateOptions, jute.Code) {
	seq := a.flags.Sequential()
	switch {
	case !a.flags.Valid(),
		(a.op == jute.OpCreateTTL) != a.flags.TTL(),
		a.flags.TTL() && (a.ttl <= 0 || a.ttl > maxTTL),
		jute.ValidatePath(a.path, seq) != nil,
		// A sequential name at the root would be a new namespace, whose
		// shard Warren cannot know before the name is chosen.
		seq && strings.LastIndexByte(a.path, '/') == 0:
		return warren.CreateOptions{}, jute.CodeBadArguments
	case a.path == "/" && !seq:
		return warren.CreateOptions{}, jute.CodeNodeExists
	case seq && strings.HasPrefix(a.path, virtualRoot+"/"), !seq && isVirtual(a.path):
		return warren.CreateOptions{}, virtualWrite(a.op, a.path)
	case len(a.acl) == 0:
		return warren.CreateOptions{}, jute.CodeInvalidACL
	}
	opts := warren.CreateOptions{Mode: warren.CreateMode(a.flags), ACL: fromACL(a.acl)}
	if a.flags.TTL() {
		opts.TTL = time.Duration(a.ttl) * time.Millisecond
	}
	return opts, jute.CodeOK
}

func (c *conn) create(ctx context.Context, a createArgs) result {
	opts, code := createOptions(a)
	if code != jute.CodeOK {
		return result{code: code, zxid: c.cl.LastZxid(a.path)}
	}
	path, st, err := c.cl.Create(ctx, a.path, a.data, opts)
	if err != nil {
		return c.fail(err, a.path)
	}
	c.settled(ctx, path)
	if a.op == jute.OpCreate {
		return result{body: &jute.CreateResponse{Path: path}, zxid: st.Czxid}
	}
	return result{body: &jute.Create2Response{Path: path, Stat: toStat(st)}, zxid: st.Czxid}
}

func (c *conn) delete(ctx context.Context, path string, version int32) result {
	if r, bad := badPath(path, false); bad || path == "/" {
		r.code = jute.CodeBadArguments
		return r
	}
	if isVirtual(path) {
		return result{code: virtualWrite(jute.OpDelete, path)}
	}
	if err := c.cl.Delete(ctx, path, version); err != nil {
		return c.fail(err, path)
	}
	c.settled(ctx, path)
	return result{zxid: c.cl.LastZxid(path)}
}

func (c *conn) setData(ctx context.Context, r *jute.SetDataRequest) result {
	if res, bad := badPath(r.Path, false); bad {
		return res
	}
	if isVirtual(r.Path) {
		return result{code: virtualWrite(jute.OpSetData, r.Path)}
	}
	st, err := c.cl.Set(ctx, r.Path, r.Data, r.Version)
	if err != nil {
		return c.fail(err, r.Path)
	}
	c.settled(ctx, r.Path)
	return result{body: &jute.SetDataResponse{Stat: toStat(st)}, zxid: st.Mzxid}
}

func (c *conn) setACL(ctx context.Context, r *jute.SetACLRequest) result {
	if res, bad := badPath(r.Path, false); bad {
		return res
	}
	if isVirtual(r.Path) {
		return result{code: virtualWrite(jute.OpSetACL, r.Path)}
	}
	if len(r.ACL) == 0 {
		return result{code: jute.CodeInvalidACL}
	}
	st, err := c.cl.SetACL(ctx, r.Path, fromACL(r.ACL), r.Version)
	if err != nil {
		return c.fail(err, r.Path)
	}
	c.settled(ctx, r.Path)
	return result{body: &jute.SetACLResponse{Stat: toStat(st)}, zxid: c.cl.LastZxid(r.Path)}
}

// check is a version check outside a multi: a multi of one.
func (c *conn) check(ctx context.Context, r *jute.CheckVersionRequest) result {
	res := c.multi(ctx, &jute.MultiRequest{Ops: []jute.Request{r}})
	if mr, ok := res.body.(*jute.MultiResponse); ok && len(mr.Results) == 1 && mr.Results[0].Op == jute.OpError {
		res.code, res.body = mr.Results[0].Err, nil
	}
	if res.code == jute.CodeOK {
		res.body = nil
	}
	return res
}

func (c *conn) exists(ctx context.Context, path string, watch bool) result {
	if r, bad := badPath(path, false); bad {
		return r
	}
	if isVirtual(path) {
		return virtualRead(jute.OpExists, path)
	}
	if err := c.fresh(ctx, path); err != nil {
		return c.fail(err, path)
	}
	var st warren.Stat
	var ok bool
	err := c.watched(watchKey{path, classData}, watch && path != "/",
		func(fn warren.WatchFunc) (err error) {
			st, ok, err = c.cl.ExistsWatch(ctx, path, c, fn)
			return err
		},
		func() (err error) {
			st, ok, err = c.cl.Exists(ctx, path)
			return err
		})
	switch {
	case err != nil:
		return c.fail(err, path)
	case !ok:
		return result{code: jute.CodeNoNode, zxid: c.cl.LastZxid(path)}
	}
	return result{body: &jute.ExistsResponse{Stat: toStat(st)}, zxid: c.cl.LastZxid(path)}
}

func (c *conn) getData(ctx context.Context, path string, watch bool) result {
	if r, bad := badPath(path, false); bad {
		return r
	}
	if isVirtual(path) {
		return virtualRead(jute.OpGetData, path)
	}
	if err := c.fresh(ctx, path); err != nil {
		return c.fail(err, path)
	}
	var data []byte
	var st warren.Stat
	err := c.watched(watchKey{path, classData}, watch && path != "/",
		func(fn warren.WatchFunc) (err error) {
			data, st, err = c.cl.GetWatch(ctx, path, c, fn)
			return err
		},
		func() (err error) {
			data, st, err = c.cl.Get(ctx, path)
			return err
		})
	if err != nil {
		return c.fail(err, path)
	}
	return result{body: &jute.GetDataResponse{Data: nonNil(data), Stat: toStat(st)}, zxid: c.cl.LastZxid(path)}
}

func (c *conn) getChildren(ctx context.Context, op jute.OpCode, path string, watch bool) result {
	if r, bad := badPath(path, false); bad {
		return r
	}
	if isVirtual(path) {
		return virtualRead(op, path)
	}
	if err := c.fresh(ctx, path); err != nil {
		return c.fail(err, path)
	}
	var children []string
	var st warren.Stat
	var err error
	if path == "/" {
		children, st, err = c.listRoot(ctx, watch)
	} else {
		err = c.watched(watchKey{path, classChild}, watch,
			func(fn warren.WatchFunc) (err error) {
				children, st, err = c.cl.ChildrenWatch(ctx, path, c, fn)
				return err
			},
			func() (err error) {
				children, st, err = c.cl.Children(ctx, path)
				return err
			})
	}
	if err != nil {
		return c.fail(err, path)
	}
	if op == jute.OpGetChildren {
		return result{body: &jute.GetChildrenResponse{Children: children}, zxid: c.cl.LastZxid(path)}
	}
	return result{body: &jute.GetChildren2Response{Children: children, Stat: toStat(st)}, zxid: c.cl.LastZxid(path)}
}

// listRoot lists "/": every namespace, and the /zookeeper subtree. A child
// watch on "/" is kept by the shard of the empty namespace, so it sees the
// namespaces of that shard only (a documented difference).
func (c *conn) listRoot(ctx context.Context, watch bool) ([]string, warren.Stat, error) {
	if watch {
		err := c.watched(watchKey{"/", classChild}, true,
			func(fn warren.WatchFunc) error {
				_, _, err := c.cl.ChildrenWatch(ctx, "/", c, fn)
				return err
			},
			func() error { return nil })
		if err != nil {
			return nil, warren.Stat{}, err
		}
	}
	children, st, err := c.cl.Children(ctx, "/")
	if err != nil {
		return nil, warren.Stat{}, err
	}
	children = append(children, strings.TrimPrefix(virtualRoot, "/"))
	slices.Sort(children)
	st.NumChildren++
	return children, st, nil
}

func (c *conn) getACL(ctx context.Context, path string) result {
	if r, bad := badPath(path, false); bad {
		return r
	}
	if isVirtual(path) {
		return virtualRead(jute.OpGetACL, path)
	}
	if err := c.fresh(ctx, path); err != nil {
		return c.fail(err, path)
	}
	acl, st, err := c.cl.GetACL(ctx, path)
	if err != nil {
		return c.fail(err, path)
	}
	return result{body: &jute.GetACLResponse{ACL: toACL(acl), Stat: toStat(st)}, zxid: c.cl.LastZxid(path)}
}

func (c *conn) countChildren(ctx context.Context, path string) result {
	if r, bad := badPath(path, false); bad {
		return r
	}
	if isVirtual(path) {
		return virtualRead(jute.OpGetAllChildrenNumber, path)
	}
	if err := c.fresh(ctx, path); err != nil {
		return c.fail(err, path)
	}
	var n int64
	var err error
	if path == "/" {
		n, err = countAll(ctx, c.cl)
		n-- // the root itself
	} else {
		var n32 int32
		n32, err = c.cl.ChildrenCount(ctx, path)
		n = int64(n32)
	}
	if err != nil {
		return c.fail(err, path)
	}
	return result{body: &jute.GetAllChildrenNumberResponse{TotalNumber: int32(min(n, 1<<31-1))}, zxid: c.cl.LastZxid(path)}
}

// countAll counts every znode, the root and the /zookeeper subtree
// included: the root lists the namespaces, which live on different shards,
// so each is counted on its own.
func countAll(ctx context.Context, cl client) (int64, error) {
	names, _, err := cl.Children(ctx, "/")
	if err != nil {
		return 0, err
	}
	total := int64(1 + len(virtualNodes))
	for _, ns := range names {
		n, err := cl.ChildrenCount(ctx, "/"+ns)
		if err != nil {
			return 0, err
		}
		total += 1 + int64(n)
	}
	return total, nil
}

func (c *conn) sync(ctx context.Context, path string) result {
	if r, bad := badPath(path, false); bad {
		return r
	}
	if !isVirtual(path) {
		if err := c.cl.Sync(ctx, path); err != nil {
			return c.fail(err, path)
		}
		c.freshMu.Lock()
		if path == "/" {
			c.syncedAll = true
		} else {
			c.synced[namespaceOf(path)] = true
		}
		c.freshMu.Unlock()
	}
	return result{body: &jute.SyncResponse{Path: path}, zxid: c.cl.LastZxid(path)}
}

func (c *conn) ephemerals(ctx context.Context, prefix string) result {
	if prefix == "" {
		prefix = "/"
	}
	if err := c.fresh(ctx, "/"); err != nil {
		return c.fail(err, "/")
	}
	paths, err := c.cl.Ephemerals(ctx, c.sess.ID(), prefix)
	if err != nil {
		return c.fail(err, prefix)
	}
	return result{body: &jute.GetEphemeralsResponse{Ephemerals: paths}, zxid: c.cl.LastZxid("/")}
}
