#!/usr/bin/env bash
# 17-syn-links: the SYN scan over links other than the lab's veth, in the
# scanner namespace, on whichever sender the binary was built with (the
# pcap_inject one when LAB_INJECT=1: make lab-inject sets it):
#   - a tun device (no link-layer header: DLT_RAW to the pcap_inject sender)
#     whose other end is this test's responder, which answers every SYN
#     itself, SYN-ACK on port 80 and RST elsewhere, over IPv4 and IPv6: the
#     rows say open/syn-ack and closed/conn-refused;
#   - the same tun device typed as PPP (TUNSETLINK), which libpcap reads
#     with Linux's cooked header: the pcap_inject sender cannot frame for it,
#     so it says so in one line and every probe through it is error/
#     local-error (the raw-socket sender just scans it);
#   - 16 hosts behind the lab's target (off-link: its gateway): with
#     LAB_INJECT=1 the gateway's MAC is learnt from two of them, so exactly
#     2 learning datagrams (UDP to port 9) reach the target, and the rows
#     are the lab's; with raw sockets none;
#   - an Ethernet link (a veth pair) on which no neighbour answers: the
#     pcap_inject sender cannot learn the next hop, so every probe of that
#     host is error/local-error after one wait of 1.5 s for the whole host,
#     never filtered (the raw-socket sender: filtered).
. "$(dirname "$0")/lib.sh"
lab_start

inject=${LAB_INJECT:-0}
resp=$LT_WORK/tunresp.py
cat >"$resp" <<'PY'
import fcntl, os, select, struct, subprocess, sys
name, link = sys.argv[1], int(sys.argv[2])
TUNSETIFF, TUNSETLINK, IFF_TUN, IFF_NO_PI = 0x400454ca, 0x400454cd, 0x0001, 0x1000
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
if link:
    fcntl.ioctl(fd, TUNSETLINK, link)
for cmd in (['addr', 'add', '198.18.200.1/24', 'dev', name],
            ['addr', 'add', '2001:db8:200::1/64', 'dev', name, 'nodad'],
            ['link', 'set', name, 'up']):
    subprocess.run(['ip'] + cmd, check=True)
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def answer(tcp, S, D):
    sport, dport, seq = struct.unpack('!HHI', tcp[:8])
    if tcp[13] != 0x02:
        return None
    flags = 0x12 if dport == 80 else 0x14
    t = struct.pack('!HHIIBBHHH', dport, sport, 7, (seq + 1) & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
    ph = S + D + (struct.pack('!BBH', 0, 6, len(t)) if len(S) == 4 else struct.pack('!IxxxB', len(t), 6))
    return t[:16] + struct.pack('!H', csum(ph + t)) + t[18:]
print('ready', flush=True)
while True:
    r, _, _ = select.select([fd, 0], [], [])
    if 0 in r and not os.read(0, 64):
        break
    if fd not in r:
        continue
    p = os.read(fd, 65535)
    if p[0] >> 4 == 4 and p[9] == 6:
        S, D = p[16:20], p[12:16]
        t = answer(p[(p[0] & 15) * 4:], S, D)
        if t:
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(t), 0, 0, 64, 6, 0, S, D)
            os.write(fd, ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + t)
    elif p[0] >> 4 == 6 and p[6] == 6:
        S, D = p[24:40], p[8:24]
        t = answer(p[40:], S, D)
        if t:
            os.write(fd, struct.pack('!IHBB', 0x60000000, len(t), 6, 64) + S + D + t)
PY

# Starts the responder on a tun device of ARPHRD type $1 (0: the tun's own).
start_responder() {
	coproc RESP { "$LAB" exec "$LAB_NAME" -- python3 "$resp" pltun0 "$1" 2>&1; }
	read -r ready <&"${RESP[0]}"
	[ "$ready" = ready ] || { fail "tun responder did not start: $ready"; return 1; }
}
stop_responder() {
	exec {RESP[1]}>&-
	wait "$RESP_PID" 2>/dev/null
}
tun_rows() {
	for h in 198.18.200.2 2001:db8:200::2; do
		echo "$h,79,closed,conn-refused"
		echo "$h,80,open,syn-ack"
		echo "$h,81,closed,conn-refused"
	done
}

