package jute

// Request is the body of a client request: the record that follows the
// RequestHeader, for the opcode OpCode returns.
type Request interface {
	Record
	OpCode() OpCode
}

// CreateRequest creates a znode (opcode create). Create2Request and
// CreateContainerRequest share its layout.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
}

// OpCode implements Request.
func (*CreateRequest) OpCode() OpCode { return OpCreate }

// Encode implements Record.
func (r *CreateRequest) Encode(e *Encoder) {
	e.UString(r.Path)
	e.Buffer(r.Data)
	encodeACLs(e, r.ACL)
	e.Int32(int32(r.Flags))
}

// Decode implements Record.
func (r *CreateRequest) Decode(d *Decoder) {
	r.Path = d.UString()
	r.Data = d.Buffer()
	r.ACL = decodeACLs(d)
	r.Flags = CreateMode(d.Int32())
}

// Create2Request is a CreateRequest whose response carries the new znode's
// Stat (opcode create2).
type Create2Request struct{ CreateRequest }

// OpCode implements Request.
func (*Create2Request) OpCode() OpCode { return OpCreate2 }

// CreateContainerRequest creates a container znode (opcode
// createContainer); its response is a Create2Response.
type CreateContainerRequest struct{ CreateRequest }

// OpCode implements Request.
func (*CreateContainerRequest) OpCode() OpCode { return OpCreateContainer }

// CreateTTLRequest creates a znode that expires TTL milliseconds after its
// last modification once it has no children (opcode createTTL); its response
// is a Create2Response.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
	TTL   int64 // milliseconds
}

// OpCode implements Request.
func (*CreateTTLRequest) OpCode() OpCode { return OpCreateTTL }

// Encode implements Record.
func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.UString(r.Path)
	e.Buffer(r.Data)
	encodeACLs(e, r.ACL)
	e.Int32(int32(r.Flags))
	e.Int64(r.TTL)
}

// Decode implements Record.
func (r *CreateTTLRequest) Decode(d *Decoder) {
	r.Path = d.UString()
	r.Data = d.Buffer()
	r.ACL = decodeACLs(d)
	r.Flags = CreateMode(d.Int32())
	r.TTL = d.Int64()
}

// DeleteRequest deletes a znode if its version matches, or at any version
// when Version is -1 (opcode delete).
type DeleteRequest struct {
	Path    string
	Version int32
}

// OpCode implements Request.
func (*DeleteRequest) OpCode() OpCode { return OpDelete }

// Encode implements Record.
func (r *DeleteRequest) Encode(e *Encoder) { e.UString(r.Path); e.Int32(r.Version) }

// Decode implements Record.
func (r *DeleteRequest) Decode(d *Decoder) { r.Path = d.UString(); r.Version = d.Int32() }

// CheckVersionRequest asserts a znode's version (opcode check), inside a
// multi or on its own.
type CheckVersionRequest struct {
	Path    string
	Version int32
}

// OpCode implements Request.
func (*CheckVersionRequest) OpCode() OpCode { return OpCheck }

// Encode implements Record.
func (r *CheckVersionRequest) Encode(e *Encoder) { e.UString(r.Path); e.Int32(r.Version) }

// Decode implements Record.
func (r *CheckVersionRequest) Decode(d *Decoder) { r.Path = d.UString(); r.Version = d.Int32() }

// ExistsRequest reads a znode's Stat, optionally leaving a watch that fires
// on its creation, deletion or change (opcode exists).
type ExistsRequest struct {
	Path  string
	Watch bool
}

// OpCode implements Request.
func (*ExistsRequest) OpCode() OpCode { return OpExists }

// Encode implements Record.
func (r *ExistsRequest) Encode(e *Encoder) { e.UString(r.Path); e.Bool(r.Watch) }

// Decode implements Record.
func (r *ExistsRequest) Decode(d *Decoder) { r.Path = d.UString(); r.Watch = d.Bool() }

// GetDataRequest reads a znode's data and Stat, optionally leaving a data
// watch (opcode getData).
type GetDataRequest struct {
	Path  string
	Watch bool
}

// OpCode implements Request.
func (*GetDataRequest) OpCode() OpCode { return OpGetData }

// Encode implements Record.
func (r *GetDataRequest) Encode(e *Encoder) { e.UString(r.Path); e.Bool(r.Watch) }

// Decode implements Record.
func (r *GetDataRequest) Decode(d *Decoder) { r.Path = d.UString(); r.Watch = d.Bool() }

