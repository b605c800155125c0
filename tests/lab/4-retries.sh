#!/usr/bin/env bash
# 4-retries: --retries N tries a port that does not answer exactly N+1 times.
# The target's DROP rule counts the SYNs it swallowed (its counter is zeroed
# before each scan). With --timeout 500, below Linux's 1 s initial SYN RTO,
# one connect() sends exactly one SYN, so SYNs dropped = attempts. Also: the
# attempts column says N+1; ports that answer (open, closed) are tried once.
. "$(dirname "$0")/lib.sh"
lab_start

fp=$((LAB_FILTERED_LO + 50))

# drop_case LABEL RULE TARGET PORTS RETRIES EXPECTED-SYNS EXPECTED-ROWS...
drop_case() {
	local label=$1 rule=$2 target=$3 ports=$4 retries=$5 syns=$6 out=$LT_WORK/$1.csv
	shift 6
	lab_zero
	expect_eq "$(lab_counter "$rule")" 0 "$label: $rule counter after zeroing"
	if scan "$out" -Pn -p "$ports" --states all --timeout 500 --retries "$retries" -t 16 "$target"; then
		expect_eq "$(lab_counter "$rule")" "$syns" "$label: SYNs dropped by $rule (--retries $retries)"
		printf '%s\n' "$@" >"$LT_WORK/$label.expected"
		csv_cols "$out" ip,port,state,reason,attempts >"$LT_WORK/$label.actual"
		expect_same "$LT_WORK/$label.expected" "$LT_WORK/$label.actual" "$label: ip,port,state,reason,attempts"
	fi
}

h=$LAB_HOST4
h6=$LAB_HOST6
drop_case r2 lab-drop "$h" "$fp" 2 3 "$h,$fp,filtered,no-response,3"
drop_case r0 lab-drop "$h" "$fp" 0 1 "$h,$fp,filtered,no-response,1"
drop_case r1-v6 lab-drop6 "$h6" "$fp" 1 2 "$h6,$fp,filtered,no-response,2"
# Ten filtered ports, plus an open and a closed one that must not be retried.
rows=()
for p in $(seq "$LAB_FILTERED_LO" $((LAB_FILTERED_LO + 9))); do rows+=("$h,$p,filtered,no-response,3"); done
op=${LAB_OPEN_PORTS%% *}
rows+=("$h,$op,open,syn-ack,1" "$h,2,closed,conn-refused,1")
drop_case r2-many lab-drop "$h" "$op,2,$LAB_FILTERED_LO-$((LAB_FILTERED_LO + 9))" 2 30 "${rows[@]}"
finish
