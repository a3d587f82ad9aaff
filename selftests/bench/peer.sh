#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Peer comparison: AF_POST against the other ways Linux carries messages,
# all carrying the same application messages (tools/postpeer.c says how
# each mode and each workload works exactly):
#
#   post   an AF_POST SOCK_SEQPACKET carrier, default properties
#   tcp    TCP, a 4-byte length prefix framed in userspace, TCP_NODELAY
#   sctp   SCTP SOCK_SEQPACKET (one-to-many socket), SCTP_NODELAY
#   kcm    KCM SOCK_SEQPACKET on both ends, over TCP (TCP_NODELAY) with
#          Documentation/networking/kcm.rst's BPF length parser
#
# On loopback (127.0.0.1, one namespace) and over a veth pair between two
# namespaces without a rate limit (10.6.0.1 -> 10.6.0.2), each mode runs
#   rr64, rr4k, rr64k  request/response of 64 B, 4 KiB, 64 KiB messages,
#                      echoed whole by the server: round trip p50 and p99,
#                      SECS each after 0.1 s of warm-up
#   rate               64-byte messages one way for SECS: messages/s at the
#                      receiver, first to last message
#   bulk               1 MiB messages one way for SECS: Mbit/s of payload at
#                      the receiver. Here only, every mode's sockets get
#                      SO_SNDBUF and SO_RCVBUF of 4 MiB on both ends (the
#                      kernel doubles it): SCTP refuses a message larger
#                      than its send buffer, KCM's parser one larger than
#                      its TCP socket's receive buffer
#   many               post and tcp only: kernel memory per connection
#                      (Slab + KernelStack + PageTables + Percpu +
#                      VmallocUsed from /proc/meminfo, before any and with
#                      CONNS connections open and idle, clean caches dropped
#                      first; both ends of each connection are in this
#                      kernel), then 64-byte round trips over the CONNS
#                      connections in turn against 10 connections
# rr and many run with both ends and the unbound workqueues (AF_POST's
# transmit and receive work, KCM's) on one CPU: under TCG a wakeup on the
# other vCPU waits for the host to run that vCPU's thread, up to a few ms
# (4 and 8 ms steps) when another guest keeps the host busy, and would
# decide the round trip; rate and bulk use both CPUs as they like.
# RUNS rounds; within each, every path and every mode in turn, so the
# modes interleave; medians over the rounds. A server and a client for
# each mode and path in each round; a mode that fails (or whose module is
# missing) is reported in "#" lines and the run goes on; a workload that
# failed in each of the first two rounds and every one since is not run
# again (each failure may cost a 3 s socket timeout); BENCH lines only for
# figures measured. Every message is checked on arrival (length, kind,
# sequence, KCM's prefix), so a figure counts only messages that arrived
# whole and in order.
#
# BENCH names (ratio = AF_POST / baseline: latency is time, lower is
# better; rate and throughput, higher is better):
#   rr64_p50_ratio rr64_p99_ratio rr4k_p50_ratio rr64k_p50_ratio
#   rate64_ratio bulk1m_ratio        against tcp; the same names with
#                                    _vs_sctp and _vs_kcm against those
#   carrier_kb     kernel memory of an idle AF_POST carrier beyond a TCP
#                  socket, kB: half the difference per connection (each
#                  connection is two carriers, or two TCP sockets)
#   many_rr64_p99_ratio  rr64_p99_ratio over the CONNS connections of many
#   also the absolute medians (rr64_p50_us_post, rate64_msgs_per_s_tcp,
#   bulk1m_mbps_kcm, conn_kb_post: per connection, both ends,
#   many10_rr64_p99_us_tcp, many_rr64_p99_us_tcp, ...); the veth run
#   prints the same names with a veth_ prefix.
#
# Environment (make bench passes POST_BENCH_* on to the guest; lists may
# be separated by commas):
#   POST_BENCH_RUNS        rounds (5; hol.sh and connect.sh read it too)
#   POST_BENCH_PEER_SECS   seconds per measurement (0.6)
#   POST_BENCH_PEER_CONNS  connections of the many workload (1000)
#   POST_BENCH_PEER_PATHS  "lo veth"
#   POST_BENCH_PEER_MODES  "post tcp sctp kcm"
#   POST_BENCH_PEER_CPU    the CPU of rr and many (0), "none": not pinned
# About 5.5 minutes of guest time under TCG with the defaults (315 s on an
# idle 2-core host). Quick, about half of that (no figure for 1000
# connections then; per connection, 200 of them take less):
#   POST_BENCH_RUNS=3 POST_BENCH_PEER_SECS=0.5 POST_BENCH_PEER_CONNS=200
set -u

ip() { /usr/sbin/ip "$@"; }

