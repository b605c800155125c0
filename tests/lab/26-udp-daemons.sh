#!/usr/bin/env bash
# 26-udp-daemons: real Debian UDP daemons in the target namespace, on their
# own ports (the UDP payloads are chosen by port), bound to the lab host, and
# one `portolan -sU -s` over the veth. Truth comes from the installed
# packages (dpkg-query), as tests/daemons does:
#   bind9 (named)      53     domain, ISC BIND, <upstream version>-Debian (version.bind)
#   ntpsec (ntpd)      123    ntp, NTPsec, <upstream version> (mode 6 readvar)
#   snmpd (Net-SNMP)   161    snmp, sysDescr "Linux <node> <release> ..." in info, os Linux
#   memcached -U       11211  memcache, memcached, <upstream version>
#   samba (nmbd)       137    netbios-ns; NBSTAT names the host and the
#                             workgroup (in info), never the software or a version
#   tftpd-hpa          69     tftp, "error: File not found" in info: RRQ of a
#                             missing file draws ERROR code 1 (RFC 1350) from a
#                             new port (the server's TID, section 4), which the
#                             probe's reply_from: any_port lets the scan read;
#                             a client of our own checks that it does come from
#                             another port (else the test proves nothing new)
#   rpcbind            111    sunrpc; portmapper NULL/DUMP: DUMP lists rpcbind's
#                             protocol version 4 (info), no product, no version
#   coturn (turnserver) 3478  stun, coturn, <upstream version>: a STUN Binding
#                             response's SOFTWARE attribute (RFC 8489 14.14)
# and a port with nothing on it, closed/port-unreach. Daemons missing: SKIP
# (contrib/install-deps.sh --test installs them).
. "$(dirname "$0")/lib.sh"

for b in named ntpd snmpd memcached nmbd in.tftpd rpcbind turnserver; do
	command -v "$b" >/dev/null || PATH=$PATH:/usr/sbin:/sbin command -v "$b" >/dev/null ||
		skip "$b not installed (bind9, ntpsec, snmpd, memcached, samba, tftpd-hpa, rpcbind, coturn: contrib/install-deps.sh --test)"
done
command -v dpkg-query >/dev/null || skip "dpkg-query not found (the truth is the packages' versions)"
PATH=$PATH:/usr/sbin:/sbin
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
mkdir -p "$d/nmb/private" "$d/nmb/lock" "$d/nmb/state" "$d/nmb/cache" "$d/nmb/pid" "$d/tftp"
cat >"$d/smb.conf" <<EOF
[global]
	netbios name = PORTOLANLAB
	workgroup = PORTOLANWG
	interfaces = $h/15
	bind interfaces only = yes
	private dir = $d/nmb/private
	lock directory = $d/nmb/lock
	state directory = $d/nmb/state
	cache directory = $d/nmb/cache
	pid directory = $d/nmb/pid
	log file = $d/nmb/nmbd.log
	server role = standalone server
	load printers = no
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

# setsid: at exit nmbd signals its whole process group (and with
# --no-process-group it does not try to make a session of its own).
ip netns exec "$LAB_TGT_NS" setsid nmbd -F --no-process-group --debug-stdout -s "$d/smb.conf" \
	>"$d/nmbd.log" 2>&1 &
pids+=($!)
# -L: in the foreground; -s: chroot to the (empty) directory; -u nobody.
ip netns exec "$LAB_TGT_NS" in.tftpd -L -a "$h:69" -u nobody -s "$d/tftp" >"$d/tftpd.log" 2>&1 &
pids+=($!)
# -f: in the foreground; -h: the UDP address to serve on. rpcbind keeps a
# socket, a lock and state files in /run, and leaves them there: it gets a
# /run of its own (a tmpfs in a private mount namespace), so that the host's
# /run (and any rpcbind of the host) is never touched.
ip netns exec "$LAB_TGT_NS" unshare -m --propagation private \
	sh -c 'mount -t tmpfs portolan-lab /run && exec rpcbind -f -h "$1"' rpcbind "$h" \
	>"$d/rpcbind.log" 2>&1 &
