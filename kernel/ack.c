// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST acknowledgements, both ways (frame.h, 4).
 *
 * Ours, of what the peer sent: state, not allocations. The messages not
 * yet ended are in ps->rx.open by seq, so the cumulative seq is the first
 * of them minus one (post_rx_cum(), rx.c); up to POST_WIRE_ACK_MAX seqs
 * read beyond it wait in ps->ack.extra (more are covered by a later
 * cumulative ACK). An ACK goes with the next frame we send, after
 * POST_WIRE_ACK_MAX messages, or POST_WIRE_ACK_DELAY_MS (rounded up to the
 * timer tick) after the reader drained the carrier (ack.timer queues
 * io_work).
 *
 * The peer's, of what we sent: an ACK frame ends every message it names
 * (ACKED: read by the peer's application), an EXPIRED frame the one the
 * peer dropped unread (sched.c ends them and cascades to successors).
 *
 * Locking: under lock_sock(carrier); the peer's frames are handled inside
 * the transient's read_sock actor (lock_sock(transient) held too: nothing
 * is sent from here). The timer holds no reference (post_destroy()
 * cancels it) and only queues io_work.
 */
#include <linux/jiffies.h>
#include <linux/sort.h>
#include <linux/timer.h>

#include "post.h"

/* Should the next frame we send be an ACK? @data: a data frame goes. */
bool post_ack_wanted(struct post_sock *ps, bool data)
{
	if (!ps->ack.pending)
		return false;
	return data || ps->ack.count >= POST_WIRE_ACK_MAX ||
	       (ps->ack.timed && time_after_eq(jiffies, ps->ack.at));
}

static int post_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Build the ACK frame into @buf (room for POST_ACK_FRAME_MAX bytes):
 * cumulative seq and those beyond. Returns its length.
 */
u32 post_ack_build(struct post_sock *ps, u8 *buf)
{
	u64 cum = post_rx_cum(ps);
	u32 i, n = 0;

	sort(ps->ack.extra, ps->ack.nr_extra, sizeof(u64), post_u64_cmp, NULL);
	for (i = 0; i < ps->ack.nr_extra; i++)
		if (ps->ack.extra[i] > cum)
			ps->ack.extra[n++] = ps->ack.extra[i];
	post_frame_encode(buf, POST_FRAME_ACK, 8 * n, cum);
	post_ack_encode(buf + POST_FRAME_HDR_LEN, ps->ack.extra, n);
	ps->ack.nr_extra = 0;
	ps->ack.count = 0;
	ps->ack.pending = false;
	ps->ack.timed = false;
	del_timer(&ps->ack.timer);
	return POST_FRAME_HDR_LEN + 8 * n;
}

/* The length of the ACK frame post_ack_build() would build now. */
u32 post_ack_len(struct post_sock *ps)
{
	u64 cum = post_rx_cum(ps);
	u32 i, n = 0;

	for (i = 0; i < ps->ack.nr_extra; i++)
		n += ps->ack.extra[i] > cum;
	return POST_FRAME_HDR_LEN + 8 * n;
}

/*
 * POST_WIRE_ACK_DELAY_MS in jiffies, rounded up to the next tick. A
 * timer_list, as TCP's delayed ACK: the coalescing delay is a bound, not
 * a point in time, and arming it for every message read must cost no
 * clock reads and no clock event programming (an hrtimer per message was
 * a quarter of a 64-byte round trip under emulation).
 */
unsigned long post_ack_delay(void)
{
	return msecs_to_jiffies(POST_WIRE_ACK_DELAY_MS) + 1;
}

/*
 * Nothing more to read for now: what was read is acknowledged within
 * post_ack_delay(), sooner if a frame goes the other way first.
 */
void post_ack_drained(struct post_sock *ps)
{
	if (!ps->ack.pending || ps->ack.timed)
		return;
	ps->ack.timed = true;
	ps->ack.at = jiffies + post_ack_delay();
	mod_timer(&ps->ack.timer, ps->ack.at);
}

/* What is pending must go with the next push (no timer needed). */
void post_ack_now(struct post_sock *ps)
{
	ps->ack.timed = true;
	ps->ack.at = jiffies;
}

static void post_ack_timer(struct timer_list *t)
{
	struct post_sock *ps = from_timer(ps, t, ack.timer);

	post_queue_io(ps);
}

void post_ack_init(struct post_sock *ps)
{
	timer_setup(&ps->ack.timer, post_ack_timer, 0);
}

/* No ACK timer may run after this (the carrier is going away). */
void post_ack_stop(struct post_sock *ps)
{
	del_timer_sync(&ps->ack.timer);
	ps->ack.pending = false;
	ps->ack.timed = false;
	ps->ack.nr_extra = 0;
	ps->ack.count = 0;
}

/* Is @msg's seq named by @seq (alone, or with all below it: @below)? */
static bool post_seq_names(const struct post_msg *msg, u64 seq, bool below)
{
	return below ? msg->seq <= seq : msg->seq == seq;
}

/*
 * May the peer name wire seq @seq (@below: and all below) in an ACK or
 * EXPIRED frame (frame.h, 4)? Only if we started it and are not still
 * sending it.
 */
static int post_tx_check_seq(struct post_sock *ps, u64 seq, bool below)
{
	struct post_msg *msg = ps->tx.msg;

	if (seq > ps->tx.seq)
		return -EPROTO;
	if (ps->tx.kind == POST_TXF_DATA && msg->seq && !msg->doomed &&
	    post_seq_names(msg, seq, below))
		return -EPROTO;		/* its last frame is being written */
	list_for_each_entry(msg, &ps->tx.started, plist)
		if (post_seq_names(msg, seq, below))
			return -EPROTO;
	return 0;
}

/*
 * The peer's ACK frame (inside read_sock: no sending here): every message
 * up to seq @cum and those in @seqs (n of them, increasing, above @cum)
 * were read by the peer's application.
 */
int post_tx_acked(struct post_sock *ps, u64 cum, const u64 *seqs, u32 n)
{
	struct post_msg *msg, *tmp;
	bool any = false;
	u32 i = 0;
	int err;

	if (cum < ps->tx.acked_cum)
		return -EPROTO;
	err = post_tx_check_seq(ps, cum, true);
	for (i = 0; !err && i < n; i++)
		err = post_tx_check_seq(ps, seqs[i], false);
	if (err)
		return err;
	ps->tx.acked_cum = cum;
	i = 0;

	list_for_each_entry_safe(msg, tmp, &ps->tx.unacked, list) {
		while (i < n && seqs[i] < msg->seq)
			i++;
		if (msg->seq <= cum || (i < n && seqs[i] == msg->seq)) {
			post_tx_end(ps, msg, POST_EV_ACKED, 0);
			any = true;
		} else if (i == n) {
			break;
		}
	}
	if (any)
		ps->sk.sk_write_space(&ps->sk);
	return 0;
}

/* The peer dropped message @seq unread, its lifetime over (read_sock). */
int post_tx_expired(struct post_sock *ps, u64 seq)
{
	struct post_msg *msg;
	int err;

	err = post_tx_check_seq(ps, seq, false);
	if (err)
		return err;
	list_for_each_entry(msg, &ps->tx.unacked, list) {
		if (msg->seq < seq)
			continue;
		if (msg->seq > seq)
			break;
		post_tx_end(ps, msg, POST_EV_EXPIRED, 0);
		post_tx_cascade(ps);
		ps->sk.sk_write_space(&ps->sk);
		break;
	}
	return 0;
}
