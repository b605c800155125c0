#!/usr/bin/env bash
# 11-syn-loss: with 5% random loss on the lab path, both directions
# (iptables -m statistic in the target namespace: SYNs in, answers out), a
# SYN scan with retries still gives every port exactly, and it did
# retransmit (the summary counts retries). Without retransmission about one
# probe in ten would come out filtered.
. "$(dirname "$0")/lib.sh"
lab_start

h=$LAB_HOST4
ipt=(ip netns exec "$LAB_TGT_NS" iptables -w)
"${ipt[@]}" -I INPUT 1 -p tcp -m statistic --mode random --probability 0.05 \
	-m comment --comment lab-loss-in -j DROP
"${ipt[@]}" -I OUTPUT 1 -p tcp -m statistic --mode random --probability 0.05 \
	-m comment --comment lab-loss-out -j DROP

out=$LT_WORK/loss.csv
ports="1-3000,$LAB_FILTERED_LO-$((LAB_FILTERED_LO + 9)),31337,65535"
if scan "$out" -sS -p "$ports" --states all --timeout 300 --retries 8 -oJ "$LT_WORK/loss.json" "$h"; then
	echo "$h" >"$LT_WORK/hosts"
	ports_of "$ports" >"$LT_WORK/ports"
	expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "-sS under 5% loss each way: state and reason"
	lost=$(ip netns exec "$LAB_TGT_NS" iptables -w -L -v -n -x | awk '/lab-loss/ { n += $1 } END { print n + 0 }')
	retries=$(sed -nE 's/.* ([0-9]+) retr(y|ies).*/\1/p' "$SCAN_ERR" | tail -n1)
	check
	[ "$lost" -gt 0 ] && [ "${retries:-0}" -ge "$lost" ] &&
		ok "packets lost by the loss rules ($lost) were retransmitted for (retries $retries)" ||
		fail "loss rules dropped $lost packets, the scan retried ${retries:-?} times"
	say "$(grep 'SYN scan:' "$SCAN_ERR")"
	# The JSON summary's packet counters agree with the attempts and retries.
	expect_eq "$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["summary"]; p = s["packets"]
print(p["sent"] == s["attempts"], p["retransmitted"] == s["retries"], p["received"] >= 3002, p["rejected"])' "$LT_WORK/loss.json")" \
		"True True True 0" "JSON summary packets: sent = attempts, retransmitted = retries, received, rejected"
fi
finish
