#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Happy Eyeballs in the kernel, between two network namespaces joined by
# two veth pairs: one carries IPv6 (2001:db8:6::/64), the other IPv4
# (10.4.0.0/24), so each family can be impaired on its own: `ip route
# blackhole` on the server for the client's address drops the SYN-ACKs of
# that family (the client sees silence), `tc netem` delays it, a listener
# on one family refuses the other. Each case asserts the winner, the time
# to connect (from postrace, measured around connect()) and that no TCP
# socket of the client namespace is left behind but TIME_WAIT.
set -u

ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }

C=race-c
S=race-s
C6=2001:db8:6::1
S6=2001:db8:6::2
C4=10.4.0.1
S4=10.4.0.2
OUT=/tmp/race.out
n=0
pids=""

ok() { n=$((n + 1)); echo "ok $n - race: $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - race: $1"
	sed 's/^/# /' $OUT
}
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	ip netns del $C 2>/dev/null
	ip netns del $S 2>/dev/null
}
trap cleanup EXIT

# field NAME: the value of NAME= on the connect line of $OUT
field() { sed -n "s/^connect .* $1=\([^ ]*\).*/\1/p" $OUT | head -n 1; }
outcome() { sed -n 's/^connect \([^ ]*\) .*/\1/p' $OUT | head -n 1; }
attempt() { sed -n "s/^attempt $1 \([^ ]*\) state=\([^ ]*\) .*/\1 \2/p" $OUT; }
# ms_between LO HI: LO <= connect time < HI
ms_between() { awk -v t="$(field ms)" -v lo="$1" -v hi="$2" \
	'BEGIN { exit !(t != "" && t + 0 >= lo && t + 0 < hi) }'; }

race() { ip netns exec $C postrace "$@" >$OUT 2>&1; }

# TCP sockets of the client namespace other than TIME_WAIT (06) and LISTEN
# (0A): what a race may leave behind
leftovers() {
	ip netns exec $C cat /proc/net/tcp /proc/net/tcp6 |
		awk '$4 ~ /^0[0-9A-F]$/ && $4 != "06" && $4 != "0A"' | wc -l
}
no_leftovers() { [ "$(leftovers)" -eq 0 ]; }

# a server in the server namespace; $1 names its log
serve() {
	log=/tmp/race-srv-$1.log
	shift
	ip netns exec $S "$@" >"$log" 2>&1 &
	pids="$pids $!"
	for _ in $(seq 50); do
		grep -q listening "$log" && return 0
		sleep 0.1
	done
	return 1
}

setup() {
	ip netns add $C && ip netns add $S &&
	ip link add c6 netns $C type veth peer name s6 netns $S &&
	ip link add c4 netns $C type veth peer name s4 netns $S &&
	ip -n $C addr add $C6/64 dev c6 nodad &&
	ip -n $S addr add $S6/64 dev s6 nodad &&
	ip -n $C addr add $C4/24 dev c4 &&
	ip -n $S addr add $S4/24 dev s4 &&
	for l in lo c6 c4; do ip -n $C link set $l up || return 1; done &&
	for l in lo s6 s4; do ip -n $S link set $l up || return 1; done
}

check "namespaces joined by an IPv6 and an IPv4 veth pair" setup

# AF_POST listeners: dual-stack on 7101/7102/7104/7105, IPv4 only on 7103
for p in 7101 7102 7104 7105 7108 7109 7201 7202; do
	serve $p postcat -l -6 -p $p -n 1000 -q || echo "# server $p?"
done
serve 7103 postcat -l -4 -p 7103 -n 1000 -q
check "servers listening" serve tcp postrace -l 7106

# --- both healthy: IPv6, the preferred family, wins at once ----------------
race $S6 7101 $S4 7101
check "both healthy: IPv6 wins" [ "$(field winner)" = "[$S6]:7101" ]
check "both healthy: connected before the attempt delay" ms_between 0 250
check "both healthy: IPv4 never started" \
	[ "$(attempt 1)" = "$S4:7101 idle" ]
race -f 4 $S6 7109 $S4 7109
check "prefer IPv4 (-f 4): IPv4 wins, IPv6 never started" eval \
	'[ "$(field winner)" = "$S4:7109" ] && [ "$(attempt 1)" = "[$S6]:7109 idle" ]'

# --- IPv6 blackholed: a sequential client waits for the SYN timeout --------
ip -n $S -6 route add blackhole $C6/128
race -t 1000 $S6 7102
check "IPv6 blackholed: alone, it times out (ETIMEDOUT after 1 s)" eval \
	'[ "$(outcome)" = ETIMEDOUT ] && ms_between 1000 1800'
race -H 1200 $S6 7102 $S4 7102 &
hold=$!
sleep 1
check "IPv6 blackholed, while connected: one TCP socket, the loser closed" \
	[ "$(leftovers)" -eq 1 ]
wait $hold
check "IPv6 blackholed: IPv4 wins" [ "$(field winner)" = "$S4:7102" ]
check "IPv6 blackholed: connected in one attempt delay (250..1000 ms)" \
	ms_between 250 1000
