# tests/lab/lib.sh: common code of the lab tests; sourced, not run.
#
# A test does:
#   . "$(dirname "$0")/lib.sh"
#   lab_start                 # skips unless root + ip netns; brings a lab up,
#                             # sources its env file, tears it down on exit;
#                             # the working directory is then $LT_RUN, which
#                             # nobody can write (resume files of -sS)
#   scan OUT.csv ARGS...      # portolan ARGS -o OUT.csv inside the scanner ns
#   csv_cols OUT.csv ip,port,state,reason > actual
#   expect_same expected actual "what"
#   finish                    # PASS/FAIL line and exit status
# Exit status: 0 passed, 1 failed, 77 skipped.

set -uo pipefail

LT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LT_REPO=$(cd "$LT_DIR/../.." && pwd)
LAB=$LT_REPO/tests/lab/labctl
PORTOLAN=${PORTOLAN:-$LT_REPO/portolan}
TEST_NAME=$(basename "$0" .sh)
LT_FAILS=0
LT_CHECKS=0

# portolan reads PORTOLAN_<SETTING> from the environment: keep the tests
# hermetic (PORTOLAN itself, the binary path, is not a setting).
for v in $(compgen -e | grep '^PORTOLAN_' || true); do unset "$v"; done
# Under sudo the SYN scan's default --user is the invoking user: the tests
# expect the default of a plain root shell (nobody).
unset SUDO_UID SUDO_GID SUDO_USER SUDO_COMMAND

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
skip() { printf 'SKIP: %s: %s\n' "$TEST_NAME" "$*"; exit 77; }
fail() { LT_FAILS=$((LT_FAILS + 1)); printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*"; }
ok() { printf 'ok: %s: %s\n' "$TEST_NAME" "$*"; }
# Counts one check; "check COND-RESULT MESSAGE" style helpers below use it.
check() { LT_CHECKS=$((LT_CHECKS + 1)); }

finish() {
	if [ "$LT_FAILS" -gt 0 ]; then
		printf 'FAIL: %s: %d of %d checks failed\n' "$TEST_NAME" "$LT_FAILS" "$LT_CHECKS"
		exit 1
	fi
	printf 'PASS: %s (%d checks)\n' "$TEST_NAME" "$LT_CHECKS"
	exit 0
}

# ------------------------------------------------------------ prerequisites
lab_requirements() {
	[ "$(id -u)" = 0 ] || skip "not root (the lab needs network namespaces)"
	command -v ip >/dev/null || skip "ip (iproute2) not installed"
	command -v iptables >/dev/null && command -v ip6tables >/dev/null || skip "iptables/ip6tables not installed"
	command -v flock >/dev/null || skip "flock (util-linux) not installed"
	local probe=pllab-probe$$-scan
	if ! ip netns add "$probe" 2>/dev/null; then
		skip "ip netns unavailable (cannot create a network namespace)"
	fi
	ip netns del "$probe" 2>/dev/null || true
	if [ ! -x "$PORTOLAN" ]; then
		# Not a skip: a missing scanner is a broken build, not a missing facility.
		fail "scanner binary not found or not executable: $PORTOLAN (build it: make portolan)"
		finish
	fi
}

# ---------------------------------------------------------------- lab setup
LT_WORK=
LT_LAB_UP=0

lab_stop() {
	local rc=$?
	lab_hosts_down
	if [ "$LT_LAB_UP" = 1 ]; then
		LT_LAB_UP=0
		"$LAB" down "$LT_LAB_NAME" >/dev/null 2>&1 || echo "warning: tests/lab/labctl down $LT_LAB_NAME failed" >&2
	fi
	if [ -n "$LT_WORK" ] && [ -z "${LAB_KEEP_WORK:-}" ]; then
		rm -rf "$LT_WORK"
	fi
	return $rc
}

lab_start() {
	lab_requirements
	# Unique per run and per test; [A-Za-z0-9_.-], short.
	LT_LAB_NAME=${LAB_TEST_NAME_PREFIX:-t$$}-${TEST_NAME%%-*}
	LT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/portolan-lab-$TEST_NAME.XXXXXX")
	trap lab_stop EXIT
	# A SYN scan run as root becomes nobody once its sockets are open (the
	# default --user) and writes its resume file after that: it refuses a
	# resume file where nobody cannot write. LT_RUN is such a place, and the
	# working directory, where the default portolan.resume goes. LT_WORK
	# itself stays root's (mode 711: passable, not listable or writable).
	chmod 711 "$LT_WORK"
	LT_RUN=$LT_WORK/run
	mkdir -m 1777 "$LT_RUN"
	cd "$LT_RUN" || { fail "cannot enter $LT_RUN"; finish; }
	trap 'exit 130' INT
	trap 'exit 143' TERM
	LT_LAB_UP=1
	if ! LAB_OWNER_PID=$$ "$LAB" up "$LT_LAB_NAME" >"$LT_WORK/lab-up.log" 2>&1; then
		cat "$LT_WORK/lab-up.log"
		fail "tests/lab/labctl up $LT_LAB_NAME failed"
		finish
	fi
	# shellcheck disable=SC1090
	. "$("$LAB" env "$LT_LAB_NAME")"
	say "lab $LAB_NAME up (scanner ns $LAB_SCAN_NS, target ns $LAB_TGT_NS), work dir $LT_WORK"
}

# ------------------------------------------------------- hosts of their own
# lab_hosts N: N more target hosts, each alone in its own network namespace
# (pllab-NAME-hI) behind its own veth to the scanner (hI there, eth0 in the
# host), so each has its own ICMP rate limit (a per-namespace sysctl, left
# at the Linux default, net.ipv4.icmp_ratelimit = 1000 ms): hosts sharing
# one namespace share its bucket for the scanner's address. Host I is
# 198.18.200.(4I+2) (a /30 each; N <= 63); sets LAB_HOSTS_V4 and
# LAB_HOSTS_NS. lab_stop removes them (lab_hosts_down: the processes left
# in them, then the namespaces; the veths go with them).
LT_HOST_NS=()
LAB_HOSTS_V4=()
LAB_HOSTS_NS=()
lab_hosts() {
	local n=$1 i ns
	[ "$n" -le 63 ] || { fail "lab_hosts: at most 63 hosts"; return 1; }
	for ((i = 0; i < n; i++)); do
		ns=${LAB_SCAN_NS%-scan}-h$i
		ip netns add "$ns" || { fail "lab_hosts: cannot create netns $ns"; return 1; }
		LT_HOST_NS+=("$ns")
		ip -n "$ns" link set lo up &&
			ip link add "h$i" netns "$LAB_SCAN_NS" type veth peer name eth0 netns "$ns" &&
			ip -n "$LAB_SCAN_NS" addr add "198.18.200.$((4 * i + 1))/30" dev "h$i" &&
			ip -n "$ns" addr add "198.18.200.$((4 * i + 2))/30" dev eth0 &&
			ip -n "$LAB_SCAN_NS" link set "h$i" up &&
			ip -n "$ns" link set eth0 up &&
			ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=1000 \
				net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50 ||
			{ fail "lab_hosts: cannot set up host $i ($ns)"; return 1; }
		LAB_HOSTS_V4+=("198.18.200.$((4 * i + 2))")
		LAB_HOSTS_NS+=("$ns")
	done
	say "lab_hosts: $n hosts of their own: ${LAB_HOSTS_V4[*]}"
}

lab_hosts_down() {
	local ns pid
	for ns in ${LT_HOST_NS[@]+"${LT_HOST_NS[@]}"}; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null || echo "warning: cannot delete netns $ns" >&2
	done
	LT_HOST_NS=()
}

# ----------------------------------------------------------------- scanning
# scan OUT ARGS...: runs "$PORTOLAN ARGS -o OUT" in the scanner namespace
# (behind the command in the array SCAN_WRAP, if set: as_nobody).
# Sets SCAN_RC, SCAN_MS (wall-clock milliseconds) and SCAN_ERR (stderr file).
# A non-zero exit is a failure (a completed scan exits 0).
scan() {
	local out=$1 t0 t1
	shift
	SCAN_ERR=$out.stderr
	rm -f "$out"
	say "scan: portolan $* -o $out"
	t0=$(date +%s%N)
	"$LAB" exec "$LAB_NAME" -- ${SCAN_WRAP[@]+"${SCAN_WRAP[@]}"} "$PORTOLAN" "$@" -o "$out" 2>"$SCAN_ERR"
	SCAN_RC=$?
	t1=$(date +%s%N)
	SCAN_MS=$(((t1 - t0) / 1000000))
	check
	if [ "$SCAN_RC" != 0 ]; then
		fail "portolan $* exited $SCAN_RC (expected 0); stderr:"
		sed 's/^/    /' "$SCAN_ERR" | head -20
		return 1
	fi
	if [ ! -s "$out" ]; then
		fail "portolan $* wrote no output to $out"
		return 1
	fi
	say "scan took ${SCAN_MS} ms; $(tail -n1 "$SCAN_ERR" 2>/dev/null)"
	return 0
}

# csv_cols FILE COL[,COL...]: the named columns of every data row, joined by
# commas, in file order. Handles RFC 4180 quoting and CRLF line ends.
csv_cols() {
	awk -v want="$2" '
	function parse(line,    n, i, c, f, inq, len) {
		if (index(line, "\"") == 0) return split(line, F, ",")
		n = 0; f = ""; inq = 0; len = length(line)
		for (i = 1; i <= len; i++) {
			c = substr(line, i, 1)
			if (inq) {
				if (c == "\"") {
					if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ }
					else inq = 0
				} else f = f c
			} else if (c == "\"") inq = 1
			else if (c == ",") { F[++n] = f; f = "" }
			else f = f c
		}
		F[++n] = f
		return n
	}
	{ sub(/\r$/, "") }
	NR == 1 {
		n = parse($0)
		for (i = 1; i <= n; i++) col[F[i]] = i
		k = split(want, W, ",")
		for (i = 1; i <= k; i++)
			if (!(W[i] in col)) { print "csv_cols: no column " W[i] > "/dev/stderr"; exit 2 }
		next
	}
	{
		parse($0)
		s = F[col[W[1]]]
		for (i = 2; i <= k; i++) s = s "," F[col[W[i]]]
		print s
	}' "$1"
}

