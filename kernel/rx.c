// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST receive side: parse the transient's byte stream (preamble, frame
 * headers, message headers, data), reassemble messages per seq, queue
 * complete ones for recvmsg() and copy them out.
 *
 * Who reads: recvmsg() reads the transient itself, in the caller's context
 * (post_carrier_io()), when no complete message is queued; a message that
 * is all in TCP goes straight into its buffer then (post_rx_read_into()).
 * io_work reads only what no reader will (scan.c decides, in data_ready).
 * The parser stops at a frame boundary when only messages on their way
 * are left (they wait in TCP: scan.c), and reads nothing for a carrier
 * accept() has not returned yet.
 *
 * Limits (frame.h, 3): our preamble advertises ps->hs.adv, computed once per
 * connection (post_rx_limits()): max msg POST_MAX_MSG_SIZE, max partials
 * POST_MAX_PARTIALS, rx budget max msg + SO_RCVBUF. A peer that exceeds
 * them, or any rule of frame.h, gets the carrier reset with EPROTO.
 *
 * Memory: every piece and message header is charged to sk_rmem_alloc,
 * the protocol's accounting and the memory cgroup (mem.c: ENOBUFS beyond
 * it). A piece kept in TCP's pages is charged as the pieces below say.
 * Reading from TCP stops while a complete message waits and what complete
 * messages hold is at or above sk_rcvbuf (TCP's own window then holds the
 * peer back). Reassembly is bounded by the advertised budget and, in true
 * allocation sizes, by three times it.
 *
 * Acknowledgements: post_rx_end() notes what an ACK must say; ack.c
 * decides when one goes and handles the peer's.
 *
 * Lifetime: a message whose START frame carried one gets a deadline (its
 * arrival + lifetime - srtt/2). Complete past it, or still unread at it,
 * it is dropped and an EXPIRED frame goes back (the message's struct waits
 * on ps->tx.ctlq, charged to sk_rmem_alloc). ACK and EXPIRED frames from
 * the peer are handed to ack.c.
 *
 * Locking: all functions run with lock_sock(carrier) held in process
 * context; post_rx_pull() also takes lock_sock(transient) around
 * read_sock(), whose actor may sleep (tcp_read_sock holds no spinlock).
 * rx.nr_ready is read locklessly by poll.
 */
#include <linux/ktime.h>
#include <linux/sizes.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "compat.h"
#include "post.h"

/*
 * Pieces of a message reassembled here. A frame's payload stays in the
 * pages TCP received it in: each run of it that one of TCP's skbs holds
 * becomes a piece with an skb of its own that references just those
 * pages (post_rxp_carve()), and recvmsg() copies from there: one copy.
 * Not a clone of TCP's skb: TCP coalesces what it queues into skbs of
 * hundreds of KiB, and a clone would pin all of it for each run.
 *
 * What a kept piece pins is the whole of every (compound) page its bytes
 * lie in: a run is kept only if that is at most POST_RXP_PIN times its
 * bytes, and it is charged its own skb and the larger of its share of
 * TCP's truesize and half of those pages (neighbouring runs share them),
 * so what kept pieces pin is bounded by twice what they are charged. A
 * run is copied instead (a second copy) when it is smaller than
 * POST_RXP_KEEP_MIN, pins too much, would cost more than the reassembly
 * limit allows where a copy would not, mostly lies in TCP's linear area,
 * or its pages cannot be shared safely (page-pool or zerocopy frags, a
 * frag list, unreadable frags). The first copied run of a frame that
 * ends its skb (a frame across two skbs) goes into a piece of its own,
 * and the frame's next run may be kept again; after that, the rest of the
 * frame is copied into one piece, filled across skbs, so that tiny
 * segments cost one piece per frame. A copied piece of up to
 * POST_RXP_INLINE bytes lives in one allocation with its header; a
 * larger one has its data apart (kvmalloc).
 */
#define POST_RXP_INLINE		(2048 - sizeof(struct post_rxp))
#define POST_RXP_KEEP_MIN	PAGE_SIZE
#define POST_RXP_PIN		4
#define POST_RXP_HEAD_MAX	256	/* linear bytes a kept run may copy */

/* Memory a piece of @len bytes really takes: tiny pieces are not cheap. */
static u32 post_rxp_truesize(u32 len)
{
	if (len <= POST_RXP_INLINE)
		return kmalloc_size_roundup(sizeof(struct post_rxp) + len);
	return kmalloc_size_roundup(sizeof(struct post_rxp)) +
	       kmalloc_size_roundup(len);
}

static struct post_rxp *post_rxp_alloc(u32 len, gfp_t gfp)
{
	bool inline_data = len <= POST_RXP_INLINE;
	struct post_rxp *p;

	p = kmalloc(sizeof(*p) + (inline_data ? len : 0), gfp);
	if (!p)
		return NULL;
	p->len = len;
	p->truesize = post_rxp_truesize(len);
	p->skb = NULL;
	if (inline_data) {
		p->data = (u8 *)(p + 1);
		return p;
	}
	p->data = kvmalloc(len, gfp);
	if (!p->data) {
		kfree(p);
		return NULL;
	}
	return p;
}

void post_rxp_free(struct post_rxp *p)
{
	if (p->skb)
		consume_skb(p->skb);
	else if (p->data != (u8 *)(p + 1))
		kvfree(p->data);
	kfree(p);
}

