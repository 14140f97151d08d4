package jute

import (
	"errors"
	"strconv"
)

// Sentinel errors. Functions of this package wrap them with context; match
// them with errors.Is. CodeOf maps each to the ZooKeeper code a server
// answers with.
var (
	// ErrMalformed reports input that is not a valid encoding of the record
	// expected: truncated, a negative length other than -1, a length or count
	// larger than the remaining input, an operation not allowed where it
	// appears, or bytes left over after the record.
	ErrMalformed = errors.New("jute: malformed input")

	// ErrFrameTooLarge reports a frame length prefix that is negative or
	// larger than the limit given to ReadFrame. The body is not read.
	ErrFrameTooLarge = errors.New("jute: frame length out of range")

	// ErrUnimplemented reports an opcode this package has no record for.
	ErrUnimplemented = errors.New("jute: unimplemented opcode")

	// ErrBadPath reports a znode path that breaks ZooKeeper's path rules.
	ErrBadPath = errors.New("jute: invalid path")
)

// CodeOf returns the ZooKeeper error code a server sends for err when err
// wraps one of this package's sentinels: ZMARSHALLINGERROR for ErrMalformed
// and ErrFrameTooLarge, ZUNIMPLEMENTED for ErrUnimplemented, ZBADARGUMENTS
// for ErrBadPath, and ZOK for nil. For any other error it returns
// ZSYSTEMERROR and false.
func CodeOf(err error) (Code, bool) {
	switch {
	case err == nil:
		return CodeOK, true
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrFrameTooLarge):
		return CodeMarshallingError, true
	case errors.Is(err, ErrUnimplemented):
		return CodeUnimplemented, true
	case errors.Is(err, ErrBadPath):
		return CodeBadArguments, true
	}
	return CodeSystemError, false
}

// Code is a ZooKeeper error code, as carried in ReplyHeader.Err,
// MultiHeader.Err and ErrorResponse. The names follow the C client (ZOK,
// ZNONODE...); the numbers are the protocol's and never change.
type Code int32

// Error codes. The system errors (-1 to -99) report server or connection
// trouble, the API errors (-100 and below) report a request the server
// refused.
const (
	CodeOK                           Code = 0    // ZOK
	CodeSystemError                  Code = -1   // ZSYSTEMERROR
	CodeRuntimeInconsistency         Code = -2   // ZRUNTIMEINCONSISTENCY
	CodeDataInconsistency            Code = -3   // ZDATAINCONSISTENCY
	CodeConnectionLoss               Code = -4   // ZCONNECTIONLOSS
	CodeMarshallingError             Code = -5   // ZMARSHALLINGERROR
	CodeUnimplemented                Code = -6   // ZUNIMPLEMENTED
	CodeOperationTimeout             Code = -7   // ZOPERATIONTIMEOUT
	CodeBadArguments                 Code = -8   // ZBADARGUMENTS
	CodeInvalidState                 Code = -9   // ZINVALIDSTATE (C client only)
	CodeUnknownSession               Code = -12  // ZUNKNOWNSESSION
	CodeNewConfigNoQuorum            Code = -13  // ZNEWCONFIGNOQUORUM
	CodeReconfigInProgress           Code = -14  // ZRECONFIGINPROGRESS
	CodeAPIError                     Code = -100 // ZAPIERROR
	CodeNoNode                       Code = -101 // ZNONODE
	CodeNoAuth                       Code = -102 // ZNOAUTH
	CodeBadVersion                   Code = -103 // ZBADVERSION
	CodeNoChildrenForEphemerals      Code = -108 // ZNOCHILDRENFOREPHEMERALS
	CodeNodeExists                   Code = -110 // ZNODEEXISTS
	CodeNotEmpty                     Code = -111 // ZNOTEMPTY
	CodeSessionExpired               Code = -112 // ZSESSIONEXPIRED
	CodeInvalidCallback              Code = -113 // ZINVALIDCALLBACK
	CodeInvalidACL                   Code = -114 // ZINVALIDACL
	CodeAuthFailed                   Code = -115 // ZAUTHFAILED
	CodeClosing                      Code = -116 // ZCLOSING
	CodeNothing                      Code = -117 // ZNOTHING
	CodeSessionMoved                 Code = -118 // ZSESSIONMOVED
	CodeNotReadOnly                  Code = -119 // ZNOTREADONLY
	CodeEphemeralOnLocalSession      Code = -120 // ZEPHEMERALONLOCALSESSION
	CodeNoWatcher                    Code = -121 // ZNOWATCHER
	CodeRequestTimeout               Code = -122 // ZREQUESTTIMEOUT
	CodeReconfigDisabled             Code = -123 // ZRECONFIGDISABLED
	CodeSessionClosedRequireSASLAuth Code = -124 // ZSESSIONCLOSEDREQUIRESASLAUTH
	CodeQuotaExceeded                Code = -125 // ZQUOTAEXCEEDED
	CodeThrottledOp                  Code = -127 // ZTHROTTLEDOP
)

