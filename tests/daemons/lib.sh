# tests/daemons/lib.sh: real daemons on 127.0.0.1 for the service-detection
# test (tests/daemons/run) and benchmark (bench/detect). Sourced, not run.
#
#   . tests/daemons/lib.sh
#   why=$(dm_can_run) || skip "$why"          # root, apt-get, dpkg-query, ss
#   why=$(dm_install NAME... +PKG) || skip    # apt-get what is missing
#   dm_setup                                  # scratch dir; EXIT trap stops all
#   dm_start NAME                             # configure, start, wait for ports
#   dm_ports NAME, dm_port NAME [i], dm_pid NAME
#   dm_vpkg NAME; dm_upstream_version PKG     # what the daemon should report
#   dm_stop_all                               # by PID; also run by the trap
#
# A daemon NAME has a row in each table below: its loopback ports
# (DM_PORTS), the Debian packages it needs (DM_PKGS), its executable
# (DM_BIN: the package that owns it carries the version the daemon reports),
# and a function dm_start_NAME that writes its config under $DM_DIR/NAME and
# starts it in the foreground as a background job of this shell, so that
# $! is the daemon's own PID, the one dm_stop_all signals.
# Only 127.0.0.1 is bound; nothing goes through systemd or init scripts.

DM_ALL=(ssh nginx apache vsftpd postfix dovecot redis memcached postgresql pgtrust mariadb mosquitto)

# Loopback ports, space-separated where one daemon serves several (dovecot:
# POP3 then IMAP). Override one with DM_PORT_<name>=N in the environment.
declare -A DM_PORTS=(
	[ssh]=20022 [vsftpd]=20021 [postfix]=20025 [nginx]=20080 [apache]=20081
	[dovecot]="20110 20143" [mariadb]=23306 [postgresql]=25432
	[redis]=26379 [memcached]=21211 [mosquitto]=21883 [pgtrust]=25433
)
declare -A DM_PKGS=(
	[ssh]=openssh-server [nginx]=nginx [apache]=apache2 [vsftpd]=vsftpd
	[postfix]=postfix [dovecot]="dovecot-core dovecot-pop3d dovecot-imapd"
	[redis]=redis-server [memcached]=memcached [postgresql]=postgresql
	[mariadb]=mariadb-server [mosquitto]=mosquitto [pgtrust]=postgresql
)
# Signal for a fast clean stop (postgres: TERM waits for clients to leave).
declare -A DM_STOPSIG=([postgresql]=INT [pgtrust]=INT)
# The daemon's executable: the package that owns it (dpkg -S) gives the
# version the daemon reports (postgresql, a metapackage, is resolved to
# postgresql-NN that way; redis-server's binary lives in redis-tools).
declare -A DM_BIN=(
	[ssh]=/usr/sbin/sshd [nginx]=/usr/sbin/nginx [apache]=/usr/sbin/apache2
	[vsftpd]=/usr/sbin/vsftpd [postfix]=/usr/lib/postfix/sbin/master
	[dovecot]=/usr/sbin/dovecot [redis]=/usr/bin/redis-server
	[memcached]=/usr/bin/memcached [postgresql]=@pg [pgtrust]=@pg
	[mariadb]=/usr/sbin/mariadbd [mosquitto]=/usr/sbin/mosquitto
)
declare -A DM_PID=()
DM_DIR=
DM_APT_LOG=${DM_APT_LOG:-/tmp/portolan-daemons-apt.log}
DM_START_TIMEOUT=${DM_START_TIMEOUT:-30}   # seconds for one daemon to listen

for _n in "${!DM_PORTS[@]}"; do
	_v=DM_PORT_$_n
	[ -n "${!_v:-}" ] && DM_PORTS[$_n]=${!_v}
done
unset _n _v
dm_ports() { printf '%s' "${DM_PORTS[$1]}"; }
dm_port() { local p; read -ra p <<<"${DM_PORTS[$1]}"; printf '%s' "${p[${2:-0}]}"; }
dm_pid() { printf '%s' "${DM_PID[$1]:-}"; }
dm_log() { printf '%s\n' "$*" >&2; }

