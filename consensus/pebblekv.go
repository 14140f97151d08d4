package consensus

import (
	"bytes"
	"io"

	"github.com/cockroachdb/pebble"

	"github.com/warrenhq/warren/consensus/fsm"
)

// pebbleGetter is what pebble's DB, Batch and Snapshot have in common.
type pebbleGetter interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) *pebble.Iterator
}

// pebbleReader adapts a pebble view to fsm.Reader. Values returned by Get are
// copies, so they stay valid after the view moves on.
type pebbleReader struct {
	g pebbleGetter
}

var _ fsm.Reader = pebbleReader{}

func (r pebbleReader) Get(key []byte) ([]byte, bool) {
	v, closer, err := r.g.Get(key)
	if err != nil {
		return nil, false
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	closer.Close()
	return out, true
}

func (r pebbleReader) Scan(prefix []byte, fn func(key, value []byte) bool) {
	it := r.g.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Key(), it.Value()) {
			return
		}
	}
}

// batchKV adapts an indexed pebble batch to fsm.KV.
type batchKV struct {
	pebbleReader
	b *pebble.Batch
}

var _ fsm.KV = batchKV{}

func newBatchKV(b *pebble.Batch) batchKV {
	return batchKV{pebbleReader: pebbleReader{g: b}, b: b}
}

// Set and Delete on an in-memory batch fail only on programming errors (a
// closed batch), which is a broken invariant.
func (kv batchKV) Set(key, value []byte) {
	if err := kv.b.Set(key, value, nil); err != nil {
		panic("consensus: batch set: " + err.Error())
	}
}

func (kv batchKV) Delete(key []byte) {
	if err := kv.b.Delete(key, nil); err != nil {
		panic("consensus: batch delete: " + err.Error())
	}
}

// prefixEnd returns the smallest key greater than every key with prefix, or
// nil when there is none.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
