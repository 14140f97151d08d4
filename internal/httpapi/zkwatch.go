package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/warrenhq/warren"
)

// ZKWatcher is implemented by ZK backends that can keep persistent watches
// (*warren.Coord does).
type ZKWatcher interface {
	AddWatch(ctx context.Context, path string, recursive bool) (*warren.Watch, error)
}

var _ ZKWatcher = (*warren.Coord)(nil)

// ZKWatchEvent is one event of GET /api/zk/watch.
type ZKWatchEvent struct {
	Type string `json:"type"`
	Path string `json:"path"`
	Zxid int64  `json:"zxid"`
}

// EventTypeName returns ZooKeeper's name of an event type.
func EventTypeName(t warren.EventType) string {
	switch t {
	case warren.EventNodeCreated:
		return "NodeCreated"
	case warren.EventNodeDeleted:
		return "NodeDeleted"
	case warren.EventNodeDataChanged:
		return "NodeDataChanged"
	case warren.EventNodeChildrenChanged:
		return "NodeChildrenChanged"
	}
	return fmt.Sprintf("Event(%d)", int(t))
}

// zkWatch streams a persistent watch as server-sent events:
//
//	GET /api/zk/watch?path=/a[&recursive=1]
//
// Each change is one `data: {"type":"NodeDataChanged","path":"/a","zxid":N}`
// event; the stream starts with a `: watching` comment once the watch is
// set and lasts until the client disconnects.
func (h *handler) zkWatch(w http.ResponseWriter, r *http.Request) {
	zk, path, err := h.zkQuery(r)
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	zw, ok := zk.(ZKWatcher)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, errorBody{Error: "this node cannot keep watches"})
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "streaming unsupported"})
		return
	}
	watch, err := zw.AddWatch(r.Context(), path, r.URL.Query().Get("recursive") == "1")
	if err != nil {
		h.zkFail(w, r, err)
		return
	}
	defer watch.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": watching %s\n\n", path)
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-watch.Events():
			if !ok {
				return
			}
			b, _ := json.Marshal(ZKWatchEvent{Type: EventTypeName(ev.Type), Path: ev.Path, Zxid: ev.Zxid})
			if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}
