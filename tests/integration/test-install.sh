#!/bin/bash
# test-install.sh: `make install` and `make uninstall` (contrib/install.mk).
#
#  1. A staged install (DESTDIR, PREFIX=/usr/local) puts every file where the
#     FHS expects it and nothing else; the binary runs; the man pages render
#     without warnings; the completions load and cover every option of
#     --help; uninstall removes every file.
#  2. A real install into a scratch prefix (no DESTDIR) gives a binary that
#     finds its probes under the prefix from a directory with no probes/:
#     `portolan -s` names a loopback SSH banner (a python3 listener) as ssh
#     in JSON and CSV. --probes-dir and PORTOLAN_PROBES_DIR override it; an
#     install refuses a binary built for another prefix; an edited config is
#     kept.
#
# Builds its own binaries in a temporary directory (the checkout's build/
# and ./portolan are left alone). Loopback only; cleans up on any exit.
# Prints "install: N passed, M failed" and exits non-zero on a failure.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# The caller's settings must not leak into the scans below.
for v in $(compgen -e); do
	case $v in PORTOLAN_*) unset "$v" ;; esac
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portolan-install.XXXXXX") || exit 1
listener_pid=
pass=0
fail=0

cleanup()
{
	if [ -n "$listener_pid" ]; then
		kill "$listener_pid" 2>/dev/null
		wait "$listener_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { pass=$((pass + 1)); echo "ok: $1"; }
not_ok() { fail=$((fail + 1)); echo "FAIL: $1"; }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds (output in the log).
check()
{
	local desc=$1
	shift
	echo "== $desc: $*" >>"$tmp/log"
	if "$@" >>"$tmp/log" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}
finish()
{
	if [ "$fail" -gt 0 ] && [ -s "$tmp/log" ]; then
		echo "--- last lines of the log:"
		tail -n 30 "$tmp/log"
	fi
	echo "install: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

jobs=$(nproc 2>/dev/null || echo 2)
# Until the Makefile includes contrib/install.mk, read both files (the
# fragment's install recipe then overrides the Makefile's own).
if grep -Eq '^[[:space:]]*-?include[[:space:]]+contrib/install\.mk' "$ROOT/Makefile"; then
	MAKE_INSTALL=(make -C "$ROOT" --no-print-directory)
else
	MAKE_INSTALL=(make -C "$ROOT" --no-print-directory -f Makefile -f contrib/install.mk)
fi

# ---- 1. staged install: DESTDIR, PREFIX=/usr/local --------------------------

b1=$tmp/build-usr
dest=$tmp/root
P=/usr/local
R=$dest$P

if ! make -C "$ROOT" --no-print-directory -j"$jobs" BUILD="$b1" BIN="$b1/portolan" \
	PREFIX=$P >>"$tmp/log" 2>&1; then
	not_ok "build with PREFIX=$P"
	finish
fi
ok "build with PREFIX=$P"

check "make install DESTDIR=... PREFIX=$P" \
	"${MAKE_INSTALL[@]}" BUILD="$b1" BIN="$b1/portolan" PREFIX=$P DESTDIR="$dest" install

# Exactly these files, with these modes, and nothing else.
{
	echo "755 $R/bin/portolan"
	echo "644 $R/etc/portolan/portolan.cfg"
	echo "644 $R/share/bash-completion/completions/portolan"
	echo "644 $R/share/man/man1/portolan.1"
	echo "644 $R/share/man/man5/portolan-probes.5"
	echo "644 $R/share/man/man5/portolan.cfg.5"
	for f in "$ROOT"/probes/*.yaml; do
		echo "644 $R/share/portolan/probes/${f##*/}"
	done
	echo "644 $R/share/zsh/site-functions/_portolan"
} | LC_ALL=C sort >"$tmp/expected"
find "$dest" -type f -exec stat -c '%a %n' {} + 2>/dev/null | LC_ALL=C sort >"$tmp/actual"
if diff -u "$tmp/expected" "$tmp/actual" >>"$tmp/log" 2>&1; then
	ok "installed files, paths and modes (FHS)"
else
	not_ok "installed files, paths and modes (FHS)"
fi

same_files()
{
	cmp "$ROOT/etc/portolan.cfg" "$R/etc/portolan/portolan.cfg" || return 1
	cmp "$ROOT/contrib/completions/portolan.bash" "$R/share/bash-completion/completions/portolan" || return 1
	cmp "$ROOT/contrib/completions/_portolan" "$R/share/zsh/site-functions/_portolan" || return 1
	for f in "$ROOT"/probes/*.yaml; do
		cmp "$f" "$R/share/portolan/probes/${f##*/}" || return 1
	done
}
check "installed config, completions and probes match the sources" same_files

