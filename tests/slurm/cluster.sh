# tests/slurm/cluster.sh: a private one-node Slurm cluster on this machine; sourced.
# shellcheck shell=bash
#
#   cluster_up DIR     writes DIR/slurm.conf and a munge key, starts munged,
#                      slurmctld and slurmd (each in the foreground of its own
#                      background job, so the PIDs are ours), waits for the
#                      node to be idle, exports SLURM_CONF for sbatch & co.
#   cluster_down       stops the three daemons by PID (TERM, then KILL); safe
#                      to call twice; run it from an EXIT trap.
#   job_state ID       the state of job ID (or ID_TASK) from scontrol.
#   wait_job ID        waits until every task of ID has left PENDING/RUNNING.
#
# Nothing here touches /etc/slurm, /etc/munge or the system's munged: every
# file is under DIR, munged listens on its own socket (AuthInfo=socket=...),
# and slurmctld and slurmd take two free TCP ports chosen at start.
# No cgroups: proctrack/linuxproc and task/none, and a cgroup.conf that keeps
# slurmd off /sys/fs/cgroup, so it runs in a container or a chroot.

CL_DIR=
CL_PIDS=()

cl_say() { printf 'slurm-cluster: %s\n' "$*"; }

# A free TCP port pair in 20000-29999 (both unused on any address).
cl_free_ports() {
	local base used tries=0
	used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
	while [ $tries -lt 200 ]; do
		base=$((20000 + (RANDOM % 5000) * 2))
		if ! printf '%s\n' "$used" | grep -qx -e "$base" -e "$((base + 1))"; then
			echo "$base"
			return 0
		fi
		tries=$((tries + 1))
	done
	return 1
}

cl_write_conf() {
	local dir=$1 port=$2 cpus
	cpus=$(nproc)
	cat >"$dir/slurm.conf" <<CONF
# Written by tests/slurm/cluster.sh for one test run; not for production.
ClusterName=portolantest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
JobRequeue=1
KillWait=10
MinJobAge=3600
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
	# slurmd initialises a cgroup plugin even with proctrack/linuxproc and
	# task/none, and Slurm 22.05's "autodetect" fails where /sys/fs/cgroup is
	# not mounted (a chroot, some containers) or is a hybrid. The v1 plugin,
	# pointed at an empty directory of ours, needs no controller for these
	# plugins: the same config then works on v1, v2 and no cgroups at all.
	mkdir -p "$dir/cgroup"
	cat >"$dir/cgroup.conf" <<CONF
# Written by tests/slurm/cluster.sh; see there for why.
CgroupPlugin=cgroup/v1
CgroupMountpoint=$dir/cgroup
CONF
}

# Starts one daemon in the background, logging to DIR/NAME.out; records its PID.
cl_start() {
	local name=$1
	shift
	"$@" >"$CL_DIR/$name.out" 2>&1 &
	CL_PIDS+=("$!")
	cl_say "started $name (pid $!)"
}

cl_alive() { kill -0 "$1" 2>/dev/null; }

