#!/usr/bin/env bash
# 2-manyhosts: 256 hosts x 200 ports with 500 threads, every (host, port) exact.
# Hosts 198.19.1.0/24 (all of it, .0 and .255 included): the shared open
# ports, port 7777 open only on the special host, the DROP range filtered, the
# dark host (every port dropped) filtered, the rest closed/conn-refused.
. "$(dirname "$0")/lib.sh"
lab_start

out=$LT_WORK/many.csv
base=${LAB_SPECIAL_HOST4%.*}.0          # 198.19.1.0; holds the special and dark hosts
ports="1-149,$LAB_SPECIAL_PORT,$LAB_FILTERED_LO-$((LAB_FILTERED_LO + 49))"
if scan "$out" -Pn -p "$ports" --states all --timeout 500 --retries 0 -t 500 -v "$base/24"; then
	ipv4_range "$base" 256 >"$LT_WORK/hosts"
	ports_of "$ports" >"$LT_WORK/ports"
	expect_eq "$(wc -l <"$LT_WORK/ports")" 200 "ports per host (test setup)"
	expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "256 hosts x 200 ports: state and reason"
	expect_eq "$(csv_cols "$out" ip | sort -u | wc -l)" 256 "distinct hosts"
	expect_eq "$(csv_cols "$out" attempts | sort -u | tr '\n' ' ')" "1 " "attempts (--retries 0)"
	expect_summary "$out"
	# -v says "scanning H hosts x P ports with N threads" (-t is clamped to
	# the descriptor limit): all 500 must run.
	expect_eq "$(sed -nE 's/.*scanning .* with ([0-9]+) threads.*/\1/p' "$SCAN_ERR" | head -n1)" 500 "threads used"
	# 12950 filtered probes x 500 ms need 12.95 s at 500 in flight; more than
	# twice that means far fewer connects were really in flight.
	nfilt=$(grep -c ',filtered,' "$LT_WORK/expected")
	expect_lt "$SCAN_MS" $((nfilt * 500 / 250)) "elapsed ms (at least 250 connects in flight)"
fi
finish
