package warren

import (
	"errors"
	"fmt"

	"github.com/warrenhq/warren/consensus/fsm/znode"
)

// ZKError is a coordination-service error carrying ZooKeeper's error number
// (the same numbers the ZooKeeper protocol sends). Match with errors.Is
// against the sentinels below.
type ZKError struct {
	// Code is ZooKeeper's error number, e.g. -101 for NoNode.
	Code int32
	// Path is the znode the operation addressed, when known.
	Path string
}

func (e *ZKError) Error() string {
	name, ok := zkErrorNames[e.Code]
	if !ok {
		name = fmt.Sprintf("error %d", e.Code)
	}
	if e.Path != "" {
		return "warren: " + name + ": " + e.Path
	}
	return "warren: " + name
}

// Is matches ZKErrors by code, so errors.Is(err, ErrNoNode) holds for any
// NoNode error whatever its path.
func (e *ZKError) Is(target error) bool {
	var t *ZKError
	return errors.As(target, &t) && t.Code == e.Code
}

// Coordination errors, with ZooKeeper's numbers.
var (
	ErrNoNode                  = &ZKError{Code: znode.ZNONODE}
	ErrNodeExists              = &ZKError{Code: znode.ZNODEEXISTS}
	ErrBadVersion              = &ZKError{Code: znode.ZBADVERSION}
	ErrNotEmpty                = &ZKError{Code: znode.ZNOTEMPTY}
	ErrNoChildrenForEphemerals = &ZKError{Code: znode.ZNOCHILDRENFOREPHEMERALS}
	ErrNoAuth                  = &ZKError{Code: znode.ZNOAUTH}
	ErrInvalidACL              = &ZKError{Code: znode.ZINVALIDACL}
	ErrBadArguments            = &ZKError{Code: znode.ZBADARGUMENTS}
	ErrRuntimeInconsistency    = &ZKError{Code: znode.ZRUNTIMEINCONSISTENCY}
	ErrSystem                  = &ZKError{Code: znode.ZSYSTEMERROR}
	ErrMarshalling             = &ZKError{Code: znode.ZMARSHALLINGERROR}
	// ErrSessionExpired: the session is closed or has expired; its
	// ephemerals are gone. Open a new session.
	ErrSessionExpired = &ZKError{Code: znode.ZSESSIONEXPIRED}
	// ErrAuthFailed: a session was re-attached with a wrong password.
	ErrAuthFailed = &ZKError{Code: -115}

	// ErrCrossNamespace: a Multi touched more than one namespace (first
	// path segment). Each namespace has its own Raft log, so Warren does
	// not apply such a Multi; nothing was applied.
	ErrCrossNamespace = errors.New("warren: multi spans more than one namespace")
	// ErrNeedsSession: an ephemeral znode was requested without a session.
	ErrNeedsSession = errors.New("warren: ephemeral znodes need a session")
)

var zkErrorNames = map[int32]string{
	znode.ZNONODE:                  "no node",
	znode.ZNODEEXISTS:              "node exists",
	znode.ZBADVERSION:              "bad version",
	znode.ZNOTEMPTY:                "directory not empty",
	znode.ZNOCHILDRENFOREPHEMERALS: "ephemeral nodes may not have children",
	znode.ZNOAUTH:                  "not authenticated",
	znode.ZINVALIDACL:              "invalid ACL",
	znode.ZBADARGUMENTS:            "bad arguments",
	znode.ZRUNTIMEINCONSISTENCY:    "runtime inconsistency",
	znode.ZSYSTEMERROR:             "system error",
	znode.ZMARSHALLINGERROR:        "marshalling error",
	znode.ZSESSIONEXPIRED:          "session expired",
	-115:                           "authentication failed",
}

func zkErr(code int32, path string) error {
	if code == znode.ZOK {
		return nil
	}
	return &ZKError{Code: code, Path: path}
}
