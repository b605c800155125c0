#!/usr/bin/env bash
# test-audit.sh: the audit end to end on loopback: a policy in the config
# (unexpected-open, required-not-open, exit codes 1 and 0), the findings file
# in CSV, JSON and JSON Lines, and --baseline (newly-open, newly-closed, only
# for ports scanned now). Traffic goes to 127.0.0.1 only; the listeners are
# python3 processes this script starts and stops by their pid.
#
# Prints one line per check and "audit: N passed, M failed"; exits non-zero
# when any check failed.
set -u

PORTOLAN=${PORTOLAN:-$(dirname "$0")/../../portolan}
# The environment must not leak settings into the runs.
for v in $(env | sed -n 's/^\(PORTOLAN_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

work=$(mktemp -d)
pids=()
passed=0
failed=0

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

ok() {
	echo "ok: $1"
	passed=$((passed + 1))
}

bad() {
	echo "FAIL: $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'
	failed=$((failed + 1))
}

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name" "$(cat "$work/last.err" 2>/dev/null)"; fi
}

# listen PORT: a listener on 127.0.0.1:PORT (0: any free port); sets
# $lport and $lpid.
listen() {
	local out="$work/listen.$RANDOM"
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(600)
' "$1" "$out" &
	lpid=$!
	pids+=("$lpid")
	for _ in $(seq 100); do
		[ -s "$out" ] && break
		sleep 0.05
	done
	lport=$(cat "$out" 2>/dev/null)
	[ -n "$lport" ] || { echo "cannot start a listener"; exit 1; }
}

# serve PORT BANNER: like listen, but every connection gets BANNER (for
# service detection); sets $lport and $lpid.
serve() {
	local out="$work/serve.$RANDOM"
	python3 -c '
import os, socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
def one(c):
    try:
        c.sendall(sys.argv[3].encode() + b"\r\n")
        time.sleep(0.5)
    except OSError:
        pass    # the scanner may reset a connection it is done with
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
' "$1" "$out" "$2" &
	lpid=$!
	pids+=("$lpid")
	for _ in $(seq 100); do
		[ -s "$out" ] && break
		sleep 0.05
	done
	lport=$(cat "$out" 2>/dev/null)
	[ -n "$lport" ] || { echo "cannot start a server"; exit 1; }
}

unlisten() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# A port nothing listens on right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run ARGS...: runs portolan; $rc, stdout in last.out, stderr in last.err.
run() {
	"$PORTOLAN" "$@" >"$work/last.out" 2>"$work/last.err"
	rc=$?
}

# rows FILE: the findings CSV as "kind port expected found group" lines,
# sorted, header dropped.
rows() {
	python3 - "$1" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    r = list(csv.reader(f))
assert r[0] == ["kind", "ip", "host", "port", "proto", "expected", "found", "group"], r[0]
for row in sorted(r[1:]):
    assert row[1] == "127.0.0.1" and row[4] == "tcp", row
    print(" ".join([row[0], row[3], row[5], row[6], row[7]]))
EOF
}

listen 0; A=$lport
listen 0; B=$lport; BPID=$lpid
C=$(free_port)
D=$(free_port)
while [ "$D" = "$C" ]; do D=$(free_port); done

cfg="$work/policy.cfg"
cat >"$cfg" <<EOF
targets = [ "127.0.0.1" ];
policy = (
  { name = "other"; targets = [ "127.0.0.2-127.0.0.9" ]; allow = ""; },
  { name = "loop"; targets = [ "127.0.0.0/8", "::1" ];
    allow = "$A"; require = ( $A, "$C" ); }
);
EOF

# ---- policy ----

run -c "$cfg" -p "$A,$B,$C" -o "$work/r.csv" --findings "$work/f.csv"
check "policy violated: exit 1" test "$rc" = 1
# The allowed ports are reported as a port spec: sorted, adjacent ports as a range.
lo=$((A < C ? A : C)) hi=$((A < C ? C : A))
if [ $((lo + 1)) = "$hi" ]; then allowed="$lo-$hi"; else allowed="$lo,$hi"; fi
want="required-not-open $C open closed loop
unexpected-open $B $allowed open loop"
got=$(rows "$work/f.csv" 2>&1)
if [ "$got" = "$want" ]; then ok "findings CSV: unexpected-open and required-not-open"
else bad "findings CSV: unexpected-open and required-not-open" "got: $got
want: $want"; fi
check "closed required port audited though --states open leaves it out" \
	bash -c "! grep -q ',$C,' '$work/r.csv'"
