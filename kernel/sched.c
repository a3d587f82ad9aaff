// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST send scheduler: from the queue onto the wire, and how a sent
 * message ends. (Messages come from tx.c, lifetimes are lifetime.c's,
 * the peer's ACK and EXPIRED frames ack.c's, delivery events are in
 * events.c.)
 *
 * A message sent with sendmsg() is queued (ps->tx.queue, ordered by
 * order.c), and framed onto the transient one frame at a time, in the
 * caller's context (sendmsg(), or io_work when TCP made room): before each
 * frame the scheduler picks again, so chunks of different messages
 * interleave. A message gets its wire seq when its START frame is built;
 * a message whose last byte is in TCP waits on ps->tx.unacked (by seq) for
 * the peer's ACK or EXPIRED frame. Every message not yet ended is in
 * ps->tx.pending (an rbtree by id), which answers "is this antecedent
 * still pending?". Control frames (EXPIRED for received messages, ABORT
 * for ours) wait on ps->tx.ctlq and go before anything else, then our ACK
 * (ack.c decides when one is due), then data.
 *
 * A frame goes to TCP in one call where it can: its header is written
 * into the room before its piece's data and TCP takes the piece's pages
 * by reference (post_send_pages()). sendmsg() of a message that would go
 * first anyway writes frames of at least POST_DIRECT_MIN bytes straight
 * from the caller's buffer into TCP instead.
 *
 * Flow control (frame.h, 3): a message that needs more than one frame
 * starts only while fewer than the peer's max partials are partial and
 * its length fits the peer's rx budget beside theirs (tx.reserved); the
 * lowest niceness that cannot start waits, later ones of its niceness
 * with it (order.c), so started messages always complete.
 *
 * Coalescing: a frame goes to TCP with MSG_MORE when another follows in
 * the same push (post_tx_more()), the last one without, so that TCP's
 * autocork lets small messages share a segment while earlier ones are
 * still on their way out. After an immediate message or a control frame,
 * or when a push ends earlier than guessed, TCP is told to send what it
 * holds at once (tcp_push_pending_frames() through tcp_sock_set_cork()).
 *
 * TCP holds at most notsent_lowat bytes it has not sent yet (plus the frame
 * being written): the transient's TCP_NOTSENT_LOWAT is set to it, so the
 * order of what is not yet in TCP stays ours to decide.
 *
 * Locking: every function here runs with lock_sock(carrier) held, in
 * process context (some inside the transient's read_sock actor, where
 * lock_sock(transient) is held too: they must not send). kernel_sendmsg()
 * takes the transient's lock inside it (carrier -> transient order). The
 * transient is written with MSG_DONTWAIT; when TCP is full it sets
 * SOCK_NOSPACE and its write_space callback later queues io_work.
 */
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "compat.h"
#include "post.h"

/* sendmsg() writes frames with at least this much data straight to TCP */
#define POST_DIRECT_MIN	4096

/* The pending tree: every sent message that has not ended, by id. */

static struct post_msg *post_pending_find(struct post_sock *ps, u64 id)
{
	struct rb_node *n = ps->tx.pending.rb_node;

	while (n) {
		struct post_msg *msg = rb_entry(n, struct post_msg, node);

		if (id < msg->id)
			n = n->rb_left;
		else if (id > msg->id)
			n = n->rb_right;
		else
			return msg;
	}
	return NULL;
}

static void post_pending_insert(struct post_sock *ps, struct post_msg *msg)
{
	struct rb_node **link = &ps->tx.pending.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (msg->id < rb_entry(parent, struct post_msg, node)->id)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&msg->node, parent, link);
	rb_insert_color(&msg->node, &ps->tx.pending);
}

static void post_failed_add(struct post_sock *ps, u64 id)
{
	ps->tx.failed[ps->tx.nr_failed++ % POST_FAILED_HISTORY] = id;
}

static bool post_ante_failed(struct post_sock *ps, const struct post_msg *msg)
{
	u32 n = min_t(u32, ps->tx.nr_failed, POST_FAILED_HISTORY);
	u32 i, j;

	for (i = 0; i < msg->nr_ante; i++)
		for (j = 0; j < n; j++)
			if (ps->tx.failed[j] == msg->ante[i])
				return true;
	return false;
}

/* A control frame's message is done with: uncharge and free it. */
static void post_ctl_free(struct post_sock *ps, struct post_msg *msg)
{
	if (msg->ctl == POST_FRAME_ABORT) {
		post_tx_uncharge(ps, msg, msg->charge);
	} else {
		ps->rx.ctl_charge -= msg->charge;
		post_rx_uncharge(ps, msg->charge);
	}
	post_msg_free(msg);
}

/*
 * Queue a control frame (ABORT of ours, EXPIRED of the peer's) for @msg;
 * drop it if it can no longer go out.
 */
void post_ctl_queue(struct post_sock *ps, struct post_msg *msg, u8 type)
{
	msg->ctl = type;
	if (type != POST_FRAME_ABORT)
		ps->rx.ctl_charge += msg->charge;
	if (ps->tsock && !ps->tx.shut &&
	    READ_ONCE(ps->sk.sk_state) == TCP_ESTABLISHED) {
		list_add_tail(&msg->list, &ps->tx.ctlq);
		return;
	}
	post_ctl_free(ps, msg);
}

