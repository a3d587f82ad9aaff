// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST receive side: parse the transient's byte stream (preamble, frame
 * headers, message headers, data), reassemble messages per id, queue
 * complete ones for recvmsg() and copy them out.
 *
 * Memory: every piece and message header is charged to sk_rmem_alloc.
 * Reading from TCP stops while a complete message waits and what complete
 * messages hold is at or above sk_rcvbuf (TCP's own window then holds the
 * peer back).
 * Reassembly alone may use up to max(sk_rcvbuf, max_msg_size) + 1/8, counted
 * in true allocation sizes so that tiny frames cannot multiply the cost; a
 * peer that exceeds it, or any limit in frame.h, gets the carrier reset
 * with EPROTO.
 *
 * Lifetime: a message whose START frame carried one gets a deadline (its
 * arrival + lifetime - srtt/2). Complete past it, or still unread at it,
 * it is dropped and an EXPIRED frame goes back; one the application read
 * completely is acknowledged with an ACK frame. Both reuse the message's
 * struct (no allocation) and wait on ps->ctlq, charged to sk_rmem_alloc.
 * ACK and EXPIRED frames from the peer are handed to sched.c.
 *
 * Locking: all functions run with lock_sock(carrier) held in process
 * context; post_rx_pull() also takes lock_sock(transient) around
 * read_sock(), whose actor may sleep (tcp_read_sock holds no spinlock).
 * rx_nr_ready is read locklessly by poll.
 */
#include <linux/ktime.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "post.h"

static void post_rx_charge(struct post_sock *ps, struct post_msg *msg, u32 n)
{
	atomic_add(n, &ps->sk.sk_rmem_alloc);
	msg->charge += n;
}

void post_rx_uncharge(struct post_sock *ps, u32 n)
{
	atomic_sub(n, &ps->sk.sk_rmem_alloc);
}

static void post_rx_drop(struct post_sock *ps, struct post_msg *msg)
{
	list_del(&msg->list);
	post_rx_uncharge(ps, msg->charge);
	post_msg_free(msg);
}

static struct post_msg *post_rx_find(struct post_sock *ps, u64 id)
{
	struct post_msg *msg;

	list_for_each_entry(msg, &ps->rx_partial, list)
		if (msg->id == id)
			return msg;
	return NULL;
}

/*
 * Stop reading TCP: complete messages and our ACK/EXPIRED frames use up
 * SO_RCVBUF (either frees memory once it moves). Reassembly has its own
 * limit and does not count here, or a large message on its way would stop
 * reading at every small one that completes meanwhile.
 */
bool post_rx_throttled(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;

	return (ps->rx_nr_ready || !list_empty(&ps->ctlq)) &&
	       sk_rmem_alloc_get(sk) - ps->rx_partial_charge >=
	       READ_ONCE(sk->sk_rcvbuf);
}

/*
 * Stop reading TCP. What TCP queues meanwhile is counted as arrived when the
 * stall began, so a lifetime never runs longer for waiting in TCP.
 */
void post_rx_stall(struct post_sock *ps)
{
	ps->rx_stalled = true;
	if (!ps->rx_stall_ns)
		ps->rx_stall_ns = ktime_get_ns();
}

/* Read again: everything TCP holds now waited since the stall began. */
void post_rx_resume(struct post_sock *ps)
{
	ps->rx_stalled = false;
	if (ps->tsock) {
		ps->rx_backlog_seq = READ_ONCE(tcp_sk(ps->tsock->sk)->rcv_nxt);
		ps->rx_backlog = true;
	}
	post_queue_io(ps);
}

/* When the frame just parsed arrived, as far as lifetimes go. */
static u64 post_rx_arrival(struct post_sock *ps, u64 now)
{
	if (ps->rx_backlog) {
		if (before(ps->rx_seq, ps->rx_backlog_seq))
			return ps->rx_stall_ns;
		ps->rx_backlog = false;
	}
	ps->rx_stall_ns = 0;
	return now;
}

/* Drop @msg unread, its lifetime over, and tell the sender. */
static void post_rx_expired(struct post_sock *ps, struct post_msg *msg)
{
	struct post_piece *p, *tmp;

	list_del(&msg->list);
	list_for_each_entry_safe(p, tmp, &msg->pieces, list) {
		list_del(&p->list);
		msg->charge -= p->truesize;
		post_rx_uncharge(ps, p->truesize);
		post_piece_free(p);
	}
	ps->rx_expired++;
	post_ctl_queue(ps, msg, POST_FRAME_EXPIRED);
}

