#!/usr/bin/env bash
# 19-disco-hosts: host discovery on the lab's discovery /24 (tests/lab/labctl:
# 8 live hosts that differ in what they answer, 248 silent). The lab is first
# checked with nmap from the scanner namespace (its -sn finds exactly the
# configured live set; its -Pn -sS port states are the profiles'). Then, by
# default (discovery on), as root (connect and -sS) and as nobody (with ping
# sockets allowed, and forbidden): every host has one row, up by a reason its
# profile allows or down (no-response), and the port rows are exactly those
# of a -Pn scan on the hosts found up.
. "$(dirname "$0")/lib.sh"
lab_start

ports="1,22,80,443,1000,3306,8080,$LAB_FILTERED_LO"
ports_of "$ports" >"$LT_WORK/ports"
disco_hosts 4 >"$LT_WORK/hosts"
disco_addrs 4 >"$LT_WORK/addrs"
disco_port_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/truth"

# The lab itself, as nmap sees it.
nmap_up "$LAB_DISCO4" >"$LT_WORK/nmap.up"
cut -d' ' -f1 "$LT_WORK/hosts" >"$LT_WORK/live"
expect_same "$LT_WORK/live" "$LT_WORK/nmap.up" "lab: nmap -sn finds exactly the configured live hosts"
nmap_ports "$ports" $(cat "$LT_WORK/live") >"$LT_WORK/nmap.ports"
expect_same "$LT_WORK/truth" "$LT_WORK/nmap.ports" "lab: nmap -Pn -sS port states of the live hosts are the profiles'"

# The -Pn reference: every address scanned; the dead ones all filtered.
as_root
pn=$LT_WORK/pn.csv
if scan "$pn" -Pn -p "$ports" --states all --timeout 500 --retries 1 "$LAB_DISCO4"; then
	port_rows "$pn" | awk -F, 'FNR == NR { live[$1] = 1; next } $1 in live' "$LT_WORK/live" - >"$LT_WORK/pn.live"
	expect_same "$LT_WORK/truth" "$LT_WORK/pn.live" "-Pn: the live hosts' ports"
	expect_eq "$(port_rows "$pn" | awk -F, '$3 != "filtered"' | awk -F, 'FNR == NR { live[$1] = 1; next } !($1 in live)' "$LT_WORK/live" - | wc -l)" 0 \
		"-Pn: rows of dead hosts that are not filtered"
	expect_eq "$(port_rows "$pn" | wc -l)" $((256 * $(wc -l <"$LT_WORK/ports"))) "-Pn: port rows (every address)"
	expect_eq "$(host_rows "$pn" | wc -l)" 0 "-Pn --states all: host rows"
fi

# run_mode TAG MODE ARGS...: a default-discovery scan, its host rows and its
# port rows (those of the -Pn scan on the hosts MODE finds).
run_mode() {
	local tag=$1 mode=$2 out=$LT_RUN/$1.csv a prof
	shift 2
	if scan "$out" -p "$ports" --states all,up,down --timeout 500 --retries 1 "$@" "$LAB_DISCO4"; then
		expect_hosts "$out" "$mode" "$LT_WORK/addrs" "$LT_WORK/hosts" "$tag"
		while read -r a prof; do
			[ "$(disco_reasons "$mode" "$prof")" = down ] || echo "$a"
		done <"$LT_WORK/hosts" >"$LT_WORK/$tag.found"
		# The -Pn run's rows (checked against the truth above), else the truth.
		local ref=$LT_WORK/truth
		[ -s "$LT_WORK/pn.live" ] && ref=$LT_WORK/pn.live
		awk -F, 'FILENAME == ARGV[1] { f[$1] = 1; next } $1 in f' "$LT_WORK/$tag.found" "$ref" >"$LT_WORK/$tag.expected"
		port_rows "$out" >"$LT_WORK/$tag.ports"
		expect_same "$LT_WORK/$tag.expected" "$LT_WORK/$tag.ports" "$tag: port rows = the -Pn scan's on the hosts found up"
	fi
}

as_root
run_mode root-connect root
run_mode root-syn root -sS
as_nobody
ping_sockets allow
run_mode nobody-ping ping
ping_sockets forbid
run_mode nobody-noping connect
as_root
finish
