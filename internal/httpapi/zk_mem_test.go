package httpapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/warrenhq/warren"
)

// memZK is an in-memory ZK: one tree, no ACLs, no sessions, ZooKeeper's
// errors for the checks the routes rely on.
type memZK struct {
	mu struct {
		sync.Mutex
		nodes    map[string]*memZnode
		zxid     int64
		lastOpts warren.CreateOptions // of the last Create
	}
	// err, when set, is what every call returns.
	err error
}

type memZnode struct {
	data []byte
	stat warren.Stat
}

var _ ZK = (*memZK)(nil)

func newMemZK() *memZK {
	z := &memZK{}
	z.mu.nodes = map[string]*memZnode{"/": {}}
	return z
}

func zkErr(sentinel *warren.ZKError, path string) error {
	return &warren.ZKError{Code: sentinel.Code, Path: path}
}

func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

func (z *memZK) Create(_ context.Context, path string, data []byte, opts warren.CreateOptions) (string, warren.Stat, error) {
	if z.err != nil {
		return "", warren.Stat{}, z.err
	}
	if opts.Mode == warren.ModeEphemeral || opts.Mode == warren.ModeEphemeralSequential {
		return "", warren.Stat{}, warren.ErrNeedsSession
	}
	ttlMode := opts.Mode == warren.ModePersistentTTL || opts.Mode == warren.ModePersistentSequentialTTL
	if !strings.HasPrefix(path, "/") || path == "/" || strings.Contains(path, "//") || ttlMode != (opts.TTL > 0) {
		return "", warren.Stat{}, zkErr(warren.ErrBadArguments, path)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	z.mu.lastOpts = opts
	parent, ok := z.mu.nodes[parentOf(path)]
	if !ok {
		return "", warren.Stat{}, zkErr(warren.ErrNoNode, path)
	}
	if opts.Mode == warren.ModePersistentSequential || opts.Mode == warren.ModePersistentSequentialTTL {
		path += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	if _, ok := z.mu.nodes[path]; ok {
		return "", warren.Stat{}, zkErr(warren.ErrNodeExists, path)
	}
	z.mu.zxid++
	n := &memZnode{data: slices.Clone(data), stat: warren.Stat{
		Czxid: z.mu.zxid, Mzxid: z.mu.zxid, Pzxid: z.mu.zxid, Ctime: 1000 * z.mu.zxid, Mtime: 1000 * z.mu.zxid,
		DataLength: int32(len(data)),
	}}
	z.mu.nodes[path] = n
	parent.stat.Cversion++
	parent.stat.NumChildren++
	parent.stat.Pzxid = z.mu.zxid
	return path, n.stat, nil
}

func (z *memZK) Get(_ context.Context, path string) ([]byte, warren.Stat, error) {
	if z.err != nil {
		return nil, warren.Stat{}, z.err
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	n, ok := z.mu.nodes[path]
	if !ok {
		return nil, warren.Stat{}, zkErr(warren.ErrNoNode, path)
	}
	return slices.Clone(n.data), n.stat, nil
}

func (z *memZK) Exists(_ context.Context, path string) (warren.Stat, bool, error) {
	if z.err != nil {
		return warren.Stat{}, false, z.err
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	n, ok := z.mu.nodes[path]
	if !ok {
		return warren.Stat{}, false, nil
	}
	return n.stat, true, nil
}

func (z *memZK) Set(_ context.Context, path string, data []byte, version int32) (warren.Stat, error) {
	if z.err != nil {
		return warren.Stat{}, z.err
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	n, ok := z.mu.nodes[path]
	switch {
	case !ok:
		return warren.Stat{}, zkErr(warren.ErrNoNode, path)
	case version != warren.AnyVersion && version != n.stat.Version:
		return warren.Stat{}, zkErr(warren.ErrBadVersion, path)
	}
	z.mu.zxid++
	n.data = slices.Clone(data)
	n.stat.Version++
	n.stat.Mzxid, n.stat.Mtime, n.stat.DataLength = z.mu.zxid, 1000*z.mu.zxid, int32(len(data))
	return n.stat, nil
}

func (z *memZK) Delete(_ context.Context, path string, version int32) error {
	if z.err != nil {
		return z.err
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	n, ok := z.mu.nodes[path]
	switch {
	case !ok:
		return zkErr(warren.ErrNoNode, path)
	case version != warren.AnyVersion && version != n.stat.Version:
		return zkErr(warren.ErrBadVersion, path)
	case n.stat.NumChildren > 0:
		return zkErr(warren.ErrNotEmpty, path)
	}
	z.mu.zxid++
	delete(z.mu.nodes, path)
	parent := z.mu.nodes[parentOf(path)]
	parent.stat.Cversion++
	parent.stat.NumChildren--
	parent.stat.Pzxid = z.mu.zxid
	return nil
}

func (z *memZK) Children(_ context.Context, path string) ([]string, warren.Stat, error) {
	if z.err != nil {
		return nil, warren.Stat{}, z.err
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	n, ok := z.mu.nodes[path]
	if !ok {
		return nil, warren.Stat{}, zkErr(warren.ErrNoNode, path)
	}
	var kids []string
	for p := range z.mu.nodes {
		if p != "/" && parentOf(p) == path {
			kids = append(kids, p[strings.LastIndexByte(p, '/')+1:])
		}
	}
	slices.Sort(kids)
	return kids, n.stat, nil
}

// lastCreateOptions returns the options of the last Create.
func (z *memZK) lastCreateOptions() warren.CreateOptions {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.mu.lastOpts
}

// paths returns every path in the tree, sorted.
func (z *memZK) paths() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	var out []string
	for p := range z.mu.nodes {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