check "summary counts by kind" \
	grep -q "^portolan: audit: 2 findings: 1 unexpected-open, 1 required-not-open" "$work/last.err"

run -c "$cfg" -p "$A" --findings "$work/ok.csv" -o /dev/null -f csv
check "policy met: exit 0" test "$rc" = 0
check "policy met: findings CSV has only its header" \
	test "$(cat "$work/ok.csv")" = "$(printf 'kind,ip,host,port,proto,expected,found,group\r')"
check "policy met: summary says no findings" grep -q "^portolan: audit: no findings" "$work/last.err"

run -c "$cfg" -p "$A,$B" -q -o /dev/null -f csv
check "without --findings still exit 1; -q prints nothing" \
	test "$rc" = 1 -a ! -s "$work/last.err"

run -c "$cfg" -p "$A,$B,$C" -o /dev/null -f csv --findings "$work/f.json"
check "findings JSON: exit 1" test "$rc" = 1
check "findings JSON: document, kinds and summary" python3 - "$work/f.json" "$B" "$C" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
got = sorted((f["kind"], f["port"], f["group"]) for f in doc["findings"])
assert got == sorted([("unexpected-open", int(sys.argv[2]), "loop"),
                      ("required-not-open", int(sys.argv[3]), "loop")]), got
assert list(doc["findings"][0]) == ["kind", "ip", "host", "port", "proto", "expected", "found", "group"]
s = doc["summary"]
assert s["total"] == 2 and s["unexpected-open"] == 1 and s["required-not-open"] == 1, s
EOF

run -c "$cfg" -p "$A,$B,$C" -o /dev/null -f csv --findings "$work/f.jsonl" --states all
check "findings JSON Lines: one object a line" python3 - "$work/f.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
kinds = sorted(json.loads(l)["kind"] for l in lines)
assert kinds == ["required-not-open", "unexpected-open"], kinds
EOF

# 127.0.0.3 is in both groups: the first ("other": nothing open, nothing
# required) wins, so the second's required port gives no finding.
run -c "$cfg" -p "$A,$B,$C" 127.0.0.3 -o /dev/null -f csv --findings "$work/g.csv"
check "overlapping groups: the first match wins, exit 0" test "$rc" = 0 -a "$(rows "$work/g.csv")" = ""

cat >"$work/nogroup.cfg" <<EOF
policy = ( { name = "far"; targets = "192.0.2.0/24"; allow = "1"; require = "2"; } );
EOF
run -c "$work/nogroup.cfg" -p "$A,$B,$C" 127.0.0.1 -o /dev/null -f csv
check "host in no group: no findings, exit 0" test "$rc" = 0

cat >"$work/bad.cfg" <<EOF
targets = [ "127.0.0.1" ];
policy = (
  { name = "x"; targets = [ "127.0.0.1", "no.such.name" ];
    allow = "99999"; }
);
EOF
run -c "$work/bad.cfg" -p 1
check "bad policy: exit 2, file:line for each problem" \
	test "$rc" = 2 -a "$(grep -c "^portolan: $work/bad.cfg:[34]: policy group 'x': " "$work/last.err")" = 2

# The TLS keys (docs/audit.md): each bad value on its own line, exit 2.
cat >"$work/badtls.cfg" <<EOF
targets = [ "127.0.0.1" ];
policy = (
  { name = "t"; targets = "127.0.0.1";
    tls-min-version = "SSLv3";
    cert-min-days = -1;
    forbid-signatures = [ "" ];
    min-rsa-bits = "2048"; }
);
EOF
run -c "$work/badtls.cfg" -p 1
check "bad TLS policy: exit 2, file:line for each key" \
	test "$rc" = 2 -a "$(grep -c "^portolan: $work/badtls.cfg:[4-7]: policy group 't': '" "$work/last.err")" = 4
