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

// BenchmarkCoord measures the coordination service on a 3-node in-process
// cluster (fsync on): create (persistent-sequential), set, get and a
// 3-op multi, with 1 and 64 concurrent clients. Each client has its own
// Coord on a node chosen round-robin and its own namespace, so namespaces
// (and their shards) spread over the cluster the way independent
// applications would. ops/s counts operations (a multi counts once).
func BenchmarkCoord(b *testing.B) {
	for _, op := range []string{"create", "set", "get", "multi"} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/clients=%d", op, clients), func(b *testing.B) {
				benchCoord(b, op, clients)
			})
		}
	}
}

func benchCoord(b *testing.B, op string, clients int) {
	c := testcluster.New(b, 3, testcluster.Options{Shards: 16, RTTMillis: 50})
	c.WaitBalanced(30 * time.Second)
	ctx := context.Background()
	payload := make([]byte, 100)
	coords := make([]*warren.Coord, clients)
	for i := range coords {
		coords[i] = c.N(i % 3).Coord()
		ns := fmt.Sprintf("/bench%d", i)
		if _, _, err := coords[i].Create(ctx, ns, payload, warren.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := coords[i].Create(ctx, ns+"/x", payload, warren.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	benchload.Run(b, clients, "operations", func(w int, _ int64) error {
		cl := coords[w]
		ns := fmt.Sprintf("/bench%d", w)
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var err error
		switch op {
		case "create":
			_, _, err = cl.Create(rctx, ns+"/seq-", payload, warren.CreateOptions{Mode: warren.ModePersistentSequential})
		case "set":
			_, err = cl.Set(rctx, ns+"/x", payload, warren.AnyVersion)
		case "get":
			_, _, err = cl.Get(rctx, ns+"/x")
		case "multi":
			_, err = cl.Multi(rctx, cl.CheckOp(ns, 0), cl.SetOp(ns+"/x", payload, warren.AnyVersion), cl.SetOp(ns+"/x", payload, warren.AnyVersion))
		}
		return err
	})
}
