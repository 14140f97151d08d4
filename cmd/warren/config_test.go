package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/warrenhq/warren"
)

// load runs loadSettings the way a command does, over the given args, env
// and (if non-empty) a YAML file whose path replaces $FILE in args and env.
func load(t *testing.T, base settings, args []string, env map[string]string, yamlText string) (settings, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warren.yaml")
	if yamlText != "" {
		if err := os.WriteFile(path, []byte(yamlText), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags := addConfigFlags(fs, base)
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "$FILE", path)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse flags: %v", err)
	}
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return strings.ReplaceAll(v, "$FILE", path), ok
	}
	return loadSettings(base, flags, lookup)
}

func TestLoadSettingsPrecedence(t *testing.T) {
	const file = "shards: 8\nreplicas: 2\njoin: [a:1, b:2]\nrtt_ms: 50\nname: from-file\n"
	tests := []struct {
		name  string
		base  settings
		args  []string
		env   map[string]string
		yaml  string
		check func(t *testing.T, s settings)
	}{
		{
			name: "defaults",
			check: func(t *testing.T, s settings) {
				if !reflect.DeepEqual(s, defaultSettings()) {
					t.Errorf("got %+v, want defaults", s)
				}
			},
		},
		{
			name: "dev defaults to node 1",
			base: devSettings(),
			check: func(t *testing.T, s settings) {
				want(t, "node id", s.Node.NodeID, uint64(1))
				want(t, "data dir", s.Node.DataDir, "./warren-data")
			},
		},
		{
			name: "dev node id overridden by flag",
			base: devSettings(),
			args: []string{"--node-id", "5"},
			check: func(t *testing.T, s settings) {
				want(t, "node id", s.Node.NodeID, uint64(5))
			},
		},
		{
			name: "file over defaults",
			args: []string{"--config", "$FILE"},
			yaml: file,
			check: func(t *testing.T, s settings) {
				want(t, "shards", s.Node.Shards, 8)
				want(t, "replicas", s.Node.Replicas, 2)
				want(t, "join", s.Node.Join, []string{"a:1", "b:2"})
				want(t, "name", s.Node.Name, "from-file")
				want(t, "untouched data dir", s.Node.DataDir, "./warren-data")
			},
		},
		{
			name: "env over file",
			args: []string{"--config", "$FILE"},
			env:  map[string]string{"WARREN_SHARDS": "16", "WARREN_JOIN": "c:3, d:4,"},
			yaml: file,
			check: func(t *testing.T, s settings) {
				want(t, "shards", s.Node.Shards, 16)
				want(t, "join", s.Node.Join, []string{"c:3", "d:4"})
				want(t, "replicas from file", s.Node.Replicas, 2)
			},
		},
		{
			name: "flag over env over file",
			args: []string{"--config", "$FILE", "--shards", "32", "--join", "e:5", "--join", "f:6,g:7"},
			env:  map[string]string{"WARREN_SHARDS": "16", "WARREN_JOIN": "c:3", "WARREN_RTT_MS": "20"},
			yaml: file,
			check: func(t *testing.T, s settings) {
				want(t, "shards", s.Node.Shards, 32)
				want(t, "join", s.Node.Join, []string{"e:5", "f:6", "g:7"})
				want(t, "rtt from env", s.Node.RTTMillis, 20)
				want(t, "name from file", s.Node.Name, "from-file")
			},
		},
		{
			name: "config file named by env",
			env:  map[string]string{"WARREN_CONFIG": "$FILE"},
			yaml: file,
			check: func(t *testing.T, s settings) {
				want(t, "shards", s.Node.Shards, 8)
			},
		},
		{
			name: "config flag beats config env",
			args: []string{"--config", "$FILE"},
			env:  map[string]string{"WARREN_CONFIG": "/nonexistent/warren.yaml"},
			yaml: file,
			check: func(t *testing.T, s settings) {
				want(t, "shards", s.Node.Shards, 8)
			},
		},
		{
			name: "empty env var counts as unset",
			env:  map[string]string{"WARREN_SHARDS": "", "WARREN_HTTP_ADDR": ""},
			check: func(t *testing.T, s settings) {
				want(t, "shards", s.Node.Shards, 64)
				want(t, "http addr", s.Node.HTTPAddr, "127.0.0.1:8080")
			},
		},
		{
			name: "empty flag disables a listener",
			args: []string{"--zk-addr=", "--kafka-addr", ""},
			check: func(t *testing.T, s settings) {
				want(t, "zk addr", s.Node.ZKAddr, "")
				want(t, "kafka addr", s.Node.KafkaAddr, "")
			},
		},
		{
			name: "every kind of value",
			args: []string{"--config", "$FILE", "--log-level", "debug", "--log-format", "json"},
			env:  map[string]string{"WARREN_NODE_ID": "7", "WARREN_REQUEST_TIMEOUT": "750ms"},
			yaml: "data_dir: /var/lib/warren\ngossip_addr: 10.0.0.1:7946\nraft_addr: 10.0.0.1:7950\n" +
				"actor_addr: 10.0.0.1:7960\nzk_addr: ''\nkafka_addr: 0.0.0.0:9092\nhttp_addr: :8080\n" +
				"dead_node_timeout: 1m\ngrain_idle_timeout: 90s\njoin: 10.0.0.2:7946,10.0.0.3:7946\n",
			check: func(t *testing.T, s settings) {
				want(t, "node id", s.Node.NodeID, uint64(7))
				want(t, "request timeout", s.Node.RequestTimeout, 750*time.Millisecond)
				want(t, "data dir", s.Node.DataDir, "/var/lib/warren")
				want(t, "gossip", s.Node.GossipAddr, "10.0.0.1:7946")
				want(t, "raft", s.Node.RaftAddr, "10.0.0.1:7950")
				want(t, "actor", s.Node.ActorAddr, "10.0.0.1:7960")
				want(t, "zk", s.Node.ZKAddr, "")
				want(t, "kafka", s.Node.KafkaAddr, "0.0.0.0:9092")
				want(t, "http", s.Node.HTTPAddr, ":8080")
				want(t, "dead node timeout", s.Node.DeadNodeTimeout, time.Minute)
				want(t, "grain idle timeout", s.Node.GrainIdleTimeout, 90*time.Second)
				want(t, "join", s.Node.Join, []string{"10.0.0.2:7946", "10.0.0.3:7946"})
				want(t, "log level", s.LogLevel.String(), "DEBUG")
				want(t, "log format", s.LogFormat, "json")
			},
		},
		{
			name: "empty file",
			args: []string{"--config", "$FILE"},
			yaml: "# nothing here\n",
			check: func(t *testing.T, s settings) {
				want(t, "shards", s.Node.Shards, 64)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base.Node.DataDir == "" {
				base = defaultSettings()
			}
			s, err := load(t, base, tt.args, tt.env, tt.yaml)
			if err != nil {
				t.Fatalf("loadSettings: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestLoadSettingsReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		yaml string
		want []string // one substring per expected problem, in any order
	}{
		{
			name: "one of each source",
			args: []string{"--config", "$FILE", "--shards", "many", "--request-timeout", "0s"},
			env:  map[string]string{"WARREN_NODE_ID": "-1", "WARREN_REPLICAS": "9"},
			yaml: "rtt_ms: fast\nbogus: 1\ngossip_addr: nohost\n",
			want: []string{
				`--shards: "many" is not an integer`,
				`request_timeout: 0s must be positive (from --request-timeout)`,
				`WARREN_NODE_ID: "-1" is not a non-negative integer`,
				`replicas: 9 is outside [1, 7] (from WARREN_REPLICAS)`,
				`warren.yaml:1: rtt_ms: "fast" is not an integer`,
				`warren.yaml:2: bogus: unknown key`,
				`gossip_addr: "nohost" is not host:port`,
			},
		},
		{
			name: "bad durations and log settings",
			args: []string{"--dead-node-timeout", "5 minutes", "--log-format", "xml", "--log-level", "loud"},
			env:  map[string]string{"WARREN_GRAIN_IDLE_TIMEOUT": "10ms"},
			want: []string{
				`--dead-node-timeout: "5 minutes" is not a duration`,
				`--log-format: "xml" is not text or json`,
				`--log-level: "loud" is not debug, info, warn or error`,
				`grain_idle_timeout: 10ms is shorter than 1s (from WARREN_GRAIN_IDLE_TIMEOUT)`,
			},
		},
		{
			name: "yaml shapes",
			args: []string{"--config", "$FILE"},
			yaml: "shards: [1, 2]\njoin: {a: b}\nshards: 4\nconfig: other.yaml\nname: ok\n",
			want: []string{
				`warren.yaml:1: shards: want a single value`,
				`warren.yaml:2: join: want a list`,
				`warren.yaml:3: shards: key given twice`,
				`warren.yaml:4: config: unknown key`,
			},
		},
		{
			name: "bad join entries",
			args: []string{"--join", "a:1,nope"},
			want: []string{`join[1]: "nope" is not host:port`},
		},
		{
			name: "yaml not a mapping",
			args: []string{"--config", "$FILE"},
			yaml: "- a\n- b\n",
			want: []string{`must be a mapping`},
		},
		{
			name: "yaml syntax",
			args: []string{"--config", "$FILE", "--shards", "x"},
			yaml: "shards: [\n",
			want: []string{`warren.yaml: yaml:`, `--shards: "x" is not an integer`},
		},
		{
			name: "missing file",
			args: []string{"--config", "/nonexistent/warren.yaml"},
			want: []string{`config file: open /nonexistent/warren.yaml`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, defaultSettings(), tt.args, tt.env, tt.yaml)
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want *configError", err, err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if got := len(ce.problems); got != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", got, len(tt.want), msg)
			}
		})
	}
}

// TestOptionsCoverConfig keeps the option table in step with warren.Config:
// every yaml key of Config is settable, and every option that is not a
// process-level setting names a Config field.
func TestOptionsCoverConfig(t *testing.T) {
	processLevel := []string{"log-format", "log-level", "trace-sample-ratio", "trace-max-per-second", "trace-exporter", "trace-ring-size", "config"}
	keys := map[string]bool{}
	ct := reflect.TypeFor[warren.Config]()
	for i := range ct.NumField() {
		tag, _, _ := strings.Cut(ct.Field(i).Tag.Get("yaml"), ",")
		if tag == "" {
			t.Errorf("Config.%s has no yaml tag", ct.Field(i).Name)
			continue
		}
		if tag != "-" {
			keys[tag] = true
		}
	}
	seen := map[string]bool{}
	for _, o := range options {
		if seen[o.name] {
			t.Errorf("option %q listed twice", o.name)
		}
		seen[o.name] = true
		if slices.Contains(processLevel, o.name) {
			continue
		}
		if !keys[o.yamlKey()] {
			t.Errorf("option %q has no Config field with yaml tag %q", o.name, o.yamlKey())
		}
		delete(keys, o.yamlKey())
	}
	for k := range keys {
		t.Errorf("Config yaml key %q has no option", k)
	}
}

func TestEnvNames(t *testing.T) {
	byName := map[string]option{}
	for _, o := range options {
		byName[o.name] = o
	}
	for name, env := range map[string]string{
		"node-id": "WARREN_NODE_ID", "join": "WARREN_JOIN", "rtt-ms": "WARREN_RTT_MS",
		"dead-node-timeout": "WARREN_DEAD_NODE_TIMEOUT", "config": "WARREN_CONFIG",
	} {
		if got := byName[name].env(); got != env {
			t.Errorf("env of --%s = %q, want %q", name, got, env)
		}
	}
}

func want[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
