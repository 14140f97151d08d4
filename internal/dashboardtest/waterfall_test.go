//go:build linux

package dashboardtest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/observability"
)

// fakeNode is a Backend standing for one member: a fixed status and a span
// ring.
type fakeNode struct {
	status warren.ClusterStatus
	ring   *observability.Ring
}

func (f *fakeNode) Status(context.Context) (warren.ClusterStatus, error) { return f.status, nil }
func (f *fakeNode) Ready(context.Context) error                          { return nil }
func (f *fakeNode) Coord() (httpapi.ZK, error)                           { return nil, errors.New("no znodes here") }
func (f *fakeNode) Traces() *observability.Ring                          { return f.ring }

// TestWaterfallAcrossNodes draws a trace whose spans ended on two members,
// nested three deep, and checks the waterfall's rows: parents before their
// children, each with its node, bars placed in time, and a span's
// attributes shown when it is clicked. The members are handlers over fake
// nodes, so no cluster is needed.
func TestWaterfallAcrossNodes(t *testing.T) {
	browser := chromium()
	if browser == "" {
		t.Skip("no Chromium: install Debian's chromium package (apt-get install -y chromium) or set WARREN_CHROMIUM to a Chrome binary")
	}
	var (
		nodes   []*fakeNode
		tels    []*observability.Telemetry
		members []warren.MemberStatus
	)
	for i := range 2 {
		id := uint64(i + 1)
		tel, err := observability.NewTelemetry(observability.TelemetryOptions{InstanceID: strconv.FormatUint(id, 10)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tel.Shutdown(context.Background()) })
		n := &fakeNode{ring: tel.Traces()}
		srv := httptest.NewServer(httpapi.NewHandler(n, nil, httpapi.DefaultOptions(), nil))
		t.Cleanup(srv.Close)
		nodes, tels = append(nodes, n), append(tels, tel)
		members = append(members, warren.MemberStatus{NodeID: id, Name: "node-" + strconv.Itoa(i+1), State: "alive",
			HTTPAddr: srv.Listener.Addr().String()})
	}
	for i, n := range nodes {
		n.status = warren.ClusterStatus{NodeID: uint64(i + 1), Members: members}
	}

	// PUT on node 1 -> propose on node 1 -> apply on node 2 -> fsync on node 2.
	t0 := time.Now().Add(-time.Second)
	at := func(ms int) trace.SpanStartEventOption {
		return trace.WithTimestamp(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	end := func(ms int) trace.SpanEndOption {
		return trace.WithTimestamp(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	tr1, tr2 := tels[0].Tracer("test"), tels[1].Tracer("test")
	ctx, put := tr1.Start(context.Background(), "PUT /api/zk/node", at(0), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("url.path", "/api/zk/node")))
	ctx, propose := tr1.Start(ctx, "raft propose", at(2), trace.WithSpanKind(trace.SpanKindProducer))
	ctx2, apply := tr2.Start(observability.Extract(context.Background(), observability.Inject(ctx)), "raft apply", at(10),
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attribute.String("warren.shard", "3")))
	_, fsync := tr2.Start(ctx2, "fsync", at(12))
	fsync.End(end(30))
	apply.End(end(32))
	propose.End(end(35))
	put.End(end(40))
	traceID := put.SpanContext().TraceID().String()

	ctx = newBrowser(t, browser)
	messages := collectConsole(t, ctx)
	run := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		if err := chromedp.Do(sctx, a); err != nil {
			t.Fatalf("%s: %v (console: %v)", what, err, messages())
		}
	}
	poll := func(what, expr string) {
		t.Helper()
		run(what, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout))(ctx, tg)
			return chromedp.Void{}, err
		})
	}
	eval := func(expr string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return s
	}

	row := fmt.Sprintf(`#traces tr[data-trace-id="%s"]`, traceID)
	run("load", chromedp.Navigate("http://"+members[1].HTTPAddr+"/"))
	poll("the trace in the list", fmt.Sprintf(`document.querySelector(%q) !== null`, row))
	run("click it", chromedp.Click(chromedp.CSS(row)))
	poll("four span rows", `document.querySelectorAll("#waterfall .span").length === 4`)

	// One line per row: node tag, name and bar offset (left %, 0 decimals).
	rows := eval(`[...document.querySelectorAll("#waterfall .span")].map(r =>
		r.dataset.nodeId + " " + r.querySelector(".name").textContent + " " +
		Math.round(parseFloat(r.querySelector(".bar").style.left))).join("\n")`)
	want := "1 PUT /api/zk/node 0\n1 raft propose 5\n2 raft apply 25\n2 fsync 30"
	if rows != want {
		t.Errorf("waterfall rows:\n%s\nwant:\n%s", rows, want)
	}
	// The axis is the waterfall's first div, so the 4th div is the 3rd span.
	run("click the apply span", chromedp.Click(chromedp.CSS(`#waterfall .span:nth-of-type(4)`)))
	poll("its details", `!document.querySelector("#span-detail").hidden`)
	if d := eval(`document.querySelector("#span-detail").innerText`); !strings.Contains(d, "warren.shard") || !strings.Contains(d, "raft apply") {
		t.Errorf("span details %q lack the apply span's attribute", d)
	}
	if bad := messages(); len(bad) > 0 {
		t.Errorf("the page reported errors: %v", bad)
	}
}
