#!/usr/bin/env bash
# 9-jitter: on a path with delay and jitter no open port is missed, at the
# default settings, in any of 5 scans (issue 12, item 1: the adaptive timeout
# drifted down into the RTT distribution and lost 0 to 6 open ports a run).
#
# The kernel has no netem, so tests/lab/delayline.py is the path: a TUN
# relay between two namespaces of this test's own (not the shared lab) that
# delays every packet by 200 +- 50 ms, each direction, independently. The
# target listens on 2,001 of the 6,001 ports scanned; every other port is
# closed, and nothing is dropped, so every row is known.
. "$(dirname "$0")/lib.sh"

RUNS=${JITTER_RUNS:-5}
DELAY_MS=200
JITTER_MS=50
PORTS=28000-34000
ADDR_S=198.18.0.1
ADDR_T=198.19.0.1

[ "$(id -u)" = 0 ] || skip "not root (the delay line needs network namespaces)"
command -v ip >/dev/null || skip "ip (iproute2) not installed"
command -v python3 >/dev/null || skip "python3 not installed"
[ -c /dev/net/tun ] || skip "no /dev/net/tun (the delay line is a TUN relay)"
if [ ! -x "$PORTOLAN" ]; then
	fail "scanner binary not found or not executable: $PORTOLAN (build it: make portolan)"
	finish
fi

# Names outside the lab's pllab- prefix: tests/lab/labctl cleanup must not take
# them for a dead lab while this test runs.
NS_S=pldl$$-scan
NS_T=pldl$$-tgt
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portolan-lab-$TEST_NAME.XXXXXX")
RELAY_PID= LISTENER_PID=

cleanup() {
	local rc=$?
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null && wait "$LISTENER_PID" 2>/dev/null
	[ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_T" 2>/dev/null
	[ -n "${LAB_KEEP_WORK:-}" ] || rm -rf "$WORK"
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

setup_fail() { fail "$*"; finish; }

ip netns add "$NS_S" || setup_fail "cannot create netns $NS_S"
ip netns add "$NS_T" || setup_fail "cannot create netns $NS_T"
ip -n "$NS_S" link set lo up && ip -n "$NS_T" link set lo up || setup_fail "lo up"
ip netns exec "$NS_T" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 ||
	setup_fail "target sysctls"

python3 "$LT_DIR/delayline.py" "$NS_S" "$NS_T" "$DELAY_MS" "$JITTER_MS" >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!
for _ in $(seq 1 100); do
	grep -qx ready "$WORK/relay.log" 2>/dev/null && break
	kill -0 "$RELAY_PID" 2>/dev/null || break
	sleep 0.05
done
grep -qx ready "$WORK/relay.log" || { cat "$WORK/relay.log"; setup_fail "the delay line did not start"; }

for spec in "$NS_S tunA $ADDR_S 198.19.0.0/16" "$NS_T tunB $ADDR_T $ADDR_S/32"; do
	set -- $spec
	ip -n "$1" addr add "$3/32" dev "$2" &&
		ip -n "$1" link set "$2" txqueuelen 10000 up &&
		ip -n "$1" route add "$4" dev "$2" || setup_fail "configuring $2 in $1"
done
say "delay line up: $NS_S ($ADDR_S) <-> $NS_T ($ADDR_T), ${DELAY_MS} +- ${JITTER_MS} ms each way"

# The listener: 2,001 ports, every third of the range.
listener=${HELPERS:-}/listener
if [ ! -x "$listener" ]; then
	listener=$WORK/listener
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -o "$listener" "$LT_REPO/tests/helpers/listener.c" ||
		setup_fail "cannot build tests/helpers/listener.c"
fi
seq 28000 3 34000 >"$WORK/open"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ip netns exec "$NS_T" "$listener" -a "$ADDR_T" "$(paste -sd, "$WORK/open")" >"$WORK/listener.log" 2>&1 &
LISTENER_PID=$!
for _ in $(seq 1 100); do
	grep -qx ready "$WORK/listener.log" 2>/dev/null && break
	kill -0 "$LISTENER_PID" 2>/dev/null || break
	sleep 0.05
done
grep -qx ready "$WORK/listener.log" || { cat "$WORK/listener.log"; setup_fail "the listener did not start"; }

seq 28000 34000 | awk 'NR == FNR { open[$1] = 1; next }
	{ print "'"$ADDR_T"'," $1 "," (($1 in open) ? "open" : "closed") }' "$WORK/open" - >"$WORK/expected"

for run in $(seq 1 "$RUNS"); do
	out=$WORK/run$run.csv
	SCAN_ERR=$out.stderr
	say "run $run: portolan -p $PORTS $ADDR_T --states all -o $out"
	check
	if ! ip netns exec "$NS_S" "$PORTOLAN" -p "$PORTS" "$ADDR_T" --states all -o "$out" 2>"$SCAN_ERR"; then
		fail "run $run: portolan exited non-zero: $(tail -n3 "$SCAN_ERR")"
		continue
	fi
	say "run $run: $(tail -n1 "$SCAN_ERR")"
	csv_cols "$out" ip,port,state >"$WORK/actual"
	if ! expect_same "$WORK/expected" "$WORK/actual" "run $run: every port as the target has it (2001 open)"; then
		say "run $run: the rows that differ, with latency and attempts:"
		awk -F, 'NR == FNR { want[$1 "," $2] = $3; next }
			FNR > 1 && want[$1 "," $3] != $5 { print "    " $0 }' "$WORK/expected" "$out" | head -20
	fi
done
finish
