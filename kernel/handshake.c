// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST handshake: from a connected TCP socket to an established
 * carrier. Once TCP is up (a race won, a child accepted, connect() on a
 * bound transient), each side sends its preamble (sched.c pushes it first)
 * and reads the peer's (rx.c); the carrier is established when both are
 * done, or fails (ETIMEDOUT) at POST_HANDSHAKE_TIMEOUT (sk_timer, armed
 * with hs.deadline).
 *
 * Locking: under lock_sock(carrier) in process context (io_work and
 * socket calls); the timer holds a reference on the sock, as every armed
 * sk_timer does, and only queues io_work.
 */
#include <linux/jiffies.h>
#include <linux/tcp.h>
#include <net/tcp.h>

#include "post.h"

void post_handshake_timer(struct timer_list *t)
{
	struct sock *sk = from_timer(sk, t, sk_timer);

	post_queue_io(post_sk(sk));
	sock_put(sk);
}

bool post_handshaking(const struct sock *sk)
{
	return sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV;
}

void post_established(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;

	sock_owned_by_me(sk);
	sk_stop_timer(sk, &sk->sk_timer);
	/* poll() reads ps->tsock once it sees ESTABLISHED (stream.c) */
	smp_store_release(&sk->sk_state, TCP_ESTABLISHED);
	post_nl_established(ps);
	if (ps->child.parent)
		post_child_ready(ps);
	else
		sk->sk_state_change(sk);
	sk->sk_write_space(sk);
}

/* The transient's TCP handshake: false while it is still in progress. */
bool post_tcp_progress(struct post_sock *ps)
{
	struct sock *tsk = ps->tsock->sk;
	struct sock *sk = &ps->sk;
	int err;

	switch (READ_ONCE(tsk->sk_state)) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return false;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		ps->hs.tcp_up = true;
		if (!ps->race) {	/* accepted: the preambles' deadline */
			ps->hs.deadline = jiffies +
					  msecs_to_jiffies(ps->hs_timeout_ms);
			sk_reset_timer(sk, &sk->sk_timer, ps->hs.deadline);
		}
		return true;
	default:
		err = READ_ONCE(tsk->sk_err);
		post_sock_fail(sk, err ? -err : -ECONNRESET);
		return false;
	}
}
