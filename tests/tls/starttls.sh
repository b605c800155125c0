#!/usr/bin/env bash
# tests/tls/starttls.sh: portolan's STARTTLS dialogues (src/tls/starttls.c)
# against real Debian daemons on 127.0.0.1, each with a certificate this
# test makes with `openssl req`: postfix (SMTP STARTTLS), dovecot (IMAP and
# POP3 STARTTLS, and IMAPS), slapd (LDAP StartTLS) and PostgreSQL (ssl=on).
#
# For each: the helper starttls-probe runs portolan's dialogue and must get
# "ok" and then a TLS record in answer to its ClientHello (the server
# really switched to TLS after the dialogue); `openssl s_client -starttls`
# on the same port must show the certificate the test made (the daemon is
# set up as the test believes). A dovecot without TLS must be "refused".
# Then portolan -s itself on those ports: service, tls.starttls, subject CN.
# Daemons run in the foreground as tests/daemons/lib.sh runs them, killed
# by PID in its EXIT trap. Exit 77 (skip) when not root or a package is
# missing; run by make tls, or alone:
#   PORTOLAN=build/portolan HELPERS=build/helpers tests/tls/starttls.sh
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
. tests/daemons/lib.sh

HELPERS=${HELPERS:-$PWD/build/helpers}
probe=$HELPERS/starttls-probe
fails=0
checks=0

skip() { echo "SKIP: starttls: $*"; exit 77; }
why=$(dm_can_run) || skip "$why"
for p in postfix dovecot-imapd dovecot-pop3d slapd postgresql openssl; do
	dm_installed "$p" || skip "package $p not installed (contrib/install-deps.sh --test)"
done
[ -x "$probe" ] || { echo "starttls: $probe missing (make $probe)" >&2; exit 2; }

# Ports of our own (tests/daemons uses 20xxx).
DM_PORTS[tlspostfix]=21025
DM_PORTS[tlsdovecot]="21110 21143 21993"
DM_PORTS[plaindovecot]=21144
DM_PORTS[tlsslapd]=21389
DM_PORTS[tlspg]=21432

dm_setup || exit 2
CN=starttls.portolan.test
cert=$DM_DIR/cert.pem key=$DM_DIR/key.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$CN/O=Portolan Test" \
	-addext "subjectAltName=DNS:$CN" -keyout "$key" -out "$cert" 2>"$DM_DIR/req.log" ||
	{ cat "$DM_DIR/req.log"; exit 2; }
chmod 644 "$cert" "$key"   # each daemon drops to its own user and reads them

dm_start_tlspostfix() {
	local d=$1 port=$2
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chown postfix "$d/data"
	cat >"$d/conf/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $d/queue
	data_directory = $d/data
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = $CN
	mydestination =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	maillog_file = $d/postfix.log
	maillog_file_prefixes = $d
	alias_maps =
	alias_database =
	smtpd_tls_cert_file = $cert
	smtpd_tls_key_file = $key
	smtpd_tls_security_level = may
	EOF
	cat >"$d/conf/master.cf" <<-EOF
	127.0.0.1:$port inet n - n - - smtpd
	cleanup unix n - n - 0 cleanup
	proxymap unix - - n - - proxymap
	anvil unix - - n - 1 anvil
	tlsmgr unix - - n 1000? 1 tlsmgr
	postlog unix-dgram n - n - 1 postlogd
	EOF
	/usr/sbin/postfix -c "$d/conf" check >"$d/check.log" 2>&1 || return 1
	setsid /usr/lib/postfix/sbin/master -c "$d/conf" -d &
	DM_LAST_PID=$!
}

