#!/bin/sh
# 074-avahi: avahi-daemon on UDP 5353 in the same namespace does not stop
# peerdiscd's mDNS, whichever starts first.
#   ns1: avahi-daemon first, then peerdiscd n1;
#   ns2: peerdiscd n2 first, then avahi-daemon (it must still start: we
#        share the port with SO_REUSEADDR/SO_REUSEPORT);
#   ns3: peerdiscd n3 alone, started once both avahis run.
# n1 and n2 must find each other within 15 s, and n3 must find and be
# found by both within 15 s of its start (so packets keep reaching
# peerdiscd while avahi holds the port too).  Both avahi-daemons must
# still run at the end.
#
# avahi-daemon runs with a private config (no D-Bus, eth0 only, no
# publishing of our host), --no-drop-root --no-chroot, inside its own
# mount namespace where $TMP/avahiN is bound over /run/avahi-daemon, so
# its pid file lives in $TMP and two instances do not collide.  Without
# avahi-daemon the test installs it (apt-get install -y avahi-daemon) only
# as root under CI (env CI set) or with PD_INSTALL=1; otherwise it skips.
. "$top_srcdir/tests/mdns/lib.sh"

MD_BUDGET=${MD_BUDGET:-75}
AVAHI=$(command -v avahi-daemon || echo /usr/sbin/avahi-daemon)
if ! [ -x "$AVAHI" ]; then
	if [ "$(id -u)" = 0 ] && { [ -n "${CI:-}" ] || [ "${PD_INSTALL:-}" = 1 ]; }; then
		echo "note: $TEST_NAME: installing avahi-daemon (apt-get)"
		export DEBIAN_FRONTEND=noninteractive
		timeout 600 apt-get install -y -qq --no-install-recommends avahi-daemon >/dev/null 2>&1 ||
			{ timeout 300 apt-get update -qq >/dev/null 2>&1 &&
			timeout 600 apt-get install -y -qq --no-install-recommends avahi-daemon >/dev/null 2>&1; } ||
			skip "apt-get install avahi-daemon failed"
		AVAHI=$(command -v avahi-daemon || echo /usr/sbin/avahi-daemon)
		[ -x "$AVAHI" ] || skip "avahi-daemon still missing after apt-get install"
	else
		skip "avahi-daemon is not installed (apt-get install avahi-daemon;" \
			"the test installs it itself as root with CI=1 or PD_INSTALL=1)"
	fi
fi
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) not found"
md_setup
md_need_mdns_daemon
[ -d /run/avahi-daemon ] || mkdir -p /run/avahi-daemon ||
	skip "cannot create /run/avahi-daemon (its pid file mount point)"

# avahi_start N: avahi-daemon in node N's namespace (log aN.log).
avahi_start() {
	mkdir -p "$TMP/avahi$1"
	cat >"$TMP/avahi$1.conf" <<CONF
[server]
host-name=pdtest$1
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
enable-dbus=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
[reflector]
enable-reflector=no
[rlimits]
CONF
	MD_NODES="$MD_NODES a$1"
	# shellcheck disable=SC2016 # $1 and $@ of the inner sh
	timeout --foreground -k 2 "$MD_BACKSTOP" \
		ip netns exec "$(md_nsname "$1")" unshare -m --propagation private \
		sh -c 'mount --bind "$1" /run/avahi-daemon && shift && exec "$@"' sh \
		"$TMP/avahi$1" "$AVAHI" -f "$TMP/avahi$1.conf" --no-drop-root \
		--no-chroot --no-rlimits --no-proc-title \
		</dev/null >"$TMP/a$1.log" 2>&1 &
	eval "a${1}_tpid=$!"
	md_track "$!"
	md_wait_log "a$1" 'Server startup complete' "avahi-daemon in ns$1 to start"
	grep -q "Joining mDNS multicast group on interface eth0.IPv4 with address 10.77.0.$1" \
		"$TMP/a$1.log" || fail "avahi-daemon $1 did not join the group on eth0"
	[ -s "$TMP/avahi$1/pid" ] || fail "avahi $1: no pid file in $TMP/avahi$1"
	eval "a${1}_pid=\$(cat \"\$TMP/avahi$1/pid\")"
}

md_ns 1
md_ns 2
md_ns 3
avahi_start 1
md_pd_start 1
md_pd_start 2
T0=$(now_ms)
avahi_start 2
ok "avahi-daemon $a1_pid before n1, avahi-daemon $a2_pid after n2"
pair() { md_knows 1 "$n2_id" && md_knows 2 "$n1_id"; }
md_wait_until 15 "n1 and n2 to find each other" pair
ok "n1 <-> n2 in $(($(now_ms) - T0)) ms"

md_pd_start 3
T1=$(now_ms)
# shellcheck disable=SC2317
three() { md_all_know 1 2 3; }
lim=$((T1 + 15000))
until three; do
	[ "$(now_ms)" -lt "$lim" ] && md_time_left ||
		fail "with avahi running, still missing: $(md_missing 1 2 3)"
	sleep 0.2
done
ok "n3 <-> n1, n2 in $(($(now_ms) - T1)) ms"

for a in 1 2; do
	eval "p=\$a${a}_pid"
	pid_alive "$p" || fail "avahi-daemon $a ($p) is gone: $(tail -n 5 "$TMP/a$a.log")"
done
for i in 1 2 3; do
	md_healthy "$i"
done
md_finish 1 2 3
ok "avahi-daemons still running; peerdiscd stopped cleanly"