// SetDataRequest replaces a znode's data if its version matches, or at any
// version when Version is -1 (opcode setData).
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

// OpCode implements Request.
func (*SetDataRequest) OpCode() OpCode { return OpSetData }

// Encode implements Record.
func (r *SetDataRequest) Encode(e *Encoder) {
	e.UString(r.Path)
	e.Buffer(r.Data)
	e.Int32(r.Version)
}

// Decode implements Record.
func (r *SetDataRequest) Decode(d *Decoder) {
	r.Path = d.UString()
	r.Data = d.Buffer()
	r.Version = d.Int32()
}

// GetACLRequest reads a znode's ACL (opcode getACL).
type GetACLRequest struct{ Path string }

// OpCode implements Request.
func (*GetACLRequest) OpCode() OpCode { return OpGetACL }

// Encode implements Record.
func (r *GetACLRequest) Encode(e *Encoder) { e.UString(r.Path) }

// Decode implements Record.
func (r *GetACLRequest) Decode(d *Decoder) { r.Path = d.UString() }

// SetACLRequest replaces a znode's ACL if its ACL version matches, or at
// any version when Version is -1 (opcode setACL).
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

// OpCode implements Request.
func (*SetACLRequest) OpCode() OpCode { return OpSetACL }

// Encode implements Record.
func (r *SetACLRequest) Encode(e *Encoder) {
	e.UString(r.Path)
	encodeACLs(e, r.ACL)
	e.Int32(r.Version)
}

// Decode implements Record.
func (r *SetACLRequest) Decode(d *Decoder) {
	r.Path = d.UString()
	r.ACL = decodeACLs(d)
	r.Version = d.Int32()
}

// GetChildrenRequest lists a znode's children, optionally leaving a child
// watch (opcode getChildren).
type GetChildrenRequest struct {
	Path  string
	Watch bool
}

// OpCode implements Request.
func (*GetChildrenRequest) OpCode() OpCode { return OpGetChildren }

// Encode implements Record.
func (r *GetChildrenRequest) Encode(e *Encoder) { e.UString(r.Path); e.Bool(r.Watch) }

// Decode implements Record.
func (r *GetChildrenRequest) Decode(d *Decoder) { r.Path = d.UString(); r.Watch = d.Bool() }

// GetChildren2Request is a GetChildrenRequest whose response also carries
// the parent's Stat (opcode getChildren2).
type GetChildren2Request struct{ GetChildrenRequest }

// OpCode implements Request.
func (*GetChildren2Request) OpCode() OpCode { return OpGetChildren2 }

// SyncRequest asks the server to catch up with the leader before answering
// (opcode sync).
type SyncRequest struct{ Path string }

// OpCode implements Request.
func (*SyncRequest) OpCode() OpCode { return OpSync }

// Encode implements Record.
func (r *SyncRequest) Encode(e *Encoder) { e.UString(r.Path) }

// Decode implements Record.
func (r *SyncRequest) Decode(d *Decoder) { r.Path = d.UString() }

// ReconfigRequest changes the ensemble's membership (opcode reconfig). The
// server strings are comma-separated server specifications; CurConfigID is
// the expected current configuration version, or -1.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

// OpCode implements Request.
func (*ReconfigRequest) OpCode() OpCode { return OpReconfig }

// Encode implements Record.
func (r *ReconfigRequest) Encode(e *Encoder) {
	e.UString(r.JoiningServers)
	e.UString(r.LeavingServers)
	e.UString(r.NewMembers)
	e.Int64(r.CurConfigID)
}

// Decode implements Record.
func (r *ReconfigRequest) Decode(d *Decoder) {
	r.JoiningServers = d.UString()
	r.LeavingServers = d.UString()
	r.NewMembers = d.UString()
	r.CurConfigID = d.Int64()
}

// GetAllChildrenNumberRequest counts all descendants of a znode (opcode
// getAllChildrenNumber).
type GetAllChildrenNumberRequest struct{ Path string }

// OpCode implements Request.
func (*GetAllChildrenNumberRequest) OpCode() OpCode { return OpGetAllChildrenNumber }

// Encode implements Record.
func (r *GetAllChildrenNumberRequest) Encode(e *Encoder) { e.UString(r.Path) }

// Decode implements Record.
func (r *GetAllChildrenNumberRequest) Decode(d *Decoder) { r.Path = d.UString() }
