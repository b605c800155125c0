#!/usr/bin/env bash
# 5-names-v6-exclude: host-name targets (resolved from the scanner namespace's
# /etc/hosts; the host column holds the name), IPv6 addresses, an IPv6 name and
# an IPv6 CIDR, --exclude (addresses, CIDRs, a range, a name; v4 and v6) and a
# -i targets file. Each: ip,host,port,state,reason exact, with the connect
# scan and then with the SYN scan (-sS), which must give the same rows.
. "$(dirname "$0")/lib.sh"
lab_start

fp=$LAB_FILTERED_LO
ports="22,1000,$LAB_SPECIAL_PORT,$fp"
ports_of "$ports" >"$LT_WORK/ports"

# case_rows LABEL "IP HOST"... > expected rows "ip,host,port,state,reason"
case_rows() {
	local pair ip host
	for pair in "$@"; do
		ip=${pair% *}
		host=${pair#* }
		[ "$host" = - ] && host=
		echo "$ip" >"$LT_WORK/one.host"
		expect_rows "$LT_WORK/one.host" "$LT_WORK/ports" | awk -F, -v h="$host" '{ print $1 "," h "," $2 "," $3 "," $4 }'
	done
}

# run_case LABEL "SCAN ARGS" "IP HOST"...   (HOST "-" for none)
run_case() {
	local label=$1$METHOD_TAG args="$METHOD_ARGS $2" out=$LT_WORK/$1$METHOD_TAG.csv
	shift 2
	# shellcheck disable=SC2086
	if scan "$out" -Pn -p "$ports" --states all --timeout 300 --retries 0 $args; then
		case_rows "$@" >"$LT_WORK/$label.expected"
		csv_cols "$out" ip,host,port,state,reason >"$LT_WORK/$label.actual"
		expect_same "$LT_WORK/$label.expected" "$LT_WORK/$label.actual" "$label ($args)"
	fi
}

all_cases() {
	run_case names "$LAB_NAME_WEB $LAB_NAME_DB $LAB_NAME_SPECIAL" \
		"$LAB_NAME_WEB_IP $LAB_NAME_WEB" "$LAB_NAME_DB_IP $LAB_NAME_DB" "$LAB_NAME_SPECIAL_IP $LAB_NAME_SPECIAL"
	run_case v6-addrs "$LAB_NAME_V6_IP $LAB_SPECIAL_HOST6" "$LAB_NAME_V6_IP -" "$LAB_SPECIAL_HOST6 -"
	run_case v6-name "$LAB_NAME_V6" "$LAB_NAME_V6_IP $LAB_NAME_V6"
	b6=${LAB_BLOCK6%%::*}::                           # 2001:db8:1::
	run_case v6-cidr "${b6}20/126" "${b6}20 -" "${b6}21 -" "${b6}22 -" "${b6}23 -"

	b4=${LAB_HOST4%.*}                                # 198.19.0
	b4=${b4%.*}.2                                     # 198.19.2
	keep=()
	for i in 0 1 2 3 8 10 11 14 15; do keep+=("$b4.$i -"); done
	run_case exclude-v4 "$b4.0/28 $LAB_NAME_DB $LAB_NAME_WEB --exclude $b4.4/30,$b4.9,$b4.12-13,$LAB_NAME_WEB" \
		"${keep[@]}" "$LAB_NAME_DB_IP $LAB_NAME_DB"
	run_case exclude-v6 "${b6}20/126 --exclude ${b6}22,${b6}23" "${b6}20 -" "${b6}21 -"

	# A targets file: comments, blank lines, several specs on a line.
	tf=$LT_WORK/targets.txt
	printf '# lab targets\n%s\n\n%s/31, %s   # trailing comment\n' "$b4.100" "$b4.110" "$LAB_NAME_WEB" >"$tf"
	run_case targets-file "-i $tf" "$b4.100 -" "$b4.110 -" "$b4.111 -" "$LAB_NAME_WEB_IP $LAB_NAME_WEB"
}

METHOD_ARGS= METHOD_TAG=
all_cases
METHOD_ARGS=-sS METHOD_TAG=-syn
all_cases
finish