/*
 * A new skb for the @len bytes of @skb from @off on, sharing its pages: a
 * reference to each frag (part) they lie in; the few bytes in @skb's
 * linear area (at most POST_RXP_HEAD_MAX) are copied. *@pinned: the
 * size of the pages referenced (a page shared by consecutive frags counted
 * once). NULL if the pages cannot be shared (see above), or on no memory.
 */
static struct sk_buff *post_rxp_carve(struct sk_buff *skb, u32 off, u32 len,
				      gfp_t gfp, u32 *pinned)
{
	u32 hlen = skb_headlen(skb), head = 0, n;
	struct page *last = NULL;
	struct sk_buff *nskb;
	int i, nr = 0;

	if (skb->pp_recycle || skb_zcopy(skb) || skb_has_frag_list(skb) ||
	    !post_skb_frags_readable(skb))
		return NULL;
	if (off < hlen) {
		head = min(len, hlen - off);
		if (head > POST_RXP_HEAD_MAX)
			return NULL;
	}
	nskb = alloc_skb(head, gfp);
	if (!nskb)
		return NULL;
	if (head) {
		skb_put_data(nskb, skb->data + off, head);
		off = hlen;
	}
	off -= hlen;			/* into the frags */
	n = head;
	*pinned = 0;
	/* @skb has no more frags than nskb can take */
	for (i = 0; i < skb_shinfo(skb)->nr_frags && n < len; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];
		u32 size = skb_frag_size(f), take;
		struct page *page;

		if (off >= size) {
			off -= size;
			continue;
		}
		take = min(len - n, size - off);
		page = skb_frag_page(f);
		if (compound_head(page) != last) {
			last = compound_head(page);
			*pinned += page_size(last);
		}
		skb_frag_ref(skb, i);
		skb_fill_page_desc(nskb, nr++, page, skb_frag_off(f) + off,
				   take);
		n += take;
		off = 0;
	}
	nskb->len += n - head;
	nskb->data_len += n - head;
	return nskb;
}

/* Charge @n bytes for @msg (mem.c): -ENOBUFS beyond the limits. */
static int post_rx_charge(struct post_sock *ps, struct post_msg *msg, u32 n)
{
	int err = post_rmem_charge(ps, n);

	if (!err)
		msg->charge += n;
	return err;
}

void post_rx_uncharge(struct post_sock *ps, u32 n)
{
	post_rmem_uncharge(ps, n);
}

/* What our preamble advertises for this connection (frame.h, 3). */
void post_rx_limits(struct post_sock *ps)
{
	u64 budget = (u64)ps->max_msg_size + READ_ONCE(ps->sk.sk_rcvbuf);

	ps->hs.adv.max_msg = ps->max_msg_size;
	ps->hs.adv.max_partials = POST_MAX_PARTIALS;
	ps->hs.adv.rx_budget = min_t(u64, budget, U32_MAX);
}

static struct post_msg *post_rx_find(struct post_sock *ps, u64 seq)
{
	struct post_msg *msg;

	list_for_each_entry(msg, &ps->rx.partial, list)
		if (msg->seq == seq)
			return msg;
	return NULL;
}

/* The open tree: every received message not ended yet, by seq. */
static void post_rx_open_insert(struct post_sock *ps, struct post_msg *msg)
{
	struct rb_node **link = &ps->rx.open.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (msg->seq < rb_entry(parent, struct post_msg, node)->seq)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&msg->node, parent, link);
	rb_insert_color(&msg->node, &ps->rx.open);
}

/* Every seq up to this one has ended here: what an ACK says is done. */
u64 post_rx_cum(struct post_sock *ps)
{
	struct rb_node *n = rb_first(&ps->rx.open);

	return n ? rb_entry(n, struct post_msg, node)->seq - 1 :
		   ps->rx.last_start;
}

/*
 * Message @msg ended here: read completely (@read), expired or aborted.
 * What an ACK must now say: a later cumulative seq, and @msg itself if it
 * was read and lies beyond it.
 */
static void post_rx_end(struct post_sock *ps, struct post_msg *msg, bool read)
{
	rb_erase(&msg->node, &ps->rx.open);
	RB_CLEAR_NODE(&msg->node);
	ps->ack.pending = true;
	if (!read)
		return;
	ps->ack.count++;
	if (msg->seq > post_rx_cum(ps) && ps->ack.nr_extra < POST_WIRE_ACK_MAX)
		ps->ack.extra[ps->ack.nr_extra++] = msg->seq;
}

static void post_rx_drop(struct post_sock *ps, struct post_msg *msg)
{
	list_del(&msg->list);
	if (!RB_EMPTY_NODE(&msg->node))
		post_rx_end(ps, msg, false);
	post_rx_uncharge(ps, msg->charge);
	post_msg_free(msg);
}

/* A partial message is no longer partial: release its reservation. */
static void post_rx_unreserve(struct post_sock *ps, struct post_msg *msg)
{
	ps->rx.nr_partial--;
	ps->rx.partial_charge -= msg->charge;
	if (msg->partial) {
		msg->partial = false;
		ps->rx.reserved -= msg->len;
	}
}

/*
 * Stop reading TCP: complete messages use up SO_RCVBUF (memory frees once
 * the application reads them). Reassembly has its own limit and EXPIRED
 * frames waiting to go do not count here, so reading never waits for
 * sending, or a large message on its way would stop reading at every
 * small one that completes meanwhile.
 */
