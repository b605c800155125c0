#!/usr/bin/env bash
# A short scan under valgrind memcheck: no invalid reads or writes, no
# definitely-lost memory. Loopback only. Prints "valgrind: N passed, M failed".
set -u
PORTOLAN=${PORTOLAN:-$(cd "$(dirname "$0")/.." && pwd)/portolan}
# Names come from the tests' own hosts file (tests/helpers/hosts-ns).
HELPERS=${HELPERS:-$(cd "$(dirname "$0")/.." && pwd)/build/helpers}
HOSTS_FILE=$(cd "$(dirname "$0")" && pwd)/helpers/hosts
if ! command -v valgrind >/dev/null; then
	echo "SKIP: valgrind: not installed"
	echo "valgrind: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# A listener that speaks first, so detection has something to read.
python3 - "$work/port" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    except OSError:
        pass
    c.close()
PY
pids+=($!)
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

passed=0 failed=0
skipped=0
check() { # NAME ARGS... ($WRAP: a command to run valgrind under)
	local name=$1; shift
	if ${WRAP:-} valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite "$PORTOLAN" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
		echo "ok: valgrind: $name"
		passed=$((passed + 1))
	else
		echo "FAIL: valgrind: $name (exit $?)"
		sed 's/^/    /' "$work/$name.err" | head -40
		failed=$((failed + 1))
	fi
}
check scan -p "1-300,$port" 127.0.0.1 --states all -t 16 -o "$work/a.json" -o "$work/a.csv" -o "$work/a.xml" -q
check detect -s -p "$port,1" 127.0.0.1 -o "$work/d.jsonl" -q
if [ ! -x "$HELPERS/hosts-ns" ]; then
	echo "FAIL: valgrind: resolve: $HELPERS/hosts-ns missing (make build/helpers/hosts-ns)"
	failed=$((failed + 1))
elif ! "$HELPERS/hosts-ns" "$HOSTS_FILE" true; then
	echo "SKIP: valgrind: resolve: no private hosts file here"
	skipped=1
else
	WRAP="$HELPERS/hosts-ns $HOSTS_FILE" check resolve -p 1 dual.test -4 --dry-run
fi
echo "valgrind: $passed passed, $failed failed$([ "$skipped" = 0 ] || echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
