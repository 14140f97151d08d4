package httpapi

// The znode API: ZooKeeper's data model over HTTP and JSON.
//
//	GET    /api/zk/node?path=/a/b[&children=1]   ZKNode: data (base64), stat, and children if asked
//	GET    /api/zk/children?path=/a              ZKChildren: child names, sorted, and the parent's stat
//	GET    /api/zk/stat?path=/a/b                ZKStat, or 404 when the znode does not exist
//	POST   /api/zk/node                          body ZKCreateRequest; 201 ZKCreated
//	PUT    /api/zk/node                          body ZKSetRequest; 200 ZKStat
//	DELETE /api/zk/node?path=/a[&version=N]      204; &recursive=1 deletes the subtree, children first
//
// Failures answer with a ZKErrorBody. A ZooKeeper error carries its number
// and name (zk_code -101, zk_error "NONODE") and a status from zkCodes:
// NONODE 404, NODEEXISTS, BADVERSION, NOTEMPTY and NOCHILDRENFOREPHEMERALS
// 409, NOAUTH 403, BADARGUMENTS and INVALIDACL 400, the others 500. A
// malformed request is 400, a body over maxZKBody 413, a node that cannot
// serve (starting, closing, no shard leader: nothing was applied) 503, a
// deadline passed with the outcome unknown 504.
//
// The API has no sessions, so it cannot create ephemeral znodes: those modes
// answer 400 (warren.ErrNeedsSession). It acts with the "world" identity, so
// znodes whose ACL denies "world:anyone" answer 403. Reads through one node
// see every write made through that node's API before them (the Backend's
// ZK is one client for all requests); writes made through other nodes may
// show up a little later.
//
// docs/http-api.md documents the same routes for users.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/warrenhq/warren"
)

// ZK is the part of the coordination API (*warren.Coord) that the /api/zk
// routes use. Its methods are called concurrently from request goroutines;
// the slices they return belong to the caller.
type ZK interface {
	// Create creates a znode and returns its path (with the sequence suffix
	// of sequential modes) and Stat.
	Create(ctx context.Context, path string, data []byte, opts warren.CreateOptions) (string, warren.Stat, error)
	// Get returns a znode's data and Stat.
	Get(ctx context.Context, path string) ([]byte, warren.Stat, error)
	// Exists returns a znode's Stat and whether it exists.
	Exists(ctx context.Context, path string) (warren.Stat, bool, error)
	// Set replaces a znode's data if its version matches.
	Set(ctx context.Context, path string, data []byte, version int32) (warren.Stat, error)
	// Delete deletes a childless znode if its version matches.
	Delete(ctx context.Context, path string, version int32) error
	// Children returns a znode's child names, sorted, and its Stat.
	Children(ctx context.Context, path string) ([]string, warren.Stat, error)
}

var _ ZK = (*warren.Coord)(nil)

// maxZKBody bounds a request body: ZooKeeper's 1 MiB of data, base64
// encoded, plus room for the path and the ACL.
const maxZKBody = 2 << 20

// ZKStat is a warren.Stat in JSON. Times are Unix milliseconds. The
// ephemeral_owner of containers and TTL znodes is a mark near -2^63, which a
// JSON parser with float64 numbers (JavaScript's) rounds.
type ZKStat struct {
	Czxid          int64 `json:"czxid"`
	Mzxid          int64 `json:"mzxid"`
	Pzxid          int64 `json:"pzxid"`
	Ctime          int64 `json:"ctime"`
	Mtime          int64 `json:"mtime"`
	Version        int32 `json:"version"`
	Cversion       int32 `json:"cversion"`
	Aversion       int32 `json:"aversion"`
	EphemeralOwner int64 `json:"ephemeral_owner"`
	DataLength     int32 `json:"data_length"`
	NumChildren    int32 `json:"num_children"`
}

func toZKStat(s warren.Stat) ZKStat {
	return ZKStat{
		Czxid: s.Czxid, Mzxid: s.Mzxid, Pzxid: s.Pzxid, Ctime: s.Ctime, Mtime: s.Mtime,
		Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion,
		EphemeralOwner: s.EphemeralOwner, DataLength: s.DataLength, NumChildren: s.NumChildren,
	}
}

