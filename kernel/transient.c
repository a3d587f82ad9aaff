// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST transients: the TCP connection under each carrier. The
 * callbacks of a carrier's TCP socket (taken over through tsock.c) and
 * the carrier's io_work. The handshake is in handshake.c; failure and
 * destruction are in teardown.c.
 *
 * Locking:
 *  - TCP callbacks run in softirq with the transient's sk_callback_lock
 *    read-held; sk_user_data (the carrier) is set and cleared under the
 *    write lock, so a callback never sees a carrier being torn down. They
 *    never read or send: data_ready has the scanner (scan.c) tell what
 *    the new bytes complete and wakes the readers (ps->rx.waiters in
 *    recvmsg(), read with READ_ONCE; poll and epoll users), who read the
 *    transient in their own context; it queues io_work only for what no
 *    reader will take (ACKs, lifetimes, a filling TCP buffer). The other
 *    callbacks queue io_work.
 *  - Data moves in the caller's context under lock_sock(carrier):
 *    post_carrier_io() from recvmsg(), sendmsg() pushing its message, and
 *    io_work for what has no caller: connect progress, pushing after
 *    write_space, ACKs when nobody reads, timers, children not yet
 *    accepted.
 *  - A listener's accept work and its children are listen.c's.
 *  - A connecting carrier's io_work drives its race (race.c); the winner
 *    becomes ps->tsock, and a SOCK_STREAM carrier is connected right then
 *    (stream.c takes over the callbacks); a SOCK_SEQPACKET one goes on to
 *    the preambles.
 *  - Teardown (post_destroy(), teardown.c): orphaned carrier, callbacks
 *    detached, timers stopped, race attempts closed, io_work cancelled,
 *    then the transient released.
 */
#include <linux/tcp.h>
#include <net/tcp.h>

#include "compat.h"
#include "post.h"

void post_queue_io(struct post_sock *ps)
{
	sock_hold(&ps->sk);
	if (!queue_work(post_wq, &ps->io_work))
		sock_put(&ps->sk);
}

/*
 * New bytes on the transient (softirq, or its owner's release_sock(); the
 * transient's socket lock held either way). The scanner (scan.c) tells
 * what they complete; nothing is read here. A complete message wakes the
 * readers, who read it themselves: one sleeping in recvmsg(), or a poll
 * or epoll user (EPOLLIN). An ACK or EXPIRED frame wakes a recvmsg()
 * reader; without one, io_work reads it, at once, or after
 * POST_WIRE_ACK_DELAY_MS if a reader was woken who will likely read it
 * first. A message still on its way stays in TCP, unless TCP's receive
 * buffer is half full (then it is read into the carrier, so that TCP's
 * window never closes on a message that could only complete there).
 */
static void post_tcp_data_ready(struct sock *tsk)
{
	bool wake, now, later;
	struct post_sock *ps;

	read_lock_bh(&tsk->sk_callback_lock);
	ps = post_tsock_owner(tsk);
	if (!ps)
		goto out;
	if (READ_ONCE(ps->sk.sk_state) != TCP_ESTABLISHED ||
	    !ps->scan.active) {
		post_queue_io(ps);	/* handshake: io_work */
		goto out;
	}
	if (READ_ONCE(ps->child.parent))	/* not accepted: it waits (rx.c) */
		goto out;
	post_scan_decide(ps, tsk, &wake, &now, &later);
	if (wake) {
		WRITE_ONCE(ps->rx.kick, true);
		ps->sk.sk_data_ready(&ps->sk);
	}
	if (now)
		post_queue_io(ps);
	else if (later)
		mod_timer(&ps->rx.timer, jiffies + post_ack_delay());
out:
	read_unlock_bh(&tsk->sk_callback_lock);
}

static void post_rx_timer(struct timer_list *t)
{
	struct post_sock *ps = from_timer(ps, t, rx.timer);

	post_queue_io(ps);
}

void post_rx_timer_init(struct post_sock *ps)
{
	timer_setup(&ps->rx.timer, post_rx_timer, 0);
}

static void post_tcp_callback(struct sock *tsk)
{
	struct post_sock *ps;

	read_lock_bh(&tsk->sk_callback_lock);
	ps = post_tsock_owner(tsk);
	if (ps)
		post_queue_io(ps);
	read_unlock_bh(&tsk->sk_callback_lock);
}

/*
 * TCP calls write_space on every ACK while SOCK_NOSPACE is set; clear it
 * once there is room, as sk_stream_write_space() would, so that only the
 * transition wakes io_work (and TCP stops its sndbuf-limited chrono).
 */
static void post_tcp_write_space(struct sock *tsk)
{
	struct post_sock *ps;

	read_lock_bh(&tsk->sk_callback_lock);
	ps = post_tsock_owner(tsk);
	if (ps && sk_stream_is_writeable(tsk)) {
		clear_bit(SOCK_NOSPACE, &tsk->sk_socket->flags);
		post_queue_io(ps);
	}
	read_unlock_bh(&tsk->sk_callback_lock);
}

