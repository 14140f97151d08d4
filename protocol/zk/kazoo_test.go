package zk

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestKazooClient runs testdata/kazoo_check.py, which drives the cluster
// with kazoo (the Python ZooKeeper client, Debian's python3-kazoo) through
// two of its three nodes: CRUD and errors, transactions, watches across
// nodes, digest ACLs and kazoo's recipes. It skips where kazoo is missing.
func TestKazooClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a Python client")
	}
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import kazoo.client").Run(); err != nil {
		t.Skipf("kazoo is not installed for %s (apt-get install python3-kazoo): %v", python, err)
	}
	zc := startZKCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "testdata/kazoo_check.py", strings.Join(zc.addrs, ",")).CombinedOutput()
	t.Logf("kazoo_check.py:\n%s", out)
	if err != nil {
		t.Fatalf("kazoo_check.py: %v", err)
	}
	if !strings.Contains(string(out), "ALL OK") {
		t.Fatal("kazoo_check.py ended without reaching its last check")
	}
}
