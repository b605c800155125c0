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

DM_ALL=(ssh nginx apache vsftpd postfix dovecot redis memcached postgresql pgtrust mariadb mosquitto
	bind unbound dnsmasq nsd knot slapd squid tinyproxy privoxy lighttpd haproxy icecast cups
	dropbear zabbix beanstalkd gearman sentinel ngircd prosody svnserve rsync git nut smbd)

# Loopback ports, space-separated where one daemon serves several (dovecot:
# POP3 then IMAP). Override one with DM_PORT_<name>=N in the environment.
declare -A DM_PORTS=(
	[ssh]=20022 [vsftpd]=20021 [postfix]=20025 [nginx]=20080 [apache]=20081
	[dovecot]="20110 20143" [mariadb]=23306 [postgresql]=25432
	[redis]=26379 [memcached]=21211 [mosquitto]=21883 [pgtrust]=25433
	[bind]=53 [unbound]=5300 [dnsmasq]=5353 [nsd]=8053 [knot]=20057
	[slapd]=389 [squid]=23128 [tinyproxy]=28888 [privoxy]=28118
	[lighttpd]=20082 [haproxy]=20083 [icecast]=28000 [cups]=20631
	[dropbear]=20222 [zabbix]=10050 [beanstalkd]=21300 [gearman]=24730
	[sentinel]=26380 [ngircd]=26667 [prosody]=25222 [svnserve]=23690
	[rsync]=20873 [git]=29418 [nut]=3493 [smbd]=445
)
declare -A DM_PKGS=(
	[ssh]=openssh-server [nginx]=nginx [apache]=apache2 [vsftpd]=vsftpd
	[postfix]=postfix [dovecot]="dovecot-core dovecot-pop3d dovecot-imapd"
	[redis]=redis-server [memcached]=memcached [postgresql]=postgresql
	[mariadb]=mariadb-server [mosquitto]=mosquitto [pgtrust]=postgresql
	[bind]=bind9 [unbound]=unbound [dnsmasq]=dnsmasq-base [nsd]=nsd [knot]=knot
	[slapd]=slapd [squid]=squid [tinyproxy]=tinyproxy [privoxy]=privoxy
	[lighttpd]=lighttpd [haproxy]=haproxy [icecast]=icecast2 [cups]=cups
	[dropbear]=dropbear-bin [zabbix]=zabbix-agent [beanstalkd]=beanstalkd
	[gearman]=gearman-job-server [sentinel]=redis-sentinel [ngircd]=ngircd
	[prosody]=prosody [svnserve]=subversion [rsync]=rsync [git]=git
	[nut]=nut-server [smbd]=samba
)
# Signal for a fast clean stop (postgres: TERM waits for clients to leave).
declare -A DM_STOPSIG=([postgresql]=INT [pgtrust]=INT [squid]=INT)
# The daemon's executable: the package that owns it (dpkg -S) gives the
# version the daemon reports (postgresql, a metapackage, is resolved to
# postgresql-NN that way; redis-server's binary lives in redis-tools).
declare -A DM_BIN=(
	[ssh]=/usr/sbin/sshd [nginx]=/usr/sbin/nginx [apache]=/usr/sbin/apache2
	[vsftpd]=/usr/sbin/vsftpd [postfix]=/usr/lib/postfix/sbin/master
	[dovecot]=/usr/sbin/dovecot [redis]=/usr/bin/redis-server
	[memcached]=/usr/bin/memcached [postgresql]=@pg [pgtrust]=@pg
	[mariadb]=/usr/sbin/mariadbd [mosquitto]=/usr/sbin/mosquitto
	[bind]=/usr/sbin/named [unbound]=/usr/sbin/unbound [dnsmasq]=/usr/sbin/dnsmasq
	[nsd]=/usr/sbin/nsd [knot]=/usr/sbin/knotd [slapd]=/usr/sbin/slapd
	[squid]=/usr/sbin/squid [tinyproxy]=/usr/bin/tinyproxy [privoxy]=/usr/sbin/privoxy
	[lighttpd]=/usr/sbin/lighttpd [haproxy]=/usr/sbin/haproxy [icecast]=/usr/bin/icecast2
	[cups]=/usr/sbin/cupsd [dropbear]=/usr/sbin/dropbear [zabbix]=/usr/sbin/zabbix_agentd
	[beanstalkd]=/usr/bin/beanstalkd [gearman]=/usr/sbin/gearmand
	[sentinel]=/usr/bin/redis-server [ngircd]=/usr/sbin/ngircd [prosody]=/usr/bin/prosody
	[svnserve]=/usr/bin/svnserve [rsync]=/usr/bin/rsync [git]=/usr/lib/git-core/git-daemon
	[nut]=/lib/nut/upsd [smbd]=/usr/sbin/smbd
)
# What tests/daemons/run checks (and bench/detect counts), one line per
# service port:
#   label  daemon  port-index  service  product  version-check
# version-check: "exact": version == upstream version of the daemon's
# package; "prefix": the daemon says only the first components (2.4 of
# 2.4.2), which must start the upstream version; "hidden": the protocol does
# not reveal the version before login, so version must be empty (or, should
# a probe ever learn it, correct).
# product "-": the protocol does not name the software, not checked.
DM_CHECKS=(
	"ssh        ssh        0 ssh        OpenSSH        exact"
	"nginx      nginx      0 http       nginx          exact"
	"apache     apache     0 http       Apache_httpd   exact"
	"vsftpd     vsftpd     0 ftp        vsftpd         exact"
	# Postfix greets with smtpd_banner, Debian's "$myhostname ESMTP
	# $mail_name (Debian/GNU)": the name, no version ($mail_version is not
	# in it, nor in any reply before a message is sent).
	"postfix    postfix    0 smtp       Postfix        hidden"
	# Dovecot's greeting is login_greeting, "Dovecot (Debian) ready." on
	# Debian; the version is not said before login (IMAP ID answers only
	# name "Dovecot" too).
	"pop3       dovecot    0 pop3       Dovecot_pop3d  hidden"
	"imap       dovecot    1 imap       Dovecot_imapd  hidden"
	"redis      redis      0 redis      Redis          exact"
	"memcached  memcached  0 memcache   memcached      exact"
	# PostgreSQL with Debian's pg_hba (scram-sha-256 for TCP) answers the
	# StartupMessage with an authentication request: no server_version
	# before a password.
	"postgresql postgresql 0 postgresql PostgreSQL     hidden"
	# PostgreSQL with trust for portolan's user: server_version is sent.
	"pgtrust    pgtrust    0 postgresql PostgreSQL     exact"
	"mariadb    mariadb    0 mysql      MariaDB        exact"
	# Mosquitto answers CONNECT with a 4-byte CONNACK that names neither the
	# broker nor its version ($SYS/broker/version needs a subscription,
	# which needs a login when allow_anonymous is false, Mosquitto 2's
	# default).
	"mosquitto  mosquitto  0 mqtt       -              hidden"
	# DNS over TCP: version.bind (CHAOS TXT). BIND appends the Debian
	# revision, which goes to info.
	"bind       bind       0 domain     ISC_BIND       exact"
	"unbound    unbound    0 domain     Unbound        exact"
	"dnsmasq    dnsmasq    0 domain     dnsmasq        exact"
	"nsd        nsd        0 domain     NSD            exact"
	"knot       knot       0 domain     Knot_DNS       exact"
	# OpenLDAP: the root DSE's objectClass OpenLDAProotDSE names it; no
	# version is published without the monitor backend.
	"slapd      slapd      0 ldap       OpenLDAP       hidden"
	"squid      squid      0 http-proxy Squid_http_proxy exact"
	"tinyproxy  tinyproxy  0 http-proxy tinyproxy      exact"
	"privoxy    privoxy    0 http-proxy Privoxy        exact"
	"lighttpd   lighttpd   0 http       lighttpd       exact"
	# HAProxy sends no Server header; its own 503 page names it by its
	# wording only, and no version.
	"haproxy    haproxy    0 http       HAProxy        hidden"
	"icecast    icecast    0 http       Icecast        exact"
	# CUPS: "Server: CUPS/2.4 IPP/2.1" (ServerTokens Minimal, its default):
	# major.minor only, which must be the start of the package's version.
	"cups       cups       0 ipp        CUPS           prefix"
	"dropbear   dropbear   0 ssh        Dropbear_sshd  exact"
	"zabbix     zabbix     0 zabbix-agent Zabbix_agent exact"
	"beanstalkd beanstalkd 0 beanstalkd beanstalkd     exact"
	"gearman    gearman    0 gearman    gearmand       exact"
	# Redis Sentinel: INFO says redis_mode:sentinel and the server's version.
	"sentinel   sentinel   0 redis      Redis          exact"
	"ngircd     ngircd     0 irc        ngircd         exact"
	# Prosody's stream header and features (SASL mechanisms) name neither
	# the software nor its version before login.
	"prosody    prosody    0 xmpp-client -             hidden"
	# svnserve's greeting gives the protocol range, not Subversion's version.
	"svnserve   svnserve   0 svn        Subversion_svnserve hidden"
	# rsync's greeting gives the protocol (32.0), shared by several releases.
	"rsync      rsync      0 rsync      rsync          hidden"
	"git        git        0 git        git_daemon     exact"
	"nut        nut        0 nut        NUT_upsd       exact"
	# Samba's SMB2 NEGOTIATE response names neither Samba nor its version
	# (both come after authentication).
	"smbd       smbd       0 microsoft-ds -            hidden"
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
	local f b p
	b=$(dm_bin "$1")
	f=$(readlink -f "$b") || return 1
	# dpkg knows a file by the path in its package: the resolved one, or
	# (usrmerge: /lib -> /usr/lib) the one given.
	p=$(dpkg-query -S "$f" 2>/dev/null | grep -v '^diversion by' | head -n 1)
	[ -n "$p" ] || p=$(dpkg-query -S "$b" 2>/dev/null | grep -v '^diversion by' | head -n 1)
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
	dm_wait "$n" && return 0
	dm_show_logs "$d"
	return 1
}