static void post_rx_complete(struct post_sock *ps, struct post_msg *msg)
{
	ps->rx_nr_partial--;
	ps->rx_partial_charge -= msg->charge;
	if (msg->deadline && msg->deadline <= ktime_get_ns()) {
		post_rx_expired(ps, msg);
		return;
	}
	msg->done = msg->len;	/* from now on: bytes not yet read */
	list_move_tail(&msg->list, &ps->rx_ready);
	WRITE_ONCE(ps->rx_nr_ready, ps->rx_nr_ready + 1);
	ps->msgs_received++;
	ps->rx_bytes += msg->len;
	post_stat_add(POST_STAT_MSGS_RECEIVED, 1);
	if (msg->deadline &&
	    (!ps->rx_next_deadline || msg->deadline < ps->rx_next_deadline)) {
		ps->rx_next_deadline = msg->deadline;
		post_sched_arm(ps);
	}
}

/* Unread complete messages whose lifetime is over go; note the next. */
void post_rx_expire(struct post_sock *ps, u64 now)
{
	struct post_msg *msg, *tmp;
	u64 next = 0;

	list_for_each_entry_safe(msg, tmp, &ps->rx_ready, list) {
		if (!msg->deadline || msg->off || msg->done != msg->len)
			continue;	/* no lifetime, or being read */
		if (msg->deadline <= now) {
			post_rx_expired(ps, msg);
			WRITE_ONCE(ps->rx_nr_ready, ps->rx_nr_ready - 1);
			continue;
		}
		if (!next || msg->deadline < next)
			next = msg->deadline;
	}
	ps->rx_next_deadline = next;
}

/* Start filling a piece of @len bytes of @msg from the stream. */
static int post_rx_begin_data(struct post_sock *ps, struct post_msg *msg,
			      u32 len)
{
	u32 limit = max_t(u32, READ_ONCE(ps->sk.sk_rcvbuf), ps->max_msg_size);
	struct post_piece *p;

	limit += limit / 8;
	if (msg->done + len > msg->len ||
	    ps->rx_partial_charge + post_piece_truesize(len) > limit)
		return -EPROTO;

	p = post_piece_alloc(len, ps->sk.sk_allocation | __GFP_NOWARN);
	if (!p)
		return -ENOBUFS;
	post_rx_charge(ps, msg, p->truesize);
	ps->rx_partial_charge += p->truesize;
	ps->rx_msg = msg;
	ps->rx_piece = p;
	ps->rx_piece_off = 0;
	ps->rx_state = POST_RX_DATA;
	return 0;
}

/* A frame header arrived: check it against our state and pick what's next. */
static int post_rx_frame(struct post_sock *ps)
{
	struct post_frame *f = &ps->rx_frame;
	struct post_msg *msg;

	if (post_frame_decode(ps->rx_hdr, f))
		return -EPROTO;

	ps->rx_state = POST_RX_HDR;
	switch (f->type) {
	case POST_FRAME_START:
		if (ps->rx_nr_partial >= POST_MAX_PARTIALS ||
		    post_rx_find(ps, f->id))
			return -EPROTO;
		ps->rx_state = POST_RX_MSG_HDR;
		return 0;
	case POST_FRAME_DATA:
		msg = post_rx_find(ps, f->id);
		if (!msg)
			return -EPROTO;
		return post_rx_begin_data(ps, msg, f->len);
	case POST_FRAME_ABORT:
		msg = post_rx_find(ps, f->id);
		if (!msg)
			return -EPROTO;
		ps->rx_nr_partial--;
		ps->rx_partial_charge -= msg->charge;
		post_rx_drop(ps, msg);
		return 0;
	default:	/* ACK, EXPIRED: about a message we sent */
		return post_tx_heard(ps, f->type, f->id);
	}
}

