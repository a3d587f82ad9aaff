#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# postcat (tools/postcat.c, on libpost) driven by a script: lines and files
# as messages to a name that resolves to both families, niceness and
# lifetime reaching the peer, events, a SOCK_STREAM carrier to a plain TCP
# server, an unknown host, and libpost's error when the af_post module is
# not loaded (the module is unloaded and loaded again: run after module.sh's
# checks, with no carrier open). Needs POST_MODULE.
set -u

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - postcat: $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - postcat: $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
has() { grep -q -- "$2" "$1" || { sed "s/^/# $1: /" "$1"; return 1; }; }

wait_for() {
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

T=/tmp/postcat
mkdir -p $T
printf '127.0.0.1 localhost\n::1 localhost6\n127.0.0.1 duo\n::1 duo\n' \
	>/etc/hosts
echo 'hosts: files' >/etc/nsswitch.conf
echo 'multi on' >/etc/host.conf	# every line of a name, as Debian's

# serve PORT ARGS...: a postcat listener in the background, its log in
# $T/srv.PORT, once it listens
serve() {
	p=$1
	shift
	postcat -l -p "$p" "$@" >$T/srv.$p 2>&1 &
	wait_for grep -q listening $T/srv.$p
}

echo "1..12"

serve 7301 -n 1 -e
printf 'one\ntwo\nthree\n' | postcat -c duo -p 7301 -v >$T/lines 2>&1
check "lines become messages, echoed back (exit 0)" [ $? -eq 0 ]
check "the server got each line as one message" eval \
	'has $T/srv.7301 "recv id=1 len=3 nice=3: one" &&
	 has $T/srv.7301 "recv id=3 len=5 nice=3: three" &&
	 has $T/srv.7301 "end of stream: 3 messages, 11 bytes"'
check "the echoes come back, and the race to duo was won" eval \
	'has $T/lines "recv id=2 len=3 nice=3: two" &&
	 has $T/lines "^race: winner .* 2 attempts"'
check "every message is sent and acknowledged (events)" eval \
	'for i in 1 2 3; do has $T/lines "event sent id=$i" &&
	 has $T/lines "event acked id=$i" || exit 1; done'
wait

serve 7302 -n 1
printf 'urgent\n' | postcat -c 127.0.0.1 -p 7302 -N 0 -L 30000 >/dev/null
check "niceness and lifetime reach the peer" \
	has $T/srv.7302 "recv id=1 len=6 nice=0 lifetime=[0-9]*ms: urgent"
wait

head -c 100000 /dev/urandom >$T/f1
printf 'small file' >$T/f2
serve 7303 -n 1
postcat -c duo -p 7303 -f $T/f1 $T/f2 >/dev/null 2>&1
check "each file is one message" eval \
	'has $T/srv.7303 "recv id=1 len=100000" &&
	 has $T/srv.7303 "recv id=2 len=10 nice=3: small file"'
wait

nc -l -p 7304 -e /bin/cat >/dev/null 2>&1 &
sleep 0.3
printf 'raw bytes\nno framing\n' | postcat -S -c 127.0.0.1 -p 7304 \
	>$T/stream 2>&1
check "-S: a byte stream through a plain TCP echo server" eval \
	'[ "$(cat $T/stream)" = "$(printf "raw bytes\nno framing")" ] ||
	 { sed "s/^/# /" $T/stream; false; }'
wait

postcat -c no-such-host.invalid -p 7305 </dev/null >$T/nohost 2>&1
check "an unknown host: exit 1" [ $? -eq 1 ]
check "... and says so" has $T/nohost "unknown host"
postcat -c 127.0.0.1 -p 7306 </dev/null >$T/refused 2>&1
check "nothing listening: connection refused" has $T/refused "refused"

# no module: libpost says so, in words
post_sockets() { awk '$1 == "POST" { print $3 }' /proc/net/protocols; }
wait_for [ "$(post_sockets)" = 0 ]
if rmmod af_post; then
	postcat -c 127.0.0.1 -p 7307 -s 1 >$T/nomod 2>&1
	rc=$?
	postcat -l -p 7307 >$T/nomod-l 2>&1
	check "no module: initiate and listen fail with exit 1" \
		[ $rc -eq 1 -a $? -eq 1 ]
	check "... saying the af_post module is not loaded" eval \
		'has $T/nomod "the af_post module is not loaded" &&
		 has $T/nomod-l "the af_post module is not loaded"'
	insmod "$POST_MODULE" || echo "# insmod failed"
else
	not_ok "rmmod af_post (sockets: $(post_sockets))"
	not_ok "(skipped: no module test)"
fi
exit $failed
