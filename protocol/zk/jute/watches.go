package jute

// CheckWatchesRequest asks whether watches of a type are set on a path
// (opcode checkWatches).
type CheckWatchesRequest struct {
	Path string
	Type WatcherType
}

// OpCode implements Request.
func (*CheckWatchesRequest) OpCode() OpCode { return OpCheckWatches }

// Encode implements Record.
func (r *CheckWatchesRequest) Encode(e *Encoder) { e.UString(r.Path); e.Int32(int32(r.Type)) }

// Decode implements Record.
func (r *CheckWatchesRequest) Decode(d *Decoder) {
	r.Path = d.UString()
	r.Type = WatcherType(d.Int32())
}

// RemoveWatchesRequest removes the session's watches of a type from a path
// (opcode removeWatches).
type RemoveWatchesRequest struct {
	Path string
	Type WatcherType
}

// OpCode implements Request.
func (*RemoveWatchesRequest) OpCode() OpCode { return OpRemoveWatches }

// Encode implements Record.
func (r *RemoveWatchesRequest) Encode(e *Encoder) { e.UString(r.Path); e.Int32(int32(r.Type)) }

// Decode implements Record.
func (r *RemoveWatchesRequest) Decode(d *Decoder) {
	r.Path = d.UString()
	r.Type = WatcherType(d.Int32())
}

// SetWatches re-registers a reconnecting session's watches (opcode
// setWatches, xid XidSetWatches). The server fires at once every watch whose
// znode changed after RelativeZxid.
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

// OpCode implements Request.
func (*SetWatches) OpCode() OpCode { return OpSetWatches }

// Encode implements Record.
func (r *SetWatches) Encode(e *Encoder) {
	e.Int64(r.RelativeZxid)
	e.UStrings(r.DataWatches)
	e.UStrings(r.ExistWatches)
	e.UStrings(r.ChildWatches)
}

// Decode implements Record.
func (r *SetWatches) Decode(d *Decoder) {
	r.RelativeZxid = d.Int64()
	r.DataWatches = d.UStrings()
	r.ExistWatches = d.UStrings()
	r.ChildWatches = d.UStrings()
}

// SetWatches2 is SetWatches with the persistent watches added by addWatch
// (opcode setWatches2).
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

// OpCode implements Request.
func (*SetWatches2) OpCode() OpCode { return OpSetWatches2 }

// Encode implements Record.
func (r *SetWatches2) Encode(e *Encoder) {
	e.Int64(r.RelativeZxid)
	e.UStrings(r.DataWatches)
	e.UStrings(r.ExistWatches)
	e.UStrings(r.ChildWatches)
	e.UStrings(r.PersistentWatches)
	e.UStrings(r.PersistentRecursiveWatches)
}

// Decode implements Record.
func (r *SetWatches2) Decode(d *Decoder) {
	r.RelativeZxid = d.Int64()
	r.DataWatches = d.UStrings()
	r.ExistWatches = d.UStrings()
	r.ChildWatches = d.UStrings()
	r.PersistentWatches = d.UStrings()
	r.PersistentRecursiveWatches = d.UStrings()
}

// AddWatchRequest sets a persistent watch, optionally recursive, that
// survives firing (opcode addWatch).
type AddWatchRequest struct {
	Path string
	Mode AddWatchMode
}

// OpCode implements Request.
func (*AddWatchRequest) OpCode() OpCode { return OpAddWatch }

// Encode implements Record.
func (r *AddWatchRequest) Encode(e *Encoder) { e.UString(r.Path); e.Int32(int32(r.Mode)) }

// Decode implements Record.
func (r *AddWatchRequest) Decode(d *Decoder) {
	r.Path = d.UString()
	r.Mode = AddWatchMode(d.Int32())
}
