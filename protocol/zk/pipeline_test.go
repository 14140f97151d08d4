package zk

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// TestPipelinedReadsRunInParallelAndAnswerInOrder sends several requests
// without waiting: reads run together (the first is held until the second
// has started), replies come back in request order, and a write between
// reads is seen by the reads after it and not by those before.
func TestPipelinedReadsRunInParallelAndAnswerInOrder(t *testing.T) {
	_, b, _, addr := startFake(t, DefaultConfig())
	ctx := context.Background()
	admin := b.Admin()
	for _, p := range []string{"/slow", "/a"} {
		if _, _, err := admin.Create(ctx, p, []byte("old"), warren.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var fastReads atomic.Int32
	release := make(chan struct{})
	b.readGate = func(path string) {
		if path == "/slow" {
			// Held until a later read has run: only possible if reads
			// are not answered one at a time.
			select {
			case <-release:
			case <-time.After(rawTimeout):
			}
			return
		}
		if fastReads.Add(1) == 1 {
			close(release)
		}
	}

	c := dialRaw(t, addr)
	c.session(5 * time.Second)
	reqs := []jute.Request{
		&jute.GetDataRequest{Path: "/slow"},                                // 1: held
		&jute.GetDataRequest{Path: "/a"},                                   // 2: runs alongside 1
		&jute.SetDataRequest{Path: "/a", Data: []byte("new"), Version: -1}, // 3: waits for 1 and 2
		&jute.GetDataRequest{Path: "/a"},                                   // 4: sees 3
	}
	e := jute.NewEncoder(nil)
	for i, r := range reqs {
		jute.EncodeRequest(e, int32(i+1), r)
	}
	start := time.Now()
	c.write(e.Bytes()) // all four in one write: the client does not wait

	wantData := map[int32]string{1: "old", 2: "old", 4: "new"}
	for want := int32(1); want <= int32(len(reqs)); want++ {
		hdr, body := c.readReply()
		if hdr.Xid != want {
			t.Fatalf("reply %d has xid %d: replies out of order", want, hdr.Xid)
		}
		if hdr.Err != jute.CodeOK {
			t.Fatalf("xid %d: %v", want, hdr.Err)
		}
		d, ok := wantData[want]
		if !ok {
			continue
		}
		rec, err := jute.DecodeResponse(jute.OpGetData, body.(rawBody))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(rec.(*jute.GetDataResponse).Data); got != d {
			t.Errorf("xid %d read %q, want %q", want, got, d)
		}
	}
	if fastReads.Load() < 2 {
		t.Errorf("fast reads %d, want 2", fastReads.Load())
	}
	// The held read was released by the one behind it, not by its timeout.
	if d := time.Since(start); d > rawTimeout/2 {
		t.Errorf("pipelined requests took %v: the held read waited for its timeout", d)
	}
}
