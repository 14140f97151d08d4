package jute

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeZK is a tiny single-session ZooKeeper server built on nothing but this
// package's codec: enough znode, watch, multi and session semantics to drive
// a real client through every reply layout it parses. It exists to prove
// that real clients accept what jute encodes and that jute decodes what they
// send.
type fakeZK struct {
	ln       net.Listener
	wg       sync.WaitGroup
	readOnly bool // answer with the readOnly byte even to clients that omit it

	mu struct {
		sync.Mutex
		nodes    map[string]*fakeNode
		zxid     int64
		connects []ConnectRequest
		seen     []seenRequest
		errs     []error
		conns    map[net.Conn]bool
		watches  map[string]EventType // path -> event that fires it; see watchKey
		pending  []WatcherEvent
	}
}

type fakeNode struct {
	data []byte
	acl  []ACL
	stat Stat
}

type seenRequest struct {
	hdr RequestHeader
	req Request
}

const (
	fakeSession = 0x5eed
	fakeTimeout = 3000 // negotiated session timeout, ms: go-zookeeper pings every second
)

var fakePasswd = []byte("warren-jute-pass")

func startFakeZK(t *testing.T, readOnly bool) *fakeZK {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeZK{ln: ln, readOnly: readOnly}
	s.mu.nodes = map[string]*fakeNode{"/": {}}
	s.mu.conns = map[net.Conn]bool{}
	s.mu.watches = map[string]EventType{}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.dropConnections()
		s.wg.Wait()
		for _, err := range s.errors() {
			t.Errorf("server: %v", err)
		}
	})
	return s
}

func (s *fakeZK) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.mu.conns[conn] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.mu.conns, conn)
				s.mu.Unlock()
				conn.Close()
			}()
			if err := s.serve(conn); err != nil {
				s.fail(err)
			}
		}()
	}
}

// serve runs one connection: the connect handshake, then requests until the
// client closes its session or the connection.
func (s *fakeZK) serve(conn net.Conn) error {
	frame, err := ReadFrame(conn, nil, 1<<20)
	if err != nil {
		return fmt.Errorf("reading connect request: %w", err)
	}
	creq, err := DecodeConnectRequest(frame)
	if err != nil {
		return err
	}
	resp := ConnectResponse{TimeOut: fakeTimeout, SessionID: fakeSession, Passwd: fakePasswd,
		HasReadOnly: creq.HasReadOnly || s.readOnly}
	if creq.SessionID != 0 && (creq.SessionID != fakeSession || !bytes.Equal(creq.Passwd, fakePasswd)) {
		resp = ConnectResponse{Passwd: make([]byte, 16), HasReadOnly: resp.HasReadOnly}
	}
	s.mu.Lock()
	s.mu.connects = append(s.mu.connects, creq)
	s.mu.Unlock()
	e := NewEncoder(nil)
	EncodeConnectResponse(e, &resp)
	if _, err := conn.Write(e.Bytes()); err != nil {
		return nil
	}
	for {
		if frame, err = ReadFrame(conn, frame, 1<<20); err != nil {
			return nil // the client went away, or dropConnections closed us
		}
		hdr, body, err := DecodeRequestHeader(frame)
		if err != nil {
			return err
		}
		req, err := DecodeRequest(hdr, body)
		if err != nil {
			return fmt.Errorf("request xid %d: %w", hdr.Xid, err)
		}
		e.Reset()
		closing := s.handle(e, hdr, req)
		if _, err := conn.Write(e.Bytes()); err != nil || closing {
			return nil
		}
	}
}

// handle applies one request and encodes its reply, preceded by the
// notifications it triggers, as ZooKeeper orders them.
func (s *fakeZK) handle(e *Encoder, hdr RequestHeader, req Request) (closing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.seen = append(s.mu.seen, seenRequest{hdr, req})
	body, code := s.applyLocked(req)
	for i := range s.mu.pending {
		EncodeNotification(e, &s.mu.pending[i])
	}
	s.mu.pending = s.mu.pending[:0]
	if code != CodeOK {
		body = nil
	}
	zxid := s.mu.zxid
	if hdr.Type == OpAuth {
		// As ZooKeeper does. go-zookeeper v1.0.4 re-sends auth while
		// reading lastZxid unsynchronised on reconnect; a non-zero zxid here
		// makes it race with itself.
		zxid = 0
	}
	EncodeResponse(e, ReplyHeader{Xid: hdr.Xid, Zxid: zxid, Err: code}, body)
	_, closing = req.(*CloseSessionRequest)
	return closing
}

