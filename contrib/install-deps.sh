#!/bin/sh
# Installs what portolan needs on Debian or Ubuntu, and only what is missing.
#   contrib/install-deps.sh          build and run
#   contrib/install-deps.sh --test   also everything `make test` uses
# Other systems: see "Dependencies" in README.md for the package names.
set -eu

build="build-essential pkg-config libglib2.0-dev libconfig-dev libyaml-dev"
# Tests: cmocka, python3 (integration harness), the namespace lab (iproute2,
# iptables, nftables), a second compiler, sanitiser runtimes, valgrind, and
# nmap's DTD, stylesheet and ndiff with xsltproc/xmllint for the XML output,
# and clang's libFuzzer runtime (only recommended by clang, so named here).
# libreoffice-calc-nogui: headless soffice (it pulls libreoffice-core-nogui),
# so tests/integration/test-spreadsheet.sh opens the CSV output in a real
# spreadsheet and checks that no cell becomes a formula (~250 MB installed).
test="libcmocka-dev python3 iproute2 iptables nftables clang llvm valgrind procps
      nmap nmap-common ndiff xsltproc libxml2-utils libclang-rt-14-dev
      libreoffice-calc-nogui"

want=$build
[ "${1:-}" = "--test" ] && want="$build $test"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: not a Debian system; install these yourself: $want" >&2
	exit 1
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