csv_header() { head -n1 "$1" | tr -d '\r'; }

# expect_same EXPECTED ACTUAL WHAT: the two files hold the same lines (as
# multisets; order does not matter). Prints a short diff when not.
expect_same() {
	local exp=$1 act=$2 what=$3
	check
	sort "$exp" >"$exp.sorted"
	sort "$act" >"$act.sorted"
	if cmp -s "$exp.sorted" "$act.sorted"; then
		ok "$what ($(wc -l <"$exp.sorted") rows exact)"
		return 0
	fi
	fail "$what: expected $(wc -l <"$exp.sorted") rows, got $(wc -l <"$act.sorted"); differences (< expected only, > actual only), first 20:"
	diff "$exp.sorted" "$act.sorted" | grep '^[<>]' | head -20 | sed 's/^/    /'
	local dups
	dups=$(uniq -d "$act.sorted" | head -5)
	[ -z "$dups" ] || printf '    duplicate rows in the output, e.g.:\n%s\n' "$(printf '%s\n' "$dups" | sed 's/^/      /')"
	return 1
}

expect_eq() { # ACTUAL EXPECTED WHAT
	check
	if [ "$1" = "$2" ]; then ok "$3 = $2"; return 0; fi
	fail "$3: expected '$2', got '$1'"
	return 1
}