# The last lines of a daemon's logs, so that a start-up failure on a
# machine whose files are gone (CI, a fresh root) still says why.
dm_show_logs() {
	local f
	while IFS= read -r f; do
		dm_log "--- $f (last 15 lines)"
		tail -n 15 "$f" | sed 's/^/    /' >&2
	done < <(find "$1" -name '*.log' -type f -size +0 2>/dev/null | sort)
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

# ------------------------------------------------- issue 17: more daemons

# DNS over TCP: each server answers version.bind (CHAOS TXT) with its name
# and version, as its package ships it (BIND adds the Debian revision).
dm_start_bind() {
	local d=$1 port=$2
	cat >"$d/named.conf" <<-EOF
	options {
		directory "$d";
		pid-file "$d/named.pid";
		session-keyfile "$d/session.key";
		listen-on port $port { 127.0.0.1; };
		listen-on-v6 { none; };
		recursion no;
	};
	controls { };
	EOF
	/usr/sbin/named -g -n 1 -c "$d/named.conf" &
	DM_LAST_PID=$!
}

dm_start_unbound() {
	local d=$1 port=$2
	cat >"$d/unbound.conf" <<-EOF
	server:
	    interface: 127.0.0.1@$port
	    do-ip6: no
	    do-daemonize: no
	    use-syslog: no
	    logfile: ""
	    username: ""
	    chroot: ""
	    directory: "$d"
	    pidfile: "$d/unbound.pid"
	    num-threads: 1
	remote-control:
	    control-enable: no
	EOF
	/usr/sbin/unbound -d -c "$d/unbound.conf" &
	DM_LAST_PID=$!
}

dm_start_dnsmasq() {
	local d=$1 port=$2
	/usr/sbin/dnsmasq -k -C /dev/null -p "$port" --listen-address=127.0.0.1 \
		--bind-interfaces --no-resolv --no-hosts --pid-file="$d/dnsmasq.pid" \
		--user=nobody --group=nogroup --log-facility=- &
	DM_LAST_PID=$!
}

dm_start_nsd() {
	local d=$1 port=$2
	chown nsd "$d" 2>/dev/null
	cat >"$d/nsd.conf" <<-EOF
	server:
	    ip-address: 127.0.0.1@$port
	    do-ip6: no
	    server-count: 1
	    username: ""
	    chroot: ""
	    zonesdir: "$d"
	    database: ""
	    zonelistfile: "$d/zone.list"
	    xfrdfile: "$d/xfrd.state"
	    xfrdir: "$d"
	    pidfile: "$d/nsd.pid"
	    logfile: "$d/nsd.log"
	remote-control:
	    control-enable: no
	EOF
	/usr/sbin/nsd -d -c "$d/nsd.conf" &
	DM_LAST_PID=$!
}

dm_start_knot() {
	local d=$1 port=$2
	mkdir -p "$d/run" "$d/storage"
	chown -R knot:knot "$d"
	cat >"$d/knot.conf" <<-EOF
	server:
	    rundir: "$d/run"
	    user: knot:knot
	    listen: 127.0.0.1@$port
	database:
	    storage: "$d/storage"
	log:
	  - target: stderr
	    any: info
	EOF
	/usr/sbin/knotd -c "$d/knot.conf" &
	DM_LAST_PID=$!
}

# OpenLDAP: a bind says nothing of the software; the root DSE's objectClass
# OpenLDAProotDSE does (probes/60-infrastructure.yaml, ldap-rootdse). No
# version is published (monitor backend off, Debian's default).
dm_start_slapd() {
	local d=$1 port=$2
	mkdir -p "$d/db"
	cat >"$d/slapd.conf" <<-EOF
	include /etc/ldap/schema/core.schema
	pidfile $d/slapd.pid
	argsfile $d/slapd.args
	modulepath /usr/lib/ldap
	moduleload back_mdb
	database mdb
	suffix "dc=portolan,dc=test"
	directory $d/db
	maxsize 10485760
	EOF
	/usr/sbin/slapd -d 0 -h "ldap://127.0.0.1:$port/" -f "$d/slapd.conf" &
	DM_LAST_PID=$!
}

dm_start_squid() {
	local d=$1 port=$2
	mkdir -p "$d/logs"
	chown -R proxy:proxy "$d"
	cat >"$d/squid.conf" <<-EOF
	http_port 127.0.0.1:$port
	pid_filename $d/squid.pid
	cache_effective_user proxy
	cache deny all
	access_log none
	cache_log $d/logs/cache.log
	cache_store_log none
	coredump_dir $d
	http_access deny all
	shutdown_lifetime 0 seconds
	visible_hostname portolan-daemons.test
	dns_nameservers 127.0.0.1
	EOF
	# Squid keeps its store's metadata in POSIX shared memory; a machine's
	# /dev/shm may not let the proxy user in (a chroot's bare /dev, as in a
	# fresh root: shm_open EACCES, squid dies). It gets a /dev/shm of its
	# own, a tmpfs in a private mount namespace, so the host's is never
	# touched either. unshare and sh exec: $! is squid.
	unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=1777 portolan-shm /dev/shm && exec /usr/sbin/squid -N -f "$1"' \
		squid "$d/squid.conf" &
	DM_LAST_PID=$!
}

dm_start_tinyproxy() {
	local d=$1 port=$2
	chown nobody "$d"
	cat >"$d/tinyproxy.conf" <<-EOF
	User nobody
	Group nogroup
	Port $port
	Listen 127.0.0.1
	Timeout 60
	LogFile "$d/tinyproxy.log"
	PidFile "$d/tinyproxy.pid"
	MaxClients 10
	Allow 127.0.0.1
	ViaProxyName "tinyproxy"
	EOF
	/usr/bin/tinyproxy -d -c "$d/tinyproxy.conf" &
	DM_LAST_PID=$!
}

dm_start_privoxy() {
	local d=$1 port=$2
	cat >"$d/config" <<-EOF
	confdir /etc/privoxy
	logdir $d
	listen-address 127.0.0.1:$port
	toggle 1
	enable-remote-toggle 0
	enable-edit-actions 0
	EOF
	/usr/sbin/privoxy --no-daemon "$d/config" &
	DM_LAST_PID=$!
}

dm_start_lighttpd() {
	local d=$1 port=$2
	mkdir -p "$d/html"
	echo 'portolan test' >"$d/html/index.html"
	cat >"$d/lighttpd.conf" <<-EOF
	server.document-root = "$d/html"
	server.bind = "127.0.0.1"
	server.port = $port
	server.pid-file = "$d/lighttpd.pid"
	server.errorlog = "$d/error.log"
	index-file.names = ( "index.html" )
	EOF
	/usr/sbin/lighttpd -D -f "$d/lighttpd.conf" &
	DM_LAST_PID=$!
}

# HAProxy with no server behind it: its 503 page does not name it.
dm_start_haproxy() {
	local d=$1 port=$2
	cat >"$d/haproxy.cfg" <<-EOF
	global
	    pidfile $d/haproxy.pid
	defaults
	    mode http
	    timeout connect 5s
	    timeout client 10s
	    timeout server 10s
	frontend web
	    bind 127.0.0.1:$port
	    default_backend none
	backend none
	EOF
	/usr/sbin/haproxy -db -f "$d/haproxy.cfg" &
	DM_LAST_PID=$!
}

dm_start_icecast() {
	local d=$1 port=$2
	mkdir -p "$d/log"
	chown -R icecast2 "$d"
	cat >"$d/icecast.xml" <<-EOF
	<icecast>
	  <limits><clients>10</clients><sources>1</sources></limits>
	  <authentication>
	    <source-password>portolan-never-used</source-password>
	    <admin-user>admin</admin-user>
	    <admin-password>portolan-never-used</admin-password>
	  </authentication>
	  <hostname>localhost</hostname>
	  <listen-socket><port>$port</port><bind-address>127.0.0.1</bind-address></listen-socket>
	  <paths>
	    <basedir>/usr/share/icecast2</basedir>
	    <logdir>$d/log</logdir>
	    <webroot>/usr/share/icecast2/web</webroot>
	    <adminroot>/usr/share/icecast2/admin</adminroot>
	    <pidfile>$d/icecast.pid</pidfile>
	  </paths>
	  <logging><errorlog>-</errorlog><accesslog>access.log</accesslog><loglevel>2</loglevel></logging>
	</icecast>
	EOF
	setpriv --reuid=icecast2 --regid=icecast --init-groups -- \
		/usr/bin/icecast2 -c "$d/icecast.xml" &
	DM_LAST_PID=$!
}

dm_start_cups() {
	local d=$1 port=$2
	mkdir -p "$d/cache" "$d/spool/tmp" "$d/state" "$d/log" "$d/conf/ppd" "$d/conf/ssl"
	chown -R root:lp "$d/cache" "$d/spool" "$d/state"
	chmod 0770 "$d/spool" "$d/cache" "$d/state"
	# ServerTokens Minimal: Debian's cupsd.conf says nothing, and cups'
	# default is Minimal ("CUPS/2.4 IPP/2.1": major.minor only).
	cat >"$d/conf/cupsd.conf" <<-EOF
	Listen 127.0.0.1:$port
	Browsing Off
	DefaultAuthType Basic
	WebInterface Yes
	<Location />
	  Order allow,deny
	  Allow 127.0.0.1
	</Location>
	EOF
	cat >"$d/conf/cups-files.conf" <<-EOF
	SystemGroup lpadmin
	ServerRoot $d/conf
	CacheDir $d/cache
	StateDir $d/state
	RequestRoot $d/spool
	TempDir $d/spool/tmp
	AccessLog $d/log/access_log
	ErrorLog $d/log/error_log
	PageLog $d/log/page_log
	EOF
	/usr/sbin/cupsd -f -c "$d/conf/cupsd.conf" -s "$d/conf/cups-files.conf" &
	DM_LAST_PID=$!
}

dm_start_dropbear() {
	local d=$1 port=$2
	dropbearkey -t ed25519 -f "$d/host_ed25519" >/dev/null 2>&1 || return 1
	/usr/sbin/dropbear -F -E -s -p "127.0.0.1:$port" -r "$d/host_ed25519" -P "$d/dropbear.pid" &
	DM_LAST_PID=$!
}

# Zabbix agent: answers the item agent.version (Zabbix protocol header
# "ZBXD\1") for the servers in Server=, 127.0.0.1 here.
dm_start_zabbix() {
	local d=$1 port=$2
	chown zabbix "$d"
	cat >"$d/zabbix_agentd.conf" <<-EOF
	PidFile=$d/zabbix_agentd.pid
	LogType=console
	Server=127.0.0.1
	ServerActive=
	ListenIP=127.0.0.1
	ListenPort=$port
	StartAgents=1
	Hostname=portolan-test
	EOF
	/usr/sbin/zabbix_agentd -f -c "$d/zabbix_agentd.conf" &
	DM_LAST_PID=$!
}

dm_start_beanstalkd() {
	local d=$1 port=$2
	/usr/bin/beanstalkd -l 127.0.0.1 -p "$port" -u nobody &
	DM_LAST_PID=$!
}

dm_start_gearman() {
	local d=$1 port=$2
	chown gearman "$d" 2>/dev/null
	/usr/sbin/gearmand -L 127.0.0.1 -p "$port" -u gearman -t 1 \
		--log-file="$d/gearmand.log" --pid-file="$d/gearmand.pid" &
	DM_LAST_PID=$!
}

# Redis Sentinel watching a master that need not exist: INFO says
# redis_mode:sentinel and the same redis_version as the server.
dm_start_sentinel() {
	local d=$1 port=$2
	cat >"$d/sentinel.conf" <<-EOF
	port $port
	bind 127.0.0.1
	daemonize no
	dir $d
	logfile $d/sentinel.log
	sentinel monitor portolan 127.0.0.1 6379 2
	EOF
	chown -R redis:redis "$d"
	setpriv --reuid=redis --regid=redis --init-groups -- \
		/usr/bin/redis-sentinel "$d/sentinel.conf" &
	DM_LAST_PID=$!
}

dm_start_ngircd() {
	local d=$1 port=$2
	cat >"$d/ngircd.conf" <<-EOF
	[Global]
	    Name = irc.portolan.test
	    Info = portolan test
	    Listen = 127.0.0.1
	    Ports = $port
	    ServerUID = nobody
	    ServerGID = nogroup
	    MotdPhrase = portolan
	    PidFile = $d/ngircd.pid
	[Options]
	    DNS = no
	    Ident = no
	    PAM = no
	EOF
	/usr/sbin/ngircd -n -f "$d/ngircd.conf" &
	DM_LAST_PID=$!
}

# Prosody: the stream header names the domain only; Prosody 0.12 sends no
# entity capabilities before login, so the software is not named.
dm_start_prosody() {
	local d=$1 port=$2
	mkdir -p "$d/data"
	cat >"$d/prosody.cfg.lua" <<-EOF
	pidfile = "$d/prosody.pid"
	data_path = "$d/data"
	interfaces = { "127.0.0.1" }
	c2s_ports = { $port }
	s2s_ports = { }
	c2s_direct_tls_ports = { }
	http_ports = { }
	https_ports = { }
	log = { info = "$d/prosody.log" }
	modules_enabled = { "saslauth", "disco" }
	authentication = "internal_hashed"
	c2s_require_encryption = false
	VirtualHost "localhost"
	EOF
	chown -R prosody "$d"
	setpriv --reuid=prosody --regid=prosody --init-groups -- \
		/usr/bin/prosody -F --config "$d/prosody.cfg.lua" &
	DM_LAST_PID=$!
}

dm_start_svnserve() {
	local d=$1 port=$2
	mkdir -p "$d/repos"
	/usr/bin/svnserve -d --foreground --listen-host 127.0.0.1 --listen-port "$port" \
		-r "$d/repos" --log-file "$d/svnserve.log" &
	DM_LAST_PID=$!
}

dm_start_rsync() {
	local d=$1 port=$2
	mkdir -p "$d/share"
	cat >"$d/rsyncd.conf" <<-EOF
	pid file = $d/rsyncd.pid
	log file = $d/rsyncd.log
	use chroot = no
	[share]
	    path = $d/share
	    read only = yes
	EOF
	/usr/bin/rsync --daemon --no-detach --config="$d/rsyncd.conf" \
		--address=127.0.0.1 --port="$port" &
	DM_LAST_PID=$!
}

# git daemon with one bare repository exported as "/" (the probe asks for
# "/"): it advertises its refs with agent=git/VERSION.
dm_start_git() {
	local d=$1 port=$2
	git init -q --bare "$d/repo.git" || return 1
	git -C "$d/repo.git" -c user.name=portolan -c user.email=portolan@localhost \
		commit-tree -m portolan "$(git -C "$d/repo.git" mktree </dev/null)" >"$d/commit" || return 1
	git -C "$d/repo.git" update-ref refs/heads/main "$(cat "$d/commit")" || return 1
	chown -R nobody "$d/repo.git"
	git daemon --listen=127.0.0.1 --port="$port" --base-path="$d/repo.git" \
		--export-all --reuseaddr --user=nobody --group=nogroup "$d/repo.git" &
	DM_LAST_PID=$!
}

# NUT's upsd, run without Debian's wrapper /usr/sbin/upsd (which reads
# MODE from /etc/nut/nut.conf). VER names it and its version.
dm_start_nut() {
	local d=$1 port=$2
	mkdir -p "$d/state"
	chown -R nut:nut "$d/state"
	cat >"$d/upsd.conf" <<-EOF
	LISTEN 127.0.0.1 $port
	STATEPATH $d/state
	EOF
	echo 'MODE=netserver' >"$d/nut.conf"
	: >"$d/upsd.users"
	# upsd refuses to start without a UPS; this one's driver never runs.
	printf '[portolan]\n\tdriver = dummy-ups\n\tport = portolan.dev\n' >"$d/ups.conf"
	chmod 640 "$d/upsd.conf" "$d/upsd.users" "$d/ups.conf" "$d/nut.conf"
	chgrp nut "$d/upsd.conf" "$d/upsd.users" "$d/ups.conf" "$d/nut.conf"
	NUT_CONFPATH=$d NUT_STATEPATH=$d/state /lib/nut/upsd -F -u nut &
	DM_LAST_PID=$!
}

# Samba's smbd: SMB2 NEGOTIATE names neither Samba nor its version.
dm_start_smbd() {
	local d=$1 port=$2
	mkdir -p "$d/private" "$d/lock" "$d/state" "$d/cache" "$d/pid" "$d/log" "$d/ncalrpc"
	cat >"$d/smb.conf" <<-EOF
	[global]
	    smb ports = $port
	    interfaces = 127.0.0.1
	    bind interfaces only = yes
	    disable netbios = yes
	    private dir = $d/private
	    lock directory = $d/lock
	    state directory = $d/state
	    cache directory = $d/cache
	    pid directory = $d/pid
	    ncalrpc dir = $d/ncalrpc
	    log file = $d/log/%m.log
	    server role = standalone server
	    load printers = no
	    printcap name = /dev/null
	EOF
	# Its own session (setsid; --no-process-group: smbd must not try to make
	# one itself): at exit smbd signals its whole process group.
	setsid /usr/sbin/smbd -F --no-process-group --debug-stdout -s "$d/smb.conf" &
	DM_LAST_PID=$!
}
