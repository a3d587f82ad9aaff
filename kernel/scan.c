// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST receive readiness: what the transient's receive queue holds,
 * decided where TCP queues data (data_ready, softirq) without reading it.
 *
 * The scanner walks the frame headers of what TCP queued (as strparser
 * peeks at message lengths): it follows the messages open in the stream
 * (their seq and the bytes they still need), skips payloads, and counts
 * messages without a lifetime whose last byte is in the queue (scan.done:
 * one with a lifetime is read at once by io_work, since it may expire
 * there, and only then wakes readers) and ACK or EXPIRED
 * frames (scan.ctl). The parser (rx.c, in recvmsg() or io_work) counts
 * the messages it completes and the control frames it handles
 * (rx.parse_done, rx.parse_ctl): a difference means work in TCP. So
 * EPOLLIN still means a complete message, and data_ready wakes a reader
 * only when there is a message or an ACK to read. A message on its way
 * stays in TCP while TCP holds less than a quarter of its buffer (so that
 * it usually goes straight into the reader's buffer once whole: rx.c);
 * beyond that it is read into the carrier, as kTLS does with a record not
 * all there yet, so that TCP's window never waits for a message.
 *
 * A message with a lifetime is read at once (its lifetime runs from its
 * arrival, which only the parser records).
 *
 * The scanner starts where the parser finished the peer's preamble, and
 * runs before the parser reads anything (post_rx_pull() scans first), so
 * it is never behind. It checks only what it needs; anything it does not
 * understand stops it (scan.broken), and then io_work reads, so that the
 * parser (which checks everything) resets the carrier.
 *
 * Locking: the scanner's state and the parser's counters are written
 * under the transient's socket lock: in data_ready (softirq, or the
 * owner's release_sock() processing the backlog) and in post_rx_pull()
 * (lock_sock(transient)), which never run at once. poll() reads the
 * counters with READ_ONCE.
 */
#include <linux/skbuff.h>
#include <net/tcp.h>

#include "post.h"

/* Start following the stream at TCP seq @pos, a frame boundary. */
void post_scan_start(struct post_sock *ps, u32 pos)
{
	struct post_scan *sc = &ps->scan;

	memset(sc, 0, sizeof(*sc));
	sc->pos = pos;
	sc->last_start = ps->rx.last_start;
	sc->want = POST_FRAME_HDR_LEN;
	ps->rx.parse_done = 0;
	ps->rx.parse_ctl = 0;
	ps->rx.parse_timed = 0;
	/* poll() sees the counters reset before it sees the scanner on */
	smp_store_release(&sc->active, true);
}

static int post_scan_find(struct post_scan *sc, u64 seq)
{
	int i;

	for (i = 0; i < sc->nr_open; i++)
		if (sc->open[i].seq == seq)
			return i;
	return -1;
}

static void post_scan_close(struct post_scan *sc, int i)
{
	sc->open[i] = sc->open[--sc->nr_open];
}

/* A whole header is in sc->hdr: what follows it? false: stop scanning. */
static bool post_scan_header(struct post_sock *ps, struct post_scan *sc)
{
	struct post_msg_hdr mh;
	struct post_frame f;
	u32 dlen;
	int i;

	if (sc->state == POST_SCAN_MSG_HDR) {
		dlen = sc->frame.len - POST_MSG_HDR_LEN;
		/* what the parser would reset for stops us: it reads it */
		if (post_msg_hdr_decode(sc->hdr, &mh) || dlen > mh.len ||
		    mh.len > ps->hs.adv.max_msg)
			return false;
		/* a lifetime runs from arrival: the parser must see it now */
		if (mh.lifetime_ms)
			WRITE_ONCE(sc->timed, sc->timed + 1);
		sc->payload = dlen;
		/* one with a lifetime is io_work's (it may expire): no EPOLLIN */
		if (dlen == mh.len) {		/* whole in one frame */
			sc->completes = !mh.lifetime_ms;
		} else {
			if (sc->nr_open >= ps->hs.adv.max_partials)
				return false;
			sc->open[sc->nr_open].seq = sc->frame.seq;
			sc->open[sc->nr_open].timed = !!mh.lifetime_ms;
			sc->open[sc->nr_open++].left = mh.len - dlen;
			sc->completes = false;
		}
		sc->state = POST_SCAN_PAYLOAD;
		return true;
	}

	if (post_frame_decode(sc->hdr, &f))
		return false;
	sc->frame = f;
	sc->completes = false;
	switch (f.type) {
	case POST_FRAME_START:
		if (f.seq != sc->last_start + 1)
			return false;
		sc->last_start = f.seq;
		sc->state = POST_SCAN_MSG_HDR;
		sc->want = POST_MSG_HDR_LEN;
		sc->have = 0;
		return true;
	case POST_FRAME_DATA:
		i = post_scan_find(sc, f.seq);
		if (i < 0 || f.len > sc->open[i].left)
			return false;
		sc->open[i].left -= f.len;
		if (!sc->open[i].left) {
			sc->completes = !sc->open[i].timed;
			post_scan_close(sc, i);
		}
		sc->payload = f.len;
		break;
	case POST_FRAME_ABORT:
		i = post_scan_find(sc, f.seq);
		if (i < 0)
			return false;
		post_scan_close(sc, i);
		sc->payload = 0;
		break;
	default:			/* ACK, EXPIRED: for the sender side */
		WRITE_ONCE(sc->ctl, sc->ctl + 1);
		sc->payload = f.len;
		break;
	}
	sc->state = POST_SCAN_PAYLOAD;
	return true;
}

/* The frame's payload is behind us. */
static void post_scan_frame_end(struct post_scan *sc)
{
	if (sc->completes)
		WRITE_ONCE(sc->done, sc->done + 1);
	sc->state = POST_SCAN_HDR;
	sc->want = POST_FRAME_HDR_LEN;
	sc->have = 0;
}

/*
 * Follow what TCP queued since the last scan, up to rcv_nxt. Called with
 * the transient's socket lock (bh or owned) held.
 */
void post_scan(struct post_sock *ps, struct sock *tsk)
{
	struct post_scan *sc = &ps->scan;
	u32 end = READ_ONCE(tcp_sk(tsk)->rcv_nxt);
	struct sk_buff *skb;

	if (!sc->active || sc->broken)
		return;
	skb_queue_walk(&tsk->sk_receive_queue, skb) {
		u32 off = sc->pos - TCP_SKB_CB(skb)->seq;

		if (!before(sc->pos, end))
			break;
		if (before(sc->pos, TCP_SKB_CB(skb)->seq)) {
			sc->broken = true;	/* behind the queue: lost */
			return;
		}
		while (off < skb->len) {
			u32 n = skb->len - off;

			if (sc->state == POST_SCAN_PAYLOAD) {
				n = min(n, sc->payload);
				sc->payload -= n;
			} else {
				n = min_t(u32, n, sc->want - sc->have);
				if (skb_copy_bits(skb, off, sc->hdr + sc->have,
						  n)) {
					sc->broken = true;
					return;
				}
				sc->have += n;
			}
			off += n;
			sc->pos += n;
			if (sc->state == POST_SCAN_PAYLOAD) {
				if (!sc->payload)
					post_scan_frame_end(sc);
				continue;
			}
			if (sc->have < sc->want)
				continue;
			if (!post_scan_header(ps, sc)) {
				sc->broken = true;
				return;
			}
			if (sc->state == POST_SCAN_PAYLOAD && !sc->payload)
				post_scan_frame_end(sc);
		}
	}
}

/* Is a message complete in TCP that the parser has not taken yet? */
bool post_scan_ready(const struct post_sock *ps)
{
	const struct post_scan *sc = &ps->scan;

	/* pairs with post_scan_start(): counters of this connection */
	return smp_load_acquire(&sc->active) &&
	       (READ_ONCE(sc->done) != READ_ONCE(ps->rx.parse_done) ||
		READ_ONCE(sc->broken));
}

/* Is an ACK or EXPIRED frame in TCP that nobody handled yet? */
bool post_scan_ctl(const struct post_sock *ps)
{
	const struct post_scan *sc = &ps->scan;

	return READ_ONCE(sc->ctl) != READ_ONCE(ps->rx.parse_ctl);
}

/*
 * Must the transient be read now, complete message or not? When what TCP
 * holds would start to close its window (a quarter of its buffer: as
 * kTLS copies a record that is not all there yet, so that the peer's
 * throughput never depends on a message completing in TCP), at the end
 * of the stream, for urgent data (an error), when the scanner lost the
 * stream, or for a lifetime that runs.
 */
bool post_scan_must_read(const struct post_sock *ps, const struct sock *tsk)
{
	return atomic_read(&tsk->sk_rmem_alloc) >
	       READ_ONCE(tsk->sk_rcvbuf) / 4 ||
	       (READ_ONCE(tsk->sk_shutdown) & RCV_SHUTDOWN) ||
	       READ_ONCE(tcp_sk(tsk)->urg_data) ||
	       READ_ONCE(ps->scan.broken) ||
	       READ_ONCE(ps->scan.timed) != READ_ONCE(ps->rx.parse_timed);
}

/*
 * Should the transient be read (by recvmsg(), io_work, or the parser
 * going on at a frame boundary)? Not for a message still on its way: it
 * stays in TCP until whole (then it can go straight to the reader).
 */
bool post_scan_worth_reading(const struct post_sock *ps)
{
	const struct sock *tsk = ps->tsock->sk;

	/* pairs with post_scan_start(), as post_scan_ready() */
	return !smp_load_acquire(&ps->scan.active) || post_scan_ready(ps) ||
	       post_scan_ctl(ps) || post_scan_must_read(ps, tsk);
}

/*
 * data_ready's decision (see transient.c): wake readers, and whether
 * io_work must read now (@now) or after a delay (@later).
 */
void post_scan_decide(struct post_sock *ps, struct sock *tsk, bool *wake,
		      bool *now, bool *later)
{
	bool ready, ctl, must;

	post_scan(ps, tsk);
	ready = post_scan_ready(ps);
	ctl = post_scan_ctl(ps);
	must = post_scan_must_read(ps, tsk);
	*wake = ready || ((ctl || must) && READ_ONCE(ps->rx.waiters));
	*now = !READ_ONCE(ps->rx.waiters) && (must || (ctl && !ready));
	/* a reader woken may stop before an ACK: io_work reads it later */
	*later = !*now && ctl;
}
