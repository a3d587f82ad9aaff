// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST send side: the per-carrier send queue and its framing onto the
 * transient. Messages are sent in FIFO order, one frame per piece (each
 * piece holds at most the carrier's chunk size); a later change orders them
 * by niceness and lifetime and interleaves their chunks.
 *
 * Memory: a queued message is charged to sk_wmem_queued until its frames
 * are in TCP's hands; sendmsg() admits a message while sk_wmem_queued is
 * below sk_sndbuf.
 *
 * Locking: every function here runs with lock_sock(carrier) held, in
 * process context. kernel_sendmsg() takes the transient's lock inside it
 * (carrier -> transient order). The transient is written with MSG_DONTWAIT;
 * when TCP is full it sets SOCK_NOSPACE and its write_space callback later
 * queues io_work to continue.
 */
#include <linux/slab.h>
#include <linux/uio.h>

#include "post.h"

/* Memory a piece of @len bytes really takes: tiny pieces are not cheap. */
u32 post_piece_truesize(u32 len)
{
	return kmalloc_size_roundup(sizeof(struct post_piece)) +
	       kmalloc_size_roundup(len);
}

struct post_piece *post_piece_alloc(u32 len, gfp_t gfp)
{
	struct post_piece *p = kmalloc(sizeof(*p), gfp);

	if (!p)
		return NULL;
	p->len = len;
	p->truesize = post_piece_truesize(len);
	p->data = kvmalloc(len, gfp);
	if (!p->data) {
		kfree(p);
		return NULL;
	}
	return p;
}

void post_piece_free(struct post_piece *p)
{
	kvfree(p->data);
	kfree(p);
}

void post_msg_free(struct post_msg *msg)
{
	struct post_piece *p, *tmp;

	list_for_each_entry_safe(p, tmp, &msg->pieces, list)
		post_piece_free(p);
	kfree(msg);
}

static void post_tx_uncharge(struct post_sock *ps, u32 bytes)
{
	ps->tx_queued -= bytes;
	sk_wmem_queued_add(&ps->sk, -(int)bytes);
}

bool post_tx_writable(const struct sock *sk)
{
	return READ_ONCE(sk->sk_wmem_queued) < READ_ONCE(sk->sk_sndbuf);
}

/* Copy one message from userspace into pieces and queue it. */
int post_tx_queue(struct post_sock *ps, struct msghdr *m, size_t len)
{
	struct sock *sk = &ps->sk;
	struct post_piece *p;
	struct post_msg *msg;
	size_t left = len;
	int err;

	msg = kzalloc(sizeof(*msg), sk->sk_allocation | __GFP_ACCOUNT);
	if (!msg)
		return -ENOBUFS;
	INIT_LIST_HEAD(&msg->pieces);
	msg->len = len;
	msg->charge = sizeof(*msg);

	while (left) {
		u32 n = min_t(size_t, left, ps->chunk_size);

		/* charged to the sender's memory cgroup */
		p = post_piece_alloc(n, sk->sk_allocation | __GFP_ACCOUNT);
		if (!p) {
			err = -ENOBUFS;
			goto err_free;
		}
		list_add_tail(&p->list, &msg->pieces);
		if (copy_from_iter(p->data, n, &m->msg_iter) != n) {
			err = -EFAULT;
			goto err_free;
		}
		msg->charge += p->truesize;
		left -= n;
	}

	msg->id = ps->next_id++;
	list_add_tail(&msg->list, &ps->txq);
	ps->tx_queued += msg->charge;
	sk_wmem_queued_add(sk, msg->charge);
	return 0;

err_free:
	post_msg_free(msg);
	return err;
}

/* Build the header of the next frame to send; false if nothing is queued. */
static bool post_tx_next_frame(struct post_sock *ps)
{
	struct post_msg *msg;
	struct post_piece *p;

	msg = list_first_entry_or_null(&ps->txq, struct post_msg, list);
	if (!msg)
		return false;
	p = list_first_entry_or_null(&msg->pieces, struct post_piece, list);

	if (!msg->started) {
		post_frame_encode(ps->tx_hdr, POST_FRAME_START,
				  POST_MSG_HDR_LEN + (p ? p->len : 0), msg->id);
		post_msg_hdr_encode(ps->tx_hdr + POST_FRAME_HDR_LEN, msg->len,
				    msg->niceness);
		ps->tx_hdr_len = POST_FRAME_HDR_LEN + POST_MSG_HDR_LEN;
		msg->started = true;
	} else {
		post_frame_encode(ps->tx_hdr, POST_FRAME_DATA, p->len, msg->id);
		ps->tx_hdr_len = POST_FRAME_HDR_LEN;
	}
	ps->tx_msg = msg;
	ps->tx_piece = p;
	ps->tx_off = 0;
	return true;
}

/* The frame in progress is entirely in TCP: release what it carried. */
static void post_tx_frame_done(struct post_sock *ps)
{
	struct post_msg *msg = ps->tx_msg;
	struct post_piece *p = ps->tx_piece;

	if (p) {
		list_del(&p->list);
		msg->charge -= p->truesize;
		post_tx_uncharge(ps, p->truesize);
		post_piece_free(p);
	}
	ps->tx_msg = NULL;
	ps->tx_piece = NULL;
	ps->tx_off = 0;

	if (list_empty(&msg->pieces)) {
		list_del(&msg->list);
		post_tx_uncharge(ps, msg->charge);
		kfree(msg);
		ps->msgs_sent++;
	}
}

static int post_tx_send(struct post_sock *ps, struct kvec *iov, int n,
			size_t len)
{
	struct msghdr m = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	int ret = kernel_sendmsg(ps->tsock, &m, iov, n, len);

	return ret == -EAGAIN ? 0 : ret;
}

/*
 * Push our preamble, then queued frames, into the transient until TCP
 * refuses more. Returns 0 or a transient error the caller fails the
 * carrier with.
 */
int post_tx_push(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;
	bool freed = false;
	struct kvec iov[2];
	int ret;

	if (!ps->tsock || !ps->tcp_up)
		return 0;

	while (ps->tx_pre_off < POST_PREAMBLE_LEN) {
		u8 pre[POST_PREAMBLE_LEN];

		post_preamble_encode(pre);
		iov[0].iov_base = pre + ps->tx_pre_off;
		iov[0].iov_len = POST_PREAMBLE_LEN - ps->tx_pre_off;
		ret = post_tx_send(ps, iov, 1, iov[0].iov_len);
		if (ret <= 0)
			return ret;
		ps->tx_pre_off += ret;
	}

	while (ps->tx_msg || post_tx_next_frame(ps)) {
		u32 dlen = ps->tx_piece ? ps->tx_piece->len : 0;
		u32 hlen = ps->tx_hdr_len;
		int n = 0;

		if (ps->tx_off < hlen) {
			iov[n].iov_base = ps->tx_hdr + ps->tx_off;
			iov[n++].iov_len = hlen - ps->tx_off;
		}
		if (dlen) {
			u32 doff = max(ps->tx_off, hlen) - hlen;

			iov[n].iov_base = ps->tx_piece->data + doff;
			iov[n++].iov_len = dlen - doff;
		}
		ret = post_tx_send(ps, iov, n, hlen + dlen - ps->tx_off);
		if (ret <= 0) {
			if (ret < 0)
				return ret;
			break;
		}
		ps->tx_off += ret;
		if (ps->tx_off < hlen + dlen)
			continue;
		post_tx_frame_done(ps);
		freed = true;
	}

	if (freed)
		sk->sk_write_space(sk);

	if (ps->tx_fin && !ps->tx_msg && list_empty(&ps->txq)) {
		ps->tx_fin = false;
		return kernel_sock_shutdown(ps->tsock, SHUT_WR);
	}
	return 0;
}

void post_tx_purge(struct post_sock *ps)
{
	struct post_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, &ps->txq, list) {
		list_del(&msg->list);
		post_tx_uncharge(ps, msg->charge);
		post_msg_free(msg);
	}
	ps->tx_msg = NULL;
	ps->tx_piece = NULL;
	ps->tx_off = 0;
	ps->tx_fin = false;
}