version_runs()
{
	local out
	out=$("$R/bin/portolan" --version) || return 1
	echo "$out"
	[[ $out == "portolan "[0-9]* ]]
}
check "installed portolan --version runs" version_runs

# Man pages render, without a warning, and say what they should.
render()
{
	# render PAGE: the page as text on stdout; fails on any warning.
	local page=$1 err
	if command -v man >/dev/null 2>&1; then
		err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$tmp/page.txt") || return 1
	else
		err=$(groff -t -man -ww -Tutf8 "$page" 2>&1 >"$tmp/page.txt") || return 1
	fi
	if [ -n "$err" ]; then
		echo "$err"
		return 1
	fi
	cat "$tmp/page.txt"
}
man_ok()
{
	local page=$1 want=$2
	render "$page" >"$tmp/man.txt" || return 1
	grep -q -- "$want" "$tmp/man.txt"
}
if command -v man >/dev/null 2>&1 || command -v groff >/dev/null 2>&1; then
	check "man -l portolan.1 renders" man_ok "$R/share/man/man1/portolan.1" "EXIT STATUS"
	check "man -l portolan.cfg.5 renders" man_ok "$R/share/man/man5/portolan.cfg.5" "SYNTAX"
	check "man -l portolan-probes.5 renders" man_ok "$R/share/man/man5/portolan-probes.5" "FILE FORMAT"
	check "installed portolan.1 names the installed probes" \
		man_ok "$R/share/man/man1/portolan.1" "$P/share/portolan/probes"
else
	not_ok "man pages: neither man nor groff is installed"
fi

# Every option --help lists is in the man page and in both completions.
"$R/bin/portolan" --help >"$tmp/help.txt" 2>&1
grep -oE '^ +(-[A-Za-z0-9], )?--[a-z0-9-]+' "$tmp/help.txt" |
	grep -oE -- '--[a-z0-9-]+|-[A-Za-z0-9]' >"$tmp/options"
covers()
{
	# covers FILE: every option of --help occurs in FILE as a whole word.
	local file=$1 o missing=0
	[ -s "$tmp/options" ] || { echo "no options parsed from --help"; return 1; }
	while read -r o; do
		if ! grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$)" "$file"; then
			echo "$file: missing $o"
			missing=1
		fi
	done <"$tmp/options"
	return $missing
}
render "$R/share/man/man1/portolan.1" >"$tmp/portolan.1.txt" 2>/dev/null
check "portolan.1 documents every option of --help ($(wc -l <"$tmp/options"))" covers "$tmp/portolan.1.txt"
# _portolan spells "-c+,--config=" inside braces: split those for the match.
sed -e 's/[{},+=]/ /g' "$R/share/zsh/site-functions/_portolan" >"$tmp/zsh.txt"
check "bash completion has every option of --help" covers "$R/share/bash-completion/completions/portolan"
check "zsh completion has every option of --help" covers "$tmp/zsh.txt"

