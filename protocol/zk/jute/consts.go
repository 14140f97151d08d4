package jute

import "strconv"

// ProtocolVersion is the only ConnectRequest.ProtocolVersion ZooKeeper 3.x
// clients send and servers answer with.
const ProtocolVersion int32 = 0

// OpCode identifies an operation: RequestHeader.Type, MultiHeader.Type.
type OpCode int32

// Operation codes, numbered as ZooKeeper's ZooDefs.OpCode.
const (
	OpNotification         OpCode = 0
	OpCreate               OpCode = 1
	OpDelete               OpCode = 2
	OpExists               OpCode = 3
	OpGetData              OpCode = 4
	OpSetData              OpCode = 5
	OpGetACL               OpCode = 6
	OpSetACL               OpCode = 7
	OpGetChildren          OpCode = 8
	OpSync                 OpCode = 9
	OpPing                 OpCode = 11
	OpGetChildren2         OpCode = 12
	OpCheck                OpCode = 13
	OpMulti                OpCode = 14
	OpCreate2              OpCode = 15
	OpReconfig             OpCode = 16
	OpCheckWatches         OpCode = 17
	OpRemoveWatches        OpCode = 18
	OpCreateContainer      OpCode = 19
	OpDeleteContainer      OpCode = 20 // server-internal; never accepted from a client
	OpCreateTTL            OpCode = 21
	OpMultiRead            OpCode = 22
	OpAuth                 OpCode = 100
	OpSetWatches           OpCode = 101
	OpSASL                 OpCode = 102
	OpGetEphemerals        OpCode = 103
	OpGetAllChildrenNumber OpCode = 104
	OpSetWatches2          OpCode = 105
	OpAddWatch             OpCode = 106
	OpWhoAmI               OpCode = 107
	OpCreateSession        OpCode = -10 // server-internal
	OpCloseSession         OpCode = -11
	OpError                OpCode = -1 // a failed operation's result inside a multi response
)

var opNames = map[OpCode]string{
	OpNotification:         "notification",
	OpCreate:               "create",
	OpDelete:               "delete",
	OpExists:               "exists",
	OpGetData:              "getData",
	OpSetData:              "setData",
	OpGetACL:               "getACL",
	OpSetACL:               "setACL",
	OpGetChildren:          "getChildren",
	OpSync:                 "sync",
	OpPing:                 "ping",
	OpGetChildren2:         "getChildren2",
	OpCheck:                "check",
	OpMulti:                "multi",
	OpCreate2:              "create2",
	OpReconfig:             "reconfig",
	OpCheckWatches:         "checkWatches",
	OpRemoveWatches:        "removeWatches",
	OpCreateContainer:      "createContainer",
	OpDeleteContainer:      "deleteContainer",
	OpCreateTTL:            "createTTL",
	OpMultiRead:            "multiRead",
	OpAuth:                 "auth",
	OpSetWatches:           "setWatches",
	OpSASL:                 "sasl",
	OpGetEphemerals:        "getEphemerals",
	OpGetAllChildrenNumber: "getAllChildrenNumber",
	OpSetWatches2:          "setWatches2",
	OpAddWatch:             "addWatch",
	OpWhoAmI:               "whoAmI",
	OpCreateSession:        "createSession",
	OpCloseSession:         "closeSession",
	OpError:                "error",
}

// String returns the operation's ZooKeeper name, such as "getData", or
// "OpCode(n)" for a number ZooKeeper does not define.
func (o OpCode) String() string {
	if name, ok := opNames[o]; ok {
		return name
	}
	return "OpCode(" + strconv.Itoa(int(o)) + ")"
}

// Reserved xids. Client requests number their xids from 1 upwards; these
// negative ones mark packets that are not answers to such a request.
const (
	XidNotification int32 = -1 // server to client: a WatcherEvent
	XidPing         int32 = -2 // a ping and its reply
	XidAuth         int32 = -4 // an AuthPacket and its reply
	XidSetWatches   int32 = -8 // setWatches/setWatches2 sent while reconnecting, and its reply
)

// EventType is WatcherEvent.Type.
type EventType int32

