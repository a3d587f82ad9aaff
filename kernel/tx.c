// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST messages from sendmsg(): their properties (SOL_POST control
 * messages), their memory and their bytes.
 *
 * Pieces: a queued message's bytes wait for TCP in pieces of one frame's
 * data each, held in page frags (the task's, as TCP's own copies use).
 * They are copied once, from the sender's buffer, and handed to TCP by
 * reference (post_send_pages(), compat.h), never copied again. In front
 * of its data a piece keeps room for the frame's header, written when the
 * frame is built (sched.c), so that a frame goes to TCP in one call.
 *
 * Memory: a queued message is charged to sk_wmem_queued and, per
 * niceness, to tx.nice_queued[]: its pieces until their frames are in
 * TCP, its header until it ends. Frag pages this file allocates are
 * charged to the sender's memory cgroup (__GFP_ACCOUNT); a piece that
 * lands on a page of the task's frag that TCP allocated is not (noted as
 * a gap: TCP charges its sends through the socket, sk_mem_charge()).
 * sendmsg() admits a message while what its niceness and the more urgent
 * ones hold is below SO_SNDBUF.
 *
 * Locking: post_tx_build() and post_tx_copy() without @queued need no
 * lock (a large message is copied without lock_sock(carrier), so that
 * io_work and other senders go on); the rest runs under lock_sock.
 * post_tx_room() is lockless (poll()).
 */
#include <linux/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "post.h"

/* The first byte of @p's frame (its header, once built). */
u8 *post_piece_head(struct post_piece *p)
{
	return page_address(p->bv[0].bv_page) + p->bv[0].bv_offset + p->head;
}

void post_piece_free(struct post_piece *p)
{
	int i;

	for (i = 0; i < p->nr; i++)
		put_page(p->bv[i].bv_page);
	kfree(p);
}

/*
 * A piece of @len bytes from @from, after @room bytes for a header. A fault
 * leaves the rest of the piece zeroed and sets *@err (-EFAULT): the caller
 * decides whether it may still go. NULL with *@err set when memory is short.
 */
struct post_piece *post_piece_fill(struct post_sock *ps, u32 room,
				   u32 len, struct iov_iter *from,
				   int *err)
{
	u32 nr = DIV_ROUND_UP(room + len, PAGE_SIZE);
	gfp_t gfp = ps->sk.sk_allocation | __GFP_ACCOUNT;
	/*
	 * The task's frag, never the socket's: pieces are filled with and
	 * without lock_sock (a large message's copy), by every sender.
	 */
	struct page_frag *pf = &current->task_frag;
	u32 left = room + len, skip = room;
	struct post_piece *p;

	p = kmalloc(struct_size(p, bv, nr), gfp);
	if (!p)
		goto nomem;
	p->len = len;
	p->room = room;
	p->head = room;
	p->nr = 0;
	p->truesize = kmalloc_size_roundup(struct_size(p, bv, nr)) + room + len;
	while (left) {
		u32 n, skipped, c;
		u8 *to;

		/* at least min(left, PAGE_SIZE): nr bvecs are enough */
		if (WARN_ON_ONCE(p->nr == nr) ||
		    !skb_page_frag_refill(min_t(u32, left, PAGE_SIZE), pf, gfp))
			goto nomem_free;
		n = min_t(u32, left, pf->size - pf->offset);
		skipped = min(skip, n);
		to = page_address(pf->page) + pf->offset + skipped;
		c = 0;
		if (!*err)
			c = copy_from_iter(to, n - skipped, from);
		if (c != n - skipped) {	/* never send what was there */
			memset(to + c, 0, n - skipped - c);
			*err = -EFAULT;
		}
		bvec_set_page(&p->bv[p->nr++], pf->page, n, pf->offset);
		get_page(pf->page);
		pf->offset += n;
		skip -= skipped;
		left -= n;
	}
	return p;

nomem_free:
	post_piece_free(p);
nomem:
	*err = -ENOBUFS;
	return NULL;
}