/* A message header arrived after START: create the message. */
static int post_rx_start(struct post_sock *ps)
{
	u32 dlen = ps->rx_frame.len - POST_MSG_HDR_LEN;
	struct post_msg_hdr mh;
	struct post_msg *msg;

	if (post_msg_hdr_decode(ps->rx_hdr, &mh) || mh.len > ps->max_msg_size ||
	    dlen > mh.len)
		return -EPROTO;

	msg = kzalloc(sizeof(*msg), ps->sk.sk_allocation);
	if (!msg)
		return -ENOBUFS;
	INIT_LIST_HEAD(&msg->pieces);
	msg->id = ps->rx_frame.id;
	msg->len = mh.len;
	msg->niceness = mh.niceness;
	msg->flags = mh.flags;
	if (mh.lifetime_ms) {
		/* deduct the transit: half the smoothed RTT (srtt_us is x8) */
		u64 transit = (u64)(tcp_sk(ps->tsock->sk)->srtt_us >> 4) *
			      NSEC_PER_USEC;
		u64 life = (u64)mh.lifetime_ms * NSEC_PER_MSEC;
		u64 now = ktime_get_ns();
		u64 arrival = post_rx_arrival(ps, now);

		msg->deadline = life > transit ? arrival + life - transit :
						 arrival;
		if (!msg->deadline)
			msg->deadline = 1;
	}
	list_add_tail(&msg->list, &ps->rx_partial);
	ps->rx_nr_partial++;
	post_rx_charge(ps, msg, sizeof(*msg));
	ps->rx_partial_charge += sizeof(*msg);

	ps->rx_state = POST_RX_HDR;
	if (dlen)
		return post_rx_begin_data(ps, msg, dlen);
	if (!msg->len)
		post_rx_complete(ps, msg);
	return 0;
}

static void post_rx_piece_done(struct post_sock *ps)
{
	struct post_msg *msg = ps->rx_msg;

	list_add_tail(&ps->rx_piece->list, &msg->pieces);
	msg->done += ps->rx_piece->len;
	ps->rx_piece = NULL;
	ps->rx_msg = NULL;
	ps->rx_state = POST_RX_HDR;
	if (msg->done == msg->len)
		post_rx_complete(ps, msg);
}

static int post_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			 unsigned int offset, size_t len)
{
	struct post_sock *ps = desc->arg.data;
	size_t used = 0;
	int err = 0;

	while (desc->count && used < len) {
		size_t avail = len - used;
		u8 *dst;
		u32 n;

		switch (ps->rx_state) {
		case POST_RX_PREAMBLE:
			n = min_t(size_t, avail, POST_PREAMBLE_LEN - ps->rx_pre_len);
			dst = ps->rx_pre + ps->rx_pre_len;
			break;
		case POST_RX_HDR:
			if (!ps->rx_hdr_len && post_rx_throttled(ps)) {
				post_rx_stall(ps);
				desc->count = 0;
				continue;
			}
			fallthrough;
		case POST_RX_MSG_HDR:
			n = min_t(size_t, avail, POST_FRAME_HDR_LEN - ps->rx_hdr_len);
			dst = ps->rx_hdr + ps->rx_hdr_len;
			break;
		default:
			n = min_t(size_t, avail,
				  ps->rx_piece->len - ps->rx_piece_off);
			dst = ps->rx_piece->data + ps->rx_piece_off;
			break;
		}

		if (skb_copy_bits(skb, offset + used, dst, n)) {
			err = -EFAULT;
			break;
		}
		used += n;

		switch (ps->rx_state) {
		case POST_RX_PREAMBLE:
			ps->rx_pre_len += n;
			if (ps->rx_pre_len < POST_PREAMBLE_LEN)
				break;
			err = post_preamble_decode(ps->rx_pre);
			if (err) {
				err = err == POST_WIRE_EVERSION ?
				      -EPROTONOSUPPORT : -EPROTO;
				break;
			}
			ps->rx_state = POST_RX_HDR;
			/* the carrier goes live in io_work: stop here */
			desc->count = 0;
			break;
		case POST_RX_HDR:
		case POST_RX_MSG_HDR:
			ps->rx_hdr_len += n;
			if (ps->rx_hdr_len < POST_FRAME_HDR_LEN)
				break;
			ps->rx_seq = TCP_SKB_CB(skb)->seq + offset + used;
			ps->rx_hdr_len = 0;
			err = ps->rx_state == POST_RX_HDR ? post_rx_frame(ps) :
							    post_rx_start(ps);
			break;
		default:
			ps->rx_piece_off += n;
			if (ps->rx_piece_off == ps->rx_piece->len)
				post_rx_piece_done(ps);
			break;
		}
		if (err)
			break;
	}

	if (err) {
		desc->error = err;
		desc->count = 0;
	}
	return used;
}

