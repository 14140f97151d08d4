package zk

import (
	"context"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// multi applies a multi: all operations or none. As in ZooKeeper the reply
// header carries ZOK even when an operation fails; the results say which
// (see jute.MultiResult).
//
// Warren applies a multi within one namespace (the first path segment),
// whose znodes share one Raft log. A multi that spans namespaces fails
// before anything is applied, reported like any failed multi: the first
// operation outside the first operation's namespace carries ZBADARGUMENTS,
// those before it ZOK and those after it ZRUNTIMEINCONSISTENCY.
func (c *conn) multi(ctx context.Context, m *jute.MultiRequest) result {
	if len(m.Ops) == 0 {
		return result{body: &jute.MultiResponse{}}
	}
	ops := make([]multiOp, len(m.Ops))
	resOps := make([]jute.OpCode, len(m.Ops))
	for i, op := range m.Ops {
		o, resOp, code := multiOpOf(op)
		if code == jute.CodeOK && i > 0 && namespaceOf(o.path) != namespaceOf(ops[0].path) {
			code = jute.CodeBadArguments
		}
		if code != jute.CodeOK {
			first := o.path
			if i > 0 {
				first = ops[0].path
			}
			return result{body: failedMulti(len(m.Ops), i, code), zxid: c.cl.LastZxid(first)}
		}
		ops[i], resOps[i] = o, resOp
	}
	path := ops[0].path
	res, err := c.cl.Multi(ctx, ops)
	if err != nil {
		if len(res) != len(ops) {
			return c.fail(err, path)
		}
		results := make([]jute.MultiResult, len(res))
		for i, r := range res {
			results[i] = jute.MultiResult{Op: jute.OpError, Err: jute.Code(r.Err)}
		}
		return result{body: &jute.MultiResponse{Results: results}, zxid: c.cl.LastZxid(path)}
	}
	c.settled(ctx, path)
	results := make([]jute.MultiResult, len(ops))
	var zxid int64
	for i, op := range resOps {
		results[i] = jute.MultiResult{Op: op}
		if i >= len(res) {
			continue
		}
		st := toStat(res[i].Stat)
		switch op {
		case jute.OpCreate:
			results[i].Path = res[i].Path
			zxid = max(zxid, st.Czxid)
		case jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
			results[i].Path, results[i].Stat = res[i].Path, st
			zxid = max(zxid, st.Czxid)
		case jute.OpSetData:
			results[i].Stat = st
			zxid = max(zxid, st.Mzxid)
		}
	}
	if zxid == 0 {
		zxid = c.cl.LastZxid(path)
	}
	return result{body: &jute.MultiResponse{Results: results}, zxid: zxid}
}

// multiOpOf checks one operation of a multi and converts it. resOp is the
// type of its result when the multi succeeds.
func multiOpOf(op jute.Request) (o multiOp, resOp jute.OpCode, code jute.Code) {
	var a createArgs
	switch r := op.(type) {
	case *jute.CreateRequest:
		a = createArgs{op: jute.OpCreate, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags}
	case *jute.Create2Request:
		a = createArgs{op: jute.OpCreate2, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags}
	case *jute.CreateContainerRequest:
		a = createArgs{op: jute.OpCreateContainer, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags}
	case *jute.CreateTTLRequest:
		a = createArgs{op: jute.OpCreateTTL, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags, ttl: r.TTL}
	case *jute.DeleteRequest:
		o = multiOp{kind: multiDelete, path: r.Path, version: r.Version}
		return o, jute.OpDelete, writePathCode(jute.OpDelete, r.Path)
	case *jute.SetDataRequest:
		o = multiOp{kind: multiSet, path: r.Path, data: r.Data, version: r.Version}
		return o, jute.OpSetData, writePathCode(jute.OpSetData, r.Path)
	case *jute.CheckVersionRequest:
		o = multiOp{kind: multiCheck, path: r.Path, version: r.Version}
		return o, jute.OpCheck, writePathCode(jute.OpCheck, r.Path)
	default:
		return multiOp{}, jute.OpError, jute.CodeUnimplemented
	}
	opts, code := createOptions(a)
	return multiOp{kind: multiCreate, path: a.path, data: a.data, create: opts}, a.op, code
}

// writePathCode checks the path of a delete, setData or check.
func writePathCode(op jute.OpCode, path string) jute.Code {
	switch {
	case jute.ValidatePath(path, false) != nil, op == jute.OpDelete && path == "/":
		return jute.CodeBadArguments
	case isVirtual(path):
		return virtualWrite(op, path)
	}
	return jute.CodeOK
}

// failedMulti is the response to a multi refused before anything was
// applied because operation failed breaks a rule: code for it.
func failedMulti(n, failed int, code jute.Code) *jute.MultiResponse {
	results := make([]jute.MultiResult, n)
	for i := range results {
		results[i] = jute.MultiResult{Op: jute.OpError}
		switch {
		case i == failed:
			results[i].Err = code
		case i > failed:
			results[i].Err = jute.CodeRuntimeInconsistency
		}
	}
	return &jute.MultiResponse{Results: results}
}

// multiRead runs read operations one by one; each succeeds or fails on its
// own.
func (c *conn) multiRead(ctx context.Context, m *jute.MultiReadRequest) result {
	results := make([]jute.MultiResult, len(m.Ops))
	var zxid int64
	for i, op := range m.Ops {
		var r result
		switch o := op.(type) {
		case *jute.GetDataRequest:
			r = c.getData(ctx, o.Path, o.Watch)
			if resp, ok := r.body.(*jute.GetDataResponse); ok && r.code == jute.CodeOK {
				results[i] = jute.MultiResult{Op: jute.OpGetData, Data: resp.Data, Stat: resp.Stat}
			}
		case *jute.GetChildrenRequest:
			r = c.getChildren(ctx, jute.OpGetChildren, o.Path, o.Watch)
			if resp, ok := r.body.(*jute.GetChildrenResponse); ok && r.code == jute.CodeOK {
				results[i] = jute.MultiResult{Op: jute.OpGetChildren, Children: resp.Children}
			}
		default:
			r = result{code: jute.CodeUnimplemented}
		}
		if r.gone {
			return r
		}
		if r.code != jute.CodeOK {
			results[i] = jute.MultiResult{Op: jute.OpError, Err: r.code}
		}
		zxid = max(zxid, r.zxid)
	}
	return result{body: &jute.MultiResponse{Results: results}, zxid: zxid}
}
