#!/usr/bin/env bash
# 10-syn: the SYN scan (-sS) against the lab's truth, as the connect tests
# check the connect scan:
#   - without CAP_NET_RAW (a nobody user; root with the capability dropped)
#     -sS exits 2 with one line naming what is missing, and sends nothing;
#   - one host, every port: open/syn-ack, closed/conn-refused, the DROP range
#     filtered/no-response, exact;
#   - 256 hosts x 60 ports exact (the dark host all filtered);
#   - IPv6, the ICMP REJECT blocks (net-unreach, admin-prohibited, v4 and
#     v6), hosts no neighbour answers for (host-unreach, v4 and v6) and no
#     route (net-unreach) with the same state and reason a connect scan gets;
#   - --retries N sends exactly N+1 SYNs to a dropped port (the DROP rule's
#     counter) and says N+1 attempts;
#   - forged SYN-ACKs with a wrong acknowledgement number, sent from a raw
#     socket in the target namespace to every source port the scan may use
#     while it waits on a dropped port, change nothing and are counted as
#     rejected;
#   - loopback (127.0.0.1 in the scanner namespace) against listeners gives
#     what a connect scan of the same ports gives.
# 5% random loss is 11-syn-loss.sh.
. "$(dirname "$0")/lib.sh"
lab_start

h=$LAB_HOST4
h6=$LAB_HOST6
fp=$((LAB_FILTERED_LO + 7))

# --------------------------------------------------------- no privilege
if command -v setpriv >/dev/null; then
	err=$LT_WORK/unpriv.err
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$PORTOLAN" -sS -p 80 "$h" >/dev/null 2>"$err"
	expect_eq "$?" 2 "-sS as nobody: exit status"
	expect_eq "$(wc -l <"$err")" 1 "-sS as nobody: one line on stderr"
	check
	grep -q 'CAP_NET_RAW.*setcap cap_net_raw,cap_net_admin+ep' "$err" &&
		ok "-sS as nobody names CAP_NET_RAW and setcap" ||
		fail "-sS as nobody: message: $(cat "$err")"
	# Root is not enough by itself: the effective capability is checked.
	setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
		"$PORTOLAN" -sS -p 80 "$h" >/dev/null 2>"$err"
	expect_eq "$?" 2 "-sS as root without CAP_NET_RAW: exit status"
else
	say "note: setpriv (util-linux) not installed: privilege checks not run"
fi

# ------------------------------------------------------ one host, all ports
out=$LT_WORK/all.csv
if scan "$out" -sS -p - --states all --timeout 300 --retries 0 "$h"; then
	echo "$h" >"$LT_WORK/hosts"
	seq 1 65535 >"$LT_WORK/ports"
	expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "-sS every port of $h: state and reason"
	expect_summary "$out"
	say "$(grep 'SYN scan:' "$SCAN_ERR")"
fi

# ------------------------------------------------------------- 256 hosts
out=$LT_WORK/many.csv
base=${LAB_SPECIAL_HOST4%.*}.0
ports="1-40,$LAB_SPECIAL_PORT,$LAB_FILTERED_LO-$((LAB_FILTERED_LO + 18))"
if scan "$out" -sS -Pn -p "$ports" --states all --timeout 500 --retries 0 "$base/24"; then
	ipv4_range "$base" 256 >"$LT_WORK/hosts"
	ports_of "$ports" >"$LT_WORK/ports"
	expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "-sS 256 hosts x 60 ports: state and reason"
fi

