package jute

// Record is a jute record: a fixed sequence of fields encoded one after the
// other with no framing of its own. Decode reads the record's fields from d
// and leaves any error in d; callers check d.Err or d.Finish afterwards.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Unmarshal decodes body into r, requiring the record to use every byte.
func Unmarshal(body []byte, r Record) error {
	d := Decoder{buf: body}
	r.Decode(&d)
	return d.Finish()
}

// Stat is a znode's metadata (org.apache.zookeeper.data.Stat).
type Stat struct {
	Czxid          int64 // zxid of the change that created the znode
	Mzxid          int64 // zxid of the change that last modified its data
	Ctime          int64 // creation time, milliseconds since the epoch
	Mtime          int64 // last data modification time, milliseconds since the epoch
	Version        int32 // number of changes to the data
	Cversion       int32 // number of changes to the children
	Aversion       int32 // number of changes to the ACL
	EphemeralOwner int64 // owning session id if ephemeral, else 0
	DataLength     int32 // length of the data in bytes
	NumChildren    int32 // number of children
	Pzxid          int64 // zxid of the change that last modified the children
}

// statSize is the encoded size of a Stat.
const statSize = 8*4 + 4*3 + 8 + 4*2 + 8

// Encode implements Record.
func (s *Stat) Encode(e *Encoder) {
	e.Int64(s.Czxid)
	e.Int64(s.Mzxid)
	e.Int64(s.Ctime)
	e.Int64(s.Mtime)
	e.Int32(s.Version)
	e.Int32(s.Cversion)
	e.Int32(s.Aversion)
	e.Int64(s.EphemeralOwner)
	e.Int32(s.DataLength)
	e.Int32(s.NumChildren)
	e.Int64(s.Pzxid)
}

// Decode implements Record.
func (s *Stat) Decode(d *Decoder) {
	s.Czxid = d.Int64()
	s.Mzxid = d.Int64()
	s.Ctime = d.Int64()
	s.Mtime = d.Int64()
	s.Version = d.Int32()
	s.Cversion = d.Int32()
	s.Aversion = d.Int32()
	s.EphemeralOwner = d.Int64()
	s.DataLength = d.Int32()
	s.NumChildren = d.Int32()
	s.Pzxid = d.Int64()
}

// ID is an authenticated identity or an ACL's subject
// (org.apache.zookeeper.data.Id), such as {"world", "anyone"} or
// {"digest", "user:hash"}.
type ID struct {
	Scheme string
	ID     string
}

// Encode implements Record.
func (id *ID) Encode(e *Encoder) {
	e.UString(id.Scheme)
	e.UString(id.ID)
}

// Decode implements Record.
func (id *ID) Decode(d *Decoder) {
	id.Scheme = d.UString()
	id.ID = d.UString()
}

// ACL grants the permission bits Perms (PermRead...) to an identity.
type ACL struct {
	Perms int32
	ID    ID
}

// aclMinSize is the smallest encoding of an ACL: perms and two empty strings.
const aclMinSize = 4 + 4 + 4

// Encode implements Record.
func (a *ACL) Encode(e *Encoder) {
	e.Int32(a.Perms)
	a.ID.Encode(e)
}

// Decode implements Record.
func (a *ACL) Decode(d *Decoder) {
	a.Perms = d.Int32()
	a.ID.Decode(d)
}

// encodeACLs writes a vector of ACLs; nil is written as an empty vector.
func encodeACLs(e *Encoder, acl []ACL) {
	e.VectorLen(len(acl))
	for i := range acl {
		acl[i].Encode(e)
	}
}

// decodeACLs reads a vector of ACLs; an empty or null vector reads as nil.
func decodeACLs(d *Decoder) []ACL {
	n := d.VectorLen(aclMinSize)
	if n == 0 {
		return nil
	}
	acl := make([]ACL, n)
	for i := range acl {
		acl[i].Decode(d)
	}
	if d.err != nil {
		return nil
	}
	return acl
}

// RequestHeader starts every client frame after the connect request.
type RequestHeader struct {
	Xid  int32 // the client's request number, or one of the reserved Xid* values
	Type OpCode
}

