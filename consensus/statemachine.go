package consensus

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble"
	sm "github.com/lni/dragonboat/v4/statemachine"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren/consensus/fsm"
)

// appliedKey holds the Raft index of the last applied entry. It is written in
// the same pebble batch as the entry's effects, so Open can return it and be
// exact after a crash.
var appliedKey = []byte("s/applied")

const (
	currentFile    = "CURRENT"
	snapshotMagic  = "WSNAP1"
	recoverBatchSz = 4 << 20
)

// ApplyFunc is told what a shard applied, after the batch is written. It is
// called on the shard's update goroutine and must not block.
type ApplyFunc func(shard, index uint64, results []fsm.Result, events []fsm.Event)

// diskSM is the dragonboat IOnDiskStateMachine of one shard replica: pebble
// holds the data and the applied index; a fsm.Mux decides what commands do.
type diskSM struct {
	shard   uint64
	replica uint64
	dir     string
	mux     *fsm.Mux
	onApply ApplyFunc
	tracer  trace.Tracer

	applied atomic.Uint64
	// viewMu orders applies against ReadLocked: Update holds it for
	// writing from commit until its events are dispatched.
	viewMu sync.RWMutex
	// appliedC is closed and replaced whenever applied moves, waking
	// WaitApplied callers.
	appliedMu sync.Mutex
	appliedC  chan struct{}

	mu struct {
		sync.RWMutex
		db    *pebble.DB
		dbDir string
	}
}

var _ sm.IOnDiskStateMachine = (*diskSM)(nil)

func newDiskSM(shard, replica uint64, dir string, mux *fsm.Mux, onApply ApplyFunc, tracer trace.Tracer) *diskSM {
	return &diskSM{shard: shard, replica: replica, dir: dir, mux: mux, onApply: onApply, tracer: tracer, appliedC: make(chan struct{})}
}

func (s *diskSM) setApplied(idx uint64) {
	s.applied.Store(idx)
	s.appliedMu.Lock()
	close(s.appliedC)
	s.appliedC = make(chan struct{})
	s.appliedMu.Unlock()
}

// appliedWait returns the applied index and a channel closed when it next
// moves.
func (s *diskSM) appliedWait() (uint64, <-chan struct{}) {
	s.appliedMu.Lock()
	defer s.appliedMu.Unlock()
	return s.applied.Load(), s.appliedC
}

// Open opens (or creates) the shard's pebble database and returns the index
// of the last entry applied to it.
func (s *diskSM) Open(stopc <-chan struct{}) (uint64, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return 0, err
	}
	name, err := readCurrent(s.dir)
	if err != nil {
		return 0, err
	}
	if name == "" {
		name = "db-1"
		if err := writeCurrent(s.dir, name); err != nil {
			return 0, err
		}
	}
	db, err := openPebble(filepath.Join(s.dir, name))
	if err != nil {
		return 0, err
	}
	removeStaleDBs(s.dir, name)
	s.mu.Lock()
	s.mu.db, s.mu.dbDir = db, name
	s.mu.Unlock()
	idx := readApplied(pebbleReader{g: db})
	s.applied.Store(idx)
	return idx, nil
}

func openPebble(dir string) (*pebble.DB, error) {
	opts := &pebble.Options{
		MemTableSize:             4 << 20,
		MaxConcurrentCompactions: func() int { return 1 },
		L0CompactionThreshold:    4,
		// The Raft log is the write-ahead log: after a crash dragonboat
		// replays every entry past the applied index Open reads back, and
		// it compacts the log only past what Sync made durable. A second
		// WAL would cost a write per apply on every replica for nothing.
		DisableWAL:                  true,
		MaxOpenFiles:                256,
		MemTableStopWritesThreshold: 4,
	}
	return pebble.Open(dir, opts)
}

