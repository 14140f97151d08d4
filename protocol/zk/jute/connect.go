package jute

// ConnectRequest is the first frame a client sends on a connection. It has no
// RequestHeader.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64 // the highest zxid the client has seen, 0 for a new session
	TimeOut         int32 // requested session timeout, milliseconds
	SessionID       int64 // 0 to create a session, else the session to resume
	Passwd          []byte
	ReadOnly        bool // the client accepts a read-only server
	// HasReadOnly reports whether the trailing readOnly byte was present;
	// clients older than ZooKeeper 3.4 omit it. Encode writes the byte only
	// when HasReadOnly is set.
	HasReadOnly bool
}

// Encode implements Record.
func (c *ConnectRequest) Encode(e *Encoder) {
	e.Int32(c.ProtocolVersion)
	e.Int64(c.LastZxidSeen)
	e.Int32(c.TimeOut)
	e.Int64(c.SessionID)
	e.Buffer(c.Passwd)
	if c.HasReadOnly {
		e.Bool(c.ReadOnly)
	}
}

// Decode implements Record. The readOnly byte is read if any input remains.
func (c *ConnectRequest) Decode(d *Decoder) {
	c.ProtocolVersion = d.Int32()
	c.LastZxidSeen = d.Int64()
	c.TimeOut = d.Int32()
	c.SessionID = d.Int64()
	c.Passwd = d.Buffer()
	c.ReadOnly, c.HasReadOnly = false, false
	if d.err == nil && d.Remaining() > 0 {
		c.ReadOnly = d.Bool()
		c.HasReadOnly = true
	}
}

// DecodeConnectRequest decodes the body of a connection's first frame. The
// trailing readOnly byte is optional; any byte after it is an error.
func DecodeConnectRequest(body []byte) (ConnectRequest, error) {
	var c ConnectRequest
	if err := Unmarshal(body, &c); err != nil {
		return ConnectRequest{}, err
	}
	return c, nil
}

// ConnectResponse is the server's answer to a ConnectRequest, also without a
// header. A SessionID of 0 tells the client its session has expired.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32 // negotiated session timeout, milliseconds
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool // the server is read-only
	// HasReadOnly selects whether the readOnly byte is written; set it to
	// the request's HasReadOnly so that old clients get the layout they
	// expect. Decode sets it when the byte is present.
	HasReadOnly bool
}

// Encode implements Record.
func (c *ConnectResponse) Encode(e *Encoder) {
	e.Int32(c.ProtocolVersion)
	e.Int32(c.TimeOut)
	e.Int64(c.SessionID)
	e.Buffer(c.Passwd)
	if c.HasReadOnly {
		e.Bool(c.ReadOnly)
	}
}

// Decode implements Record. The readOnly byte is read if any input remains.
func (c *ConnectResponse) Decode(d *Decoder) {
	c.ProtocolVersion = d.Int32()
	c.TimeOut = d.Int32()
	c.SessionID = d.Int64()
	c.Passwd = d.Buffer()
	c.ReadOnly, c.HasReadOnly = false, false
	if d.err == nil && d.Remaining() > 0 {
		c.ReadOnly = d.Bool()
		c.HasReadOnly = true
	}
}

// DecodeConnectResponse decodes the body of the server's first frame.
func DecodeConnectResponse(body []byte) (ConnectResponse, error) {
	var c ConnectResponse
	if err := Unmarshal(body, &c); err != nil {
		return ConnectResponse{}, err
	}
	return c, nil
}

// EncodeConnectRequest appends c to e as a complete frame.
func EncodeConnectRequest(e *Encoder, c *ConnectRequest) {
	start := e.beginFrame()
	c.Encode(e)
	e.endFrame(start)
}

// EncodeConnectResponse appends c to e as a complete frame.
func EncodeConnectResponse(e *Encoder, c *ConnectResponse) {
	start := e.beginFrame()
	c.Encode(e)
	e.endFrame(start)
}
