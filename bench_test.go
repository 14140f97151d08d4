package warren_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/benchload"
	"github.com/warrenhq/warren/internal/testcluster"
)

// BenchmarkGrainRequest measures SDK grain requests on a 3-node in-process
// cluster (real sockets, fsync on), issued through a node that does not
// lead the grain's shard, so every request crosses the network once:
// counter adds (a Raft write each) and reads (linearizable, ReadIndex).
// Writers spread over 64 counters.
func BenchmarkGrainRequest(b *testing.B) {
	for _, method := range []string{"add", "get"} {
		for _, writers := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/writers=%d", method, writers), func(b *testing.B) {
				benchGrain(b, method, writers)
			})
		}
	}
}

func benchGrain(b *testing.B, method string, writers int) {
	c := testcluster.New(b, 3, testcluster.Options{Shards: 16, RTTMillis: 50})
	c.WaitBalanced(30 * time.Second)
	ctx := context.Background()
	const grains = 64
	// Pick, for each grain, a node that does not lead its shard.
	callers := make([]*warren.Node, grains)
	for g := 0; g < grains; g++ {
		id := fmt.Sprintf("bench-%d", g)
		if _, err := add(ctx, c.N(0).Node, id, 1); err != nil {
			b.Fatal(err)
		}
		l := c.LeaderOf(c.N(0).Grain(warren.CounterKind, id).Shard())
		callers[g] = c.N((l + 1) % 3).Node
	}
	var payload []byte
	if method == "add" {
		payload = warren.Int64(1)
	}
	benchload.Run(b, writers, "requests", func(_ int, i int64) error {
		g := int(i) % grains
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := callers[g].Grain(warren.CounterKind, fmt.Sprintf("bench-%d", g)).Request(rctx, method, payload)
		return err
	})
}
