#!/usr/bin/env bash
# 21-disco-v6-names: host discovery over IPv6 and on names. The lab's v6
# discovery /120 (5 live hosts of the v4 /24's profiles, 251 silent) checked
# with nmap -6, then portolan by default as root (connect and -sS) and as
# nobody with ping sockets (ICMPv6 echo): host rows and reasons by profile,
# port rows equal to the profiles'. Then names (the scanner namespace's
# /etc/hosts) of live, dead and hidden hosts, v4 and v6 mixed: one host row
# each with the name in the host column, up or down as nmap says, and the
# port rows of the live ones with the name.
. "$(dirname "$0")/lib.sh"
lab_start

ports="22,80,443,1000,$LAB_FILTERED_LO"
ports_of "$ports" >"$LT_WORK/ports"
disco_hosts 6 >"$LT_WORK/hosts"
disco_addrs 6 >"$LT_WORK/addrs"
disco_port_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/truth"
cut -d' ' -f1 "$LT_WORK/hosts" >"$LT_WORK/live"

nmap_up -6 "$LAB_DISCO6" >"$LT_WORK/nmap.up"
expect_same "$LT_WORK/live" "$LT_WORK/nmap.up" "lab: nmap -6 -sn finds exactly the configured live hosts"
nmap_ports "$ports" -6 $(cat "$LT_WORK/live") >"$LT_WORK/nmap.ports"
expect_same "$LT_WORK/truth" "$LT_WORK/nmap.ports" "lab: nmap -6 -Pn -sS port states of the live hosts are the profiles'"

run_mode() { # TAG MODE ARGS...
	local tag=$1 mode=$2 out=$LT_RUN/$1.csv a prof
	shift 2
	if scan "$out" -p "$ports" --states all,up,down --timeout 500 --retries 1 "$@" "$LAB_DISCO6"; then
		expect_hosts "$out" "$mode" "$LT_WORK/addrs" "$LT_WORK/hosts" "$tag"
		while read -r a prof; do
			[ "$(disco_reasons "$mode" "$prof")" = down ] || echo "$a"
		done <"$LT_WORK/hosts" >"$LT_WORK/$tag.found"
		awk -F, 'FILENAME == ARGV[1] { f[$1] = 1; next } $1 in f' "$LT_WORK/$tag.found" "$LT_WORK/truth" >"$LT_WORK/$tag.expected"
		port_rows "$out" >"$LT_WORK/$tag.ports"
		expect_same "$LT_WORK/$tag.expected" "$LT_WORK/$tag.ports" "$tag: port rows on the hosts found up"
	fi
}
as_root
run_mode v6-root-connect root
run_mode v6-root-syn root -sS
as_nobody
ping_sockets allow
run_mode v6-nobody-ping ping
as_root

# Names: NAME IP PROFILE (dead: no profile, silent).
cat >"$LT_WORK/names" <<NAMES
$LAB_NAME_D_ECHO $LAB_NAME_D_ECHO_IP echo
$LAB_NAME_D_RST $LAB_NAME_D_RST_IP rst
$LAB_NAME_D_HTTPS $LAB_NAME_D_HTTPS_IP https
$LAB_NAME_D_DEAD $LAB_NAME_D_DEAD_IP dead
$LAB_NAME_D_V6 $LAB_NAME_D_V6_IP normal
$LAB_NAME_D_ECHO6 $LAB_NAME_D_ECHO6_IP echo
$LAB_NAME_D_HIDDEN $LAB_NAME_D_HIDDEN_IP hidden
NAMES
names=$(cut -d' ' -f1 "$LT_WORK/names" | tr '\n' ' ')
# nmap agrees on who is up (it resolves the names from the same hosts file).
"$LAB" exec "$LAB_NAME" -- nmap -sn -T4 -oG - $(awk '$2 !~ /:/ { print $1 }' "$LT_WORK/names") 2>/dev/null |
	awk '/Status: Up/ { print $2 }' >"$LT_WORK/nmap.names4"
"$LAB" exec "$LAB_NAME" -- nmap -6 -sn -T4 -oG - $(awk '$2 ~ /:/ { print $1 }' "$LT_WORK/names") 2>/dev/null |
	awk '/Status: Up/ { print $2 }' >>"$LT_WORK/nmap.names4"
awk '$3 != "dead" && $3 != "hidden" { print $2 }' "$LT_WORK/names" >"$LT_WORK/names.up"
expect_same "$LT_WORK/names.up" "$LT_WORK/nmap.names4" "lab: nmap -sn on the names finds the live ones"

for who in root nobody; do
	"as_$who"
	out=$LT_RUN/names-$who.csv
	# shellcheck disable=SC2086
	if scan "$out" -p "$ports" --states all,up,down --timeout 500 --retries 1 $names; then
		awk '{ print $2 "," $1 "," (($3 == "dead" || $3 == "hidden") ? "down" : "up") }' "$LT_WORK/names" >"$LT_WORK/names.expected"
		csv_cols "$out" ip,host,state | awk -F, '$3 == "up" || $3 == "down"' >"$LT_WORK/names.actual"
		expect_same "$LT_WORK/names.expected" "$LT_WORK/names.actual" "names as $who: host rows (ip,host,state)"
		awk '$3 != "dead" { print $2, $3 }' "$LT_WORK/names" >"$LT_WORK/names.hosts"
		disco_port_rows "$LT_WORK/names.hosts" "$LT_WORK/ports" |
			awk -F, 'FNR == NR { n[$2] = $1; if ($3 == "hidden") skip[$2] = 1; next }
				!($1 in skip) { print $1 "," n[$1] "," $2 "," $3 "," $4 }' FS=' ' "$LT_WORK/names" FS=, - >"$LT_WORK/names.pexpected"
		csv_cols "$out" ip,host,port,state,reason | awk -F, '$4 != "up" && $4 != "down"' >"$LT_WORK/names.pactual"
		expect_same "$LT_WORK/names.pexpected" "$LT_WORK/names.pactual" "names as $who: port rows of the live hosts, with their names"
	fi
done
as_root
finish