// requestHeaderSize is the encoded size of a RequestHeader.
const requestHeaderSize = 8

// Encode implements Record.
func (h *RequestHeader) Encode(e *Encoder) {
	e.Int32(h.Xid)
	e.Int32(int32(h.Type))
}

// Decode implements Record.
func (h *RequestHeader) Decode(d *Decoder) {
	h.Xid = d.Int32()
	h.Type = OpCode(d.Int32())
}

// DecodeRequestHeader splits a request frame's body into its header and the
// rest, the operation's own record.
func DecodeRequestHeader(frame []byte) (RequestHeader, []byte, error) {
	var h RequestHeader
	d := Decoder{buf: frame}
	h.Decode(&d)
	if d.err != nil {
		return RequestHeader{}, nil, d.err
	}
	return h, frame[requestHeaderSize:], nil
}

// ReplyHeader starts every server frame after the connect response.
type ReplyHeader struct {
	Xid  int32 // the request's xid, or XidNotification for a watch event
	Zxid int64 // the last zxid the server has applied
	Err  Code
}

// replyHeaderSize is the encoded size of a ReplyHeader.
const replyHeaderSize = 16

// Encode implements Record.
func (h *ReplyHeader) Encode(e *Encoder) {
	e.Int32(h.Xid)
	e.Int64(h.Zxid)
	e.Int32(int32(h.Err))
}

// Decode implements Record.
func (h *ReplyHeader) Decode(d *Decoder) {
	h.Xid = d.Int32()
	h.Zxid = d.Int64()
	h.Err = Code(d.Int32())
}

// DecodeReplyHeader splits a reply frame's body into its header and the
// rest, the response record (empty when Err is not CodeOK).
func DecodeReplyHeader(frame []byte) (ReplyHeader, []byte, error) {
	var h ReplyHeader
	d := Decoder{buf: frame}
	h.Decode(&d)
	if d.err != nil {
		return ReplyHeader{}, nil, d.err
	}
	return h, frame[replyHeaderSize:], nil
}

// MultiHeader precedes each operation of a multi request and each result of
// a multi response; a header with Done set ends the sequence.
type MultiHeader struct {
	Type OpCode
	Done bool
	Err  Code
}

// multiHeaderSize is the encoded size of a MultiHeader.
const multiHeaderSize = 9

// multiEnd is the header that ends a multi sequence, as ZooKeeper writes it.
var multiEnd = MultiHeader{Type: -1, Done: true, Err: -1}

// Encode implements Record.
func (h *MultiHeader) Encode(e *Encoder) {
	e.Int32(int32(h.Type))
	e.Bool(h.Done)
	e.Int32(int32(h.Err))
}

// Decode implements Record.
func (h *MultiHeader) Decode(d *Decoder) {
	h.Type = OpCode(d.Int32())
	h.Done = d.Bool()
	h.Err = Code(d.Int32())
}

// WatcherEvent is the body of a notification, which the server sends with
// xid XidNotification when a watch fires or the session's state changes.
type WatcherEvent struct {
	Type  EventType
	State State
	Path  string // empty for session events
}

// Encode implements Record.
func (w *WatcherEvent) Encode(e *Encoder) {
	e.Int32(int32(w.Type))
	e.Int32(int32(w.State))
	e.UString(w.Path)
}

// Decode implements Record.
func (w *WatcherEvent) Decode(d *Decoder) {
	w.Type = EventType(d.Int32())
	w.State = State(d.Int32())
	w.Path = d.UString()
}

// ClientInfo is one identity a session has authenticated as, as whoAmI
// reports it.
type ClientInfo struct {
	AuthScheme string
	User       string
}

// Encode implements Record.
func (c *ClientInfo) Encode(e *Encoder) {
	e.UString(c.AuthScheme)
	e.UString(c.User)
}

// Decode implements Record.
func (c *ClientInfo) Decode(d *Decoder) {
	c.AuthScheme = d.UString()
	c.User = d.UString()
}
