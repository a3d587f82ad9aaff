// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST SOCK_STREAM carriers once connected: plain bytes with TCP
 * semantics over the race's winner, no framing. sendmsg/recvmsg hand the
 * call to the transient (so blocking, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL,
 * SIGPIPE and errors are TCP's own), poll() reports the transient's
 * readiness, and the transient's callbacks wake the carrier's waiters.
 *
 * Locking: once a stream carrier is TCP_ESTABLISHED its transient stays
 * until release(), which cannot run during a call on the same file, so the
 * data path uses ps->tsock without lock_sock(carrier) and lets TCP lock
 * its own socket. The callbacks run in softirq under the transient's
 * sk_callback_lock (read) and only call the originals and wake the
 * carrier's wait queue; io_work has nothing to do for them.
 */
#include <linux/poll.h>
#include <net/tcp.h>

#include "post.h"

static void post_stream_wake(struct sock *sk, __poll_t mask)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, mask);
	if (wq && wq->fasync_list)
		sock_wake_async(wq, mask & EPOLLOUT ? SOCK_WAKE_SPACE :
				    SOCK_WAKE_WAITD,
				mask & EPOLLOUT ? POLL_OUT : POLL_IN);
	rcu_read_unlock();
}

static void post_stream_data_ready(struct sock *tsk)
{
	struct post_sock *ps;

	read_lock_bh(&tsk->sk_callback_lock);
	ps = post_tsock_owner(tsk);
	if (ps) {
		ps->saved.data_ready(tsk);
		post_stream_wake(&ps->sk, EPOLLIN | EPOLLRDNORM);
	}
	read_unlock_bh(&tsk->sk_callback_lock);
}

static void post_stream_write_space(struct sock *tsk)
{
	struct post_sock *ps;

	read_lock_bh(&tsk->sk_callback_lock);
	ps = post_tsock_owner(tsk);
	if (ps) {
		ps->saved.write_space(tsk);
		if (sk_stream_is_writeable(tsk))
			post_stream_wake(&ps->sk, EPOLLOUT | EPOLLWRNORM);
	}
	read_unlock_bh(&tsk->sk_callback_lock);
}

static void post_stream_state_change(struct sock *tsk)
{
	struct post_sock *ps;

	read_lock_bh(&tsk->sk_callback_lock);
	ps = post_tsock_owner(tsk);
	if (ps) {
		int err = READ_ONCE(tsk->sk_err);

		ps->saved.state_change(tsk);
		/* SO_ERROR on the carrier tells what EPOLLERR means */
		if (err)
			WRITE_ONCE(ps->sk.sk_err, err);
		post_stream_wake(&ps->sk, EPOLLIN | EPOLLOUT | EPOLLERR |
				 EPOLLHUP | EPOLLRDHUP);
	}
	read_unlock_bh(&tsk->sk_callback_lock);
}

/* The race's winner becomes a byte stream. Under lock_sock(carrier). */
void post_stream_attach(struct post_sock *ps)
{
	static const struct post_tcp_cbs cbs = {
		.data_ready	= post_stream_data_ready,
		.write_space	= post_stream_write_space,
		.state_change	= post_stream_state_change,
	};

	sock_owned_by_me(&ps->sk);
	post_tsock_switch(ps->tsock, &cbs);
}

__poll_t post_stream_poll(struct sock *sk)
{
	struct socket *tsock = READ_ONCE(post_sk(sk)->tsock);

	/* set before sk_state went ESTABLISHED (release/acquire) */
	return tsock ? tsock->ops->poll(NULL, tsock, NULL) : EPOLLERR;
}

/*
 * Wait until a connect() in progress has an outcome; -EAGAIN when @timeo
 * is zero. Called and returns with lock_sock(carrier) held.
 */
static int post_stream_wait_connect(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	sock_owned_by_me(sk);
	add_wait_queue(sk_sleep(sk), &wait);
	while (sk->sk_state == TCP_SYN_SENT) {
		if (!timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_event(sk, &timeo, sk->sk_state != TCP_SYN_SENT, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* The connected transient, or an error; waits for a connect() under way. */
static struct socket *post_stream_get(struct sock *sk, long timeo)
{
	struct socket *tsock = NULL;
	int err;

	lock_sock(sk);
	err = post_stream_wait_connect(sk, timeo);
	if (!err && sk->sk_state == TCP_ESTABLISHED)
		tsock = post_sk(sk)->tsock;
	else if (!err)
		err = sock_error(sk) ? : -ENOTCONN;
	release_sock(sk);
	return tsock ? : ERR_PTR(err);
}

int post_stream_sendmsg(struct sock *sk, struct msghdr *m, size_t len)
{
	struct socket *tsock;

	tsock = post_stream_get(sk, sock_sndtimeo(sk, m->msg_flags &
						     MSG_DONTWAIT));
	if (IS_ERR(tsock))
		return PTR_ERR(tsock);
	WRITE_ONCE(tsock->sk->sk_sndtimeo, READ_ONCE(sk->sk_sndtimeo));
	return sock_sendmsg(tsock, m);
}

int post_stream_recvmsg(struct sock *sk, struct msghdr *m, size_t len,
			int flags)
{
	struct socket *tsock;

	tsock = post_stream_get(sk, sock_rcvtimeo(sk, flags & MSG_DONTWAIT));
	if (IS_ERR(tsock))
		return PTR_ERR(tsock);
	WRITE_ONCE(tsock->sk->sk_rcvtimeo, READ_ONCE(sk->sk_rcvtimeo));
	return sock_recvmsg(tsock, m, flags);
}
