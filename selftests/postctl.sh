#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# postctl shows what happened: in a fresh namespace, a name that resolves
# to ::1 and 127.0.0.1 raced to an IPv4-only server (the IPv6 attempt is
# refused, IPv4 wins), three messages sent; postctl carriers shows the
# counts, the addresses and the winner, assoc the learnt winner, and
# assoc flush forgets it; config set is per namespace and reaches the
# sysctls; monitor hears carriers come and go; stats count module-wide.
# The kernel's own ynl cli.py talks to the family when python3 is there.
set -u

ip() { /usr/sbin/ip "$@"; }

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - postctl: $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - postctl: $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
has() { grep -q -- "$2" "$1" || { sed "s|^|# $1: |" "$1"; return 1; }; }
wait_for() {
	for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
	return 1
}

T=/tmp/postctl
mkdir -p $T
NS=pc-a
ip netns add $NS
ip -n $NS link set lo up
printf '127.0.0.1 localhost\n::1 localhost6\n127.0.0.1 duo\n::1 duo\n' \
	>/etc/hosts
echo 'hosts: files' >/etc/nsswitch.conf
echo 'multi on' >/etc/host.conf
nsx() { ip netns exec $NS "$@"; }

echo "1..15"

check "--help" eval 'postctl --help | grep -q "postctl \[-j\]"'
postctl bogus >/dev/null 2>&1
check "a bad command is a usage error (2)" [ $? -eq 2 ]

postctl -n $NS monitor >$T/monitor 2>&1 &
mon=$!
nsx postcat -l -4 -p 7700 -n 1 -e >$T/srv 2>&1 &
wait_for grep -q listening $T/srv
{ printf 'one\ntwo\nthree\n'; sleep 3; } |
	nsx postcat -c duo -p 7700 >$T/cli 2>&1 &
cli=$!
wait_for grep -q "recv id=3" $T/cli
postctl -n $NS -j carriers >$T/carriers.json
postctl -n $NS carriers >$T/carriers
sed 's/^/# /' $T/carriers

# the client: raced ::1 (refused) then 127.0.0.1, which won
check "carriers: the client's counts and addresses" eval \
	'has $T/carriers.json "\"state\":\"established\",\"local\":\"127.0.0.1:[0-9]*\",\"remote\":\"127.0.0.1:7700\",\"tx_msgs\":3,\"tx_bytes\":11,\"rx_msgs\":3,\"rx_bytes\":11,\"acked\":3"'
check "carriers: the race, its candidates and its winner" \
	has $T/carriers.json '"race":{"attempts":2,"winner":1,.*"candidates":"\[::1\]:7700,127.0.0.1:7700"'
check "carriers: the server's side and the listener" eval \
	'has $T/carriers.json "\"local\":\"127.0.0.1:7700\",\"remote\":\"127.0.0.1:[0-9]*\",\"tx_msgs\":3" &&
	 has $T/carriers.json "\"state\":\"listening\",\"local\":\"0.0.0.0:7700\""'
check "carriers: the table has the same rows" eval \
	'[ $(grep -c seqpacket $T/carriers) -eq 3 ] && has $T/carriers "won 1/2"'
check "carriers: nothing from other namespaces" \
	eval '! postctl -j carriers | grep -q "7700"'

postctl -n $NS assoc >$T/assoc
sed 's/^/# /' $T/assoc
check "assoc: the winner was learnt, the refused IPv6 as a failure" eval \
	'has $T/assoc "^127.0.0.1:7700 .* 1  127.0.0.1:7700,\[::1\]:7700\$"'
postctl -n $NS assoc flush
check "assoc flush: forgotten" eval \
	'[ "$(postctl -n $NS -j assoc)" = "[]" ]'

wait $cli
wait_for grep -q " closed " $T/monitor
kill $mon 2>/dev/null
check "monitor: established and closed events" eval \
	'has $T/monitor "won 1/2" && has $T/monitor " closed "'

postctl -n $NS config set attempt_delay_ms 120 prefer_family inet \
	chunk_size 4096
check "config set: shown by config and by the sysctls" eval \
	'postctl -n $NS config | grep -q "^attempt_delay_ms *120$" &&
	 postctl -n $NS config | grep -q "^prefer_family *inet$" &&
	 [ "$(nsx cat /proc/sys/net/post/chunk_size)" = 4096 ] &&
	 [ "$(nsx cat /proc/sys/net/post/prefer_ipv6)" = 0 ]'
check "config: other namespaces keep theirs" eval \
	'postctl config | grep -q "^chunk_size *16384$"'
postctl stats >$T/stats
check "stats: module-wide counters moved" eval \
	'awk "/^races_won/ { w = \$2 } /^msgs_sent/ { s = \$2 }
	      END { exit !(w >= 1 && s >= 6) }" $T/stats ||
	 { sed "s/^/# /" $T/stats; false; }'

# the kernel's own YNL client, from the spec alone
if [ -x /usr/bin/python3 ] && [ -f /post/ynl/cli.py ]; then
	cli() { nsx python3 /post/ynl/cli.py --no-schema \
		--spec /post/ynl/specs/post.yaml "$@"; }
	cli --do config-get >$T/cli-config 2>&1
	check "ynl cli.py: config-get as postctl set it" \
		has $T/cli-config "'chunk-size': 4096"
	nsx postcat -l -4 -p 7701 -n 1 >$T/srv2 2>&1 &
	wait_for grep -q listening $T/srv2
	cli --dump carrier-get >$T/cli-carriers 2>&1
	check "ynl cli.py: carrier-get dump" \
		has $T/cli-carriers "'state': 10"
	nsx postcat -c 127.0.0.1 -p 7701 -s 1 >/dev/null 2>&1
	wait
else
	not_ok "ynl cli.py: no python3 or cli.py in the guest"
	not_ok "ynl cli.py: (skipped)"
fi

ip netns del $NS
exit $failed
