#!/usr/bin/env bash
# 18-disco-probers: each privileged discovery prober (probe_raw.h), driven
# alone by tests/helpers/disco-drive in the scanner namespace, credits
# exactly the right addresses with the right reason. The target namespace's
# firewall makes five addresses of its block differ (v4, and v6 where the
# prober applies):
#   A answers only ICMP (every TCP segment dropped);
#   B answers TCP on 80 and 443 only with a RST (REJECT tcp-reset), drops ICMP;
#   C drops ICMP and every TCP port but 443, which is open;
#   D drops ICMP; TCP as the lab has it (80 and 443 open);
#   E drops everything.
# Expected: icmp-echo A; icmp-timestamp A (v6: skip); tcp-syn to 443 B by
# reset, C and D by syn-ack; tcp-ack to 80 B and D by reset. On the veth
# link (widened here to a /29 on the scanner's side, so that 198.18.0.5 is
# on-link and absent): arp finds 198.18.0.2 by arp-response, not .5, and
# skips the off-link 198.19.0.1; nd finds 2001:db8:ff::2, not ::5, and skips
# 2001:db8:1::1. Each prober is also checked to credit nothing unasked,
# and four of them to find the same after the privilege drop (-u nobody,
# between open() and the first packet, as a scan does it).
# Forged answers from E (sent by the target once the first probe to E
# arrived: echo replies with every identifier and a wrong cookie, SYN-ACKs
# and RSTs to every source port the cookie can pick with a wrong
# acknowledgement or sequence number) never bring E up.
. "$(dirname "$0")/lib.sh"
lab_start

drive=${HELPERS:-$LT_REPO/build/helpers}/disco-drive
if [ ! -x "$drive" ]; then
	fail "disco-drive not built: $drive (make build/helpers/disco-drive)"
	finish
fi

A4=198.19.50.1 B4=198.19.50.2 C4=198.19.50.3 D4=198.19.50.4 E4=198.19.50.5
A6=2001:db8:1::50:1 B6=2001:db8:1::50:2 C6=2001:db8:1::50:3 D6=2001:db8:1::50:4 E6=2001:db8:1::50:5

tgt() { "$LAB" texec "$LAB_NAME" -- "$@"; }
# The same rules for both families; ICMP is "icmp" or "ipv6-icmp". Only
# echo and timestamp are dropped for the ICMP-dropping hosts, so that the
# target's IPv6 neighbour discovery keeps working.
rules() { # IPT ICMP-PROTO A B C D E
	local ipt=$1 icmp=$2 a=$3 b=$4 c=$5 d=$6 e=$7
	tgt "$ipt" -w -I INPUT -d "$a" -p tcp -j DROP &&
	tgt "$ipt" -w -I INPUT -d "$b" -p tcp -j DROP &&
	tgt "$ipt" -w -I INPUT -d "$b" -p tcp -m multiport --dports 80,443 -j REJECT --reject-with tcp-reset &&
	tgt "$ipt" -w -A INPUT -d "$b" -p "$icmp" -j DROP &&
	tgt "$ipt" -w -I INPUT -d "$c" -p tcp '!' --dport 443 -j DROP &&
	tgt "$ipt" -w -A INPUT -d "$c" -p "$icmp" -j DROP &&
	tgt "$ipt" -w -A INPUT -d "$d" -p "$icmp" -j DROP &&
	tgt "$ipt" -w -I INPUT -d "$e" -m comment --comment lab-disco-e -j DROP
}
check
if ! rules iptables icmp "$A4" "$B4" "$C4" "$D4" "$E4" ||
   ! rules ip6tables ipv6-icmp "$A6" "$B6" "$C6" "$D6" "$E6"; then
	fail "could not set the target's firewall"
	finish
fi
# (The lab's INPUT chains hold only DROP rules and accept by default, so
# appended rules take effect as well as inserted ones.)

# drive OUT PROBER ARGS...: disco-drive in the scanner namespace.
drive() {
	local out=$1
	shift
	check
	if ! "$LAB" exec "$LAB_NAME" -- "$drive" "$@" >"$out" 2>"$out.err"; then
		fail "disco-drive $* failed: $(head -3 "$out.err")"
		return 1
	fi
	return 0
}

# probe NAME EXPECTED-FILE ARGS...: disco-drive ARGS prints exactly the
# expected lines (in any order).
probe() {
	local name=$1 exp=$2
	shift 2
	drive "$LT_WORK/$name.out" "$@" || return 0
	expect_same "$exp" "$LT_WORK/$name.out" "$name: $*"
}

ex=$LT_WORK/expected
printf '%s echo-reply\n' "$A4" "$A6" >"$ex.echo"
probe icmp-echo "$ex.echo" icmp-echo "$A4" "$B4" "$C4" "$D4" "$E4" "$A6" "$B6" "$C6" "$D6" "$E6"

{ printf '%s timestamp-reply\n' "$A4"; printf '%s skip\n' "$A6"; } >"$ex.ts"
probe icmp-timestamp "$ex.ts" icmp-timestamp "$A4" "$B4" "$C4" "$D4" "$E4" "$A6"

{
	printf '%s reset\n' "$B4" "$B6"
	printf '%s syn-ack\n' "$C4" "$D4" "$C6" "$D6"
} >"$ex.syn"
probe tcp-syn "$ex.syn" tcp-syn "$A4" "$B4" "$C4" "$D4" "$E4" "$A6" "$B6" "$C6" "$D6" "$E6"