void post_ctl_purge(struct post_sock *ps)
{
	struct post_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, &ps->tx.ctlq, list) {
		list_del(&msg->list);
		post_ctl_free(ps, msg);
	}
}

/* A message partial on the wire is no longer: release its reservation. */
static void post_tx_unreserve(struct post_sock *ps, struct post_msg *msg)
{
	if (!msg->partial)
		return;
	msg->partial = false;
	list_del_init(&msg->plist);
	ps->tx.nr_partial--;
	ps->tx.reserved -= msg->len;
}

/* Messages waiting for the peer's word, in seq order. */
static void post_tx_unacked_add(struct post_sock *ps, struct post_msg *msg)
{
	struct post_msg *pos;

	list_for_each_entry_reverse(pos, &ps->tx.unacked, list) {
		if (pos->seq < msg->seq) {
			list_add(&msg->list, &pos->list);
			goto out;
		}
	}
	list_add(&msg->list, &ps->tx.unacked);
out:
	ps->tx.nr_unacked++;
}

/*
 * Forget the data frame built but not yet written at all (an ACK before it
 * may be): the next is picked. A START gives its seq and reservation back;
 * an ACK built with it stays, alone.
 */
static void post_tx_unbuild(struct post_sock *ps)
{
	struct post_msg *msg = ps->tx.msg;

	if (ps->tx.start) {
		ps->tx.start = false;
		msg->started = false;
		msg->seq = 0;
		ps->tx.seq--;
		post_tx_unreserve(ps, msg);
	}
	ps->tx.kind = POST_TXF_ACK;
	ps->tx.hdr_len = ps->tx.ack_len;
	if (ps->tx.off == ps->tx.ack_len) {	/* the ACK went already */
		ps->tx.kind = POST_TXF_NONE;
		ps->tx.off = 0;
	}
	ps->tx.msg = NULL;
	ps->tx.piece = NULL;
}

/*
 * Has nothing of the data frame in progress reached TCP yet, but maybe
 * the ACK that leads it from tx.hdr? (An ACK in a piece's room is
 * part of the frame.)
 */
static bool post_tx_unwritten(const struct post_sock *ps)
{
	return ps->tx.kind == POST_TXF_DATA &&
	       ps->tx.off <= min(ps->tx.ack_len, ps->tx.hdr_len);
}

/*
 * End message @msg (queued or sent) with terminal event @type. A queued
 * message that was started is aborted on the wire; if its frame is half
 * written, once that frame is out. The caller runs post_tx_cascade() for
 * failures.
 */
void post_tx_end(struct post_sock *ps, struct post_msg *msg, u32 type,
		 int err)
{
	rb_erase(&msg->node, &ps->tx.pending);
	post_ev_queue(ps, msg->id, type, err);
	switch (type) {
	case POST_EV_ACKED:
		ps->tx.acked++;
		break;
	case POST_EV_EXPIRED:
		ps->tx.expired++;
		post_stat_add(POST_STAT_MSGS_EXPIRED, 1);
		post_failed_add(ps, msg->id);
		break;
	default:
		ps->tx.aborted++;
		post_stat_add(POST_STAT_MSGS_ABORTED, 1);
		post_failed_add(ps, msg->id);
		break;
	}

	if (msg->state == POST_TX_SENT) {
		list_del(&msg->list);
		ps->tx.nr_unacked--;
		post_tx_uncharge(ps, msg, msg->charge);
		post_msg_free(msg);
		return;
	}

	post_queue_del(&ps->tx.queue, &msg->q);
	msg->state = POST_TX_ENDED;
	if (ps->tx.kind == POST_TXF_DATA && ps->tx.msg == msg) {
		msg->doomed = true;	/* post_tx_frame_done() aborts it */
	} else if (msg->started) {
		post_tx_unreserve(ps, msg);
		post_tx_drop_pieces(ps, msg);
		post_ctl_queue(ps, msg, POST_FRAME_ABORT);
	} else {
		post_tx_uncharge(ps, msg, msg->charge);
		post_msg_free(msg);
	}
}

/*
 * End a queued message, unless its last frame is already going into TCP:
 * then it is as good as sent and the receiver judges its lifetime.
 */
bool post_tx_end_queued(struct post_sock *ps, struct post_msg *msg,
			u32 type, int err)
{
	if (ps->tx.kind == POST_TXF_DATA && ps->tx.msg == msg) {
		if (post_tx_unwritten(ps))
			post_tx_unbuild(ps);
		else if (!ps->tx.piece ||
			 list_is_last(&ps->tx.piece->list, &msg->pieces))
			return false;
	}
	post_tx_end(ps, msg, type, err);
	return true;
}