bool post_rx_throttled(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;

	return ps->rx.nr_ready &&
	       sk_rmem_alloc_get(sk) - ps->rx.partial_charge -
	       ps->rx.ctl_charge >= READ_ONCE(sk->sk_rcvbuf);
}

/*
 * Stop reading TCP. What TCP queues meanwhile is counted as arrived when the
 * stall began, so a lifetime never runs longer for waiting in TCP.
 */
void post_rx_stall(struct post_sock *ps)
{
	ps->rx.stalled = true;
	if (!ps->rx.stall_ns)
		ps->rx.stall_ns = ktime_get_ns();
}

/*
 * Read again: everything TCP holds now waited since the stall began. The
 * caller reads, or with @kick leaves it to io_work.
 */
void post_rx_resume(struct post_sock *ps, bool kick)
{
	ps->rx.stalled = false;
	if (ps->tsock) {
		ps->rx.backlog_seq = READ_ONCE(tcp_sk(ps->tsock->sk)->rcv_nxt);
		ps->rx.backlog = true;
	}
	if (kick)
		post_queue_io(ps);
}

/* When the frame just parsed arrived, as far as lifetimes go. */
static u64 post_rx_arrival(struct post_sock *ps, u64 now)
{
	if (ps->rx.backlog) {
		if (before(ps->rx.tcp_seq, ps->rx.backlog_seq))
			return ps->rx.stall_ns;
		ps->rx.backlog = false;
	}
	ps->rx.stall_ns = 0;
	return now;
}

/* Drop complete message @msg unread, its lifetime over; tell the sender. */
static void post_rx_expired(struct post_sock *ps, struct post_msg *msg)
{
	struct post_rxp *p, *tmp;

	list_del(&msg->list);
	list_for_each_entry_safe(p, tmp, &msg->pieces, list) {
		list_del(&p->list);
		msg->charge -= p->truesize;
		post_rx_uncharge(ps, p->truesize);
		post_rxp_free(p);
	}
	ps->rx.expired++;
	post_rx_end(ps, msg, false);
	post_ctl_queue(ps, msg, POST_FRAME_EXPIRED);
}

static void post_rx_complete(struct post_sock *ps, struct post_msg *msg)
{
	if (!msg->deadline)	/* as the scanner counts (scan.c) */
		WRITE_ONCE(ps->rx.parse_done, ps->rx.parse_done + 1);
	post_rx_unreserve(ps, msg);
	if (msg->deadline && msg->deadline <= ktime_get_ns()) {
		post_rx_expired(ps, msg);
		return;
	}
	msg->done = msg->len;	/* from now on: bytes not yet read */
	list_move_tail(&msg->list, &ps->rx.ready);
	WRITE_ONCE(ps->rx.nr_ready, ps->rx.nr_ready + 1);
	ps->rx.msgs++;
	ps->rx.bytes += msg->len;
	post_stat_add(POST_STAT_MSGS_RECEIVED, 1);
	if (msg->deadline &&
	    (!ps->rx.next_deadline || msg->deadline < ps->rx.next_deadline)) {
		ps->rx.next_deadline = msg->deadline;
		post_sched_arm(ps);
	}
}

/* Unread complete messages whose lifetime is over go; note the next. */
void post_rx_expire(struct post_sock *ps, u64 now)
{
	struct post_msg *msg, *tmp;
	bool dropped = false;
	u64 next = 0;

	list_for_each_entry_safe(msg, tmp, &ps->rx.ready, list) {
		if (!msg->deadline || msg->off || msg->done != msg->len)
			continue;	/* no lifetime, or being read */
		if (msg->deadline <= now) {
			post_rx_expired(ps, msg);
			WRITE_ONCE(ps->rx.nr_ready, ps->rx.nr_ready - 1);
			dropped = true;
			continue;
		}
		if (!next || msg->deadline < next)
			next = msg->deadline;
	}
	ps->rx.next_deadline = next;
	if (dropped && !ps->rx.nr_ready)
		post_ack_drained(ps);
}

/*
 * Start filling a piece of @len bytes of @msg from the stream: the payload
 * of a DATA frame (@data) or of its START.
 */
static int post_rx_begin_data(struct post_sock *ps, struct post_msg *msg,
			      u32 len, bool data)
{
	if (msg->done + len > msg->len ||
	    (data && msg->done + len < msg->len && len < POST_WIRE_DATA_MIN))
		return -EPROTO;

	ps->rx.msg = msg;
	ps->rx.piece = NULL;
	ps->rx.data_left = len;
	ps->rx.tail_copied = false;
	ps->rx.state = POST_RX_DATA;
	return 0;
}

/*
 * Reassembly memory for a piece of @truesize: within three times the
 * budget we advertise (else the peer broke its limits), and charged.
 */
static int post_rx_piece_charge(struct post_sock *ps, struct post_msg *msg,
				u32 truesize)
{
	u64 limit = 3 * (u64)ps->hs.adv.rx_budget;

	if (ps->rx.partial_charge + truesize > limit)
		return -EPROTO;
	if (post_rx_charge(ps, msg, truesize))
		return -ENOBUFS;	/* the carrier is reset: mem.c */
	ps->rx.partial_charge += truesize;
	return 0;
}

/*
 * Keep the @len bytes of the frame's payload where they are, in @skb's
 * pages from @off on. Returns @len, 0 if they are better copied (see
 * above), or -errno.
 */
