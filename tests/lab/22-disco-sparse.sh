#!/usr/bin/env bash
# 22-disco-sparse: a /16 where 1% of the addresses are alive (labctl sparse:
# 655 live addresses of 198.19.0.0/16 drawn at random, the rest blackholed),
# discovered by default: one host row per address, up exactly for the live
# set, port 80 open on each live host and on no other; and in bounded
# memory: the peak RSS of the /16 scan exceeds that of the same scan on a
# /20 of the block by less than 4 MiB, and on a /24 by less than 16 MiB (a
# table over the whole space, or rows kept per host, would grow with its
# 65,536 addresses). The lab is checked
# with nmap on a /22 of the block and on some live hosts' port 80 (nmap -sn
# over the whole /16 takes minutes).
. "$(dirname "$0")/lib.sh"
lab_start

list=$("$LAB" sparse "$LAB_NAME" on) || { fail "labctl sparse on"; finish; }
sort "$list" >"$LT_WORK/alive"
n=$(wc -l <"$LT_WORK/alive")
expect_eq "$n" "$LAB_SPARSE_COUNT" "live addresses (test setup)"
block=$LAB_SPARSE_BLOCK4
b2=${block%.*.*/*}                       # 198.19

# The lab: nmap agrees on a /22 (1,024 addresses) and on 8 live hosts' ports.
nmap_up "$b2.4.0/22" >"$LT_WORK/nmap.up"
awk -F. '$3 >= 4 && $3 < 8' "$LT_WORK/alive" | sort >"$LT_WORK/alive.22"
expect_same "$LT_WORK/alive.22" "$LT_WORK/nmap.up" "lab: nmap -sn on $b2.4.0/22 finds its live addresses"
shuf -n 8 "$LT_WORK/alive" >"$LT_WORK/sample"
nmap_ports 80,1000 $(cat "$LT_WORK/sample") >"$LT_WORK/nmap.ports"
awk '{ print $1 ",80,open,syn-ack"; print $1 ",1000,closed,conn-refused" }' "$LT_WORK/sample" >"$LT_WORK/sample.truth"
expect_same "$LT_WORK/sample.truth" "$LT_WORK/nmap.ports" "lab: nmap -Pn -sS on 8 live hosts"

# The /16, by default, peak RSS measured around portolan alone.
out16=$LT_WORK/s16.csv
SCAN_WRAP=(/usr/bin/time -f %M -o "$LT_WORK/rss16")
ran=0
if scan "$out16" -p 80 --states open,up,down "$block"; then
	host_rows "$out16" >"$LT_WORK/h16"
	awk -F, '$2 == "up" { print $1 }' "$LT_WORK/h16" | sort >"$LT_WORK/up16"
	expect_same "$LT_WORK/alive" "$LT_WORK/up16" "/16: the hosts found up are the live set"
	expect_eq "$(awk -F, '$2 == "down" && $3 == "no-response"' "$LT_WORK/h16" | wc -l)" $((65536 - n)) "/16: hosts down (no-response)"
	expect_eq "$(cut -d, -f1 "$LT_WORK/h16" | sort -u | wc -l)" 65536 "/16: distinct addresses with a host row"
	expect_eq "$(wc -l <"$LT_WORK/h16")" 65536 "/16: host rows (one per address)"
	awk '{ print $1 ",80,open,syn-ack" }' "$LT_WORK/alive" >"$LT_WORK/open.expected"
	port_rows "$out16" >"$LT_WORK/open16"
	expect_same "$LT_WORK/open.expected" "$LT_WORK/open16" "/16: port 80 open on every live host, on no other"
	ran=$((ran + 1))
fi

# The same on a /20 and a /24 of the block, for the memory comparison. The
# /20 (4,096 addresses) already fills discovery's window of hosts in flight
# (at most 1,024) and the worker pool, as the /16 does: the /16's 16 times
# the addresses must cost less than 4 MiB more. The /24 (256 addresses)
# fills neither, so it starts lower (about 7 MiB below, measured): less
# than 16 MiB there.
declare -A rss=()
for sub in 20 24; do
	out=$LT_WORK/s$sub.csv
	SCAN_WRAP=(/usr/bin/time -f %M -o "$LT_WORK/rss$sub")
	if scan "$out" -p 80 --states open,up,down "$b2.0.0/$sub"; then
		awk -F. -v n=$((1 << (24 - sub))) '$3 < n' "$LT_WORK/alive" >"$LT_WORK/alive$sub"
		host_rows "$out" | awk -F, '$2 == "up" { print $1 }' >"$LT_WORK/up$sub"
		expect_same "$LT_WORK/alive$sub" "$LT_WORK/up$sub" "/$sub: the hosts found up are its live set"
		expect_eq "$(host_rows "$out" | wc -l)" $((1 << (32 - sub))) "/$sub: host rows"
		rss[$sub]=$(peak_rss_kib "$LT_WORK/rss$sub")
	fi
done
SCAN_WRAP=()
if [ "$ran" = 1 ]; then
	rss[16]=$(peak_rss_kib "$LT_WORK/rss16")
	say "peak RSS: /16 ${rss[16]} KiB, /20 ${rss[20]:-?} KiB, /24 ${rss[24]:-?} KiB"
	# A sanitizer's allocator keeps freed memory in quarantine (ASan) or
	# shadows it (TSan): its RSS follows the work done, not what is held.
	# The plain build's run of this test is the memory check.
	if grep -qa -e __asan_init -e __tsan_init "$PORTOLAN"; then
		say "a sanitizer build: peak RSS not compared (make check's plain run compares it)"
	else
		[ -n "${rss[20]:-}" ] && expect_lt $((rss[16] - rss[20])) 4096 "peak RSS of the /16 over the /20's (KiB; 16 times the addresses)"
		[ -n "${rss[24]:-}" ] && expect_lt $((rss[16] - rss[24])) 16384 "peak RSS of the /16 over the /24's (KiB; 256 times the addresses)"
	fi
fi
"$LAB" sparse "$LAB_NAME" off >/dev/null 2>&1
finish