/* Expire every queued successor of a message that expired or aborted. */
void post_tx_cascade(struct post_sock *ps)
{
	struct post_qent *e, *tmp;
	struct post_msg *msg;
	bool again;
	int i;

	do {
		again = false;
		for (i = 0; i < POST_NICE_LEVELS; i++) {
			list_for_each_entry_safe(e, tmp, &ps->tx.queue.nice[i],
						 list) {
				msg = container_of(e, struct post_msg, q);
				if (!msg->nr_ante || !post_ante_failed(ps, msg))
					continue;
				if (post_tx_end_queued(ps, msg, POST_EV_EXPIRED,
						       ECANCELED))
					again = true;
			}
		}
	} while (again);
}

/*
 * The room an ACK needs before a START that is built next, if it is:
 * nothing is queued or being written, and an ACK is due. Under lock_sock.
 */
u32 post_tx_ack_room(struct post_sock *ps)
{
	sock_owned_by_me(&ps->sk);
	if (post_tx_busy(ps) || ps->tx.filling || !post_ack_wanted(ps, true))
		return 0;
	return post_ack_len(ps);
}

/* Give @msg its id and account for it, not yet queued. */
static void post_tx_admit(struct post_sock *ps, struct post_msg *msg,
			  const struct post_props *pp)
{
	msg->id = ps->tx.next_id++;
	msg->deadline = pp->deadline;
	msg->niceness = pp->niceness;
	msg->flags = pp->flags;
	msg->immediate = pp->immediate;
	msg->state = POST_TX_QUEUED;
	msg->q.id = msg->id;
	msg->q.niceness = msg->niceness;
	msg->q.deadline = msg->deadline ? : POST_NO_DEADLINE;
	msg->q.unordered = pp->unordered;
	post_pending_insert(ps, msg);
	post_tx_charge(ps, msg, msg->charge);
}

/* Give @msg its id and queue it. Under lock_sock(carrier). */
void post_tx_queue(struct post_sock *ps, struct post_msg *msg,
		   const struct post_props *pp)
{
	sock_owned_by_me(&ps->sk);
	post_tx_admit(ps, msg, pp);
	post_queue_add(&ps->tx.queue, &msg->q);

	if (msg->deadline) {
		if (!ps->tx.next_deadline || msg->deadline < ps->tx.next_deadline)
			ps->tx.next_deadline = msg->deadline;
		post_sched_arm(ps);
	}
	if (msg->nr_ante && post_ante_failed(ps, msg)) {
		post_tx_end_queued(ps, msg, POST_EV_EXPIRED, ECANCELED);
		post_tx_cascade(ps);
	}
}

/* Will @msg be partial on the wire once its START frame is built? */
static bool post_tx_multi_frame(struct post_msg *msg)
{
	struct post_piece *p;

	p = list_first_entry_or_null(&msg->pieces, struct post_piece, list);
	return p && p->len < msg->len;
}

/*
 * A message may go once every antecedent was acknowledged, and start once
 * the peer can hold it (frame.h, 3).
 */
static bool post_tx_eligible(struct post_qent *e, void *arg)
{
	struct post_msg *msg = container_of(e, struct post_msg, q);
	struct post_sock *ps = arg;
	int i;

	if (!msg->started && post_tx_multi_frame(msg) &&
	    (ps->tx.nr_partial >= ps->hs.peer.max_partials ||
	     ps->tx.reserved + msg->len > ps->hs.peer.rx_budget))
		return false;
	/* an earlier one of its niceness still fills (not queued): wait */
	if (ps->tx.filling && !e->unordered &&
	    e->niceness == ps->tx.filling->niceness &&
	    e->id > ps->tx.filling->id)
		return false;
	for (i = 0; i < msg->nr_ante; i++)
		if (post_pending_find(ps, msg->ante[i]))
			return false;
	return true;
}

/* Bytes TCP holds that it has not sent yet. */
static u32 post_tcp_notsent(struct post_sock *ps)
{
	const struct tcp_sock *tp = tcp_sk(ps->tsock->sk);

	return READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_nxt);
}

/*
 * Move the header just built in ps->tx.hdr into the room before @p's data,
 * the ACK that leads it too if it fits, so that the frame goes to TCP in
 * one call. What does not fit stays in tx.hdr and goes first; the ACK's
 * bytes stay there as well (post_tx_unbuild() may send it alone).
 */
static void post_tx_embed(struct post_sock *ps, struct post_piece *p)
{
	u32 keep = ps->tx.hdr_len > p->room ? ps->tx.ack_len : 0;
	u32 n = ps->tx.hdr_len - keep;

	p->head = p->room;
	if (n > p->room)
		return;
	p->head = p->room - n;
	memcpy(post_piece_head(p), ps->tx.hdr + keep, n);
	ps->tx.hdr_len = keep;
}

/* Bytes of the frame in progress: tx.hdr's, then its piece's. */
static u32 post_tx_frame_len(const struct post_sock *ps)
{
	const struct post_piece *p = ps->tx.piece;

	return ps->tx.hdr_len + (p ? p->room - p->head + p->len : 0);
}

/*
 * Build into ps->tx.hdr the next frame of @msg, carrying @n data bytes: an
 * ACK first if one is due, then START (the message gets its seq) or DATA.
 */
