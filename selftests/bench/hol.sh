#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Head-of-line latency and bulk throughput: AF_POST against TCP baselines
# carrying the same messages (tools/postbench.c says how each works):
#
#   post   one AF_POST carrier, bulk nice 7, small nice 0
#   fifo   TCP, userspace length-prefix framing, one FIFO
#   chunk  TCP, userspace 16 KiB chunk interleaving by priority and
#          TCP_NOTSENT_LOWAT 16 KiB (today's best practice, as HTTP/2)
#   two    two TCP connections, one per priority (the isolation ideal)
#
# Between two namespaces over a veth pair whose client side is rate
# limited (tbf RATE, a LATENCY-deep queue), so queues really form.
# (a) head of line: bulk messages of 1..64 MiB saturate the path while
#     64-byte messages arrive as a Poisson process (SMALL_RATE/s); the
#     server reports the small ones' delivery latency from when each was
#     due. Unloaded: the small ones alone.
# (b) bulk: 64 KiB and 1 MiB messages back to back, AF_POST and fifo.
# RUNS rounds, the modes interleaved within each; medians reported.
set -u

ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }

C=hol-c
S=hol-s
CA=10.5.0.1
SA=10.5.0.2
RATE=${POST_BENCH_RATE:-50mbit}
LATENCY=${POST_BENCH_QUEUE:-50ms}
SMALL_RATE=${POST_BENCH_SMALL_RATE:-1000}
RUNS=${POST_BENCH_RUNS:-5}
SECS=${POST_BENCH_SECS:-8}
PORT=9000
T=/tmp/bench-hol
mkdir -p $T

ip netns add $C && ip netns add $S &&
ip link add c0 netns $C type veth peer name s0 netns $S &&
ip -n $C addr add $CA/24 dev c0 &&
ip -n $S addr add $SA/24 dev s0 &&
ip -n $C link set c0 up && ip -n $S link set s0 up &&
ip -n $C link set lo up && ip -n $S link set lo up &&
tc -n $C qdisc add dev c0 root tbf rate $RATE burst 32kb \
	latency $LATENCY || exit 1
echo "# path: $CA -> $SA, tbf rate $RATE, queue $LATENCY; small messages" \
	"$SMALL_RATE/s; $RUNS runs of $SECS s"

# bytes the rate limiter has sent so far
sent() { tc -n $C -s qdisc show dev c0 | awk '/Sent/ { print $2; exit }'; }
now() { awk '{ print $1 }' /proc/uptime; }

# run MODE NAME CLIENT-ARGS...: one measurement, its server line kept with
# the link's use while the client ran (link_mbps, whatever the framing)
run() {
	mode=$1 name=$2
	shift 2
	PORT=$((PORT + 1))
	ip netns exec $S postbench server "$mode" $PORT >$T/server 2>&1 &
	spid=$!
	for _ in $(seq 50); do grep -q listening $T/server && break; sleep 0.1; done
	b0=$(sent)
	t0=$(now)
	ip netns exec $C postbench client "$mode" $SA $PORT "$@" \
		>$T/client 2>&1
	link=$(awk -v b0="$b0" -v b1="$(sent)" -v t0="$t0" -v t1="$(now)" \
		'BEGIN { printf "%.1f", (b1 - b0) * 8 / (t1 - t0) / 1e6 }')
	wait $spid
	line="$(grep '^small' $T/server) link_mbps $link"
	grep -q '^small' $T/server ||
		{ sed "s/^/# $name: /" $T/server $T/client; return; }
	echo "# $name: $line"
	echo "$line" >>$T/$name
}

field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' \
	"$T/$1" 2>/dev/null; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ?
	v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "null" }'; }
med() { field "$1" "$2" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" ||
	b == 0) print "null"; else printf "%.2f\n", a / b }'; }

for r in $(seq "$RUNS"); do
	echo "# round $r"
	for m in post fifo chunk two; do
		run $m hol_$m -t "$SECS" -r "$SMALL_RATE" -b
	done
	for m in post fifo chunk two; do
		run $m idle_$m -t 3 -r "$SMALL_RATE"
	done
	for m in post fifo; do
		run $m bulk64k_$m -t 5 -B 65536
		run $m bulk1m_$m -t 5 -B 1048576
	done
done

for m in post fifo chunk two; do
	echo "BENCH hol_${m}_p50_ms $(med hol_$m p50_ms)"
	echo "BENCH hol_${m}_p99_ms $(med hol_$m p99_ms)"
	echo "BENCH hol_${m}_link_mbps $(med hol_$m link_mbps)"
	echo "BENCH unloaded_${m}_p99_ms $(med idle_$m p99_ms)"
done
post=$(med hol_post p99_ms)
echo "BENCH hol_p99_ratio $(ratio "$(med hol_fifo p99_ms)" "$post")"
echo "BENCH hol_p99_vs_userspace $(ratio "$(med hol_chunk p99_ms)" "$post")"
echo "BENCH hol_p99_vs_two_conn $(ratio "$post" "$(med hol_two p99_ms)")"
for s in 64k 1m; do
	echo "BENCH bulk_${s}_post_mbps $(med bulk${s}_post bulk_mbps)"
	echo "BENCH bulk_${s}_fifo_mbps $(med bulk${s}_fifo bulk_mbps)"
	echo "BENCH bulk_${s}_ratio $(ratio "$(med bulk${s}_post bulk_mbps)" \
		"$(med bulk${s}_fifo bulk_mbps)")"
done
echo "BENCH hol_rate \"$RATE\""
echo "BENCH hol_queue \"$LATENCY\""
echo "BENCH hol_small_per_s $SMALL_RATE"
echo "BENCH hol_runs $RUNS"