# --------------------------------------------------------------- packages
dm_installed() { # PKG: true when dpkg says "install ok installed"
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Why the daemons cannot run here, or nothing (status 0) when they can.
dm_can_run() {
	if [ "$(id -u)" != 0 ]; then echo "not root"; return 1; fi
	local t
	for t in apt-get dpkg-query setpriv ss; do
		command -v "$t" >/dev/null || { echo "$t not found"; return 1; }
	done
	return 0
}

# Installs the packages of daemons NAME... (and any extra package names given
# as +PKG) that are not installed yet. A temporary policy-rc.d that exits 101
# keeps the postinst scripts from starting the services (unless the machine
# already has one, which is left alone). Prints why on failure.
dm_install() {
	local want=() missing=() n p
	for n in "$@"; do
		case $n in
		+*) want+=("${n#+}") ;;
		*) for p in ${DM_PKGS[$n]}; do want+=("$p"); done ;;
		esac
	done
	for p in "${want[@]}"; do
		dm_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local guard=/usr/sbin/policy-rc.d made=0 rc
	if [ ! -e "$guard" ]; then
		printf '#!/bin/sh\n# portolan tests/daemons: no service starts during apt-get install\nexit 101\n' >"$guard"
		chmod 755 "$guard"
		made=1
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
	dm_log "daemons: apt-get install ${missing[*]} (log: $DM_APT_LOG)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" >"$DM_APT_LOG" 2>&1
	rc=$?
	if [ $made = 1 ]; then
		rm -f "$guard"
		trap - EXIT INT TERM
	fi
	if [ $rc -ne 0 ]; then
		echo "apt-get install ${missing[*]} failed (status $rc, see $DM_APT_LOG)"
		return 1
	fi
	for p in "${missing[@]}"; do
		dm_installed "$p" || { echo "$p still not installed after apt-get"; return 1; }
	done
	return 0
}

# Major version of the newest PostgreSQL server installed (/usr/lib/postgresql/NN).
dm_pg_major() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1)
	d=${d%/bin/postgres}
	printf '%s' "${d##*/}"
}

dm_bin() { # NAME: the daemon's executable
	local b=${DM_BIN[$1]}
	[ "$b" = @pg ] && b=/usr/lib/postgresql/$(dm_pg_major)/bin/postgres
	printf '%s' "$b"
}

# The package that owns daemon NAME's executable: its version is the one
# the daemon reports.
dm_vpkg() {
	local f p
	f=$(readlink -f "$(dm_bin "$1")") || return 1
	p=$(dpkg-query -S "$f" 2>/dev/null | grep -v '^diversion by' | head -n 1) || return 1
	p=${p%%:*}
	[ -n "$p" ] && printf '%s' "$p"
}

# Debian version -> the upstream version the daemon itself reports:
# drop the epoch (N:), the Debian revision (last -...), and repack suffixes
# (+dfsg..., +ds..., ~...). 1:9.2p1-2+deb12u3 -> 9.2p1, 5:7.0.15-1~deb12u1
# -> 7.0.15, 3.0.3-13+b2 -> 3.0.3, 1:2.3.19.1+dfsg1-2.1 -> 2.3.19.1.
dm_upstream() {
	local v=$1
	v=${v#*:}
	case $v in *-*) v=${v%-*} ;; esac
	v=${v%%+dfsg*}; v=${v%%+ds*}; v=${v%%~*}
	printf '%s' "$v"
}
dm_upstream_version() { # PKG
	local v
	v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || return 1
	[ -n "$v" ] || return 1
	dm_upstream "$v"
}