cluster_up() {
	local port i
	CL_DIR=$1
	mkdir -p "$CL_DIR/munge" "$CL_DIR/state" "$CL_DIR/spool" || return 1
	chmod 700 "$CL_DIR/munge"
	port=$(cl_free_ports) || { cl_say "no free port pair found"; return 1; }
	cl_write_conf "$CL_DIR" "$port"
	export SLURM_CONF=$CL_DIR/slurm.conf
	# Our own key: 1024 random bytes, owned by us, mode 0400 (munged insists).
	head -c 1024 /dev/urandom >"$CL_DIR/munge/munge.key" && chmod 400 "$CL_DIR/munge/munge.key"
	# --force: munged refuses to run as root without it.
	cl_start munged munged --foreground --force \
		--key-file="$CL_DIR/munge/munge.key" --socket="$CL_DIR/munge/munge.socket" \
		--pid-file="$CL_DIR/munge/munged.pid" --log-file="$CL_DIR/munge/munged.log" \
		--seed-file="$CL_DIR/munge/munged.seed"
	for i in $(seq 100); do
		[ -S "$CL_DIR/munge/munge.socket" ] && break
		cl_alive "${CL_PIDS[0]}" || break
		sleep 0.1
	done
	if [ ! -S "$CL_DIR/munge/munge.socket" ]; then
		cl_say "munged did not start:"; cat "$CL_DIR/munged.out" "$CL_DIR/munge/munged.log" 2>/dev/null
		return 1
	fi
	cl_start slurmctld slurmctld -D -i -f "$SLURM_CONF"
	cl_start slurmd slurmd -D -N localhost -f "$SLURM_CONF"
	# The node registers within a few seconds; bounded so a broken start fails.
	for i in $(seq 120); do
		if sinfo -h -N -o '%T' 2>/dev/null | grep -qx 'idle'; then
			cl_say "node localhost idle (ports $port, $((port + 1)); $(nproc) CPUs)"
			return 0
		fi
		for p in "${CL_PIDS[@]}"; do
			cl_alive "$p" || { cl_say "a daemon (pid $p) exited early"; cl_dump; return 1; }
		done
		sleep 0.5
	done
	cl_say "node never became idle: $(sinfo -h -N -o '%T %E' 2>&1)"
	cl_dump
	return 1
}

cl_dump() {
	local f
	for f in slurmctld.out slurmd.out slurmctld.log slurmd.log; do
		[ -s "$CL_DIR/$f" ] || continue
		echo "---- $f (last 15 lines)"; tail -n 15 "$CL_DIR/$f"
	done
}

# cl_holders DIR...: PIDs (not this shell) with a file under one of DIR open:
# the slurmstepd of our jobs (slurmd.log) and the jobs' processes (their
# logs and outputs under the test's directory). Nothing found by name.
cl_holders() {
	local d
	for d in "$@"; do
		find /proc/[0-9]*/fd -maxdepth 1 -lname "$d/*" 2>/dev/null
	done | cut -d/ -f3 | grep -vx -e "$$" -e "$BASHPID" | sort -u
}

cluster_down() {
	local p i n=${#CL_PIDS[@]} left
	[ "$n" -gt 0 ] || return 0
	# Jobs still running are ours: cancel them and let slurmd end them (bounded).
	scancel --partition=test >/dev/null 2>&1 || true
	for i in $(seq 60); do
		squeue -h -t R,CG,CF 2>/dev/null | grep -q . || break
		sleep 0.5
	done
	# Reverse order: slurmd, slurmctld, munged.
	for ((i = n - 1; i >= 0; i--)); do
		p=${CL_PIDS[i]}
		cl_alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for p in "${CL_PIDS[@]}"; do
		for i in $(seq 50); do cl_alive "$p" || break; sleep 0.1; done
		cl_alive "$p" && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	CL_PIDS=()
	# Whatever still holds a file of this cluster or of the caller's work
	# directory (CL_EXTRA_DIRS) was started by it: a slurmstepd or a job.
	left=$(cl_holders "$CL_DIR" ${CL_EXTRA_DIRS:-})
	if [ -n "$left" ]; then
		cl_say "killing leftovers: $(echo $left)"
		kill -KILL $left 2>/dev/null
	fi
	return 0
}

# job_state ID: one state per task, e.g. "COMPLETED" lines.
job_state() { scontrol -o show job "$1" 2>/dev/null | sed -nE 's/.* JobState=([A-Z_]+) .*/\1/p'; }

# wait_job ID [MAX_SECONDS]: until no task is PENDING/RUNNING/COMPLETING/REQUEUED.
wait_job() {
	local id=$1 max=${2:-600} i st
	for ((i = 0; i < max * 2; i++)); do
		st=$(job_state "$id")
		[ -n "$st" ] || return 1
		printf '%s\n' "$st" | grep -qE 'PENDING|RUNNING|COMPLETING|CONFIGURING|REQUEUE|SUSPENDED' || return 0
		sleep 0.5
	done
	return 1
}