static void post_tx_frame_for(struct post_sock *ps, struct post_msg *msg,
			      u32 n, struct post_piece *p)
{
	struct post_msg_hdr mh = {};
	u8 *hdr;

	ps->tx.off = 0;
	ps->tx.ack_len = 0;
	/*
	 * A due ACK rides with the data: before a START, or when it cannot
	 * wait any more (between the DATA frames of a message it would keep
	 * the receiver from taking the message straight from TCP).
	 */
	if (post_ack_wanted(ps, !msg->started))
		ps->tx.ack_len = post_ack_build(ps, ps->tx.hdr);
	hdr = ps->tx.hdr + ps->tx.ack_len;

	if (!msg->started) {
		msg->seq = ++ps->tx.seq;
		post_frame_encode(hdr, POST_FRAME_START, POST_MSG_HDR_LEN + n,
				  msg->seq);
		mh.len = msg->len;
		mh.id = msg->id;
		mh.niceness = msg->niceness;
		mh.flags = msg->flags;
		if (msg->deadline)
			mh.lifetime_ms = post_lifetime_left_ms(msg->deadline,
							       ktime_get_ns());
		post_msg_hdr_encode(hdr + POST_FRAME_HDR_LEN, &mh);
		ps->tx.hdr_len = POST_FRAME_HDR_LEN + POST_MSG_HDR_LEN;
		ps->tx.start = true;
		msg->started = true;
		if (n < msg->len) {	/* partial on the wire: reserve */
			msg->partial = true;
			list_add_tail(&msg->plist, &ps->tx.started);
			ps->tx.nr_partial++;
			ps->tx.reserved += msg->len;
		}
	} else {
		post_frame_encode(hdr, POST_FRAME_DATA, n, msg->seq);
		ps->tx.hdr_len = POST_FRAME_HDR_LEN;
		ps->tx.start = false;
	}
	ps->tx.hdr_len += ps->tx.ack_len;
	ps->tx.kind = POST_TXF_DATA;
	ps->tx.msg = msg;
	ps->tx.piece = p;
	if (p)
		post_tx_embed(ps, p);
}

/* Build the header of the next frame to send; false if nothing may go. */
static bool post_tx_next_frame(struct post_sock *ps)
{
	struct post_piece *p;
	struct post_msg *msg;
	struct post_qent *e;

	ps->tx.off = 0;
	ps->tx.piece = NULL;
	ps->tx.ack_len = 0;
	msg = list_first_entry_or_null(&ps->tx.ctlq, struct post_msg, list);
	if (msg) {
		post_frame_encode(ps->tx.hdr, msg->ctl, 0, msg->seq);
		ps->tx.hdr_len = POST_FRAME_HDR_LEN;
		ps->tx.kind = POST_TXF_CTL;
		ps->tx.msg = msg;
		return true;
	}

	e = post_queue_pick(&ps->tx.queue, post_tx_eligible, ps);
	msg = e ? container_of(e, struct post_msg, q) : NULL;

	/*
	 * The lifetime in a START frame is what is left when it is built, so
	 * it must not wait in TCP: it is built once TCP has sent all it
	 * holds. Until then nothing else goes either (it is the best choice);
	 * TCP's write_space on the next ACKs brings us back.
	 */
	if (msg && !msg->started && msg->deadline && post_tcp_notsent(ps)) {
		set_bit(SOCK_NOSPACE, &ps->tsock->flags);
		msg = NULL;
	}
	if (!msg) {
		if (!post_ack_wanted(ps, false))
			return false;
		ps->tx.hdr_len = post_ack_build(ps, ps->tx.hdr);
		ps->tx.ack_len = ps->tx.hdr_len;
		ps->tx.kind = POST_TXF_ACK;
		ps->tx.msg = NULL;
		return true;
	}
	p = list_first_entry_or_null(&msg->pieces, struct post_piece, list);
	post_tx_frame_for(ps, msg, p ? p->len : 0, p);
	return true;
}

/* The last byte of @msg (out of the send queue) is in TCP. */
static void post_tx_sent(struct post_sock *ps, struct post_msg *msg)
{
	post_tx_unreserve(ps, msg);
	msg->state = POST_TX_SENT;
	post_tx_unacked_add(ps, msg);
	ps->tx.msgs++;
	ps->tx.bytes += msg->len;
	post_stat_add(POST_STAT_MSGS_SENT, 1);
	post_ev_queue(ps, msg->id, POST_EV_SENT, 0);
	if (ps->tx.peer_fin) {	/* nobody will acknowledge it */
		post_tx_end(ps, msg, POST_EV_ABORTED, ESHUTDOWN);
		post_tx_cascade(ps);
	}
}

