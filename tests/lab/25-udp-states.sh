#!/usr/bin/env bash
# 25-udp-states: the UDP scan (-sU) across the lab's veth, with the target
# namespace's ICMP rate limit set back to the Linux default (labctl turns it
# off; loopback is never limited, so only a veth shows it). Every state and
# reason exact, for one v4 and one v6 host at once:
#   a UDP server that answers                     -> open,udp-response
#   a listener that never answers                 -> open|filtered,no-response
#   iptables DROP                                 -> open|filtered,no-response
#   REJECT icmp-admin-prohibited / icmp6-adm-prohibited -> filtered,admin-prohibited
#   REJECT icmp-net-prohibited (Linux's errno: ECONNREFUSED, as a closed port)
#                                                 -> filtered,admin-prohibited
#   REJECT icmp-host-unreachable / icmp6-addr-unreachable -> filtered,host-unreach
#   REJECT icmp-net-unreachable / icmp6-no-route  -> filtered,net-unreach
#   REJECT icmp-proto-unreachable                 -> filtered,proto-unreach
#   no listener (CLOSED_N ports, far more than the burst of 6 ICMP errors
#   the limit lets through at once)               -> closed,port-unreach
#   hostile servers: a 60000-byte reply and a flood of 2000 -> open (bounded);
#   replies only from another port, or only from another address of the
#   target                                        -> open|filtered, never open
#   port 69, whose TFTP probe may be answered from another port of the
#   target (reply_from: any_port): a TFTP ERROR from another address (from
#   any port and from 69) and junk from another port of the target
#                                                 -> open|filtered, never open
. "$(dirname "$0")/lib.sh"
lab_start

command -v python3 >/dev/null || skip "python3 not installed (the UDP servers)"

# The Linux defaults (Documentation/networking/ip-sysctl.rst).
"$LAB" texec "$LAB_NAME" -- sysctl -qw net.ipv4.icmp_ratelimit=1000 \
	net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50 net.ipv6.icmp.ratelimit=1000 ||
	{ fail "cannot set the target's ICMP rate limit"; finish; }

ECHO=9001 SILENT=9002 HUGE=9003 OTHERPORT=9004 OTHERADDR=9006 TFTP=69
DROP=9010 PROHIB=9011 NETPROHIB=9012 HOSTUN=9013 NETUN=9014 PROTOUN=9015
CLOSED_LO=9100 CLOSED_N=20
h4=$LAB_HOST4 h6=$LAB_HOST6

