#!/usr/bin/env bash
# 16-syn-detect: the SYN scan with service detection (-sV) and reverse DNS
# (-R), through the enrichment stage (src/engine/enrich.c).
#  - -sS -sV -R against the lab's listeners, a name, an IPv6 host and a
#    banner server the test starts in the target namespace: states and
#    reasons exact (detection changes none), the banner port identified,
#    the name's PTR from the scanner's hosts file;
#  - the same scan with -sT: every column but latency and attempts equal;
#  - SIGINT in the middle of a -sS -sV scan, then --resume: the union is the
#    uninterrupted scan's rows, services included, every port once.
. "$(dirname "$0")/lib.sh"
lab_start

BANNER_PORT=2222
# The scans run in LT_RUN (lib.sh): the probes are the repository's.
PD="--probes-dir $LT_REPO/probes"
BANNER='SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'
bpid=
stop_banner() {
	local rc=$?
	# Only the server this test started, by its PID.
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
	lab_stop
	return $rc
}
trap stop_banner EXIT

command -v python3 >/dev/null || skip "python3 not installed (the banner server)"
# A server that speaks first, on every address of the target namespace.
ip netns exec "$LAB_TGT_NS" python3 -c '
import socket, sys, threading
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen(128)
print("ready", flush=True)
def serve(c):
    try:
        c.sendall(sys.argv[2].encode() + b"\r\n")
        c.settimeout(5)
        c.recv(1024)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$BANNER_PORT" "$BANNER" >"$LT_WORK/banner.log" 2>&1 &
bpid=$!
for _ in $(seq 50); do grep -q ready "$LT_WORK/banner.log" && break; sleep 0.1; done
check
grep -q ready "$LT_WORK/banner.log" && ok "banner server on port $BANNER_PORT" ||
	{ fail "banner server did not start: $(head -c 300 "$LT_WORK/banner.log")"; finish; }

fp=$LAB_FILTERED_LO
open_csv=${LAB_OPEN_PORTS// /,}
ports="$open_csv,$BANNER_PORT,1000,$LAB_SPECIAL_PORT,$fp"
ports_of "$ports" >"$LT_WORK/ports"
hosts=("$LAB_HOST4" "$LAB_HOST6" "$LAB_NAME_WEB")

# expected ip,port,state,reason: the lab's truth, the banner port open
printf '%s\n' "$LAB_HOST4" "$LAB_HOST6" "$LAB_NAME_WEB_IP" >"$LT_WORK/hosts"
expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" |
	awk -F, -v bp="$BANNER_PORT" '$2 == bp { $3 = "open"; $4 = "syn-ack" } { print $1 "," $2 "," $3 "," $4 }' OFS=, \
	>"$LT_WORK/expected"

syn=$LT_WORK/syn.csv
if scan "$syn" -sS -sV -R $PD -Pn -p "$ports" --states all --timeout 300 --retries 1 "${hosts[@]}"; then
	csv_cols "$syn" ip,port,state,reason >"$LT_WORK/syn.states"
	expect_same "$LT_WORK/expected" "$LT_WORK/syn.states" "-sS -sV -R: states and reasons exact"
	csv_cols "$syn" ip,port,service,product,version,error >"$LT_WORK/syn.svc"
	for ip in "$LAB_HOST4" "$LAB_HOST6" "$LAB_NAME_WEB_IP"; do
		expect_eq "$(awk -F, -v ip="$ip" -v p="$BANNER_PORT" '$1 == ip && $2 == p' "$LT_WORK/syn.svc")" \
			"$ip,$BANNER_PORT,ssh,OpenSSH,9.2p1," "-sS -sV: $ip port $BANNER_PORT identified"
	done
	# As with connect, hosts with open ports get their name, on open rows.
	csv_cols "$syn" ip,host,ptr,state >"$LT_WORK/syn.ptr"
	expect_eq "$(awk -F, -v ip="$LAB_NAME_WEB_IP" '$1 == ip && $4 == "open" { print $1 "," $2 "," $3 }' "$LT_WORK/syn.ptr" | sort -u)" \
		"$LAB_NAME_WEB_IP,$LAB_NAME_WEB,$LAB_NAME_WEB" "-sS -R: the PTR name of $LAB_NAME_WEB_IP"
fi

# The connect scan is the reference for everything detection and -R add.
con=$LT_WORK/connect.csv
cols=ip,host,port,state,reason,ptr,error,service,product,version,info,os_hint,banner
if scan "$con" -sT -sV -R $PD -Pn -p "$ports" --states all --timeout 300 --retries 1 "${hosts[@]}"; then
	csv_cols "$con" "$cols" >"$LT_WORK/connect.all"
	csv_cols "$syn" "$cols" >"$LT_WORK/syn.all"
	expect_same "$LT_WORK/connect.all" "$LT_WORK/syn.all" "-sS -sV -R as -sT -sV -R: $cols"
fi

# ---------------------------------------------------------- stop and resume
h=$LAB_HOST4
# 1-8000 holds the banner port and six of the lab's open ports.
rports="1-8000,$LAB_FILTERED_LO-$((LAB_FILTERED_LO + 19))"
whole=$LT_WORK/whole.csv
scan "$whole" -sS -sV $PD -p "$rports" --states all --timeout 300 --retries 1 --max-rate 4000 "$h"
out=$LT_WORK/res.csv
# Where nobody (the user -sS drops to) can write its resume file.
rf=$LT_RUN/syn.resume
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS -sV $PD -p "$rports" --states all --timeout 300 --retries 1 \
	--max-rate 4000 --resume-file "$rf" -o "$out" "$h" 2>"$LT_WORK/first.err" &
pid=$!
wait_rows "$out" "$pid"
kill -INT "$pid" 2>/dev/null
wait "$pid"
expect_eq "$?" 130 "interrupted -sS -sV scan: exit status"
first=$(($(wc -l <"$out") - 1))
check
[ "$first" -gt 0 ] && [ "$first" -lt 8020 ] && ok "interrupted after $first of 8020 rows" ||
	fail "interruption did not land mid-scan: $first rows"
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" --resume "$rf" 2>"$LT_WORK/second.err"
expect_eq "$?" 0 "--resume of the -sS -sV scan: exit status"
rcols=ip,port,state,reason,error,service,product,version,info,banner
csv_cols "$whole" "$rcols" >"$LT_WORK/whole.rows"
csv_cols "$out" "$rcols" >"$LT_WORK/res.rows"
expect_same "$LT_WORK/whole.rows" "$LT_WORK/res.rows" "interrupted + resumed -sS -sV: the uninterrupted rows, services included"
finish
