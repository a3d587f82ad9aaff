// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST handshake: from a connected TCP socket to an established
 * carrier. Once TCP is up (a race won, a child accepted, connect() on a
 * bound transient), each side sends its preamble (sched.c pushes it first)
 * and reads the peer's (rx.c); the carrier is established when both are
 * done, or fails (ETIMEDOUT) at POST_HANDSHAKE_TIMEOUT: hs.deadline, on
 * the monotonic clock, and an hrtimer for it, so that it fails within a
 * scheduling delay of the deadline (the time io_work takes to run), not a
 * timer-wheel tick after it.
 *
 * Locking: under lock_sock(carrier) in process context (io_work and
 * socket calls). The hrtimer holds no reference on the sock: it only
 * queues io_work (which holds one), and is cancelled when the handshake
 * ends and in post_destroy() before the last reference goes.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/tcp.h>
#include <net/tcp.h>

#include "post.h"

static enum hrtimer_restart post_handshake_timer(struct hrtimer *t)
{
	struct post_sock *ps = container_of(t, struct post_sock, hs.timer);

	post_queue_io(ps);
	return HRTIMER_NORESTART;
}

void post_handshake_init(struct post_sock *ps)
{
	hrtimer_init(&ps->hs.timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	ps->hs.timer.function = post_handshake_timer;
}

/* The handshake starts now: it must end within POST_HANDSHAKE_TIMEOUT. */
void post_handshake_arm(struct post_sock *ps)
{
	sock_owned_by_me(&ps->sk);
	ps->hs.deadline = ktime_get_ns() +
			  (u64)ps->hs_timeout_ms * NSEC_PER_MSEC;
	hrtimer_start(&ps->hs.timer, ns_to_ktime(ps->hs.deadline),
		      HRTIMER_MODE_ABS);
}

bool post_handshake_expired(const struct post_sock *ps)
{
	return ktime_get_ns() >= ps->hs.deadline;
}

/* Ended (established or failed), or torn down: may wait for the callback. */
void post_handshake_stop(struct post_sock *ps)
{
	hrtimer_cancel(&ps->hs.timer);
}

bool post_handshaking(const struct sock *sk)
{
	return sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV;
}

void post_established(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;

	sock_owned_by_me(sk);
	post_handshake_stop(ps);
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
		if (!ps->race)	/* accepted: the preambles' deadline */
			post_handshake_arm(ps);
		return true;
	default:
		err = READ_ONCE(tsk->sk_err);
		post_sock_fail(sk, err ? -err : -ECONNRESET);
		return false;
	}
}
