#!/usr/bin/env bash
# 13-syn-os: OS hints from SYN-ACKs (-sS), against one target namespace set
# up three ways in turn with its per-namespace sysctls:
#   A. as it comes (Linux: initial TTL 64, timestamps, SACK and window
#      scaling on, DF): every evidence column exact on IPv4 and IPv6, family
#      Linux at 85; the XML gets <os> with that osmatch and is valid against
#      nmap's DTD (when nmap's DTD and xmllint are installed);
#   B. net.ipv4.ip_default_ttl and the IPv6 hop limit 128, tcp_timestamps and
#      tcp_sack off, tcp_rmem's maximum lowered: TTL 128, options MSS,NOP,WS,
#      no timestamps, a smaller window scale; the TTL alone says "Windows" at
#      30, a lower claim than A's;
#   C. TTL 128 with timestamps and SACK back on: Linux's option order under
#      Windows' TTL, so conflicting evidence: Linux at 45, and the reason
#      says so.
# The expected window scale and the options the target really agreed to are
# read apart from portolan: the kernel's TCP_INFO of a connection the
# scanner namespace opens to the same listener (tcpi_snd_wscale, the peer's
# window scale; tcpi_options). The expected MSS is the target link's MTU less
# the IP and TCP headers (40 for IPv4, 60 for IPv6). DF is 1 (IPv4) and
# empty (IPv6) throughout: this lab's kernel (6.18) sets DF on every SYN-ACK
# whatever the listener's PMTU discovery (ip_no_pmtu_disc, IP_MTU_DISCOVER
# IP_PMTUDISC_DONT and a locked route MTU were all tried), so a DF of 0 is
# covered by test_packet only.
. "$(dirname "$0")/lib.sh"
lab_start

h4=$LAB_HOST4
h6=$LAB_HOST6
port=80

tgt() { "$LAB" texec "$LAB_NAME" -- "$@"; }
tgt_sysctl() { tgt sysctl -qw "$@" || fail "sysctl -w $* in the target namespace"; }

# os HOST PORT: the result's OS columns of FILE (CSV), "|"-separated, in
# the order the checks below name them.
os_cols() { # FILE HOST PORT
	python3 - "$@" <<'EOF'
import csv, sys
path, host, port = sys.argv[1:4]
cols = ["state", "os_ttl", "os_initial_ttl", "os_mss", "os_options", "os_wscale", "os_df",
        "os_timestamps", "os_family", "os_accuracy", "os_reason"]
with open(path, newline="", encoding="utf-8") as f:
    rows = [r for r in csv.DictReader(f) if r["ip"] == host and r["port"] == port]
print("|".join(rows[0][c] for c in cols) if len(rows) == 1 else f"{len(rows)} rows")
EOF
}

# peer HOST PORT: "WSCALE TS SACK" as the scanner's kernel negotiated them
# with the target's listener (TCP_INFO: byte 5 tcpi_options, TS 1, SACK 2;
# byte 6's low nibble tcpi_snd_wscale on a little-endian host, high nibble
# on a big-endian one).
peer() {
	"$LAB" exec "$LAB_NAME" -- python3 - "$@" <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(5)
s.connect((host, port))
i = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
s.close()
ws = i[6] & 0x0F if sys.byteorder == "little" else i[6] >> 4
print(ws, int(bool(i[5] & 1)), int(bool(i[5] & 2)))
EOF
}

mtu=$(tgt cat /sys/class/net/veth-tgt/mtu)
mss4=$((mtu - 40))
mss6=$((mtu - 60))

# expect_os FILE HOST PORT TTL DF WANT_OPTIONS WANT_TS FAMILY ACCURACY REASON
# The hop is direct (veth), so the TTL arrives as sent: TTL is both the
# received and the initial TTL.
expect_os() {
	local file=$1 host=$2 p=$3 ttl=$4 df=$5 opts=$6 ts=$7 family=$8 acc=$9 reason=${10}
	local mss=$mss4 ws peer_ts peer_sack
	[[ $host == *:* ]] && mss=$mss6
	read -r ws peer_ts peer_sack < <(peer "$host" "$p") ||
		{ check; fail "TCP_INFO of a connection to $host:$p"; return; }
	# What the target agreed to with a real client matches what it sent us.
	expect_eq "$peer_ts" "$ts" "$host:$p: timestamps the kernel negotiated"
	expect_eq "$peer_sack" "$([[ $opts == *SACK* ]] && echo 1 || echo 0)" \
		"$host:$p: SACK the kernel negotiated"
	expect_eq "$(os_cols "$file" "$host" "$p")" \
		"open|$ttl|$ttl|$mss|$opts|$ws|$df|$ts|$family|$acc|$reason" \
		"$host:$p state|ttl|initial ttl|mss|options|wscale|df|timestamps|family|accuracy|reason"
}

