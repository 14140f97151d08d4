package warren

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/warrenhq/warren/consensus"
	"github.com/warrenhq/warren/observability"
)

// Config configures one Warren node. The zero value is not valid; start from
// DefaultConfig and override fields. Every field can also be given as a
// `warren server` flag, a WARREN_* environment variable, or a YAML key.
type Config struct {
	// NodeID identifies this node in the cluster, at most 2^56-1; the Raft
	// replica ids of its shard replicas derive from it. 0 means: reuse the
	// id stored in DataDir, or pick a random one on first start and store
	// it there.
	NodeID uint64 `yaml:"node_id"`
	// Name is a human-readable node name shown by `cluster status`.
	// Default: "node-<NodeID>".
	Name string `yaml:"name"`
	// DataDir holds the Raft logs, state machine data and the node id.
	// Default: "./warren-data".
	DataDir string `yaml:"data_dir"`
	// Join lists gossip seeds (host:port) of an existing cluster. Empty means
	// this node forms a new cluster (or restarts the one in DataDir).
	Join []string `yaml:"join"`

	// GossipAddr is the memberlist bind address. Default: "127.0.0.1:7946".
	GossipAddr string `yaml:"gossip_addr"`
	// RaftAddr is dragonboat's listen and advertised address.
	// Default: "127.0.0.1:7950".
	RaftAddr string `yaml:"raft_addr"`
	// ActorAddr is the protoactor remote (gRPC) address grains are reached
	// on. Default: "127.0.0.1:7960".
	ActorAddr string `yaml:"actor_addr"`
	// ZKAddr is the ZooKeeper protocol listener. Default: "127.0.0.1:2181".
	ZKAddr string `yaml:"zk_addr"`
	// KafkaAddr is the Kafka protocol listener. Default: "127.0.0.1:9092".
	KafkaAddr string `yaml:"kafka_addr"`
	// HTTPAddr serves the dashboard, /metrics, /healthz, /readyz and /api.
	// Empty disables HTTP. Default: "127.0.0.1:8080".
	HTTPAddr string `yaml:"http_addr"`

	// Shards is the number of Raft shards in the cluster, shard 0 being the
	// meta shard. It is fixed when the cluster forms. Default: 64.
	Shards int `yaml:"shards"`
	// Replicas is the number of replicas of each shard (fewer while the
	// cluster has fewer nodes). Default: 3.
	Replicas int `yaml:"replicas"`
	// Observers makes every node of the placement that holds no voting
	// replica of a data shard hold a non-voting one (ZooKeeper's
	// observers), so that ZooKeeper clients and Coords on any node read
	// and watch every namespace locally. Non-voting replicas never vote,
	// lead or count toward Replicas, but each node then applies every
	// shard's writes. Set it the same on every node. Default: true.
	Observers bool `yaml:"observers"`
	// RTTMillis is the expected round trip between nodes in milliseconds;
	// Raft heartbeats are 1 RTT and elections start after 10-20 RTT without
	// a leader. Default: 50 (a failed leader is replaced in about 1 s).
	RTTMillis int `yaml:"rtt_ms"`
	// DeadNodeTimeout is how long a node must be unreachable before the
	// placement stops counting it and its replicas move elsewhere.
	// Default: 5m.
	DeadNodeTimeout time.Duration `yaml:"dead_node_timeout"`
	// GrainIdleTimeout passivates a grain after this long without a message.
	// Default: 5m.
	GrainIdleTimeout time.Duration `yaml:"grain_idle_timeout"`
	// RequestTimeout bounds a grain request when the caller's context has no
	// deadline. Default: 5s.
	RequestTimeout time.Duration `yaml:"request_timeout"`

	// MaxZnodeDataBytes limits the data of one znode (ZooKeeper's
	// jute.maxbuffer). Every node of a cluster must use the same value.
	// Default: 1 MiB.
	MaxZnodeDataBytes int `yaml:"max_znode_data_bytes"`

	// SuperDigest, if set, is the digest identity ("super:<base64 sha1>",
	// see Digest) whose holder bypasses every ACL, like ZooKeeper's
	// zookeeper.DigestAuthenticationProvider.superDigest. Default: none.
	SuperDigest string `yaml:"super_digest"`

	// SessionMinTimeout and SessionMaxTimeout bound the session timeouts
	// clients may negotiate (ZooKeeper's minSessionTimeout and
	// maxSessionTimeout). Defaults: 4s and 40s.
	SessionMinTimeout time.Duration `yaml:"session_min_timeout"`
	SessionMaxTimeout time.Duration `yaml:"session_max_timeout"`

	// Logger receives the node's logs. Default: slog.Default().
	Logger *slog.Logger `yaml:"-"`
	// Telemetry receives the node's metrics. A caller that sets it owns it:
	// it serves MetricsHandler and calls Shutdown after Close. nil: the node
	// creates its own.
	Telemetry *observability.Telemetry `yaml:"-"`
}

