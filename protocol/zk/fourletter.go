package zk

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// The four-letter words: a connection whose first four bytes are one of
// these commands gets a text answer and is closed, as in ZooKeeper. All are
// enabled (ZooKeeper's 4lw.commands.whitelist is not needed).

// Version is the ZooKeeper version Warren reports: the protocol level it
// serves, marked as Warren's.
const Version = "3.8.4-warren"

var fourLetterWords = map[string]func(c *conn, ctx context.Context, b *strings.Builder){
	"ruok": func(_ *conn, _ context.Context, b *strings.Builder) { b.WriteString("imok") },
	"isro": func(_ *conn, _ context.Context, b *strings.Builder) { b.WriteString("rw") },
	"srvr": func(c *conn, ctx context.Context, b *strings.Builder) { c.s.writeSrvr(ctx, b, false) },
	"stat": func(c *conn, ctx context.Context, b *strings.Builder) { c.s.writeSrvr(ctx, b, true) },
	"cons": func(c *conn, _ context.Context, b *strings.Builder) { c.s.writeCons(b) },
	"mntr": func(c *conn, ctx context.Context, b *strings.Builder) { c.s.writeMntr(ctx, b) },
	"wchs": func(c *conn, _ context.Context, b *strings.Builder) { c.s.writeWatches(b, 's') },
	"wchc": func(c *conn, _ context.Context, b *strings.Builder) { c.s.writeWatches(b, 'c') },
	"wchp": func(c *conn, _ context.Context, b *strings.Builder) { c.s.writeWatches(b, 'p') },
	"conf": func(c *conn, ctx context.Context, b *strings.Builder) { c.writeConf(ctx, b) },
	"envi": func(c *conn, _ context.Context, b *strings.Builder) { writeEnvi(b) },
	"dirs": func(c *conn, ctx context.Context, b *strings.Builder) { c.s.writeDirs(ctx, b) },
}

func isFourLetterWord(cmd string) bool { _, ok := fourLetterWords[cmd]; return ok }

// fourLetterWord answers cmd; the caller closes the connection.
func (c *conn) fourLetterWord(cmd string) {
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.HandshakeTimeout)
	defer cancel()
	var b strings.Builder
	fourLetterWords[cmd](c, ctx, &b)
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if _, err := c.nc.Write([]byte(b.String())); err != nil {
		c.s.log.Debug("four-letter word: write failed", "remote", c.remote, "cmd", cmd, "err", err)
	}
}

// buildDate is when this binary was built, in the form ZooKeeper's version
// line uses ("01/02/2006 15:04 GMT"), which clients parse.
var buildDate = sync.OnceValue(func() string {
	t := time.Time{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				t, _ = time.Parse(time.RFC3339, s.Value)
			}
		}
	}
	if t.IsZero() {
		if exe, err := os.Executable(); err == nil {
			if fi, err := os.Stat(exe); err == nil {
				t = fi.ModTime()
			}
		}
	}
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format("01/02/2006 15:04") + " GMT"
})

func versionLine() string { return Version + ", built on " + buildDate() }

// facts gathers what srvr and mntr report about the node; a part the
// cluster cannot answer in time is reported as 0.
type facts struct {
	info      nodeInfo
	zxid      int64
	nodeCount int64
}

func (s *Server) facts(ctx context.Context) facts {
	admin := s.b.Admin()
	f := facts{info: s.b.Info(ctx), zxid: admin.LastZxid("/")}
	f.nodeCount, _ = countAll(ctx, admin)
	return f
}

