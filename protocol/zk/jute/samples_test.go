package jute

// Sample values of every record, with every field set to something other
// than its zero value, shared by the round-trip, malformed-input, fuzz and
// benchmark tests.

var sampleStat = Stat{
	Czxid: 0x100000001, Mzxid: 0x100000002, Ctime: 1700000000000, Mtime: 1700000000500,
	Version: 3, Cversion: 4, Aversion: 5, EphemeralOwner: 0x1234567890abcdef,
	DataLength: 11, NumChildren: 2, Pzxid: 0x100000003,
}

var sampleACL = []ACL{
	{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}},
	{Perms: PermRead | PermAdmin, ID: ID{Scheme: "digest", ID: "bob:x0tL/pDSK5E2gCjE0c8AS2Xp6F4="}},
}

func sampleCreate() CreateRequest {
	return CreateRequest{Path: "/app/lock-", Data: []byte("payload"), ACL: sampleACL, Flags: CreateEphemeralSequential}
}

// sampleRequests returns one populated request of every opcode a client
// sends.
func sampleRequests() []Request {
	return []Request{
		ptr(sampleCreate()),
		&Create2Request{sampleCreate()},
		&CreateContainerRequest{CreateRequest{Path: "/c", Data: []byte{}, ACL: sampleACL[:1], Flags: CreateContainer}},
		&CreateTTLRequest{Path: "/ttl", Data: []byte("t"), ACL: sampleACL, Flags: CreatePersistentWithTTL, TTL: 60000},
		&DeleteRequest{Path: "/app/x", Version: -1},
		&ExistsRequest{Path: "/app", Watch: true},
		&GetDataRequest{Path: "/app/config", Watch: true},
		&SetDataRequest{Path: "/app/config", Data: []byte("v2"), Version: 7},
		&GetACLRequest{Path: "/app"},
		&SetACLRequest{Path: "/app", ACL: sampleACL, Version: 2},
		&GetChildrenRequest{Path: "/", Watch: true},
		&SyncRequest{Path: "/app"},
		&PingRequest{},
		&GetChildren2Request{GetChildrenRequest{Path: "/app", Watch: true}},
		&CheckVersionRequest{Path: "/app", Version: 9},
		&MultiRequest{Ops: []Request{
			ptr(sampleCreate()),
			&Create2Request{sampleCreate()},
			&CreateContainerRequest{CreateRequest{Path: "/c2", Flags: CreateContainer}},
			&CreateTTLRequest{Path: "/t2", Flags: CreatePersistentSequentialWithTTL, TTL: 1},
			&DeleteRequest{Path: "/d", Version: 1},
			&SetDataRequest{Path: "/s", Data: []byte("x"), Version: -1},
			&CheckVersionRequest{Path: "/app", Version: 3},
		}},
		&ReconfigRequest{JoiningServers: "server.4=h4:2888:3888;2181", LeavingServers: "2,3", NewMembers: "", CurConfigID: 0x200000000},
		&CheckWatchesRequest{Path: "/app", Type: WatcherData},
		&RemoveWatchesRequest{Path: "/app", Type: WatcherAny},
		&MultiReadRequest{Ops: []Request{
			&GetDataRequest{Path: "/a", Watch: true},
			&GetChildrenRequest{Path: "/b"},
		}},
		&AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("bob:secret")},
		&SetWatches{RelativeZxid: 0x300000007, DataWatches: []string{"/a", "/b"}, ExistWatches: []string{"/gone"}, ChildWatches: []string{"/"}},
		&GetSASLRequest{Token: []byte{1, 2, 3, 0, 255}},
		&GetEphemeralsRequest{PrefixPath: "/app"},
		&GetAllChildrenNumberRequest{Path: "/app"},
		&SetWatches2{
			RelativeZxid: 42, DataWatches: []string{"/a"}, ExistWatches: []string{"/e"}, ChildWatches: []string{"/c"},
			PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r", "/r2"},
		},
		&AddWatchRequest{Path: "/app", Mode: AddWatchPersistentRecursive},
		&WhoAmIRequest{},
		&CloseSessionRequest{},
	}
}

// clientOpCodes lists every opcode DecodeRequest accepts.
var clientOpCodes = []OpCode{
	OpCreate, OpDelete, OpExists, OpGetData, OpSetData, OpGetACL, OpSetACL, OpGetChildren,
	OpSync, OpPing, OpGetChildren2, OpCheck, OpMulti, OpCreate2, OpReconfig, OpCheckWatches,
	OpRemoveWatches, OpCreateContainer, OpCreateTTL, OpMultiRead, OpAuth, OpSetWatches, OpSASL,
	OpGetEphemerals, OpGetAllChildrenNumber, OpSetWatches2, OpAddWatch, OpWhoAmI, OpCloseSession,
}

// sampleResponse pairs a reply body with the opcode of its request; a nil
// Body is a reply without one.
type sampleResponse struct {
	Op   OpCode
	Body Record
}