/* The frame in progress is entirely in TCP: release what it carried. */
static void post_tx_frame_done(struct post_sock *ps)
{
	struct post_msg *msg = ps->tx.msg;
	struct post_piece *p = ps->tx.piece;
	u8 kind = ps->tx.kind;

	ps->tx.kind = POST_TXF_NONE;
	ps->tx.msg = NULL;
	ps->tx.piece = NULL;
	ps->tx.off = 0;

	if (kind == POST_TXF_ACK)
		return;
	if (kind == POST_TXF_CTL) {	/* on ctlq: EXPIRED or ABORT */
		list_del(&msg->list);
		post_ctl_free(ps, msg);
		return;
	}

	if (p) {
		list_del(&p->list);
		msg->charge -= p->truesize;
		post_tx_uncharge(ps, msg, p->truesize);
		post_piece_free(p);
	}
	if (msg->doomed) {
		msg->doomed = false;
		post_tx_unreserve(ps, msg);
		post_tx_drop_pieces(ps, msg);
		post_ctl_queue(ps, msg, POST_FRAME_ABORT);
		return;
	}
	if (list_empty(&msg->pieces) && !msg->filling) {
		post_queue_del(&ps->tx.queue, &msg->q);
		post_tx_sent(ps, msg);
	}
}

/*
 * Will another frame follow the one in progress in this push? Then it goes
 * with MSG_MORE. A guess (TCP may refuse more): post_tx_push() sends what
 * a wrong guess held back.
 */
static bool post_tx_more(const struct post_sock *ps)
{
	const struct post_msg *msg = ps->tx.msg;

	switch (ps->tx.kind) {
	case POST_TXF_CTL:
		return !list_is_last(&msg->list, &ps->tx.ctlq) ||
		       ps->ack.pending || ps->tx.queue.count;
	case POST_TXF_ACK:
		return ps->tx.queue.count;
	default:
		if (ps->tx.piece && !list_is_last(&ps->tx.piece->list,
						  &msg->pieces))
			return true;
		return ps->tx.queue.count > 1 || !list_empty(&ps->tx.ctlq);
	}
}

static int post_tx_send(struct post_sock *ps, struct kvec *iov, int n,
			size_t len, int flags)
{
	struct msghdr m = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | flags };
	int ret = kernel_sendmsg(ps->tsock, &m, iov, n, len);

	return ret == -EAGAIN ? 0 : ret;
}

/* Hand @len bytes of @p's frame, from byte @off of it, to TCP. */
static int post_tx_send_piece(struct post_sock *ps, struct post_piece *p,
			      u32 off, u32 len, int flags)
{
	u32 hdr = p->room - p->head;	/* the frame's bytes before data */
	int ret = post_send_pages(ps->tsock, p->bv, p->nr, p->head + off, len,
				  MSG_DONTWAIT | MSG_NOSIGNAL | flags);

	if (ret > 0)
		ps->tx.spliced_bytes += max(off + ret, hdr) - max(off, hdr);
	return ret == -EAGAIN ? 0 : ret;
}

/*
 * sendmsg()'s fast path, taken when @msg would go first anyway: nothing is
 * queued, being written or due to go before it, it waits for no
 * antecedent and no lifetime, the peer has room for it, and its frames
 * are large enough that a copy costs more than a second write. Its frames
 * then go straight from the caller's buffer into TCP: one copy.
 */
static bool post_tx_direct_ok(struct post_sock *ps, size_t len,
			      const struct post_props *pp)
{
	u32 chunk = READ_ONCE(ps->chunk_size);

	if (post_tx_busy(ps) || ps->tx.filling ||
	    ps->tx.shut || !ps->hs.tcp_up || ps->rx.state == POST_RX_PREAMBLE ||
	    ps->hs.pre_sent < POST_PREAMBLE_LEN || pp->nr_ante || pp->deadline ||
	    min_t(size_t, len, chunk) < POST_DIRECT_MIN)
		return false;
	return len <= chunk ||
	       (ps->tx.nr_partial < ps->hs.peer.max_partials &&
		ps->tx.reserved + len <= ps->hs.peer.rx_budget);
}

/*
 * Write the caller's next @n bytes into TCP; bytes taken or -errno. A
 * fault (the buffer unmapped since it was faulted in) takes nothing: the
 * copy of the rest meets it again.
 */
static int post_tx_send_user(struct post_sock *ps, struct msghdr *m, u32 n,
			     int flags)
{
	struct msghdr tm = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | flags };
	size_t count = iov_iter_count(&m->msg_iter);
	int ret;

	tm.msg_iter = m->msg_iter;
	iov_iter_truncate(&tm.msg_iter, n);
	ret = sock_sendmsg(ps->tsock, &tm);
	if (ret == -EAGAIN || ret == -EFAULT)
		ret = 0;
	if (ret > 0)
		iov_iter_advance(&m->msg_iter, ret);
	WARN_ON_ONCE(iov_iter_count(&m->msg_iter) > count);
	return ret;
}

/*
 * Frame @msg (admitted, not queued) from @m into TCP until TCP refuses
 * more. Returns the bytes of the message not in TCP (the frame in
 * progress is set up for them, @first: what is left of its data), or a
 * negative transient error.
 */
static ssize_t post_tx_direct(struct post_sock *ps, struct post_msg *msg,
			      struct msghdr *m, u32 *first)
{
	u32 chunk = READ_ONCE(ps->chunk_size);
	size_t left = msg->len;
	struct kvec iov;
	int ret;

