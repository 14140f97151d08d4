package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
)

// Config configures one node's gossip membership. Start from DefaultConfig,
// or fill BindAddr and Meta and leave the tuning fields zero: a zero tuning
// field takes the default documented on it (memberlist's LAN defaults).
type Config struct {
	// BindAddr is the gossip address, ip:port, listened on for both TCP and
	// UDP. The host must be an IP literal; 0.0.0.0 or [::] binds every
	// interface. Default (DefaultConfig): "0.0.0.0:7946".
	BindAddr string
	// AdvertiseAddr is the ip:port other nodes reach this node on. Empty
	// means BindAddr, or, when BindAddr's IP is unspecified, a private IP of
	// this host chosen by memberlist with BindAddr's port.
	AdvertiseAddr string
	// Meta is what this node gossips about itself. Meta.NodeID must not be
	// 0 and is this node's memberlist name (in decimal).
	Meta NodeMeta
	// Seeds are host:port gossip addresses of existing members. Empty means
	// this node is the first one. This node's own BindAddr and
	// AdvertiseAddr are skipped, so every node may be given the same list.
	Seeds []string
	// Logger receives this package's logs and memberlist's. Nil discards
	// them.
	Logger *slog.Logger
	// SecretKey, when set, encrypts gossip with AES (16, 24 or 32 bytes for
	// AES-128/192/256). Every node must use the same key.
	SecretKey []byte

	// ProbeInterval is how often a random member is probed for failure
	// detection. Default: 1s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long to wait for a probe's ack; it must be shorter
	// than ProbeInterval. Default: 500ms, or half of ProbeInterval when that
	// is less than 1s.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a member stays suspected before it is
	// declared dead: SuspicionMult × log10(max(N,10)) × ProbeInterval.
	// Default: 4.
	SuspicionMult int
	// GossipInterval is how often queued gossip (state changes, placement)
	// is sent to GossipNodes random members. Default: 200ms.
	GossipInterval time.Duration
	// GossipNodes is how many members each gossip round is sent to.
	// Default: 3.
	GossipNodes int
	// RetransmitMult scales how many times a gossiped message is sent:
	// RetransmitMult × log10(N+1). Default: 4.
	RetransmitMult int
	// PushPullInterval is how often the full state (membership and
	// placement) is synced with one random member over TCP. Default: 30s.
	PushPullInterval time.Duration
	// TCPTimeout bounds connecting to a member and each TCP read or write
	// (joins, push/pull, leave notices). Default: 10s.
	TCPTimeout time.Duration
	// GossipToTheDeadTime is how long a dead member still receives gossip,
	// giving it a chance to refute. Default: 30s.
	GossipToTheDeadTime time.Duration
	// JoinRetryInterval is the pause between attempts to join the seeds
	// while none of them answers. Default: 1s.
	JoinRetryInterval time.Duration
}

// Default tuning, from memberlist.DefaultLANConfig.
const (
	DefaultBindAddr          = "0.0.0.0:7946"
	DefaultProbeInterval     = time.Second
	DefaultProbeTimeout      = 500 * time.Millisecond
	DefaultSuspicionMult     = 4
	DefaultGossipInterval    = 200 * time.Millisecond
	DefaultGossipNodes       = 3
	DefaultRetransmitMult    = 4
	DefaultPushPullInterval  = 30 * time.Second
	DefaultTCPTimeout        = 10 * time.Second
	DefaultGossipToTheDead   = 30 * time.Second
	DefaultJoinRetryInterval = time.Second
)

// DefaultConfig returns a Config with every default filled in; set Meta
// (and usually BindAddr and Seeds) before calling Start.
func DefaultConfig() Config {
	return Config{
		BindAddr:            DefaultBindAddr,
		ProbeInterval:       DefaultProbeInterval,
		ProbeTimeout:        DefaultProbeTimeout,
		SuspicionMult:       DefaultSuspicionMult,
		GossipInterval:      DefaultGossipInterval,
		GossipNodes:         DefaultGossipNodes,
		RetransmitMult:      DefaultRetransmitMult,
		PushPullInterval:    DefaultPushPullInterval,
		TCPTimeout:          DefaultTCPTimeout,
		GossipToTheDeadTime: DefaultGossipToTheDead,
		JoinRetryInterval:   DefaultJoinRetryInterval,
	}
}

// ErrInvalidConfig is wrapped by every error Validate reports.
var ErrInvalidConfig = errors.New("cluster: invalid config")

