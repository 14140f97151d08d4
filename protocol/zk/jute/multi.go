package jute

// MultiRequest applies write operations atomically (opcode multi): all of
// them or none. Each operation is a *CreateRequest, *Create2Request,
// *CreateContainerRequest, *CreateTTLRequest, *DeleteRequest,
// *SetDataRequest or *CheckVersionRequest.
type MultiRequest struct{ Ops []Request }

// OpCode implements Request.
func (*MultiRequest) OpCode() OpCode { return OpMulti }

// Encode implements Record.
func (r *MultiRequest) Encode(e *Encoder) { encodeOps(e, r.Ops) }

// Decode implements Record. An operation that is not a write fails the
// decoder, as ZooKeeper refuses to deserialize it.
func (r *MultiRequest) Decode(d *Decoder) { r.Ops = decodeOps(d, multiWriteOp) }

// MultiReadRequest runs read operations in one round trip (opcode
// multiRead); each succeeds or fails on its own. Each operation is a
// *GetDataRequest or *GetChildrenRequest.
type MultiReadRequest struct{ Ops []Request }

// OpCode implements Request.
func (*MultiReadRequest) OpCode() OpCode { return OpMultiRead }

// Encode implements Record.
func (r *MultiReadRequest) Encode(e *Encoder) { encodeOps(e, r.Ops) }

// Decode implements Record. An operation that is not a read fails the
// decoder.
func (r *MultiReadRequest) Decode(d *Decoder) { r.Ops = decodeOps(d, multiReadOp) }

func multiWriteOp(op OpCode) bool {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpSetData, OpCheck:
		return true
	}
	return false
}

func multiReadOp(op OpCode) bool { return op == OpGetData || op == OpGetChildren }

// encodeOps writes each operation behind its MultiHeader, then the end
// marker. Like ZooKeeper's clients, it puts -1 in the operations' Err.
func encodeOps(e *Encoder, ops []Request) {
	for _, op := range ops {
		h := MultiHeader{Type: op.OpCode(), Err: -1}
		h.Encode(e)
		op.Encode(e)
	}
	end := multiEnd
	end.Encode(e)
}

// decodeOps reads operations up to the header marked done. The header's Err
// is ignored, and so are the done header's Type and Err, as in ZooKeeper.
func decodeOps(d *Decoder, allowed func(OpCode) bool) []Request {
	var ops []Request
	for d.err == nil {
		var h MultiHeader
		h.Decode(d)
		if d.err != nil || h.Done {
			break
		}
		if !allowed(h.Type) {
			d.failf("operation %s not allowed in this multi", h.Type)
			break
		}
		ops = append(ops, decodeOp(d, h.Type))
	}
	if d.err != nil {
		return nil
	}
	return ops
}

// MultiResult is the outcome of one operation of a multi or multiRead. Op
// says which fields are set:
//
//	OpCreate                    Path
//	OpCreate2                   Path, Stat (also for createContainer and createTTL)
//	OpDelete, OpCheck           none
//	OpSetData                   Stat
//	OpGetData                   Data, Stat
//	OpGetChildren               Children
//	OpError                     Err
//
// When a multi fails, ZooKeeper reports every result as OpError: ZOK for the
// operations before the failing one, its code for that one, and
// ZRUNTIMEINCONSISTENCY for those after; the ReplyHeader still carries ZOK,
// or clients would not read the results. A multiRead reports each failed
// read as OpError and the others normally.
type MultiResult struct {
	Op       OpCode
	Err      Code
	Path     string
	Stat     Stat
	Data     []byte
	Children []string
}

// MultiResponse answers multi and multiRead, one result per operation in
// request order.
type MultiResponse struct{ Results []MultiResult }

// Encode implements Record. Results for createContainer and createTTL are
// written as create2 results, which is how ZooKeeper reports them. A result
// whose Op is not in the table of MultiResult is a caller bug; it is written
// as an error result carrying ZSYSTEMERROR rather than as a frame no client
// could parse.
func (r *MultiResponse) Encode(e *Encoder) {
	for i := range r.Results {
		r.Results[i].encode(e)
	}
	end := multiEnd
	end.Encode(e)
}

func (m *MultiResult) encode(e *Encoder) {
	op := m.Op
	if op == OpCreateContainer || op == OpCreateTTL {
		op = OpCreate2
	}
	h := MultiHeader{Type: op}
	switch op {
	case OpCreate:
		h.Encode(e)
		e.UString(m.Path)
	case OpCreate2:
		h.Encode(e)
		e.UString(m.Path)
		m.Stat.Encode(e)
	case OpDelete, OpCheck:
		h.Encode(e)
	case OpSetData:
		h.Encode(e)
		m.Stat.Encode(e)
	case OpGetData:
		h.Encode(e)
		e.Buffer(m.Data)
		m.Stat.Encode(e)
	case OpGetChildren:
		h.Encode(e)
		e.UStrings(m.Children)
	case OpError:
		h.Err = m.Err
		h.Encode(e)
		e.Int32(int32(m.Err))
	default:
		h = MultiHeader{Type: OpError, Err: CodeSystemError}
		h.Encode(e)
		e.Int32(int32(CodeSystemError))
	}
}

// Decode implements Record.
func (r *MultiResponse) Decode(d *Decoder) {
	var results []MultiResult
	for d.err == nil {
		var h MultiHeader
		h.Decode(d)
		if d.err != nil || h.Done {
			break
		}
		m := MultiResult{Op: h.Type}
		switch h.Type {
		case OpCreate:
			m.Path = d.UString()
		case OpCreate2:
			m.Path = d.UString()
			m.Stat.Decode(d)
		case OpDelete, OpCheck:
		case OpSetData:
			m.Stat.Decode(d)
		case OpGetData:
			m.Data = d.Buffer()
			m.Stat.Decode(d)
		case OpGetChildren:
			m.Children = d.UStrings()
		case OpError:
			m.Err = Code(d.Int32())
		default:
			d.failf("result type %s not allowed in a multi response", h.Type)
		}
		results = append(results, m)
	}
	r.Results = nil
	if d.err == nil {
		r.Results = results
	}
}