// ZKNode answers GET /api/zk/node. Children is present only when asked for.
type ZKNode struct {
	Path     string   `json:"path"`
	Data     []byte   `json:"data"`
	Stat     ZKStat   `json:"stat"`
	Children []string `json:"children,omitzero"`
}

// ZKChildren answers GET /api/zk/children.
type ZKChildren struct {
	Children []string `json:"children"`
	Stat     ZKStat   `json:"stat"`
}

// ZKACL is one access-control entry: Perms is ZooKeeper's bit set (read 1,
// write 2, create 4, delete 8, admin 16; all 31).
type ZKACL struct {
	Perms  int32  `json:"perms"`
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

// ZKCreateRequest is the body of POST /api/zk/node. Mode is one of
// zkModes' keys (default "persistent"); TTLMillis is required by the TTL
// modes and refused by the others; an empty ACL means open to everyone.
type ZKCreateRequest struct {
	Path      string  `json:"path"`
	Data      []byte  `json:"data"`
	Mode      string  `json:"mode,omitempty"`
	TTLMillis int64   `json:"ttl_ms,omitempty"`
	ACL       []ZKACL `json:"acl,omitempty"`
}

// ZKCreated answers POST /api/zk/node: the path created (with its sequence
// suffix) and its Stat.
type ZKCreated struct {
	Path string `json:"path"`
	Stat ZKStat `json:"stat"`
}

// ZKSetRequest is the body of PUT /api/zk/node. A nil Version matches any
// version.
type ZKSetRequest struct {
	Path    string `json:"path"`
	Data    []byte `json:"data"`
	Version *int32 `json:"version,omitempty"`
}

// ZKErrorBody is the body of every /api/zk failure. ZKCode, ZKError and Path
// are set when the failure is a ZooKeeper error.
type ZKErrorBody struct {
	Error   string `json:"error"`
	ZKCode  int32  `json:"zk_code,omitempty"`
	ZKError string `json:"zk_error,omitempty"`
	Path    string `json:"path,omitempty"`
}

// zkModes maps the API's mode names to create modes.
var zkModes = map[string]warren.CreateMode{
	"persistent":                warren.ModePersistent,
	"ephemeral":                 warren.ModeEphemeral,
	"persistent_sequential":     warren.ModePersistentSequential,
	"ephemeral_sequential":      warren.ModeEphemeralSequential,
	"container":                 warren.ModeContainer,
	"ttl":                       warren.ModePersistentTTL,
	"persistent_sequential_ttl": warren.ModePersistentSequentialTTL,
}

// zkCode is how the API reports one ZooKeeper error number.
type zkCode struct {
	name   string // KeeperException.Code's name
	status int
}

// zkCodes is the one table from ZooKeeper error numbers to names and HTTP
// statuses. Numbers missing here answer 500 with the name "ERROR<n>".
var zkCodes = map[int32]zkCode{
	warren.ErrSystem.Code:                  {"SYSTEMERROR", http.StatusInternalServerError},
	warren.ErrRuntimeInconsistency.Code:    {"RUNTIMEINCONSISTENCY", http.StatusInternalServerError},
	warren.ErrMarshalling.Code:             {"MARSHALLINGERROR", http.StatusInternalServerError},
	warren.ErrBadArguments.Code:            {"BADARGUMENTS", http.StatusBadRequest},
	warren.ErrNoNode.Code:                  {"NONODE", http.StatusNotFound},
	warren.ErrNoAuth.Code:                  {"NOAUTH", http.StatusForbidden},
	warren.ErrBadVersion.Code:              {"BADVERSION", http.StatusConflict},
	warren.ErrNoChildrenForEphemerals.Code: {"NOCHILDRENFOREPHEMERALS", http.StatusConflict},
	warren.ErrNodeExists.Code:              {"NODEEXISTS", http.StatusConflict},
	warren.ErrNotEmpty.Code:                {"NOTEMPTY", http.StatusConflict},
	warren.ErrSessionExpired.Code:          {"SESSIONEXPIRED", http.StatusInternalServerError},
	warren.ErrInvalidACL.Code:              {"INVALIDACL", http.StatusBadRequest},
	warren.ErrAuthFailed.Code:              {"AUTHFAILED", http.StatusInternalServerError},
}

func lookupZKCode(code int32) zkCode {
	if c, ok := zkCodes[code]; ok {
		return c
	}
	return zkCode{name: "ERROR" + strconv.Itoa(int(code)), status: http.StatusInternalServerError}
}

// registerZK adds the /api/zk routes to mux. Each request but the watch
// stream runs in a server span (httpspan.go); a watch would be one span as
// long as the stream.
func registerZK(mux *http.ServeMux, h *handler) {
	mux.HandleFunc("GET /api/zk/node", h.traced(h.zkGet))
	mux.HandleFunc("GET /api/zk/children", h.traced(h.zkChildren))
	mux.HandleFunc("GET /api/zk/stat", h.traced(h.zkStat))
	mux.HandleFunc("POST /api/zk/node", h.traced(h.zkCreate))
	mux.HandleFunc("PUT /api/zk/node", h.traced(h.zkSet))
	mux.HandleFunc("DELETE /api/zk/node", h.traced(h.zkDelete))
	mux.HandleFunc("GET /api/zk/watch", h.zkWatch)
}

// badRequest is a malformed request, answered with its status (400 unless
// set) before anything reaches the node.
type badRequest struct {
	status int
	msg    string
}

func (e *badRequest) Error() string { return e.msg }

func badRequestf(format string, args ...any) error {
	return &badRequest{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func (h *handler) zkGet(w http.ResponseWriter, r *http.Request) {
	zk, path, err := h.zkQuery(r)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	withChildren, err := boolParam(r.URL.Query(), "children")
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	data, st, err := zk.Get(r.Context(), path)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	out := ZKNode{Path: path, Data: data, Stat: toZKStat(st)}
	if withChildren {
		kids, _, err := zk.Children(r.Context(), path)
		if err != nil {
			h.zkFail(w, r, err)
			return
		}
		out.Children = nonNil(kids)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) zkChildren(w http.ResponseWriter, r *http.Request) {
	zk, path, err := h.zkQuery(r)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	kids, st, err := zk.Children(r.Context(), path)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ZKChildren{Children: nonNil(kids), Stat: toZKStat(st)})
}

func (h *handler) zkStat(w http.ResponseWriter, r *http.Request) {
	zk, path, err := h.zkQuery(r)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	st, ok, err := zk.Exists(r.Context(), path)
	if err == nil && !ok {
		err = &warren.ZKError{Code: warren.ErrNoNode.Code, Path: path}
	}
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toZKStat(st))
}

func (h *handler) zkCreate(w http.ResponseWriter, r *http.Request) {
	var req ZKCreateRequest
	if err := decodeBody(w, r, &req); err != nil {
		h.zkFail(w, r, err)
		return
	}
	opts, err := createOptions(req)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	zk, err := h.backend.Coord()
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	path, st, err := zk.Create(r.Context(), req.Path, req.Data, opts)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/zk/node?"+url.Values{"path": {path}}.Encode())
	writeJSON(w, http.StatusCreated, ZKCreated{Path: path, Stat: toZKStat(st)})
}

// createOptions checks a create request and translates it.
func createOptions(req ZKCreateRequest) (warren.CreateOptions, error) {
	if req.Path == "" {
		return warren.CreateOptions{}, badRequestf("missing path")
	}
	name := req.Mode
	if name == "" {
		name = "persistent"
	}
	mode, ok := zkModes[name]
	if !ok {
		return warren.CreateOptions{}, badRequestf("unknown mode %q: want persistent, ephemeral, persistent_sequential, ephemeral_sequential, container, ttl or persistent_sequential_ttl", req.Mode)
	}
	if req.TTLMillis < 0 {
		return warren.CreateOptions{}, badRequestf("ttl_ms %d is negative", req.TTLMillis)
	}
	// The state machine has the last word on TTLs (whether the mode takes
	// one, and the longest it records); it answers BADARGUMENTS.
	opts := warren.CreateOptions{Mode: mode, TTL: time.Duration(req.TTLMillis) * time.Millisecond}
	for _, a := range req.ACL {
		opts.ACL = append(opts.ACL, warren.ACL{Perms: a.Perms, Scheme: a.Scheme, ID: a.ID})
	}
	return opts, nil
}

func (h *handler) zkSet(w http.ResponseWriter, r *http.Request) {
	var req ZKSetRequest
	if err := decodeBody(w, r, &req); err != nil {
		h.zkFail(w, r, err)
		return
	}
	if req.Path == "" {
		h.zkFail(w, r, badRequestf("missing path"))
		return
	}
	version := warren.AnyVersion
	if req.Version != nil {
		version = *req.Version
	}
	zk, err := h.backend.Coord()
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	st, err := zk.Set(r.Context(), req.Path, req.Data, version)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toZKStat(st))
}

func (h *handler) zkDelete(w http.ResponseWriter, r *http.Request) {
	zk, path, err := h.zkQuery(r)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	q := r.URL.Query()
	version := warren.AnyVersion
	if v := q.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			h.zkFail(w, r, badRequestf("version %q is not a 32-bit integer", v))
			return
		}
		version = int32(n)
	}
	recursive, err := boolParam(q, "recursive")
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	switch {
	case path == "/":
		err = &warren.ZKError{Code: warren.ErrBadArguments.Code, Path: path}
	case recursive && version != warren.AnyVersion:
		err = badRequestf("version and recursive do not combine: the subtree is deleted whatever its versions")
	case recursive:
		err = deleteTree(r.Context(), zk, path)
	default:
		err = zk.Delete(r.Context(), path, version)
	}
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// deleteTree deletes path and everything below it, children first. It is
// not atomic: it stops at the first failure, leaving what it has not reached
// yet, and fails with NOTEMPTY if a child is created meanwhile. Descendants
// that vanish meanwhile are not an error; path vanishing is (NONODE).
func deleteTree(ctx context.Context, zk ZK, path string) error {
	kids, _, err := zk.Children(ctx, path)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := deleteTree(ctx, zk, childPath(path, k)); err != nil && !errors.Is(err, warren.ErrNoNode) {
			return err
		}
	}
	return zk.Delete(ctx, path, warren.AnyVersion)
}

func childPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// zkQuery returns the client and the path parameter of a GET or DELETE.
func (h *handler) zkQuery(r *http.Request) (ZK, string, error) {
	path := r.URL.Query().Get("path")
	if path == "" {
		return nil, "", badRequestf("missing path parameter")
	}
	zk, err := h.backend.Coord()
	return zk, path, err
}

// boolParam reads an optional boolean query parameter ("1", "true", ...).
func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequestf("%s=%q: want 1, true, 0 or false", name, v)
	}
	return b, nil
}

// decodeBody decodes a JSON request body of at most maxZKBody bytes into v,
// refusing unknown fields and trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxZKBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body over %d bytes", tooBig.Limit)}
	case err != nil:
		return badRequestf("bad JSON body: %v", err)
	}
	return nil
}

// zkFail answers a failed /api/zk request.
func (h *handler) zkFail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		zerr *warren.ZKError
		bad  *badRequest
	)
	switch {
	case errors.As(err, &bad):
		writeJSON(w, bad.status, ZKErrorBody{Error: bad.msg})
	case errors.As(err, &zerr):
		c := lookupZKCode(zerr.Code)
		writeJSON(w, c.status, ZKErrorBody{Error: zerr.Error(), ZKCode: zerr.Code, ZKError: c.name, Path: zerr.Path})
	case errors.Is(err, warren.ErrNeedsSession):
		writeJSON(w, http.StatusBadRequest, ZKErrorBody{Error: err.Error() +
			"; the HTTP API has none: create ephemeral znodes through a ZooKeeper client"})
	case errors.Is(err, ErrUnavailable), errors.Is(err, warren.ErrClosed),
		errors.Is(err, warren.ErrUnavailable), errors.Is(err, warren.ErrNotLeader):
		// Nothing was applied: the client may try another node.
		writeJSON(w, http.StatusServiceUnavailable, ZKErrorBody{Error: err.Error()})
	case errors.Is(err, warren.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		// The outcome of a write is unknown.
		writeJSON(w, http.StatusGatewayTimeout, ZKErrorBody{Error: err.Error()})
	default:
		if r.Context().Err() == nil { // else the client has gone and will not read this
			h.logger.Warn("znode request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeJSON(w, http.StatusInternalServerError, ZKErrorBody{Error: err.Error()})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