# ------------------------------------- IPv6 and ICMP errors, as connect says
n4=${LAB_NETUNREACH4%/*}; n4=${n4%.*}.1
a4=${LAB_PROHIBIT4%/*}; a4=${a4%.*}.1
n6=${LAB_NETUNREACH6%/*}; n6=${n6%0}1
a6=${LAB_PROHIBIT6%/*}; a6=${a6%0}1
hu4=${LAB_HOSTUNREACH4%/*}; hu4=${hu4%.*}.4      # no neighbour answers: host-unreach
hu6=${LAB_HOSTUNREACH6%/*}4
nr4=${LAB_NOROUTE4%/*}; nr4=${nr4%.*}.4          # no route: net-unreach, locally
ports="1,22,80,81,$fp"
icmp_targets=("$h6" "$n4" "$a4" "$n6" "$a6" "$hu4" "$hu6" "$nr4")
if scan "$LT_WORK/c.csv" -sT -Pn -p "$ports" --states all --timeout 3000 --min-timeout 1500 --retries 0 "${icmp_targets[@]}" &&
   scan "$LT_WORK/s.csv" -sS -Pn -p "$ports" --states all --timeout 3000 --min-timeout 1500 --retries 0 "${icmp_targets[@]}"; then
	# The neighbour failure comes after LAB_NEIGH_FAIL_MS, so the floor of
	# the adaptive timeout is raised above it; those hosts are checked
	# against the lab itself (3-unreachable does it for connect).
	csv_cols "$LT_WORK/c.csv" ip,port,state,reason | grep -v "^\($hu4\|$hu6\|$nr4\)," >"$LT_WORK/c.rows"
	csv_cols "$LT_WORK/s.csv" ip,port,state,reason | grep -v "^\($hu4\|$hu6\|$nr4\)," >"$LT_WORK/s.rows"
	expect_same "$LT_WORK/c.rows" "$LT_WORK/s.rows" "-sS and -sT agree on IPv6 and ICMP errors"
	for p in $(ports_of "$ports"); do
		echo "$hu4,$p,filtered,host-unreach"
		echo "$hu6,$p,filtered,host-unreach"
		echo "$nr4,$p,filtered,net-unreach"
	done >"$LT_WORK/u.expected"
	csv_cols "$LT_WORK/s.csv" ip,port,state,reason | grep "^\($hu4\|$hu6\|$nr4\)," >"$LT_WORK/u.actual"
	expect_same "$LT_WORK/u.expected" "$LT_WORK/u.actual" "-sS: no neighbour is host-unreach, no route net-unreach (v4, v6)"
	csv_cols "$LT_WORK/s.csv" ip,port,state,reason >"$LT_WORK/s.rows"
	check
	grep -q "^$a6,80,filtered,admin-prohibited$" "$LT_WORK/s.rows" && grep -q "^$n4,80,filtered,net-unreach$" "$LT_WORK/s.rows" &&
		grep -q "^$h6,22,open,syn-ack$" "$LT_WORK/s.rows" && grep -q "^$hu4,80,filtered,host-unreach$" "$LT_WORK/s.rows" &&
		grep -q "^$nr4,80,filtered,net-unreach$" "$LT_WORK/s.rows" &&
		ok "-sS rows hold admin-prohibited (v6), net-unreach (v4, and no route), host-unreach (no neighbour), open (v6)" ||
		fail "-sS rows miss an expected reason: $(tr '\n' ' ' <"$LT_WORK/s.rows")"
fi

# ------------------------------------------------------------- retries
for r in 0 2; do
	lab_zero
	out=$LT_WORK/r$r.csv
	if scan "$out" -sS -p "$fp" --states all --timeout 300 --retries "$r" "$h"; then
		expect_eq "$(lab_counter lab-drop)" $((r + 1)) "-sS --retries $r: SYNs dropped"
		expect_eq "$(csv_cols "$out" ip,port,state,reason,attempts)" "$h,$fp,filtered,no-response,$((r + 1))" "-sS --retries $r: row"
	fi
done

# ------------------------------------------------ forged SYN-ACKs, wrong ack
forge=$LT_WORK/forge.py
cat >"$forge" <<'EOF'
import socket, struct, sys, ipaddress
src, dst, sport = sys.argv[1], sys.argv[2], int(sys.argv[3])
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
S, D = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
for dport in range(61000, 65536):
    # SYN|ACK acknowledging a number no probe of this scan carries + 1 (the
    # key is random: 0x12345678 is wrong but for a 2^-32 chance).
    tcp = struct.pack('!HHIIBBHHH', sport, dport, 1, 0x12345678, 5 << 4, 0x12, 65535, 0, 0)
    c = csum(S + D + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0, 0, 64, 6, 0, S, D)
    s.sendto(ip + tcp, (dst, 0))
EOF
out=$LT_WORK/forged.csv
lab_zero
# Forged once the scan's SYN reached the target (the DROP rule's counter):
# its capture is open by then on either sender (the pcap_inject one opens
# it on the first probe, not at start), however slow the start is.
(for _ in $(seq 100); do [ "$(lab_counter lab-drop)" -ge 1 ] && break; sleep 0.05; done
 ip netns exec "$LAB_TGT_NS" python3 "$forge" "$h" "$LAB_SCAN_IP4" "$fp") &
forger=$!
if scan "$out" -sS -p "$fp" --states all --timeout 3000 --min-timeout 3000 --retries 0 "$h"; then
	expect_eq "$(csv_cols "$out" ip,port,state,reason)" "$h,$fp,filtered,no-response" "forged SYN-ACKs: the dropped port stays filtered"
	rejected=$(sed -nE 's/.* ([0-9]+) rejected by validation.*/\1/p' "$SCAN_ERR")
	check
	[ "${rejected:-0}" -ge 4536 ] && ok "forged SYN-ACKs counted as rejected ($rejected)" ||
		fail "forged SYN-ACKs: rejected ${rejected:-none}, expected >= 4536"
fi
wait "$forger" 2>/dev/null

# ------------------------------------------------------------- loopback
lport=$LT_WORK/listen.py
cat >"$lport" <<'EOF'
import socket, sys, time
ls = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', int(p))); s.listen(64); ls.append(s)
print('ready', flush=True)
sys.stdin.read()
EOF
coproc LISTEN { "$LAB" exec "$LAB_NAME" -- python3 "$lport" 5001 5007 5100; }
read -r ready <&"${LISTEN[0]}"
if [ "$ready" = ready ] &&
   scan "$LT_WORK/lc.csv" -sT -p 5000-5200 --states all 127.0.0.1 &&
   scan "$LT_WORK/ls.csv" -sS -p 5000-5200 --states all 127.0.0.1; then
	csv_cols "$LT_WORK/lc.csv" ip,port,state,reason >"$LT_WORK/lc.rows"
	csv_cols "$LT_WORK/ls.csv" ip,port,state,reason >"$LT_WORK/ls.rows"
	expect_same "$LT_WORK/lc.rows" "$LT_WORK/ls.rows" "loopback: -sS agrees with -sT"
	expect_eq "$(grep -c ',open,' "$LT_WORK/ls.rows")" 3 "loopback: open ports"
fi
exec {LISTEN[1]}>&-
wait "$LISTEN_PID" 2>/dev/null
finish
