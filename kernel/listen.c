// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST listeners: a listening transient's accept work makes a carrier
 * ("child") of every TCP connection it takes; children handshake in their
 * own io_work (transient.c) and wait on the listener's lsn.accept_q for
 * accept() (socket.c), which is where their lifetime as children ends.
 *
 * Locking: a listener's children/lsn.accept_q/listening and each child's
 * child.dead are protected by the listener's lsn.lock (a spinlock,
 * process context). post_listener_work() runs in the listener's io_work
 * under lock_sock(listener); children it finds dead go to the caller's
 * list and are closed (post_close_child(), taking lock_sock(child)) only
 * after that lock is released. A child holds a reference on its listener
 * until accept() takes it or it is closed; it looks at its listener only
 * while handshaking.
 *
 * Closing a child cancels its io_work synchronously; from the listener's
 * io_work that would be a work item waiting for one of its own class
 * (lockdep: recursive locking), so the children the listener's work
 * finds dead are closed from their own destroy_work instead
 * (post_close_child_later()), which owns the listener's reference on
 * them from then on. They leave the backlog count when they leave the
 * list, so a flood of failing clients may briefly hold more children
 * than the backlog while their closes are queued.
 */
#include <linux/tcp.h>
#include <net/tcp.h>

#include "post.h"

void post_child_ready(struct post_sock *child)
{
	struct post_sock *parent = child->child.parent;
	bool ready = false;

	spin_lock(&parent->lsn.lock);
	if (parent->lsn.listening) {
		list_move_tail(&child->child.node, &parent->lsn.accept_q);
		ready = true;
	}
	spin_unlock(&parent->lsn.lock);
	if (ready)
		parent->sk.sk_data_ready(&parent->sk);
}

static struct post_sock *post_child_new(struct post_sock *parent,
					struct socket *tsock)
{
	struct sock *sk;
	struct post_sock *child;

	sk = sk_alloc(sock_net(&parent->sk), post_family, GFP_KERNEL,
		      &post_proto, 0);
	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	sk->sk_type = SOCK_SEQPACKET;
	post_sock_init(sk, parent);
	/* what TCP's accept() inherits from its listener */
	sk->sk_rcvtimeo = parent->sk.sk_rcvtimeo;
	sk->sk_sndtimeo = parent->sk.sk_sndtimeo;
	sk->sk_lingertime = parent->sk.sk_lingertime;
	sock_valbool_flag(sk, SOCK_LINGER, sock_flag(&parent->sk, SOCK_LINGER));
	sk->sk_mark = parent->sk.sk_mark;

	child = post_sk(sk);
	child->tsock = tsock;
	tcp_sock_set_nodelay(tsock->sk);
	post_set_notsent_lowat(child, tsock);
	sk->sk_state = TCP_SYN_RECV;
	sock_hold(&parent->sk);
	child->child.parent = parent;
	post_sock_publish(child);
	return child;
}

/*
 * Take established TCP connections off the listening transient, and move
 * children whose handshake failed to @dead for the caller to close once it
 * no longer holds the listener's lock.
 */
void post_listener_work(struct post_sock *ps, struct list_head *dead)
{
	struct sock *sk = &ps->sk;
	struct post_sock *child, *tmp;
	struct socket *tsock;

	spin_lock(&ps->lsn.lock);
	list_for_each_entry_safe(child, tmp, &ps->lsn.children, child.node) {
		if (child->child.dead) {
			list_move(&child->child.node, dead);
			sk_acceptq_removed(sk);
		}
	}
	spin_unlock(&ps->lsn.lock);

	while (ps->tsock && !sk_acceptq_is_full(sk)) {
		if (kernel_accept(ps->tsock, &tsock, O_NONBLOCK))
			break;
		child = post_child_new(ps, tsock);
		if (!child) {
			post_tsock_close(tsock, false);
			continue;
		}
		spin_lock(&ps->lsn.lock);
		list_add_tail(&child->child.node, &ps->lsn.children);
		sk_acceptq_added(sk);
		spin_unlock(&ps->lsn.lock);
		post_transient_attach(child, ps);
		post_queue_io(child);
	}
}

/* Close a carrier accepted by a listener that accept() never took. */
void post_close_child(struct post_sock *child)
{
	struct sock *sk = &child->sk;

	lock_sock(sk);
	sk->sk_state = TCP_CLOSE;
	post_nl_closed(child);
	post_sock_unpublish(child);
	sock_orphan(sk);
	release_sock(sk);
	post_destroy(child, false);
}

static void post_child_destroy(struct work_struct *work)
{
	post_close_child(container_of(work, struct post_sock, destroy_work));
}

/* post_close_child() from a work item of its own (see above). */
void post_close_child_later(struct post_sock *child)
{
	INIT_WORK(&child->destroy_work, post_child_destroy);
	queue_work(post_wq, &child->destroy_work);
}
