#!/usr/bin/env bash
# 23-disco-resume: SIGINT in the middle of host discovery (the discovery /24
# at --max-rate 150: its 248 silent addresses keep discovery busy for
# seconds), then --resume: the union is an uninterrupted scan's, with one
# host row per address (none twice) and the port rows exact.
. "$(dirname "$0")/lib.sh"
lab_start

ports="22,80,443,1000"
ports_of "$ports" >"$LT_WORK/ports"
disco_hosts 4 >"$LT_WORK/hosts"
disco_addrs 4 >"$LT_WORK/addrs"
disco_port_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/truth"
args=(-p "$ports" --states all,up,down --timeout 500 --retries 1 --max-rate 150)

# The uninterrupted run.
full=$LT_WORK/full.csv
scan "$full" "${args[@]}" "$LAB_DISCO4"
expect_hosts "$full" root "$LT_WORK/addrs" "$LT_WORK/hosts" "uninterrupted"

out=$LT_RUN/res.csv
rf=$LT_RUN/disco.resume
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" "${args[@]}" --resume-file "$rf" -o "$out" "$LAB_DISCO4" 2>"$LT_WORK/first.err" &
pid=$!
# Until a host row is out, not just any row: a live host's port rows may
# come before its own row (its port-0 position need not be its first), and
# the point is an interruption with host rows on both sides of it.
for _ in $(seq 600); do
	[ -f "$out" ] && [ "$(host_rows "$out" | wc -l)" -gt 0 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
expect_eq "$?" 130 "interrupted scan: exit status"
first=$(host_rows "$out" | wc -l)
check
[ "$first" -gt 0 ] && [ "$first" -lt 256 ] && ok "interrupted in discovery: $first of 256 host rows" ||
	fail "the interruption did not land in discovery: $first of 256 host rows"
check
[ -s "$rf" ] && ok "interrupted scan wrote its resume file" || fail "no resume file $rf"
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" --resume "$rf" 2>"$LT_WORK/second.err"
expect_eq "$?" 0 "--resume: exit status"

expect_hosts "$out" root "$LT_WORK/addrs" "$LT_WORK/hosts" "interrupted + resumed"
expect_eq "$(host_rows "$out" | cut -d, -f1 | sort | uniq -d | wc -l)" 0 "addresses with two host rows"
host_rows "$full" | cut -d, -f1,2 >"$LT_WORK/full.hosts"
host_rows "$out" | cut -d, -f1,2 >"$LT_WORK/res.hosts"
expect_same "$LT_WORK/full.hosts" "$LT_WORK/res.hosts" "host rows (ip,state) = the uninterrupted run's"
port_rows "$full" >"$LT_WORK/full.ports"
port_rows "$out" >"$LT_WORK/res.ports"
expect_same "$LT_WORK/full.ports" "$LT_WORK/res.ports" "port rows = the uninterrupted run's"
expect_same "$LT_WORK/truth" "$LT_WORK/full.ports" "uninterrupted: port rows = the profiles' on the live hosts"
finish