/*
 * Take over a TCP socket's callbacks for @ps. A TCP socket accepted from
 * our listening transient was cloned with our callbacks (not with our
 * pointer: it is stored NOCOPY), so @from, the listener, tells the
 * originals.
 */
void post_tcp_attach(struct post_sock *ps, struct socket *tsock,
		     const struct post_sock *from)
{
	static const struct post_tcp_cbs cbs = {
		.data_ready	= post_tcp_data_ready,
		.write_space	= post_tcp_write_space,
		.state_change	= post_tcp_callback,
	};

	post_tsock_take(tsock, ps, &cbs, &ps->saved, from ? &from->saved : NULL);
}

void post_tcp_detach(struct post_sock *ps, struct socket *tsock)
{
	post_tsock_give_back(tsock, ps, &ps->saved);
}

void post_transient_attach(struct post_sock *ps, const struct post_sock *from)
{
	post_tcp_attach(ps, ps->tsock, from);
}

void post_transient_detach(struct post_sock *ps)
{
	if (ps->tsock)
		post_tcp_detach(ps, ps->tsock);
}

/*
 * Move data between the carrier and its established transient, in the
 * caller's context: push what is queued, read what arrived (handing
 * complete messages to readers), push again (what we read may have freed
 * successors or made an ACK due), and notice the end of the stream.
 * Returns 0, or the error the carrier failed with. Under lock_sock.
 */
int post_carrier_io(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;
	struct sock *tsk = ps->tsock->sk;
	int err, n;

	sock_owned_by_me(sk);
	err = post_tx_push(ps);
	if (err) {
		/* TCP says EPIPE for any error: report the real one */
		err = -READ_ONCE(tsk->sk_err) ? : err;
		goto fail;
	}
	n = post_rx_pull(ps);
	if (n < 0) {
		err = n;
		goto fail;
	}
	if (post_handshaking(sk)) {
		if (ps->rx.state == POST_RX_PREAMBLE) {
			if (post_handshake_expired(ps)) {
				err = -ETIMEDOUT;
				goto fail;
			}
		} else {
			post_established(ps);
			n = post_rx_pull(ps);
			if (n < 0) {
				err = n;
				goto fail;
			}
		}
	}
	if (!ps->rx.nr_ready)
		post_ack_drained(ps);
	err = post_tx_push(ps);
	if (err) {
		err = -READ_ONCE(tsk->sk_err) ? : err;
		goto fail;
	}
	if (n > 0)
		sk->sk_data_ready(sk);

	err = -READ_ONCE(tsk->sk_err);
	if (err)
		goto fail;

	if (!(sk->sk_shutdown & RCV_SHUTDOWN) &&
	    (READ_ONCE(tsk->sk_shutdown) & RCV_SHUTDOWN) &&
	    skb_queue_empty_lockless(&tsk->sk_receive_queue)) {
		/* a FIN in the middle of a message is no clean end */
		if (post_handshaking(sk) || post_rx_mid_message(ps)) {
			err = -ECONNRESET;
			goto fail;
		}
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
		post_tx_peer_fin(ps);
		sk->sk_state_change(sk);
		sk->sk_data_ready(sk);
	}
	return 0;

fail:
	if (post_handshaking(sk) && err == -EPIPE)
		err = -ECONNRESET;
	post_sock_fail(sk, err);
	return err;
}

static void post_carrier_work(struct post_sock *ps)
{
	struct sock *sk = &ps->sk;
	int n;

	if (sk->sk_state == TCP_CLOSE ||
	    (post_is_stream(sk) && sk->sk_state == TCP_ESTABLISHED))
		return;
	if (ps->race && !ps->race->done) {
		n = post_race_progress(ps);
		if (n < 0)
			post_sock_fail(sk, n);
		if (n <= 0)
			return;
		if (post_is_stream(sk)) {	/* no preambles: bytes */
			ps->hs.tcp_up = true;
			post_stream_attach(ps);
			post_established(ps);
			return;
		}
	}
	if (!ps->tsock)
		return;
	if (!ps->hs.tcp_up && !post_tcp_progress(ps))
		return;
	post_carrier_io(ps);
}

void post_io_work(struct work_struct *work)
{
	struct post_sock *ps = container_of(work, struct post_sock, io_work);
	struct post_sock *child, *tmp;
	struct sock *sk = &ps->sk;
	LIST_HEAD(dead);

	lock_sock(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		if (sk->sk_state == TCP_LISTEN)
			post_listener_work(ps, &dead);
		else
			post_carrier_work(ps);
	} else if (ps->orphan) {
		post_orphan_work(ps);
	}
	release_sock(sk);

	list_for_each_entry_safe(child, tmp, &dead, child.node) {
		list_del_init(&child->child.node);
		post_close_child_later(child);
	}
	sock_put(sk);
}