	sock_owned_by_me(&ps->sk);

	*first = 0;
	do {
		u32 n = min_t(size_t, left, chunk);
		int more = left > n ? MSG_MORE : 0;

		post_tx_frame_for(ps, msg, n, NULL);
		iov.iov_base = ps->tx.hdr;
		iov.iov_len = ps->tx.hdr_len;
		ret = post_tx_send(ps, &iov, 1, iov.iov_len, MSG_MORE);
		if (ret < 0)
			return ret;
		ps->tx.off = ret;
		if (ret < ps->tx.hdr_len) {	/* the frame's data: all left */
			*first = n;
			return left;
		}
		ret = post_tx_send_user(ps, m, n, more);
		if (ret < 0)
			return ret;
		ps->tx.direct_bytes += ret;
		left -= ret;
		if (ret < n) {	/* the rest of the frame goes from a piece */
			*first = n - ret;
			return left;
		}
		/* the frame is in TCP */
		ps->tx.kind = POST_TXF_NONE;
		ps->tx.msg = NULL;
		ps->tx.off = 0;
	} while (left);
	post_tx_sent(ps, msg);
	return 0;
}

/*
 * Copy the large rest of @a->msg without lock_sock(carrier), as
 * post_tx_build() does, so that other senders (an urgent message), io_work
 * and readers go on meanwhile. The message leaves the send queue while it
 * fills (msg->filling, ps->tx.filling: nothing picks it, later messages
 * of its niceness wait, as order requires, and so does POST_ABORT; the
 * frame in progress may still complete), then comes back at the head of
 * its niceness: it was sent first. If the carrier failed meanwhile, its purge
 * did not see the message: it ends here.
 */
static ssize_t post_tx_fill_unlocked(struct post_sock *ps,
				     struct post_copy *a)
{
	struct post_copy b = { .m = a->m, .left = a->left, .started = true };
	struct post_msg *msg = a->msg, shadow;
	u32 gen = ps->hs.conn_gen;
	struct post_piece *p, *tmp;
	struct sock *sk = &ps->sk;
	int err;

	post_queue_del(&ps->tx.queue, &msg->q);
	msg->filling = true;
	/* later messages of its niceness wait for it: order (eligible) */
	ps->tx.filling = msg;
	/* b copies into a struct nobody else sees; its pieces move over */
	INIT_LIST_HEAD(&shadow.pieces);
	shadow.charge = 0;
	b.msg = &shadow;
	release_sock(sk);
	err = post_tx_copy(ps, &b);
	lock_sock(sk);
	msg->filling = false;
	ps->tx.filling = NULL;

	if (sk->sk_state != TCP_ESTABLISHED || sk->sk_err ||
	    ps->hs.conn_gen != gen) {	/* failed (and maybe connected again) */
		list_for_each_entry_safe(p, tmp, &shadow.pieces, list)
			post_piece_free(p);
		/* the purge did not see it: still charged */
		post_tx_uncharge(ps, msg, msg->charge);
		post_ev_queue(ps, msg->id, POST_EV_ABORTED, sk->sk_err ? :
			      ECONNABORTED);
		ps->tx.aborted++;
		post_msg_free(msg);
		a->msg = NULL;
		return -EPIPE;
	}
	list_for_each_entry_safe(p, tmp, &shadow.pieces, list) {
		list_move_tail(&p->list, &msg->pieces);
		msg->charge += p->truesize;
		post_tx_charge(ps, msg, p->truesize);
	}
	post_queue_add_head(&ps->tx.queue, &msg->q);
	if (err) {
		/* a frame of it follows the one being written: ABORT */
		a->err = err;
		post_tx_end(ps, msg, POST_EV_ABORTED, -err);
		post_tx_cascade(ps);
	}
	return 0;
}

/*
 * TCP took the first bytes of @a->msg from the caller's buffer, not
 * @left others: copy those into pieces and queue the message, the frame in
 * progress first (@a->first bytes of its data). Under the lock: the copy
 * of a large rest holds it (the cost of a path that filled up meanwhile).
 * A fault or a failed allocation aborts the message on the wire (a.err)
 * if a frame of it is still to come; in its last frame, nothing can stop
 * the peer from completing it, so the carrier fails (negative return).
 */
static ssize_t post_tx_direct_rest(struct post_sock *ps, struct post_copy *a,
				   size_t left)
{
	struct post_msg *msg = a->msg;
	struct post_piece *p;
	int err = 0;

	p = post_piece_fill(ps, 0, a->first, &a->m->msg_iter, &err);
	if (!p)
		return err;
	list_add_tail(&p->list, &msg->pieces);
	msg->charge += p->truesize;
	post_tx_charge(ps, msg, p->truesize);
	post_queue_add(&ps->tx.queue, &msg->q);
	ps->tx.piece = p;
	if (err) {
		if (left == a->first)
			return err;	/* its last frame: fail */
		a->err = err;	/* zeroed: the frame ends, then ABORT */
	}
	a->started = true;
	a->left = left - a->first;
	a->first = 0;
	if (!a->err && a->left > READ_ONCE(ps->chunk_size))
		return post_tx_fill_unlocked(ps, a);
	if (!a->err && a->left)
		a->err = post_tx_copy(ps, a);
	if (a->err) {
		/* a frame of it follows the one being written: ABORT */
		post_tx_end(ps, msg, POST_EV_ABORTED, -a->err);
		post_tx_cascade(ps);
	}
	return 0;
}

