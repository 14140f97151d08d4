package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/observability"
)

// settings is everything `warren dev` and `warren server` are configured
// with: the node's Config plus the process-level options around it.
type settings struct {
	Node       warren.Config
	LogFormat  string
	LogLevel   slog.Level
	Tracing    observability.TracingOptions
	ConfigFile string
	// Warnings are problems that did not stop loading: unsupported values
	// of the standard OTEL_* variables, which are ignored. The command logs
	// them once its logger exists.
	Warnings []string
}

// defaultSettings returns the settings `warren server` starts from.
func defaultSettings() settings {
	return settings{
		Node: warren.DefaultConfig(), LogFormat: observability.LogFormatText, LogLevel: slog.LevelInfo,
		Tracing: defaultTracing(),
	}
}

// devSettings returns the settings `warren dev` starts from: a single node
// with id 1.
func devSettings() settings {
	s := defaultSettings()
	s.Node.NodeID = 1
	return s
}

// envPrefix starts the environment variable of every option.
const envPrefix = "WARREN_"

// option is one setting, given as the flag --<name>, the environment variable
// WARREN_<NAME> (upper snake case) or the YAML key <name> with underscores,
// which is the `yaml` tag of the Config field it sets.
type option struct {
	name   string
	typ    string // the value's kind, shown in --help
	usage  string
	list   bool // repeatable flag, comma-separated env var, YAML sequence
	noFile bool // not settable from the YAML file
	// set parses vals (exactly one unless list) into s.
	set func(s *settings, vals []string) error
	// get formats the current value, for the defaults shown in --help.
	get func(s *settings) string
}

func (o option) env() string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(o.name, "-", "_"))
}
func (o option) yamlKey() string { return strings.ReplaceAll(o.name, "-", "_") }

// options lists every setting. A test checks that it covers each `yaml`
// key of warren.Config.
var options = []option{
	uintOpt("node-id", "node id, also its Raft replica id (0: reuse the id stored in the data dir, or pick a random one)",
		func(s *settings) *uint64 { return &s.Node.NodeID }),
	stringOpt("name", "human-readable node name (empty: node-<id>)", func(s *settings) *string { return &s.Node.Name }),
	stringOpt("data-dir", "directory of Raft logs, state machine data and the node id", func(s *settings) *string { return &s.Node.DataDir }),
	{
		name: "join", typ: "host:port", list: true,
		usage: "gossip seed of an existing cluster, repeatable or comma-separated (none: form a new cluster)",
		set: func(s *settings, vals []string) error {
			s.Node.Join = append([]string(nil), vals...)
			return nil
		},
		get: func(s *settings) string { return strings.Join(s.Node.Join, ",") },
	},
	stringOpt("gossip-addr", "gossip (memberlist) bind address", func(s *settings) *string { return &s.Node.GossipAddr }),
	stringOpt("raft-addr", "Raft listen and advertised address", func(s *settings) *string { return &s.Node.RaftAddr }),
	stringOpt("actor-addr", "address grains are reached on (actor remote)", func(s *settings) *string { return &s.Node.ActorAddr }),
	stringOpt("zk-addr", "ZooKeeper protocol listener (empty: off)", func(s *settings) *string { return &s.Node.ZKAddr }),
	stringOpt("kafka-addr", "Kafka protocol listener (empty: off)", func(s *settings) *string { return &s.Node.KafkaAddr }),
	stringOpt("http-addr", "dashboard, /metrics, /healthz, /readyz and /api listener (empty: off)", func(s *settings) *string { return &s.Node.HTTPAddr }),
	intOpt("shards", "number of Raft shards, fixed when the cluster forms", func(s *settings) *int { return &s.Node.Shards }),
	intOpt("replicas", "replicas of each shard", func(s *settings) *int { return &s.Node.Replicas }),
	intOpt("rtt-ms", "expected round trip between nodes, in milliseconds", func(s *settings) *int { return &s.Node.RTTMillis }),
	durationOpt("dead-node-timeout", "how long a node is unreachable before its replicas move elsewhere", func(s *settings) *time.Duration { return &s.Node.DeadNodeTimeout }),
	boolOpt("observers", "hold a non-voting replica of every data shard this node does not vote in, so every namespace can be read and watched through it; set the same on every node", func(s *settings) *bool { return &s.Node.Observers }),
	durationOpt("grain-idle-timeout", "passivate a grain after this long without a message", func(s *settings) *time.Duration { return &s.Node.GrainIdleTimeout }),
	durationOpt("request-timeout", "bound on a grain request whose caller set no deadline", func(s *settings) *time.Duration { return &s.Node.RequestTimeout }),
	intOpt("max-znode-data-bytes", "largest znode data accepted (jute.maxbuffer); the same on every node", func(s *settings) *int { return &s.Node.MaxZnodeDataBytes }),
	stringOpt("super-digest", "digest identity (super:base64(sha1(super:password))) that bypasses every ACL", func(s *settings) *string { return &s.Node.SuperDigest }),
	durationOpt("session-min-timeout", "shortest session timeout a client may negotiate", func(s *settings) *time.Duration { return &s.Node.SessionMinTimeout }),
	durationOpt("session-max-timeout", "longest session timeout a client may negotiate", func(s *settings) *time.Duration { return &s.Node.SessionMaxTimeout }),
	{
		name: "log-format", typ: "format", usage: "log format: text or json",
		set: func(s *settings, vals []string) error {
			if v := vals[0]; v != observability.LogFormatText && v != observability.LogFormatJSON {
				return fmt.Errorf("%q is not text or json", v)
			}
			s.LogFormat = vals[0]
			return nil
		},
		get: func(s *settings) string { return s.LogFormat },
	},
	{
		name: "log-level", typ: "level", usage: "log level: debug, info, warn or error",
		set: func(s *settings, vals []string) error {
			l, err := observability.ParseLevel(vals[0])
			if err != nil {
				return fmt.Errorf("%q is not debug, info, warn or error", vals[0])
			}
			s.LogLevel = l
			return nil
		},
		get: func(s *settings) string { return strings.ToLower(s.LogLevel.String()) },
	},
	traceSampleRatioOpt,
	traceMaxPerSecondOpt,
	traceExporterOpt,
	traceRingSizeOpt,
	{
		name: "config", typ: "file", noFile: true,
		usage: "YAML file of settings, keyed like the flags with underscores (node_id: 2); flags and env vars override it",
		set: func(s *settings, vals []string) error {
			s.ConfigFile = vals[0]
			return nil
		},
		get: func(s *settings) string { return s.ConfigFile },
	},
}