var codeNames = map[Code]string{
	CodeOK:                           "ZOK",
	CodeSystemError:                  "ZSYSTEMERROR",
	CodeRuntimeInconsistency:         "ZRUNTIMEINCONSISTENCY",
	CodeDataInconsistency:            "ZDATAINCONSISTENCY",
	CodeConnectionLoss:               "ZCONNECTIONLOSS",
	CodeMarshallingError:             "ZMARSHALLINGERROR",
	CodeUnimplemented:                "ZUNIMPLEMENTED",
	CodeOperationTimeout:             "ZOPERATIONTIMEOUT",
	CodeBadArguments:                 "ZBADARGUMENTS",
	CodeInvalidState:                 "ZINVALIDSTATE",
	CodeUnknownSession:               "ZUNKNOWNSESSION",
	CodeNewConfigNoQuorum:            "ZNEWCONFIGNOQUORUM",
	CodeReconfigInProgress:           "ZRECONFIGINPROGRESS",
	CodeAPIError:                     "ZAPIERROR",
	CodeNoNode:                       "ZNONODE",
	CodeNoAuth:                       "ZNOAUTH",
	CodeBadVersion:                   "ZBADVERSION",
	CodeNoChildrenForEphemerals:      "ZNOCHILDRENFOREPHEMERALS",
	CodeNodeExists:                   "ZNODEEXISTS",
	CodeNotEmpty:                     "ZNOTEMPTY",
	CodeSessionExpired:               "ZSESSIONEXPIRED",
	CodeInvalidCallback:              "ZINVALIDCALLBACK",
	CodeInvalidACL:                   "ZINVALIDACL",
	CodeAuthFailed:                   "ZAUTHFAILED",
	CodeClosing:                      "ZCLOSING",
	CodeNothing:                      "ZNOTHING",
	CodeSessionMoved:                 "ZSESSIONMOVED",
	CodeNotReadOnly:                  "ZNOTREADONLY",
	CodeEphemeralOnLocalSession:      "ZEPHEMERALONLOCALSESSION",
	CodeNoWatcher:                    "ZNOWATCHER",
	CodeRequestTimeout:               "ZREQUESTTIMEOUT",
	CodeReconfigDisabled:             "ZRECONFIGDISABLED",
	CodeSessionClosedRequireSASLAuth: "ZSESSIONCLOSEDREQUIRESASLAUTH",
	CodeQuotaExceeded:                "ZQUOTAEXCEEDED",
	CodeThrottledOp:                  "ZTHROTTLEDOP",
}

// String returns the code's C-client name, such as "ZNONODE", or
// "Code(n)" for a number ZooKeeper does not define.
func (c Code) String() string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Known reports whether ZooKeeper defines c.
func (c Code) Known() bool {
	_, ok := codeNames[c]
	return ok
}