static int post_rx_keep(struct post_sock *ps, struct sk_buff *skb, u32 off,
			u32 len)
{
	gfp_t gfp = ps->sk.sk_allocation | __GFP_NOWARN;
	struct post_msg *msg = ps->rx.msg;
	struct sk_buff *nskb;
	struct post_rxp *p;
	u32 pinned, share;
	int err;

	nskb = post_rxp_carve(skb, off, len, gfp, &pinned);
	if (!nskb)
		return 0;
	share = DIV_ROUND_UP_ULL((u64)nskb->data_len * skb->truesize,
				 skb->len);
	p = kmalloc(sizeof(*p), gfp);
	if (!p || pinned > POST_RXP_PIN * len)
		goto copy;
	p->skb = nskb;
	p->data = NULL;
	p->len = len;
	p->truesize = kmalloc_size_roundup(sizeof(*p)) + nskb->truesize +
		      max(share, pinned / 2);
	err = post_rx_piece_charge(ps, msg, p->truesize);
	/* beyond the reassembly limit, a copy may not be: it decides */
	if (err == -EPROTO)
		goto copy;
	if (err) {
		post_rxp_free(p);
		return err;
	}
	list_add_tail(&p->list, &msg->pieces);
	msg->done += len;
	ps->rx.kept_bytes += len - skb_headlen(nskb);
	ps->rx.copied_bytes += skb_headlen(nskb);
	return len;

copy:
	kfree(p);
	consume_skb(nskb);
	return 0;
}

/*
 * Copy @len bytes of the frame's payload from @skb at @off into a piece:
 * the one being filled, else a new one for just these bytes (the first
 * copied run of the frame that ends its skb) or for the rest of the
 * frame. A full piece joins its message. Returns @len or -errno.
 */
static int post_rx_copy_in(struct post_sock *ps, struct sk_buff *skb, u32 off,
			   u32 len)
{
	struct post_msg *msg = ps->rx.msg;
	struct post_rxp *p = ps->rx.piece;
	int err;

	if (!p) {
		u32 size = ps->rx.data_left;

		if (len < size && !ps->rx.tail_copied) {
			ps->rx.tail_copied = true;
			size = len;
		}
		p = post_rxp_alloc(size, ps->sk.sk_allocation | __GFP_NOWARN);
		if (!p)
			return -ENOBUFS;
		err = post_rx_piece_charge(ps, msg, p->truesize);
		if (err) {
			post_rxp_free(p);
			return err;
		}
		ps->rx.piece = p;
		ps->rx.piece_off = 0;
	}
	if (skb_copy_bits(skb, off, p->data + ps->rx.piece_off, len))
		return -EFAULT;
	ps->rx.piece_off += len;
	if (ps->rx.piece_off == p->len) {
		list_add_tail(&p->list, &msg->pieces);
		msg->done += p->len;
		ps->rx.copied_bytes += p->len;
		ps->rx.piece = NULL;
	}
	return len;
}

/* Collect @want bytes into rx.hdr in state @state next. */
static void post_rx_expect(struct post_sock *ps, enum post_rx_state state,
			   u32 want)
{
	ps->rx.state = state;
	ps->rx.want = want;
	ps->rx.hdr_len = 0;
}

/* A frame header arrived: check it against our state and pick what's next. */
static int post_rx_frame(struct post_sock *ps)
{
	struct post_frame *f = &ps->rx.frame;
	struct post_msg *msg;

	if (post_frame_decode(ps->rx.hdr, f))
		return -EPROTO;

	post_rx_expect(ps, POST_RX_HDR, POST_FRAME_HDR_LEN);
	switch (f->type) {
	case POST_FRAME_START:
		if (f->seq != ps->rx.last_start + 1)
			return -EPROTO;
		post_rx_expect(ps, POST_RX_MSG_HDR, POST_MSG_HDR_LEN);
		return 0;
	case POST_FRAME_DATA:
		msg = post_rx_find(ps, f->seq);
		if (!msg)
			return -EPROTO;
		return post_rx_begin_data(ps, msg, f->len, true);
	case POST_FRAME_ABORT:
		msg = post_rx_find(ps, f->seq);
		if (!msg)
			return -EPROTO;
		post_rx_unreserve(ps, msg);
		post_rx_drop(ps, msg);
		return 0;
	case POST_FRAME_ACK:
		if (f->len) {
			post_rx_expect(ps, POST_RX_ACK, f->len);
			return 0;
		}
		WRITE_ONCE(ps->rx.parse_ctl, ps->rx.parse_ctl + 1);
		return post_tx_acked(ps, f->seq, NULL, 0);
	default:	/* EXPIRED: about a message we sent */
		WRITE_ONCE(ps->rx.parse_ctl, ps->rx.parse_ctl + 1);
		return post_tx_expired(ps, f->seq);
	}
}

static int post_rx_ack(struct post_sock *ps)
{
	u64 seqs[POST_WIRE_ACK_MAX];
	u32 len = ps->rx.frame.len;

	post_rx_expect(ps, POST_RX_HDR, POST_FRAME_HDR_LEN);
	WRITE_ONCE(ps->rx.parse_ctl, ps->rx.parse_ctl + 1);
	if (post_ack_decode(ps->rx.hdr, len, ps->rx.frame.seq, seqs))
		return -EPROTO;
	return post_tx_acked(ps, ps->rx.frame.seq, seqs, len / 8);
}