expect_lt() { # ACTUAL LIMIT WHAT   (numbers)
	check
	if [ "$1" -lt "$2" ]; then ok "$3: $1 < $2"; return 0; fi
	fail "$3: $1 is not < $2"
	return 1
}

# expect_summary CSV: portolan's summary line on stderr ("portolan: H hosts,
# N probes in T s (R/s): a open, b closed, c filtered, d error; X attempts, Y
# retries") agrees with the CSV. Only for scans whose CSV holds every probe
# (all four states written).
expect_summary() {
	local csv=$1 line got want
	line=$(grep -E '^portolan: .* probes in ' "$SCAN_ERR" | tail -n1)
	check
	if [ -z "$line" ]; then
		fail "no summary line on stderr"
		return 1
	fi
	got=$(printf '%s\n' "$line" | sed -E 's/.* ([0-9]+) probes in .*: ([0-9]+) open, ([0-9]+) closed, ([0-9]+) filtered, ([0-9]+) error.*/\1 \2 \3 \4 \5/')
	want=$(csv_cols "$csv" state | awk '{ n++; c[$1]++ } END { printf "%d %d %d %d %d", n, c["open"], c["closed"], c["filtered"], c["error"] }')
	if [ "$got" = "$want" ]; then
		ok "summary line agrees with the CSV (probes open closed filtered error: $want)"
		return 0
	fi
	fail "summary line disagrees with the CSV: summary says probes/open/closed/filtered/error = '$got', CSV has '$want' ($line)"
	return 1
}

