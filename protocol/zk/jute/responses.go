package jute

// CreateResponse answers create with the new znode's path, which differs
// from the requested one for sequential znodes.
type CreateResponse struct{ Path string }

// Encode implements Record.
func (r *CreateResponse) Encode(e *Encoder) { e.UString(r.Path) }

// Decode implements Record.
func (r *CreateResponse) Decode(d *Decoder) { r.Path = d.UString() }

// Create2Response answers create2, createContainer and createTTL with the
// new znode's path and Stat.
type Create2Response struct {
	Path string
	Stat Stat
}

// Encode implements Record.
func (r *Create2Response) Encode(e *Encoder) { e.UString(r.Path); r.Stat.Encode(e) }

// Decode implements Record.
func (r *Create2Response) Decode(d *Decoder) { r.Path = d.UString(); r.Stat.Decode(d) }

// ExistsResponse answers exists for a znode that exists; for one that does
// not, the reply carries ZNONODE and no body.
type ExistsResponse struct{ Stat Stat }

// Encode implements Record.
func (r *ExistsResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode implements Record.
func (r *ExistsResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetDataResponse answers getData, and reconfig with the new configuration.
type GetDataResponse struct {
	Data []byte // nil for a znode created with null data
	Stat Stat
}

// Encode implements Record.
func (r *GetDataResponse) Encode(e *Encoder) { e.Buffer(r.Data); r.Stat.Encode(e) }

// Decode implements Record.
func (r *GetDataResponse) Decode(d *Decoder) { r.Data = d.Buffer(); r.Stat.Decode(d) }

// SetDataResponse answers setData with the znode's new Stat.
type SetDataResponse struct{ Stat Stat }

// Encode implements Record.
func (r *SetDataResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode implements Record.
func (r *SetDataResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetACLResponse answers getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

// Encode implements Record.
func (r *GetACLResponse) Encode(e *Encoder) { encodeACLs(e, r.ACL); r.Stat.Encode(e) }

// Decode implements Record.
func (r *GetACLResponse) Decode(d *Decoder) { r.ACL = decodeACLs(d); r.Stat.Decode(d) }

// SetACLResponse answers setACL with the znode's new Stat.
type SetACLResponse struct{ Stat Stat }

// Encode implements Record.
func (r *SetACLResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode implements Record.
func (r *SetACLResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetChildrenResponse answers getChildren with the children's names.
type GetChildrenResponse struct{ Children []string }

// Encode implements Record.
func (r *GetChildrenResponse) Encode(e *Encoder) { e.UStrings(r.Children) }

// Decode implements Record.
func (r *GetChildrenResponse) Decode(d *Decoder) { r.Children = d.UStrings() }

// GetChildren2Response answers getChildren2 with the children's names and
// the parent's Stat.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

// Encode implements Record.
func (r *GetChildren2Response) Encode(e *Encoder) { e.UStrings(r.Children); r.Stat.Encode(e) }

// Decode implements Record.
func (r *GetChildren2Response) Decode(d *Decoder) { r.Children = d.UStrings(); r.Stat.Decode(d) }

// SyncResponse answers sync with the request's path.
type SyncResponse struct{ Path string }

// Encode implements Record.
func (r *SyncResponse) Encode(e *Encoder) { e.UString(r.Path) }

// Decode implements Record.
func (r *SyncResponse) Decode(d *Decoder) { r.Path = d.UString() }

// SetSASLResponse answers sasl with the server's next SASL token.
type SetSASLResponse struct{ Token []byte }

// Encode implements Record.
func (r *SetSASLResponse) Encode(e *Encoder) { e.Buffer(r.Token) }

// Decode implements Record.
func (r *SetSASLResponse) Decode(d *Decoder) { r.Token = d.Buffer() }

// GetEphemeralsResponse answers getEphemerals with full paths.
type GetEphemeralsResponse struct{ Ephemerals []string }

// Encode implements Record.
func (r *GetEphemeralsResponse) Encode(e *Encoder) { e.UStrings(r.Ephemerals) }

// Decode implements Record.
func (r *GetEphemeralsResponse) Decode(d *Decoder) { r.Ephemerals = d.UStrings() }

// GetAllChildrenNumberResponse answers getAllChildrenNumber.
type GetAllChildrenNumberResponse struct{ TotalNumber int32 }

// Encode implements Record.
func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.Int32(r.TotalNumber) }

// Decode implements Record.
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) { r.TotalNumber = d.Int32() }

// WhoAmIResponse answers whoAmI with the session's identities.
type WhoAmIResponse struct{ ClientInfo []ClientInfo }

// clientInfoMinSize is the smallest encoding of a ClientInfo.
const clientInfoMinSize = 4 + 4

// Encode implements Record.
func (r *WhoAmIResponse) Encode(e *Encoder) {
	e.VectorLen(len(r.ClientInfo))
	for i := range r.ClientInfo {
		r.ClientInfo[i].Encode(e)
	}
}

// Decode implements Record. An empty or null vector reads as nil.
func (r *WhoAmIResponse) Decode(d *Decoder) {
	r.ClientInfo = nil
	n := d.VectorLen(clientInfoMinSize)
	if n == 0 {
		return
	}
	infos := make([]ClientInfo, n)
	for i := range infos {
		infos[i].Decode(d)
	}
	if d.err == nil {
		r.ClientInfo = infos
	}
}

// ErrorResponse is the body of a failed operation's result inside a multi
// response.
type ErrorResponse struct{ Err Code }

// Encode implements Record.
func (r *ErrorResponse) Encode(e *Encoder) { e.Int32(int32(r.Err)) }

// Decode implements Record.
func (r *ErrorResponse) Decode(d *Decoder) { r.Err = Code(d.Int32()) }