/*
 * Copy @len bytes of the stream at TCP seq @pos (not yet read) to @buf,
 * looking from *@cur on (NULL: the queue's head), where the bytes before
 * @pos were; *@cur becomes where these end, so that a walk over a
 * message's frame headers visits each skb once.
 */
static int post_rx_peek(struct sock *tsk, struct sk_buff **cur, u32 pos,
			u8 *buf, u32 len)
{
	struct sk_buff *skb = *cur ? : skb_peek(&tsk->sk_receive_queue);

	if (!skb)
		return -EAGAIN;
	skb_queue_walk_from(&tsk->sk_receive_queue, skb) {
		u32 off = pos - TCP_SKB_CB(skb)->seq, n;

		if (off >= skb->len)
			continue;
		n = min(len, skb->len - off);
		if (skb_copy_bits(skb, off, buf, n))
			return -EFAULT;
		*cur = skb;
		buf += n;
		pos += n;
		len -= n;
		if (!len)
			return 0;
	}
	return -EAGAIN;
}

/*
 * A message copied straight from TCP is copied this much at a time with
 * the transient's socket lock held: meanwhile TCP only queues what
 * arrives (no ACKs go out), so each slice stays short, as kTLS's records
 * are, and between slices TCP takes its backlog. Messages larger than
 * POST_DIRECT_RX_MAX go through the carrier: copied straight, even in
 * slices, the head-of-line benchmark's multi-MiB messages put its p99 at
 * 526-940 ms (45 ms through the carrier; 45-61 ms with this bound).
 */
#define POST_DIRECT_RX_SLICE	65536
#define POST_DIRECT_RX_MAX	SZ_1M

/*
 * Can the reader's buffer take @len bytes from @iter's start? A small one
 * is zeroed through a copy of the iterator, faulting its pages in as a
 * copy would: far cheaper than fault_in_iov_iter_writeable()'s walk of
 * the page tables, and the message overwrites those bytes right after.
 */
static bool post_rx_user_writable(const struct iov_iter *iter, size_t len)
{
	struct iov_iter it = *iter;

	/* a kernel or pipe iterator: nothing to fault, or not copyable */
	if (!user_backed_iter(iter))
		return true;
	if (len <= PAGE_SIZE)
		return iov_iter_zero(len, &it) == len;
	return !fault_in_iov_iter_writeable(iter, len);
}

/*
 * May the message whose START header was just read go straight to the
 * reader in recvmsg() (one copy)? Only if it is the next to be delivered,
 * not larger than POST_DIRECT_RX_MAX, fits the reader's buffer, and all
 * of it is in TCP already, its DATA frames one after the other (checked
 * by peeking at their headers, which are checked again as they are read).
 * Last, the buffer is faulted in, so that the copy cannot stop in the
 * middle of the message.
 */
static bool post_rx_direct_ok(struct post_sock *ps,
			      const struct post_msg_hdr *mh, u32 dlen)
{
	struct sock *tsk = ps->tsock->sk;
	struct sk_buff *cur = NULL;
	u8 hdr[POST_FRAME_HDR_LEN];
	u32 pos = ps->rx.tcp_seq;
	u64 left = mh->len - dlen;
	struct post_frame f;
	u32 avail;

	/* read_sock stops at urgent data: the message could not complete */
	if (!ps->rx.user || mh->len > ps->rx.user_len ||
	    mh->len > POST_DIRECT_RX_MAX || !list_empty(&ps->rx.ready) ||
	    READ_ONCE(tcp_sk(tsk)->urg_data))
		return false;
	avail = READ_ONCE(tcp_sk(tsk)->rcv_nxt) - pos;
	if (tsk->sk_shutdown & RCV_SHUTDOWN)
		avail--;	/* the FIN's seq */
	if (avail < dlen)
		return false;
	pos += dlen;
	while (left) {
		if (post_rx_peek(tsk, &cur, pos, hdr, sizeof(hdr)) ||
		    post_frame_decode(hdr, &f) || f.type != POST_FRAME_DATA ||
		    f.seq != ps->rx.frame.seq || f.len > left ||
		    (f.len < left && f.len < POST_WIRE_DATA_MIN))
			return false;
		pos += POST_FRAME_HDR_LEN + f.len;
		left -= f.len;
		if (pos - ps->rx.tcp_seq > avail)
			return false;
	}
	return post_rx_user_writable(&ps->rx.user->msg_iter, mh->len);
}

/* The message read straight to the reader is complete. */
static void post_rx_direct_done(struct post_sock *ps)
{
	struct post_rcvinfo *info = &ps->rx.user_info;

	if (!ps->rx.direct_deadline)	/* as the scanner counts */
		WRITE_ONCE(ps->rx.parse_done, ps->rx.parse_done + 1);
	ps->rx.msgs++;
	ps->rx.direct_msgs++;
	ps->rx.bytes += ps->rx.user_done;
	post_stat_add(POST_STAT_MSGS_RECEIVED, 1);
	ps->rx.user = NULL;		/* one message per call */
	ps->ack.pending = true;
	ps->ack.count++;
	if (ps->rx.direct_seq > post_rx_cum(ps) &&
	    ps->ack.nr_extra < POST_WIRE_ACK_MAX)
		ps->ack.extra[ps->ack.nr_extra++] = ps->rx.direct_seq;
	if (info->flags & POST_RCV_LIFETIME) {
		u64 now = ktime_get_ns();

		info->lifetime_ms = ps->rx.direct_deadline > now ?
			div_u64(ps->rx.direct_deadline - now, NSEC_PER_MSEC) : 0;
	}
	post_rx_expect(ps, POST_RX_HDR, POST_FRAME_HDR_LEN);
}