# Valid TLS keys on a port that speaks no TLS: nothing to judge, exit 0.
cat >"$work/tls.cfg" <<EOF
targets = [ "127.0.0.1" ];
policy = (
  { name = "t"; targets = "127.0.0.0/8"; allow = "$A";
    tls-min-version = "TLSv1.2"; cert-min-days = 30; allow-self-signed = false;
    allow-unverified = false; min-rsa-bits = 2048; min-ec-bits = 256;
    forbid-signatures = [ "sha1", "md5" ]; require-san = "www.example.org"; }
);
EOF
run -c "$work/tls.cfg" -p "$A" -o /dev/null -f csv --findings "$work/tls.csv"
check "TLS policy on a port without TLS: no findings, exit 0" test "$rc" = 0 -a "$(rows "$work/tls.csv")" = ""

run -c "$cfg" -p "$A" --findings "$work/f.txt"
check "findings without a known extension: exit 2" test "$rc" = 2
run -p "$A" 127.0.0.1 --findings "$work/f.csv"
check "findings with nothing to audit: exit 2" test "$rc" = 2
run -c "$cfg" -p "$A" -o "$work/keep.csv" --findings "$work/no/such/dir.csv"
check "findings not writable: exit 3, outputs not created" \
	test "$rc" = 3 -a ! -e "$work/keep.csv"

# ---- targets not scanned ----

# nottargets FILE: the target-not-scanned findings of a findings CSV as
# "host|found|group" lines, in file order.
nottargets() {
	python3 - "$1" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    r = list(csv.reader(f))
for row in r[1:]:
    if row[0] == "target-not-scanned":
        assert row[1] == "" and row[3] == "" and row[5] == "scanned", row
        print("|".join([row[2], row[6], row[7]]))
EOF
}

# The policy is met on every port scanned, but one target does not resolve
# and another is wholly excluded: neither was probed, so the audit fails.
run -c "$cfg" -p "$A" 127.0.0.1 no-such-host.invalid 127.0.0.7 --exclude 127.0.0.6-8 \
	-o /dev/null -f csv --findings "$work/t.csv"
want="no-such-host.invalid|not resolved|
127.0.0.7|excluded (every address)|other"
got=$(nottargets "$work/t.csv" 2>&1 | sed 's/^\(no-such-host.invalid|not resolved\)[^|]*/\1/')
check "targets not scanned: exit 1" test "$rc" = 1
if [ "$got" = "$want" ]; then ok "findings CSV: target-not-scanned for an unresolved and an excluded target"
else bad "findings CSV: target-not-scanned" "got: $got
want: $want"; fi
check "summary counts target-not-scanned" \
	grep -q "^portolan: audit: 2 findings: 2 target-not-scanned" "$work/last.err"
run -c "$cfg" -p "$A" 127.0.0.1 127.0.0.6-9 --exclude 127.0.0.6-8 -o /dev/null -f csv \
	--findings "$work/t2.json"
check "a target partly excluded is scanned: no finding, exit 0" python3 - "$work/t2.json" "$rc" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
assert sys.argv[2] == "0" and doc["findings"] == [], (sys.argv[2], doc["findings"])
assert doc["summary"]["target-not-scanned"] == 0, doc["summary"]
EOF
run -c "$cfg" -p "$A" 127.0.0.1 127.0.0.7 --exclude 127.0.0.7 -o /dev/null -f csv \
	--findings "$work/t3.json"
check "findings JSON: target-not-scanned has no ip and a null port" python3 - "$work/t3.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["findings"] == [{"kind": "target-not-scanned", "ip": "", "host": "127.0.0.7", "port": None,
                            "proto": "tcp", "expected": "scanned",
                            "found": "excluded (every address)", "group": "other"}], doc["findings"]
assert doc["summary"]["target-not-scanned"] == 1 and doc["summary"]["total"] == 1, doc["summary"]
EOF
# Target windows: a target of a later window counts too.
printf '127.0.0.1\n127.0.0.1\n127.0.0.1\n127.0.0.5\n' >"$work/wt.txt"
run -c "$cfg" -p "$A" -i "$work/wt.txt" --target-window 2 --exclude 127.0.0.5 -o /dev/null \
	-f csv --findings "$work/t4.csv"
