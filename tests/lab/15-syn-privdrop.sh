#!/usr/bin/env bash
# 15-syn-privdrop: a SYN scan gives up its privileges once its raw sockets
# and capture are open (README "Privileges"):
#   - run as root, while it waits on the DROP range every thread of the
#     process is nobody/nogroup (real, effective, saved, filesystem ids; no
#     other group) with empty CapEff/CapPrm/CapInh/CapAmb and NoNewPrivs set;
#     the results are exact, and its output, in a directory only root may
#     enter (mode 700), is written: outputs are opened before the drop; a
#     targets file there, reread for every target window after the drop, is
#     read through the descriptor opened before it;
#   - under sudo (SUDO_UID set) the default user is the invoking one, and an
#     explicit --user still wins;
#   - --user nosuchuser exits 2 with one line, and sends nothing (the DROP
#     rule's counter) and creates no output;
#   - a --resume-file where nobody cannot write is refused before the scan
#     (exit 2, one line naming the file and --user), sending nothing;
#     --user root keeps root (no drop) and then it is accepted;
#   - a copy of the binary given cap_net_raw,cap_net_admin+ep by setcap, run
#     as nobody: the scan works, and every thread's CapEff/CapPrm become 0.
# SIGINT and --resume with the drop on and the default user: 12-syn-resume.
. "$(dirname "$0")/lib.sh"
lab_start

h=$LAB_HOST4
fp=$((LAB_FILTERED_LO + 11))
ports="22,80,81,$fp"
nobody_uid=$(id -u nobody) || skip "no user nobody"
nogroup_gid=$(id -g nobody)

# A directory only root may enter: outputs and a targets file go there.
priv=$LT_WORK/private
mkdir -m 700 "$priv"