/*
 * Read what the transient holds, as far as memory allows. Returns the
 * number of messages completed, or a negative error that must fail the
 * carrier.
 */
int post_rx_pull(struct post_sock *ps)
{
	read_descriptor_t desc = { .arg.data = ps, .count = 1 };
	u64 before = ps->msgs_received;
	struct sock *tsk;

	if (!ps->tsock)
		return 0;
	if (post_rx_throttled(ps)) {
		post_rx_stall(ps);
		return 0;
	}

	tsk = ps->tsock->sk;
	lock_sock(tsk);
	ps->tsock->ops->read_sock(tsk, &desc, post_rx_actor);
	/* read_sock stops for good at urgent data: no AF_POST peer sends it */
	if (!desc.error && tcp_sk(tsk)->urg_data)
		desc.error = -EPROTO;
	release_sock(tsk);

	if (desc.error)
		return desc.error;
	return ps->msgs_received - before;
}

/*
 * Copy up to @len bytes of the first complete message to @m. Sets MSG_EOR
 * when its last byte was copied; without MSG_PEEK the bytes are consumed.
 */
int post_rx_copy(struct post_sock *ps, struct msghdr *m, size_t len,
		 int flags, struct post_rcvinfo *info)
{
	bool peek = flags & MSG_PEEK;
	struct post_piece *p, *next;
	struct post_msg *msg;
	size_t want, copied = 0;
	u32 off;

	msg = list_first_entry(&ps->rx_ready, struct post_msg, list);
	memset(info, 0, sizeof(*info));
	info->id = msg->id;
	info->niceness = msg->niceness;
	if (msg->flags & POST_MFLAG_IDEMPOTENT)
		info->flags |= POST_RCV_IDEMPOTENT;
	if (msg->deadline) {
		u64 now = ktime_get_ns();

		info->flags |= POST_RCV_LIFETIME;
		info->lifetime_ms = msg->deadline > now ?
			div_u64(msg->deadline - now, NSEC_PER_MSEC) : 0;
	}
	want = min_t(u64, len, msg->done);
	off = msg->off;
	p = list_first_entry_or_null(&msg->pieces, struct post_piece, list);

	while (copied < want) {
		size_t n = min_t(size_t, want - copied, p->len - off);
		size_t got = copy_to_iter(p->data + off, n, &m->msg_iter);

		copied += got;
		off += got;
		if (got != n) {
			if (!copied)
				return -EFAULT;
			break;
		}
		if (off < p->len)
			break;
		next = list_next_entry(p, list);
		if (!peek) {
			list_del(&p->list);
			msg->charge -= p->truesize;
			post_rx_uncharge(ps, p->truesize);
			post_piece_free(p);
		}
		p = next;
		off = 0;
	}

	if (copied == msg->done)
		m->msg_flags |= MSG_EOR;
	if (peek)
		return copied;

	msg->off = off;
	msg->done -= copied;
	if (!msg->done) {	/* all read: acknowledge it */
		list_del(&msg->list);
		WRITE_ONCE(ps->rx_nr_ready, ps->rx_nr_ready - 1);
		post_ctl_queue(ps, msg, POST_FRAME_ACK);
	}
	return copied;
}

/* Forget messages that can no longer complete (peer gone). */
void post_rx_drop_partials(struct post_sock *ps)
{
	struct post_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, &ps->rx_partial, list)
		post_rx_drop(ps, msg);
	if (ps->rx_piece) {
		/* charged to its message, which was just dropped */
		post_piece_free(ps->rx_piece);
		ps->rx_piece = NULL;
	}
	ps->rx_msg = NULL;
	ps->rx_nr_partial = 0;
	ps->rx_partial_charge = 0;
}

void post_rx_purge(struct post_sock *ps)
{
	struct post_msg *msg, *tmp;

	post_rx_drop_partials(ps);
	list_for_each_entry_safe(msg, tmp, &ps->rx_ready, list)
		post_rx_drop(ps, msg);
	WRITE_ONCE(ps->rx_nr_ready, 0);
	ps->rx_next_deadline = 0;
	ps->rx_stalled = false;
	ps->rx_backlog = false;
	ps->rx_stall_ns = 0;
}
