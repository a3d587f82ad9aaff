// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST teardown: a carrier that fails (post_sock_fail(): every message
 * not yet ended ends with the error, the transient is closed) and one
 * that is destroyed (post_destroy(): timers and work cancelled, queues
 * purged, the transient closed or handed to the drain, drain.c).
 *
 * Locking: under lock_sock(carrier), in process context.
 */
#include <linux/tcp.h>
#include <net/tcp.h>

#include "post.h"

/* Release the transient; abort it (RST) when asked. Caller owns ps. */
static void post_transient_close(struct post_sock *ps, bool abort)
{
	struct socket *tsock = ps->tsock;

	if (!tsock)
		return;
	post_transient_detach(ps);
	ps->tsock = NULL;
	if (!abort && ps->drain && !post_drain_start(tsock))
		return;
	post_tsock_close(tsock, abort);
}

/*
 * Fail the carrier with @err (negative): report it, drop what can no longer
 * be delivered and reset the transient. Complete messages already received
 * stay readable. Called under lock_sock(carrier).
 */
void post_sock_fail(struct sock *sk, int err)
{
	struct post_sock *ps = post_sk(sk);
	struct post_sock *parent = ps->child.parent;
	bool reap = false;

	sock_owned_by_me(sk);
	if (sk->sk_state == TCP_SYN_RECV && parent) {
		spin_lock(&parent->lsn.lock);
		if (parent->lsn.listening) {
			ps->child.dead = true;
			reap = true;
		}
		spin_unlock(&parent->lsn.lock);
	}

	if (err == -EPROTO) {
		ps->rx.proto_errors++;
		post_stat_add(POST_STAT_PROTO_ERRORS, 1);
	}
	WRITE_ONCE(sk->sk_err, -err);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sk->sk_state = TCP_CLOSE;
	post_nl_closed(ps);
	sk_stop_timer(sk, &sk->sk_timer);
	post_handshake_stop(ps);
	post_race_stop(ps);
	post_tx_purge(ps, err);
	post_rx_drop_partials(ps);
	post_transient_close(ps, true);
	sk_error_report(sk);
	sk->sk_write_space(sk);

	if (reap)
		post_queue_io(parent);
}

/*
 * Final teardown of an orphaned carrier (SOCK_DEAD set, not locked): nothing
 * can queue work for it afterwards. Drops the caller's reference.
 */
void post_destroy(struct post_sock *ps, bool abort)
{
	struct sock *sk = &ps->sk;

	post_transient_detach(ps);
	sk_stop_timer_sync(sk, &sk->sk_timer);
	post_handshake_stop(ps);	/* it queues io_work */
	post_race_free(ps);	/* its timer queues io_work */
	post_sched_stop(ps);	/* so does this one */
	post_ack_stop(ps);	/* and these */
	del_timer_sync(&ps->rx.timer);
	if (cancel_work_sync(&ps->io_work))
		sock_put(sk);

	post_transient_close(ps, abort);
	post_tx_purge(ps, 0);
	post_rx_purge(ps);
	post_ev_purge(ps);
	sk_mem_reclaim_final(sk);	/* what mem.c's charges left */
	if (ps->child.parent) {
		sock_put(&ps->child.parent->sk);
		ps->child.parent = NULL;
	}
	sock_put(sk);
}
