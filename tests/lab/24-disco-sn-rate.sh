#!/usr/bin/env bash
# 24-disco-sn-rate: -sn (discovery only) on the discovery /24: with
# --states up, the hosts nmap -sn finds and no port row; with --states
# up,down the down ones too (no-response). Then --max-rate obeyed
# by discovery alone: every packet into the /24 is counted in the target
# (raw PREROUTING, before the blackhole: labctl counter lab-disco-in), and
# packets / wall time stays within the rate (plus a burst of 32).
. "$(dirname "$0")/lib.sh"
lab_start

disco_hosts 4 >"$LT_WORK/hosts"
disco_addrs 4 >"$LT_WORK/addrs"
cut -d' ' -f1 "$LT_WORK/hosts" >"$LT_WORK/live"
nmap_up "$LAB_DISCO4" >"$LT_WORK/nmap.up"
expect_same "$LT_WORK/live" "$LT_WORK/nmap.up" "lab: nmap -sn finds exactly the configured live hosts"

# (-sn alone writes rows only for the states --states names, as every scan:
# the default, open, takes in no host row.)
for opt in -sn --discovery-only; do
	out=$LT_WORK/sn$opt.csv
	if scan "$out" "$opt" --states up "$LAB_DISCO4"; then
		expect_eq "$(port_rows "$out" | wc -l)" 0 "$opt: port rows"
		host_rows "$out" | awk -F, '{ print $1 "," $2 }' >"$LT_WORK/sn.actual"
		sed 's/$/,up/' "$LT_WORK/nmap.up" >"$LT_WORK/sn.expected"
		expect_same "$LT_WORK/sn.expected" "$LT_WORK/sn.actual" "$opt: the up hosts nmap -sn finds, only them"
	fi
done
out=$LT_WORK/sn-all.csv
if scan "$out" -sn --states up,down "$LAB_DISCO4"; then
	expect_hosts "$out" root "$LT_WORK/addrs" "$LT_WORK/hosts" "-sn --states up,down"
	expect_eq "$(port_rows "$out" | wc -l)" 0 "-sn --states up,down: port rows"
fi

# --max-rate: discovery alone (-sn), as root (one raw packet per token; an
# unprivileged connect's SYN retransmissions are the kernel's).
rate=200
lab_zero
out=$LT_WORK/rate.csv
if scan "$out" -sn --states up,down --max-rate "$rate" "$LAB_DISCO4"; then
	pk=$(lab_counter lab-disco-in)
	say "$pk packets into $LAB_DISCO4 in $SCAN_MS ms at --max-rate $rate"
	check
	[ "$pk" -ge 256 ] && ok "every address probed: $pk packets" || fail "only $pk packets for 256 addresses"
	expect_lt "$pk" $((rate * SCAN_MS / 1000 + 32 + 1)) "packets into the /24 (at most rate x wall time + 32)"
	expect_hosts "$out" root "$LT_WORK/addrs" "$LT_WORK/hosts" "-sn --max-rate $rate"
fi
finish