ip netns exec "$LAB_TGT_NS" python3 -c '
import socket, sys, threading
echo, silent, huge, otherport, otheraddr, tftp = (int(a) for a in sys.argv[1:7])
host4, host6, alt4, alt6 = sys.argv[7:11]
tftp_error = b"\x00\x05\x00\x01File not found\x00"   # RFC 1350 5
# Bound to the probed addresses: a wildcard socket would answer from the
# address the route picks (the veth), which is another address.
def sock(v4, addr, port):
    s = socket.socket(socket.AF_INET if v4 else socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: any address of the local block
    s.bind((addr, port))
    return s
def serve(v4, port, how):
    s = sock(v4, host4 if v4 else host6, port)
    other = sock(v4, host4 if v4 else host6, 0)   # same address, another port
    alt = sock(v4, alt4 if v4 else alt6, 0)       # another address of the target
    alt_same = sock(v4, alt4 if v4 else alt6, port)   # the same, from the probed port
    while True:
        data, peer = s.recvfrom(65535)
        if how == "echo":
            s.sendto(b"pong:" + data[:16], peer)
        elif how == "huge":
            s.sendto(b"H" * 60000, peer)
            for _ in range(2000):
                try: s.sendto(b"f", peer)
                except OSError: pass
        elif how == "otherport":
            other.sendto(b"spoof", peer)
        elif how == "otheraddr":
            alt.sendto(b"spoof", peer)
        elif how == "tftp-hostile":
            alt.sendto(tftp_error, peer)
            alt_same.sendto(tftp_error, peer)
            other.sendto(b"spoof", peer)
for v4 in (True, False):
    for port, how in ((echo, "echo"), (silent, "silent"), (huge, "huge"),
                      (otherport, "otherport"), (otheraddr, "otheraddr"),
                      (tftp, "tftp-hostile")):
        threading.Thread(target=serve, args=(v4, port, how), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
' "$ECHO" "$SILENT" "$HUGE" "$OTHERPORT" "$OTHERADDR" "$TFTP" "$h4" "$h6" 198.19.0.99 2001:db8:1::99 \
	>"$LT_WORK/servers.log" 2>&1 &
spid=$!
stop_servers() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; lab_stop; }
trap stop_servers EXIT
for _ in $(seq 100); do grep -q ready "$LT_WORK/servers.log" && break; sleep 0.1; done
check
grep -q ready "$LT_WORK/servers.log" && ok "UDP servers up" ||
	{ fail "UDP servers did not start: $(head -c 300 "$LT_WORK/servers.log")"; finish; }

# rule IPTABLES PORT TARGET...: one more rule in the target's INPUT.
rule() {
	local ipt=$1 port=$2
	shift 2
	"$LAB" texec "$LAB_NAME" -- "$ipt" -w -I INPUT -p udp --dport "$port" -j "$@" ||
		fail "cannot add $ipt udp $port $*"
}
for ipt in iptables ip6tables; do rule "$ipt" "$DROP" DROP; done
rule iptables "$PROHIB" REJECT --reject-with icmp-admin-prohibited
rule ip6tables "$PROHIB" REJECT --reject-with icmp6-adm-prohibited
rule iptables "$NETPROHIB" REJECT --reject-with icmp-net-prohibited
rule ip6tables "$NETPROHIB" REJECT --reject-with icmp6-adm-prohibited
rule iptables "$HOSTUN" REJECT --reject-with icmp-host-unreachable
rule ip6tables "$HOSTUN" REJECT --reject-with icmp6-addr-unreachable
rule iptables "$NETUN" REJECT --reject-with icmp-net-unreachable
rule ip6tables "$NETUN" REJECT --reject-with icmp6-no-route
rule iptables "$PROTOUN" REJECT --reject-with icmp-proto-unreachable
# ip6tables has no protocol unreachable: a port unreachable, closed.
rule ip6tables "$PROTOUN" REJECT --reject-with icmp6-port-unreachable

closed_hi=$((CLOSED_LO + CLOSED_N - 1))
for h in "$h4" "$h6"; do
	echo "$h,$ECHO,open,udp-response"
	echo "$h,$SILENT,open|filtered,no-response"
	echo "$h,$HUGE,open,udp-response"
	echo "$h,$OTHERPORT,open|filtered,no-response"
	echo "$h,$OTHERADDR,open|filtered,no-response"
	echo "$h,$DROP,open|filtered,no-response"
	echo "$h,$PROHIB,filtered,admin-prohibited"
	echo "$h,$NETPROHIB,filtered,admin-prohibited"
	echo "$h,$HOSTUN,filtered,host-unreach"
	echo "$h,$NETUN,filtered,net-unreach"
	for p in $(seq "$CLOSED_LO" "$closed_hi"); do echo "$h,$p,closed,port-unreach"; done
done >"$LT_WORK/expected"
echo "$h4,$PROTOUN,filtered,proto-unreach" >>"$LT_WORK/expected"
echo "$h6,$PROTOUN,closed,port-unreach" >>"$LT_WORK/expected"

ports="$ECHO,$SILENT,$HUGE,$OTHERPORT,$OTHERADDR,$DROP,$PROHIB,$NETPROHIB,$HOSTUN,$NETUN,$PROTOUN,$CLOSED_LO-$closed_hi"
out=$LT_WORK/udp.csv
if scan "$out" -sU -p "U:$ports" --states all "$h4" "$h6"; then
	csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "UDP states and reasons under the default ICMP rate limit"
	check
	if [ "$(csv_cols "$out" proto | sort -u)" = udp ]; then ok "proto is udp on every row"
	else fail "proto column: $(csv_cols "$out" proto | sort | uniq -c | tr '\n' ' ')"; fi
	check
	if grep -q 'open|filtered' "$SCAN_ERR"; then ok "summary counts open|filtered"
	else fail "summary line lacks open|filtered: $(tail -n1 "$SCAN_ERR")"; fi
fi

# Port 69: its TFTP probe (probes/80-udp.yaml) may be answered from another
# port of the target, never from another address, and only by what looks
# like TFTP: the forged ERRORs and the junk are all set aside.
out=$LT_WORK/tftp.csv
if scan "$out" -sU -s --probes-dir "$LT_REPO/probes" -p "U:$TFTP" --states all "$h4" "$h6"; then
	csv_cols "$out" ip,port,state,reason,service >"$LT_WORK/actual69"
	printf '%s\n' "$h4,$TFTP,open|filtered,no-response," \
		"$h6,$TFTP,open|filtered,no-response," >"$LT_WORK/expected69"
	expect_same "$LT_WORK/expected69" "$LT_WORK/actual69" \
		"TFTP port: another address's ERROR and another port's junk never credited"
fi

# A small scan written as XML: as nmap writes UDP ports.
xml=$LT_WORK/udp.xml
if scan "$xml" -sU -p "$ECHO,$SILENT,$CLOSED_LO" --states all "$h4"; then
	check
	if grep -q '<scaninfo type="udp" protocol="udp"' "$xml" &&
		grep -q "<port protocol=\"udp\" portid=\"$SILENT\"><state state=\"open|filtered\" reason=\"no-response\"" "$xml" &&
		grep -q "<port protocol=\"udp\" portid=\"$ECHO\"><state state=\"open\" reason=\"udp-response\"" "$xml"; then
		ok "XML: protocol=\"udp\", open|filtered"
	else
		fail "XML lacks protocol=\"udp\" or open|filtered: $(grep -E 'scaninfo|<port ' "$xml" | head -5)"
	fi
fi
finish