# DIR POP3 IMAP IMAPS, or DIR IMAP for the one without TLS.
dovecot_conf() {
	local d=$1 ssl=$2 pop3=$3 imap=$4 imaps=$5
	mkdir -p "$d/run" "$d/state"
	cat >"$d/dovecot.conf" <<-EOF
	protocols = pop3 imap
	listen = 127.0.0.1
	base_dir = $d/run
	state_dir = $d/state
	log_path = $d/dovecot.log
	auth_mechanisms = plain
	passdb {
	  driver = static
	  args = password=portolan-never-used
	}
	userdb {
	  driver = static
	  args = uid=dovenull gid=dovenull home=$d/home
	}
	service imap-login {
	  inet_listener imap {
	    address = 127.0.0.1
	    port = $imap
	  }
	  inet_listener imaps {
	    address = 127.0.0.1
	    port = $imaps
	  }
	}
	service pop3-login {
	  inet_listener pop3 {
	    address = 127.0.0.1
	    port = $pop3
	  }
	  inet_listener pop3s {
	    port = 0
	  }
	}
	EOF
	if [ "$ssl" = yes ]; then
		printf 'ssl = yes\nssl_cert = <%s\nssl_key = <%s\n' "$cert" "$key" >>"$d/dovecot.conf"
	else
		printf 'ssl = no\n' >>"$d/dovecot.conf"
	fi
	/usr/sbin/dovecot -F -c "$d/dovecot.conf" &
	DM_LAST_PID=$!
}
dm_start_tlsdovecot() { dovecot_conf "$1" yes "$2" "$3" "$4"; }
dm_start_plaindovecot() { dovecot_conf "$1" no 0 "$2" 0; }

dm_start_tlsslapd() {
	local d=$1 port=$2
	mkdir -p "$d/db"
	chown -R openldap:openldap "$d"
	cat >"$d/slapd.conf" <<-EOF
	include /etc/ldap/schema/core.schema
	modulepath /usr/lib/ldap
	moduleload back_mdb
	pidfile $d/slapd.pid
	TLSCertificateFile $cert
	TLSCertificateKeyFile $key
	database mdb
	suffix "dc=portolan,dc=test"
	directory $d/db
	EOF
	# -d: in the foreground, so $! is slapd itself.
	/usr/sbin/slapd -d 0 -f "$d/slapd.conf" -h "ldap://127.0.0.1:$port/" \
		-u openldap -g openldap &
	DM_LAST_PID=$!
}

dm_start_tlspg() {
	local d=$1 port=$2 bin
	bin=/usr/lib/postgresql/$(dm_pg_major)/bin
	chown postgres:postgres "$d"
	setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$bin/initdb" -D "$d/data" -U postgres --auth-local=peer \
		--auth-host=scram-sha-256 >"$d/initdb.log" 2>&1 || return 1
	install -o postgres -g postgres -m 600 "$cert" "$d/data/server.crt"
	install -o postgres -g postgres -m 600 "$key" "$d/data/server.key"
	printf "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n" \
		>>"$d/data/postgresql.conf"
	setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$bin/postgres" -D "$d/data" -k "$d" -h 127.0.0.1 -p "$port" &
	DM_LAST_PID=$!
}
DM_STOPSIG[tlspg]=INT

check() { # NAME WANT GOT
	checks=$((checks + 1))
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: want '$2', got '$3'"
		fails=$((fails + 1))
	fi
}

# portolan's dialogue, then proof of TLS.
probe_check() { # SERVICE PORT
	local got
	got=$("$probe" "$1" "$2" "$CN" 2>"$DM_DIR/probe-$1.log" | tr '\n' ' ')
	check "$1 on $2: portolan's STARTTLS" "ok tls-record " "$got"
}

# openssl's view of the same port: the certificate the test made.
sclient_check() { # PROTO PORT (PROTO "" for TLS from the first byte)
	local got
	got=$(timeout 20 openssl s_client ${1:+-starttls "$1"} -connect "127.0.0.1:$2" \
		-servername "$CN" </dev/null 2>/dev/null | openssl x509 -noout -subject -nameopt RFC2253 2>/dev/null)
	check "${1:-tls} on $2: openssl s_client sees the test's certificate" \
		"subject=O=Portolan Test,CN=$CN" "$got"
}

for n in tlspostfix tlsdovecot plaindovecot tlsslapd tlspg; do
	dm_start "$n" || { echo "FAIL: $n did not start (its files: $DM_DIR/$n)"; exit 1; }
done

probe_check smtp 21025
sclient_check smtp 21025
probe_check imap 21143
sclient_check imap 21143
probe_check pop3 21110
sclient_check pop3 21110
sclient_check "" 21993
probe_check ldap 21389
sclient_check ldap 21389
probe_check postgresql 21432
sclient_check postgres 21432
# No TLS configured: dovecot does not offer STARTTLS.
check "imap without TLS: refused" "refused " "$("$probe" imap 21144 2>&1 | tr '\n' ' ')"
# Another protocol's dialogue on a port: a reply that is not the protocol.
check "smtp dialogue on an IMAP port: failed" "failed " "$("$probe" smtp 21144 2>&1 | tr '\n' ' ')"