/* Deliver the message just started straight to the reader. */
static void post_rx_direct_start(struct post_sock *ps,
				 const struct post_msg_hdr *mh, u32 dlen,
				 u64 deadline)
{
	struct post_rcvinfo *info = &ps->rx.user_info;

	memset(info, 0, sizeof(*info));
	info->id = mh->id;
	info->niceness = mh->niceness;
	if (mh->flags & POST_MFLAG_IDEMPOTENT)
		info->flags |= POST_RCV_IDEMPOTENT;
	if (deadline)
		info->flags |= POST_RCV_LIFETIME;
	ps->rx.direct_deadline = deadline;
	ps->rx.direct_seq = ps->rx.frame.seq;
	ps->rx.last_start = ps->rx.frame.seq;
	ps->rx.direct_left = dlen;
	ps->rx.direct_msg_left = mh->len;
	ps->rx.user_done = 0;
	ps->rx.state = POST_RX_DIRECT;
	if (!mh->len)
		post_rx_direct_done(ps);
}

/* When a message with a lifetime of @ms, arriving now, stops being useful. */
static u64 post_rx_deadline(struct post_sock *ps, u32 ms)
{
	/* deduct the transit: half the smoothed RTT (srtt_us is x8) */
	u64 transit = (u64)(tcp_sk(ps->tsock->sk)->srtt_us >> 4) *
		      NSEC_PER_USEC;
	u64 life = (u64)ms * NSEC_PER_MSEC;
	u64 arrival = post_rx_arrival(ps, ktime_get_ns());
	u64 deadline = life > transit ? arrival + life - transit : arrival;

	return deadline ? : 1;
}

/* A message header arrived after START: create the message. */
static int post_rx_start(struct post_sock *ps)
{
	u32 dlen = ps->rx.frame.len - POST_MSG_HDR_LEN;
	struct post_msg_hdr mh;
	struct post_msg *msg;
	u64 deadline = 0;
	bool partial;

	post_rx_expect(ps, POST_RX_HDR, POST_FRAME_HDR_LEN);
	/* closed, still sending (drain.c): nobody will read it; as TCP */
	if (ps->orphan)
		return -ECONNRESET;
	if (post_msg_hdr_decode(ps->rx.hdr, &mh) || mh.len > ps->hs.adv.max_msg ||
	    dlen > mh.len)
		return -EPROTO;
	partial = dlen < mh.len;
	if (partial && (ps->rx.nr_partial >= ps->hs.adv.max_partials ||
			ps->rx.reserved + mh.len > ps->hs.adv.rx_budget))
		return -EPROTO;
	if (mh.lifetime_ms) {
		WRITE_ONCE(ps->rx.parse_timed, ps->rx.parse_timed + 1);
		deadline = post_rx_deadline(ps, mh.lifetime_ms);
	}
	if ((!deadline || deadline > ktime_get_ns()) &&
	    post_rx_direct_ok(ps, &mh, dlen)) {
		post_rx_direct_start(ps, &mh, dlen, deadline);
		return 0;
	}

	msg = kzalloc(sizeof(*msg), ps->sk.sk_allocation);
	if (!msg)
		return -ENOBUFS;
	if (post_rx_charge(ps, msg, sizeof(*msg))) {
		kfree(msg);
		return -ENOBUFS;
	}
	INIT_LIST_HEAD(&msg->pieces);
	msg->rx = true;
	msg->seq = ps->rx.frame.seq;
	msg->id = mh.id;
	msg->len = mh.len;
	msg->niceness = mh.niceness;
	msg->flags = mh.flags;
	msg->deadline = deadline;
	ps->rx.last_start = msg->seq;
	post_rx_open_insert(ps, msg);
	list_add_tail(&msg->list, &ps->rx.partial);
	ps->rx.nr_partial++;
	if (partial) {
		msg->partial = true;
		ps->rx.reserved += msg->len;
	}
	ps->rx.partial_charge += sizeof(*msg);

	if (dlen)
		return post_rx_begin_data(ps, msg, dlen, false);
	if (!msg->len)
		post_rx_complete(ps, msg);
	return 0;
}

/* The frame's payload is all here, in pieces of its message. */
static void post_rx_frame_done(struct post_sock *ps)
{
	struct post_msg *msg = ps->rx.msg;

	ps->rx.msg = NULL;
	post_rx_expect(ps, POST_RX_HDR, POST_FRAME_HDR_LEN);
	if (msg->done == msg->len)
		post_rx_complete(ps, msg);
}

/*
 * @len bytes of the frame's payload at @off in @skb: keep or copy them.
 * Returns @len or -errno.
 */
static int post_rx_data(struct post_sock *ps, struct sk_buff *skb, u32 off,
			u32 len)
{
	int n = 0;

	if (!ps->rx.piece && len >= POST_RXP_KEEP_MIN)
		n = post_rx_keep(ps, skb, off, len);
	if (!n)
		n = post_rx_copy_in(ps, skb, off, len);
	if (n < 0)
		return n;
	ps->rx.data_left -= n;
	if (!ps->rx.data_left)
		post_rx_frame_done(ps);
	return n;
}