# ------------------------------------------------- A: the target as it comes
out=$LT_WORK/a.csv
if scan "$out" -sS -Pn -p "$port" --states all --retries 1 "$h4" "$h6"; then
	reason="TTL 64, options MSS,SACK,TS,NOP,WS: Linux family"
	expect_os "$out" "$h4" "$port" 64 1 "MSS,SACK,TS,NOP,WS" 1 Linux 85 "$reason"
	expect_os "$out" "$h6" "$port" 64 "" "MSS,SACK,TS,NOP,WS" 1 Linux 85 "$reason"
fi
out=$LT_WORK/a.xml
if scan "$out" -sS -p "$port" --retries 1 "$h4"; then
	check
	if grep -q '<osmatch name="Linux" accuracy="85" line="0"><osclass type="general purpose" vendor="Linux" osfamily="Linux" accuracy="85"/></osmatch>' "$out" &&
		grep -q "<portused state=\"open\" proto=\"tcp\" portid=\"$port\"/>" "$out"; then
		ok "XML: <os> with the Linux osmatch and the port used"
	else
		fail "XML: no Linux <os>: $(grep -A3 '<os>' "$out")"
	fi
	dtd=${NMAP_DATA:-/usr/share/nmap}/nmap.dtd
	if command -v xmllint >/dev/null && [ -r "$dtd" ]; then
		check
		if xmllint --noout --dtdvalid "$dtd" "$out" 2>"$LT_WORK/xmllint.err"; then
			ok "XML with <os> is valid against nmap.dtd"
		else
			fail "XML with <os> is not valid against nmap.dtd: $(head -5 "$LT_WORK/xmllint.err")"
		fi
	else
		say "note: xmllint or $dtd missing: DTD check not run"
	fi
fi

# ------------- B: TTL 128, no timestamps, no SACK, a smaller window scale
# tcp_rmem's maximum bounds the window the target may offer, so its window
# scale drops too (read back through TCP_INFO, not assumed).
tgt_sysctl net.ipv4.ip_default_ttl=128 net.ipv6.conf.all.hop_limit=128 \
	net.ipv6.conf.default.hop_limit=128 net.ipv6.conf.veth-tgt.hop_limit=128 \
	net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 net.ipv4.tcp_rmem="4096 65536 262144"
out=$LT_WORK/b.csv
if scan "$out" -sS -Pn -p "$port" --states all --retries 1 "$h4" "$h6"; then
	reason="TTL 128: Windows family (options MSS,NOP,WS say nothing more)"
	expect_os "$out" "$h4" "$port" 128 1 "MSS,NOP,WS" 0 Windows 30 "$reason"
	expect_os "$out" "$h6" "$port" 128 "" "MSS,NOP,WS" 0 Windows 30 "$reason"
	check
	if [ "$(os_cols "$LT_WORK/a.csv" "$h4" "$port" | cut -d'|' -f6)" != \
		"$(os_cols "$out" "$h4" "$port" | cut -d'|' -f6)" ]; then
		ok "the window scale differs between A and B"
	else
		fail "the window scale is the same in A and B: tcp_rmem had no effect"
	fi
fi

# -------------------- C: Linux's options under Windows' TTL: a conflict
tgt_sysctl net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1
out=$LT_WORK/c.csv
if scan "$out" -sS -p "$port" --states all --retries 1 "$h4"; then
	expect_os "$out" "$h4" "$port" 128 1 "MSS,SACK,TS,NOP,WS" 1 Linux 45 \
		"options MSS,SACK,TS,NOP,WS: Linux family, but TTL 128 suggests Windows (conflicting evidence)"
fi

finish