void post_msg_free(struct post_msg *msg)
{
	struct post_piece *p, *tmp;
	struct post_rxp *r, *rtmp;

	if (msg->rx) {
		list_for_each_entry_safe(r, rtmp, &msg->pieces, list)
			post_rxp_free(r);
	} else {
		list_for_each_entry_safe(p, tmp, &msg->pieces, list)
			post_piece_free(p);
	}
	kfree(msg->ante);
	kfree(msg);
}

/*
 * Send memory is charged to sk_wmem_queued and, per niceness, to
 * tx.nice_queued[]: a message is admitted while what its niceness and the
 * more urgent ones hold is below SO_SNDBUF, so a large nice message never
 * keeps an urgent one out.
 */
void post_tx_charge(struct post_sock *ps, const struct post_msg *msg,
		    u32 bytes)
{
	ps->tx.queued += bytes;
	WRITE_ONCE(ps->tx.nice_queued[msg->niceness],
		   ps->tx.nice_queued[msg->niceness] + bytes);
	sk_wmem_queued_add(&ps->sk, bytes);
}

void post_tx_uncharge(struct post_sock *ps, const struct post_msg *msg,
		      u32 bytes)
{
	ps->tx.queued -= bytes;
	WRITE_ONCE(ps->tx.nice_queued[msg->niceness],
		   ps->tx.nice_queued[msg->niceness] - bytes);
	sk_wmem_queued_add(&ps->sk, -(int)bytes);
}

/* May a message of niceness @nice be queued now? Lockless (poll). */
bool post_tx_room(const struct post_sock *ps, u8 nice)
{
	u64 held = 0;
	int i;

	for (i = 0; i <= nice; i++)
		held += READ_ONCE(ps->tx.nice_queued[i]);
	return held < READ_ONCE(ps->sk.sk_sndbuf);
}

/* Writable, for the socket's default niceness (what poll() reports). */
bool post_tx_writable(const struct sock *sk)
{
	const struct post_sock *ps = post_sk(sk);

	return post_tx_room(ps, READ_ONCE(ps->niceness));
}

/* Properties */

int post_props_parse(struct post_sock *ps, struct msghdr *m,
		     struct post_props *pp)
{
	unsigned long seen = 0;
	struct cmsghdr *c;
	size_t dlen;
	u32 v;
	int i;

	memset(pp, 0, sizeof(*pp));
	pp->niceness = ps->niceness;
	if (!m->msg_controllen)
		return 0;

	for_each_cmsghdr(c, m) {
		if (!CMSG_OK(m, c) || c->cmsg_level != SOL_POST ||
		    c->cmsg_type < POST_CMSG_LIFETIME ||
		    (c->cmsg_type > POST_CMSG_IDEMPOTENT &&
		     c->cmsg_type != POST_CMSG_UNORDERED) ||
		    (seen & BIT(c->cmsg_type)))
			return -EINVAL;
		seen |= BIT(c->cmsg_type);
		dlen = c->cmsg_len - CMSG_LEN(0);

		if (c->cmsg_type == POST_CMSG_ANTECEDENTS) {
			if (!dlen || dlen % sizeof(u64) ||
			    dlen > sizeof(pp->ante))
				return -EINVAL;
			memcpy(pp->ante, CMSG_DATA(c), dlen);
			pp->nr_ante = dlen / sizeof(u64);
			for (i = 0; i < pp->nr_ante; i++)
				if (!pp->ante[i] || pp->ante[i] >= ps->tx.next_id)
					return -EINVAL;
			continue;
		}

		if (dlen != sizeof(v))
			return -EINVAL;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		switch (c->cmsg_type) {
		case POST_CMSG_LIFETIME:
			if (!v)
				return -EINVAL;
			pp->deadline = ktime_get_ns() + (u64)v * NSEC_PER_MSEC;
			break;
		case POST_CMSG_NICENESS:
			if (v > POST_NICE_MAX)
				return -EINVAL;
			pp->niceness = v;
			break;
		case POST_CMSG_IMMEDIATE:
			if (v > 1)
				return -EINVAL;
			pp->immediate = v;
			break;
		case POST_CMSG_UNORDERED:
			if (v > 1)
				return -EINVAL;
			pp->unordered = v;
			break;
		default:	/* POST_CMSG_IDEMPOTENT */
			if (v > 1)
				return -EINVAL;
			pp->flags = v ? POST_MFLAG_IDEMPOTENT : 0;
			break;
		}
	}
	return 0;
}