// DefaultConfig returns the configuration `warren dev` runs with.
func DefaultConfig() Config {
	return Config{
		DataDir:          "./warren-data",
		GossipAddr:       "127.0.0.1:7946",
		RaftAddr:         "127.0.0.1:7950",
		ActorAddr:        "127.0.0.1:7960",
		ZKAddr:           "127.0.0.1:2181",
		KafkaAddr:        "127.0.0.1:9092",
		HTTPAddr:         "127.0.0.1:8080",
		Shards:           64,
		Replicas:         3,
		Observers:        true,
		RTTMillis:        50,
		DeadNodeTimeout:  5 * time.Minute,
		GrainIdleTimeout: 5 * time.Minute,
		RequestTimeout:   5 * time.Second,

		MaxZnodeDataBytes: 1 << 20,

		SessionMinTimeout: 4 * time.Second,
		SessionMaxTimeout: 40 * time.Second,
	}
}

// MaxShards bounds Config.Shards.
const MaxShards = 4096

// Validate reports every invalid field at once, joined with errors.Join.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	addr := func(field, v string, required bool) {
		if v == "" {
			if required {
				bad(field, "must not be empty")
			}
			return
		}
		host, port, err := net.SplitHostPort(v)
		if err != nil {
			bad(field, "%q is not host:port: %v", v, err)
			return
		}
		if host == "" && (field == "raft_addr" || field == "actor_addr" || field == "gossip_addr") {
			bad(field, "%q needs a host other nodes can reach", v)
		}
		if p, err := net.LookupPort("tcp", port); err != nil || p <= 0 || p > 65535 {
			bad(field, "%q has an invalid port", v)
		}
	}
	addr("gossip_addr", c.GossipAddr, true)
	addr("raft_addr", c.RaftAddr, true)
	addr("actor_addr", c.ActorAddr, true)
	addr("zk_addr", c.ZKAddr, false)
	addr("kafka_addr", c.KafkaAddr, false)
	addr("http_addr", c.HTTPAddr, false)
	for i, j := range c.Join {
		if _, _, err := net.SplitHostPort(j); err != nil {
			bad(fmt.Sprintf("join[%d]", i), "%q is not host:port: %v", j, err)
		}
	}
	if c.NodeID > consensus.MaxNodeID {
		bad("node_id", "%d is above %d", c.NodeID, uint64(consensus.MaxNodeID))
	}
	if c.Shards < 2 || c.Shards > MaxShards {
		bad("shards", "%d is outside [2, %d]", c.Shards, MaxShards)
	}
	if c.Replicas < 1 || c.Replicas > 7 {
		bad("replicas", "%d is outside [1, 7]", c.Replicas)
	}
	if c.RTTMillis < 1 || c.RTTMillis > 10000 {
		bad("rtt_ms", "%d is outside [1, 10000]", c.RTTMillis)
	}
	if c.DeadNodeTimeout < time.Second {
		bad("dead_node_timeout", "%v is shorter than 1s", c.DeadNodeTimeout)
	}
	if c.GrainIdleTimeout < time.Second {
		bad("grain_idle_timeout", "%v is shorter than 1s", c.GrainIdleTimeout)
	}
	if c.MaxZnodeDataBytes < 1 || c.MaxZnodeDataBytes > 64<<20 {
		bad("max_znode_data_bytes", "%d is outside [1, 64 MiB]", c.MaxZnodeDataBytes)
	}
	if c.SuperDigest != "" {
		if u, d, ok := strings.Cut(c.SuperDigest, ":"); !ok || u == "" || d == "" {
			bad("super_digest", "must be user:base64(sha1(user:password))")
		}
	}
	if c.SessionMinTimeout < 100*time.Millisecond {
		bad("session_min_timeout", "%v is shorter than 100ms", c.SessionMinTimeout)
	}
	if c.SessionMaxTimeout < c.SessionMinTimeout {
		bad("session_max_timeout", "%v is shorter than session_min_timeout %v", c.SessionMaxTimeout, c.SessionMinTimeout)
	}
	if c.RequestTimeout <= 0 {
		bad("request_timeout", "%v must be positive", c.RequestTimeout)
	}
	return errors.Join(errs...)
}