// REQUIRES: s.mu
func (s *fakeZK) applyLocked(req Request) (Record, Code) {
	switch r := req.(type) {
	case *PingRequest, *AuthPacket, *SetWatches, *SetWatches2, *CloseSessionRequest:
		return nil, CodeOK
	case *CreateRequest:
		path, _, code := s.createLocked(r)
		return &CreateResponse{Path: path}, code
	case *Create2Request:
		path, stat, code := s.createLocked(&r.CreateRequest)
		return &Create2Response{Path: path, Stat: stat}, code
	case *CreateContainerRequest:
		path, stat, code := s.createLocked(&r.CreateRequest)
		return &Create2Response{Path: path, Stat: stat}, code
	case *CreateTTLRequest:
		path, stat, code := s.createLocked(&CreateRequest{Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags})
		return &Create2Response{Path: path, Stat: stat}, code
	case *GetDataRequest:
		n, code := s.nodeLocked(r.Path, r.Watch, EventNodeDataChanged)
		if n == nil {
			return nil, code
		}
		return &GetDataResponse{Data: n.data, Stat: n.stat}, CodeOK
	case *ExistsRequest:
		n, code := s.nodeLocked(r.Path, r.Watch, EventNodeDataChanged)
		if n == nil && r.Watch {
			s.mu.watches[watchKey(r.Path, EventNodeCreated)] = EventNodeCreated
		}
		if n == nil {
			return nil, code
		}
		return &ExistsResponse{Stat: n.stat}, CodeOK
	case *GetChildren2Request:
		n, code := s.nodeLocked(r.Path, r.Watch, EventNodeChildrenChanged)
		if n == nil {
			return nil, code
		}
		return &GetChildren2Response{Children: s.childrenLocked(r.Path), Stat: n.stat}, CodeOK
	case *SetDataRequest:
		stat, code := s.setDataLocked(r)
		return &SetDataResponse{Stat: stat}, code
	case *DeleteRequest:
		return nil, s.deleteLocked(r.Path, r.Version)
	case *GetACLRequest:
		n, code := s.nodeLocked(r.Path, false, 0)
		if n == nil {
			return nil, code
		}
		return &GetACLResponse{ACL: n.acl, Stat: n.stat}, CodeOK
	case *SetACLRequest:
		n, code := s.nodeLocked(r.Path, false, 0)
		if n == nil {
			return nil, code
		}
		s.mu.zxid++
		n.acl = r.ACL
		n.stat.Aversion++
		return &SetACLResponse{Stat: n.stat}, CodeOK
	case *SyncRequest:
		return &SyncResponse{Path: r.Path}, CodeOK
	case *MultiRequest:
		return s.multiLocked(r), CodeOK
	}
	return nil, CodeUnimplemented
}

// watchKey names a one-shot watch: data watches fire on change and delete,
// child watches on children changes, exist watches on creation.
func watchKey(path string, ev EventType) string { return fmt.Sprint(ev, path) }

// REQUIRES: s.mu
func (s *fakeZK) fireLocked(path string, ev EventType) {
	key := ev
	if ev == EventNodeDeleted {
		key = EventNodeDataChanged
	}
	if _, ok := s.mu.watches[watchKey(path, key)]; ok {
		delete(s.mu.watches, watchKey(path, key))
		s.mu.pending = append(s.mu.pending, WatcherEvent{Type: ev, State: StateSyncConnected, Path: path})
	}
}

// REQUIRES: s.mu
func (s *fakeZK) nodeLocked(path string, watch bool, on EventType) (*fakeNode, Code) {
	if err := ValidatePath(path, false); err != nil {
		return nil, CodeBadArguments
	}
	n := s.mu.nodes[path]
	if n == nil {
		return nil, CodeNoNode
	}
	if watch {
		s.mu.watches[watchKey(path, on)] = on
	}
	return n, CodeOK
}

func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i == 0 {
		return "/"
	}
	return path[:i]
}

// REQUIRES: s.mu
func (s *fakeZK) childrenLocked(path string) []string {
	var names []string
	for p := range s.mu.nodes {
		if p != "/" && parentOf(p) == path {
			names = append(names, p[strings.LastIndexByte(p, '/')+1:])
		}
	}
	slices.Sort(names)
	return names
}

