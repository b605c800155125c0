#!/usr/bin/env bash
# 26-udp-daemons: real Debian UDP daemons in the target namespace, on their
# own ports (the UDP payloads are chosen by port), bound to the lab host, and
# one `portolan -sU -s` over the veth. Truth comes from the installed
# packages (dpkg-query), as tests/daemons does:
#   bind9 (named)      53     domain, ISC BIND, <upstream version>-Debian (version.bind)
#   ntpsec (ntpd)      123    ntp, NTPsec, <upstream version> (mode 6 readvar)
#   snmpd (Net-SNMP)   161    snmp, sysDescr "Linux <node> <release> ..." in info, os Linux
#   memcached -U       11211  memcached, memcached, <upstream version>
# and a port with nothing on it, closed/port-unreach. Daemons missing: SKIP
# (contrib/install-deps.sh --test installs them).
. "$(dirname "$0")/lib.sh"

for b in named ntpd snmpd memcached; do
	command -v "$b" >/dev/null || PATH=$PATH:/usr/sbin command -v "$b" >/dev/null ||
		skip "$b not installed (bind9, ntpsec, snmpd, memcached: contrib/install-deps.sh --test)"
done
command -v dpkg-query >/dev/null || skip "dpkg-query not found (the truth is the packages' versions)"
PATH=$PATH:/usr/sbin
lab_start

h=$LAB_HOST4
d=$LT_WORK/daemons
mkdir -p "$d"
pids=()
stop_daemons() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	lab_stop
}
trap stop_daemons EXIT

# upstream PACKAGE: the package's version without epoch and Debian revision.
upstream() {
	local v
	v=$(dpkg-query -W -f '${Version}' "$1" 2>/dev/null) || return 1
	v=${v#*:}
	printf '%s\n' "${v%%[-+]*}"
}
# debian_version PACKAGE: without the epoch only (BIND says it whole).
debian_version() {
	local v
	v=$(dpkg-query -W -f '${Version}' "$1" 2>/dev/null) || return 1
	printf '%s\n' "${v#*:}"
}

cat >"$d/named.conf" <<EOF
options {
	directory "$d";
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	listen-on port 53 { $h; };
	listen-on-v6 { none; };
	recursion no;
	allow-query { any; };
};
controls { };
EOF
cat >"$d/ntp.conf" <<EOF
driftfile $d/ntp.drift
restrict default kod nomodify nopeer
restrict 198.18.0.0 mask 255.254.0.0
interface ignore wildcard
interface listen $h
EOF
cat >"$d/snmpd.conf" <<EOF
agentaddress udp:$h:161
rocommunity public default
EOF

ip netns exec "$LAB_TGT_NS" named -g -c "$d/named.conf" >"$d/named.log" 2>&1 &
pids+=($!)
ip netns exec "$LAB_TGT_NS" ntpd -n -c "$d/ntp.conf" >"$d/ntpd.log" 2>&1 &
pids+=($!)
ip netns exec "$LAB_TGT_NS" snmpd -f -C -c "$d/snmpd.conf" -Lf "$d/snmpd.log" \
	-p "$d/snmpd.pid" >"$d/snmpd.out" 2>&1 &
pids+=($!)
ip netns exec "$LAB_TGT_NS" memcached -U 11211 -p 0 -l "$h" -u root >"$d/memcached.log" 2>&1 &
pids+=($!)

# Wait until each one holds its UDP port in the target.
for port in 53 123 161 11211; do
	for _ in $(seq 100); do
		ip netns exec "$LAB_TGT_NS" ss -Hlun "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	check
	if ip netns exec "$LAB_TGT_NS" ss -Hlun "sport = :$port" | grep -q .; then
		ok "a daemon listens on udp $port"
	else
		fail "nothing listens on udp $port; logs: $(tail -n3 "$d"/*.log 2>/dev/null | tr '\n' ' ' | head -c 600)"
	fi
done

node=$(ip netns exec "$LAB_TGT_NS" uname -n)
rel=$(uname -r)
{
	echo "53,open,domain,ISC BIND,$(debian_version bind9)-Debian"
	echo "123,open,ntp,NTPsec,$(upstream ntpsec)"
	echo "161,open,snmp,,"
	echo "11211,open,memcached,memcached,$(upstream memcached)"
	echo "9,closed,,,"
} >"$LT_WORK/expected"

out=$LT_WORK/daemons.csv
if scan "$out" -sU -s --probes-dir "$LT_REPO/probes" -p U:9,53,123,161,11211 --states all --retries 2 "$h"; then
	csv_cols "$out" port,state,service,product,version >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "UDP daemons: state, service, product, version from the packages"
	info=$(csv_cols "$out" port,info,os_hint | awk -F, '$1 == 161')
	check
	case $info in
	"161,Linux $node $rel "*",Linux") ok "SNMP sysDescr in info: ${info#161,}" ;;
	*) fail "SNMP sysDescr: expected 'Linux $node $rel ...' and os Linux, got '$info'" ;;
	esac
fi
finish
