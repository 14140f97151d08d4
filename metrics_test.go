package warren_test

import (
	"context"
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
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`warren_cluster_members{`, `state="alive"`,
		`warren_shards{`, `role="leader"`,
		`warren_placement_epoch`,
		`warren_grains_active{`, `kind="counter"`,
		`warren_raft_batch_size_bucket`, `warren_raft_proposals_total{`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(string(body))
	}
}
