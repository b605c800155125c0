#!/usr/bin/env bash
# 3-unreachable: hosts behind a router that answers ICMP host-unreachable are
# reported filtered/host-unreach (v4 and v6), hosts the scanner has no route
# to are filtered/net-unreach, each after one attempt, and quickly: 20
# host/port pairs with --timeout 3000 -t 4 must finish in < 3 s (waiting for
# the timeout would take 15 s).
#
# The timeout is fixed (--min-timeout = --timeout = 3000). With the adaptive
# timeout this test failed about 2 runs in 7 with "attempts 2" on one pair
# (2001:db8:2::7:443 once, 198.18.255.6:443 and :22 in other runs). The race,
# seen with tests/helpers/faultshim.so's PLFAULT_LOG: the ICMP error comes
# LAB_NEIGH_FAIL_MS (100 ms) after the SYN plus a few ms of neighbour-timer
# and scheduling jitter (100 to 125 ms measured); every answer is an RTT
# sample, so after a few of them the host's timeout (SRTT + 4 RTTVAR, floor
# --min-timeout 100) settles at about 105 ms, inside that spread. A slower
# ICMP then loses to the timer: connect() fails with EINPROGRESS at ~107 ms,
# that attempt counts as a timeout, and the retry gets the host-unreach. The
# network answered at once every time; what varies is when portolan stops
# listening, which is the estimator's business (issue 12, accuracy 1), not
# this test's: here the timer never fires first, so "1 attempt" is exact.
. "$(dirname "$0")/lib.sh"
lab_start

ports=22,80,443,8080,9999
ports_of "$ports" >"$LT_WORK/ports"

# one_case LABEL CIDR REASON HOST...
one_case() {
	local label=$1 cidr=$2 reason=$3 out=$LT_WORK/$1.csv
	if scan "$out" -Pn -p "$ports" --states all --timeout 3000 --min-timeout 3000 -t 4 "$cidr"; then
		printf '%s\n' "${@:4}" >"$LT_WORK/$label.hosts"
		awk -v r="$reason" 'FNR == NR { p[++n] = $1; next } { for (i = 1; i <= n; i++) print $1 "," p[i] ",filtered," r ",1" }' \
			"$LT_WORK/ports" "$LT_WORK/$label.hosts" >"$LT_WORK/$label.expected"
		csv_cols "$out" ip,port,state,reason,attempts >"$LT_WORK/$label.actual"
		expect_same "$LT_WORK/$label.expected" "$LT_WORK/$label.actual" "$label $cidr x $ports: filtered,$reason, 1 attempt"
		expect_lt "$SCAN_MS" 3000 "$label: elapsed ms for 20 pairs, --timeout 3000 -t 4"
	fi
}

net4=${LAB_HOSTUNREACH4%/*}                      # 198.18.255.0
p4=${net4%.*}
one_case hostunreach4 "$p4.4/30" host-unreach "$p4.4" "$p4.5" "$p4.6" "$p4.7"
net6=${LAB_HOSTUNREACH6%/*}                      # 2001:db8:2::
one_case hostunreach6 "${net6}4/126" host-unreach "${net6}4" "${net6}5" "${net6}6" "${net6}7"
nr=${LAB_NOROUTE4%/*}
nr=${nr%.*}
one_case noroute4 "$nr.4/30" net-unreach "$nr.4" "$nr.5" "$nr.6" "$nr.7"
finish
