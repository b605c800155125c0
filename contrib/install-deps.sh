#!/bin/sh
# Installs what portolan needs on Debian or Ubuntu, and only what is missing.
#   contrib/install-deps.sh          build and run
#   contrib/install-deps.sh --test   also everything `make test` uses
#   contrib/install-deps.sh --bench  also the peers `make bench` runs against
# Other systems: see "Dependencies" in README.md for the package names.
set -eu

build="build-essential pkg-config libglib2.0-dev libconfig-dev libyaml-dev libpcap-dev libssl-dev"
# Tests: cmocka, python3 (integration harness), the namespace lab (iproute2,
# iptables, nftables), a second compiler, sanitiser runtimes, valgrind, and
# nmap's DTD, stylesheet and ndiff with xsltproc/xmllint for the XML output,
# and clang's libFuzzer runtime (only recommended by clang, so named here).
# libreoffice-calc-nogui: headless soffice (it pulls libreoffice-core-nogui),
# so tests/integration/test-spreadsheet.sh opens the CSV output in a real
# spreadsheet and checks that no cell becomes a formula (~250 MB installed).
# locales: a decimal-comma locale (de_DE.UTF-8, generated below), so that
# test_writers' locale test runs instead of skipping; util-linux: unshare and
# mount for tests/helpers/hosts-ns's fallback checks and the hosts-file runs;
# man-db: man (and groff) so test-install renders the installed man pages and
# checks them against --help. slurm-wlm, munge: tests/slurm/run starts a
# one-node Slurm cluster of its own; python3-yaml, python3-jsonschema:
# contrib/k8s/check (tests/k8s/run). libcap2-bin: setcap, for the lab's
# test of a binary given CAP_NET_RAW (tests/lab/15-syn-privdrop.sh). bind9,
# ntpsec, snmpd, memcached: the UDP daemons of tests/lab/26-udp-daemons.sh
# and samba (nmbd), tftpd-hpa, rpcbind, coturn: those of issue 16 (their services
# are not started, see policy-rc.d below: the test runs its own in the lab).
# The ~37 daemons of tests/daemons/run are not listed: that test installs
# what it lacks itself (tests/daemons/README.md).
# time: /usr/bin/time -f %M, the peak RSS lab 22-disco-sparse compares.
# openssl, nginx: tests/tls/run's certificates, s_server instances and
# HTTPS server (nginx's service is not started: the test runs its own).
# postfix, dovecot, slapd, postgresql, openssl: tests/tls/starttls.sh runs
# each with a certificate of its own making on 127.0.0.1 (their packaged
# services are not used). libnmap-parser-perl: test-xml.sh reads the TLS
# scripts with Perl's Nmap::Parser, as importers do.
test="libcmocka-dev python3 iproute2 iptables nftables clang llvm valgrind procps
      nmap nmap-common ndiff xsltproc libxml2-utils libclang-rt-14-dev
      libreoffice-calc-nogui locales util-linux man-db libcap2-bin
      slurm-wlm munge python3-yaml python3-jsonschema
      bind9 ntpsec snmpd memcached samba tftpd-hpa rpcbind coturn time openssl nginx
      postfix dovecot-imapd dovecot-pop3d slapd postgresql
      libnmap-parser-perl"
# Benchmark peers (bench/run installs the missing ones itself too): the
# connect scanners, and the SYN scanners of the SYN rows. Not test deps.
bench="nmap pnscan masscan zmap time"
# The decimal-comma locale the unit tests use.
test_locale="de_DE.UTF-8"

want=$build
[ "${1:-}" = "--test" ] && want="$build $test"
[ "${1:-}" = "--bench" ] && want="$build $bench"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: not a Debian system; install these yourself: $want" >&2
	exit 1
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Daemons (bind9, samba, rpcbind, ...) must not start on install: they
	# would hold the ports the tests run their own on. A policy-rc.d that
	# exits 101 says so to invoke-rc.d, unless the system has one already.
	guard=/usr/sbin/policy-rc.d
	made_guard=0
	if [ ! -e "$guard" ]; then
		printf '#!/bin/sh\n# portolan install-deps: no service starts during apt-get install\nexit 101\n' |
			$sudo tee "$guard" >/dev/null && $sudo chmod 755 "$guard" && made_guard=1
	fi
	rc=0
	$sudo apt-get update -qq || rc=$?
	# shellcheck disable=SC2086
	[ $rc -ne 0 ] || $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
	[ $made_guard = 1 ] && $sudo rm -f "$guard"
	[ $rc -eq 0 ] || exit $rc
fi

# Generates the test locale once: enabled in /etc/locale.gen (so a later
# locale-gen, e.g. on an upgrade of locales, keeps it) and built. Nothing is
# done when `locale -a` already lists it (as de_DE.utf8).
have_locale() {
	locale -a 2>/dev/null | tr 'A-Z' 'a-z' | sed 's/utf-8/utf8/' | grep -qx "$(echo "$1" | tr 'A-Z' 'a-z' | sed 's/utf-8/utf8/')"
}
if [ "${1:-}" = "--test" ] && ! have_locale "$test_locale"; then
	echo "install-deps: generating the $test_locale locale" >&2
	line="$test_locale ${test_locale#*.}"
	if grep -q "^# *$line\$" /etc/locale.gen 2>/dev/null; then
		$sudo sed -i "s/^# *$line\$/$line/" /etc/locale.gen
	elif ! grep -q "^$line\$" /etc/locale.gen 2>/dev/null; then
		echo "$line" | $sudo tee -a /etc/locale.gen >/dev/null
	fi
	$sudo locale-gen >/dev/null
	have_locale "$test_locale" || { echo "install-deps: $test_locale was not generated" >&2; exit 1; }
fi
exit 0
