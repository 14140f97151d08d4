// Package benchload drives the closed-loop load of Warren's Go benchmarks:
// a fixed number of workers share b.N operations, each running one at a
// time, and the benchmark reports operations per second.
package benchload

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Run resets b's timer and runs b.N operations from workers goroutines:
// worker w calls op(w, i) for each operation i (1 to b.N) it claims. It
// reports ops/s, and fails the benchmark if any op returned an error;
// what names the operations in that message.
func Run(b *testing.B, workers int, what string, op func(worker int, i int64) error) {
	b.ReportAllocs()
	b.ResetTimer()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				if op(w, i) != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d %s failed", f, b.N, what)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
}