C=peer-c
S=peer-s
CA=10.6.0.1
SA=10.6.0.2
RUNS=${POST_BENCH_RUNS:-5}
SECS=${POST_BENCH_PEER_SECS:-0.6}
CONNS=${POST_BENCH_PEER_CONNS:-1000}
CPU=${POST_BENCH_PEER_CPU:-0}
PATHS=$(echo "${POST_BENCH_PEER_PATHS:-lo veth}" | tr , ' ')
WANT=$(echo "${POST_BENCH_PEER_MODES:-post tcp sctp kcm}" | tr , ' ')
PORT=9400
T=/tmp/bench-peer
rm -rf $T
mkdir -p $T
: >$T/fails
: >$T/skips
start=$(date +%s)

ip netns add $C && ip netns add $S &&
ip link add pc0 netns $C type veth peer name ps0 netns $S &&
ip -n $C addr add $CA/24 dev pc0 &&
ip -n $S addr add $SA/24 dev ps0 &&
ip -n $C link set pc0 up && ip -n $S link set ps0 up &&
ip -n $C link set lo up && ip -n $S link set lo up || exit 1

now() { awk '{ print $1 }' /proc/uptime; }
since() { awk -v t0="$1" '{ printf "%.1f", $1 - t0 }' /proc/uptime; }

# pin 1|0: both ends and the unbound workqueues (AF_POST's, KCM's) on
# CPU $CPU, or anywhere
WQMASK=/sys/devices/virtual/workqueue/cpumask
WQALL=$(cat $WQMASK)
pin() {
	PIN=""
	mask=$WQALL
	if [ "$1" = 1 ] && [ "$CPU" != none ]; then
		PIN="taskset -c $CPU"
		mask=$(printf '%x' $((1 << CPU)))
	fi
	[ "$(cat $WQMASK)" = "$mask" ] || echo "$mask" >$WQMASK ||
		echo "# unbound workqueues: cannot set cpumask $mask"
}

MODES=""
for m in $WANT; do
	if why=$(postpeer probe "$m" 2>&1); then
		MODES="$MODES $m"
	else
		echo "# mode $m unavailable: $why"
	fi
done
echo "# paths: $PATHS (veth $CA -> $SA, no rate limit); modes:$MODES;" \
	"$RUNS rounds of $SECS s per measurement; many: $CONNS connections;" \
	"CPU: $CPU"

# run PATH MODE PIN WORKLOADS [CLIENT-ARGS...]: one server, one client;
# every figure the client prints lands in $T/PATH_MODE_WORKLOAD
run() {
	path=$1 mode=$2 list=$4
	pin "$3"
	shift 4
	PORT=$((PORT + 2))
	if [ "$path" = lo ]; then
		addr=127.0.0.1 sx="" cx=""
	else
		# the binary: busybox timeout would run its own ip applet
		addr=$SA sx="/usr/sbin/ip netns exec $S"
		cx="/usr/sbin/ip netns exec $C"
	fi
	t0=$(now)
	$sx $PIN postpeer server "$mode" $PORT >$T/server 2>&1 &
	spid=$!
	for _ in $(seq 50); do
		grep -q listening $T/server && break
		kill -0 $spid 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q listening $T/server; then
		sed "s/^/# $path $mode server: /" $T/server
		kill $spid 2>/dev/null
		wait $spid 2>/dev/null
		return
	fi
	timeout -k 5 200 $cx $PIN postpeer client "$mode" $addr $PORT -W "$list" \
		-t "$SECS" "$@" >$T/client 2>&1
	rc=$?
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	grep -v '^listening' $T/server | sed "s/^/# $path $mode server: /"
	line=""
	while read -r name rest; do
		case "$name" in
		rr64|rr4k|rr64k|rate|bulk|many10|many|mem)
			echo "$rest" >>"$T/${path}_${mode}_$name"
			line="$line $name $(echo "$rest" | awk '{
				for (i = 1; i < NF; i += 2)
					if ($i != "n" && $i != "conns")
						printf "%s%s", s++ ? "/" : "", $(i + 1) }')"
			;;
		error)
			echo "$path $mode ${rest%%:*}" >>$T/fails
			echo "# $path $mode: error $rest"
			;;
		*)
			echo "# $path $mode: $name $rest"
			;;
		esac
	done <$T/client
	case $rc in 124|137|143)
		echo "$path $mode client" >>$T/fails
		echo "# $path $mode: client killed after 200 s" ;;
	esac
	[ -n "$line" ] && echo "# $path $mode:$line ($(since "$t0") s)"
}