func sampleResponses() []sampleResponse {
	return []sampleResponse{
		{OpCreate, &CreateResponse{Path: "/app/lock-0000000007"}},
		{OpCreate2, &Create2Response{Path: "/app/n", Stat: sampleStat}},
		{OpCreateContainer, &Create2Response{Path: "/c", Stat: sampleStat}},
		{OpCreateTTL, &Create2Response{Path: "/ttl", Stat: sampleStat}},
		{OpExists, &ExistsResponse{Stat: sampleStat}},
		{OpGetData, &GetDataResponse{Data: []byte("hello world"), Stat: sampleStat}},
		{OpReconfig, &GetDataResponse{Data: []byte("server.1=h1:2888:3888;2181\nversion=100000000"), Stat: sampleStat}},
		{OpSetData, &SetDataResponse{Stat: sampleStat}},
		{OpGetACL, &GetACLResponse{ACL: sampleACL, Stat: sampleStat}},
		{OpSetACL, &SetACLResponse{Stat: sampleStat}},
		{OpGetChildren, &GetChildrenResponse{Children: []string{"a", "b", "zk"}}},
		{OpGetChildren2, &GetChildren2Response{Children: []string{"a"}, Stat: sampleStat}},
		{OpSync, &SyncResponse{Path: "/app"}},
		{OpMulti, &MultiResponse{Results: []MultiResult{
			{Op: OpCreate, Path: "/a"},
			{Op: OpCreate2, Path: "/b", Stat: sampleStat},
			{Op: OpDelete},
			{Op: OpSetData, Stat: sampleStat},
			{Op: OpCheck},
		}}},
		{OpMulti, &MultiResponse{Results: []MultiResult{
			{Op: OpError, Err: CodeOK},
			{Op: OpError, Err: CodeNoNode},
			{Op: OpError, Err: CodeRuntimeInconsistency},
		}}},
		{OpMultiRead, &MultiResponse{Results: []MultiResult{
			{Op: OpGetData, Data: []byte("d"), Stat: sampleStat},
			{Op: OpGetChildren, Children: []string{"x", "y"}},
			{Op: OpError, Err: CodeNoAuth},
		}}},
		{OpSASL, &SetSASLResponse{Token: []byte("challenge")}},
		{OpGetEphemerals, &GetEphemeralsResponse{Ephemerals: []string{"/app/e1", "/app/e2"}}},
		{OpGetAllChildrenNumber, &GetAllChildrenNumberResponse{TotalNumber: 12345}},
		{OpWhoAmI, &WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}, {AuthScheme: "digest", User: "bob"}}}},
		{OpNotification, &WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/app/config"}},
		{OpDelete, nil},
		{OpCheck, nil},
		{OpPing, nil},
		{OpCloseSession, nil},
		{OpAuth, nil},
		{OpSetWatches, nil},
		{OpSetWatches2, nil},
		{OpAddWatch, &ErrorResponse{Err: CodeOK}},
		{OpRemoveWatches, nil},
		{OpCheckWatches, nil},
	}
}

// sampleRecords returns populated values of the records that are neither
// request nor reply bodies.
func sampleRecords() []Record {
	return []Record{
		ptr(sampleStat),
		&ID{Scheme: "ip", ID: "10.0.0.0/8"},
		&sampleACL[1],
		&RequestHeader{Xid: 17, Type: OpGetData},
		&ReplyHeader{Xid: 17, Zxid: 0x500000001, Err: CodeNoNode},
		&MultiHeader{Type: OpSetData, Done: false, Err: CodeBadVersion},
		&MultiHeader{Type: -1, Done: true, Err: -1},
		&ConnectRequest{ProtocolVersion: 0, LastZxidSeen: 99, TimeOut: 30000, SessionID: 0x1000, Passwd: make([]byte, 16), ReadOnly: true, HasReadOnly: true},
		&ConnectRequest{LastZxidSeen: 1, TimeOut: 4000, Passwd: []byte("0123456789abcdef")},
		&ConnectResponse{TimeOut: 30000, SessionID: 0x1000, Passwd: []byte("0123456789abcdef"), ReadOnly: false, HasReadOnly: true},
		&ConnectResponse{TimeOut: 4000, SessionID: 7, Passwd: []byte("p")},
		&WatcherEvent{Type: EventNone, State: StateExpired},
		&ClientInfo{AuthScheme: "sasl", User: "svc@REALM"},
		&ErrorResponse{Err: CodeNodeExists},
	}
}

// sampleRequestOf returns the sample request of opcode op.
func sampleRequestOf(op OpCode) Request {
	for _, r := range sampleRequests() {
		if r.OpCode() == op {
			return r
		}
	}
	panic("no sample request for " + op.String())
}

// sampleResponseOf returns the first sample reply body for opcode op.
func sampleResponseOf(op OpCode) Record {
	for _, s := range sampleResponses() {
		if s.Op == op {
			return s.Body
		}
	}
	panic("no sample response for " + op.String())
}

func ptr[T any](v T) *T { return &v }