check "IPv6 blackholed: the IPv6 attempt was cancelled" \
	[ "$(attempt 0)" = "[$S6]:7102 cancelled" ]
check "IPv6 blackholed: nothing left behind" no_leftovers

# --- the second connect uses the association --------------------------------
race $S6 7102 $S4 7102
check "second connect: association flag set" \
	sh -c "grep -q '^connect ok .*flags=done,assoc' $OUT"
check "second connect: cached IPv4 winner tried first" \
	[ "$(attempt 0)" = "$S4:7102 won" ]
check "second connect: no attempt delay (under 200 ms)" ms_between 0 200
ip -n $S -6 route del blackhole $C6/128

# --- IPv6 refused: IPv4 at once ---------------------------------------------
race $S6 7103 $S4 7103
check "IPv6 refused: IPv4 wins" [ "$(field winner)" = "$S4:7103" ]
check "IPv6 refused: IPv6 failed with ECONNREFUSED" \
	sh -c "grep -q '^attempt 0 .* state=failed .* error=ECONNREFUSED' $OUT"
check "IPv6 refused: IPv4 started at once, connected under 200 ms" \
	ms_between 0 200

# --- IPv6 300 ms slower: IPv4 wins after the attempt delay ------------------
tc -n $C qdisc add dev c6 root netem delay 300ms
race $S6 7104 $S4 7104
check "IPv6 delayed 300 ms: IPv4 wins" [ "$(field winner)" = "$S4:7104" ]
check "IPv6 delayed 300 ms: connected after the attempt delay (250..400 ms)" \
	ms_between 250 400
tc -n $C qdisc del dev c6 root
check "IPv6 delayed: nothing left behind" no_leftovers

# --- every candidate dead ---------------------------------------------------
ip -n $S -6 route add blackhole $C6/128
ip -n $S route add blackhole $C4/32
race -t 1500 $S6 7105 $S4 7105
check "all blackholed: ETIMEDOUT within the 1.5 s bound" eval \
	'[ "$(outcome)" = ETIMEDOUT ] && ms_between 1500 2000'
ip -n $S -6 route del blackhole $C6/128
race -t 1500 $S6 7103 $S4 7103
check "IPv6 refused, IPv4 blackholed: ECONNREFUSED, within 1.5 s" eval \
	'[ "$(outcome)" = ECONNREFUSED ] && ms_between 1500 2000'
ip -n $S route del blackhole $C4/32
race $S6 7999 $S4 7999
check "nothing listening: ECONNREFUSED at once" eval \
	'[ "$(outcome)" = ECONNREFUSED ] && ms_between 0 200'
check "failed races: nothing left behind" no_leftovers

# --- SOCK_STREAM: the same race, then plain TCP bytes to a TCP server -------
race -S -e $S6 7106 $S4 7106
check "stream: IPv6 wins against a plain TCP server, bytes echoed" eval \
	'[ "$(field winner)" = "[$S6]:7106" ] && grep -q "^echo ok" $OUT'
ip -n $S -6 route add blackhole $C6/128
race -S -e $S6 7106 $S4 7106
check "stream, IPv6 blackholed: IPv4 wins in 250..1000 ms, bytes echoed" eval \
	'[ "$(field winner)" = "$S4:7106" ] && ms_between 250 1000 &&
	 grep -q "^echo ok" $OUT'

# --- policy per namespace; the association cache's bounds -------------------
ip netns exec $C sh -c 'echo 100 >/proc/sys/net/post/attempt_delay_ms'
race $S6 7108 $S4 7108
check "sysctl attempt_delay_ms=100: IPv4 started at 100 ms, won" eval \
	'[ "$(field winner)" = "$S4:7108" ] && ms_between 100 250 &&
	 grep -q "^attempt 1 $S4:7108 state=won start_ms=1[0-4][0-9]" $OUT'
check "sysctl is per namespace: the server's is still 250" \
	[ "$(ip netns exec $S cat /proc/sys/net/post/attempt_delay_ms)" = 250 ]
ip -n $S -6 route del blackhole $C6/128

ip netns exec $C sh -c 'echo 1 >/proc/sys/net/post/assoc_max'
race $S6 7201 $S4 7201
race $S6 7201 $S4 7201
a1=$(grep -c 'flags=done,assoc' $OUT)
race $S6 7202 $S4 7202
race $S6 7201 $S4 7201
check "assoc_max=1: a second remote evicts the first" eval \
	'[ "$a1" = 1 ] && ! grep -q flags=done,assoc $OUT'
ip netns exec $C sh -c 'echo 300 >/proc/sys/net/post/assoc_expiry_ms'
race $S6 7201 $S4 7201
sleep 0.5
race $S6 7201 $S4 7201
check "assoc_expiry_ms=300: forgotten after 500 ms" eval \
	'! grep -q flags=done,assoc $OUT'
check "policy cases: nothing left behind" no_leftovers
echo "1..$n"