func stringOpt(name, usage string, field func(*settings) *string) option {
	return option{
		name: name, typ: "string", usage: usage,
		set: func(s *settings, vals []string) error { *field(s) = vals[0]; return nil },
		get: func(s *settings) string { return *field(s) },
	}
}

func uintOpt(name, usage string, field func(*settings) *uint64) option {
	return option{
		name: name, typ: "uint", usage: usage,
		set: func(s *settings, vals []string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(vals[0]), 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a non-negative integer", vals[0])
			}
			*field(s) = n
			return nil
		},
		get: func(s *settings) string { return strconv.FormatUint(*field(s), 10) },
	}
}

func intOpt(name, usage string, field func(*settings) *int) option {
	return option{
		name: name, typ: "int", usage: usage,
		set: func(s *settings, vals []string) error {
			n, err := strconv.Atoi(strings.TrimSpace(vals[0]))
			if err != nil {
				return fmt.Errorf("%q is not an integer", vals[0])
			}
			*field(s) = n
			return nil
		},
		get: func(s *settings) string { return strconv.Itoa(*field(s)) },
	}
}

func boolOpt(name, usage string, field func(*settings) *bool) option {
	return option{
		name: name, typ: "bool", usage: usage,
		set: func(s *settings, vals []string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(vals[0]))
			if err != nil {
				return fmt.Errorf("%q is not true or false", vals[0])
			}
			*field(s) = b
			return nil
		},
		get: func(s *settings) string { return strconv.FormatBool(*field(s)) },
	}
}

func durationOpt(name, usage string, field func(*settings) *time.Duration) option {
	return option{
		name: name, typ: "duration", usage: usage,
		set: func(s *settings, vals []string) error {
			d, err := time.ParseDuration(strings.TrimSpace(vals[0]))
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 500ms, 30s or 5m", vals[0])
			}
			*field(s) = d
			return nil
		},
		get: func(s *settings) string { return field(s).String() },
	}
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// flagValue records what was given for one option on the command line;
// parsing waits for loadSettings so that every bad value is reported, not
// just the first.
type flagValue struct {
	opt  option
	vals []string
	set  bool
}

func (f *flagValue) String() string { return strings.Join(f.vals, ",") }
func (f *flagValue) Type() string   { return f.opt.typ }

func (f *flagValue) Set(v string) error {
	if f.opt.list {
		f.vals = append(f.vals, splitList(v)...)
	} else {
		f.vals = []string{v}
	}
	f.set = true
	return nil
}

// configFlags holds the options' flags of one command.
type configFlags struct {
	byName map[string]*flagValue
}

// addConfigFlags registers every option on fs, showing the defaults of base.
func addConfigFlags(fs *pflag.FlagSet, base settings) *configFlags {
	cf := &configFlags{byName: make(map[string]*flagValue, len(options))}
	for _, o := range options {
		v := &flagValue{opt: o}
		cf.byName[o.name] = v
		fs.Var(v, o.name, fmt.Sprintf("%s [$%s]", o.usage, o.env()))
		fs.Lookup(o.name).DefValue = o.get(&base)
	}
	return cf
}