func (s *Server) writeSrvr(ctx context.Context, b *strings.Builder, clients bool) {
	f := s.facts(ctx)
	fmt.Fprintf(b, "Zookeeper version: %s\n", versionLine())
	if clients {
		b.WriteString("Clients:\n")
		for _, c := range s.sortedConns() {
			fmt.Fprintf(b, " /%s[1](queued=%d,recved=%d,sent=%d)\n", c.remote, c.out.queued(),
				c.stats.recv.Load(), c.stats.sent.Load())
		}
		b.WriteString("\n")
	}
	lo, avg, hi := s.stats.latency()
	fmt.Fprintf(b, "Latency min/avg/max: %d/%.4f/%d\n", lo, avg, hi)
	fmt.Fprintf(b, "Received: %d\n", s.stats.received.Load())
	fmt.Fprintf(b, "Sent: %d\n", s.stats.sent.Load())
	fmt.Fprintf(b, "Connections: %d\n", len(s.connections()))
	fmt.Fprintf(b, "Outstanding: %d\n", s.stats.outstanding.Load())
	fmt.Fprintf(b, "Zxid: 0x%x\n", f.zxid)
	fmt.Fprintf(b, "Mode: %s\n", f.info.Mode)
	fmt.Fprintf(b, "Node count: %d\n", f.nodeCount)
}

func (s *Server) writeCons(b *strings.Builder) {
	for _, c := range s.sortedConns() {
		st := &c.stats
		n := st.latCount.Load()
		avg := int64(0)
		if n > 0 {
			avg = st.latSum.Load() / n
		}
		fmt.Fprintf(b, " /%s[1](queued=%d,recved=%d,sent=%d,sid=0x%x,lop=%s,est=%d,to=%d,lcxid=0x%x,"+
			"lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d)\n",
			c.remote, c.out.queued(), st.recv.Load(), st.sent.Load(), c.sid.Load(),
			opAbbrev(jute.OpCode(st.lastOp.Load())), c.est.UnixMilli(), c.timeout.Load(),
			uint32(st.lastXid.Load()), c.zxid.Load(), st.lastResp.Load(), st.lastLat.Load(),
			max(st.minLat.Load(), 0), avg, st.maxLat.Load())
	}
	b.WriteString("\n")
}

func (s *Server) writeMntr(ctx context.Context, b *strings.Builder) {
	f := s.facts(ctx)
	lo, avg, hi := s.stats.latency()
	watches, paths := 0, map[string]bool{}
	conns := s.connections()
	for _, c := range conns {
		for _, k := range c.watch.snapshot() {
			watches++
			paths[k.path] = true
		}
	}
	kv := func(k string, v any) { fmt.Fprintf(b, "zk_%s\t%v\n", k, v) }
	kv("version", versionLine())
	kv("server_state", f.info.Mode)
	kv("avg_latency", fmt.Sprintf("%.4f", avg))
	kv("max_latency", hi)
	kv("min_latency", lo)
	kv("packets_received", s.stats.received.Load())
	kv("packets_sent", s.stats.sent.Load())
	kv("num_alive_connections", len(conns))
	kv("outstanding_requests", s.stats.outstanding.Load())
	kv("znode_count", f.nodeCount)
	kv("watch_count", watches)
	kv("watch_paths", len(paths))
	kv("last_zxid", fmt.Sprintf("0x%x", f.zxid))
	kv("uptime", time.Since(s.started).Milliseconds())
	kv("server_id", f.info.ID)
}

// writeWatches answers wchs (mode 's': a summary), wchc ('c': paths by
// session) and wchp ('p': sessions by path).
func (s *Server) writeWatches(b *strings.Builder, mode byte) {
	bySession := map[int64][]string{}
	byPath := map[string][]int64{}
	total := 0
	for _, c := range s.sortedConns() {
		id := c.sid.Load()
		for _, k := range c.watch.snapshot() {
			total++
			if !slices.Contains(bySession[id], k.path) {
				bySession[id] = append(bySession[id], k.path)
			}
			if !slices.Contains(byPath[k.path], id) {
				byPath[k.path] = append(byPath[k.path], id)
			}
		}
	}
	switch mode {
	case 's':
		fmt.Fprintf(b, "%d connections watching %d paths\nTotal watches:%d\n", len(bySession), len(byPath), total)
	case 'c':
		for _, id := range slices.Sorted(maps.Keys(bySession)) {
			fmt.Fprintf(b, "0x%x\n", id)
			for _, p := range slices.Sorted(slices.Values(bySession[id])) {
				fmt.Fprintf(b, "\t%s\n", p)
			}
		}
	case 'p':
		for _, p := range slices.Sorted(maps.Keys(byPath)) {
			fmt.Fprintf(b, "%s\n", p)
			for _, id := range slices.Sorted(slices.Values(byPath[p])) {
				fmt.Fprintf(b, "\t0x%x\n", id)
			}
		}
	}
}

