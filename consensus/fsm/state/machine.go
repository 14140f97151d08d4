package state

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/warrenhq/warren/consensus/fsm"
)

// Result codes of the state machine, in addition to fsm.OK and
// fsm.CodeBadCommand (undecodable operation, unknown tag, ExpectVersion below
// -1; its Data is a message).
const (
	// CodeBadVersion: ExpectVersion did not match. Data is the current
	// encoded Value (Exists false when the key is missing).
	CodeBadVersion fsm.Code = 16 + iota
	// CodeNotCounter: Add found a value that is not 8 bytes long. Data is
	// the current encoded Value.
	CodeNotCounter
	// CodeOverflow: Add's result does not fit in an int64. Data is the
	// current encoded Value.
	CodeOverflow
	// CodeNoKey: Delete with an ExpectVersion other than AnyVersion found
	// no key. Data is an encoded missing Value.
	CodeNoKey
	// CodeTooLarge: a grain id or key longer than MaxNameLen, or a value
	// longer than MaxValueLen. Data is a message.
	CodeTooLarge
)

// Machine is the fsm.Machine of kind Kind. It holds no state of its own;
// everything lives in the fsm.KV it is given.
type Machine struct{}

var _ fsm.Machine = (*Machine)(nil)

// New returns a Machine.
func New() *Machine { return &Machine{} }

// Apply applies one encoded Put, Add, Delete or DeleteGrain. Results of Put,
// Add and Delete carry an encoded Value: after the change for Put and Add,
// the removed value for Delete (Exists false when there was none). It emits
// no events and never panics, whatever cmd.Op holds.
func (m *Machine) Apply(kv fsm.KV, zxid uint64, cmd fsm.Command) (fsm.Result, []fsm.Event) {
	op, err := decodeOp(cmd.Op)
	if err != nil {
		r := failure(fsm.CodeBadCommand, err.Error())
		r.Zxid = zxid
		return r, nil
	}
	var r fsm.Result
	switch o := op.(type) {
	case Put:
		r = applyPut(kv, zxid, o)
	case Add:
		r = applyAdd(kv, zxid, o)
	case Delete:
		r = applyDelete(kv, o)
	case DeleteGrain:
		r = applyDeleteGrain(kv, o)
	}
	r.Zxid = zxid
	return r, nil
}

// Query answers an encoded Get or List.
func (m *Machine) Query(r fsm.Reader, q []byte) ([]byte, error) {
	query, err := decodeQuery(q)
	if err != nil {
		return nil, err
	}
	switch o := query.(type) {
	case Get:
		v, err := load(r, itemKey(o.Grain, o.Key))
		if err != nil {
			return nil, err
		}
		return EncodeValue(v), nil
	case List:
		return EncodeKeys(listKeys(r, o.Grain)), nil
	}
	return nil, fmt.Errorf("%w: unknown query %T", ErrCorrupt, query)
}

func applyPut(kv fsm.KV, zxid uint64, p Put) fsm.Result {
	if r, bad := checkItem(p.Grain, p.Key, p.ExpectVersion); bad {
		return r
	}
	if len(p.Value) > MaxValueLen {
		return failure(CodeTooLarge, fmt.Sprintf("value of %d bytes exceeds %d", len(p.Value), MaxValueLen))
	}
	key := itemKey(p.Grain, p.Key)
	cur, err := load(kv, key)
	if err != nil {
		return failure(fsm.CodeBadCommand, err.Error())
	}
	if p.ExpectVersion != AnyVersion && p.ExpectVersion != cur.Version {
		return valueResult(CodeBadVersion, cur)
	}
	return store(kv, key, next(cur, zxid, p.Value))
}

func applyAdd(kv fsm.KV, zxid uint64, a Add) fsm.Result {
	if r, bad := checkItem(a.Grain, a.Key, AnyVersion); bad {
		return r
	}
	key := itemKey(a.Grain, a.Key)
	cur, err := load(kv, key)
	if err != nil {
		return failure(fsm.CodeBadCommand, err.Error())
	}
	n, ok := cur.Counter()
	if !ok {
		return valueResult(CodeNotCounter, cur)
	}
	if (a.Delta > 0 && n > math.MaxInt64-a.Delta) || (a.Delta < 0 && n < math.MinInt64-a.Delta) {
		return valueResult(CodeOverflow, cur)
	}
	data := binary.BigEndian.AppendUint64(nil, uint64(n+a.Delta))
	return store(kv, key, next(cur, zxid, data))
}

func applyDelete(kv fsm.KV, d Delete) fsm.Result {
	if r, bad := checkItem(d.Grain, d.Key, d.ExpectVersion); bad {
		return r
	}
	key := itemKey(d.Grain, d.Key)
	cur, err := load(kv, key)
	if err != nil {
		return failure(fsm.CodeBadCommand, err.Error())
	}
	switch {
	case d.ExpectVersion == AnyVersion && !cur.Exists:
		return valueResult(fsm.OK, cur)
	case !cur.Exists:
		return valueResult(CodeNoKey, cur)
	case d.ExpectVersion != AnyVersion && d.ExpectVersion != cur.Version:
		return valueResult(CodeBadVersion, cur)
	}
	kv.Delete(key)
	return valueResult(fsm.OK, cur)
}

func applyDeleteGrain(kv fsm.KV, d DeleteGrain) fsm.Result {
	if len(d.Grain) > MaxNameLen {
		return failure(CodeTooLarge, fmt.Sprintf("grain id of %d bytes exceeds %d", len(d.Grain), MaxNameLen))
	}
	keys := listKeys(kv, d.Grain)
	for _, k := range keys {
		kv.Delete(itemKey(d.Grain, k))
	}
	return fsm.Result{Code: fsm.OK, Data: EncodeKeys(keys)}
}

// checkItem validates the fields every single-key operation shares.
func checkItem(grain, key string, expect int64) (fsm.Result, bool) {
	switch {
	case len(grain) > MaxNameLen:
		return failure(CodeTooLarge, fmt.Sprintf("grain id of %d bytes exceeds %d", len(grain), MaxNameLen)), true
	case len(key) > MaxNameLen:
		return failure(CodeTooLarge, fmt.Sprintf("key of %d bytes exceeds %d", len(key), MaxNameLen)), true
	case expect < AnyVersion:
		return failure(fsm.CodeBadCommand, fmt.Sprintf("expected version %d is below %d", expect, AnyVersion)), true
	}
	return fsm.Result{}, false
}

// next returns the value that replaces cur when a command at zxid writes
// data.
func next(cur Value, zxid uint64, data []byte) Value {
	v := Value{Data: data, Version: cur.Version + 1, Czxid: cur.Czxid, Mzxid: zxid, Exists: true}
	if !cur.Exists {
		v.Version, v.Czxid = 1, zxid
	}
	return v
}

func failure(code fsm.Code, msg string) fsm.Result {
	return fsm.Result{Code: code, Data: []byte(msg)}
}

func valueResult(code fsm.Code, v Value) fsm.Result {
	return fsm.Result{Code: code, Data: EncodeValue(v)}
}
