package coord

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/warrenhq/warren/actors"
	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/znode"
)

// Kind is the grain kind of the per-shard coordination grain.
const Kind = "zk"

// Methods of the grain.
const (
	// MethodOp applies an encoded znode op (znode.EncodeCreate, ...); the
	// reply is EncodeReply of its result.
	MethodOp = "op"
	// MethodRead answers an encoded znode query linearizably; the reply is
	// the query's encoded answer.
	MethodRead = "read"
)

// GrainID returns the id of the coordination grain of shard.
func GrainID(shard uint64) string { return strconv.FormatUint(shard, 10) }

// ShardOfID parses a grain id back to its shard.
func ShardOfID(id string) (uint64, bool) {
	s, err := strconv.ParseUint(id, 10, 64)
	return s, err == nil
}

// Register registers the coordination grain kind on rt.
func Register(rt *actors.Runtime) error {
	return rt.Register(Kind, func(string, string) actors.Grain { return grain{} })
}

type grain struct{}

// Concurrent: all state is in Raft, so concurrent ops share proposals.
func (grain) Concurrent() bool { return true }

func (grain) Receive(ctx *actors.Context, method string, payload []byte) ([]byte, error) {
	switch method {
	case MethodOp:
		if _, err := znode.DecodeOp(payload); err != nil {
			return nil, &actors.GrainError{Code: actors.CodeBadRequest, Message: "bad znode op: " + err.Error()}
		}
		r, err := ctx.Propose(znode.Kind, payload)
		if err != nil {
			return nil, err
		}
		return EncodeReply(r), nil
	case MethodRead:
		return ctx.Read(znode.Kind, payload)
	}
	return nil, &actors.GrainError{Code: actors.CodeBadRequest, Message: fmt.Sprintf("zk grain has no method %q", method)}
}

// EncodeReply encodes a znode op result with its zxid and Raft index.
func EncodeReply(r fsm.Result) []byte {
	b := binary.AppendUvarint(nil, r.Zxid)
	b = binary.AppendUvarint(b, r.Index)
	b = binary.AppendUvarint(b, uint64(r.Code))
	return append(b, r.Data...)
}

// DecodeReply decodes what EncodeReply produced.
func DecodeReply(b []byte) (fsm.Result, error) {
	var r fsm.Result
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return r, fmt.Errorf("coord: corrupt reply")
		}
		vals[i], b = v, b[n:]
	}
	if vals[2] > 1<<32-1 {
		return r, fmt.Errorf("coord: corrupt reply code")
	}
	r.Zxid, r.Index, r.Code, r.Data = vals[0], vals[1], fsm.Code(vals[2]), b
	return r, nil
}
