#!/usr/bin/env bash
# 6-icmp-errors: ports whose SYN the target's firewall REJECTs with an ICMP
# error are filtered, with the reason the contract (include/result.h) names:
#   ICMP net-unreachable (v4) / no-route (v6)         -> filtered,net-unreach
#   ICMP admin-prohibited (v4) / adm-prohibited (v6)  -> filtered,admin-prohibited
# One attempt each. Timing is not checked: in the lab these ICMP errors come
# back while connect() is still running and Linux keeps them as a soft error
# until the SYN retransmit (~1 s), hence --timeout 3000.
. "$(dirname "$0")/lib.sh"
lab_start

ports=80,443
out=$LT_WORK/icmp.csv
n4=${LAB_NETUNREACH4%/*}; n4=${n4%.*}.1          # 198.19.254.1
a4=${LAB_PROHIBIT4%/*}; a4=${a4%.*}.1            # 198.19.253.1
n6=${LAB_NETUNREACH6%/*}; n6=${n6%0}1            # 2001:db8:1::fe:1
a6=${LAB_PROHIBIT6%/*}; a6=${a6%0}1              # 2001:db8:1::fd:1
if scan "$out" -p "$ports" --states all --timeout 3000 -t 8 "$n4" "$a4" "$n6" "$a6"; then
	for p in 80 443; do
		echo "$n4,$p,filtered,net-unreach,1"
		echo "$a4,$p,filtered,admin-prohibited,1"
		echo "$n6,$p,filtered,net-unreach,1"
		echo "$a6,$p,filtered,admin-prohibited,1"
	done >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason,attempts >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "REJECTed ports: state, reason, attempts"
fi
finish