check "target windows: an excluded target of window 2 is a finding, exit 1" \
	test "$rc" = 1 -a "$(nottargets "$work/t4.csv")" = "127.0.0.5|excluded (every address)|other"
run -p "$A" 127.0.0.1 no-such-host.invalid -o /dev/null -f csv
check "no policy, no baseline: an unresolved target is a warning only, exit 0" test "$rc" = 0

# ---- baseline ----

run -p "$A,$B,$C,$D" 127.0.0.1 -o "$work/a.json" -q
check "baseline scan" test "$rc" = 0

listen "$D"; DPID=$lpid
run -p "$A,$B,$C,$D" 127.0.0.1 -o /dev/null -f csv --baseline "$work/a.json" --findings "$work/n.csv"
check "baseline: a new listener is newly-open, exit 1" \
	test "$rc" = 1 -a "$(rows "$work/n.csv")" = "newly-open $D not open open "
check "baseline: summary counts it" grep -q "^portolan: audit: 1 finding: 1 newly-open" "$work/last.err"

unlisten "$BPID"
run -p "$A,$B,$C,$D" 127.0.0.1 -o /dev/null -f csv --baseline "$work/a.json" --findings "$work/c.csv"
want="newly-closed $B open closed 
newly-open $D not open open "
check "baseline: a closed listener is newly-closed" test "$rc" = 1 -a "$(rows "$work/c.csv")" = "$want"

run -p "$A,$B,$C,$D" 127.0.0.1 no-such-host.invalid -o /dev/null -f csv --baseline "$work/a.json" \
	--findings "$work/u.csv"
check "baseline: a target that does not resolve is target-not-scanned, exit 1" \
	bash -c "test $rc = 1 && grep -q '^target-not-scanned,,no-such-host.invalid,,tcp,scanned,' '$work/u.csv'"

run -p "$A,$C" 127.0.0.1 -o /dev/null -f csv --baseline "$work/a.json" --findings "$work/s.csv"
check "baseline: a port not scanned now is no change, exit 0" \
	test "$rc" = 0 -a "$(rows "$work/s.csv")" = ""

run -p "$A,$B,$C,$D" 127.0.0.1 -o "$work/b.json" -q
run -p "$A,$B,$C,$D" 127.0.0.1 -o /dev/null -f csv --baseline "$work/b.json"
check "baseline: unchanged network, exit 0" test "$rc" = 0

run -c "$cfg" -p "$A,$B,$C,$D" -o /dev/null -f csv --baseline "$work/a.json" --findings "$work/both.csv"
check "policy and baseline together: group named on baseline findings too" \
	bash -c "grep -q '^newly-closed,127.0.0.1,,$B,tcp,open,closed,loop' '$work/both.csv' &&
		 grep -q '^required-not-open,' '$work/both.csv'"

head -c 200 "$work/a.json" >"$work/cut.json"
run -p "$A" 127.0.0.1 --baseline "$work/cut.json"
check "truncated baseline: exit 2 with file:line:col" \
	bash -c "test $rc = 2 && grep -q '^portolan: $work/cut.json:[0-9]*:[0-9]*: ' '$work/last.err'"
run -p "$A" 127.0.0.1 --baseline "$work/nonexistent.json"
check "missing baseline: exit 2" test "$rc" = 2
run -p "$A" 127.0.0.1 --baseline "$work/a.json" --findings "$work/a.json"
check "findings over the baseline refused: exit 2, baseline kept" \
	bash -c "test $rc = 2 && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$work/a.json'"

# ---- services ----

probes=$(dirname "$0")/../../probes
serve 0 "SSH-2.0-OpenSSH_9.6p1 Debian-3"; E=$lport; EPID=$lpid
cat >"$work/svc.cfg" <<EOF
targets = [ "127.0.0.1" ];
probes-dir = "$probes";
policy = ( { name = "ssh"; targets = "127.0.0.1";
             services = ( { port = $E; service = "ssh"; product = "openssh"; version = "9.*"; } ); } );