# WORKLOADS minus those that failed in every round so far, from the third
# round on (KCM's bulk: each costs a send timeout)
todo() {
	out=""
	for w in $3; do
		n=$(grep -c "^$1 $2 $w\$" $T/fails)
		k=$(grep -c "^$1 $2 $w\$" $T/skips)
		if [ "$r" -gt 2 ] && [ "$n" -ge 2 ] &&
		   [ $((n + k)) -eq $((r - 1)) ]; then
			echo "$1 $2 $w" >>$T/skips
		else
			out="$out,$w"
		fi
	done
	echo "${out#,}"
}

for r in $(seq "$RUNS"); do
	echo "# round $r (rr p50/p99 us, rate msg/s, bulk Mbit/s," \
		"mem kernel/slab kB per connection, connect us)"
	for p in $PATHS; do
		for m in $MODES; do
			l=$(todo "$p" "$m" "rr64 rr4k rr64k")
			[ -n "$l" ] && run "$p" "$m" 1 "$l"
			l=$(todo "$p" "$m" "rate bulk")
			[ -n "$l" ] && run "$p" "$m" 0 "$l"
		done
		for m in $MODES; do
			case $m in post|tcp)
				l=$(todo "$p" "$m" "many10 many")
				[ -n "$l" ] && run "$p" "$m" 1 many -n "$CONNS" -d
				;;
			esac
		done
	done
done

field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' \
	"$T/$1" 2>/dev/null; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ?
	v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "null" }'; }
med() { field "$1" "$2" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" ||
	b == 0) print "null"; else printf "%.2f\n", a / b }'; }
# (A - B) / 2: per end of a connection
half_diff() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null")
	print "null"; else printf "%.2f\n", (a - b) / 2 }'; }
# a BENCH line only for a figure measured
bench() { [ "$2" = null ] || echo "BENCH $1 $2"; }

# the figures: NAME FILE FIELD, and whether a BENCH line shows it too
FIGS="rr64_p50_us rr64 p50_us 1
rr64_p99_us rr64 p99_us 1
rr4k_p50_us rr4k p50_us 1
rr4k_p99_us rr4k p99_us 0
rr64k_p50_us rr64k p50_us 1
rr64k_p99_us rr64k p99_us 0
rate64_msgs_per_s rate msgs_per_s 1
bulk1m_mbps bulk mbps 1
conn_kb mem kernel_kb 1
conn_slab_kb mem slab_kb 0
connect_us mem connect_us 0
many10_rr64_p50_us many10 p50_us 0
many10_rr64_p99_us many10 p99_us 1
many_rr64_p50_us many p50_us 0
many_rr64_p99_us many p99_us 1"

for p in $PATHS; do
	pre=""
	[ "$p" = veth ] && pre=veth_
	echo "# $p medians (of N rounds):"
	for m in $MODES; do
		echo "$FIGS" | while read -r name file f b; do
			v=$(med "${p}_${m}_$file" "$f")
			[ "$v" = null ] && continue
			echo "#   $m $name $v ($(wc -l <"$T/${p}_${m}_$file"))"
			[ "$b" = 1 ] && echo "BENCH ${pre}${name}_$m $v"
		done
	done
	for base in tcp sctp kcm; do
		suf=_vs_$base
		[ $base = tcp ] && suf=""
		for x in "rr64_p50 rr64 p50_us" "rr64_p99 rr64 p99_us" \
			"rr4k_p50 rr4k p50_us" "rr64k_p50 rr64k p50_us" \
			"rate64 rate msgs_per_s" "bulk1m bulk mbps"; do
			set -- $x
			bench "${pre}${1}_ratio$suf" "$(ratio \
				"$(med "${p}_post_$2" "$3")" \
				"$(med "${p}_${base}_$2" "$3")")"
		done
	done
	for m in $MODES; do
		grep "^$p $m " $T/fails | sort | uniq -c |
			while read -r n _ _ w; do
				k=$(grep -c "^$p $m $w\$" $T/skips)
				skip=""
				[ "$k" -gt 0 ] && skip=" (not run in the last $k)"
				echo "#   $m $w failed in $n of $((RUNS - k)) rounds$skip"
			done
	done
	bench "${pre}carrier_kb" "$(half_diff "$(med "${p}_post_mem" kernel_kb)" \
		"$(med "${p}_tcp_mem" kernel_kb)")"
	bench "${pre}many_rr64_p99_ratio" "$(ratio \
		"$(med "${p}_post_many" p99_us)" "$(med "${p}_tcp_many" p99_us)")"
done
echo "BENCH peer_runs $RUNS"
echo "BENCH peer_secs $SECS"
echo "BENCH peer_conns $CONNS"
ip netns del $C
ip netns del $S
pin 0
echo "# peer.sh took $(( $(date +%s) - start )) s"
