#!/usr/bin/env bash
# 1-allports: one host, all 65535 ports.
# The open set is exact, the DROP range is filtered/no-response, everything
# else is closed/conn-refused, exactly 65535 rows, the CSV header starts with
# the contract's ten columns, proto is tcp and attempts is 1 everywhere (--retries 0).
. "$(dirname "$0")/lib.sh"
lab_start

out=$LT_WORK/all.csv
h=$LAB_HOST4
if scan "$out" -p - --states open,closed,filtered --timeout 300 --retries 0 -t 256 "$h"; then
	# The contract's ten columns come first, in this order; later columns
	# (added by other features) are allowed and only reported.
	hdr=$(csv_header "$out")
	expect_eq "$(printf '%s\n' "$hdr" | cut -d, -f1-10)" "ip,host,port,proto,state,reason,latency_ms,attempts,ptr,error" "CSV header, first ten columns"
	extra=$(printf '%s\n' "$hdr" | cut -s -d, -f11-)
	[ -z "$extra" ] || say "note: extra CSV columns after the contract's: $extra"
	expect_eq "$(($(wc -l <"$out") - 1))" 65535 "data rows"
	echo "$h" >"$LT_WORK/hosts"
	seq 1 65535 >"$LT_WORK/ports"
	expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "every port of $h: state and reason"
	expect_eq "$(csv_cols "$out" proto,attempts | sort | uniq -c | awk '{ print $2 "x" $1 }')" "tcp,1x65535" "proto,attempts of every row"
	expect_eq "$(csv_cols "$out" state | grep -c '^open$')" "$(echo $LAB_OPEN_PORTS | wc -w)" "open ports"
	expect_eq "$(csv_cols "$out" state | grep -c '^filtered$')" "$((LAB_FILTERED_HI - LAB_FILTERED_LO + 1))" "filtered ports"
	expect_summary "$out"
fi
finish