# portolan -s on them: the plain service is detected, the upgrade
# runs, and the facts of the test's certificate come out under "tls".
PORTOLAN=${PORTOLAN:-$PWD/portolan}
"$PORTOLAN" -s --probes-dir probes -p 21025,21110,21143,21389,21432,21993 -q \
	-o "$DM_DIR/scan.jsonl" 127.0.0.1 >"$DM_DIR/scan.log" 2>&1
while read -r port want; do
	got=$(python3 - "$DM_DIR/scan.jsonl" "$port" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("port") == int(sys.argv[2]):
        t = r.get("tls") or {}
        print("%s %s %s" % (r.get("service"), t.get("starttls"), t.get("subject_cn")))
EOF
	)
	check "portolan -s on $port: service, tls.starttls, tls.subject_cn" "$want" "$got"
done <<EOF
21025 smtp smtp $CN
21110 pop3 pop3 $CN
21143 imap imap $CN
21432 postgresql postgresql $CN
21993 imap None $CN
EOF
# slapd on a port no probe lists: it stays silent to the probes before
# LDAP's, each waited out (3 s), so naming it takes about 33 s, past the
# default 10 s budget. Its own scan with a larger --detect-timeout checks
# that the LDAP StartTLS runs inside portolan's detection.
"$PORTOLAN" -s --probes-dir probes -p 21389 --detect-timeout 90000 -q \
	-o "$DM_DIR/scan-ldap.jsonl" 127.0.0.1 >"$DM_DIR/scan-ldap.log" 2>&1
got=$(python3 - "$DM_DIR/scan-ldap.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("port") == 21389:
        t = r.get("tls") or {}
        print("%s %s %s %s" % (r.get("service"), r.get("product"), t.get("starttls"), t.get("subject_cn")))
EOF
)
check "portolan -s on 21389: service, product, tls.starttls, tls.subject_cn" "ldap OpenLDAP ldap $CN" "$got"

# STARTTLS_CAPTURE=DIR: the daemons' replies to each step, saved as inputs
# for tests/fuzz/fuzz_starttls (first byte: dialogue + 7 * step); how the
# seeds in tests/fuzz/corpus/starttls/real-* were made.
if [ -n "${STARTTLS_CAPTURE:-}" ]; then
	mkdir -p "$STARTTLS_CAPTURE"
	python3 - "$STARTTLS_CAPTURE" <<'EOF'
import re, socket, sys
out = sys.argv[1]
LDAP = bytes.fromhex("301d02010177188016") + b"1.3.6.1.4.1.1466.20037"
PG = bytes.fromhex("0000000804d2162f")
# name, dialogue index, port, [(command, end of reply)]
runs = [
    ("smtp", 0, 21025, [(None, rb"(^|\n)\d{3} [^\n]*\n$"), (b"EHLO starttls.portolan.test\r\n", rb"(^|\n)250 [^\n]*\n$"),
                        (b"STARTTLS\r\n", rb"\n$")]),
    ("imap", 1, 21143, [(None, rb"\n$"), (b"a1 CAPABILITY\r\n", rb"(^|\n)a1 [^\n]*\n$"),
                        (b"a2 STARTTLS\r\n", rb"(^|\n)a2 [^\n]*\n$")]),
    ("pop3", 2, 21110, [(None, rb"\n$"), (b"CAPA\r\n", rb"\n\.\r?\n$"), (b"STLS\r\n", rb"\n$")]),
    ("ldap", 4, 21389, [(LDAP, None)]),
    ("postgresql", 5, 21432, [(PG, None)]),
]
for name, d, port, steps in runs:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    for step, (cmd, end) in enumerate(steps):
        if cmd:
            s.sendall(cmd)
        got = b""
        while True:
            chunk = s.recv(4096)
            got += chunk
            if not chunk or end is None or re.search(end, got):
                break
        with open(f"{out}/real-{name}-{step}", "wb") as f:
            f.write(bytes([d + 7 * step]) + got)
    s.close()
EOF
fi

echo "starttls: $((checks - fails)) of $checks checks passed"
[ "$fails" = 0 ]