// Validate reports every invalid field at once (errors.Join of one error per
// field, each wrapping ErrInvalidConfig). Zero tuning fields are valid: they
// take their defaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...)))
	}
	if err := checkIPPort(c.BindAddr); err != nil {
		bad("BindAddr", "%q: %v", c.BindAddr, err)
	}
	if c.AdvertiseAddr != "" {
		if err := checkIPPort(c.AdvertiseAddr); err != nil {
			bad("AdvertiseAddr", "%q: %v", c.AdvertiseAddr, err)
		} else if host, _, _ := net.SplitHostPort(c.AdvertiseAddr); net.ParseIP(host).IsUnspecified() {
			bad("AdvertiseAddr", "%q: must be an address other nodes can reach", c.AdvertiseAddr)
		}
	}
	if c.Meta.NodeID == 0 {
		bad("Meta.NodeID", "must not be 0")
	}
	if _, err := encodeMeta(c.Meta, 0); err != nil {
		bad("Meta", "%v", err)
	}
	for i, s := range c.Seeds {
		if _, err := splitHostPort(s); err != nil {
			bad(fmt.Sprintf("Seeds[%d]", i), "%q: %v", s, err)
		}
	}
	if n := len(c.SecretKey); n != 0 && n != 16 && n != 24 && n != 32 {
		bad("SecretKey", "%d bytes, want 16, 24 or 32", n)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"ProbeInterval", c.ProbeInterval}, {"ProbeTimeout", c.ProbeTimeout},
		{"GossipInterval", c.GossipInterval}, {"PushPullInterval", c.PushPullInterval},
		{"TCPTimeout", c.TCPTimeout}, {"GossipToTheDeadTime", c.GossipToTheDeadTime},
		{"JoinRetryInterval", c.JoinRetryInterval},
	} {
		if d.v < 0 {
			bad(d.name, "%v is negative", d.v)
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"SuspicionMult", c.SuspicionMult}, {"GossipNodes", c.GossipNodes}, {"RetransmitMult", c.RetransmitMult},
	} {
		if n.v < 0 {
			bad(n.name, "%d is negative", n.v)
		}
	}
	if d := c.withDefaults(); c.ProbeTimeout > 0 && d.ProbeInterval > 0 && d.ProbeTimeout >= d.ProbeInterval {
		bad("ProbeTimeout", "%v must be shorter than ProbeInterval (%v)", d.ProbeTimeout, d.ProbeInterval)
	}
	return errors.Join(errs...)
}

// withDefaults returns c with every zero tuning field set to its default.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur(&c.ProbeInterval, def.ProbeInterval)
	setDur(&c.ProbeTimeout, min(def.ProbeTimeout, c.ProbeInterval/2))
	setInt(&c.SuspicionMult, def.SuspicionMult)
	setDur(&c.GossipInterval, def.GossipInterval)
	setInt(&c.GossipNodes, def.GossipNodes)
	setInt(&c.RetransmitMult, def.RetransmitMult)
	setDur(&c.PushPullInterval, def.PushPullInterval)
	setDur(&c.TCPTimeout, def.TCPTimeout)
	setDur(&c.GossipToTheDeadTime, def.GossipToTheDeadTime)
	setDur(&c.JoinRetryInterval, def.JoinRetryInterval)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Seeds = slices.Clone(c.Seeds)
	c.SecretKey = slices.Clone(c.SecretKey)
	return c
}

// deadNodeReclaimTime lets a node id that memberlist has seen die come back
// from a different address at once. memberlist's default (never) would leave
// such a node ignored by the cluster forever; an id that is still alive
// elsewhere is refused at join (ErrNodeIDConflict).
const deadNodeReclaimTime = time.Nanosecond

// memberlistConfig translates c (defaults applied, validated) into
// memberlist's configuration.
func (c Config) memberlistConfig(logger *slog.Logger) (*memberlist.Config, error) {
	mc := memberlist.DefaultLANConfig()
	mc.Name = strconv.FormatUint(c.Meta.NodeID, 10)
	bindIP, bindPort, err := splitIPPort(c.BindAddr)
	if err != nil {
		return nil, err
	}
	mc.BindAddr, mc.BindPort = bindIP.String(), bindPort
	mc.AdvertiseAddr, mc.AdvertisePort = "", bindPort
	switch {
	case c.AdvertiseAddr != "":
		ip, port, err := splitIPPort(c.AdvertiseAddr)
		if err != nil {
			return nil, err
		}
		mc.AdvertiseAddr, mc.AdvertisePort = ip.String(), port
	case !bindIP.IsUnspecified():
		mc.AdvertiseAddr = bindIP.String()
	}
	mc.ProbeInterval = c.ProbeInterval
	mc.ProbeTimeout = c.ProbeTimeout
	mc.SuspicionMult = c.SuspicionMult
	mc.GossipInterval = c.GossipInterval
	mc.GossipNodes = c.GossipNodes
	mc.RetransmitMult = c.RetransmitMult
	mc.PushPullInterval = c.PushPullInterval
	mc.TCPTimeout = c.TCPTimeout
	mc.GossipToTheDeadTime = c.GossipToTheDeadTime
	mc.DeadNodeReclaimTime = deadNodeReclaimTime
	mc.Logger = newMemberlistLogger(logger.With("subsystem", "memberlist"))
	if len(c.SecretKey) > 0 {
		kr, err := memberlist.NewKeyring(nil, c.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("cluster: gossip keyring: %w", err)
		}
		mc.Keyring = kr
	}
	return mc, nil
}

// checkIPPort checks an ip:port address with a port in 1..65535.
func checkIPPort(addr string) error {
	_, _, err := splitIPPort(addr)
	return err
}

func splitIPPort(addr string) (net.IP, int, error) {
	host, port, err := splitHostPortNum(addr)
	if err != nil {
		return nil, 0, err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, 0, fmt.Errorf("host %q is not an IP address", host)
	}
	return ip, port, nil
}

// splitHostPort checks a host:port address with a non-empty host and a
// port in 1..65535 and returns it normalised.
func splitHostPort(addr string) (string, error) {
	host, port, err := splitHostPortNum(addr)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

func splitHostPortNum(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		return "", 0, errors.New("missing host")
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not in 1..65535", portStr)
	}
	return host, port, nil
}