/*
 * sendmsg() of one message of @len bytes from @m, with lock_sock held
 * (the caller checked room and state): straight into TCP when it would go
 * first anyway (post_tx_direct_ok()). Returns 1 when it does not apply
 * (nothing done: the caller copies and queues it), 0 when the message is
 * sent or queued, or a negative error: from copying the rest of it (it is
 * aborted), or with *@failed from the transient (the caller fails the
 * carrier).
 */
int post_tx_sendmsg(struct post_sock *ps, struct msghdr *m, size_t len,
		    const struct post_props *pp, bool *failed)
{
	struct post_copy a = { .m = m, .queued = true };
	struct sock *sk = &ps->sk;
	ssize_t left;
	int err;

	*failed = false;
	sock_owned_by_me(sk);
	/* a fault is reported by the copying path, before anything is sent */
	if (!post_tx_direct_ok(ps, len, pp) ||
	    fault_in_iov_iter_readable(&m->msg_iter, len))
		return 1;
	a.msg = post_tx_alloc(ps, len, pp);
	if (!a.msg)
		return -ENOBUFS;

	post_tx_admit(ps, a.msg, pp);
	if (a.msg->immediate)
		ps->tx.flush = true;
	left = post_tx_direct(ps, a.msg, m, &a.first);
	if (left > 0)
		left = post_tx_direct_rest(ps, &a, left);
	if (left < 0 && !a.msg)		/* failed meanwhile, and ended */
		return left;
	if (left < 0) {
		if (list_empty(&a.msg->q.list))	/* for the purge */
			post_queue_add(&ps->tx.queue, &a.msg->q);
		*failed = true;
		return left;
	}
	err = post_tx_push(ps);
	if (err) {
		*failed = true;
		return err;
	}
	return a.err;
}

/*
 * Push our preamble, then control frames and the scheduler's choice of
 * data frames, into the transient until TCP refuses more. Returns 0 or a
 * transient error the caller fails the carrier with.
 */
int post_tx_push(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;
	bool freed = false;
	struct kvec iov;
	int ret = 0;

	sock_owned_by_me(sk);
	if (!ps->tsock || !ps->hs.tcp_up)
		return 0;

	if (!ps->hs.pre_sent)
		post_rx_limits(ps);
	while (ps->hs.pre_sent < POST_PREAMBLE_LEN) {
		u8 pre[POST_PREAMBLE_LEN];

		post_preamble_encode(pre, &ps->hs.adv);
		iov.iov_base = pre + ps->hs.pre_sent;
		iov.iov_len = POST_PREAMBLE_LEN - ps->hs.pre_sent;
		ret = post_tx_send(ps, &iov, 1, iov.iov_len, 0);
		if (ret <= 0)
			return ret;
		ps->hs.pre_sent += ret;
	}
	/* the peer's limits bind what we send: wait for its preamble */
	if (ps->rx.state == POST_RX_PREAMBLE)
		return 0;

	post_sched_expire(ps);
	/* nothing to send (every push of a carrier that only reads) */
	if (!post_tx_busy(ps) && !ps->ack.pending && !ps->tx.fin &&
	    !ps->tx.corked && !ps->tx.flush)
		return 0;
	if (ps->tx.fin && ps->ack.pending)	/* no ACK can follow our FIN */
		post_ack_now(ps);
	/* nothing of it in TCP yet: pick again, something better may wait */
	if (post_tx_unwritten(ps))
		post_tx_unbuild(ps);

	while (!ps->tx.shut && (ps->tx.kind || post_tx_next_frame(ps))) {
		u32 hlen = ps->tx.hdr_len, flen = post_tx_frame_len(ps);
		int flags = 0;

		/* coalesce with what follows; urgent frames are pushed */
		if (ps->tx.kind == POST_TXF_CTL ||
		    (ps->tx.kind == POST_TXF_DATA && ps->tx.msg->immediate))
			ps->tx.flush = true;
		ps->tx.corked = post_tx_more(ps);
		if (ps->tx.corked)
			flags = MSG_MORE;
		if (ps->tx.off < hlen) {
			iov.iov_base = ps->tx.hdr + ps->tx.off;
			iov.iov_len = hlen - ps->tx.off;
			ret = post_tx_send(ps, &iov, 1, iov.iov_len,
					   flen > hlen ? MSG_MORE : flags);
			if (ret <= 0)
				break;
			ps->tx.off += ret;
			if (ps->tx.off < hlen)
				continue;
		}
		if (ps->tx.off < flen) {
			ret = post_tx_send_piece(ps, ps->tx.piece,
						 ps->tx.off - hlen,
						 flen - ps->tx.off, flags);
			if (ret <= 0)
				break;
			ps->tx.off += ret;
			if (ps->tx.off < flen)
				continue;
		}
		post_tx_frame_done(ps);
		freed = true;
	}

	/*
	 * The last frame went without MSG_MORE, so TCP's autocork decides;
	 * if the push ended early, or something urgent went, send now.
	 */
	if (ps->tx.corked || ps->tx.flush) {
		ps->tx.corked = false;
		ps->tx.flush = false;
		tcp_sock_set_cork(ps->tsock->sk, false);
	}
	if (freed)
		sk->sk_write_space(sk);
	if (ret < 0)
		return ret;

	if (ps->tx.fin && !post_tx_busy(ps) && !ps->ack.pending) {
		ps->tx.fin = false;
		ps->tx.shut = true;
		return kernel_sock_shutdown(ps->tsock, SHUT_WR);
	}
	return 0;
}