printf '%s reset\n' "$B4" "$D4" "$B6" "$D6" >"$ex.ack"
probe tcp-ack "$ex.ack" tcp-ack "$A4" "$B4" "$C4" "$D4" "$E4" "$A6" "$B6" "$C6" "$D6" "$E6"

# Ports from the command line (the engine's discovery.probes "tcp-syn:P,Q"):
# 22 is open on D, and dropped on C: only D answers.
printf '%s syn-ack\n' "$D4" >"$ex.syn22"
probe tcp-syn-22 "$ex.syn22" -p 22 tcp-syn "$C4" "$D4"

# The link: widen the scanner's side to a /29 (the /30's broadcast address
# is no host's) and ask the target, an absent neighbour and an off-link host.
check
if ! "$LAB" exec "$LAB_NAME" -- ip addr add 198.18.0.1/29 dev "$(
	"$LAB" exec "$LAB_NAME" -- ip -o -4 addr show to "$LAB_SCAN_IP4" | awk '{ print $2; exit }')" noprefixroute; then
	fail "could not widen the scanner's link to a /29"
fi
# Skipped, for the other probers: off-link, the other family, the
# subnet's network and broadcast addresses (.0 and .7 of the /29), our own
# address; for nd a link-local target (which link is ambiguous).
{
	printf '%s arp-response\n' "$LAB_TGT_IP4"
	printf '%s skip\n' "$LAB_HOST4" "$LAB_HOST6" 198.18.0.0 198.18.0.7 "$LAB_SCAN_IP4"
} >"$ex.arp"
probe arp "$ex.arp" arp "$LAB_TGT_IP4" 198.18.0.5 "$LAB_HOST4" "$LAB_HOST6" 198.18.0.0 198.18.0.7 "$LAB_SCAN_IP4"

{
	printf '%s nd-response\n' "$LAB_TGT_IP6"
	printf '%s skip\n' "$LAB_HOST6" "$LAB_HOST4" "$LAB_SCAN_IP6" fe80::1
} >"$ex.nd"
probe nd "$ex.nd" nd "$LAB_TGT_IP6" 2001:db8:ff::5 "$LAB_HOST6" "$LAB_HOST4" "$LAB_SCAN_IP6" fe80::1

# The privilege drop between open() and the first packet, as a scan does
# it (every thread gives up its capabilities, the probers' readers too):
# the same answers afterwards.
{ printf '%s echo-reply\n' "$A4" "$A6"; } >"$ex.drop-echo"
probe icmp-echo-nobody "$ex.drop-echo" -u nobody icmp-echo "$A4" "$E4" "$A6" "$E6"
{ printf '%s syn-ack\n' "$C4"; printf '%s reset\n' "$B6"; } >"$ex.drop-syn"
probe tcp-syn-nobody "$ex.drop-syn" -u nobody tcp-syn "$C4" "$E4" "$B6" "$E6"
{ printf '%s arp-response\n' "$LAB_TGT_IP4"; } >"$ex.drop-arp"
probe arp-nobody "$ex.drop-arp" -u nobody arp "$LAB_TGT_IP4" 198.18.0.5
{ printf '%s nd-response\n' "$LAB_TGT_IP6"; } >"$ex.drop-nd"
probe nd-nobody "$ex.drop-nd" -u nobody nd "$LAB_TGT_IP6" 2001:db8:ff::5

# ------------------------------------------------- forged answers from E
forge=$LT_WORK/forge.py
cat >"$forge" <<'PY'
import socket, struct, sys, ipaddress
src, dst = sys.argv[1], sys.argv[2]
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
S, D = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
def ip(proto, payload):
    return struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, S, D) + payload
# Echo replies with every identifier, a cookie that is not the key's.
for ident in range(65536):
    m = struct.pack('!BBHHH', 0, 0, 0, ident, 0) + b'forged!!'
    m = m[:2] + struct.pack('!H', csum(m)) + m[4:]
    s.sendto(ip(1, m), (dst, 0))
# To every source port the cookie can pick: SYN-ACK and RST+ACK from 443
# acknowledging a wrong number, a bare RST from 80 with a wrong sequence.
for dport in range(61000, 65536):
    for sport, seq, ack, flags in ((443, 1, 0x12345678, 0x12), (443, 1, 0x12345678, 0x14),
                                   (80, 0x12345678, 0, 0x04)):
        tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 0, 0, 0)
        c = csum(S + D + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
        tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
        s.sendto(ip(6, tcp), (dst, 0))
print('forged', flush=True)
PY
for prober in icmp-echo tcp-syn tcp-ack; do
	lab_zero
	fout=$LT_WORK/forged-$prober
	# Forged once a probe reached E (its DROP rule's counter): the
	# prober's sockets and capture are open by then.
	(for _ in $(seq 200); do [ "$(lab_counter lab-disco-e)" -ge 1 ] && break; sleep 0.05; done
	 ip netns exec "$LAB_TGT_NS" python3 "$forge" "$E4" "$LAB_SCAN_IP4" >"$fout.forger") &
	forger=$!
	: >"$fout.expected"
	# One attempt, waiting long enough for every forged packet to arrive.
	drive "$fout" -a 1 -w 8000 "$prober" "$E4"
	# Finished while the prober still listened (about 80,000 packets:
	# well under a second here), else the check below proves nothing.
	check
	if grep -q forged "$fout.forger"; then
		ok "$prober: forged answers from E sent while it listened"
	else
		fail "$prober: the forger had not finished when the prober closed"
	fi
	wait "$forger" 2>/dev/null
	expect_same "$fout.expected" "$fout" "$prober: forged answers from E bring nothing up"
done

finish