func readApplied(r fsm.Reader) uint64 {
	v, ok := r.Get(appliedKey)
	if !ok || len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// Update applies committed entries. Bad commands become results, never
// errors: an error here would stop the whole NodeHost.
func (s *diskSM) Update(entries []sm.Entry) ([]sm.Entry, error) {
	s.mu.RLock()
	db := s.mu.db
	s.mu.RUnlock()
	b := db.NewIndexedBatch()
	defer b.Close()
	kv := newBatchKV(b)
	type applied struct {
		index   uint64
		results []fsm.Result
		events  []fsm.Event
	}
	var done []applied
	var traced applySpans
	defer traced.end()
	var spans []trace.Span
	for i := range entries {
		e := &entries[i]
		cmds, err := fsm.DecodeBatch(e.Cmd)
		if err != nil {
			e.Result = sm.Result{Value: 0, Data: fsm.EncodeResults(nil, []fsm.Result{{Code: fsm.CodeBadCommand, Data: []byte(err.Error())}})}
			continue
		}
		spans = spans[:0]
		for j := range cmds {
			if len(cmds[j].Trace) == 0 {
				continue
			}
			if sp := traced.start(s.tracer, s.shard, s.replica, e.Index, &cmds[j]); sp != nil {
				for len(spans) < j {
					spans = append(spans, nil)
				}
				spans = append(spans, sp)
			}
		}
		rs, evs := s.mux.ApplyBatch(kv, cmds)
		for j, sp := range spans {
			if sp != nil {
				traced.applied(sp, rs[j])
			}
		}
		traced.tag(evs)
		e.Result = sm.Result{Value: e.Index, Data: fsm.EncodeResults(nil, rs)}
		done = append(done, applied{index: e.Index, results: rs, events: evs})
	}
	last := entries[len(entries)-1].Index
	var ib [8]byte
	binary.BigEndian.PutUint64(ib[:], last)
	kv.Set(appliedKey, ib[:])
	// Readers that hold viewMu (ReadLocked) see the state either before
	// this batch or after it and after its events were handed out, never
	// in between.
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if err := b.Commit(pebble.NoSync); err != nil {
		return nil, fmt.Errorf("consensus: shard %d: commit: %w", s.shard, err)
	}
	s.setApplied(last)
	if s.onApply != nil {
		for _, a := range done {
			s.onApply(s.shard, a.index, a.results, a.events)
		}
	}
	return entries, nil
}

// Lookup answers an encoded fsm query against the current state.
func (s *diskSM) Lookup(q interface{}) (interface{}, error) {
	query, ok := q.([]byte)
	if !ok {
		return nil, fmt.Errorf("consensus: query of type %T", q)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.db == nil {
		return nil, ErrClosed
	}
	// A query may read several keys; dragonboat runs Lookup concurrently
	// with Update, so read from one point-in-time view, never the live DB.
	snap := s.mu.db.NewSnapshot()
	defer snap.Close()
	return s.mux.Query(pebbleReader{g: snap}, query)
}

// Sync makes everything applied so far durable. The database keeps no WAL
// of its own (see openPebble), so this flushes its memtables; dragonboat
// calls it before it compacts the Raft log past the applied index.
func (s *diskSM) Sync() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.db.Flush()
}

// PrepareSnapshot captures a point-in-time view; it runs on the update
// goroutine, so the view matches the applied index.
func (s *diskSM) PrepareSnapshot() (interface{}, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.db.NewSnapshot(), nil
}

// SaveSnapshot streams every key of the prepared view to w.
func (s *diskSM) SaveSnapshot(ctx interface{}, w io.Writer, stopc <-chan struct{}) (err error) {
	defer s.startSnapshotTimer(snapshotSave).done(&err)
	snap, ok := ctx.(*pebble.Snapshot)
	if !ok {
		return fmt.Errorf("consensus: snapshot context of type %T", ctx)
	}
	defer snap.Close()
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return err
	}
	it := snap.NewIter(nil)
	defer it.Close()
	var hdr [2 * binary.MaxVarintLen64]byte
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%1024 == 0 {
			select {
			case <-stopc:
				return sm.ErrSnapshotStopped
			default:
			}
		}
		k, v := it.Key(), it.Value()
		h := binary.PutUvarint(hdr[:], uint64(len(k))+1)
		h += binary.PutUvarint(hdr[h:], uint64(len(v)))
		if _, err := bw.Write(hdr[:h]); err != nil {
			return err
		}
		if _, err := bw.Write(k); err != nil {
			return err
		}
		if _, err := bw.Write(v); err != nil {
			return err
		}
	}
	if err := bw.WriteByte(0); err != nil {
		return err
	}
	return bw.Flush()
}

// RecoverFromSnapshot replaces the state with a received snapshot. It loads
// into a fresh database and switches CURRENT to it only once it is complete
// and synced, so a crash leaves either the old state or the new one.
func (s *diskSM) RecoverFromSnapshot(r io.Reader, stopc <-chan struct{}) (err error) {
	defer s.startSnapshotTimer(snapshotRecover).done(&err)
	s.mu.RLock()
	oldName := s.mu.dbDir
	s.mu.RUnlock()
	name := nextDBName(oldName)
	dir := filepath.Join(s.dir, name)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	db, err := openPebble(dir)
	if err != nil {
		return err
	}
	if err := loadSnapshot(db, bufio.NewReaderSize(r, 1<<16), stopc); err != nil {
		db.Close()
		os.RemoveAll(dir)
		return err
	}
	if err := writeCurrent(s.dir, name); err != nil {
		db.Close()
		return err
	}
	s.mu.Lock()
	old := s.mu.db
	s.mu.db, s.mu.dbDir = db, name
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
	os.RemoveAll(filepath.Join(s.dir, oldName))
	s.setApplied(readApplied(pebbleReader{g: db}))
	return nil
}

func loadSnapshot(db *pebble.DB, r *bufio.Reader, stopc <-chan struct{}) error {
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != snapshotMagic {
		return fmt.Errorf("consensus: snapshot: bad header: %v", err)
	}
	b := db.NewBatch()
	defer func() { b.Close() }()
	for n := 0; ; n++ {
		kl, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("consensus: snapshot: %w", err)
		}
		if kl == 0 {
			break
		}
		vl, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("consensus: snapshot: %w", err)
		}
		if kl-1 > 1<<30 || vl > 1<<30 {
			return errors.New("consensus: snapshot: record too large")
		}
		kv := make([]byte, kl-1+vl)
		if _, err := io.ReadFull(r, kv); err != nil {
			return fmt.Errorf("consensus: snapshot: %w", err)
		}
		if err := b.Set(kv[:kl-1], kv[kl-1:], nil); err != nil {
			return err
		}
		if b.Len() >= recoverBatchSz {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b.Close()
			b = db.NewBatch()
			select {
			case <-stopc:
				return sm.ErrSnapshotStopped
			default:
			}
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	return db.Flush()
}

// Close closes the database.
func (s *diskSM) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.db == nil {
		return nil
	}
	err := s.mu.db.Close()
	s.mu.db = nil
	return err
}

func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, "db-") {
		return "", fmt.Errorf("consensus: %s: bad CURRENT %q", dir, name)
	}
	return name, nil
}

// writeCurrent atomically points CURRENT at name.
func writeCurrent(dir, name string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(name + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, currentFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func nextDBName(cur string) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(cur, "db-"))
	return "db-" + strconv.Itoa(n+1)
}

// removeStaleDBs deletes databases left behind by an interrupted recovery.
func removeStaleDBs(dir, keep string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "db-") && e.Name() != keep {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}
