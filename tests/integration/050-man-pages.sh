#!/bin/sh
# 050-man-pages: the manual pages cover what the programs have, and
# render without warnings.
#
#  - every section and key that `peerdiscd --print-config` prints has a
#    ".TP" entry under its ".SS [section]" in peerdiscd.conf.5;
#  - every method of the table in daemon/rpc-methods.c has a ".SS" in
#    peerdisc-control.7;
#  - every command that `peerdiscctl --help` lists has a ".TP" entry in
#    peerdiscctl.1;
#  - every option of `peerdiscd --help` appears in peerdiscd.8;
#  - each page renders with groff -ww (all warnings) and, when man-db is
#    there, with man --warnings, with nothing on stderr.  Without groff
#    only the rendering is skipped, with a message.
. "$top_srcdir/tests/integration/lib.sh"

MAN="$top_srcdir/man"
PEERDISCCTL="$top_builddir/daemon/peerdiscctl"
PAGES="peerdiscd.8 peerdiscd.conf.5 peerdiscctl.1 peerdisc-control.7
libpeerdisc.3"

setup_tmp
cd "$TMP" || fail "cd $TMP"
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
for p in $PAGES; do
	[ -f "$MAN/$p" ] || fail "man/$p is missing"
done

# tags PAGE [SECTION]: the first words of every ".TP" tag of PAGE (only
# under ".SS [SECTION]" if given), one per line, with font escapes,
# quotes and \- removed.  Tags are one line: .B word, .BI "word" arg...
tags() {
	awk -v want="$2" '
	function clean(s) {
		gsub(/\\f[BIRP]/, "", s); gsub(/\\-/, "-", s)
		gsub(/"/, "", s); gsub(/\\&/, "", s)
		sub(/^\.[A-Z][A-Z]? +/, "", s)
		return s
	}
	/^\.S[HS] / {
		s = $0; sub(/^\.S[HS] +/, "", s); gsub(/"/, "", s)
		insec = (want == "" || s == "[" want "]"); tp = 0; next
	}
	/^\.TP/ { tp = insec; next }
	tp { print clean($0); tp = 0 }
	' "$MAN/$1"
}

# has_tag PAGE SECTION NAME: a tag of PAGE (in SECTION) starts with the
# words of NAME, followed by a space or the end.
has_tag() {
	tags "$1" "$2" | awk -v n="$3" '
	    substr($0, 1, length(n)) == n &&
	    (length($0) == length(n) || substr($0, length(n) + 1, 1) == " ") {
		found = 1
	    }
	    END { exit !found }'
}

# 1. configuration keys, from the daemon itself (-c /dev/null: defaults).
run_bounded "$PEERDISCD" -c /dev/null --print-config >conf.out 2>conf.err ||
    fail "peerdiscd --print-config failed: $(cat conf.err)"
nkeys=0
section=
while IFS= read -r line; do
	case $line in
	"["*"]")
		section=${line#[}
		section=${section%]}
		grep -qxF ".SS \"[$section]\"" "$MAN/peerdiscd.conf.5" ||
		    fail "peerdiscd.conf.5 has no subsection [$section]"
		;;
	*" ="*)
		key=${line%% =*}
		[ -n "$section" ] || fail "--print-config: key $key before a section"
		has_tag peerdiscd.conf.5 "$section" "$key" ||
		    fail "peerdiscd.conf.5 does not describe $section.$key under [$section]"
		nkeys=$((nkeys + 1))
		;;
	esac
done <conf.out
[ "$nkeys" -ge 30 ] || fail "only $nkeys keys in --print-config output"
ok "peerdiscd.conf.5 describes all $nkeys keys in their sections"

# 2. control methods, from the method table.
sed -n 's/^[[:space:]]*{ "\([a-z_.]*\)", rpc_[a-z_]*, \(true\|false\) },$/\1/p' \
    "$top_srcdir/daemon/rpc-methods.c" >methods
nmethods=$(wc -l <methods)
[ "$nmethods" -ge 10 ] ||
    fail "found only $nmethods methods in daemon/rpc-methods.c"
while IFS= read -r m; do
	grep -qxF ".SS $m" "$MAN/peerdisc-control.7" ||
	    fail "peerdisc-control.7 has no subsection for method $m"
done <methods
# The design's methods that do not exist yet must be listed as such.
for m in discovery.find discovery.advertise discovery.unadvertise \
    discovery.local discovery.bootstrap dht.find_peer dht.closest_peers \
    dht.routing_table dht.get_value dht.put_value; do
	grep -qxF "$m" methods && continue
	sed -n '/^\.SS "Not yet implemented"/,/^\.S[SH] /p' \
	    "$MAN/peerdisc-control.7" | grep -qF ".BR $m" ||
	    fail "peerdisc-control.7 does not list $m as not yet implemented"
done
ok "peerdisc-control.7 describes all $nmethods methods"

# 3. peerdiscctl commands, from its --help.
run_bounded "$PEERDISCCTL" --help >ctl.out 2>ctl.err ||
    fail "peerdiscctl --help failed: $(cat ctl.err)"
# Each line is "  NAME ARGS  help": NAME is the lower-case words before
# the arguments ("dht find-peer" of "dht find-peer ID").
sed -n '/^Commands:$/,/^$/p' ctl.out | awk 'NR > 1 && NF > 0 {
	left = substr($0, 3); sub(/  .*/, "", left)
	n = split(left, w, " "); name = ""
	for (i = 1; i <= n && w[i] ~ /^[a-z][a-z-]*$/; i++)
		name = name (name == "" ? "" : " ") w[i]
	print name
}' >commands
ncmds=$(wc -l <commands)
[ "$ncmds" -ge 10 ] || fail "found only $ncmds commands in peerdiscctl --help"
while IFS= read -r c; do
	has_tag peerdiscctl.1 "" "$c" ||
	    fail "peerdiscctl.1 has no entry for command '$c'"
done <commands
ok "peerdiscctl.1 describes all $ncmds commands"

# 4. peerdiscd options, from its --help.
run_bounded "$PEERDISCD" --help >d.out 2>d.err || fail "peerdiscd --help failed"
for opt in $(grep -o -- '--[a-z][a-z-]*' d.out | sort -u); do
	esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
	grep -q -- "$esc" "$MAN/peerdiscd.8" ||
	    fail "peerdiscd.8 does not mention $opt"
done
ok "peerdiscd.8 mentions every option"

# 5. rendering.
if ! command -v groff >/dev/null 2>&1; then
	echo "groff not found (package groff-base): render check skipped"
	exit 0
fi
for p in $PAGES; do
	for dev in utf8 ps; do
		LC_ALL=C.UTF-8 groff -man -ww -z -T"$dev" "$MAN/$p" >/dev/null \
		    2>render.err || fail "groff -T$dev $p failed"
		[ -s render.err ] && fail "groff -T$dev $p warns: $(cat render.err)"
	done
	if man --version 2>/dev/null | grep -q "^man "; then	# man-db
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 \
		    "$MAN/$p" >/dev/null 2>render.err || fail "man -l $p failed"
		[ -s render.err ] && fail "man --warnings $p: $(cat render.err)"
	fi
done
ok "every page renders without warnings"
exit 0
