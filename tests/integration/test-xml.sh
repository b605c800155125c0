#!/usr/bin/env bash
# test-xml.sh: portolan's XML output read by nmap's own tools.
#
# Scans a listener and a closed port on 127.0.0.1 (loopback only), checks the
# XML against nmap.dtd with xmllint, renders it with nmap.xsl via xsltproc,
# then stops the listener, scans again and checks that ndiff reports the
# port going from open to closed (and nothing for two identical files). As
# root it also SYN-scans the listener: the XML gets a valid <os>. With nmap
# and openssl, the TLS scripts are put next to nmap's own ssl-cert output
# for an openssl s_server port (helper xml-tls writes the facts).
# Needs xmllint (libxml2-utils), xsltproc, ndiff and nmap's data files
# (nmap-common: nmap.dtd, nmap.xsl), and python3 for the listener; without
# them it prints "SKIP: xml: ..." and exits 0. Prints "xml: N passed,
# M failed" and exits non-zero when a check failed.
set -u

PORTOLAN=${PORTOLAN:-$(cd "$(dirname "$0")/../.." && pwd)/portolan}
NMAP_DATA=${NMAP_DATA:-/usr/share/nmap}
DTD=$NMAP_DATA/nmap.dtd
XSL=$NMAP_DATA/nmap.xsl

for tool in xmllint xsltproc ndiff python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: xml: $tool not found (install libxml2-utils, xsltproc, ndiff)"
		exit 0
	fi
done
for f in "$DTD" "$XSL"; do
	if [ ! -r "$f" ]; then
		echo "SKIP: xml: $f not found (install nmap-common)"
		exit 0
	fi
done
if [ ! -x "$PORTOLAN" ]; then
	echo "xml: $PORTOLAN is not an executable (run make)" >&2
	echo "xml: 0 passed, 1 failed"
	exit 1
fi

pass=0
fail=0
tmp=$(mktemp -d)
listener_pid=

cleanup() {
	if [ -n "$listener_pid" ]; then
		kill "$listener_pid" 2>/dev/null
		wait "$listener_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() {
	echo "ok: $1"
	pass=$((pass + 1))
}

not_ok() {
	echo "FAIL: $1"
	[ $# -gt 1 ] && [ -f "$2" ] && sed 's/^/    /' "$2" | head -40
	fail=$((fail + 1))
}

# check NAME COMMAND...: runs COMMAND, passes when it exits 0.
check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "$tmp/out"
	fi
}

# A listener on a random loopback port that accepts and closes connections
# until it is killed; it writes its port to a file once it listens.
python3 - "$tmp/port" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    c.close()
EOF
listener_pid=$!

