// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST after close(): the orphaned carrier and the orphan drain.
 *
 * close() hands what is queued to TCP (socket.c). What cannot go yet (a
 * successor whose antecedent the peer has not acknowledged, a message the
 * peer's advertised limits do not admit, a full TCP buffer) keeps the
 * carrier alive as an orphan: its io_work goes on sending as the peer's
 * ACKs arrive, lifetimes still apply, until nothing is held, then the
 * carrier is destroyed as if closed then. It gives up (dropping what is
 * held) on an error, on the peer's FIN, or after POST_ORPHAN_TIMEOUT.
 *
 * The peer acknowledges every message it reads with an ACK frame. If the
 * carrier closed its TCP socket outright, TCP would answer those frames
 * with a reset (data after close, RFC 1122), and the peer would lose the
 * messages it had not read yet. So a carrier that closes with nothing
 * unread shuts the transient's write side (FIN after everything queued)
 * and leaves it here: incoming bytes are read and discarded until the peer
 * closes too, an error, or POST_DRAIN_TIMEOUT; then it is released.
 *
 * Locking: an orphan is a carrier (SOCK_DEAD, ps->orphan) under
 * lock_sock() as any; its io_work runs post_orphan_work() and, once done,
 * queues destroy_work, which owns the reference close() left and runs
 * post_destroy() (not from io_work: that cancels io_work). Its module
 * reference (the proto's) keeps the module loaded meanwhile. Drains are
 * on post_drains under post_drain_lock (a spinlock, process context).
 * Whoever takes a drain off that list (its work when it ends, or module
 * exit) tears it down; exit waits for a running work with
 * cancel_delayed_work_sync(). The TCP callbacks run in softirq under the
 * transient's sk_callback_lock and only queue the work; sk_user_data is
 * set and cleared under the write lock, as for carriers.
 */
#include <linux/tcp.h>
#include <net/tcp.h>

#include "post.h"

#define POST_DRAIN_TIMEOUT	(60 * HZ)	/* tcp_fin_timeout's default */
#define POST_ORPHAN_TIMEOUT	(60 * HZ)	/* the same bound */

struct post_drain {
	struct socket		*tsock;
	struct delayed_work	work;
	struct list_head	node;
	unsigned long		deadline;
	struct post_tcp_cbs	saved;
};

static LIST_HEAD(post_drains);
static DEFINE_SPINLOCK(post_drain_lock);

static void post_drain_callback(struct sock *tsk)
{
	struct post_drain *d;

	read_lock_bh(&tsk->sk_callback_lock);
	d = post_tsock_owner(tsk);
	if (d)
		mod_delayed_work(post_wq, &d->work, 0);
	read_unlock_bh(&tsk->sk_callback_lock);
}

static void post_drain_detach(struct post_drain *d)
{
	post_tsock_give_back(d->tsock, d, &d->saved);
}

static int post_drain_actor(read_descriptor_t *desc, struct sk_buff *skb,
			    unsigned int offset, size_t len)
{
	return len;
}

/* Discard what arrived; true once the peer is done or time is up. */
static bool post_drain_read(struct post_drain *d)
{
	read_descriptor_t desc = { .count = 1 };
	struct sock *tsk = d->tsock->sk;
	bool done;

	lock_sock(tsk);
	d->tsock->ops->read_sock(tsk, &desc, post_drain_actor);
	done = tsk->sk_err || (tsk->sk_shutdown & RCV_SHUTDOWN) ||
	       tsk->sk_state == TCP_CLOSE || tcp_sk(tsk)->urg_data ||
	       time_after_eq(jiffies, d->deadline);
	release_sock(tsk);
	return done;
}

static void post_drain_work(struct work_struct *work)
{
	struct post_drain *d = container_of(to_delayed_work(work),
					    struct post_drain, work);
	bool owner;

	if (!post_drain_read(d)) {
		queue_delayed_work(post_wq, &d->work, d->deadline - jiffies);
		return;
	}

	spin_lock(&post_drain_lock);
	owner = !list_empty(&d->node);
	list_del_init(&d->node);
	spin_unlock(&post_drain_lock);
	if (!owner)		/* module exit tears it down */
		return;

	post_drain_detach(d);
	cancel_delayed_work(&d->work);	/* a callback may have queued it */
	post_tsock_close(d->tsock, false);
	kfree(d);
}

/*
 * Take over @tsock (its carrier's callbacks already detached): shut its
 * write side and drain it. On failure the caller releases it.
 */
int post_drain_start(struct socket *tsock)
{
	static const struct post_tcp_cbs cbs = {
		.data_ready	= post_drain_callback,
		.state_change	= post_drain_callback,
	};
	struct post_drain *d;
	int err;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	err = kernel_sock_shutdown(tsock, SHUT_WR);
	if (err) {
		kfree(d);
		return err;
	}
	d->tsock = tsock;
	d->deadline = jiffies + POST_DRAIN_TIMEOUT;
	INIT_DELAYED_WORK(&d->work, post_drain_work);

	spin_lock(&post_drain_lock);
	list_add_tail(&d->node, &post_drains);
	spin_unlock(&post_drain_lock);

	post_tsock_take(tsock, d, &cbs, &d->saved, NULL);

	queue_delayed_work(post_wq, &d->work, 0);
	return 0;
}

/* What a closed carrier still has to hand to TCP. Under lock_sock. */
static bool post_orphan_held(const struct post_sock *ps)
{
	return post_tx_busy(ps) || (ps->ack.pending && !ps->tx.shut);
}

/* An orphan's end (sk_timer, armed with a reference): io_work decides. */
void post_orphan_timer(struct timer_list *t)
{
	struct sock *sk = from_timer(sk, t, sk_timer);

	post_queue_io(post_sk(sk));
	sock_put(sk);
}

static void post_orphan_destroy(struct work_struct *work)
{
	struct post_sock *ps = container_of(work, struct post_sock,
					    destroy_work);

	post_destroy(ps, false);
}

/*
 * close() of an established carrier that will drain (lock_sock held),
 * after its queue went to TCP: if something is still held, the carrier
 * lives on as an orphan. True if it does: the caller leaves its reference
 * to destroy_work instead of destroying it.
 */
bool post_orphan_begin(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;

	sock_owned_by_me(sk);
	/* one arriving: it drains, a message completing there resets */
	if (!post_orphan_held(ps) || ps->rx.nr_partial)
		return false;
	ps->orphan = true;
	ps->orphan_end = jiffies + POST_ORPHAN_TIMEOUT;
	INIT_WORK(&ps->destroy_work, post_orphan_destroy);
	sk_reset_timer(sk, &sk->sk_timer, ps->orphan_end);
	return true;
}

/*
 * io_work of an orphan (lock_sock held): send what the peer's ACKs now
 * admit; once nothing is held, or it gives up, end it. A message the
 * peer starts after close() is data nobody will read: as TCP does, the
 * connection is reset (ECONNRESET). Otherwise what it gives up is aborted
 * (ESHUTDOWN after the peer's FIN, ETIMEDOUT at POST_ORPHAN_TIMEOUT;
 * counted, nobody hears) and the peer sees the FIN where its message
 * breaks off (ECONNRESET there, frame.h). The netlink notification of its
 * close goes now (socket.c left it).
 */
void post_orphan_work(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;
	struct sock *tsk;
	int err;

	sock_owned_by_me(sk);
	if (sk->sk_state != TCP_ESTABLISHED)
		goto done;
	if (ps->ack.pending)	/* what was read before close() */
		post_ack_now(ps);
	/* failed (purged, reset), also for a START after close() (rx.c) */
	if (post_carrier_io(ps))
		goto done;
	if (!post_orphan_held(ps))
		goto done;
	tsk = ps->tsock->sk;
	if ((READ_ONCE(tsk->sk_shutdown) & RCV_SHUTDOWN) &&
	    skb_queue_empty_lockless(&tsk->sk_receive_queue))
		err = -ESHUTDOWN;	/* no ACK can come any more */
	else if (time_after_eq(jiffies, ps->orphan_end))
		err = -ETIMEDOUT;
	else
		return;
	post_tx_purge(ps, err);
	ps->drain = false;
done:
	ps->orphan = false;
	sk->sk_state = TCP_CLOSE;
	post_nl_closed(ps);
	queue_work(post_wq, &ps->destroy_work);
}

/* Module exit: release every transient still draining. */
void post_drain_exit(void)
{
	struct post_drain *d;

	for (;;) {
		spin_lock(&post_drain_lock);
		d = list_first_entry_or_null(&post_drains, struct post_drain,
					     node);
		if (d)
			list_del_init(&d->node);
		spin_unlock(&post_drain_lock);
		if (!d)
			return;
		post_drain_detach(d);
		cancel_delayed_work_sync(&d->work);
		post_tsock_close(d->tsock, false);
		kfree(d);
	}
}