# ------------------------------------------------------------- processes
dm_setup() {
	DM_DIR=$(mktemp -d /tmp/portolan-daemons.XXXXXX) || return 1
	chmod 755 "$DM_DIR"   # daemons drop to their own users and read under it
	trap 'dm_stop_all' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

dm_listening() { # PORT: something listens on 127.0.0.1:PORT
	ss -Htln "sport = :$1" 2>/dev/null | grep -q "127.0.0.1:$1\b"
}

dm_accepts() { # PORT: a connection to 127.0.0.1:PORT succeeds
	dm_listening "$1" && (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until all of NAME's ports accept connections, or its process dies.
dm_wait() {
	local n=$1 pid=${DM_PID[$1]} i port up
	for ((i = 0; i < DM_START_TIMEOUT * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			dm_log "daemons: $n (pid $pid) exited during start-up; its files: $DM_DIR/$n"
			return 1
		fi
		up=1
		for port in ${DM_PORTS[$n]}; do
			dm_accepts "$port" || { up=0; break; }
		done
		[ $up = 1 ] && return 0
		sleep 0.1
	done
	dm_log "daemons: $n does not listen on 127.0.0.1:${DM_PORTS[$n]// /,} after ${DM_START_TIMEOUT}s; its files: $DM_DIR/$n"
	return 1
}

# Starts daemon NAME; status 0 once it accepts connections on its port.
dm_start() {
	local n=$1 port d=$DM_DIR/$1
	for port in ${DM_PORTS[$n]}; do
		if dm_listening "$port"; then
			dm_log "daemons: 127.0.0.1:$port (for $n) is already in use"
			return 1
		fi
	done
	mkdir -p "$d"
	DM_LAST_PID=
	"dm_start_$n" "$d" ${DM_PORTS[$n]} >"$d/stdout.log" 2>&1 </dev/null
	if [ -z "$DM_LAST_PID" ]; then
		dm_log "daemons: $n: set-up failed; its files: $d"
		return 1
	fi
	DM_PID[$n]=$DM_LAST_PID
	dm_wait "$n"
}

# Stops the daemons this shell started: TERM, then KILL after 10 s; by PID only.
dm_stop_all() {
	local n pid i alive
	for n in "${!DM_PID[@]}"; do
		pid=${DM_PID[$n]}
		[ -n "$pid" ] && kill "-${DM_STOPSIG[$n]:-TERM}" "$pid" 2>/dev/null
	done
	for ((i = 0; i < 100; i++)); do
		alive=0
		for n in "${!DM_PID[@]}"; do
			kill -0 "${DM_PID[$n]}" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for n in "${!DM_PID[@]}"; do
		pid=${DM_PID[$n]}
		if kill -0 "$pid" 2>/dev/null; then
			dm_log "daemons: $n (pid $pid) ignored TERM: KILL"
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
		unset "DM_PID[$n]"
	done
	if [ -n "$DM_DIR" ] && [ -d "$DM_DIR" ] && [ -z "${DM_KEEP:-}" ]; then
		rm -rf "$DM_DIR"
	fi
	DM_DIR=
}

# ---------------------------------------------------------------- daemons
# dm_start_NAME DIR PORT: write the config into DIR, start the daemon in the
# foreground as a background job of this shell, set DM_LAST_PID=$!.
# Settings that change what goes on the wire follow Debian's defaults.

dm_start_ssh() {
	local d=$1 port=$2
	mkdir -p /run/sshd && chmod 755 /run/sshd   # privilege separation dir
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" || return 1
	cat >"$d/sshd_config" <<-EOF
	Port $port
	ListenAddress 127.0.0.1
	HostKey $d/host_ed25519
	PidFile $d/sshd.pid
	UsePAM no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	EOF
	/usr/sbin/sshd -D -e -f "$d/sshd_config" &
	DM_LAST_PID=$!
}

dm_start_nginx() {
	local d=$1 port=$2
	mkdir -p "$d/html" "$d/tmp"
	echo 'portolan test' >"$d/html/index.html"
	cat >"$d/nginx.conf" <<-EOF
	worker_processes 1;
	pid $d/nginx.pid;
	error_log $d/error.log;
	events { worker_connections 64; }
	http {
	    access_log $d/access.log;
	    client_body_temp_path $d/tmp/body;
	    proxy_temp_path $d/tmp/proxy;
	    fastcgi_temp_path $d/tmp/fastcgi;
	    uwsgi_temp_path $d/tmp/uwsgi;
	    scgi_temp_path $d/tmp/scgi;
	    server {
	        listen 127.0.0.1:$port;
	        root $d/html;
	    }
	}
	EOF
	/usr/sbin/nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' &
	DM_LAST_PID=$!
}

dm_start_apache() {
	local d=$1 port=$2 m=/usr/lib/apache2/modules
	mkdir -p "$d/html" "$d/run"
	echo 'portolan test' >"$d/html/index.html"
	# ServerTokens OS: Debian's conf-enabled/security.conf.
	cat >"$d/apache2.conf" <<-EOF
	ServerRoot $d
	DefaultRuntimeDir $d/run
	PidFile $d/run/apache2.pid
	LoadModule mpm_event_module $m/mod_mpm_event.so
	LoadModule authz_core_module $m/mod_authz_core.so
	LoadModule dir_module $m/mod_dir.so
	User www-data
	Group www-data
	ServerName localhost
	ServerTokens OS
	Listen 127.0.0.1:$port
	ErrorLog $d/error.log
	DocumentRoot $d/html
	<Directory $d/html>
	    Require all granted
	</Directory>
	EOF
	/usr/sbin/apache2 -d "$d" -f "$d/apache2.conf" -DFOREGROUND &
	DM_LAST_PID=$!
}

dm_start_vsftpd() {
	local d=$1 port=$2
	mkdir -p /var/run/vsftpd/empty
	cat >"$d/vsftpd.conf" <<-EOF
	listen=YES
	listen_ipv6=NO
	listen_address=127.0.0.1
	listen_port=$port
	background=NO
	anonymous_enable=NO
	local_enable=YES
	pam_service_name=vsftpd
	secure_chroot_dir=/var/run/vsftpd/empty
	vsftpd_log_file=$d/vsftpd.log
	EOF
	/usr/sbin/vsftpd "$d/vsftpd.conf" &
	DM_LAST_PID=$!
}

dm_start_postfix() {
	local d=$1 port=$2
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chown postfix "$d/data"
	# smtpd_banner: the one Debian's postinst writes into main.cf.
	cat >"$d/conf/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $d/queue
	data_directory = $d/data
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = portolan-test.localdomain
	mydestination =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
	maillog_file = $d/postfix.log
	maillog_file_prefixes = $d
	alias_maps =
	alias_database =
	EOF
	cat >"$d/conf/master.cf" <<-EOF
	127.0.0.1:$port inet n - n - - smtpd
	cleanup unix n - n - 0 cleanup
	proxymap unix - - n - - proxymap
	anvil unix - - n - 1 anvil
	postlog unix-dgram n - n - 1 postlogd
	EOF
	/usr/sbin/postfix -c "$d/conf" check >"$d/check.log" 2>&1 || return 1
	# Its own process group: on TERM, master kills its group (its children).
	setsid /usr/lib/postfix/sbin/master -c "$d/conf" -d &
	DM_LAST_PID=$!
}

# One dovecot serves POP3 and IMAP. It says neither its version nor more
# than "Dovecot (Debian) ready." before login (Debian's login_greeting).
dm_start_dovecot() { # DIR POP3-PORT IMAP-PORT
	local d=$1 pop3=$2 imap=$3
	mkdir -p "$d/run" "$d/state"
	cat >"$d/dovecot.conf" <<-EOF
	protocols = pop3 imap
	listen = 127.0.0.1
	base_dir = $d/run
	state_dir = $d/state
	log_path = $d/dovecot.log
	ssl = no
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
	    port = 0
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
	/usr/sbin/dovecot -F -c "$d/dovecot.conf" &
	DM_LAST_PID=$!
}

dm_start_redis() {
	local d=$1 port=$2
	chown redis:redis "$d"
	setpriv --reuid=redis --regid=redis --init-groups -- \
		/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --dir "$d" \
		--daemonize no --save '' --appendonly no --logfile "$d/redis.log" &
	DM_LAST_PID=$!
}

dm_start_memcached() {
	local d=$1 port=$2
	/usr/bin/memcached -l 127.0.0.1 -p "$port" -U 0 -u memcache -m 16 &
	DM_LAST_PID=$!
}

# dm_start_pg DIR PORT SUPERUSER HOST-AUTH: a cluster of its own, run as
# the postgres user, listening on 127.0.0.1:PORT and a socket in DIR.
dm_start_pg() {
	local d=$1 port=$2 user=$3 auth=$4 bin
	bin=/usr/lib/postgresql/$(dm_pg_major)/bin
	chown postgres:postgres "$d"
	setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$bin/initdb" -D "$d/data" -U "$user" --auth-local=peer \
		--auth-host="$auth" >"$d/initdb.log" 2>&1 || return 1
	setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$bin/postgres" -D "$d/data" -k "$d" -h 127.0.0.1 -p "$port" &
	DM_LAST_PID=$!
}
# As Debian's pg_hba.conf has it for TCP: scram-sha-256. The server asks
# for a password before it says anything about its version.
dm_start_postgresql() { dm_start_pg "$1" "$2" postgres scram-sha-256; }
# "trust" and a role named like the one portolan's StartupMessage asks for
# ("portolan"): the server lets it in and reports server_version.
dm_start_pgtrust() { dm_start_pg "$1" "$2" portolan trust; }

dm_start_mariadb() {
	local d=$1 port=$2
	chown mysql:mysql "$d"
	mariadb-install-db --no-defaults --user=mysql --datadir="$d/data" \
		--auth-root-authentication-method=socket --skip-test-db \
		>"$d/install-db.log" 2>&1 || return 1
	/usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$d/data" \
		--socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
		--bind-address=127.0.0.1 --port="$port" --log-error="$d/error.log" \
		--skip-log-bin &
	DM_LAST_PID=$!
}

dm_start_mosquitto() {
	local d=$1 port=$2
	cat >"$d/mosquitto.conf" <<-EOF
	listener $port 127.0.0.1
	allow_anonymous false
	persistence false
	log_dest file $d/mosquitto.log
	EOF
	chown mosquitto "$d"
	/usr/sbin/mosquitto -c "$d/mosquitto.conf" &
	DM_LAST_PID=$!
}
