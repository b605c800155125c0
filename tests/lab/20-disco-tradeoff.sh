#!/usr/bin/env bash
# 20-disco-tradeoff: the trade-off of host discovery, shown both ways. The
# lab's hidden host (tests/lab/labctl, LAB_DISCO_HIDDEN4) drops every
# default discovery probe (ICMP, TCP 80 443 22 445 3389, ACK 80) but has
# LAB_DISCO_HIDDEN_PORT open. nmap -sn misses it and nmap -Pn finds the
# port (the lab checked); portolan by default reports it down with no port
# row, as root and as nobody; with -Pn (and --no-discovery) it finds the
# port open, as nmap does.
. "$(dirname "$0")/lib.sh"
lab_start

h=$LAB_DISCO_HIDDEN4
hp=$LAB_DISCO_HIDDEN_PORT
net=${h%.*}.48/30                 # the hidden host and three silent addresses
ports="22,80,443,$hp"
ipv4_range "${h%.*}.48" 4 >"$LT_WORK/addrs"
ports_of "$ports" >"$LT_WORK/ports"
echo "$h hidden" >"$LT_WORK/hosts"
disco_port_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/truth"

# The lab: nmap's discovery misses the host, its -Pn scan finds the port.
expect_eq "$(nmap_up "$net" | wc -l)" 0 "lab: hosts nmap -sn finds up in $net"
nmap_ports "$ports" "$h" >"$LT_WORK/nmap.ports"
expect_same "$LT_WORK/truth" "$LT_WORK/nmap.ports" "lab: nmap -Pn -sS on the hidden host"

for who in root nobody; do
	"as_$who"
	[ $who = nobody ] && ping_sockets allow
	out=$LT_RUN/default-$who.csv
	if scan "$out" -p "$ports" --states all,up,down --timeout 500 --retries 1 "$net"; then
		expect_hosts "$out" root "$LT_WORK/addrs" "$LT_WORK/hosts" "default discovery as $who: missed, down"
		expect_eq "$(port_rows "$out" | wc -l)" 0 "default discovery as $who: port rows"
	fi
	for pn in -Pn --no-discovery; do
		out=$LT_RUN/pn-$who$pn.csv
		if scan "$out" "$pn" -p "$ports" --states all --timeout 500 --retries 1 "$net"; then
			port_rows "$out" | grep "^$h," >"$LT_WORK/pn.hidden"
			expect_same "$LT_WORK/truth" "$LT_WORK/pn.hidden" "$pn as $who: the hidden host's ports ($hp open)"
			expect_eq "$(port_rows "$out" | grep -v "^$h," | grep -vc ',filtered,no-response$')" 0 \
				"$pn as $who: rows of the silent addresses that are not filtered"
		fi
	done
done
as_root
finish
