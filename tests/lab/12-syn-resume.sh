#!/usr/bin/env bash
# 12-syn-resume: SIGINT in the middle of a SYN scan, then --resume, gives
# exactly the rows of an uninterrupted scan: every port once, with the lab's
# state and reason (the probes in flight at the interruption yield no row
# and are probed by the resume).
. "$(dirname "$0")/lib.sh"
lab_start

h=$LAB_HOST4
ports="1-12000,$LAB_FILTERED_LO-$((LAB_FILTERED_LO + 19))"
out=$LT_WORK/res.csv
# Where nobody (the user -sS drops to) can write: it writes the resume file
# after the drop. The output stays in root's directory: opened before it.
rf=$LT_RUN/syn.resume
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS -p "$ports" --states all --timeout 300 --retries 1 \
	--max-rate 4000 --resume-file "$rf" -o "$out" "$h" 2>"$LT_WORK/first.err" &
pid=$!
wait_rows "$out" "$pid"
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
expect_eq "$rc" 130 "interrupted SYN scan: exit status"
check
[ -s "$rf" ] && ok "interrupted SYN scan wrote its resume file" || fail "no resume file $rf"
first=$(($(wc -l <"$out") - 1))
check
[ "$first" -gt 0 ] && [ "$first" -lt 12020 ] && ok "interrupted after $first of 12020 rows" ||
	fail "interruption did not land mid-scan: $first rows"
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" --resume "$rf" 2>"$LT_WORK/second.err"
expect_eq "$?" 0 "--resume of the SYN scan: exit status"
echo "$h" >"$LT_WORK/hosts"
ports_of "$ports" >"$LT_WORK/ports"
expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
expect_same "$LT_WORK/expected" "$LT_WORK/actual" "interrupted + resumed SYN scan: every port once, exact"
finish
