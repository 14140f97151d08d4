#!/usr/bin/env bash
# Runs a local 3-node Warren cluster on 127.0.0.1, one `warren server`
# process per node, for `go tool task cluster:*`.
#
#   scripts/cluster.sh up            build bin/warren, start nodes 1-3, wait until ready
#   scripts/cluster.sh down          SIGTERM every node, SIGKILL after 30 s; data is kept
#   scripts/cluster.sh clean         down, then remove .cluster/
#   scripts/cluster.sh status        bin/warren cluster status against any node
#   scripts/cluster.sh kill N        SIGKILL node N
#   scripts/cluster.sh restart N     stop node N if running, start it with the same arguments
#
# Node N listens on gossip 7945+N, raft 7949+N, actor 7959+N, ZooKeeper
# 2180+N, Kafka 9091+N and HTTP 8079+N; its data is .cluster/nodeN, its log
# .cluster/nodeN.log and its pid .cluster/nodeN.pid. Nodes 2 and 3 join
# through node 1's gossip port.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly DIR=.cluster
readonly BIN=bin/warren
readonly NODES=(1 2 3)
readonly READY_TIMEOUT=60 # seconds
readonly STOP_TIMEOUT=30  # seconds

die() {
	echo "cluster: $*" >&2
	exit 1
}

http_addr() { echo "127.0.0.1:$((8079 + $1))"; }

node_args() {
	local n=$1
	ARGS=(server
		--node-id "$n"
		--name "node-$n"
		--data-dir "$DIR/node$n"
		--gossip-addr "127.0.0.1:$((7945 + n))"
		--raft-addr "127.0.0.1:$((7949 + n))"
		--actor-addr "127.0.0.1:$((7959 + n))"
		--zk-addr "127.0.0.1:$((2180 + n))"
		--kafka-addr "127.0.0.1:$((9091 + n))"
		--http-addr "$(http_addr "$n")")
	if ((n != 1)); then
		ARGS+=(--join 127.0.0.1:7946)
	fi
}

check_node() {
	[[ ${1:-} =~ ^[1-3]$ ]] || die "want a node number 1-3 (e.g. go tool task cluster:kill -- 2), got '${1:-}'"
}

pid_of() { cat "$DIR/node$1.pid" 2>/dev/null || true; }

# running N: node N's pid file names a live warren process.
running() {
	local pid
	pid=$(pid_of "$1")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	# Guard against a recycled pid.
	if [[ -r /proc/$pid/cmdline ]]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q warren || return 1
	fi
}

build() {
	echo "building $BIN"
	go build -o "$BIN" ./cmd/warren
}

start_node() {
	local n=$1
	if running "$n"; then
		echo "node $n already running (pid $(pid_of "$n"))"
		return
	fi
	[[ -x $BIN ]] || build
	mkdir -p "$DIR"
	node_args "$n"
	echo "=== $(date -u +%FT%TZ) $BIN ${ARGS[*]}" >>"$DIR/node$n.log"
	# setsid detaches the node from this shell's process group, so that
	# Ctrl-C in the terminal that ran `task cluster:up` does not reach it.
	if command -v setsid >/dev/null; then
		setsid "$BIN" "${ARGS[@]}" >>"$DIR/node$n.log" 2>&1 </dev/null &
	else
		nohup "$BIN" "${ARGS[@]}" >>"$DIR/node$n.log" 2>&1 </dev/null &
	fi
	echo $! >"$DIR/node$n.pid"
	echo "node $n started (pid $!), log $DIR/node$n.log, http http://$(http_addr "$n")/"
}

# wait_ready N...: poll each node's /readyz until all answer 200.
wait_ready() {
	command -v curl >/dev/null || die "curl is needed to poll /readyz"
	local deadline=$((SECONDS + READY_TIMEOUT)) n pending
	while :; do
		pending=()
		for n in "$@"; do
			if ! running "$n"; then
				echo "node $n is not running; last lines of $DIR/node$n.log:" >&2
				tail -n 20 "$DIR/node$n.log" >&2 || true
				exit 1
			fi
			curl -fsS -o /dev/null --max-time 2 "http://$(http_addr "$n")/readyz" 2>/dev/null || pending+=("$n")
		done
		((${#pending[@]} == 0)) && return 0
		if ((SECONDS >= deadline)); then
			for n in "${pending[@]}"; do
				echo "node $n not ready after ${READY_TIMEOUT}s: $(curl -sS --max-time 2 "http://$(http_addr "$n")/readyz" 2>&1 || true)" >&2
			done
			echo "the nodes are left running for inspection; go tool task cluster:down stops them" >&2
			exit 1
		fi
		sleep 0.5
	done
}

# stop_nodes SIGNAL N...: signal the running nodes and wait for them to exit,
# escalating to SIGKILL after STOP_TIMEOUT.
stop_nodes() {
	local sig=$1 n
	shift
	local live=()
	for n in "$@"; do
		if running "$n"; then
			kill "-$sig" "$(pid_of "$n")" 2>/dev/null || true
			live+=("$n")
		fi
	done
	local deadline=$((SECONDS + STOP_TIMEOUT))
	while ((${#live[@]} > 0)); do
		local still=()
		for n in "${live[@]}"; do
			running "$n" && still+=("$n")
		done
		live=("${still[@]}")
		((${#live[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			for n in "${live[@]}"; do
				echo "node $n did not stop within ${STOP_TIMEOUT}s; sending SIGKILL" >&2
				kill -KILL "$(pid_of "$n")" 2>/dev/null || true
			done
			deadline=$((SECONDS + 5))
		fi
		sleep 0.2
	done
	for n in "$@"; do
		rm -f "$DIR/node$n.pid"
	done
}

cmd_up() {
	build
	for n in "${NODES[@]}"; do
		start_node "$n"
	done
	echo "waiting up to ${READY_TIMEOUT}s for all nodes to be ready"
	wait_ready "${NODES[@]}"
	echo "all nodes ready"
	cmd_status
}

cmd_down() {
	stop_nodes TERM "${NODES[@]}"
	echo "cluster stopped; data kept in $DIR/ (go tool task cluster:clean removes it)"
}

cmd_clean() {
	stop_nodes TERM "${NODES[@]}"
	rm -rf "$DIR"
	echo "removed $DIR/"
}

cmd_status() {
	[[ -x $BIN ]] || build
	"$BIN" cluster status --addr "$(http_addr 1),$(http_addr 2),$(http_addr 3)"
}

cmd_kill() {
	check_node "${1:-}"
	running "$1" || die "node $1 is not running"
	stop_nodes KILL "$1"
	echo "node $1 killed"
}

cmd_restart() {
	check_node "${1:-}"
	stop_nodes TERM "$1"
	start_node "$1"
	wait_ready "$1"
	echo "node $1 ready"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
clean) cmd_clean ;;
status) cmd_status ;;
kill) cmd_kill "${2:-}" ;;
restart) cmd_restart "${2:-}" ;;
*) die "usage: $0 up|down|clean|status|kill N|restart N" ;;
esac