pids+=($!)
# -n: no config file; plain UDP/TCP only, its user database in the work
# directory (never the package's /var/lib/turn).
ip netns exec "$LAB_TGT_NS" turnserver -n --listening-ip="$h" --listening-port=3478 \
	--no-tls --no-dtls --no-cli -r portolan.test -b "$d/turndb" --pidfile="$d/turnserver.pid" \
	--log-file=stdout --simple-log >"$d/turnserver.log" 2>&1 &
pids+=($!)

# Wait until each one holds its UDP port in the target.
for port in 53 123 161 11211 137 69 111 3478; do
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
	echo "11211,open,memcache,memcached,$(upstream memcached)"
	echo "9,closed,,,"
	# tftpd answers from its new TID port (RFC 1350 section 4): the TFTP
	# probe's reply_from: any_port (src/methods/udp.c) reads it there.
	echo "69,open,tftp,,"
	echo "111,open,sunrpc,,"
	echo "137,open,netbios-ns,,"
	echo "3478,open,stun,coturn,$(upstream coturn)"
} | sort -t, -k1,1n >"$LT_WORK/expected"

out=$LT_WORK/daemons.csv
if scan "$out" -sU -s --probes-dir "$LT_REPO/probes" -p U:9,53,69,111,123,137,161,3478,11211 --states all --retries 2 "$h"; then
	csv_cols "$out" port,state,service,product,version >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "UDP daemons: state, service, product, version from the packages"
	info=$(csv_cols "$out" port,info,os_hint | awk -F, '$1 == 161')
	check
	case $info in
	"161,Linux $node $rel "*",Linux") ok "SNMP sysDescr in info: ${info#161,}" ;;
	*) fail "SNMP sysDescr: expected 'Linux $node $rel ...' and os Linux, got '$info'" ;;
	esac
	# What each of the three protocols gives away, and no more.
	want_info() { # PORT EXPECTED-INFO
		local got
		got=$(csv_cols "$out" port,info | awk -F, -v p="$1" '$1 == p { sub(/^[^,]*,/, ""); print }')
		check
		if [ "$got" = "$2" ]; then
			ok "udp $1 info: $got"
		else
			fail "udp $1 info: expected '$2', got '$got'"
		fi
	}
	want_info 137 "workgroup PORTOLANWG"
	want_info 69 "error: File not found"
	# The TFTP payload (probes/80-udp.yaml) draws the ERROR from another
	# port than 69: what makes port 69 the exception to the connected
	# socket's rule, checked with a client of our own.
	tftp=$(ip netns exec "$LAB_SCAN_NS" python3 -c '
import re, socket, sys
pl = open(sys.argv[2]).read()
m = re.search(r"- probe: udp-tftp-rrq.*?send: \x27([^\x27]*)\x27", pl, re.S)
raw = m.group(1).encode().decode("unicode_escape").encode("latin-1")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(raw, (sys.argv[1], 69))
data, src = s.recvfrom(2048)
print("%d %s %r" % (src[1], data[:2].hex(), data[4:].split(b"\0")[0].decode("ascii", "replace")))
' "$h" "$LT_REPO/probes/80-udp.yaml" 2>&1)
	check
	case $tftp in
	[0-9]*" 0005 'File not found'")
		if [ "${tftp%% *}" != 69 ]; then
			ok "tftp: RRQ drew ERROR 'File not found' from port ${tftp%% *}, the server's TID (not 69)"
		else
			fail "tftp: the ERROR came from port 69: this tftpd does not answer from a TID of its own"
		fi ;;
	*) fail "tftp: expected an ERROR 'File not found' to the probe's RRQ, got '$tftp'" ;;
	esac
	want_info 111 "portmapper v2, DUMP answered; rpcbind protocol (v4) registered"
fi
finish
