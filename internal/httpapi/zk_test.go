package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warrenhq/warren"
)

// seededZK returns a tree holding /app ("hello"), /app/a, /app/b and
// /app/b/c.
func seededZK(t *testing.T) *memZK {
	t.Helper()
	z := newMemZK()
	for _, p := range []string{"/app", "/app/a", "/app/b", "/app/b/c"} {
		var data []byte
		if p == "/app" {
			data = []byte("hello")
		}
		if _, _, err := z.Create(context.Background(), p, data, warren.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return z
}

func serveBody(t *testing.T, h http.Handler, method, target, reqBody string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(reqBody))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestZKRoutes(t *testing.T) {
	tests := []struct {
		name, method, target, body string
		wantCode                   int
		wantBody                   []string // substrings
		wantNot                    string   // must not appear
	}{
		{name: "get", method: "GET", target: "/api/zk/node?path=/app", wantCode: 200,
			wantBody: []string{`"path":"/app"`, `"data":"aGVsbG8="`, `"num_children":2`, `"data_length":5`}, wantNot: `"children":`},
		{name: "get with children", method: "GET", target: "/api/zk/node?path=/app&children=1", wantCode: 200,
			wantBody: []string{`"children":["a","b"]`}},
		{name: "get leaf with children", method: "GET", target: "/api/zk/node?path=/app/a&children=true", wantCode: 200,
			wantBody: []string{`"children":[]`, `"data":null`}},
		{name: "get missing", method: "GET", target: "/api/zk/node?path=/nope", wantCode: 404,
			wantBody: []string{`"zk_code":-101`, `"zk_error":"NONODE"`, `"path":"/nope"`, `"error":"warren: no node: /nope"`}},
		{name: "get without path", method: "GET", target: "/api/zk/node", wantCode: 400, wantBody: []string{"missing path"}, wantNot: "zk_code"},
		{name: "get bad children flag", method: "GET", target: "/api/zk/node?path=/app&children=maybe", wantCode: 400, wantBody: []string{"children="}},
		{name: "HEAD", method: "HEAD", target: "/api/zk/node?path=/app", wantCode: 200},
		{name: "children", method: "GET", target: "/api/zk/children?path=/app", wantCode: 200,
			wantBody: []string{`"children":["a","b"]`, `"cversion":2`}},
		{name: "children of leaf", method: "GET", target: "/api/zk/children?path=/app/a", wantCode: 200, wantBody: []string{`"children":[]`}},
		{name: "children missing", method: "GET", target: "/api/zk/children?path=/nope", wantCode: 404, wantBody: []string{`"NONODE"`}},
		{name: "stat", method: "GET", target: "/api/zk/stat?path=/app/b", wantCode: 200,
			wantBody: []string{`"num_children":1`, `"version":0`, `"ephemeral_owner":0`}, wantNot: `"stat"`},
		{name: "stat missing", method: "GET", target: "/api/zk/stat?path=/nope", wantCode: 404, wantBody: []string{`"zk_error":"NONODE"`, `"path":"/nope"`}},

		{name: "create", method: "POST", target: "/api/zk/node", body: `{"path":"/app/new","data":"eA=="}`, wantCode: 201,
			wantBody: []string{`"path":"/app/new"`, `"data_length":1`}},
		{name: "create sequential", method: "POST", target: "/api/zk/node", body: `{"path":"/app/s-","mode":"persistent_sequential"}`, wantCode: 201,
			wantBody: []string{`"path":"/app/s-0000000002"`}},
		{name: "create ttl", method: "POST", target: "/api/zk/node", body: `{"path":"/app/t","mode":"ttl","ttl_ms":5000}`, wantCode: 201},
		{name: "create existing", method: "POST", target: "/api/zk/node", body: `{"path":"/app/a"}`, wantCode: 409,
			wantBody: []string{`"zk_code":-110`, `"zk_error":"NODEEXISTS"`}},
		{name: "create without parent", method: "POST", target: "/api/zk/node", body: `{"path":"/app/x/y"}`, wantCode: 404, wantBody: []string{`"NONODE"`}},
		{name: "create ephemeral", method: "POST", target: "/api/zk/node", body: `{"path":"/app/e","mode":"ephemeral"}`, wantCode: 400,
			wantBody: []string{"need a session", "HTTP API has none"}},
		{name: "create ttl without ttl", method: "POST", target: "/api/zk/node", body: `{"path":"/app/t","mode":"ttl"}`, wantCode: 400, wantBody: []string{`"BADARGUMENTS"`}},
		{name: "create negative ttl", method: "POST", target: "/api/zk/node", body: `{"path":"/app/t","mode":"ttl","ttl_ms":-1}`, wantCode: 400, wantBody: []string{"negative"}},
		{name: "create bad mode", method: "POST", target: "/api/zk/node", body: `{"path":"/app/m","mode":"forever"}`, wantCode: 400, wantBody: []string{`unknown mode \"forever\"`}},
		{name: "create without path", method: "POST", target: "/api/zk/node", body: `{"data":"eA=="}`, wantCode: 400, wantBody: []string{"missing path"}},
		{name: "create bad JSON", method: "POST", target: "/api/zk/node", body: `{"path":`, wantCode: 400, wantBody: []string{"bad JSON body"}},
		{name: "create bad base64", method: "POST", target: "/api/zk/node", body: `{"path":"/app/z","data":"not base64!"}`, wantCode: 400, wantBody: []string{"bad JSON body"}},
		{name: "create unknown field", method: "POST", target: "/api/zk/node", body: `{"path":"/app/z","ttl":5}`, wantCode: 400, wantBody: []string{`unknown field \"ttl\"`}},
		{name: "create trailing data", method: "POST", target: "/api/zk/node", body: `{"path":"/app/z"} {}`, wantCode: 400, wantBody: []string{"data after the JSON object"}},
		{name: "create empty body", method: "POST", target: "/api/zk/node", wantCode: 400, wantBody: []string{"bad JSON body"}},

		{name: "set", method: "PUT", target: "/api/zk/node", body: `{"path":"/app","data":"d29ybGQ=","version":0}`, wantCode: 200,
			wantBody: []string{`"version":1`, `"data_length":5`}},
		{name: "set any version", method: "PUT", target: "/api/zk/node", body: `{"path":"/app/a","data":"eA=="}`, wantCode: 200, wantBody: []string{`"version":1`}},
		{name: "set stale version", method: "PUT", target: "/api/zk/node", body: `{"path":"/app","data":"eA==","version":3}`, wantCode: 409,
			wantBody: []string{`"zk_code":-103`, `"zk_error":"BADVERSION"`, `"path":"/app"`}},
		{name: "set missing", method: "PUT", target: "/api/zk/node", body: `{"path":"/nope","data":"eA=="}`, wantCode: 404},
		{name: "set without path", method: "PUT", target: "/api/zk/node", body: `{"data":"eA=="}`, wantCode: 400, wantBody: []string{"missing path"}},

		{name: "delete", method: "DELETE", target: "/api/zk/node?path=/app/a", wantCode: 204},
		{name: "delete with version", method: "DELETE", target: "/api/zk/node?path=/app/a&version=0", wantCode: 204},
		{name: "delete stale version", method: "DELETE", target: "/api/zk/node?path=/app/a&version=2", wantCode: 409, wantBody: []string{`"BADVERSION"`}},
		{name: "delete bad version", method: "DELETE", target: "/api/zk/node?path=/app/a&version=x", wantCode: 400, wantBody: []string{"32-bit integer"}},
		{name: "delete not empty", method: "DELETE", target: "/api/zk/node?path=/app/b", wantCode: 409,
			wantBody: []string{`"zk_code":-111`, `"zk_error":"NOTEMPTY"`}},
		{name: "delete missing", method: "DELETE", target: "/api/zk/node?path=/nope", wantCode: 404},
		{name: "delete recursive", method: "DELETE", target: "/api/zk/node?path=/app&recursive=1", wantCode: 204},
		{name: "delete recursive missing", method: "DELETE", target: "/api/zk/node?path=/nope&recursive=1", wantCode: 404, wantBody: []string{`"path":"/nope"`}},
		{name: "delete recursive with version", method: "DELETE", target: "/api/zk/node?path=/app&recursive=1&version=0", wantCode: 400, wantBody: []string{"do not combine"}},
		{name: "delete root", method: "DELETE", target: "/api/zk/node?path=/&recursive=1", wantCode: 400, wantBody: []string{`"BADARGUMENTS"`}},
		{name: "delete without path", method: "DELETE", target: "/api/zk/node", wantCode: 400},

		{name: "PATCH", method: "PATCH", target: "/api/zk/node", wantCode: 405},
		{name: "POST stat", method: "POST", target: "/api/zk/stat?path=/app", wantCode: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(&fakeBackend{zk: seededZK(t)}, nil, DefaultOptions(), nil)
			resp := serveBody(t, h, tt.method, tt.target, tt.body)
			got := body(t, resp)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantCode, got)
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(got, w) {
					t.Errorf("body %s lacks %s", got, w)
				}
			}
			if tt.wantNot != "" && strings.Contains(got, tt.wantNot) {
				t.Errorf("body %s has %s", got, tt.wantNot)
			}
			switch {
			case resp.StatusCode == 204 && got != "":
				t.Errorf("204 with body %q", got)
			case resp.StatusCode != 204 && resp.StatusCode != 405 && tt.method != "HEAD":
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			}
		})
	}
}