# ------------------------------------------------------ tun: no link header
if start_responder 0; then
	if scan "$LT_WORK/tun.csv" -sS -Pn -p 79-81 --states all --retries 1 198.18.200.2 2001:db8:200::2; then
		tun_rows >"$LT_WORK/tun.expected"
		csv_cols "$LT_WORK/tun.csv" ip,port,state,reason | sort >"$LT_WORK/tun.actual"
		expect_same "$LT_WORK/tun.expected" "$LT_WORK/tun.actual" "-sS through a tun device (v4, v6)"
	fi
	stop_responder
fi

# ----------------------------------------- a link type nothing can frame
if start_responder 512; then          # ARPHRD_PPP
	if scan "$LT_WORK/ppp.csv" -sS -Pn -p 79-81 --states all --retries 1 198.18.200.2 2001:db8:200::2; then
		csv_cols "$LT_WORK/ppp.csv" ip,port,state,reason | sort >"$LT_WORK/ppp.actual"
		if [ "$inject" = 1 ]; then
			for h in 198.18.200.2 2001:db8:200::2; do
				for p in 79 80 81; do echo "$h,$p,error,local-error"; done
			done >"$LT_WORK/ppp.expected"
			expect_same "$LT_WORK/ppp.expected" "$LT_WORK/ppp.actual" "-sS on a PPP-typed link: local errors"
			expect_eq "$(grep -c 'cannot frame' "$SCAN_ERR")" 1 "-sS on a PPP-typed link: lines saying so"
			check
			grep -q 'pltun0 has link type LINUX_SLL' "$SCAN_ERR" &&
				ok "the line names the interface and its link type" ||
				fail "the line: $(grep 'cannot frame' "$SCAN_ERR")"
		else
			tun_rows >"$LT_WORK/ppp.expected"
			expect_same "$LT_WORK/ppp.expected" "$LT_WORK/ppp.actual" "-sS (raw sockets) on a PPP-typed link"
		fi
	fi
	stop_responder
fi

# ------------------------------- off-link hosts: the gateway learnt once
"$LAB" texec "$LAB_NAME" -- iptables -w -I INPUT -p udp --dport 9 -m comment --comment lab-learn
base=${LAB_SPECIAL_HOST4%.*}.64
if scan "$LT_WORK/gw.csv" -sS -Pn -p 22,23 --states all --retries 1 "$base/28"; then
	ipv4_range "$base" 16 >"$LT_WORK/gw.hosts"
	printf '22\n23\n' >"$LT_WORK/gw.ports"
	expect_rows "$LT_WORK/gw.hosts" "$LT_WORK/gw.ports" >"$LT_WORK/gw.expected"
	csv_cols "$LT_WORK/gw.csv" ip,port,state,reason >"$LT_WORK/gw.actual"
	expect_same "$LT_WORK/gw.expected" "$LT_WORK/gw.actual" "-sS 16 off-link hosts: state and reason"
	expect_eq "$(lab_counter lab-learn)" "$([ "$inject" = 1 ] && echo 2 || echo 0)" \
		"learning datagrams for 16 off-link hosts"
fi

# ----------------------------------------- Ethernet, no neighbour answers
"$LAB" exec "$LAB_NAME" -- sh -ec '
	ip link add pldead-a type veth peer name pldead-b
	ip addr add 198.18.201.1/24 dev pldead-a
	ip link set pldead-a up
	ip link set pldead-b up'
if scan "$LT_WORK/dead.csv" -sS -p 79-81 --states all --retries 1 --timeout 300 198.18.201.9; then
	rows=$(csv_cols "$LT_WORK/dead.csv" ip,port,state,reason | sort | tr '\n' ' ')
	check
	if [ "$inject" = 1 ]; then
		[ "$rows" = "198.18.201.9,79,error,local-error 198.18.201.9,80,error,local-error 198.18.201.9,81,error,local-error " ] &&
			ok "-sS with no neighbour: local errors, not filtered" || fail "-sS with no neighbour: $rows"
		check
		# One wait of 1.5 s for the host, not one per port.
		[ "$SCAN_MS" -lt 3500 ] && ok "-sS with no neighbour: one wait ($SCAN_MS ms)" ||
			fail "-sS with no neighbour took $SCAN_MS ms: a wait per port?"
	else
		[ "$(echo "$rows" | grep -o ',filtered,' | wc -l)" = 3 ] &&
			ok "-sS (raw sockets) with no neighbour: filtered" || fail "-sS (raw sockets) with no neighbour: $rows"
	fi
fi
finish