# ------------------------------------------------------------ expectations
# is_open_port PORT [HOST]: the lab's own answer for an open port.
lab_is_open() {
	local p=$1 h=${2:-} o
	for o in $LAB_OPEN_PORTS; do [ "$o" = "$p" ] && return 0; done
	[ "$p" = "$LAB_SPECIAL_PORT" ] && { [ "$h" = "$LAB_SPECIAL_HOST4" ] || [ "$h" = "$LAB_SPECIAL_HOST6" ]; }
}

# expect_rows HOSTS_FILE PORTS_FILE > expected: "ip,port,state,reason" for each
# host x port of a target in the local blocks, from the lab's parameters.
expect_rows() {
	awk -v open="$LAB_OPEN_PORTS" -v sh4="$LAB_SPECIAL_HOST4" -v sh6="$LAB_SPECIAL_HOST6" \
		-v sp="$LAB_SPECIAL_PORT" -v flo="$LAB_FILTERED_LO" -v fhi="$LAB_FILTERED_HI" \
		-v dark="$LAB_DARK_HOST4" '
	BEGIN { n = split(open, O, " "); for (i = 1; i <= n; i++) isopen[O[i]] = 1 }
	FNR == NR { ports[++np] = $1; next }
	{
		h = $1
		for (i = 1; i <= np; i++) {
			p = ports[i]
			if (h == dark || (p >= flo && p <= fhi)) st = "filtered,no-response"
			else if ((p in isopen) || (p == sp && (h == sh4 || h == sh6))) st = "open,syn-ack"
			else st = "closed,conn-refused"
			print h "," p "," st
		}
	}' "$2" "$1"
}

# ports_of SPEC: one port a line, for "22,80,1000-1010".
ports_of() {
	local IFS=, part
	for part in $1; do
		case $part in
		*-*) seq "${part%-*}" "${part#*-}" ;;
		*) echo "$part" ;;
		esac
	done
}

# ipv4_range A.B.C.D COUNT: COUNT consecutive addresses from A.B.C.D.
ipv4_range() {
	awk -v a="$1" -v n="$2" 'BEGIN {
		split(a, o, "."); v = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
		for (i = 0; i < n; i++) { x = v + i
			printf "%d.%d.%d.%d\n", int(x / 16777216) % 256, int(x / 65536) % 256, int(x / 256) % 256, x % 256 }
	}'
}

