package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// SSE timings of GET /api/events.
const (
	eventKeepAlive    = 15 * time.Second // a comment when nothing changed, so proxies keep the stream
	eventWriteTimeout = 10 * time.Second // a client that takes longer to accept one event is dropped
	eventRetryMillis  = 2000             // how soon EventSource reconnects
)

// eventHub builds overviews for the /api/events streams: one goroutine
// (run) builds a snapshot every interval while at least one client listens
// and hands it to every subscriber whose last snapshot differs. Each
// subscriber holds at most one pending snapshot, the newest: the hub never
// waits for a client, and a slow client skips snapshots instead of holding
// anything up. The goroutine exits within an interval of the last client
// leaving and starts again with the next one.
type eventHub struct {
	build    func(context.Context) []byte
	interval time.Duration
	timeout  time.Duration // bound on one build

	mu struct {
		sync.Mutex
		subs    map[*subscriber]struct{}
		running bool
		last    []byte // newest snapshot; nil while run is not running
	}
}

// subscriber is one /api/events stream.
type subscriber struct {
	ch chan []byte // capacity 1; only the hub sends, so a send after draining never blocks
}

func newEventHub(build func(context.Context) []byte, interval, timeout time.Duration) *eventHub {
	e := &eventHub{build: build, interval: interval, timeout: timeout}
	e.mu.subs = map[*subscriber]struct{}{}
	return e
}

// subscribe registers a stream; it receives the newest snapshot at once if
// there is one.
func (e *eventHub) subscribe() *subscriber {
	s := &subscriber{ch: make(chan []byte, 1)}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mu.subs[s] = struct{}{}
	if e.mu.last != nil {
		s.ch <- e.mu.last
	}
	if !e.mu.running {
		e.mu.running = true
		go e.run()
	}
	return s
}

func (e *eventHub) unsubscribe(s *subscriber) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.mu.subs, s)
}

// run builds and publishes snapshots until no subscriber is left.
func (e *eventHub) run() {
	ticker := time.NewTicker(e.interval)
	defer ticker.Stop()
	for {
		// The build runs without the lock, so streams come and go
		// meanwhile.
		ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
		snap := e.build(ctx)
		cancel()
		if !e.publish(snap) {
			return
		}
		<-ticker.C
	}
}

// publish hands snap to every subscriber if it differs from the last one.
// It returns false, and marks the hub stopped, when nobody listens.
func (e *eventHub) publish(snap []byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.mu.subs) == 0 {
		e.mu.running, e.mu.last = false, nil
		return false
	}
	if bytes.Equal(snap, e.mu.last) {
		return true
	}
	e.mu.last = snap
	for s := range e.mu.subs {
		select {
		case <-s.ch: // the client has not taken the previous one: replace it
		default:
		}
		s.ch <- snap
	}
	return true
}

// events streams overviews as server-sent events:
//
//	GET /api/events
//
// Each event is `data: <Overview JSON>`, sent when the overview changes
// (checked every Options.EventInterval), and the first as soon as one is
// built. The stream lasts until the client disconnects or the server
// shuts down.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	if _, ok := w.(http.Flusher); !ok {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "streaming unsupported"})
		return
	}
	rc := http.NewResponseController(w)
	sub := h.hub.subscribe()
	defer h.hub.unsubscribe(sub)

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: %d\n\n", eventRetryMillis) {
		return
	}
	keepAlive := time.NewTicker(eventKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case snap := <-sub.ch:
			if !send("data: %s\n\n", snap) {
				return
			}
			keepAlive.Reset(eventKeepAlive)
		case <-keepAlive.C:
			if !send(": keep-alive\n\n") {
				return
			}
		}
	}
}
