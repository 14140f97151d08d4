package jute

// AuthPacket adds an identity to the session (opcode auth, xid XidAuth),
// such as scheme "digest" with auth "user:password". ZooKeeper answers with
// the request's xid, zxid 0 and no body, or closes the session with
// ZAUTHFAILED. Keep the zxid 0: go-zookeeper v1.0.4 re-sends auth on
// reconnect while reading its last zxid unsynchronised, so a non-zero zxid in
// the auth reply is a data race in that client.
type AuthPacket struct {
	Type   int32 // always 0 in practice
	Scheme string
	Auth   []byte
}

// OpCode implements Request.
func (*AuthPacket) OpCode() OpCode { return OpAuth }

// Encode implements Record.
func (r *AuthPacket) Encode(e *Encoder) {
	e.Int32(r.Type)
	e.UString(r.Scheme)
	e.Buffer(r.Auth)
}

// Decode implements Record.
func (r *AuthPacket) Decode(d *Decoder) {
	r.Type = d.Int32()
	r.Scheme = d.UString()
	r.Auth = d.Buffer()
}

// GetSASLRequest carries one client token of a SASL exchange (opcode sasl);
// the server answers with a SetSASLResponse.
type GetSASLRequest struct{ Token []byte }

// OpCode implements Request.
func (*GetSASLRequest) OpCode() OpCode { return OpSASL }

// Encode implements Record.
func (r *GetSASLRequest) Encode(e *Encoder) { e.Buffer(r.Token) }

// Decode implements Record.
func (r *GetSASLRequest) Decode(d *Decoder) { r.Token = d.Buffer() }

// GetEphemeralsRequest lists the session's ephemeral znodes whose paths
// start with PrefixPath (opcode getEphemerals).
type GetEphemeralsRequest struct{ PrefixPath string }

// OpCode implements Request.
func (*GetEphemeralsRequest) OpCode() OpCode { return OpGetEphemerals }

// Encode implements Record.
func (r *GetEphemeralsRequest) Encode(e *Encoder) { e.UString(r.PrefixPath) }

// Decode implements Record.
func (r *GetEphemeralsRequest) Decode(d *Decoder) { r.PrefixPath = d.UString() }

// PingRequest keeps the session alive (opcode ping, xid XidPing). It has no
// body.
type PingRequest struct{}

// OpCode implements Request.
func (*PingRequest) OpCode() OpCode { return OpPing }

// Encode implements Record.
func (*PingRequest) Encode(*Encoder) {}

// Decode implements Record.
func (*PingRequest) Decode(*Decoder) {}

// CloseSessionRequest ends the session (opcode closeSession). It has no body.
type CloseSessionRequest struct{}

// OpCode implements Request.
func (*CloseSessionRequest) OpCode() OpCode { return OpCloseSession }

// Encode implements Record.
func (*CloseSessionRequest) Encode(*Encoder) {}

// Decode implements Record.
func (*CloseSessionRequest) Decode(*Decoder) {}

// WhoAmIRequest asks which identities the session has authenticated as
// (opcode whoAmI). It has no body.
type WhoAmIRequest struct{}

// OpCode implements Request.
func (*WhoAmIRequest) OpCode() OpCode { return OpWhoAmI }

// Encode implements Record.
func (*WhoAmIRequest) Encode(*Encoder) {}

// Decode implements Record.
func (*WhoAmIRequest) Decode(*Decoder) {}