// Event types, numbered as ZooKeeper's Watcher.Event.EventType.
const (
	EventNone                   EventType = -1 // a session state change, not a znode event
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

var eventNames = map[EventType]string{
	EventNone:                   "None",
	EventNodeCreated:            "NodeCreated",
	EventNodeDeleted:            "NodeDeleted",
	EventNodeDataChanged:        "NodeDataChanged",
	EventNodeChildrenChanged:    "NodeChildrenChanged",
	EventDataWatchRemoved:       "DataWatchRemoved",
	EventChildWatchRemoved:      "ChildWatchRemoved",
	EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

// String returns the event type's ZooKeeper name, such as "NodeCreated".
func (t EventType) String() string {
	if name, ok := eventNames[t]; ok {
		return name
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// State is WatcherEvent.State: the client session's state.
type State int32

// Keeper states, numbered as ZooKeeper's Watcher.Event.KeeperState.
const (
	StateUnknown           State = -1 // deprecated; never sent by 3.x servers
	StateDisconnected      State = 0
	StateNoSyncConnected   State = 1 // deprecated; never sent by 3.x servers
	StateSyncConnected     State = 3
	StateAuthFailed        State = 4
	StateConnectedReadOnly State = 5
	StateSaslAuthenticated State = 6
	StateClosed            State = 7
	StateExpired           State = -112
)

var stateNames = map[State]string{
	StateUnknown:           "Unknown",
	StateDisconnected:      "Disconnected",
	StateNoSyncConnected:   "NoSyncConnected",
	StateSyncConnected:     "SyncConnected",
	StateAuthFailed:        "AuthFailed",
	StateConnectedReadOnly: "ConnectedReadOnly",
	StateSaslAuthenticated: "SaslAuthenticated",
	StateClosed:            "Closed",
	StateExpired:           "Expired",
}

// String returns the state's ZooKeeper name, such as "SyncConnected".
func (s State) String() string {
	if name, ok := stateNames[s]; ok {
		return name
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// CreateMode is the flags field of create requests.
type CreateMode int32

// Create modes, numbered as ZooKeeper's CreateMode.
const (
	CreatePersistent                  CreateMode = 0
	CreateEphemeral                   CreateMode = 1
	CreatePersistentSequential        CreateMode = 2
	CreateEphemeralSequential         CreateMode = 3
	CreateContainer                   CreateMode = 4
	CreatePersistentWithTTL           CreateMode = 5
	CreatePersistentSequentialWithTTL CreateMode = 6
)

var createModeNames = [...]string{
	CreatePersistent:                  "PERSISTENT",
	CreateEphemeral:                   "EPHEMERAL",
	CreatePersistentSequential:        "PERSISTENT_SEQUENTIAL",
	CreateEphemeralSequential:         "EPHEMERAL_SEQUENTIAL",
	CreateContainer:                   "CONTAINER",
	CreatePersistentWithTTL:           "PERSISTENT_WITH_TTL",
	CreatePersistentSequentialWithTTL: "PERSISTENT_SEQUENTIAL_WITH_TTL",
}

// Valid reports whether m is one of the modes ZooKeeper defines; a server
// answers any other value with ZBADARGUMENTS.
func (m CreateMode) Valid() bool { return m >= 0 && int(m) < len(createModeNames) }

// Ephemeral reports whether nodes of mode m die with their session.
func (m CreateMode) Ephemeral() bool {
	return m == CreateEphemeral || m == CreateEphemeralSequential
}

// Sequential reports whether the server appends a sequence number to the
// name of nodes created with mode m.
func (m CreateMode) Sequential() bool {
	return m == CreatePersistentSequential || m == CreateEphemeralSequential ||
		m == CreatePersistentSequentialWithTTL
}

// Container reports whether m is CreateContainer.
func (m CreateMode) Container() bool { return m == CreateContainer }

// TTL reports whether nodes of mode m expire after a TTL.
func (m CreateMode) TTL() bool {
	return m == CreatePersistentWithTTL || m == CreatePersistentSequentialWithTTL
}

// String returns the mode's ZooKeeper name, such as "EPHEMERAL_SEQUENTIAL".
func (m CreateMode) String() string {
	if m.Valid() {
		return createModeNames[m]
	}
	return "CreateMode(" + strconv.Itoa(int(m)) + ")"
}

// AddWatchMode is AddWatchRequest.Mode.
type AddWatchMode int32

// Add-watch modes, numbered as ZooKeeper's AddWatchMode.
const (
	AddWatchPersistent          AddWatchMode = 0
	AddWatchPersistentRecursive AddWatchMode = 1
)

// String returns the mode's ZooKeeper name, such as "PERSISTENT".
func (m AddWatchMode) String() string {
	switch m {
	case AddWatchPersistent:
		return "PERSISTENT"
	case AddWatchPersistentRecursive:
		return "PERSISTENT_RECURSIVE"
	}
	return "AddWatchMode(" + strconv.Itoa(int(m)) + ")"
}

// WatcherType is the type field of checkWatches and removeWatches requests.
type WatcherType int32

// Watcher types, numbered as ZooKeeper's Watcher.WatcherType.
const (
	WatcherChildren WatcherType = 1
	WatcherData     WatcherType = 2
	WatcherAny      WatcherType = 3
	// WatcherPersistent and WatcherPersistentRecursive select persistent
	// watches added with addWatch; newer ZooKeeper releases define them.
	WatcherPersistent          WatcherType = 4
	WatcherPersistentRecursive WatcherType = 5
)

// String returns the watcher type's ZooKeeper name, such as "Children".
func (w WatcherType) String() string {
	switch w {
	case WatcherChildren:
		return "Children"
	case WatcherData:
		return "Data"
	case WatcherAny:
		return "Any"
	case WatcherPersistent:
		return "Persistent"
	case WatcherPersistentRecursive:
		return "PersistentRecursive"
	}
	return "WatcherType(" + strconv.Itoa(int(w)) + ")"
}

// ACL permission bits (ACL.Perms), as ZooKeeper's ZooDefs.Perms.
const (
	PermRead   int32 = 1 << 0
	PermWrite  int32 = 1 << 1
	PermCreate int32 = 1 << 2
	PermDelete int32 = 1 << 3
	PermAdmin  int32 = 1 << 4
	PermAll    int32 = PermRead | PermWrite | PermCreate | PermDelete | PermAdmin
)
