#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Time to connected when IPv6 is blackholed and IPv4 is healthy, in the
# guest, between two namespaces joined by an IPv6 and an IPv4 veth pair
# (as selftests/race.sh). The server's route back to the client's IPv6
# address is a blackhole, so IPv6 SYNs go unanswered. The name "srv"
# resolves to both addresses (/etc/hosts; IPv6 sorts first).
#
#   af_post       postrace -S srv: getaddrinfo, then an AF_POST SOCK_STREAM
#                 carrier racing both addresses; association cache off
#                 (assoc_expiry_ms=0), so every run is a first contact
#   af_post_warm  the same with the cache on: after one unmeasured run the
#                 association sends IPv4 first (expiry 0 flushes the cache,
#                 so each warm run follows its own learning run)
#   af_post_200   cache off, attempt delay 200 ms (curl's default)
#   curl          curl's own racing (Happy Eyeballs in userspace, 200 ms),
#                 its %{time_connect}, which includes name resolution
#   sequential    getaddrinfo order, blocking connect() to each in turn:
#                 waits for the IPv6 SYN timeout (net.ipv4.tcp_syn_retries)
#
# Runs are interleaved; the sequential runs wait in parallel with the
# rest (they only sleep in connect()). Prints "BENCH key value" lines
# that run.sh gathers into build/bench/results.json.
set -u

ip() { /usr/sbin/ip "$@"; }

C=bench-c
S=bench-s
C6=2001:db8:6::1
S6=2001:db8:6::2
C4=10.4.0.1
S4=10.4.0.2
RUNS=${POST_BENCH_RUNS:-7}
SEQ_RUNS=${POST_BENCH_SEQ_RUNS:-5}
PORT=8080
T=/tmp/bench-connect
mkdir -p $T

ip netns add $C && ip netns add $S &&
ip link add c6 netns $C type veth peer name s6 netns $S &&
ip link add c4 netns $C type veth peer name s4 netns $S &&
ip -n $C addr add $C6/64 dev c6 nodad &&
ip -n $S addr add $S6/64 dev s6 nodad &&
ip -n $C addr add $C4/24 dev c4 &&
ip -n $S addr add $S4/24 dev s4 || exit 1
for l in lo c6 c4; do ip -n $C link set $l up; done
for l in lo s6 s4; do ip -n $S link set $l up; done
printf '%s srv\n%s srv\n' $S6 $S4 >/etc/hosts
echo 'multi on' >/etc/host.conf		# every address of a name, as Debian
echo 'hosts: files' >/etc/nsswitch.conf

ip netns exec $S postrace -l $PORT >$T/server.log 2>&1 &
for _ in $(seq 50); do grep -q listening $T/server.log && break; sleep 0.1; done
ip -n $S -6 route add blackhole $C6/128

cexec() { ip netns exec $C "$@"; }
sysctl_c() { cexec sh -c "echo $2 >/proc/sys/net/post/$1"; }
# time to connected in ms (name resolution included) from postrace output
post_ms() { awk '/^connect ok/ { for (i = 1; i <= NF; i++) {
	if ($i ~ /^ms=/) m = substr($i, 4); if ($i ~ /^resolve_ms=/) r = substr($i, 12) }
	printf "%.1f\n", m + r }' "$1"; }
winner() { sed -n 's/^connect ok .* winner=\([^ ]*\) .*/\1/p' "$1"; }

echo "# sequential: $SEQ_RUNS runs in parallel, each waits for the SYN timeout"
for i in $(seq "$SEQ_RUNS"); do
	cexec postrace -g srv $PORT >$T/seq.$i 2>&1 &
done

: >$T/af_post; : >$T/af_post_warm; : >$T/af_post_200; : >$T/curl
for i in $(seq "$RUNS"); do
	sysctl_c assoc_expiry_ms 0
	cexec postrace -S srv $PORT >$T/run 2>&1
	post_ms $T/run >>$T/af_post
	echo "# af_post run $i: $(post_ms $T/run) ms, winner $(winner $T/run)"
	[ "$i" = 1 ] || grep -q '^connect ok' $T/run || sed 's/^/# /' $T/run
	[ "$i" != 1 ] || sed 's/^/#   /' $T/run
	cexec postrace -S -d 200 srv $PORT >$T/run 2>&1
	post_ms $T/run >>$T/af_post_200

	cexec curl -s -o /dev/null --max-time 5 -w '%{time_connect}\n' \
		http://srv:$PORT/ >$T/run 2>/dev/null
	awk '{ printf "%.1f\n", $1 * 1000 }' $T/run >>$T/curl
	echo "# curl run $i: $(tail -n 1 $T/curl) ms"

	# turning the cache off (expiry 0) forgot everything: learn IPv4 again
	sysctl_c assoc_expiry_ms 600000
	cexec postrace -S srv $PORT >$T/warmup 2>&1
	cexec postrace -S srv $PORT >$T/run 2>&1
	post_ms $T/run >>$T/af_post_warm
	echo "# af_post warm run $i: $(post_ms $T/run) ms, winner $(winner $T/run)"
done
wait_seq() {
	for i in $(seq "$SEQ_RUNS"); do
		while ! grep -q '^connect' $T/seq.$i; do sleep 1; done
	done
}
wait_seq
for i in $(seq "$SEQ_RUNS"); do
	sed 's/^/# sequential: /' $T/seq.$i
done
sed -n 's/^connect ok ms=\([^ ]*\) .*/\1/p' $T/seq.* >$T/sequential

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ?
	v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "null" }'; }
samples() { awk '{ s = s (NR > 1 ? "," : "") $1 } END { print "[" s "]" }' "$1"; }

ours=$(median $T/af_post)
warm=$(median $T/af_post_warm)
same=$(median $T/af_post_200)
curl=$(median $T/curl)
seq=$(median $T/sequential)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b == 0)
	print "null"; else printf "%.2f\n", a / b }'; }

echo "BENCH connect_v6_blackhole_ms $ours"
echo "BENCH connect_ratio_vs_sequential $(ratio "$seq" "$ours")"
echo "BENCH connect_ratio_vs_curl $(ratio "$curl" "$ours")"
echo "BENCH connect_v6_blackhole_warm_ms $warm"
echo "BENCH connect_ratio_vs_curl_warm $(ratio "$curl" "$warm")"
echo "BENCH connect_v6_blackhole_delay200_ms $same"
echo "BENCH connect_ratio_vs_curl_delay200 $(ratio "$curl" "$same")"
echo "BENCH connect_curl_ms $curl"
echo "BENCH connect_sequential_ms $seq"
echo "BENCH connect_attempt_delay_ms $(cexec cat /proc/sys/net/post/attempt_delay_ms)"
echo "BENCH connect_runs $RUNS"
echo "BENCH connect_af_post_samples_ms $(samples $T/af_post)"
echo "BENCH connect_af_post_warm_samples_ms $(samples $T/af_post_warm)"
echo "BENCH connect_af_post_delay200_samples_ms $(samples $T/af_post_200)"
echo "BENCH connect_curl_samples_ms $(samples $T/curl)"
echo "BENCH connect_sequential_samples_ms $(samples $T/sequential)"
echo "BENCH connect_sequential_first_try \"$(sed -n 's/^try //p' $T/seq.1 | head -n 1)\""