/*
 * POST_ABORT: give up on message @id. EINVAL if it was never sent,
 * EALREADY if its last byte is (going) into TCP or it ended.
 */
int post_tx_abort(struct post_sock *ps, u64 id)
{
	struct post_msg *msg;
	int err;

	sock_owned_by_me(&ps->sk);
	if (!id || id >= ps->tx.next_id)
		return -EINVAL;
	msg = post_pending_find(ps, id);
	if (msg && msg->filling)	/* its sendmsg() is still copying it */
		return -EBUSY;
	if (!msg || msg->state != POST_TX_QUEUED ||
	    !post_tx_end_queued(ps, msg, POST_EV_ABORTED, 0))
		return -EALREADY;
	post_tx_cascade(ps);
	ps->sk.sk_write_space(&ps->sk);
	err = post_tx_push(ps);
	if (err)
		post_sock_fail(&ps->sk, err);
	return 0;
}

/* Let TCP hold only @ps->notsent_lowat unsent bytes (message carriers). */
void post_set_notsent_lowat(struct post_sock *ps, struct socket *tsock)
{
	struct sock *tsk = tsock->sk;

	if (post_is_stream(&ps->sk))
		return;
	lock_sock(tsk);
	WRITE_ONCE(tcp_sk(tsk)->notsent_lowat, ps->notsent_lowat);
	tsk->sk_write_space(tsk);
	release_sock(tsk);
}

/* Free a message the purge takes; with @err, it ends as aborted first. */
static void post_tx_purge_msg(struct post_sock *ps, struct post_msg *msg,
			      int err)
{
	if (err) {
		post_ev_queue(ps, msg->id, POST_EV_ABORTED, -err);
		ps->tx.aborted++;
		post_stat_add(POST_STAT_MSGS_ABORTED, 1);
	}
	post_tx_uncharge(ps, msg, msg->charge);
	post_msg_free(msg);
}

/*
 * Drop everything of the send side. With @err (negative), every message not
 * yet ended is aborted with that error (the carrier failed); without, the
 * carrier is going away and nobody hears.
 */
void post_tx_purge(struct post_sock *ps, int err)
{
	struct post_msg *msg, *mtmp;
	struct post_qent *e, *tmp;
	int i;

	if (ps->tx.kind == POST_TXF_DATA && ps->tx.msg->doomed) {
		post_tx_uncharge(ps, ps->tx.msg, ps->tx.msg->charge);
		post_msg_free(ps->tx.msg);	/* ended already */
	}
	ps->tx.kind = POST_TXF_NONE;
	ps->tx.msg = NULL;
	ps->tx.piece = NULL;
	ps->tx.off = 0;
	INIT_LIST_HEAD(&ps->tx.started);
	ps->tx.nr_partial = 0;
	ps->tx.reserved = 0;

	for (i = 0; i < POST_NICE_LEVELS; i++)
		list_for_each_entry_safe(e, tmp, &ps->tx.queue.nice[i], list) {
			msg = container_of(e, struct post_msg, q);
			post_queue_del(&ps->tx.queue, e);
			post_tx_purge_msg(ps, msg, err);
		}
	list_for_each_entry_safe(msg, mtmp, &ps->tx.unacked, list) {
		list_del(&msg->list);
		post_tx_purge_msg(ps, msg, err);
	}
	ps->tx.nr_unacked = 0;
	ps->tx.pending = RB_ROOT;
	post_ctl_purge(ps);
	ps->tx.next_deadline = 0;
	ps->tx.fin = false;
}

/*
 * The peer closed its side (FIN): it sent every ACK it owed first
 * (frame.h, 6), so what is still unacknowledged never will be. Those
 * messages, and those sent from now on, end as aborted with ESHUTDOWN
 * (sent, perhaps read, never acknowledged); their successors expire.
 */
void post_tx_peer_fin(struct post_sock *ps)
{
	struct post_msg *msg, *tmp;

	ps->tx.peer_fin = true;
	list_for_each_entry_safe(msg, tmp, &ps->tx.unacked, list)
		post_tx_end(ps, msg, POST_EV_ABORTED, ESHUTDOWN);
	post_tx_cascade(ps);
	ps->sk.sk_write_space(&ps->sk);
}