func TestZKRoundTripsBinaryData(t *testing.T) {
	h := NewHandler(&fakeBackend{zk: newMemZK()}, nil, DefaultOptions(), nil)
	data := []byte{0, 0xff, '\n', 0x80, 'x'}
	req, _ := json.Marshal(ZKCreateRequest{Path: "/bin", Data: data})
	resp := serveBody(t, h, "POST", "/api/zk/node", string(req))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body(t, resp))
	}
	if loc := resp.Header.Get("Location"); loc != "/api/zk/node?path=%2Fbin" {
		t.Errorf("Location %q", loc)
	}
	resp = serveBody(t, h, "GET", "/api/zk/node?path=/bin", "")
	var got ZKNode
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, data) || got.Stat.DataLength != int32(len(data)) || got.Path != "/bin" {
		t.Fatalf("got %+v", got)
	}
}

func TestZKCreatePassesOptions(t *testing.T) {
	z := newMemZK()
	h := NewHandler(&fakeBackend{zk: z}, nil, DefaultOptions(), nil)
	resp := serveBody(t, h, "POST", "/api/zk/node",
		`{"path":"/t-","mode":"persistent_sequential_ttl","ttl_ms":1500,"acl":[{"perms":1,"scheme":"world","id":"anyone"},{"perms":31,"scheme":"digest","id":"alice:x"}]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("status %d: %s", resp.StatusCode, body(t, resp))
	}
	want := warren.CreateOptions{
		Mode: warren.ModePersistentSequentialTTL,
		TTL:  1500 * time.Millisecond,
		ACL:  []warren.ACL{{Perms: 1, Scheme: "world", ID: "anyone"}, {Perms: 31, Scheme: "digest", ID: "alice:x"}},
	}
	got := z.lastCreateOptions()
	if got.Mode != want.Mode || got.TTL != want.TTL || !slices.Equal(got.ACL, want.ACL) {
		t.Fatalf("options %+v, want %+v", got, want)
	}
}

func TestZKRecursiveDelete(t *testing.T) {
	z := seededZK(t)
	if _, _, err := z.Create(context.Background(), "/other", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h := NewHandler(&fakeBackend{zk: z}, nil, DefaultOptions(), nil)
	if resp := serveBody(t, h, "DELETE", "/api/zk/node?path=/app&recursive=true", ""); resp.StatusCode != 204 {
		t.Fatalf("status %d: %s", resp.StatusCode, body(t, resp))
	}
	if got, want := z.paths(), []string{"/", "/other"}; !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
}

func TestZKBodyLimit(t *testing.T) {
	h := NewHandler(&fakeBackend{zk: newMemZK()}, nil, DefaultOptions(), nil)
	big := `{"path":"/big","data":"` + strings.Repeat("A", maxZKBody) + `"}`
	resp := serveBody(t, h, "POST", "/api/zk/node", big)
	if got := body(t, resp); resp.StatusCode != 413 || !strings.Contains(got, "request body over") {
		t.Fatalf("status %d: %s", resp.StatusCode, got)
	}
}

// TestZKErrorStatuses checks how backend errors are answered, for errors
// the in-memory tree never produces.
func TestZKErrorStatuses(t *testing.T) {
	tests := []struct {
		err      error
		wantCode int
		wantBody string
	}{
		{&warren.ZKError{Code: warren.ErrNoAuth.Code, Path: "/app"}, 403, `"zk_code":-102,"zk_error":"NOAUTH","path":"/app"`},
		{&warren.ZKError{Code: warren.ErrInvalidACL.Code, Path: "/app"}, 400, `"zk_error":"INVALIDACL"`},
		{&warren.ZKError{Code: warren.ErrBadArguments.Code}, 400, `"zk_error":"BADARGUMENTS"}`},
		{&warren.ZKError{Code: warren.ErrNoChildrenForEphemerals.Code}, 409, `"zk_error":"NOCHILDRENFOREPHEMERALS"`},
		{&warren.ZKError{Code: warren.ErrSystem.Code}, 500, `"zk_error":"SYSTEMERROR"`},
		{&warren.ZKError{Code: -999}, 500, `"zk_code":-999,"zk_error":"ERROR-999"`},
		{fmt.Errorf("wrapped: %w", &warren.ZKError{Code: warren.ErrNoNode.Code, Path: "/x"}), 404, `"path":"/x"`},
		{warren.ErrNeedsSession, 400, "HTTP API has none"},
		{warren.ErrClosed, 503, `"error"`},
		{fmt.Errorf("node is starting (%w)", ErrUnavailable), 503, "node is starting"},
		{fmt.Errorf("shard 3: %w", warren.ErrNotLeader), 503, "shard 3"},
		{fmt.Errorf("shard 3: %w", warren.ErrUnavailable), 503, "shard 3"},
		{context.DeadlineExceeded, 504, "deadline exceeded"},
		{fmt.Errorf("op: %w", warren.ErrTimeout), 504, "op: "},
		{errors.New("disk on fire"), 500, `{"error":"disk on fire"}`},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			z := newMemZK()
			z.err = tt.err
			h := NewHandler(&fakeBackend{zk: z}, nil, DefaultOptions(), nil)
			resp := serveBody(t, h, "GET", "/api/zk/node?path=/app", "")
			got := body(t, resp)
			if resp.StatusCode != tt.wantCode || !strings.Contains(got, tt.wantBody) {
				t.Fatalf("status %d body %s; want %d and %s", resp.StatusCode, got, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestZKUnavailable(t *testing.T) {
	h := NewHandler(&fakeBackend{}, nil, DefaultOptions(), nil)
	for _, r := range []struct{ method, target, body string }{
		{"GET", "/api/zk/node?path=/a", ""},
		{"GET", "/api/zk/children?path=/a", ""},
		{"GET", "/api/zk/stat?path=/a", ""},
		{"POST", "/api/zk/node", `{"path":"/a"}`},
		{"PUT", "/api/zk/node", `{"path":"/a"}`},
		{"DELETE", "/api/zk/node?path=/a", ""},
	} {
		resp := serveBody(t, h, r.method, r.target, r.body)
		if got := body(t, resp); resp.StatusCode != 503 || !strings.Contains(got, "no coordination client") {
			t.Errorf("%s %s: status %d body %s", r.method, r.target, resp.StatusCode, got)
		}
	}
}
