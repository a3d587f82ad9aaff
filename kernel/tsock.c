// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST inner TCP sockets: the one object behind every TCP socket the
 * module owns (a carrier's transient, race attempts, children a listener
 * accepted, stream carriers, the drain after close). It makes them in the
 * owner's namespace with the owner's options, takes over their callbacks
 * for an owner and gives them back, and closes them.
 *
 * Locking: callbacks and the owner (sk_user_data) are swapped under the
 * TCP socket's sk_callback_lock, write-held; the callbacks read the owner
 * with post_tsock_owner() under the read lock, so none sees an owner that
 * has given the socket back. The owner is stored NOCOPY: a socket that
 * accept() clones from a listening one inherits the listener's callbacks
 * but not its owner, so its new owner names the listener's saved
 * callbacks (@from) as the originals.
 */
#include <linux/tcp.h>
#include <net/tcp.h>

#include "compat.h"
#include "post.h"

/* A new TCP socket for @ps, in its namespace, with its socket options. */
int post_tsock_create(struct post_sock *ps, int family, struct socket **res)
{
	struct sock *sk = &ps->sk;
	struct socket *tsock;
	struct sock *tsk;
	int err;

	err = sock_create_kern(sock_net(sk), family, SOCK_STREAM, IPPROTO_TCP,
			       &tsock);
	if (err)
		return err;
	tsk = tsock->sk;
	post_sk_net_refcnt_upgrade(tsk);
	tcp_sock_set_nodelay(tsk);

	lock_sock(tsk);
	tsk->sk_reuse = sk->sk_reuse;
	tsk->sk_reuseport = sk->sk_reuseport;
	tsk->sk_bound_dev_if = sk->sk_bound_dev_if;
	tsk->sk_mark = sk->sk_mark;
	if (!post_is_stream(sk))	/* the send order stays ours (sched.c) */
		WRITE_ONCE(tcp_sk(tsk)->notsent_lowat, ps->notsent_lowat);
	release_sock(tsk);

	*res = tsock;
	return 0;
}

/*
 * Make @owner the owner of @tsock with callbacks @ours (no write_space:
 * TCP's stays), saving the originals in @saved (or taking them from
 * @from, see above).
 */
void post_tsock_take(struct socket *tsock, void *owner,
		     const struct post_tcp_cbs *ours, struct post_tcp_cbs *saved,
		     const struct post_tcp_cbs *from)
{
	struct sock *tsk = tsock->sk;

	write_lock_bh(&tsk->sk_callback_lock);
	if (from) {
		*saved = *from;
	} else {
		saved->data_ready = tsk->sk_data_ready;
		saved->write_space = tsk->sk_write_space;
		saved->state_change = tsk->sk_state_change;
	}
	__rcu_assign_sk_user_data_with_flags(tsk, owner, SK_USER_DATA_NOCOPY);
	WRITE_ONCE(tsk->sk_data_ready, ours->data_ready);
	WRITE_ONCE(tsk->sk_write_space, ours->write_space ? :
					saved->write_space);
	tsk->sk_state_change = ours->state_change;
	write_unlock_bh(&tsk->sk_callback_lock);
}

/* Other callbacks for the same owner (a carrier that became a stream). */
void post_tsock_switch(struct socket *tsock, const struct post_tcp_cbs *ours)
{
	struct sock *tsk = tsock->sk;

	write_lock_bh(&tsk->sk_callback_lock);
	WRITE_ONCE(tsk->sk_data_ready, ours->data_ready);
	WRITE_ONCE(tsk->sk_write_space, ours->write_space);
	tsk->sk_state_change = ours->state_change;
	write_unlock_bh(&tsk->sk_callback_lock);
}

/*
 * Give @tsock's callbacks back (@saved) if @owner still owns it; no
 * callback of ours runs for it afterwards.
 */
void post_tsock_give_back(struct socket *tsock, const void *owner,
			  const struct post_tcp_cbs *saved)
{
	struct sock *tsk = tsock->sk;

	write_lock_bh(&tsk->sk_callback_lock);
	if (__locked_read_sk_user_data_with_flags(tsk, 0) == owner) {
		rcu_assign_sk_user_data(tsk, NULL);
		WRITE_ONCE(tsk->sk_data_ready, saved->data_ready);
		WRITE_ONCE(tsk->sk_write_space, saved->write_space);
		tsk->sk_state_change = saved->state_change;
	}
	write_unlock_bh(&tsk->sk_callback_lock);
}

/* Release a socket nobody owns any more; with @abort, reset it (RST). */
void post_tsock_close(struct socket *tsock, bool abort)
{
	if (abort)
		sock_no_linger(tsock->sk);
	sock_release(tsock);
}
