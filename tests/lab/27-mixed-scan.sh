#!/usr/bin/env bash
# 27-mixed-scan: TCP and UDP ports of the lab's hosts in one run (issue 16),
# across the veth, one v4 and one v6 host at once, every row exact with its
# proto:
#   -sS -sU -p T:...,U:...:
#     TCP: the lab's open ports open,syn-ack; a closed port
#          closed,conn-refused; the lab's dropped range filtered,no-response
#     UDP: a server that answers open,udp-response; a listener that never
#          answers and iptables DROP open|filtered,no-response; ports with
#          no listener closed,port-unreach
#   the same with -sT -sU (connect and udp), and the XML's per-port protocol;
#   a mixed SYN+UDP scan interrupted half way and resumed gives the same rows.
. "$(dirname "$0")/lib.sh"
lab_start

command -v python3 >/dev/null || skip "python3 not installed (the UDP servers)"

ECHO=9001 SILENT=9002 DROP=9010 CLOSED_LO=9100 CLOSED_N=10
h4=$LAB_HOST4 h6=$LAB_HOST6
fp=$((LAB_FILTERED_LO + 3))

ip netns exec "$LAB_TGT_NS" python3 -c '
import socket, sys, threading
echo, silent = int(sys.argv[1]), int(sys.argv[2])
def serve(v4, addr, port, answer):
    s = socket.socket(socket.AF_INET if v4 else socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: any address of the local block
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        if answer:
            s.sendto(b"pong:" + data[:16], peer)
for v4, addr in ((True, sys.argv[3]), (False, sys.argv[4])):
    for port, answer in ((echo, True), (silent, False)):
        threading.Thread(target=serve, args=(v4, addr, port, answer), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
' "$ECHO" "$SILENT" "$h4" "$h6" >"$LT_WORK/servers.log" 2>&1 &
spid=$!
stop_servers() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; lab_stop; }
trap stop_servers EXIT
for _ in $(seq 100); do grep -q ready "$LT_WORK/servers.log" && break; sleep 0.1; done
check
grep -q ready "$LT_WORK/servers.log" && ok "UDP servers up" ||
	{ fail "UDP servers did not start: $(head -c 300 "$LT_WORK/servers.log")"; finish; }
for ipt in iptables ip6tables; do
	"$LAB" texec "$LAB_NAME" -- "$ipt" -w -I INPUT -p udp --dport "$DROP" -j DROP ||
		fail "cannot add $ipt udp $DROP DROP"
done

closed_hi=$((CLOSED_LO + CLOSED_N - 1))
# 53 is in neither list as TCP; 22 is both a TCP port and a closed UDP one.
spec="T:22,80,81,$fp,U:22,$ECHO,$SILENT,$DROP,$CLOSED_LO-$closed_hi"
for h in "$h4" "$h6"; do
	echo "$h,tcp,22,open,syn-ack"
	echo "$h,tcp,80,open,syn-ack"
	echo "$h,tcp,81,closed,conn-refused"
	echo "$h,tcp,$fp,filtered,no-response"
	echo "$h,udp,22,closed,port-unreach"
	echo "$h,udp,$ECHO,open,udp-response"
	echo "$h,udp,$SILENT,open|filtered,no-response"
	echo "$h,udp,$DROP,open|filtered,no-response"
	for p in $(seq "$CLOSED_LO" "$closed_hi"); do echo "$h,udp,$p,closed,port-unreach"; done
done >"$LT_WORK/expected"

for how in "-sS -sU" "-sT -sU"; do
	out=$LT_WORK/mixed-${how// /}.csv
	# shellcheck disable=SC2086 # two words on purpose
	if scan "$out" $how -p "$spec" --states all --timeout 300 "$h4" "$h6"; then
		csv_cols "$out" ip,proto,port,state,reason >"$LT_WORK/actual"
		expect_same "$LT_WORK/expected" "$LT_WORK/actual" "$how: TCP and UDP states, reasons and proto"
		check
		if grep -q '1[0-9]* open|filtered\|4 open|filtered' "$SCAN_ERR"; then
			ok "$how: summary counts open|filtered"
		else
			fail "$how: summary line lacks open|filtered: $(tail -n1 "$SCAN_ERR")"
		fi
	fi
done

# XML: each port its protocol, one scaninfo per protocol.
xml=$LT_WORK/mixed.xml
if scan "$xml" -sS -sU -p "T:22,81,U:22,$ECHO,$SILENT" --states all "$h4"; then
	check
	if grep -q '<scaninfo type="connect" protocol="tcp" numservices="2"' "$xml" &&
		grep -q '<scaninfo type="udp" protocol="udp" numservices="3"' "$xml" &&
		grep -q '<port protocol="tcp" portid="22"><state state="open" reason="syn-ack"' "$xml" &&
		grep -q '<port protocol="udp" portid="22"><state state="closed" reason="port-unreach"' "$xml" &&
		grep -q "<port protocol=\"udp\" portid=\"$SILENT\"><state state=\"open|filtered\"" "$xml"; then
		ok "XML: protocol per port, a scaninfo per protocol"
	else
		fail "XML: $(grep -E 'scaninfo|<port ' "$xml" | head -8)"
	fi
fi

# Interrupted half way, resumed: the same rows, each once.
big="T:1-3000,U:$ECHO,$SILENT,$CLOSED_LO-$closed_hi"
# The resume file where nobody (the user -sS drops to) can write: it is
# written after the drop.
whole=$LT_WORK/whole.csv part=$LT_WORK/part.csv resume=$LT_RUN/mixed.resume
if scan "$whole" -sS -sU -p "$big" --states all --timeout 300 --max-rate 2000 "$h4"; then
	rm -f "$part" "$resume"
	"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS -sU -p "$big" --states all --timeout 300 \
		--max-rate 2000 -q "$h4" -o "$part" --resume-file "$resume" 2>"$LT_WORK/part.err" &
	ppid=$!
	sleep 0.8
	kill -INT "$ppid" 2>/dev/null
	wait "$ppid"
	prc=$?
	expect_eq "$prc" 130 "mixed scan interrupted: exit status"
	check
	if [ -s "$resume" ]; then
		"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" --resume "$resume" -q 2>"$LT_WORK/resume.err"
		expect_eq "$?" 0 "mixed scan resumed: exit status"
		csv_cols "$whole" ip,proto,port,state,reason >"$LT_WORK/whole.rows"
		csv_cols "$part" ip,proto,port,state,reason >"$LT_WORK/part.rows"
		expect_same "$LT_WORK/whole.rows" "$LT_WORK/part.rows" "mixed scan interrupted and resumed: the uninterrupted rows"
	else
		fail "no resume file after SIGINT: $(head -c 300 "$LT_WORK/part.err")"
	fi
fi
finish
