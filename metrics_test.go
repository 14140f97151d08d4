package warren_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

func TestMetricsShowClusterState(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.N(0).Grain(warren.CounterKind, "m").Request(ctx, "add", nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.N(0).Telemetry().MetricsHandler())
	defer srv.Close()
	wants := []string{
		`warren_cluster_members{`, `state="alive"`,
		`warren_shards{`, `role="leader"`,
		`warren_placement_epoch`,
		`warren_grains_active{`, `kind="counter"`,
		`warren_raft_batch_size_bucket`, `warren_raft_proposals_total{`,
	}
	var body string
	var missing []string
	// The active-grain gauge asks the actor system with a short deadline,
	// which a loaded machine can miss: scrape until everything is there.
	testcluster.WaitFor(t, 15*time.Second, "every Warren metric on /metrics", func() bool {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body, missing = string(b), nil
		for _, want := range wants {
			if !strings.Contains(body, want) {
				missing = append(missing, want)
			}
		}
		return len(missing) == 0
	}, func() string { return fmt.Sprintf("missing %v in:\n%s", missing, body) })
}