/* The peer's preamble: its first bytes, then its limits. */
static int post_rx_preamble(struct post_sock *ps)
{
	int err;

	if (ps->rx.hdr_len == POST_PREAMBLE_FIXED) {
		err = post_preamble_check(ps->rx.hdr);
		if (!err) {
			ps->rx.want = POST_PREAMBLE_LEN;
			return 0;
		}
	} else {
		err = post_preamble_decode(ps->rx.hdr, &ps->hs.peer);
		if (!err) {
			post_rx_expect(ps, POST_RX_HDR, POST_FRAME_HDR_LEN);
			return 0;
		}
	}
	return err == POST_WIRE_EVERSION ? -EPROTONOSUPPORT : -EPROTO;
}

static int post_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			 unsigned int offset, size_t len)
{
	struct post_sock *ps = desc->arg.data;
	size_t used = 0;
	int err = 0;

	while (desc->count && used < len) {
		size_t avail = len - used;
		int took;
		u8 *dst;
		u32 n;

		if (ps->rx.state == POST_RX_DIRECT) {
			/* straight to the reader's buffer: the one copy */
			n = min_t(size_t, avail, ps->rx.direct_left);
			if (skb_copy_datagram_iter(skb, offset + used,
						   &ps->rx.user->msg_iter, n)) {
				err = -EFAULT;
				break;
			}
			used += n;
			ps->rx.direct_left -= n;
			ps->rx.direct_msg_left -= n;
			ps->rx.user_done += n;
			ps->rx.direct_slice += n;
			if (!ps->rx.direct_left && !ps->rx.direct_msg_left) {
				post_rx_direct_done(ps);
				desc->count = 0;
				continue;
			}
			if (!ps->rx.direct_left)
				post_rx_expect(ps, POST_RX_DIRECT_HDR,
					       POST_FRAME_HDR_LEN);
			/* a slice done: post_rx_pull() lets TCP catch up */
			if (ps->rx.direct_slice >= POST_DIRECT_RX_SLICE)
				desc->count = 0;
			continue;
		}
		if (ps->rx.state == POST_RX_DATA) {
			took = post_rx_data(ps, skb, offset + used,
					    min_t(size_t, avail, ps->rx.data_left));
			if (took < 0) {
				err = took;
				break;
			}
			used += took;
			continue;
		}
		if (ps->rx.state == POST_RX_HDR && !ps->rx.hdr_len) {
			/* only messages on their way are left: wait */
			if (!post_scan_worth_reading(ps)) {
				desc->count = 0;
				continue;
			}
			if (post_rx_throttled(ps)) {
				post_rx_stall(ps);
				desc->count = 0;
				continue;
			}
		}
		n = min_t(size_t, avail, ps->rx.want - ps->rx.hdr_len);
		dst = ps->rx.hdr + ps->rx.hdr_len;

		if (skb_copy_bits(skb, offset + used, dst, n)) {
			err = -EFAULT;
			break;
		}
		used += n;

		ps->rx.hdr_len += n;
		if (ps->rx.hdr_len < ps->rx.want)
			continue;
		switch (ps->rx.state) {
		case POST_RX_PREAMBLE:
			err = post_rx_preamble(ps);
			/* the carrier goes live in post_carrier_io(): stop */
			if (!err && ps->rx.state != POST_RX_PREAMBLE) {
				post_scan_start(ps, TCP_SKB_CB(skb)->seq +
						offset + used);
				desc->count = 0;
			}
			break;
		case POST_RX_HDR:
			ps->rx.tcp_seq = TCP_SKB_CB(skb)->seq + offset + used;
			err = post_rx_frame(ps);
			break;
		case POST_RX_MSG_HDR:
			ps->rx.tcp_seq = TCP_SKB_CB(skb)->seq + offset + used;
			err = post_rx_start(ps);
			break;
		case POST_RX_DIRECT_HDR:	/* peeked at: ours, DATA */
			if (post_frame_decode(ps->rx.hdr, &ps->rx.frame) ||
			    ps->rx.frame.type != POST_FRAME_DATA ||
			    ps->rx.frame.seq != ps->rx.direct_seq ||
			    ps->rx.frame.len > ps->rx.direct_msg_left) {
				err = -EPROTO;
				break;
			}
			ps->rx.direct_left = ps->rx.frame.len;
			ps->rx.state = POST_RX_DIRECT;
			break;
		default:	/* POST_RX_ACK */
			err = post_rx_ack(ps);
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
	u64 before = ps->rx.msgs - ps->rx.direct_msgs;
	struct sock *tsk;

	sock_owned_by_me(&ps->sk);
	if (!ps->tsock)
		return 0;
	/*
	 * Accepted by the kernel, not yet by accept(): nothing beyond the
	 * peer's preamble is read. What it sends waits in TCP, under TCP's
	 * receive buffer and tcp_mem, so an application that does not accept
	 * costs the host no more than a TCP listener's would.
	 */
	if (ps->child.parent && ps->rx.state != POST_RX_PREAMBLE)
		return 0;
	if (post_rx_throttled(ps)) {
		post_rx_stall(ps);
		return 0;
	}

	tsk = ps->tsock->sk;
	if (skb_queue_empty_lockless(&tsk->sk_receive_queue) &&
	    !READ_ONCE(tcp_sk(tsk)->urg_data))
		return 0;
	lock_sock(tsk);
	post_scan(ps, tsk);	/* the scanner stays ahead of us */
	ps->rx.direct_slice = 0;
	ps->tsock->ops->read_sock(tsk, &desc, post_rx_actor);
	/*
	 * A message goes straight to a reader whole (all of it was in TCP),
	 * a slice at a time: in between, release_sock() lets TCP process
	 * its backlog and send its ACKs.
	 */
	while (!desc.error && (ps->rx.state == POST_RX_DIRECT ||
			       ps->rx.state == POST_RX_DIRECT_HDR)) {
		release_sock(tsk);
		lock_sock(tsk);
		desc.count = 1;
		ps->rx.direct_slice = 0;
		/* no progress: a fault (desc.error), else urgent data */
		if (ps->tsock->ops->read_sock(tsk, &desc, post_rx_actor) <= 0 &&
		    !desc.error)
			desc.error = -EPROTO;
	}
	/* an ACK left behind (we stopped at a message): io_work reads it */
	if (post_scan_ctl(ps))
		mod_timer(&ps->rx.timer, jiffies + post_ack_delay());
	else
		del_timer(&ps->rx.timer);
	/* read_sock stops for good at urgent data: no AF_POST peer sends it */
	if (!desc.error && tcp_sk(tsk)->urg_data)
		desc.error = -EPROTO;
	release_sock(tsk);
	/* what charges raised beyond their needs goes back (mem.c) */
	sk_mem_reclaim(&ps->sk);

	if (desc.error)
		return desc.error;
	/* messages queued for readers (not those one took already) */
	return ps->rx.msgs - ps->rx.direct_msgs - before;
}

/* Is the stream in the middle of a message or frame (for a FIN)? */
bool post_rx_mid_message(const struct post_sock *ps)
{
	return ps->rx.nr_partial || ps->rx.state != POST_RX_HDR ||
	       ps->rx.hdr_len;
}

/*
 * recvmsg() reads the transient itself: a message that is entirely in TCP
 * may be copied straight into @m (up to @len bytes), once. Returns its
 * length (its info in *@info) or -1 if none went that way. Wraps
 * post_carrier_io().
 */
int post_rx_read_into(struct post_sock *ps, struct msghdr *m, size_t len,
		      struct post_rcvinfo *info)
{
	int done;

	ps->rx.user = m;
	ps->rx.user_len = len;
	ps->rx.user_done = -1;
	post_carrier_io(ps);
	done = ps->rx.user ? -1 : ps->rx.user_done;
	ps->rx.user = NULL;
	if (done >= 0)
		*info = ps->rx.user_info;
	return done;
}

/*
 * Copy up to @len bytes of the first complete message to @m. Sets MSG_EOR
 * when its last byte was copied; without MSG_PEEK the bytes are consumed.
 */
int post_rx_copy(struct post_sock *ps, struct msghdr *m, size_t len,
		 int flags, struct post_rcvinfo *info)
{
	bool peek = flags & MSG_PEEK;
	struct post_rxp *p, *next;
	struct post_msg *msg;
	size_t want, copied = 0;
	u32 off;

	msg = list_first_entry(&ps->rx.ready, struct post_msg, list);
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
	p = list_first_entry_or_null(&msg->pieces, struct post_rxp, list);

	while (copied < want) {
		size_t n = min_t(size_t, want - copied, p->len - off);
		size_t got;

		/*
		 * n is within the iterator (want <= len, recvmsg()'s); on
		 * a fault, skb_copy_datagram_iter() reverts what it copied
		 */
		if (p->skb)
			got = skb_copy_datagram_iter(p->skb, off, &m->msg_iter,
						     n) ? 0 : n;
		else
			got = copy_to_iter(p->data + off, n, &m->msg_iter);

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
			post_rxp_free(p);
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
		WRITE_ONCE(ps->rx.nr_ready, ps->rx.nr_ready - 1);
		post_rx_end(ps, msg, true);
		post_rx_uncharge(ps, msg->charge);
		post_msg_free(msg);
	}
	return copied;
}

/* Forget messages that can no longer complete (peer gone). */
void post_rx_drop_partials(struct post_sock *ps)
{
	struct post_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, &ps->rx.partial, list)
		post_rx_drop(ps, msg);
	if (ps->rx.piece) {
		/* charged to its message, which was just dropped */
		post_rxp_free(ps->rx.piece);
		ps->rx.piece = NULL;
	}
	ps->rx.msg = NULL;
	ps->rx.nr_partial = 0;
	ps->rx.partial_charge = 0;
	ps->rx.reserved = 0;
}

void post_rx_purge(struct post_sock *ps)
{
	struct post_msg *msg, *tmp;

	post_rx_drop_partials(ps);
	list_for_each_entry_safe(msg, tmp, &ps->rx.ready, list)
		post_rx_drop(ps, msg);
	WRITE_ONCE(ps->rx.nr_ready, 0);
	ps->rx.open = RB_ROOT;
	ps->rx.last_start = 0;
	ps->rx.next_deadline = 0;
	ps->rx.stalled = false;
	ps->rx.backlog = false;
	ps->rx.stall_ns = 0;
	ps->ack.pending = false;
	ps->ack.nr_extra = 0;
	ps->ack.count = 0;
	ps->ack.timed = false;
}
