#!/usr/bin/env bash
# 3-unreachable: hosts behind a router that answers ICMP host-unreachable are
# reported filtered/host-unreach (v4 and v6), hosts the scanner has no route
# to are filtered/net-unreach, each after one attempt, and quickly: 20
# host/port pairs with --timeout 3000 -t 4 must finish in < 3 s (waiting for
# the timeout would take 15 s).
. "$(dirname "$0")/lib.sh"
lab_start

ports=22,80,443,8080,9999
ports_of "$ports" >"$LT_WORK/ports"

# one_case LABEL CIDR REASON HOST...
one_case() {
	local label=$1 cidr=$2 reason=$3 out=$LT_WORK/$1.csv
	if scan "$out" -p "$ports" --states all --timeout 3000 -t 4 "$cidr"; then
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
