#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libpost's examples (lib/examples) do what they say: hello (the README's
# program), the echo server and client on the library's loop, typed
# objects through a codec with a decode error reported, and deadline: small
# nice-0 messages overtake an 8 MiB nice-7 one, and messages whose lifetime
# ends behind it expire and are never delivered.
set -u

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - examples: $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - examples: $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
has() { grep -q -- "$2" "$1" || { sed "s|^|# $1: |" "$1"; return 1; }; }
line() { grep -n -- "$2" "$1" | head -n 1 | cut -d: -f1; }

wait_for() {
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

T=/tmp/examples
mkdir -p $T
printf '127.0.0.1 localhost\n::1 localhost6\n127.0.0.1 duo\n::1 duo\n' \
	>/etc/hosts
echo 'hosts: files' >/etc/nsswitch.conf
echo 'multi on' >/etc/host.conf

echo "1..9"

hello server 7401 >$T/hello-srv 2>&1 &
hs=$!
sleep 0.5
hello client duo 7401 world >$T/hello 2>&1
check "hello: the README's program answers" eval \
	'[ "$(cat $T/hello)" = "hello, world" ] || { sed "s/^/# /" $T/hello; false; }'
kill $hs 2>/dev/null
wait $hs 2>/dev/null

echo_server 7402 1 >$T/echo-srv 2>&1 &
es=$!
wait_for grep -q listening $T/echo-srv
echo_client duo 7402 one two three >$T/echo 2>&1
check "echo_client: every echo identical (exit 0)" [ $? -eq 0 ]
check "echo_client printed the echoes" eval \
	'has $T/echo "echo: one" && has $T/echo "echo: three"'
wait $es
rc=$?
check "echo_server served its carrier on the loop and ended (exit 0)" \
	eval '[ $rc -eq 0 ] && has $T/echo-srv "served 1 carriers" &&
	      has $T/echo-srv "echoed id=3 len=5"'

typed server 7403 >$T/typed-srv 2>&1 &
ts=$!
wait_for grep -q listening $T/typed-srv
typed client 127.0.0.1 7403 >$T/typed 2>&1
rc=$?
check "typed: 5 objects counted by the server (exit 0)" eval \
	'[ $rc -eq 0 ] && has $T/typed "reply: count=5"'
wait $ts
check "typed: objects decoded, the malformed one reported with its id" \
	eval 'has $T/typed-srv "object sensor=2 value=-18250 label=freezer" &&
	      has $T/typed-srv "decode error id=4: Bad message" &&
	      has $T/typed-srv "done: objects=5 errors=1"'

# deadline over a rate-limited path, so that queues form: two namespaces,
# a veth pair, netem rate 50 Mbit/s on the client's side
ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }
ip netns add ex-c && ip netns add ex-s &&
ip link add v0 netns ex-c type veth peer name v0 netns ex-s &&
ip -n ex-c addr add 10.78.0.1/24 dev v0 && ip -n ex-s addr add 10.78.0.2/24 dev v0 &&
ip -n ex-c link set v0 up && ip -n ex-s link set v0 up &&
ip -n ex-c link set lo up && ip -n ex-s link set lo up &&
tc -n ex-c qdisc add dev v0 root netem rate 50mbit limit 100 ||
	echo "# netns setup failed"
ip netns exec ex-s deadline server 7404 >$T/dl-srv 2>&1 &
ds=$!
wait_for grep -q listening $T/dl-srv
ip netns exec ex-c deadline client 10.78.0.2 7404 >$T/dl 2>&1
rc=$?
check "deadline: every message ended: 5 acked, 3 expired" eval \
	'[ $rc -eq 0 ] && has $T/dl "done: acked=5 expired=3 aborted=0"'
wait $ds
# each nice-0 message was read before the 8 MiB nice-7 one
overtook() {
	big=$(line $T/dl-srv "message id=1 len=8388608 nice=7")
	for i in 2 3 4 5; do
		l=$(line $T/dl-srv "message id=$i .*nice=0")
		if [ -z "$big" ] || [ -z "$l" ] || [ "$l" -gt "$big" ]; then
			sed "s/^/# server: /" $T/dl-srv
			sed "s/^/# client: /" $T/dl
			return 1
		fi
	done
}
check "deadline: nice-0 messages overtook the 8 MiB nice-7 one" overtook
check "deadline: expired messages never delivered" eval \
	'! grep -q "message id=[678] " $T/dl-srv &&
	 has $T/dl-srv "end of stream: 5 messages"'
ip netns del ex-c
ip netns del ex-s
exit $failed