# bash completion, from the installed file.
bash_complete()
{
	# bash_complete EXPECTED WORD...: completing the last WORD gives EXPECTED.
	local want=$1 got
	shift
	got=$(bash -c 'source "$1"; shift; COMP_WORDS=(portolan "$@"); COMP_CWORD=$#
		_portolan; echo "${COMPREPLY[*]}"' _ "$R/share/bash-completion/completions/portolan" "$@")
	echo "completing '$*': got '$got', want '$want'"
	[ "$got" = "$want" ]
}
check "bash completion: --for" bash_complete "--format" --for
check "bash completion: -f" bash_complete "csv json jsonl xml" -f ""
check "bash completion: --format=j" bash_complete "json jsonl" --format = j
check "bash completion: --states open,f" bash_complete "open,filtered" --states open,f
check "bash completion: -T" bash_complete "paranoid polite normal aggressive insane" -T ""
check "bash completion: --family" bash_complete "any 4 6" --family ""
mkdir -p "$tmp/cwd/somedir" && touch "$tmp/cwd/somefile.cfg"
check "bash completion: -c files" \
	bash -c 'cd "$1" && source "$2" && COMP_WORDS=(portolan -c some); COMP_CWORD=2; _portolan;
		[ "${COMPREPLY[*]}" = "somedir somefile.cfg" ] || [ "${COMPREPLY[*]}" = "somefile.cfg somedir" ]' \
	_ "$tmp/cwd" "$R/share/bash-completion/completions/portolan"
check "bash completion: --probes-dir directories" \
	bash -c 'cd "$1" && source "$2" && COMP_WORDS=(portolan --probes-dir some); COMP_CWORD=2; _portolan;
		[ "${COMPREPLY[*]}" = "somedir" ]' \
	_ "$tmp/cwd" "$R/share/bash-completion/completions/portolan"

# zsh completion: syntax, and compinit registers it for portolan.
if command -v zsh >/dev/null 2>&1; then
	check "zsh completion: syntax (zsh -n)" zsh -n "$R/share/zsh/site-functions/_portolan"
	zsh_registers()
	{
		local out
		out=$(HOME=$tmp zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -D
			print -r -- ${_comps[portolan]}' _ "$R/share/zsh/site-functions") || return 1
		echo "_comps[portolan]=$out"
		[ "$out" = _portolan ]
	}
	check "zsh completion: compinit binds _portolan to portolan" zsh_registers
else
	echo "skip: zsh completion checks (zsh is not installed)"
fi

check "make uninstall DESTDIR=... PREFIX=$P" \
	"${MAKE_INSTALL[@]}" BUILD="$b1" BIN="$b1/portolan" PREFIX=$P DESTDIR="$dest" uninstall
no_files_left()
{
	local left
	left=$(find "$dest" -type f)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
	[ ! -e "$R/share/portolan" ] && [ ! -e "$R/etc/portolan" ]
}
check "uninstall removes every file and portolan's own directories" no_files_left

# ---- 2. real install into a scratch prefix ----------------------------------

b2=$tmp/build
prefix=$tmp/prefix
if ! make -C "$ROOT" --no-print-directory -j"$jobs" BUILD="$b2" BIN="$b2/portolan" \
	PREFIX="$prefix" >>"$tmp/log" 2>&1; then
	not_ok "build with PREFIX=$prefix"
	finish
fi
ok "build with PREFIX=\$tmp/prefix"
check "make install PREFIX=\$tmp/prefix" \
	"${MAKE_INSTALL[@]}" BUILD="$b2" BIN="$b2/portolan" PREFIX="$prefix" install
check "installed portolan.cfg names \$tmp/prefix's probes" \
	grep -qF "$prefix/share/portolan/probes" "$prefix/etc/portolan/portolan.cfg"
check "installed portolan.cfg.5 names \$tmp/prefix/etc/portolan" \
	man_ok "$prefix/share/man/man5/portolan.cfg.5" "$prefix/etc/portolan/portolan.cfg"

# Installing a binary built for another prefix is refused, and installs nothing.
refuses_other_prefix()
{
	if "${MAKE_INSTALL[@]}" BUILD="$b2" BIN="$b2/portolan" PREFIX="$tmp/other" install; then
		echo "install into another prefix succeeded"
		return 1
	fi
	[ ! -e "$tmp/other" ]
}
check "install refuses a binary built for another DATADIR" refuses_other_prefix

# The loopback SSH server: one banner per connection.
cat >"$tmp/sshd.py" <<'EOF'
import socket, sys, threading
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    try:
        c.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n")
        c.settimeout(5)
        c.recv(4096)
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
port=
if command -v python3 >/dev/null 2>&1; then
	python3 "$tmp/sshd.py" "$tmp/port" &
	listener_pid=$!
	for _ in $(seq 1 100); do
		[ -s "$tmp/port" ] && break
		sleep 0.05
	done
	port=$(cat "$tmp/port" 2>/dev/null)
fi
if [ -z "$port" ]; then
	not_ok "loopback SSH listener (python3) did not start"
	finish
fi

# Run from a directory without probes/, so only the install prefix can serve.
run=$tmp/run
mkdir -p "$run"
scan()
{
	# scan NAME [OPTION]...: service detection on the listener, into NAME.json
	# and NAME.csv in $run.
	local name=$1
	shift
	(cd "$run" && "$@" -q -s -p "$port" -o "$name.json" -o "$name.csv" 127.0.0.1)
}
service_is()
{
	# service_is NAME SERVICE [PRODUCT VERSION]: NAME.json and NAME.csv say so.
	python3 - "$run/$1" "$2" "${3:-}" "${4:-}" <<'EOF'
import csv, json, sys
base, service, product, version = sys.argv[1:5]
doc = json.load(open(base + ".json"))
rows = list(csv.DictReader(open(base + ".csv", newline="")))
for where, results in (("json", doc["results"]), ("csv", rows)):
    if len(results) != 1:
        sys.exit(f"{where}: {len(results)} results, want 1")
    r = results[0]
    got = (r["state"], r["service"], r["product"], r["version"])
    want = ("open", service, product or r["product"], version or r["version"])
    if got != want:
        sys.exit(f"{where}: got {got}, want {want}")
    print(where, got)
EOF
}
[ ! -e "$run/probes" ] || not_ok "\$tmp/run has a probes/ directory"
check "installed portolan -s runs from a directory without probes/" \
	scan installed "$prefix/bin/portolan"
check "it finds the installed probes: JSON and CSV say ssh OpenSSH 9.2p1" \
	service_is installed ssh OpenSSH 9.2p1

# --probes-dir (and the environment) override the installed probes.
mkdir -p "$tmp/alt"
cat >"$tmp/alt/10-alt.yaml" <<'EOF'
- probe: banner
  send: ""
  matches:
    - service: alt-ssh
      pattern: '^SSH-'
      product: from --probes-dir
EOF
check "--probes-dir DIR runs" scan alt "$prefix/bin/portolan" --probes-dir "$tmp/alt"
check "--probes-dir DIR overrides the installed probes" service_is alt alt-ssh "from --probes-dir"
check "PORTOLAN_PROBES_DIR runs" scan env env PORTOLAN_PROBES_DIR="$tmp/alt" "$prefix/bin/portolan"
check "PORTOLAN_PROBES_DIR overrides the installed probes" service_is env alt-ssh
missing_dir_is_usage_error()
{
	local rc
	(cd "$run" && "$prefix/bin/portolan" -q -s --probes-dir "$tmp/nonexistent" -p "$port" \
		-o missing.csv 127.0.0.1)
	rc=$?
	echo "exit status $rc"
	[ "$rc" -eq 2 ] && [ ! -e "$run/missing.csv" ]
}
check "--probes-dir of a missing directory: exit 2, no output" missing_dir_is_usage_error
# Control: without the installed probes, the same run fails.
without_installed_probes()
{
	local rc
	mv "$prefix/share/portolan/probes" "$prefix/share/portolan/probes.off" || return 1
	(cd "$run" && "$prefix/bin/portolan" -q -s -p "$port" -o none.csv 127.0.0.1)
	rc=$?
	mv "$prefix/share/portolan/probes.off" "$prefix/share/portolan/probes"
	echo "exit status $rc"
	[ "$rc" -eq 2 ]
}
check "control: with the installed probes moved away, -s fails (exit 2)" without_installed_probes

# An edited config survives a reinstall and an uninstall.
cfg=$prefix/etc/portolan/portolan.cfg
echo '# edited by the administrator' >>"$cfg"
check "reinstall over an edited config" \
	"${MAKE_INSTALL[@]}" BUILD="$b2" BIN="$b2/portolan" PREFIX="$prefix" install
edited_kept()
{
	grep -q 'edited by the administrator' "$cfg" || return 1
	[ -f "$cfg.new" ] && ! grep -q 'edited by the administrator' "$cfg.new"
}
check "the edited config is kept, the new example is portolan.cfg.new" edited_kept
check "make uninstall PREFIX=\$tmp/prefix" \
	"${MAKE_INSTALL[@]}" BUILD="$b2" BIN="$b2/portolan" PREFIX="$prefix" uninstall
uninstalled()
{
	local left
	left=$(find "$prefix" -type f)
	[ "$left" = "$cfg" ] || { echo "left: $left"; return 1; }
}
check "uninstall removes everything but the edited config" uninstalled

finish