# lab_counter RULE: packets counted by the target firewall rule RULE.
# wait_rows FILE PID: waits until the CSV FILE holds a result row (the scan
# is under way: a fixed sleep lands before the first probe on a slow build,
# such as TSan's), at most 60 s or until PID ends; true when a row came.
wait_rows() {
	local i
	for i in $(seq 600); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge 2 ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

lab_counter() { "$LAB" counter "$LAB_NAME" "$1" | awk '{ print $2 }'; }
lab_zero() { "$LAB" zero "$LAB_NAME"; }

# ----------------------------------------------------------- host discovery
# The lab's discovery blocks (tests/lab/labctl, LAB_DISCO4): live hosts with
# profiles (normal, echo, rst, https, noping; hidden), the rest silent.

# SCAN_WRAP for scans as nobody (setpriv, no capabilities): outputs must go
# where nobody can write ($LT_RUN).
as_nobody() { SCAN_WRAP=(setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps=-all); }
as_root() { SCAN_WRAP=(); }

# ping_sockets allow|forbid: Linux's unprivileged ICMP (ping) sockets in the
# scanner namespace (net.ipv4.ping_group_range is per namespace).
ping_sockets() {
	local r="1 0"
	[ "$1" = allow ] && r="0 2147483647"
	"$LAB" exec "$LAB_NAME" -- sysctl -qw net.ipv4.ping_group_range="$r"
}

# disco_hosts 4|6: "ADDR PROFILE" for each live host of the discovery block.
disco_hosts() {
	local e pfx list
	if [ "$1" = 6 ]; then pfx=${LAB_DISCO6%::*}:: list=$LAB_DISCO_HOSTS6
	else pfx=${LAB_DISCO4%.*}. list=$LAB_DISCO_HOSTS4; fi
	for e in $list; do echo "$pfx${e%%:*} ${e#*:}"; done
}

# disco_addrs 4|6: every address of the discovery block (/24, /120), in
# portolan's spelling (RFC 5952 for v6).
disco_addrs() {
	if [ "$1" = 6 ]; then
		local pfx=${LAB_DISCO6%::*}:: i
		echo "$pfx"
		for i in $(seq 1 255); do printf '%s%x\n' "$pfx" "$i"; done
	else
		ipv4_range "${LAB_DISCO4%/*}" 256
	fi
}

# disco_port_rows HOSTS PORTS > "ip,port,state,reason": what each live host
# (HOSTS: "ADDR PROFILE" lines) answers on each port, from the profiles and
# the lab's ports (the DROP range is dropped on every address).
disco_port_rows() {
	awk -v open="$LAB_OPEN_PORTS" -v flo="$LAB_FILTERED_LO" -v fhi="$LAB_FILTERED_HI" \
		-v hp="$LAB_DISCO_HIDDEN_PORT" '
	BEGIN { n = split(open, O, " "); for (i = 1; i <= n; i++) isopen[O[i]] = 1 }
	FNR == NR { ports[++np] = $1; next }
	{
		h = $1; prof = $2
		for (i = 1; i <= np; i++) {
			p = ports[i]; drop = (p >= flo && p <= fhi)
			if (prof == "normal" || prof == "noping")
				st = drop ? "filtered,no-response" : (p in isopen) ? "open,syn-ack" : "closed,conn-refused"
			else if (prof == "rst") st = drop ? "filtered,no-response" : "closed,conn-refused"
			else if (prof == "https") st = (p == 443 && !drop) ? "open,syn-ack" : "filtered,no-response"
			else if (prof == "hidden") st = (p == hp && !drop) ? "open,syn-ack" : "filtered,no-response"
			else st = "filtered,no-response" # echo
			print h "," p "," st
		}
	}' "$2" "$1"
}

# disco_reasons MODE PROFILE: the reasons (an ERE) a live host of PROFILE may
# be found up by, or "down" when MODE's probes cannot find it. MODE: root
# (raw ICMP echo and timestamp, SYN 443, ACK 80), ping (unprivileged: TCP
# connect and ping sockets), connect (unprivileged, ping sockets forbidden).
# A host that answers several probes is up by whichever answer came first.
disco_reasons() {
	case $1:$2 in
	root:normal) echo 'echo-reply|timestamp-reply|syn-ack|reset' ;;
	root:noping) echo 'syn-ack|reset' ;;
	root:rst) echo 'reset|conn-refused' ;;
	*:https) echo syn-ack ;;
	root:echo | ping:echo) echo echo-reply ;;
	connect:echo) echo down ;;
	ping:normal) echo 'echo-reply|syn-ack|conn-refused' ;;
	connect:normal | *:noping) echo 'syn-ack|conn-refused' ;;
	*:rst) echo 'conn-refused|reset' ;;
	*:hidden) echo down ;;
	*) echo "disco_reasons: $1:$2?" >&2; echo down ;;
	esac
}

