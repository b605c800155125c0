#!/usr/bin/env bash
# 28-udp-ratelimit: the UDP scan learns each host's ICMP rate limit. Three
# hosts, each in a namespace of its own (lab_hosts: a namespace's limit is
# one bucket per destination, shared by every address in it), scanned at
# once, with net.ipv4.icmp_ratelimit at
#   host 0: 1000 ms (the Linux default)
#   host 1:  250 ms
#   host 2:    0    (no limit)
# and on each: an echo server (open), iptables DROP (really silent:
# open|filtered), REJECT icmp-admin-prohibited (filtered), and CLOSED_N
# ports without a listener, far more than the burst of 6 the limit lets
# through at once (closed, every one).
# What is checked: every state and reason exact on every host; the
# interval each host is paced at, from the verbose output (-v): host 0
# about 1000 ms, host 1 about 250 ms (so learnt, not the fixed 1.1 s of
# before), host 2 never paced. No wall-clock limits.
. "$(dirname "$0")/lib.sh"
lab_start

command -v python3 >/dev/null || skip "python3 not installed (the UDP servers)"
lab_hosts 3 || finish
limits=(1000 250 0)
ECHO=9001 DROP=9010 PROHIB=9011 CLOSED_LO=9100 CLOSED_N=40
closed_hi=$((CLOSED_LO + CLOSED_N - 1))

spids=()
stop_all() {
	local p
	for p in ${spids[@]+"${spids[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	lab_stop
}
trap stop_all EXIT

for i in 0 1 2; do
	ns=${LAB_HOSTS_NS[$i]}
	ip netns exec "$ns" sysctl -qw "net.ipv4.icmp_ratelimit=${limits[$i]}" ||
		{ fail "cannot set host $i's icmp_ratelimit"; finish; }
	ip netns exec "$ns" iptables -w -I INPUT -p udp --dport "$DROP" -j DROP &&
		ip netns exec "$ns" iptables -w -I INPUT -p udp --dport "$PROHIB" -j REJECT \
			--reject-with icmp-admin-prohibited ||
		{ fail "cannot add host $i's firewall rules"; finish; }
	ip netns exec "$ns" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(b"pong", peer)
' "$ECHO" >"$LT_WORK/echo$i.log" 2>&1 &
	spids+=($!)
done
for i in 0 1 2; do
	for _ in $(seq 100); do grep -q ready "$LT_WORK/echo$i.log" && break; sleep 0.1; done
	grep -q ready "$LT_WORK/echo$i.log" || { fail "host $i's echo server did not start"; finish; }
done

for h in "${LAB_HOSTS_V4[@]}"; do
	echo "$h,$ECHO,open,udp-response"
	echo "$h,$DROP,open|filtered,no-response"
	echo "$h,$PROHIB,filtered,admin-prohibited"
	for p in $(seq "$CLOSED_LO" "$closed_hi"); do echo "$h,$p,closed,port-unreach"; done
done | sort >"$LT_WORK/expected"

out=$LT_WORK/udp.csv
if scan "$out" -v -sU -p "$ECHO,$DROP,$PROHIB,$CLOSED_LO-$closed_hi" --states all "${LAB_HOSTS_V4[@]}"; then
	csv_cols "$out" ip,port,state,reason | sort >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "UDP states under ICMP limits of 1000 ms, 250 ms and none"
	grep '^portolan: udp:' "$SCAN_ERR" | sed 's/^/    /'
	# interval HOST: the interval the scan says it paced HOST for, or "none".
	interval() {
		local n
		n=$(sed -n "s/^portolan: udp: $1: ICMP errors limited to one per \([0-9]*\) ms.*/\1/p" "$SCAN_ERR")
		echo "${n:-none}"
	}
	check
	n=$(interval "${LAB_HOSTS_V4[0]}")
	if [ "$n" != none ] && [ "$n" -ge 700 ] && [ "$n" -le 1400 ]; then
		ok "host 0 (1000 ms limit) paced for one ICMP error per $n ms"
	else fail "host 0 (1000 ms limit): learnt interval $n, expected 700-1400 ms"; fi
	check
	n=$(interval "${LAB_HOSTS_V4[1]}")
	if [ "$n" != none ] && [ "$n" -ge 150 ] && [ "$n" -le 450 ]; then
		ok "host 1 (250 ms limit) paced for one ICMP error per $n ms, not the fixed 1100"
	else fail "host 1 (250 ms limit): learnt interval $n, expected 150-450 ms"; fi
	check
	n=$(interval "${LAB_HOSTS_V4[2]}")
	if [ "$n" = none ]; then ok "host 2 (no limit) never paced"
	else fail "host 2 (no limit) was paced at $n ms"; fi
fi
finish