# status_of_threads PID: "tid field value..." for every thread, the fields
# this test checks, as /proc shows them. A thread that blocks the signal the
# drop uses (SIGRTMIN+3) is left out: a sanitizer's own thread (make asan,
# make tsan); in any other build such a thread fails the drop, exit 3.
caps_sig=$(kill -l SIGRTMIN+3)
status_of_threads() {
	local t
	for t in /proc/"$1"/task/*/status; do
		awk -v tid="$(basename "$(dirname "$t")")" -v sig="$caps_sig" '
			function blocked(hex, n,    i, d, v) {
				# bit n-1 of a hex mask, without 64-bit integers
				i = length(hex) - int((n - 1) / 4)
				d = index("0123456789abcdef", tolower(substr(hex, i, 1))) - 1
				return int(d / 2 ^ ((n - 1) % 4)) % 2
			}
			/^SigBlk:/ && blocked($2, sig) { skip = 1 }
			/^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):/ {
				f = $1; $1 = ""; sub(/^ /, ""); line[++n] = tid " " f " " $0 }
			END { if (!skip) for (i = 1; i <= n; i++) print line[i] }' "$t"
	done
}

# wait_dropped PID UID: waits (at most 5 s) until PID's main thread runs
# as UID; true when it does.
wait_dropped() {
	local i
	for i in $(seq 1 50); do
		[ -d /proc/"$1" ] || return 1
		awk -v u="$2" '/^Uid:/ { exit !($3 == u) }' /proc/"$1"/status 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# check_threads FILE WANT_UID WANT_GID WHAT: every thread in FILE (from
# status_of_threads) has the ids and empty capability sets.
check_threads() {
	local f=$1 u=$2 g=$3 what=$4 n bad
	n=$(awk '{ print $1 }' "$f" | sort -u | wc -l)
	bad=$(awk -v u="$u" -v g="$g" '
		$2 == "Uid:" && !($3 == u && $4 == u && $5 == u && $6 == u) { print }
		$2 == "Gid:" && !($3 == g && $4 == g && $5 == g && $6 == g) { print }
		$2 ~ /^Cap(Inh|Prm|Eff|Amb):$/ && $3 != "0000000000000000" { print }
		$2 == "NoNewPrivs:" && $3 != "1" { print }' "$f")
	check
	if [ "$n" -ge 2 ] && [ -z "$bad" ]; then
		ok "$what: all $n threads uid $u gid $g, no capability, no_new_privs"
	else
		fail "$what: $n threads; not dropped:"
		printf '%s\n' "${bad:-(no thread read)}" | head -12 | sed 's/^/    /'
	fi
}

# --------------------------------------------- as root: the default user
printf '%s\n# a comment\n%s\n' "$h" "$LAB_NAME_WEB_IP" >"$priv/targets"
out=$priv/drop.csv
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS -Pn -p "$ports" --states all --timeout 3000 \
	--retries 0 -iL "$priv/targets" --target-window 1 -o "$out" 2>"$LT_WORK/drop.err" &
pid=$!
if wait_dropped "$pid" "$nobody_uid"; then
	status_of_threads "$pid" >"$LT_WORK/drop.status"
	# The main thread's groups: nogroup only (setgroups), or none.
	check
	groups=$(awk '$2 == "Groups:" { $1 = $2 = ""; print }' "$LT_WORK/drop.status" | sort -u | xargs)
	[ -z "$groups" ] || [ "$groups" = "$nogroup_gid" ] &&
		ok "supplementary groups after the drop: '${groups}'" ||
		fail "supplementary groups after the drop: '$groups'"
else
	: >"$LT_WORK/drop.status"
fi
check_threads "$LT_WORK/drop.status" "$nobody_uid" "$nogroup_gid" "-sS as root, during the scan"
wait "$pid"
expect_eq "$?" 0 "-sS as root with the drop: exit status"
printf '%s\n%s\n' "$h" "$LAB_NAME_WEB_IP" >"$LT_WORK/hosts"
ports_of "$ports" >"$LT_WORK/ports"
expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
expect_same "$LT_WORK/expected" "$LT_WORK/actual" \
	"-sS after the drop, output in a mode-700 directory, targets file there in 2 windows"

# -------------------------- under sudo: the invoking user, unless --user
# sudo_case UID WHAT [ARGS]: a scan with SUDO_UID set to daemon's becomes UID.
sudo_case() {
	local want=$1 what=$2
	shift 2
	SUDO_UID=$sudo_uid SUDO_USER=daemon "$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS \
		-p "$fp" --timeout 2000 --retries 0 "$@" -o "$LT_RUN/sudo.csv" "$h" \
		>/dev/null 2>"$LT_WORK/sudo.err" &
	local pid=$! u=
	wait_dropped "$pid" "$want" && u=$want ||
		u=$(awk '/^Uid:/ { print $3 }' /proc/"$pid"/status 2>/dev/null)
	wait "$pid"
	expect_eq "$?" 0 "$what: exit status"
	expect_eq "$u" "$want" "$what: the uid the scan became"
}
if sudo_uid=$(id -u daemon 2>/dev/null) && [ "$sudo_uid" != "$nobody_uid" ]; then
	sudo_case "$sudo_uid" "SUDO_UID=$sudo_uid (daemon), no --user"
	sudo_case "$nobody_uid" "SUDO_UID=$sudo_uid, --user nobody" --user nobody
else
	say "note: no user daemon: the sudo case was not run"
fi

# ------------------------------------------------------- --user nosuchuser
lab_zero
err=$LT_WORK/nouser.err
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS -p "$fp" --user nosuchuser -o "$priv/nouser.csv" \
	"$h" >/dev/null 2>"$err"
expect_eq "$?" 2 "--user nosuchuser: exit status"
expect_eq "$(wc -l <"$err")" 1 "--user nosuchuser: one line on stderr"
check
grep -q "unknown user 'nosuchuser'" "$err" && ok "--user nosuchuser: says so" ||
	fail "--user nosuchuser: message: $(cat "$err")"
expect_eq "$(lab_counter lab-drop)" 0 "--user nosuchuser: SYNs sent"
check
[ ! -e "$priv/nouser.csv" ] && ok "--user nosuchuser: no output created" ||
	fail "--user nosuchuser created its output"

# ------------------------------------- a resume file nobody cannot write
err=$LT_WORK/resume.err
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS -p "$fp" --resume-file "$priv/x.resume" \
	-o "$priv/refused.csv" "$h" >/dev/null 2>"$err"
expect_eq "$?" 2 "--resume-file in a mode-700 directory: exit status"
expect_eq "$(wc -l <"$err")" 1 "--resume-file in a mode-700 directory: one line on stderr"
check
grep -q "resume file '$priv/x.resume'.*'nobody'.*--user" "$err" &&
	ok "--resume-file in a mode-700 directory: names the file, the user and --user" ||
	fail "--resume-file in a mode-700 directory: message: $(cat "$err")"
expect_eq "$(lab_counter lab-drop)" 0 "refused resume file: SYNs sent"
check
[ ! -e "$priv/refused.csv" ] && ok "refused resume file: no output created" ||
	fail "refused resume file: output created"
# --user root: no drop, so root's directory will do.
"$LAB" exec "$LAB_NAME" -- "$PORTOLAN" -sS -p 80 --user root --resume-file "$priv/x.resume" \
	-o "$priv/root.csv" "$h" >/dev/null 2>"$err"
expect_eq "$?" 0 "--user root, resume file in root's directory: exit status"

# ---------------------------------------------- setcap, run as nobody
if ! command -v setcap >/dev/null || ! command -v setpriv >/dev/null; then
	say "note: setcap (libcap2-bin) or setpriv (util-linux) not installed: setcap case not run"
	finish
fi
capbin=$LT_RUN/portolan-cap
cp "$PORTOLAN" "$capbin"
chmod 755 "$capbin"
if ! setcap cap_net_raw,cap_net_admin+ep "$capbin" 2>"$LT_WORK/setcap.err"; then
	say "note: setcap failed ($(cat "$LT_WORK/setcap.err")): setcap case not run"
	finish
fi
out=$LT_RUN/cap.csv
"$LAB" exec "$LAB_NAME" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$capbin" -sS -p "$ports" --states all --timeout 3000 --min-timeout 3000 --retries 0 \
	--resume-file "$LT_RUN/cap.resume" -o "$out" "$h" 2>"$LT_WORK/cap.err" &
pid=$!
# Running as nobody from the start: wait for the capture to be open (a raw
# socket among its descriptors), then for CapEff to empty.
capeff=
for i in $(seq 1 50); do
	capeff=$(awk '/^CapEff:/ { print $2 }' /proc/"$pid"/status 2>/dev/null)
	[ "$capeff" = 0000000000000000 ] && break
	sleep 0.1
done
status_of_threads "$pid" >"$LT_WORK/cap.status" 2>/dev/null
check_threads "$LT_WORK/cap.status" "$nobody_uid" "$nogroup_gid" "setcap binary run as nobody, during the scan"
wait "$pid"
expect_eq "$?" 0 "setcap binary run as nobody: exit status"
echo "$h" >"$LT_WORK/hosts"
expect_rows "$LT_WORK/hosts" "$LT_WORK/ports" >"$LT_WORK/expected"
csv_cols "$out" ip,port,state,reason >"$LT_WORK/actual"
expect_same "$LT_WORK/expected" "$LT_WORK/actual" "setcap binary run as nobody: -sS results"
finish