// REQUIRES: s.mu
func (s *fakeZK) createLocked(r *CreateRequest) (string, Stat, Code) {
	if !r.Flags.Valid() || ValidatePath(r.Path, r.Flags.Sequential()) != nil || r.Path == "/" {
		return "", Stat{}, CodeBadArguments
	}
	parentPath := parentOf(r.Path)
	parent := s.mu.nodes[parentPath]
	switch {
	case parent == nil:
		return "", Stat{}, CodeNoNode
	case parent.stat.EphemeralOwner != 0:
		return "", Stat{}, CodeNoChildrenForEphemerals
	}
	path := r.Path
	if r.Flags.Sequential() {
		path += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	if s.mu.nodes[path] != nil {
		return "", Stat{}, CodeNodeExists
	}
	s.mu.zxid++
	n := &fakeNode{data: r.Data, acl: r.ACL, stat: Stat{
		Czxid: s.mu.zxid, Mzxid: s.mu.zxid, Pzxid: s.mu.zxid, Ctime: 1, Mtime: 1,
		DataLength: int32(len(r.Data)),
	}}
	if r.Flags.Ephemeral() {
		n.stat.EphemeralOwner = fakeSession
	}
	s.mu.nodes[path] = n
	parent.stat.Cversion++
	parent.stat.NumChildren++
	parent.stat.Pzxid = s.mu.zxid
	s.fireLocked(path, EventNodeCreated)
	s.fireLocked(parentPath, EventNodeChildrenChanged)
	return path, n.stat, CodeOK
}

// REQUIRES: s.mu
func (s *fakeZK) setDataLocked(r *SetDataRequest) (Stat, Code) {
	n, code := s.nodeLocked(r.Path, false, 0)
	switch {
	case n == nil:
		return Stat{}, code
	case r.Version != -1 && r.Version != n.stat.Version:
		return Stat{}, CodeBadVersion
	}
	s.mu.zxid++
	n.data = r.Data
	n.stat.Version++
	n.stat.Mzxid = s.mu.zxid
	n.stat.DataLength = int32(len(r.Data))
	s.fireLocked(r.Path, EventNodeDataChanged)
	return n.stat, CodeOK
}

// REQUIRES: s.mu
func (s *fakeZK) deleteLocked(path string, version int32) Code {
	n, code := s.nodeLocked(path, false, 0)
	switch {
	case n == nil:
		return code
	case path == "/":
		return CodeBadArguments
	case version != -1 && version != n.stat.Version:
		return CodeBadVersion
	case n.stat.NumChildren > 0:
		return CodeNotEmpty
	}
	s.mu.zxid++
	delete(s.mu.nodes, path)
	parent := s.mu.nodes[parentOf(path)]
	parent.stat.Cversion++
	parent.stat.NumChildren--
	parent.stat.Pzxid = s.mu.zxid
	s.fireLocked(path, EventNodeDeleted)
	s.fireLocked(parentOf(path), EventNodeChildrenChanged)
	return CodeOK
}

// multiLocked applies all operations or none. On failure every result is an
// error: ZOK before the failing operation, its code, then
// ZRUNTIMEINCONSISTENCY, and the reply header still carries ZOK.
//
// REQUIRES: s.mu
func (s *fakeZK) multiLocked(m *MultiRequest) *MultiResponse {
	saved := maps.Clone(s.mu.nodes)
	for p, n := range saved {
		saved[p] = &fakeNode{data: n.data, acl: n.acl, stat: n.stat}
	}
	savedWatches := maps.Clone(s.mu.watches)
	savedZxid, savedPending := s.mu.zxid, len(s.mu.pending)
	results := make([]MultiResult, len(m.Ops))
	for i, op := range m.Ops {
		var code Code
		switch r := op.(type) {
		case *CreateRequest:
			results[i].Op = OpCreate
			results[i].Path, _, code = s.createLocked(r)
		case *SetDataRequest:
			results[i].Op = OpSetData
			results[i].Stat, code = s.setDataLocked(r)
		case *DeleteRequest:
			results[i].Op = OpDelete
			code = s.deleteLocked(r.Path, r.Version)
		case *CheckVersionRequest:
			results[i].Op = OpCheck
			if n, c := s.nodeLocked(r.Path, false, 0); n == nil {
				code = c
			} else if r.Version != -1 && r.Version != n.stat.Version {
				code = CodeBadVersion
			}
		default:
			code = CodeUnimplemented
		}
		if code != CodeOK {
			s.mu.nodes, s.mu.watches, s.mu.zxid = saved, savedWatches, savedZxid
			s.mu.pending = s.mu.pending[:savedPending]
			for j := range results {
				results[j] = MultiResult{Op: OpError, Err: CodeOK}
				if j == i {
					results[j].Err = code
				} else if j > i {
					results[j].Err = CodeRuntimeInconsistency
				}
			}
			break
		}
	}
	return &MultiResponse{Results: results}
}

func (s *fakeZK) dropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.mu.conns {
		c.Close()
	}
}

func (s *fakeZK) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.errs = append(s.mu.errs, err)
}

func (s *fakeZK) errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mu.errs)
}

func (s *fakeZK) connects() []ConnectRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mu.connects)
}

func (s *fakeZK) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mu.seen)
}

func (s *fakeZK) lastZxid() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.zxid
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var errNotSeen = errors.New("request not seen")

// findRequest returns the first request the server decoded that matches.
func findRequest[T Request](s *fakeZK, match func(T) bool) (T, RequestHeader, error) {
	for _, r := range s.requests() {
		if v, ok := r.req.(T); ok && match(v) {
			return v, r.hdr, nil
		}
	}
	var zero T
	return zero, RequestHeader{}, errNotSeen
}
