#!/bin/sh
# GNU parallel over ssh: one shard of a portolan scan per host, then the
# merge here. Each host needs portolan and the same config file; the outputs
# come back with --return. PARALLEL_SEQ (1..N) gives the shard index for
# --shard auto; the count is given (--shard-count), as parallel does not
# export it.
#
#   contrib/parallel/portolan-ssh.sh audit.cfg scan1.example.org scan2.example.org ...
set -eu
[ $# -ge 2 ] || { echo "usage: $0 CONFIG HOST..." >&2; exit 2; }
cfg=$1
shift
n=$#
# --transferfile sends the config to every host; --return fetches the shard
# output and its manifest (PATH.shard.json); --cleanup removes them there.
# {#} is parallel's sequence number, the same as PARALLEL_SEQ and so the
# shard portolan names {shard}; -N0: the 1..N only count jobs, they are not
# arguments of portolan.
printf '%s\n' "$@" | parallel -N0 --jobs "$n" --sshloginfile - --transferfile "$cfg" \
	--return 'scan-{#}.json' --return 'scan-{#}.json.shard.json' --cleanup \
	portolan -c "$(basename "$cfg")" --shard auto --shard-count "$n" -o 'scan-{#}.json' ::: $(seq "$n")
# scan-N.json, not the manifests (scan-N.json.shard.json) merge reads beside them.
portolan merge $(seq -f 'scan-%g.json' "$n") -c "$cfg" -o merged.csv -o merged.json -o merged.xml
