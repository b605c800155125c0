#!/usr/bin/env bash
# 6-icmp-errors: ports whose SYN the target's firewall REJECTs with an ICMP
# error get the state and reason the network gave (include/result.h), after
# one attempt and at the default timeouts:
#   net-unreachable (v4), no-route (v6)                  -> filtered,net-unreach
#   host-unreachable (v4), address-unreachable (v6)      -> filtered,host-unreach
#   admin-, host- and net-prohibited (v4), adm-prohibited (v6)
#                                                        -> filtered,admin-prohibited
#   protocol-unreachable (v4)                            -> filtered,proto-unreach
#   port-unreachable (v4 and v6)                         -> closed,conn-refused
# On a veth these errors come back while connect() still holds the socket,
# where Linux keeps them as a soft error that a sleeping connect() sees only
# after the SYN retransmit (1 s): docs/connect-path.md. The lab's own REJECT
# blocks (tests/lab/labctl) are scanned, and more rules are added here.
. "$(dirname "$0")/lib.sh"
lab_start

n4=${LAB_NETUNREACH4%/*}; n4=${n4%.*}.1          # 198.19.254.1
a4=${LAB_PROHIBIT4%/*}; a4=${a4%.*}.1            # 198.19.253.1
n6=${LAB_NETUNREACH6%/*}; n6=${n6%0}1            # 2001:db8:1::fe:1
a6=${LAB_PROHIBIT6%/*}; a6=${a6%0}1              # 2001:db8:1::fd:1
: >"$LT_WORK/expected"
targets=("$n4" "$a4" "$n6" "$a6")
for p in 80 443; do
	echo "$n4,$p,filtered,net-unreach,1"
	echo "$a4,$p,filtered,admin-prohibited,1"
	echo "$n6,$p,filtered,net-unreach,1"
	echo "$a6,$p,filtered,admin-prohibited,1"
done >>"$LT_WORK/expected"

# add_reject IPTABLES ADDR REJECT-WITH STATE,REASON: one more REJECT rule in
# the target, for one address of its blocks, and its expected rows.
add_reject() {
	local ipt=$1 addr=$2 with=$3 want=$4 len=32 p
	[ "$ipt" = ip6tables ] && len=128
	if ! "$LAB" texec "$LAB_NAME" -- "$ipt" -w -I INPUT -p tcp -d "$addr/$len" \
		-j REJECT --reject-with "$with"; then
		fail "cannot add the rule REJECT --reject-with $with"
		return
	fi
	targets+=("$addr")
	for p in 80 443; do echo "$addr,$p,$want,1"; done >>"$LT_WORK/expected"
}
add_reject iptables 198.19.240.1 icmp-host-prohibited filtered,admin-prohibited
add_reject iptables 198.19.241.1 icmp-net-prohibited filtered,admin-prohibited
add_reject iptables 198.19.242.1 icmp-host-unreachable filtered,host-unreach
add_reject iptables 198.19.243.1 icmp-port-unreachable closed,conn-refused
add_reject iptables 198.19.244.1 icmp-proto-unreachable filtered,proto-unreach
add_reject ip6tables 2001:db8:1::240:1 icmp6-addr-unreachable filtered,host-unreach
add_reject ip6tables 2001:db8:1::241:1 icmp6-port-unreachable closed,conn-refused

out=$LT_WORK/icmp.csv
if scan "$out" -Pn -p 80,443 --states all -t 8 "${targets[@]}"; then
	csv_cols "$out" ip,port,state,reason,attempts >"$LT_WORK/actual"
	expect_same "$LT_WORK/expected" "$LT_WORK/actual" "REJECTed ports: state, reason, attempts"
	expect_summary "$out"
fi
finish