// loadSettings layers, from lowest to highest precedence, base, the YAML
// file named by --config or WARREN_CONFIG, the WARREN_* environment variables
// (an empty variable counts as unset) and the flags, then validates the
// result. Tracing settings none of those gave come from the standard
// OTEL_TRACES_* variables (otelTracing). It reports every problem at once as
// a *configError.
func loadSettings(base settings, flags *configFlags, lookupEnv func(string) (string, bool)) (settings, error) {
	s := base
	l := &loader{origin: make(map[string]string)}

	// The file's name itself follows flag > env.
	for _, o := range options {
		if o.name == "config" {
			l.fromEnv(&s, o, lookupEnv)
			l.fromFlag(&s, o, flags)
		}
	}
	if s.ConfigFile != "" {
		l.fromFile(&s, s.ConfigFile)
	}
	for _, o := range options {
		if o.name != "config" {
			l.fromEnv(&s, o, lookupEnv)
		}
	}
	for _, o := range options {
		if o.name != "config" {
			l.fromFlag(&s, o, flags)
		}
	}
	l.otelTracing(&s, lookupEnv)
	l.validate(s.Node)
	if len(l.problems) > 0 {
		return s, &configError{problems: l.problems}
	}
	return s, nil
}

// loader collects problems while settings are layered.
type loader struct {
	problems []error
	// origin maps a YAML key to where its value came from, to point
	// Validate's complaints at the place to fix.
	origin map[string]string
}

// apply sets o from vals given at src (a flag, env var or file:line); where
// prefixes its problems.
func (l *loader) apply(s *settings, o option, src, where string, vals []string) {
	if !o.list && len(vals) != 1 {
		l.problems = append(l.problems, fmt.Errorf("%s: takes one value", where))
		return
	}
	if err := o.set(s, vals); err != nil {
		l.problems = append(l.problems, fmt.Errorf("%s: %w", where, err))
		return
	}
	l.origin[o.yamlKey()] = src
}

func (l *loader) fromEnv(s *settings, o option, lookupEnv func(string) (string, bool)) {
	v, ok := lookupEnv(o.env())
	if !ok || v == "" {
		return
	}
	vals := []string{v}
	if o.list {
		vals = splitList(v)
	}
	l.apply(s, o, o.env(), o.env(), vals)
}

func (l *loader) fromFlag(s *settings, o option, flags *configFlags) {
	if flags == nil {
		return
	}
	if f := flags.byName[o.name]; f != nil && f.set {
		l.apply(s, o, "--"+o.name, "--"+o.name, f.vals)
	}
}

func (l *loader) fromFile(s *settings, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		l.problems = append(l.problems, fmt.Errorf("config file: %w", err))
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.problems = append(l.problems, fmt.Errorf("%s: %w", path, err))
		return
	}
	if len(doc.Content) == 0 {
		return // empty file
	}
	root := deref(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return
	}
	if root.Kind != yaml.MappingNode {
		l.problems = append(l.problems, fmt.Errorf("%s:%d: the file must be a mapping of settings (key: value)", path, root.Line))
		return
	}
	byKey := make(map[string]option, len(options))
	for _, o := range options {
		if !o.noFile {
			byKey[o.yamlKey()] = o
		}
	}
	seen := make(map[string]bool)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		src := fmt.Sprintf("%s:%d", path, k.Line)
		where := src + ": " + k.Value
		o, ok := byKey[k.Value]
		switch {
		case !ok:
			l.problems = append(l.problems, fmt.Errorf("%s: unknown key", where))
			continue
		case seen[k.Value]:
			l.problems = append(l.problems, fmt.Errorf("%s: key given twice", where))
			continue
		}
		seen[k.Value] = true
		vals, err := yamlValues(v, o.list)
		if err != nil {
			l.problems = append(l.problems, fmt.Errorf("%s: %w", where, err))
			continue
		}
		l.apply(s, o, src, where, vals)
	}
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// yamlValues returns the scalar text of v, or of each element when a list
// is expected (a comma-separated scalar is accepted as a list too). A null
// reads as the empty string, or the empty list.
func yamlValues(v *yaml.Node, list bool) ([]string, error) {
	scalar := func(n *yaml.Node) (string, error) {
		n = deref(n)
		if n.Kind != yaml.ScalarNode {
			return "", errors.New("want a single value, not a list or mapping")
		}
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	}
	if !list {
		s, err := scalar(v)
		return []string{s}, err
	}
	if v.Kind == yaml.SequenceNode {
		var out []string
		for _, e := range v.Content {
			s, err := scalar(e)
			if err != nil {
				return nil, fmt.Errorf("list element: %w", err)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(v)
	if err != nil {
		return nil, errors.New("want a list")
	}
	return splitList(s), nil
}

// validate runs Config.Validate and adds where each offending value came
// from.
func (l *loader) validate(c warren.Config) {
	err := c.Validate()
	if err == nil {
		return
	}
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		field, _, _ := strings.Cut(e.Error(), ":")
		field, _, _ = strings.Cut(field, "[")
		if where, ok := l.origin[field]; ok {
			e = fmt.Errorf("%w (from %s)", e, where)
		}
		l.problems = append(l.problems, e)
	}
}

// configError lists every problem found in a configuration.
type configError struct {
	problems []error
}

func (e *configError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

func (e *configError) Unwrap() []error { return e.problems }