# A port that was free a moment ago: bound, then released, so it refuses.
closed=$(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

for _ in $(seq 100); do
	[ -s "$tmp/port" ] && break
	sleep 0.05
done
if [ ! -s "$tmp/port" ]; then
	echo "xml: the listener did not start" >&2
	echo "xml: 0 passed, 1 failed"
	exit 1
fi
port=$(cat "$tmp/port")

scan() {
	"$PORTOLAN" -p "$port,$closed" --states all --timeout 1000 -q -o "$1" 127.0.0.1
}

# 1. The first scan: the port is open.
check "scan with -o a.xml exits 0" scan "$tmp/a.xml"
check "a.xml is valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$tmp/a.xml"
check "a.xml lists port $port open" \
	grep -q "<port protocol=\"tcp\" portid=\"$port\"><state state=\"open\"" "$tmp/a.xml"
check "a.xml lists port $closed closed" \
	grep -q "<port protocol=\"tcp\" portid=\"$closed\"><state state=\"closed\"" "$tmp/a.xml"
check "a.xml names nmap.xsl in its stylesheet PI" \
	grep -q "<?xml-stylesheet href=\"file://$XSL\" type=\"text/xsl\"?>" "$tmp/a.xml"

# 2. nmap.xsl renders it: once through the PI, once named explicitly.
render_has_open_port() {
	"$@" >"$tmp/a.html" 2>"$tmp/xslt.err" || return 1
	tr -d '\n' <"$tmp/a.html" |
		grep -q "<tr class=\"open\"> *<td>$port</td> *<td>tcp</td> *<td>open</td>"
}
if [ "$XSL" = /usr/share/nmap/nmap.xsl ]; then
	check "xsltproc (stylesheet from the PI) renders port $port open" \
		render_has_open_port xsltproc "$tmp/a.xml"
fi
check "xsltproc nmap.xsl renders port $port open" \
	render_has_open_port xsltproc "$XSL" "$tmp/a.xml"

# 3. Format by name, whatever the extension.
check "-f xml writes XML to a file without the extension" \
	bash -c '"$1" -p "$2" --states all -q -f xml -o "$3" 127.0.0.1 &&
		 xmllint --noout --dtdvalid "$4" "$3"' _ "$PORTOLAN" "$port" "$tmp/a.out" "$DTD"

# 3b. A SYN scan (root or CAP_NET_RAW only) gets <os> from the SYN-ACK of
# loopback's own stack (initial TTL 64, Linux's option order on Linux), and
# the document stays valid.
# --user root: the test directory and the cwd are root's alone (the resume
# file would be written after the drop to nobody).
if "$PORTOLAN" -sS --user root -p "$port" -q -o "$tmp/syn.xml" 127.0.0.1 2>"$tmp/syn.err"; then
	check "SYN scan with OS hint: syn.xml is valid against nmap.dtd" \
		xmllint --noout --dtdvalid "$DTD" "$tmp/syn.xml"
	check "SYN scan: <os> names port $port and has an osmatch with an osclass" \
		bash -c 'tr -d "\n" <"$1" | grep -Eq "<os><portused state=\"open\" proto=\"tcp\" portid=\"$2\"/><osmatch name=\"[^\"]+\" accuracy=\"[0-9]+\" line=\"0\"><osclass [^>]*osfamily=\"[^\"]+\" accuracy=\"[0-9]+\"/></osmatch><osfingerprint fingerprint=\"[^\"]*TTL 64[^\"]*\"/></os>"' \
		_ "$tmp/syn.xml" "$port"
	if [ "$(uname -s)" = Linux ]; then
		check "SYN scan: loopback's Linux stack is named Linux at 85" \
			grep -q '<osmatch name="Linux" accuracy="85" line="0">' "$tmp/syn.xml"
	fi
elif grep -q 'CAP_NET_RAW' "$tmp/syn.err"; then
	echo "note: xml: no CAP_NET_RAW: the SYN scan's <os> is not checked"
else
	not_ok "SYN scan with -o syn.xml failed" "$tmp/syn.err"
fi

# 4. Stop the listener: the second scan finds the port closed.
kill "$listener_pid" 2>/dev/null
wait "$listener_pid" 2>/dev/null
listener_pid=
check "scan with -o b.xml exits 0" scan "$tmp/b.xml"
check "b.xml is valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$tmp/b.xml"

# ndiff exits 0 when equal, 1 when different, 2 on error.
ndiff "$tmp/a.xml" "$tmp/a.xml" >"$tmp/same.txt" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	ok "ndiff finds no difference between a.xml and itself"
else
	not_ok "ndiff a.xml a.xml exited $rc" "$tmp/same.txt"
fi
ndiff "$tmp/a.xml" "$tmp/b.xml" >"$tmp/diff.txt" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -Eq "^-$port/tcp +open" "$tmp/diff.txt" &&
   grep -Eq "^\+$port/tcp +closed" "$tmp/diff.txt"; then
	ok "ndiff a.xml b.xml reports $port/tcp open -> closed"
else
	not_ok "ndiff a.xml b.xml (exit $rc) does not report $port/tcp open -> closed" \
		"$tmp/diff.txt"
fi
if ! grep -Eq "^[-+]$closed/tcp" "$tmp/diff.txt"; then
	ok "ndiff reports nothing for the unchanged port $closed"
else
	not_ok "ndiff reports a change for the unchanged port $closed" "$tmp/diff.txt"
fi

# 4b. Default --states open, every port closed, -Pn: the hosts answered (RST),
# so they are up, though no <host> is written for them (as nmap --open).
"$PORTOLAN" -Pn -p "$closed" -q -o "$tmp/rst.xml" 127.0.0.1-3 >"$tmp/out" 2>&1
if xmllint --noout --dtdvalid "$DTD" "$tmp/rst.xml" >>"$tmp/out" 2>&1 &&
   grep -q '<hosts up="3" down="0" total="3"/>' "$tmp/rst.xml" &&
   ! grep -q '<host ' "$tmp/rst.xml"; then
	ok "hosts that answered only with RST are up (--states open)"
else
	grep '<hosts' "$tmp/rst.xml" >>"$tmp/out"
	not_ok "hosts that answered only with RST are not counted up" "$tmp/out"
fi

# 5. An interrupted scan: the document is complete and valid, and says
# exit="error" with a message, never "success". 65535 ports at 500 a second
# take over two minutes, so the scan is still running when SIGINT comes; it
# comes once the header is on disk.
"$PORTOLAN" -p 1-65535 --max-rate 500 -q --resume-file "$tmp/int.resume" \
	-o "$tmp/int.xml" 127.0.0.1 2>"$tmp/int.err" &
scan_pid=$!
for _ in $(seq 200); do
	grep -q '<scaninfo' "$tmp/int.xml" 2>/dev/null && break
	sleep 0.05
done
kill -INT "$scan_pid"
wait "$scan_pid"
rc=$?
if [ $rc -eq 130 ] && xmllint --noout --dtdvalid "$DTD" "$tmp/int.xml" >"$tmp/out" 2>&1 &&
   grep -q '<finished [^>]*exit="error" errormsg="interrupted (SIGINT) after [0-9]* of 65535 probes' \
	"$tmp/int.xml" && ! grep -q 'exit="success"' "$tmp/int.xml"; then
	ok "interrupted scan: valid XML with exit=\"error\" and an errormsg"
else
	echo "exit $rc" >>"$tmp/out"
	grep '<finished' "$tmp/int.xml" >>"$tmp/out"
	not_ok "interrupted scan: exit $rc, want 130, a valid document with exit=\"error\"" "$tmp/out"
fi

# 6. args is the command line as given: every option (-s, --probes-dir
# included) in its place, words with blanks or quotes shell-quoted.
probes=$(cd "$(dirname "$0")/../../probes" && pwd)
mkdir -p "$tmp/it's here"
echo 127.0.0.1 >"$tmp/it's here/t.txt"
"$PORTOLAN" -p "$closed" -s --probes-dir "$probes" -q -i "$tmp/it's here/t.txt" \
	--states all -o "$tmp/args.xml" >"$tmp/out" 2>&1
python3 - "$tmp/args.xml" "$PORTOLAN" "$closed" "$probes" "$tmp/it's here/t.txt" \
	>>"$tmp/out" 2>&1 <<'EOF2'
import shlex, sys
import xml.etree.ElementTree as ET
path, argv = sys.argv[1], sys.argv[2:]
want = [argv[0], "-p", argv[1], "-s", "--probes-dir", argv[2], "-q", "-i", argv[3],
        "--states", "all", "-o", path]
args = ET.parse(path).getroot().get("args")
print("args:", args)
assert shlex.split(args) == want, (shlex.split(args), want)
assert "'" in args
EOF2
if [ $? -eq 0 ]; then
	ok "args holds the command line as given, shell-quoted"
else
	not_ok "args does not hold the command line as given" "$tmp/out"
fi

# 7. Host discovery's host rows, as nmap writes hosts with -v / -sn: a
# down host as status and address only, a live host's status reason from
# its host row, runstats from them. Discovery is not driven here: a real
# one-shard scan (--states open: no port rows, every port closed) gets a
# hosts block and up/down counts written into its JSON (and its manifest
# renewed), and `portolan merge` writes it as XML through the writers.
"$PORTOLAN" -p "$closed" -q --shard 1/1 --seed 7 -o "$tmp/h.json" 127.0.0.1-3 >"$tmp/out" 2>&1
python3 - "$tmp/h.json" >>"$tmp/out" 2>&1 <<'EOF3'
import hashlib, json, os, sys
path = sys.argv[1]
doc = json.load(open(path))
doc["hosts"] = [
    {"ip": "127.0.0.1", "host": None, "state": "up", "reason": "echo-reply", "latency_ms": 0.1},
    {"ip": "127.0.0.2", "host": None, "state": "up", "reason": "syn-ack", "latency_ms": 0.2},
    {"ip": "127.0.0.3", "host": None, "state": "down", "reason": "no-response", "latency_ms": 0},
]
doc["summary"]["up"], doc["summary"]["down"] = 2, 1
data = json.dumps(doc).encode() + b"\n"
open(path, "wb").write(data)
m = json.load(open(path + ".shard.json"))
m["output"]["size"], m["output"]["sha256"] = len(data), hashlib.sha256(data).hexdigest()
m["summary"] = doc["summary"]
json.dump(m, open(path + ".shard.json", "w"))
EOF3
"$PORTOLAN" merge "$tmp/h.json" -q -o "$tmp/h.xml" >>"$tmp/out" 2>&1
check "host rows: h.xml is valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$tmp/h.xml"
check "host rows: a down host is status and address only" \
	bash -c 'tr -d "\n" <"$1" | grep -Eq "<host starttime=\"[0-9]+\" endtime=\"[0-9]+\"><status state=\"down\" reason=\"no-response\" reason_ttl=\"0\"/><address addr=\"127.0.0.3\" addrtype=\"ipv4\"/></host>"' \
	_ "$tmp/h.xml"
check "host rows: a live host's reason is its host row's (echo-reply)" \
	bash -c 'tr -d "\n" <"$1" | grep -Eq "<status state=\"up\" reason=\"echo-reply\" reason_ttl=\"0\"/><address addr=\"127.0.0.1\""' \
	_ "$tmp/h.xml"
check "host rows: runstats counts 2 up, 1 down" grep -q '<hosts up="2" down="1" total="3"/>' "$tmp/h.xml"
check "host rows: nmap.xsl renders h.xml" xsltproc -o "$tmp/h.html" "$XSL" "$tmp/h.xml"
check "host rows: ndiff reads h.xml" ndiff "$tmp/h.xml" "$tmp/h.xml"

# Issue 16: TCP and UDP in one scan (-sT -sU), with more closed UDP
# ports than are listed one by one (extrareasons per protocol; the
# listener is stopped by now, so both TCP ports are closed too): valid
# against nmap.dtd, rendered by nmap.xsl, read by ndiff.
check "mixed scan: -sT -sU -o m.xml exits 0" \
	"$PORTOLAN" -sT -sU -p "T:$port,$closed,U:$closed,30000-30040" --states all --timeout 300 -q \
	-o "$tmp/m.xml" 127.0.0.1
check "mixed scan: m.xml is valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$tmp/m.xml"
check "mixed scan: a scaninfo per protocol, the closed ports of both counted" \
	bash -c 'grep -q "<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"2\"" "$1" &&
		 grep -q "<scaninfo type=\"udp\" protocol=\"udp\" numservices=\"42\"" "$1" &&
		 grep -q "<extraports state=\"closed\" count=\"44\">" "$1" &&
		 grep -q "<extrareasons reason=\"conn-refused\" count=\"2\" proto=\"tcp\"/>" "$1" &&
		 grep -q "<extrareasons reason=\"port-unreach\" count=\"42\" proto=\"udp\"/>" "$1"' _ "$tmp/m.xml"
check "mixed scan: nmap.xsl renders m.xml" xsltproc -o "$tmp/m.html" "$XSL" "$tmp/m.xml"
check "mixed scan: ndiff reads m.xml" ndiff "$tmp/m.xml" "$tmp/m.xml"

# TLS: nmap's ssl-cert on an openssl s_server port beside portolan's XML
# writer on the facts openssl reads from the same certificate (the helper
# xml-tls; a real scan fills them once the TLS backend does): the same
# tables, keys and values, and the same output text. Skipped without nmap,
# openssl or the helper.
HELPERS=${HELPERS:-$(cd "$(dirname "$0")/../.." && pwd)/build/helpers}
if command -v nmap >/dev/null && command -v openssl >/dev/null && [ -x "$HELPERS/xml-tls" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-subj "/CN=xml.portolan.test/O=Portolan Test/C=DE" \
		-addext "subjectAltName=DNS:xml.portolan.test,IP:127.0.0.1" \
		-keyout "$tmp/k.pem" -out "$tmp/c.pem" >"$tmp/out" 2>&1
	tport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	openssl s_server -accept "127.0.0.1:$tport" -cert "$tmp/c.pem" -key "$tmp/k.pem" -www -quiet \
		>/dev/null 2>&1 &
	spid=$!
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null && break
		sleep 0.1
	done
	timeout 120 nmap -Pn -n -p "$tport" --script ssl-cert -oX "$tmp/nmap-tls.xml" 127.0.0.1 >"$tmp/out" 2>&1
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	c=$tmp/c.pem
	attrs() { openssl x509 -in "$c" -noout "-$1" -nameopt lname,sep_multiline,utf8 | tail -n +2 | sed 's/^ *//' | paste -sd'|'; }
	fp() { openssl x509 -in "$c" -noout -fingerprint "-$1" | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }
	epoch() { date -u -d "$(openssl x509 -in "$c" -noout "-$1" | sed 's/.*=//')" +%s; }
	text=$(openssl x509 -in "$c" -noout -text)
	"$HELPERS/xml-tls" "$tmp/p-tls.xml" "$tport" "subject=$(attrs subject)" "issuer=$(attrs issuer)" \
		"sans=$(openssl x509 -in "$c" -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//; s/, /|/g; s/IP Address:/IP:/g')" \
		"not_before=$(epoch startdate)" "not_after=$(epoch enddate)" key_type=ec \
		"key_bits=$(sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' <<<"$text")" \
		"key_curve=$(sed -n 's/.*ASN1 OID: //p' <<<"$text")" \
		"sig_alg=$(sed -n 's/^ *Signature Algorithm: //p' <<<"$text" | head -n 1)" \
		"md5=$(fp md5)" "sha1=$(fp sha1)" "pem_file=$c" >>"$tmp/out" 2>&1
	check "TLS: p-tls.xml is valid against nmap.dtd" xmllint --noout --dtdvalid "$DTD" "$tmp/p-tls.xml"
	check "TLS: nmap.xsl renders p-tls.xml" xsltproc -o "$tmp/p-tls.html" "$XSL" "$tmp/p-tls.xml"
	check "TLS: ssl-cert as nmap writes it (tables, keys, values, output)" \
		python3 - "$tmp/nmap-tls.xml" "$tmp/p-tls.xml" <<'EOF4'
import sys
import xml.etree.ElementTree as ET

def script(path):
    s = ET.parse(path).getroot().find(".//port/script[@id='ssl-cert']")
    assert s is not None, path + ": no ssl-cert script"
    return s

def tree(e):
    """A table as {key: text or subtree}; keyless tables as a list."""
    out, lst = {}, []
    for k in e:
        v = tree(k) if k.tag == "table" else (k.text or "")
        if k.get("key") is None:
            lst.append(v)
        else:
            out[k.get("key")] = v
    if lst:
        out[None] = lst
    return out

n, p = script(sys.argv[1]), script(sys.argv[2])
tn, tp = tree(n), tree(p)
# portolan writes the SAN extension only: the one the facts hold.
san = [x for x in tn["extensions"][None] if x.get("name") == "X509v3 Subject Alternative Name"]
tn["extensions"] = {None: san}
assert tn == tp, "nmap:\n%r\nportolan:\n%r" % (tn, tp)
assert n.get("output") == p.get("output"), "nmap: %r\nportolan: %r" % (n.get("output"), p.get("output"))
# Same keys in the same order inside each name table.
for key in ("subject", "issuer"):
    kn = [e.get("key") for e in n.find("table[@key='%s']" % key)]
    kp = [e.get("key") for e in p.find("table[@key='%s']" % key)]
    assert kn == kp, (key, kn, kp)
print("same ssl-cert:", sorted(k for k in tp if k))
EOF4
	# Perl's Nmap::Parser (libnmap-parser-perl), as importers read it.
	if perl -MNmap::Parser -e 1 2>/dev/null; then
		check "TLS: Nmap::Parser reads tunnel ssl and the ssl-cert tables" \
			perl -MNmap::Parser -e '
				my ($file, $port, $cn) = @ARGV;
				my $np = Nmap::Parser->new;
				$np->parsefile($file);
				my $svc = $np->get_host("127.0.0.1")->tcp_service($port) or die "no service\n";
				my $s = $svc->scripts("ssl-cert") or die "no ssl-cert\n";
				die "tunnel\n" unless ($svc->tunnel // "") eq "ssl";
				die "subject\n" unless $s->{contents}{subject}{commonName} eq $cn;
				die "pubkey\n" unless $s->{contents}{pubkey}{bits} == 256;
				die "validity\n" unless $s->{contents}{validity}{notAfter} =~ /^\d{4}-\d\d-\d\dT/;
			' "$tmp/p-tls.xml" "$tport" xml.portolan.test
	else
		echo "SKIP: xml: TLS: Nmap::Parser not installed (libnmap-parser-perl)"
	fi
else
	echo "SKIP: xml: TLS: nmap, openssl or $HELPERS/xml-tls missing"
fi

echo "xml: $pass passed, $fail failed"
[ $fail -eq 0 ]