# host_rows CSV > "ip,state,reason" of the host rows (state up or down;
# told by the state, which no port row has, not by the empty port).
host_rows() { csv_cols "$1" ip,state,reason | awk -F, '$2 == "up" || $2 == "down"'; }
# port_rows CSV > "ip,port,state,reason" of the port rows.
port_rows() { csv_cols "$1" ip,port,state,reason | awk -F, '$3 != "up" && $3 != "down"'; }

# expect_hosts CSV MODE ADDRS HOSTS WHAT: the host rows of CSV are exactly
# one per address of ADDRS, up for the hosts of HOSTS ("ADDR PROFILE") that
# MODE finds, each by one of its profile's reasons, and down (no-response)
# for every other address.
expect_hosts() {
	local csv=$1 mode=$2 addrs=$3 hosts=$4 what=$5 e=$LT_WORK/eh.$$
	local a prof r
	: >"$e.reasons"
	while read -r a prof; do
		r=$(disco_reasons "$mode" "$prof")
		[ "$r" = down ] || printf '%s %s\n' "$a" "$r" >>"$e.reasons"
	done <"$hosts"
	awk 'FILENAME == ARGV[1] { up[$1] = 1; next } { print $1 "," (($1 in up) ? "up" : "down") }' \
		"$e.reasons" "$addrs" >"$e.expected"
	host_rows "$csv" >"$e.rows"
	cut -d, -f1,2 "$e.rows" >"$e.actual"
	expect_same "$e.expected" "$e.actual" "$what: host rows (ip,state)"
	check
	local bad
	bad=$(awk -F, 'FILENAME == ARGV[1] { split($0, f, " "); re[f[1]] = "^(" f[2] ")$"; next }
		$2 == "up" && !($3 ~ re[$1]) { print "    " $1 " up by " $3 ", expected one of " re[$1] }
		$2 == "down" && $3 != "no-response" { print "    " $1 " down by " $3 ", expected no-response" }' \
		"$e.reasons" "$e.rows")
	if [ -z "$bad" ]; then
		ok "$what: every host's reason as its profile allows ($(grep -c ',up,' "$e.rows") up, $(grep -c ',down,' "$e.rows") down)"
	else
		fail "$what: reasons:"
		printf '%s\n' "$bad" | head -20
	fi
	rm -f "$e".*
}

# nmap_up ARGS...: the addresses nmap -sn (from the scanner namespace, as
# root: ICMP echo and timestamp, SYN 443, ACK 80) finds up, sorted.
nmap_up() {
	"$LAB" exec "$LAB_NAME" -- nmap -sn -n -T4 -oG - "$@" 2>/dev/null | awk '/Status: Up/ { print $2 }' | sort
}

# nmap_ports PORTS ARGS...: "ip,port,state,reason" of nmap -Pn -sS (states
# in portolan's words: nmap's open/closed/filtered with syn-ack,
# conn-refused, no-response). For a few ports: -oG lists each port only
# while no state has more than about 25 ports.
nmap_ports() {
	local ports=$1
	shift
	"$LAB" exec "$LAB_NAME" -- nmap -Pn -n -sS -T4 --max-retries 2 -p "$ports" -oG - "$@" 2>/dev/null | awk '
	/Ports: / {
		ip = $2; s = $0; sub(/.*Ports: /, "", s); sub(/\t.*/, "", s)
		n = split(s, P, ", ")
		for (i = 1; i <= n; i++) {
			split(P[i], f, "/")
			r = (f[2] == "open") ? "syn-ack" : (f[2] == "closed") ? "conn-refused" : "no-response"
			print ip "," f[1] "," f[2] "," r
		}
	}'
}

# peak_rss_kib FILE: the "%M" line /usr/bin/time -f %M -o FILE wrote.
peak_rss_kib() { tail -n 1 "$1"; }
