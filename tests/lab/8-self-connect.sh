#!/usr/bin/env bash
# 8-self-connect: a loopback self-connect (the connect picked the target port
# as its own source port: TCP simultaneous open) is neither an attempt at the
# port nor a retry. The scanner namespace's ephemeral range is narrowed to one
# port, 40000, so every connect to 127.0.0.1:40000 connects to itself, every
# time; the port has no listener, so it is closed after one attempt, and the
# summary counts the self-connects apart (issue 12, item 4).
. "$(dirname "$0")/lib.sh"
lab_start

"$LAB" exec "$LAB_NAME" -- sysctl -qw net.ipv4.ip_local_port_range="40000 40000" ||
	{ fail "cannot narrow the ephemeral port range"; finish; }
out=$LT_WORK/self.csv
if scan "$out" -p 40000-40002 --retries 0 --states all 127.0.0.1; then
	for p in 40000 40001 40002; do echo "127.0.0.1,$p,closed,conn-refused,1"; done >"$LT_WORK/expected"
	csv_cols "$out" ip,port,state,reason,attempts >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "self-connected port: closed after one attempt"
	line=$(grep -E '^portolan: .* probes in ' "$SCAN_ERR" | tail -n1)
	expect_eq "$(printf '%s\n' "$line" | sed -E 's/.*; ([0-9]+ attempts?, [0-9]+ retr[a-z]*).*/\1/')" \
		"3 attempts, 0 retries" "summary attempts and retries"
	expect_eq "$(printf '%s\n' "$line" | grep -oE '[0-9]+ self-connects?')" "8 self-connects" \
		"summary self-connects (8 tries, then the port counts as closed)"
	expect_summary "$out"
fi
finish
