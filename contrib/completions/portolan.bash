# bash completion for portolan(1)                         -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/portolan, where
# bash-completion loads it on first use; or source it from ~/.bashrc.
# The option list follows the settings table in src/config/settings.c.

_portolan_long_opts='--config --ports --targets-file --exclude --exclude-file
--output --format --states --threads --timeout --min-timeout --max-timeout
--max-rate --no-discovery --discovery-only --discovery-probes --discovery-ports
--discovery-timeout --discovery-retries --capture-buffer --user --timing --seed --sequential --shard --shard-count --retries --method --family --ipv4
--ipv6 --reverse-dns --reverse-dns-timeout --service-detection --probes-dir
--detect-timeout --banner-wait --max-hosts --target-window --resume
--resume-file --dry-run
--findings --baseline --verbose --quiet --help --version
--exclude-ports --top-ports --open --no-reverse-dns --max-retries --excludefile'

_portolan_short_opts='-c -p -i -o -f -t -T -4 -6 -R -s -v -q -h -V -n -F
-oX -oJ -oN -oA -iL -sV -sT -sS -sU -Pn -P0 -sn -PE -PP -PR -PS -PA -p-'

# Completes file names (or, with -d, directories) matching $1.
_portolan_files()
{
	local IFS=$'\n'

	compopt -o filenames 2>/dev/null
	if [[ $1 == -d ]]; then
		COMPREPLY=($(compgen -d -- "$2"))
	else
		COMPREPLY=($(compgen -f -- "$1"))
	fi
}

# Completes the last item of a comma-separated list $1 from the words $2.
_portolan_list()
{
	local cur=$1 words=$2 prefix=

	if [[ $cur == *,* ]]; then
		prefix=${cur%,*},
		cur=${cur##*,}
	fi
	COMPREPLY=($(compgen -P "$prefix" -W "$words" -- "$cur"))
	compopt -o nospace 2>/dev/null
}

_portolan_merge_opts='--output --config --baseline --findings --quiet --help -o -c -q -h'

# portolan merge FILE... -o OUT...: its own options; its operands are the
# shards' outputs.
_portolan_merge()
{
	local cur=$1 prev=$2

	case $prev in
	-o | --output | -c | --config | --findings | --baseline)
		_portolan_files "$cur"
		return 0
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_portolan_merge_opts" -- "$cur"))
	else
		_portolan_files "$cur"
	fi
}

_portolan()
{
	local cur prev i
	local cword=$COMP_CWORD

	COMPREPLY=()
	cur=${COMP_WORDS[cword]}
	prev=
	((cword > 0)) && prev=${COMP_WORDS[cword - 1]}

	# "--opt=value": with '=' in COMP_WORDBREAKS (the default) bash splits
	# it into "--opt" "=" "value"; without, it is one word.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((cword > 1)); then
		prev=${COMP_WORDS[cword - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	if ((cword > 1)) && [[ ${COMP_WORDS[1]} == merge ]]; then
		_portolan_merge "$cur" "$prev"
		return 0
	fi

	# After "--" only targets follow.
	for ((i = 1; i < cword; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			COMPREPLY=($(compgen -A hostname -- "$cur"))
			return 0
		fi
	done

	case $prev in
	-c | --config | -i | --targets-file | -o | --output | --exclude-file | \
		--resume | --resume-file | --findings | --baseline | -oX | -oJ | -oN | \
		-oA | -iL | --excludefile)
		_portolan_files "$cur"
		return 0
		;;
	--probes-dir)
		_portolan_files -d "$cur"
		return 0
		;;
	-f | --format)
		COMPREPLY=($(compgen -W 'csv json jsonl xml' -- "$cur"))
		return 0
		;;
	--states)
		_portolan_list "$cur" 'open closed filtered error all'
		return 0
		;;
	-T | --timing)
		COMPREPLY=($(compgen -W 'paranoid polite normal aggressive insane' -- "$cur"))
		return 0
		;;
	--method)
		COMPREPLY=($(compgen -W 'connect syn udp connect,udp syn,udp' -- "$cur"))
		return 0
		;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return 0
		;;
	--family)
		COMPREPLY=($(compgen -W 'any 4 6' -- "$cur"))
		return 0
		;;
	--discovery-probes)
		COMPREPLY=($(compgen -W 'tcp-connect icmp-echo icmp-timestamp tcp-syn tcp-ack arp nd' -- "$cur"))
		return 0
		;;
	--shard)
		# I/N is a number pair; auto is the one word.
		COMPREPLY=($(compgen -W 'auto' -- "$cur"))
		return 0
		;;
	-p | --ports | --exclude | -t | --threads | --timeout | --min-timeout | \
		--max-timeout | --max-rate | --capture-buffer | --seed | --shard-count | --retries | \
		--reverse-dns-timeout | --detect-timeout | --banner-wait | --max-hosts | \
		--target-window | --exclude-ports | --top-ports | --max-retries | \
		--discovery-ports | --discovery-timeout | --discovery-retries)
		# A number, a port list or a target list: nothing to offer.
		return 0
		;;
	esac

	case $cur in
	--*)
		COMPREPLY=($(compgen -W "$_portolan_long_opts" -- "$cur"))
		;;
	-*)
		COMPREPLY=($(compgen -W "$_portolan_short_opts $_portolan_long_opts" -- "$cur"))
		;;
	*)
		# Targets: addresses are typed; host names come from the known hosts.
		# First, the merge subcommand is one of the choices.
		COMPREPLY=($(compgen -A hostname -- "$cur"))
		((cword == 1)) && COMPREPLY+=($(compgen -W merge -- "$cur"))
		;;
	esac
	return 0
}

complete -F _portolan portolan
