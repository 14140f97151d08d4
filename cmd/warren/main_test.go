package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/httpapi"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = run(context.Background(), args, &out, &errOut, lookup)
	return code, out.String(), errOut.String()
}

func TestInvalidConfigStartsNothing(t *testing.T) {
	for _, cmd := range []string{"dev", "server"} {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, map[string]string{"WARREN_REPLICAS": "0"},
				cmd, "--data-dir", t.TempDir(), "--shards", "x", "--http-addr", "nope")
			if code != exitUsage {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			for _, w := range []string{`--shards: "x" is not an integer`, `replicas: 0 is outside`, `http_addr: "nope"`} {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "starting node") || stdout != "" {
				t.Errorf("something started; stdout %q stderr %q", stdout, stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"server", "--no-such-flag"},
		{"server", "extra-arg"},
		{"cluster", "status", "-o", "yaml"},
	} {
		code, _, stderr := runCLI(t, nil, args...)
		if code != exitUsage || !strings.Contains(stderr, "--help") {
			t.Errorf("%v: exit %d, stderr %q; want %d and a pointer to --help", args, code, stderr, exitUsage)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "warren ") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

// statusBackend serves a fixed status through the real HTTP handler.
type statusBackend struct {
	st  warren.ClusterStatus
	err error
}

func (b statusBackend) Status(context.Context) (warren.ClusterStatus, error) { return b.st, b.err }
func (b statusBackend) Ready(context.Context) error                          { return b.err }
func (b statusBackend) Coord() (httpapi.ZK, error)                           { return nil, httpapi.ErrUnavailable }

var threeNodes = warren.ClusterStatus{
	NodeID:         2,
	PlacementEpoch: 7,
	Members: []warren.MemberStatus{
		{NodeID: 1, Name: "node-1", State: "alive", GossipAddr: "127.0.0.1:7946", RaftAddr: "127.0.0.1:7950", ActorAddr: "127.0.0.1:7960", HTTPAddr: "127.0.0.1:8080", InPlacement: true},
		{NodeID: 2, Name: "node-2", State: "alive", GossipAddr: "127.0.0.1:7947", RaftAddr: "127.0.0.1:7951", ActorAddr: "127.0.0.1:7961", HTTPAddr: "127.0.0.1:8081", InPlacement: true},
		{NodeID: 3, Name: "a-much-longer-name", State: "dead", GossipAddr: "127.0.0.1:7948", RaftAddr: "127.0.0.1:7952", ActorAddr: "127.0.0.1:7962"},
	},
	Shards: []warren.ShardStatus{
		{ShardID: 0, Leader: 1, Term: 2, Replicas: []uint64{1, 2, 3}, Desired: []uint64{1, 2}, Local: true},
		{ShardID: 1, Replicas: []uint64{2, 3}, Desired: []uint64{1, 2}, Local: true},
	},
}

func statusServer(t *testing.T, b statusBackend) string {
	t.Helper()
	srv := httptest.NewServer(httpapi.NewHandler(b, nil, httpapi.DefaultOptions(), nil))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestClusterStatusTable(t *testing.T) {
	addr := statusServer(t, statusBackend{st: threeNodes})
	code, stdout, stderr := runCLI(t, nil, "cluster", "status", "--addr", addr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.Contains(lines[0], "node 2") || !strings.Contains(lines[0], "placement epoch 7") {
		t.Errorf("header %q", lines[0])
	}
	// Columns line up: every row of a table has its second column at the
	// same offset as the heading's.
	checkAligned := func(heading, second string, rows ...string) {
		t.Helper()
		col, found := -1, false
		for _, l := range lines {
			switch {
			case l == "":
				col = -1 // a blank line ends the table
			case strings.HasPrefix(l, heading):
				col, found = strings.Index(l, second), true
			case col >= 0 && slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(l, r) }):
				if l[col-1] != ' ' || l[col] == ' ' {
					t.Errorf("row %q not aligned with %q at %d", l, heading, col)
				}
			}
		}
		if !found {
			t.Errorf("no %q heading in:\n%s", heading, stdout)
		}
	}
	checkAligned("MEMBER", "NAME", "1 ", "2 ", "3 ")
	checkAligned("SHARD", "LEADER", "0 ", "1 ")
	for _, w := range []string{"a-much-longer-name", "dead", "1,2,3", "none", "127.0.0.1:8081"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
}

func TestClusterStatusJSONAndFallback(t *testing.T) {
	down := statusServer(t, statusBackend{err: errors.New("gossip not started")})
	up := statusServer(t, statusBackend{st: threeNodes})
	// The first address answers 500, the second is tried next; the list
	// comes from WARREN_ADDR because --addr is not given.
	code, stdout, stderr := runCLI(t, map[string]string{"WARREN_ADDR": down + "," + up}, "cluster", "status", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	var got warren.ClusterStatus
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if got.NodeID != 2 || len(got.Shards) != 2 || len(got.Members) != 3 {
		t.Errorf("got %+v", got)
	}
}

func TestClusterStatusAllFail(t *testing.T) {
	down := statusServer(t, statusBackend{err: errors.New("gossip not started")})
	code, _, stderr := runCLI(t, map[string]string{"WARREN_ADDR": "ignored:1"}, "cluster", "status", "--addr", down+",127.0.0.1:1")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d", code, exitFailed)
	}
	for _, w := range []string{"no node answered", "gossip not started (HTTP 500)", "127.0.0.1:1:"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "ignored:1") {
		t.Error("WARREN_ADDR used although --addr was given")
	}
}
