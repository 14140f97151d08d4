package zk

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kazooPython is the interpreter Debian's python3-kazoo is installed for.
const kazooPython = "/usr/bin/python3"

// TestKazooClient runs testdata/kazoo_check.py, which drives the Python
// client kazoo (Debian's python3-kazoo) through plain operations,
// transactions, watches, ACLs, its recipes and the four-letter words against
// a three-node cluster. The script prints one line per check.
func TestKazooClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a Python client; skipped with -short")
	}
	if _, err := os.Stat(kazooPython); err != nil {
		t.Skipf("%s not found; apt-get install python3-kazoo to run this test", kazooPython)
	}
	if out, err := exec.Command(kazooPython, "-c", "import kazoo").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import kazoo (%v: %s); apt-get install python3-kazoo to run this test",
			kazooPython, err, strings.TrimSpace(string(out)))
	}

	zc := startZKCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kazooPython, "testdata/kazoo_check.py", strings.Join(zc.addrs, ","))
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("kazoo_check.py (%s):\n%s", time.Since(start).Round(time.Millisecond), out)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("kazoo_check.py did not finish within 120s")
	}
	if err != nil {
		t.Fatalf("kazoo_check.py failed: %v", err)
	}
	if !strings.Contains(string(out), " checks passed\n") || strings.Contains(string(out), "FAIL ") {
		t.Fatalf("kazoo_check.py exited 0 without reporting that every check passed")
	}
}
