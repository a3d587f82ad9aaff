#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Two hosts in separate network namespaces joined by a veth pair: AF_POST
# carriers over IPv4 and IPv6 with messages of several sizes, echoed and
# verified byte for byte, then again through 20 ms of netem delay. Also
# checks that no carrier outlives its process (/proc/net/protocols).
set -u

# iproute2, not a busybox applet of the same name
ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }

A=post-a
B=post-b
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - netns: $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - netns: $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

C=post-c
cleanup() {
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	ip netns del $C 2>/dev/null
}
trap cleanup EXIT

# sockets column of the POST line in /proc/net/protocols, in namespace $1
post_sockets() {
	ip netns exec "$1" awk '$1 == "POST" { print $3 }' /proc/net/protocols
}

wait_listening() {
	for _ in $(seq 50); do
		grep -q listening "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

echo "1..7"
ip netns add $A && ip netns add $B &&
ip link add veth-a netns $A type veth peer name veth-b netns $B &&
ip -n $A addr add 10.99.0.1/24 dev veth-a &&
ip -n $B addr add 10.99.0.2/24 dev veth-b &&
ip -n $A addr add fd00:99::1/64 dev veth-a nodad &&
ip -n $B addr add fd00:99::2/64 dev veth-b nodad &&
ip -n $A link set lo up && ip -n $B link set lo up &&
ip -n $A link set veth-a up && ip -n $B link set veth-b up
check "two hosts joined by veth" [ $? -eq 0 ]

SIZES=0,1,16383,16384,16385,1048576
ip netns exec $B postcat -l -6 -p 7000 -n 3 -e -q >/tmp/netns-srv.log 2>&1 &
srv=$!
check "server listening" wait_listening /tmp/netns-srv.log

check "IPv4 carrier across veth, sizes $SIZES echoed" \
	ip netns exec $A postcat -c 10.99.0.2 -p 7000 -s $SIZES -e -q
check "IPv6 carrier across veth, sizes $SIZES echoed" \
	ip netns exec $A postcat -c fd00:99::2 -p 7000 -s $SIZES -e -q

tc -n $A qdisc add dev veth-a root netem delay 20ms
check "IPv6 carrier through 20 ms netem delay" \
	ip netns exec $A postcat -c fd00:99::2 -p 7000 -s 1,65536,1048576 -e -q

wait $srv
cat /tmp/netns-srv.log | sed 's/^/# server: /'
check "no carrier left in either namespace" \
	[ "$(post_sockets $A)" = 0 -a "$(post_sockets $B)" = 0 ]
# A namespace deleted while carriers in it are busy: the carriers (and
# their transients) keep it alive until they close; the refcount tracker,
# KASAN and kmemleak of make check-debug watch the teardown.
ip netns add $C && ip -n $C link set lo up
ip netns exec $C postcat -l -4 -p 7200 -n 1 -e -q >/tmp/netns-del.log 2>&1 &
srv=$!
wait_listening /tmp/netns-del.log
ip netns exec $C postcat -c 127.0.0.1 -p 7200 -q -e \
	-s "$(seq -s, 64 | sed 's/[0-9][0-9]*/1048576/g')" >/dev/null 2>&1 &
cli=$!
sleep 1
ip netns del $C
gone=$(ip netns list | grep -c "^$C" || true)
kill $cli $srv 2>/dev/null
wait $cli $srv 2>/dev/null
check "netns deleted under busy carriers, which then close" [ "$gone" = 0 ]
exit $failed
