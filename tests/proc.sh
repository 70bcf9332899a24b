# tests/proc.sh - process helpers shared by the shell test libraries
# tests/interop/lib.sh and tests/mdns/lib.sh, which source it (never run).
# They keep the PIDs they started in a list and stop them by PID from
# their EXIT trap; the helpers use only _pr_* variables of their own.

# pid_alive PID: true while PID runs (a zombie waiting to be reaped does
# not count).
pid_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_pr_state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_pr_state" ] && [ "$_pr_state" != Z ]
}

# pids_stop PID...: SIGTERM to each, up to 3 s in all for them to exit,
# then SIGKILL and reap each.
pids_stop() {
	for _pr_p in "$@"; do
		kill -TERM "$_pr_p" 2>/dev/null
	done
	_pr_i=0
	for _pr_p in "$@"; do
		while pid_alive "$_pr_p" && [ "$_pr_i" -lt 30 ]; do
			sleep 0.1
			_pr_i=$((_pr_i + 1))
		done
	done
	for _pr_p in "$@"; do
		kill -KILL "$_pr_p" 2>/dev/null
		wait "$_pr_p" 2>/dev/null
	done
	return 0
}

# pids_without PID LIST...: the words of LIST other than PID, on one line.
pids_without() {
	_pr_drop=$1
	shift
	_pr_keep=
	for _pr_q in "$@"; do
		[ "$_pr_q" = "$_pr_drop" ] || _pr_keep="$_pr_keep $_pr_q"
	done
	echo "$_pr_keep"
}
