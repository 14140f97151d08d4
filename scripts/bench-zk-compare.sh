#!/usr/bin/env bash
# Compare Warren with Apache ZooKeeper on this machine, in one run:
# a 3-server ZooKeeper 3.8 ensemble (Debian's package) and a 3-node Warren
# cluster, both on 127.0.0.1 with fsync on, driven alternately by
# `warren bench zk` with the same workloads. Writes the table (with ratios)
# into docs/benchmarks.md between the zk-compare markers.
#
#   go tool task bench:zk-compare            # DURATION=10s per run by default
#   DURATION=30s go tool task bench:zk-compare
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
WORK=.bench
ZKJAR=/usr/share/java/zookeeper.jar

if [ ! -f "$ZKJAR" ] || ! command -v java >/dev/null; then
  echo "bench: installing Apache ZooKeeper from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper >/dev/null
fi
zkversion=$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo unknown)

go build -o bin/warren ./cmd/warren

cleanup() {
  for f in "$WORK"/zk*/pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  bash scripts/cluster.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$WORK" && mkdir -p "$WORK"
bash scripts/cluster.sh clean >/dev/null 2>&1 || true

# ZooKeeper ensemble: client ports 12181-12183.
for n in 1 2 3; do
  d="$WORK/zk$n"
  mkdir -p "$d/data"
  echo "$n" > "$d/data/myid"
  cat > "$d/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$PWD/$d/data
clientPort=1218$n
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=yes
4lw.commands.whitelist=*
admin.enableServer=false
server.1=127.0.0.1:12881:13881
server.2=127.0.0.1:12882:13882
server.3=127.0.0.1:12883:13883
CFG
  cp /etc/zookeeper/conf/log4j.properties "$d/" 2>/dev/null || true
  java -Xmx2g -Dzookeeper.log.dir="$PWD/$d" -Dzookeeper.root.logger=WARN,CONSOLE \
    -cp "$PWD/$d:$ZKJAR" org.apache.zookeeper.server.quorum.QuorumPeerMain "$PWD/$d/zoo.cfg" \
    > "$d/server.log" 2>&1 &
  echo $! > "$d/pid"
done

fourletter() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; printf %s $2 >&3; cat <&3" 2>/dev/null || true; }
deadline=$((SECONDS + 90))
until fourletter 12181 srvr | grep -q Mode && fourletter 12182 srvr | grep -q Mode && fourletter 12183 srvr | grep -q Mode; do
  if [ $SECONDS -ge $deadline ]; then echo "bench: ZooKeeper ensemble not up after 90s"; exit 1; fi
  sleep 1
done
echo "bench: ZooKeeper $zkversion ensemble up on 127.0.0.1:12181-12183"

bash scripts/cluster.sh up
echo "bench: Warren cluster up on 127.0.0.1:2181-2183"

ZK_SERVERS=127.0.0.1:12181,127.0.0.1:12182,127.0.0.1:12183
WARREN_SERVERS=127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183

run() { # servers workload sessions namespaces label
  bin/warren bench zk --servers "$1" --workload "$2" --sessions "$3" --namespaces "$4" \
    --duration "$DURATION" --warmup "$WARMUP" --label "$5" 2>/dev/null
}

rows=()
i=0
for scenario in "set 32 1" "set 256 16" "get 32 1" "create 32 1" "mixed 32 1"; do
  set -- $scenario
  # Alternate which system goes first, so neither always runs on a warmer machine.
  if (( i % 2 == 0 )); then
    zk=$(run "$ZK_SERVERS" "$1" "$2" "$3" zookeeper); wr=$(run "$WARREN_SERVERS" "$1" "$2" "$3" warren)
  else
    wr=$(run "$WARREN_SERVERS" "$1" "$2" "$3" warren); zk=$(run "$ZK_SERVERS" "$1" "$2" "$3" zookeeper)
  fi
  i=$((i + 1))
  echo "$zk"; echo "$wr"
  zops=$(echo "$zk" | field ops/s); wops=$(echo "$wr" | field ops/s)
  ratio=$(awk -v w="$wops" -v z="$zops" 'BEGIN { if (z > 0) printf "%.2f", w / z; else print "n/a" }')
  rows+=("| $1 | $2 | $3 | $zops | $(echo "$zk" | field p50) | $(echo "$zk" | field p99) | $wops | $(echo "$wr" | field p50) | $(echo "$wr" | field p99) | **${ratio}×** | $(echo "$zk" | field errors)/$(echo "$wr" | field errors) |")
done

table=$(
  echo "Measured $(date -u +%Y-%m-%d) with \`go tool task bench:zk-compare\` (DURATION=$DURATION, warm-up $WARMUP):"
  echo "Apache ZooKeeper $zkversion (3 servers, forceSync=yes) vs Warren (3 nodes, fsync on), all on 127.0.0.1,"
  echo "same 2-core machine, driven by \`warren bench zk\` (go-zookeeper/zk client, 100-byte payloads)."
  echo
  echo "| workload | sessions | namespaces | ZK ops/s | ZK p50 | ZK p99 | Warren ops/s | Warren p50 | Warren p99 | Warren/ZK | errors ZK/Warren |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
)
echo "$table"

write_table zk-compare "ZooKeeper protocol: Warren vs Apache ZooKeeper" "$table"
