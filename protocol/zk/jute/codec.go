package jute

import "fmt"

// Every record DecodeRequest and DecodeResponse return.
var (
	_ Request = (*CreateRequest)(nil)
	_ Request = (*Create2Request)(nil)
	_ Request = (*CreateContainerRequest)(nil)
	_ Request = (*CreateTTLRequest)(nil)
	_ Request = (*DeleteRequest)(nil)
	_ Request = (*ExistsRequest)(nil)
	_ Request = (*GetDataRequest)(nil)
	_ Request = (*SetDataRequest)(nil)
	_ Request = (*GetACLRequest)(nil)
	_ Request = (*SetACLRequest)(nil)
	_ Request = (*GetChildrenRequest)(nil)
	_ Request = (*GetChildren2Request)(nil)
	_ Request = (*SyncRequest)(nil)
	_ Request = (*CheckVersionRequest)(nil)
	_ Request = (*MultiRequest)(nil)
	_ Request = (*MultiReadRequest)(nil)
	_ Request = (*ReconfigRequest)(nil)
	_ Request = (*CheckWatchesRequest)(nil)
	_ Request = (*RemoveWatchesRequest)(nil)
	_ Request = (*AuthPacket)(nil)
	_ Request = (*SetWatches)(nil)
	_ Request = (*SetWatches2)(nil)
	_ Request = (*GetSASLRequest)(nil)
	_ Request = (*GetEphemeralsRequest)(nil)
	_ Request = (*GetAllChildrenNumberRequest)(nil)
	_ Request = (*AddWatchRequest)(nil)
	_ Request = (*PingRequest)(nil)
	_ Request = (*CloseSessionRequest)(nil)
	_ Request = (*WhoAmIRequest)(nil)

	_ Record = (*CreateResponse)(nil)
	_ Record = (*Create2Response)(nil)
	_ Record = (*ExistsResponse)(nil)
	_ Record = (*GetDataResponse)(nil)
	_ Record = (*SetDataResponse)(nil)
	_ Record = (*GetACLResponse)(nil)
	_ Record = (*SetACLResponse)(nil)
	_ Record = (*GetChildrenResponse)(nil)
	_ Record = (*GetChildren2Response)(nil)
	_ Record = (*SyncResponse)(nil)
	_ Record = (*MultiResponse)(nil)
	_ Record = (*SetSASLResponse)(nil)
	_ Record = (*GetEphemeralsResponse)(nil)
	_ Record = (*GetAllChildrenNumberResponse)(nil)
	_ Record = (*WhoAmIResponse)(nil)
	_ Record = (*ErrorResponse)(nil)
	_ Record = (*WatcherEvent)(nil)
)

// DecodeRequest decodes the body of a request frame, the bytes after hdr
// (see DecodeRequestHeader), into the record for hdr.Type. It returns an
// error wrapping ErrUnimplemented for an opcode clients do not send, and one
// wrapping ErrMalformed for a body that is truncated, malformed or followed
// by extra bytes.
//
// The dynamic type of the result is a pointer to the record: *GetDataRequest
// for OpGetData, *Create2Request for OpCreate2, *PingRequest for OpPing, and
// so on; its OpCode method returns hdr.Type.
func DecodeRequest(hdr RequestHeader, body []byte) (Request, error) {
	d := Decoder{buf: body}
	var r Request
	switch hdr.Type {
	case OpMulti:
		m := new(MultiRequest)
		m.Decode(&d)
		r = m
	case OpMultiRead:
		m := new(MultiReadRequest)
		m.Decode(&d)
		r = m
	default:
		r = decodeOp(&d, hdr.Type)
		if r == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnimplemented, hdr.Type)
		}
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("decoding %s request: %w", hdr.Type, err)
	}
	return r, nil
}

// decodeOp decodes the record of every single (non-multi) request opcode,
// and returns nil without reading for any other opcode. It switches over
// concrete types so that d does not escape to the heap.
func decodeOp(d *Decoder, op OpCode) Request {
	switch op {
	case OpCreate:
		r := new(CreateRequest)
		r.Decode(d)
		return r
	case OpCreate2:
		r := new(Create2Request)
		r.Decode(d)
		return r
	case OpCreateContainer:
		r := new(CreateContainerRequest)
		r.Decode(d)
		return r
	case OpCreateTTL:
		r := new(CreateTTLRequest)
		r.Decode(d)
		return r
	case OpDelete:
		r := new(DeleteRequest)
		r.Decode(d)
		return r
	case OpExists:
		r := new(ExistsRequest)
		r.Decode(d)
		return r
	case OpGetData:
		r := new(GetDataRequest)
		r.Decode(d)
		return r
	case OpSetData:
		r := new(SetDataRequest)
		r.Decode(d)
		return r
	case OpGetACL:
		r := new(GetACLRequest)
		r.Decode(d)
		return r
	case OpSetACL:
		r := new(SetACLRequest)
		r.Decode(d)
		return r
	case OpGetChildren:
		r := new(GetChildrenRequest)
		r.Decode(d)
		return r
	case OpGetChildren2:
		r := new(GetChildren2Request)
		r.Decode(d)
		return r
	case OpSync:
		r := new(SyncRequest)
		r.Decode(d)
		return r
	case OpCheck:
		r := new(CheckVersionRequest)
		r.Decode(d)
		return r
	}
	return decodeSessionOp(d, op)
}