void post_tx_drop_pieces(struct post_sock *ps, struct post_msg *msg)
{
	struct post_piece *p, *tmp;

	list_for_each_entry_safe(p, tmp, &msg->pieces, list) {
		list_del(&p->list);
		msg->charge -= p->truesize;
		post_tx_uncharge(ps, msg, p->truesize);
		post_piece_free(p);
	}
}

/* A message of @len bytes, without its data yet. Needs no lock. */
struct post_msg *post_tx_alloc(struct post_sock *ps, size_t len,
			       const struct post_props *pp)
{
	struct sock *sk = &ps->sk;
	struct post_msg *msg;

	msg = kzalloc(sizeof(*msg), sk->sk_allocation | __GFP_ACCOUNT);
	if (!msg)
		return NULL;
	INIT_LIST_HEAD(&msg->pieces);
	INIT_LIST_HEAD(&msg->list);
	INIT_LIST_HEAD(&msg->plist);
	INIT_LIST_HEAD(&msg->q.list);
	msg->len = len;
	msg->charge = sizeof(*msg);
	if (pp->nr_ante) {
		msg->ante = kmemdup(pp->ante, pp->nr_ante * sizeof(u64),
				    sk->sk_allocation | __GFP_ACCOUNT);
		if (!msg->ante) {
			kfree(msg);
			return NULL;
		}
		msg->nr_ante = pp->nr_ante;
		msg->charge += pp->nr_ante * sizeof(u64);
	}
	return msg;
}

/*
 * Copy @left more bytes of @msg from @m into pieces: the first of @first
 * bytes if that is not 0 (the rest of a frame already begun: no room for
 * a header), then chunks, each with room for its frame's header.
 * With @queued, @msg is charged already and its pieces are charged as
 * they come (lock_sock held); otherwise no lock is needed.
 */
int post_tx_copy(struct post_sock *ps, struct post_copy *a)
{
	u32 chunk = READ_ONCE(ps->chunk_size);
	struct post_msg *msg = a->msg;
	size_t left = a->left;
	struct post_piece *p;
	u32 n = a->first;
	int err = 0;

	while (left) {
		u32 room = 0;

		if (!n) {
			n = min_t(size_t, left, chunk);
			room = POST_FRAME_HDR_LEN;
			if (!a->started)
				room += POST_MSG_HDR_LEN + a->ack_room;
			a->started = true;
		}
		p = post_piece_fill(ps, room, n, &a->m->msg_iter, &err);
		if (!p)
			return err;
		list_add_tail(&p->list, &msg->pieces);
		msg->charge += p->truesize;
		if (a->queued)
			post_tx_charge(ps, msg, p->truesize);
		if (err)
			return err;
		left -= n;
		n = 0;
	}
	return 0;
}

/*
 * Copy one message from userspace into pieces. Needs no lock: large
 * messages are copied without lock_sock(carrier), so that io_work and
 * other senders go on meanwhile. @ack_room: bytes an ACK that will lead
 * its START takes (post_tx_ack_room()), so that it goes in the same call.
 */
struct post_msg *post_tx_build(struct post_sock *ps, struct msghdr *m,
			       size_t len, const struct post_props *pp,
			       u32 ack_room)
{
	struct post_copy a = { .m = m, .left = len, .ack_room = ack_room };
	int err;

	a.msg = post_tx_alloc(ps, len, pp);
	if (!a.msg)
		return ERR_PTR(-ENOBUFS);
	err = post_tx_copy(ps, &a);
	if (err) {
		post_msg_free(a.msg);
		return ERR_PTR(err);
	}
	return a.msg;
}
