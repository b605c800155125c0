#!/usr/bin/env bash
# 7-fd-exhaustion: with a descriptor limit of 64 and 500 threads asked for,
# the scan slows down rather than lies: every row exact (open, filtered and
# closed), no error rows, and a warning that the threads were clamped.
. "$(dirname "$0")/lib.sh"
lab_start

out=$LT_WORK/fd.csv
h=$LAB_HOST4
ports="1-32000,65535"
real=$PORTOLAN
# scan() runs "$PORTOLAN ARGS -o OUT": prlimit sets the limit, then runs
# the scanner itself.
PORTOLAN=prlimit
if scan "$out" --nofile=64:64 -- "$real" -p "$ports" --states all --timeout 300 --retries 0 \
	-t 500 "$h"; then
	check
	if grep -q "descriptor limit 64" "$SCAN_ERR"; then
		ok "threads clamped to the descriptor limit, with a warning"
	else
		fail "no clamp warning on stderr"
	fi
	echo "$h" >"$LT_WORK/hosts"
	{ seq 1 32000; echo 65535; } >"$LT_WORK/ports"
	expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "every port of $h under ulimit -n 64"
	expect_eq "$(csv_cols "$out" state | grep -c '^error$')" 0 "error rows"
	expect_summary "$out"
fi
PORTOLAN=$real
finish
