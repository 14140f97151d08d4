package znode

import (
	"encoding/binary"
	"github.com/warrenhq/warren/consensus/fsm"
)

// Machine is the fsm.Machine of kind Kind. It holds only its Limits;
// everything else lives in the fsm.KV it is given.
type Machine struct {
	lim Limits
}

var _ fsm.Machine = (*Machine)(nil)

// New returns a Machine enforcing l. Zero or negative fields take their
// DefaultLimits value and MaxTTLMillis is capped at MaxTTL; call
// Limits.Validate first to reject such configurations instead.
func New(l Limits) *Machine { return &Machine{lim: l.normalize()} }

// Limits returns the limits the Machine enforces.
func (m *Machine) Limits() Limits { return m.lim }

// Apply applies one encoded operation at zxid, with cmd.Stamp as the time
// written to ctime and mtime. It never panics and never fails: an operation
// that does not decode is answered with fsm.CodeBadCommand (Data is a
// message), one ZooKeeper refuses with CodeZK, and a stored record that does
// not decode with CodeZK carrying ZSYSTEMERROR. Events are returned only
// for operations that succeed.
func (m *Machine) Apply(kv fsm.KV, zxid uint64, cmd fsm.Command) (fsm.Result, []fsm.Event) {
	op, err := DecodeOp(cmd.Op)
	if err != nil {
		return fsm.Result{Zxid: zxid, Code: fsm.CodeBadCommand, Data: []byte(err.Error())}, nil
	}
	t := &txn{w: kv, lim: m.lim, zxid: zxid, time: cmd.Stamp}
	var r fsm.Result
	switch o := op.(type) {
	case Multi, CloseSession, Expire:
		ov := newOverlay(kv)
		t.w = ov
		r = t.applyAtomic(kv, o)
		if r.Code == fsm.OK {
			ov.flush()
		}
	default:
		r = singleResult(o, t)
	}
	r.Zxid = zxid
	if r.Code != fsm.OK {
		return r, nil
	}
	return r, t.events
}

// singleResult applies a Create, Delete, SetData, SetACL or Check directly.
func singleResult(op Op, t *txn) fsm.Result {
	res, code := t.apply(op)
	if code != ZOK {
		return zkResult(code)
	}
	switch op.(type) {
	case Create:
		return fsm.Result{Code: fsm.OK, Data: encodeCreateResult(res.Path, res.Stat)}
	case SetData, SetACL:
		return fsm.Result{Code: fsm.OK, Data: encodeStat(res.Stat)}
	}
	return fsm.Result{Code: fsm.OK}
}

// applyAtomic applies a Multi, CloseSession or Expire through t, whose
// writer is an overlay of kv that the caller flushes on success.
func (t *txn) applyAtomic(kv fsm.KV, op Op) fsm.Result {
	switch o := op.(type) {
	case Multi:
		return t.multi(o)
	case CloseSession:
		r := t.removeAll(scanSuffixes(kv, ephPrefix(o.Session)))
		if r.Code == fsm.OK {
			t.w.Set(goneKey(o.Session), binary.BigEndian.AppendUint64(nil, uint64(t.time)))
		}
		return r
	case Expire:
		paths, code := t.expired(scanSuffixes(kv, expKey("")), o.Now)
		if code != ZOK {
			return zkResult(code)
		}
		return t.removeAll(paths)
	}
	return zkResult(ZSYSTEMERROR)
}

// multi applies ops in order and stops at the first failure, reported as
// ZooKeeper does: ZOK for the ops before, the error for the failing op and
// ZRUNTIMEINCONSISTENCY for the ops after it.
func (t *txn) multi(m Multi) fsm.Result {
	rs := make([]OpResult, len(m.Ops))
	for i, op := range m.Ops {
		res, code := t.apply(op)
		if code == ZOK {
			rs[i] = res
			continue
		}
		for j := range rs {
			switch {
			case j < i:
				rs[j] = OpResult{Err: ZOK}
			case j == i:
				rs[j] = OpResult{Err: code}
			default:
				rs[j] = OpResult{Err: ZRUNTIMEINCONSISTENCY}
			}
		}
		r := zkResult(code)
		r.Data = appendOpResults(r.Data, rs)
		return r
	}
	return fsm.Result{Code: fsm.OK, Data: appendOpResults(nil, rs)}
}

// removeAll removes the nodes at paths in order; the result lists them.
func (t *txn) removeAll(paths []string) fsm.Result {
	for _, p := range paths {
		if code := t.removePath(p); code != ZOK {
			return zkResult(code)
		}
	}
	return fsm.Result{Code: fsm.OK, Data: appendStrings(nil, paths)}
}

// expired returns the candidates of ZooKeeper's container manager among the
// containers and TTL nodes at paths, judged on the state before any is
// deleted: a candidate has no children, so its parent is never one.
func (t *txn) expired(paths []string, now int64) ([]string, int32) {
	var dead []string
	for _, p := range paths {
		n, code := t.load(p)
		if code != ZOK {
			return nil, ZSYSTEMERROR
		}
		if n.children != 0 {
			continue
		}
		switch {
		case n.typ == typeContainer && n.creates > 0,
			n.typ == typeTTL && n.owner != 0 && now-n.mtime > n.owner:
			dead = append(dead, p)
		}
	}
	return dead, ZOK
}