// decodeSessionOp is decodeOp for the opcodes that are not znode reads or
// writes.
func decodeSessionOp(d *Decoder, op OpCode) Request {
	switch op {
	case OpPing:
		return new(PingRequest)
	case OpCloseSession:
		return new(CloseSessionRequest)
	case OpWhoAmI:
		return new(WhoAmIRequest)
	case OpReconfig:
		r := new(ReconfigRequest)
		r.Decode(d)
		return r
	case OpCheckWatches:
		r := new(CheckWatchesRequest)
		r.Decode(d)
		return r
	case OpRemoveWatches:
		r := new(RemoveWatchesRequest)
		r.Decode(d)
		return r
	case OpAuth:
		r := new(AuthPacket)
		r.Decode(d)
		return r
	case OpSetWatches:
		r := new(SetWatches)
		r.Decode(d)
		return r
	case OpSASL:
		r := new(GetSASLRequest)
		r.Decode(d)
		return r
	case OpGetEphemerals:
		r := new(GetEphemeralsRequest)
		r.Decode(d)
		return r
	case OpGetAllChildrenNumber:
		r := new(GetAllChildrenNumberRequest)
		r.Decode(d)
		return r
	case OpSetWatches2:
		r := new(SetWatches2)
		r.Decode(d)
		return r
	case OpAddWatch:
		r := new(AddWatchRequest)
		r.Decode(d)
		return r
	}
	return nil
}

// EncodeRequest appends a complete request frame to e: the RequestHeader
// with xid and r's opcode, then r.
func EncodeRequest(e *Encoder, xid int32, r Request) {
	start := e.beginFrame()
	h := RequestHeader{Xid: xid, Type: r.OpCode()}
	h.Encode(e)
	r.Encode(e)
	e.endFrame(start)
}

// EncodeResponse appends a complete reply frame to e: hdr, then body unless
// body is nil. Send a nil body for operations whose reply has none (delete,
// check, setWatches, setWatches2, removeWatches, checkWatches, auth, ping,
// closeSession) and for every reply whose hdr.Err is not CodeOK. addWatch's
// reply carries an ErrorResponse.
func EncodeResponse(e *Encoder, hdr ReplyHeader, body Record) {
	start := e.beginFrame()
	hdr.Encode(e)
	if body != nil {
		body.Encode(e)
	}
	e.endFrame(start)
}

// EncodeNotification appends a complete notification frame to e: a
// ReplyHeader with xid XidNotification and zxid -1, as ZooKeeper 3.8 sends
// it, then ev.
func EncodeNotification(e *Encoder, ev *WatcherEvent) {
	EncodeResponse(e, ReplyHeader{Xid: XidNotification, Zxid: -1, Err: CodeOK}, ev)
}

// DecodeResponse decodes the body of a successful reply, the bytes after the
// ReplyHeader (see DecodeReplyHeader), for a request of opcode op; pass
// OpNotification for a frame with xid XidNotification. For opcodes whose
// reply has no body it returns a nil Record and requires an empty body. It
// returns errors wrapping ErrUnimplemented and ErrMalformed as DecodeRequest
// does.
//
// The dynamic type of the result is a pointer to the record:
// *GetDataResponse for OpGetData and OpReconfig, *Create2Response for
// OpCreate2, OpCreateContainer and OpCreateTTL, *MultiResponse for OpMulti
// and OpMultiRead, *WatcherEvent for OpNotification, and so on.
func DecodeResponse(op OpCode, body []byte) (Record, error) {
	r, known := newResponse(op)
	if !known {
		return nil, fmt.Errorf("%w: %s", ErrUnimplemented, op)
	}
	d := Decoder{buf: body}
	if r != nil {
		r.Decode(&d)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("decoding %s response: %w", op, err)
	}
	return r, nil
}

// newResponse returns a new record for op's reply body, nil for a reply
// without one, and false for an opcode with no reply this package knows.
func newResponse(op OpCode) (Record, bool) {
	switch op {
	case OpCreate:
		return new(CreateResponse), true
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		return new(Create2Response), true
	case OpExists:
		return new(ExistsResponse), true
	case OpGetData, OpReconfig:
		return new(GetDataResponse), true
	case OpSetData:
		return new(SetDataResponse), true
	case OpGetACL:
		return new(GetACLResponse), true
	case OpSetACL:
		return new(SetACLResponse), true
	case OpGetChildren:
		return new(GetChildrenResponse), true
	case OpGetChildren2:
		return new(GetChildren2Response), true
	case OpSync:
		return new(SyncResponse), true
	case OpMulti, OpMultiRead:
		return new(MultiResponse), true
	case OpSASL:
		return new(SetSASLResponse), true
	case OpGetEphemerals:
		return new(GetEphemeralsResponse), true
	case OpGetAllChildrenNumber:
		return new(GetAllChildrenNumberResponse), true
	case OpWhoAmI:
		return new(WhoAmIResponse), true
	case OpNotification:
		return new(WatcherEvent), true
	case OpAddWatch:
		// ZooKeeper answers addWatch with an ErrorResponse body (its err
		// field), and the Java client expects it.
		return new(ErrorResponse), true
	case OpDelete, OpCheck, OpPing, OpCloseSession, OpAuth, OpSetWatches, OpSetWatches2,
		OpRemoveWatches, OpCheckWatches:
		return nil, true
	}
	return nil, false
}