EOF
run -c "$work/svc.cfg" -p "$E" -s --findings "$work/svc.csv" -o /dev/null -f csv
check "expected service, product and version: exit 0" test "$rc" = 0
sed -i 's/product = "openssh"/product = "Dropbear*"/' "$work/svc.cfg"
run -c "$work/svc.cfg" -p "$E" -s --findings "$work/svc.csv" -o /dev/null -f csv
check "another product: unexpected-service, exit 1" \
	test "$rc" = 1 -a "$(rows "$work/svc.csv")" = "unexpected-service $E product=Dropbear* product=OpenSSH ssh"
run -c "$work/svc.cfg" -p "$E" --findings "$work/svc.csv" -o /dev/null -f csv
check "services are only checked when detection ran: exit 0" test "$rc" = 0

run -s --probes-dir "$probes" -p "$E" 127.0.0.1 -o "$work/sa.json" -q
unlisten "$EPID"
serve "$E" "SSH-2.0-OpenSSH_9.7p1 Debian-1"; EPID=$lpid
run -s --probes-dir "$probes" -p "$E" 127.0.0.1 -o /dev/null -f csv --baseline "$work/sa.json" \
	--findings "$work/sv.csv"
check "baseline: a new version is changed-version, exit 1" \
	test "$rc" = 1 -a "$(rows "$work/sv.csv")" = "changed-version $E 9.6p1 9.7p1 "
run -p "$E" 127.0.0.1 -o /dev/null -f csv --baseline "$work/sa.json"
check "baseline: no changed-* without detection now, exit 0" test "$rc" = 0

# ---- UDP (issue 16): U: in policy lists, proto in findings and baselines ----

# udp_serve: a UDP port that answers every datagram, and one that never
# does; sets $UE, $US and $UPID.
udp_serve() {
	local out="$work/udp.$RANDOM"
	python3 -c '
import os, socket, sys
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
e.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d" % (e.getsockname()[1], s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    d, peer = e.recvfrom(2048)
    e.sendto(b"pong", peer)
' "$out" &
	UPID=$!
	pids+=("$UPID")
	for _ in $(seq 100); do
		[ -s "$out" ] && break
		sleep 0.05
	done
	read -r UE US <"$out" || true
	[ -n "$US" ] || { echo "cannot start a UDP server"; exit 1; }
}

# urows FILE: the findings CSV as "kind port/proto expected found" lines, sorted.
urows() {
	python3 - "$1" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    r = list(csv.DictReader(f))
for row in sorted(r, key=lambda x: (x["kind"], x["port"], x["proto"])):
    print(f'{row["kind"]} {row["port"]}/{row["proto"]} {row["expected"]} {row["found"]}')
EOF
}

udp_serve
UC=$(free_port)
cat >"$work/udp.cfg" <<EOF
targets = [ "127.0.0.1" ];
policy = ( { name = "mixed"; targets = "127.0.0.1";
             allow = "$A,U:$UE"; require = "$A,U:$UE,$US,$UC"; } );
EOF
run -c "$work/udp.cfg" -sT -sU -p "T:$A,U:$UE,$US,$UC" --timeout 200 -o "$work/u.json" \
	--findings "$work/u.csv"
want=$(printf '%s\n' "required-not-open $UC/udp open closed" \
	"required-open-filtered $US/udp open open|filtered" | sort)
check "mixed scan audited: required UDP closed and open|filtered, exit 1" \
	test "$rc" = 1 -a "$(urows "$work/u.csv")" = "$want"
unlisten "$UPID"
run -sT -sU -p "T:$A,U:$UE,$US,$UC" --timeout 200 127.0.0.1 -o /dev/null -f csv \
	--baseline "$work/u.json" --findings "$work/ub.csv"
check "UDP baseline: the echo port gone is newly-closed udp, TCP $A unchanged, exit 1" \
	test "$rc" = 1 -a "$(urows "$work/ub.csv")" = "newly-closed $UE/udp open closed"

unlisten "$EPID"
unlisten "$DPID"
echo "audit: $passed passed, $failed failed"
[ "$failed" = 0 ]