func (c *conn) writeConf(ctx context.Context, b *strings.Builder) {
	info := c.s.b.Info(ctx)
	port := ""
	if _, p, err := net.SplitHostPort(c.nc.LocalAddr().String()); err == nil {
		port = p
	}
	fmt.Fprintf(b, "clientPort=%s\n", port)
	fmt.Fprintf(b, "dataDir=%s\n", info.DataDir)
	fmt.Fprintf(b, "maxClientCnxns=%d\n", c.s.cfg.MaxConnections)
	fmt.Fprintf(b, "minSessionTimeout=%d\n", info.MinSessionTimeout.Milliseconds())
	fmt.Fprintf(b, "maxSessionTimeout=%d\n", info.MaxSessionTimeout.Milliseconds())
	fmt.Fprintf(b, "jute.maxbuffer=%d\n", c.s.cfg.MaxFrameBytes)
	fmt.Fprintf(b, "serverId=%d\n", info.ID)
}

func writeEnvi(b *strings.Builder) {
	host, _ := os.Hostname()
	dir, _ := os.Getwd()
	b.WriteString("Environment:\n")
	fmt.Fprintf(b, "zookeeper.version=%s\n", versionLine())
	fmt.Fprintf(b, "host.name=%s\n", host)
	fmt.Fprintf(b, "go.version=%s\n", runtime.Version())
	fmt.Fprintf(b, "os.name=%s\n", runtime.GOOS)
	fmt.Fprintf(b, "os.arch=%s\n", runtime.GOARCH)
	fmt.Fprintf(b, "user.dir=%s\n", dir)
}

// writeDirs reports the size of the state machines' data and of the Raft
// logs, the counterparts of ZooKeeper's snapshots and transaction logs.
func (s *Server) writeDirs(ctx context.Context, b *strings.Builder) {
	dir := s.b.Info(ctx).DataDir
	fmt.Fprintf(b, "datadir_size: %d\n", dirSize(filepath.Join(dir, "sm")))
	fmt.Fprintf(b, "logdir_size: %d\n", dirSize(filepath.Join(dir, "raft")))
}

func dirSize(dir string) int64 {
	var n int64
	if dir == "" {
		return 0
	}
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// sortedConns returns the connections that have a session, oldest first.
func (s *Server) sortedConns() []*conn {
	var cs []*conn
	for _, c := range s.connections() {
		if c.sid.Load() != 0 {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b *conn) int { return a.est.Compare(b.est) })
	return cs
}

// opAbbrev is the short name cons shows for an operation, as ZooKeeper's.
func opAbbrev(op jute.OpCode) string {
	switch op {
	case jute.OpPing:
		return "PING"
	case jute.OpGetData:
		return "GETD"
	case jute.OpSetData:
		return "SETD"
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
		return "CREA"
	case jute.OpDelete:
		return "DELE"
	case jute.OpExists:
		return "EXIS"
	case jute.OpGetChildren, jute.OpGetChildren2:
		return "GETC"
	case jute.OpSync:
		return "SYNC"
	case jute.OpMulti, jute.OpMultiRead:
		return "MULT"
	case jute.OpGetACL:
		return "GETA"
	case jute.OpSetACL:
		return "SETA"
	case jute.OpSetWatches, jute.OpSetWatches2:
		return "SETW"
	case jute.OpAuth:
		return "AUTH"
	}
	return "NA"
}
