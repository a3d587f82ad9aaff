// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST carriers: the proto_ops userspace calls. SOCK_SEQPACKET carriers
 * are served here; SOCK_STREAM ones share establishment and teardown and
 * hand their data path to stream.c once connected.
 *
 * Locking: every op runs in process context and takes lock_sock(carrier)
 * for the state it touches; blocking waits drop it through sk_wait_event().
 * poll() reads sk_state, sk_err, sk_shutdown, rx.nr_ready and the accept
 * queue locklessly. Connection progress, receive and transmit beyond what a
 * call does itself happen in io_work (transient.c).
 *
 * Carrier states (sk_state): TCP_CLOSE (new, failed or closed),
 * TCP_SYN_SENT (connect: TCP handshake, then preambles), TCP_SYN_RECV
 * (accepted child before the preambles), TCP_ESTABLISHED, TCP_LISTEN.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "compat.h"
#include "post.h"

/*
 * Room to send, after a push or an ACK: wake whoever waits for it, as
 * sk_stream_write_space() does, only if a waiter said so (SOCK_NOSPACE:
 * sendmsg(), poll() short of EPOLLOUT or EPOLLWRBAND, close() lingering);
 * senders of any niceness may wait, and each checks its own room.
 */
static void post_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	smp_mb();	/* the room made, then the flag: pairs with poll() */
	if (!sock || !test_bit(SOCK_NOSPACE, &sock->flags) ||
	    !post_tx_room(post_sk(sk), 0))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/* Last reference gone: the count in /proc/net/protocols drops here. */
static void post_sock_destruct(struct sock *sk)
{
	post_sock_unpublish(post_sk(sk));
	sk_sockets_allocated_dec(sk);
	post_stat_add(POST_STAT_CARRIERS_ACTIVE, -1);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
}

/*
 * Netlink dumps see a sock from when it is fully set up until it is
 * closed: unpublished while its owner still holds a reference, so that a
 * dump never takes one on a sock already being freed.
 */
void post_sock_publish(struct post_sock *ps)
{
	struct post_net *pn = post_pernet(sock_net(&ps->sk));

	spin_lock_bh(&pn->socks_lock);
	ps->net_id = ++pn->next_sock_id;
	list_add_tail(&ps->net_node, &pn->socks);
	spin_unlock_bh(&pn->socks_lock);
}

void post_sock_unpublish(struct post_sock *ps)
{
	struct post_net *pn = post_pernet(sock_net(&ps->sk));

	spin_lock_bh(&pn->socks_lock);
	list_del_init(&ps->net_node);
	spin_unlock_bh(&pn->socks_lock);
}

/*
 * A new sock's settings: its listener's (@policy), else the namespace's
 * defaults. Its creator publishes it once set up (post_sock_publish).
 */
void post_sock_init(struct sock *sk, const struct post_sock *policy)
{
	struct post_net *pn = post_pernet(sock_net(sk));
	struct post_sock *ps = post_sk(sk);

	ps->chunk_size = policy ? policy->chunk_size :
				  READ_ONCE(pn->chunk_size);
	ps->max_msg_size = policy ? policy->max_msg_size :
				    READ_ONCE(pn->max_msg_size);
	ps->hs_timeout_ms = policy ? policy->hs_timeout_ms :
				     POST_HANDSHAKE_TIMEOUT_DEFAULT;
	if (policy) {
		ps->attempt_delay_ms = policy->attempt_delay_ms;
		ps->prefer_family = policy->prefer_family;
	} else {
		ps->attempt_delay_ms = READ_ONCE(pn->attempt_delay_ms);
		ps->prefer_family = READ_ONCE(pn->prefer_ipv6) ? AF_INET6 :
								 AF_INET;
	}
	if (policy) {
		sk->sk_sndbuf = policy->sk.sk_sndbuf;
		sk->sk_rcvbuf = policy->sk.sk_rcvbuf;
	}
	ps->notsent_lowat = policy ? policy->notsent_lowat :
				     POST_NOTSENT_DEFAULT;
	ps->niceness = policy ? policy->niceness : POST_NICE_DEFAULT;
	ps->ev_mask = policy ? policy->ev_mask : 0;

	ps->tx.next_id = 1;
	post_sched_init(ps);
	post_ack_init(ps);
	post_rx_timer_init(ps);
	ps->rx.open = RB_ROOT;
	ps->rx.want = POST_PREAMBLE_FIXED;
	INIT_LIST_HEAD(&ps->rx.ready);
	INIT_LIST_HEAD(&ps->rx.partial);
	INIT_LIST_HEAD(&ps->lsn.children);
	INIT_LIST_HEAD(&ps->lsn.accept_q);
	INIT_LIST_HEAD(&ps->child.node);
	spin_lock_init(&ps->lsn.lock);
	INIT_WORK(&ps->io_work, post_io_work);
	timer_setup(&sk->sk_timer, post_orphan_timer, 0);
	post_handshake_init(ps);

	sk->sk_protocol = 0;
	sk->sk_state = TCP_CLOSE;
	sk->sk_write_space = post_write_space;
	sk->sk_destruct = post_sock_destruct;
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	sk_sockets_allocated_inc(sk);
	INIT_LIST_HEAD(&ps->net_node);
	post_stat_add(POST_STAT_CARRIERS_CREATED, 1);
	post_stat_add(POST_STAT_CARRIERS_ACTIVE, 1);
}

/* Check a user address: its family, or a negative errno. */
static int post_check_addr(const struct sockaddr *addr, int len)
{
	if (len < (int)sizeof(sa_family_t))
		return -EINVAL;
	switch (addr->sa_family) {
	case AF_INET:
		return len < (int)sizeof(struct sockaddr_in) ? -EINVAL : AF_INET;
	case AF_INET6:
		return len < SIN6_LEN_RFC2133 ? -EINVAL : AF_INET6;
	default:
		return -EAFNOSUPPORT;
	}
}

/*
 * A carrier that failed or never connected may start over; nothing of an
 * earlier connection is delivered on the next.
 */
static void post_reset_handshake(struct post_sock *ps)
{
	post_rx_purge(ps);
	ps->hs.pre_sent = 0;
	ps->hs.pre_got = 0;
	ps->rx.hdr_len = 0;
	ps->rx.want = POST_PREAMBLE_FIXED;
	ps->rx.state = POST_RX_PREAMBLE;
	ps->hs.conn_gen++;
	ps->tx.seq = 0;
	ps->tx.acked_cum = 0;
	ps->tx.peer_fin = false;
	ps->scan.active = false;
	ps->hs.tcp_up = false;
	ps->tx.shut = false;
	WRITE_ONCE(ps->sk.sk_shutdown, 0);
}

static int post_bind(struct socket *sock, struct sockaddr *addr, int len)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	int family, err;

	family = post_check_addr(addr, len);
	if (family < 0)
		return family;

	lock_sock(sk);
	err = -EINVAL;
	if (ps->tsock || sk->sk_state != TCP_CLOSE)
		goto out;
	err = post_tsock_create(ps, family, &ps->tsock);
	if (err)
		goto out;
	err = kernel_bind(ps->tsock, addr, len);
	if (err) {
		post_tsock_close(ps->tsock, false);
		ps->tsock = NULL;
	}
out:
	release_sock(sk);
	return err;
}

static int post_wait_connect(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (sk->sk_state == TCP_SYN_SENT) {
		if (!*timeo) {
			err = -EINPROGRESS;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, sk->sk_state != TCP_SYN_SENT, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static int post_connect(struct socket *sock, struct sockaddr *addr, int len,
			int flags)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	const struct post_cand *cands;
	struct post_cand one = {};
	int family, err, nr = 1;
	long timeo;

	if (len >= (int)sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC) {
		family = AF_UNSPEC;	/* race the POST_CANDIDATES */
	} else {
		family = post_check_addr(addr, len);
		if (family < 0)
			return family;
		memcpy(&one, addr, min_t(int, len, sizeof(one)));
	}

	lock_sock(sk);
	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		if (sk->sk_state == TCP_SYN_SENT) {
			err = -EALREADY;
			if (flags & O_NONBLOCK)
				goto out;
			goto wait;
		}
		goto done;
	case SS_UNCONNECTED:
		break;
	default:
		err = -EINVAL;
		goto out;
	}

	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE)
		goto out;
	cands = &one;
	if (family == AF_UNSPEC) {
		err = -EDESTADDRREQ;
		if (!ps->nr_cands)
			goto out;
		cands = ps->cands;
		nr = ps->nr_cands;
	}
	post_reset_handshake(ps);
	WRITE_ONCE(sk->sk_err, 0);
	sk->sk_state = TCP_SYN_SENT;
	sock->state = SS_CONNECTING;
	post_handshake_arm(ps);

	err = post_race_start(ps, cands, nr);
	if (err) {
		post_handshake_stop(ps);
		sk->sk_state = TCP_CLOSE;
		sock->state = SS_UNCONNECTED;
		goto out;
	}
	post_queue_io(ps);

wait:
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	err = post_wait_connect(sk, &timeo);
	if (err)
		goto out;
done:
	if (sk->sk_state == TCP_ESTABLISHED) {
		sock->state = SS_CONNECTED;
		err = 0;
	} else {
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
	}
out:
	release_sock(sk);
	return err;
}

static int post_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	int err = -EINVAL;

	if (post_is_stream(sk))
		return -EOPNOTSUPP;
	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED)
		goto out;
	if (sk->sk_state == TCP_LISTEN) {
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		err = kernel_listen(ps->tsock, backlog);
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE)
		goto out;
	if (!ps->tsock) {
		err = post_tsock_create(ps, AF_INET6, &ps->tsock);
		if (err)
			goto out;
	}
	err = kernel_listen(ps->tsock, backlog);
	if (err)
		goto out;

	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	spin_lock(&ps->lsn.lock);
	ps->lsn.listening = true;
	spin_unlock(&ps->lsn.lock);
	sk->sk_state = TCP_LISTEN;
	post_transient_attach(ps, NULL);
	post_queue_io(ps);
out:
	release_sock(sk);
	return err;
}

static struct post_sock *post_accept_dequeue(struct post_sock *ps)
{
	struct post_sock *child;

	spin_lock(&ps->lsn.lock);
	child = list_first_entry_or_null(&ps->lsn.accept_q, struct post_sock,
					 child.node);
	if (child) {
		list_del_init(&child->child.node);
		sk_acceptq_removed(&ps->sk);
	}
	spin_unlock(&ps->lsn.lock);
	return child;
}

static int post_accept(POST_ACCEPT_ARGS)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	struct post_sock *child, *parent;
	struct sock *csk;
	int err = 0;
	long timeo;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, POST_ACCEPT_FLAGS & O_NONBLOCK);
	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		if (sk->sk_state != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		child = post_accept_dequeue(ps);
		if (child)
			break;
		if (!timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_event(sk, &timeo, !list_empty_careful(&ps->lsn.accept_q) ||
			      sk->sk_state != TCP_LISTEN, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!err)
		post_queue_io(ps);	/* room in the backlog again */
	release_sock(sk);
	if (err)
		return err;

	csk = &child->sk;
	lock_sock(csk);
	sock_graft(csk, newsock);
	newsock->state = SS_CONNECTED;
	parent = child->child.parent;
	WRITE_ONCE(child->child.parent, NULL);
	/* what waited in TCP for accept() is read now (rx.c) */
	if (child->tsock && csk->sk_state == TCP_ESTABLISHED)
		post_queue_io(child);
	release_sock(csk);
	sock_put(&parent->sk);
	return 0;
}

static int post_getname(struct socket *sock, struct sockaddr *addr, int peer)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	int ret;

	lock_sock(sk);
	if (peer && sk->sk_state != TCP_ESTABLISHED) {
		ret = -ENOTCONN;
	} else if (!ps->tsock) {
		struct sockaddr_in *sin = (struct sockaddr_in *)addr;

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		ret = sizeof(*sin);
	} else if (peer) {
		ret = kernel_getpeername(ps->tsock, addr);
	} else {
		ret = kernel_getsockname(ps->tsock, addr);
	}
	release_sock(sk);
	return ret;
}

static __poll_t post_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	/* pairs with post_established(): a stream's tsock is set by then */
	state = smp_load_acquire(&sk->sk_state);
	if (state == TCP_ESTABLISHED && post_is_stream(sk))
		return post_stream_poll(sk);
	if (state == TCP_LISTEN)
		return list_empty_careful(&ps->lsn.accept_q) ? 0 :
		       EPOLLIN | EPOLLRDNORM;

	if (READ_ONCE(sk->sk_err) || READ_ONCE(ps->ev.count))
		mask |= EPOLLERR;
	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	/* a complete message, queued or still in TCP (scan.c) */
	if (READ_ONCE(ps->rx.nr_ready) || post_scan_ready(ps))
		mask |= EPOLLIN | EPOLLRDNORM;

	if (state == TCP_ESTABLISHED) {
		if (shutdown & SEND_SHUTDOWN || post_tx_writable(sk)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			/* pairs with the write_space wakeup after uncharge */
			smp_mb__after_atomic();
			if (post_tx_writable(sk))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
		/* room for the least urgent niceness: for any message */
		if (!post_tx_room(ps, POST_NICE_MAX)) {
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			/* as above: the room may have come meanwhile */
			smp_mb__after_atomic();
		}
		if (post_tx_room(ps, POST_NICE_MAX))
			mask |= EPOLLWRBAND;
	}
	return mask;
}

static int post_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	int err = 0;

	how++;	/* SHUT_RD/WR/RDWR -> RCV_SHUTDOWN/SEND_SHUTDOWN/both */
	if (!how || (how & ~SHUTDOWN_MASK))
		return -EINVAL;

	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED) {
		err = -ENOTCONN;
		goto out;
	}
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
	if (post_is_stream(sk)) {
		err = kernel_sock_shutdown(ps->tsock, how - 1);
	} else if (how & SEND_SHUTDOWN) {
		ps->tx.fin = true;
		err = post_tx_push(ps);
		if (err) {
			post_sock_fail(sk, err);
			err = 0;
		}
	}
	sk->sk_state_change(sk);
out:
	release_sock(sk);
	return err;
}

/* Hand everything queued to TCP before the carrier goes away. */
static void post_tx_flush(struct post_sock *ps)
{
	struct sock *tsk = ps->tsock->sk;
	int room;

	if (ps->ack.pending)	/* what was read is acknowledged now */
		post_ack_now(ps);
	if (!post_tx_busy(ps) && !ps->ack.pending)
		return;
	room = min_t(u64, INT_MAX / 2,
		     (u64)READ_ONCE(tsk->sk_sndbuf) + 2 * ps->tx.queued);
	lock_sock(tsk);
	tsk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	WRITE_ONCE(tsk->sk_sndbuf, room);
	WRITE_ONCE(tcp_sk(tsk)->notsent_lowat, 0);	/* the sysctl's */
	release_sock(tsk);
	post_tx_push(ps);
}

/* Every message sent has ended, or never will here. Lockless. */
static bool post_lingered(const struct post_sock *ps)
{
	return !READ_ONCE(ps->tx.pending.rb_node) ||
	       READ_ONCE(ps->sk.sk_err) ||
	       READ_ONCE(ps->sk.sk_state) != TCP_ESTABLISHED;
}

/*
 * SO_LINGER with a timeout: close() waits, the carrier working as before
 * (io_work sends and reads the peer's ACKs), until every message sent on
 * it has ended (acknowledged, expired or aborted), it fails, a signal
 * comes or the time is up. Under lock_sock, released while it sleeps.
 */
static void post_linger(struct post_sock *ps)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = &ps->sk;
	long timeo = sk->sk_lingertime;

	sock_owned_by_me(sk);
	add_wait_queue(sk_sleep(sk), &wait);
	do {	/* messages end as ACKs come: write_space wakes us */
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	} while (timeo && !signal_pending(current) &&
		 !sk_wait_event(sk, &timeo, post_lingered(ps), &wait));
	remove_wait_queue(sk_sleep(sk), &wait);
}

static int post_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps;
	struct post_sock *child, *tmp;
	LIST_HEAD(orphans);
	bool abort, orphan = false;

	if (!sk)
		return 0;
	ps = post_sk(sk);

	lock_sock(sk);
	abort = sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime;
	if (sk->sk_state == TCP_LISTEN) {
		spin_lock(&ps->lsn.lock);
		ps->lsn.listening = false;
		list_splice_init(&ps->lsn.children, &orphans);
		list_splice_tail_init(&ps->lsn.accept_q, &orphans);
		spin_unlock(&ps->lsn.lock);
	} else if (sk->sk_state == TCP_ESTABLISHED && !abort) {
		if (sock_flag(sk, SOCK_LINGER) && !post_is_stream(sk))
			post_linger(ps);
	}
	if (sk->sk_state == TCP_ESTABLISHED && !abort) {	/* still */
		post_tx_flush(ps);
		/*
		 * Messages unread, queued here or complete in TCP: reset, as
		 * TCP does with unread data (TCP would only see those in its
		 * own queue). Else the peer's ACKs must not meet a reset
		 * (drain.c).
		 */
		abort = !post_is_stream(sk) &&
			(ps->rx.nr_ready || post_scan_ready(ps));
		ps->drain = !post_is_stream(sk) && !abort &&
			    !(sk->sk_shutdown & RCV_SHUTDOWN);
		/* what could not go yet keeps it alive (drain.c) */
		orphan = ps->drain && post_orphan_begin(ps);
	}
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!orphan) {		/* else once it is done (drain.c) */
		sk->sk_state = TCP_CLOSE;
		post_nl_closed(ps);
	}
	post_sock_unpublish(ps);
	sock_orphan(sk);
	release_sock(sk);

	list_for_each_entry_safe(child, tmp, &orphans, child.node) {
		list_del_init(&child->child.node);
		post_close_child(child);
	}
	sock->sk = NULL;
	if (!orphan)
		post_destroy(ps, abort);
	return 0;
}

static bool post_send_ready(struct sock *sk, u8 nice)
{
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		return true;
	if (sk->sk_state == TCP_ESTABLISHED)
		return post_tx_room(post_sk(sk), nice);
	return sk->sk_state != TCP_SYN_SENT;
}

/* The carrier can take a message now, or the error to return. */
static int post_send_check(struct sock *sk)
{
	int err = sock_error(sk);

	if (err)
		return err;
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_SYN_SENT)
		return -ENOTCONN;
	return 0;
}

static int post_sendmsg(struct socket *sock, struct msghdr *m, size_t len)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	struct post_msg *msg = NULL;
	struct post_props props;
	bool unlocked, failed;
	long timeo;
	int err;

	if (post_is_stream(sk))
		return post_stream_sendmsg(sk, m, len);
	if (m->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	err = post_props_parse(ps, m, &props);
	if (err)
		goto out;
	if (len > ps->max_msg_size) {
		err = -EMSGSIZE;
		goto out;
	}
	timeo = sock_sndtimeo(sk, m->msg_flags & MSG_DONTWAIT);
	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		err = post_send_check(sk);
		if (err)
			break;
		if (sk->sk_state == TCP_ESTABLISHED &&
		    post_tx_room(ps, props.niceness))
			break;
		if (!timeo) {
			/* a write_space wakeup is owed (edge-triggered epoll) */
			sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		sk_wait_event(sk, &timeo, post_send_ready(sk, props.niceness),
			      &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (err)
		goto out;
	/* more than the peer accepts (frame.h, 3): the carrier lives on */
	if (len > ps->hs.peer.max_msg) {
		err = -EMSGSIZE;
		goto out;
	}

	/* straight into TCP if it would go first anyway */
	err = post_tx_sendmsg(ps, m, len, &props, &failed);
	if (err <= 0) {
		if (failed)
			post_sock_fail(sk, err);
		if (!err || failed)
			err = len;
		goto out;
	}

	/* a large copy goes without the lock: io_work keeps sending */
	unlocked = len > ps->chunk_size;
	if (unlocked)
		release_sock(sk);
	msg = post_tx_build(ps, m, len, &props,
			    unlocked ? 0 : post_tx_ack_room(ps));
	if (unlocked)
		lock_sock(sk);
	if (IS_ERR(msg)) {
		err = PTR_ERR(msg);
		goto out;
	}
	if (unlocked) {		/* the carrier may have failed meanwhile */
		err = post_send_check(sk);
		if (err) {
			post_msg_free(msg);
			goto out;
		}
	}
	post_tx_queue(ps, msg, &props);
	err = post_tx_push(ps);
	if (err)
		post_sock_fail(sk, err);
	err = len;
out:
	release_sock(sk);
	if (err == -EPIPE)
		err = sk_stream_error(sk, m->msg_flags, err);
	return err;
}

static bool post_recv_ready(struct sock *sk)
{
	return READ_ONCE(post_sk(sk)->rx.nr_ready) || sk->sk_err ||
	       (sk->sk_shutdown & RCV_SHUTDOWN) || sk->sk_state == TCP_CLOSE ||
	       READ_ONCE(post_sk(sk)->rx.kick);
}

/* Can this carrier read its transient in the caller's context? */
static bool post_rx_live(struct sock *sk)
{
	return sk->sk_state == TCP_ESTABLISHED && post_sk(sk)->tsock &&
	       !(sk->sk_shutdown & RCV_SHUTDOWN);
}

/*
 * Wait for a complete message, reading the transient meanwhile: the data
 * path runs here, not in a worker (transient.c: data_ready wakes us).
 * With @m, a message entirely in TCP may be copied straight into it
 * (*@direct: its length, info in *@info). Returns 0 with a message ready
 * or copied, or the error or end to report.
 */
static int post_recv_wait(struct sock *sk, long *timeo, struct msghdr *m,
			  size_t len, int *direct, struct post_rcvinfo *info)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct post_sock *ps = post_sk(sk);
	bool kicked;
	int err = 0;

	*direct = -1;
	add_wait_queue(sk_sleep(sk), &wait);
	WRITE_ONCE(ps->rx.waiters, ps->rx.waiters + 1);
	for (;;) {
		if (ps->rx.nr_ready)
			post_sched_expire(ps);	/* never deliver past a lifetime */
		if (ps->rx.nr_ready)
			break;
		kicked = READ_ONCE(ps->rx.kick);
		WRITE_ONCE(ps->rx.kick, false);
		/* pairs with the barrier of data_ready's wakeup */
		smp_mb();
		/* a message on its way stays in TCP until whole (scan.c) */
		if (post_rx_live(sk) &&
		    (kicked || post_scan_worth_reading(ps))) {
			/* a failure keeps what was complete: that goes first */
			if (m)
				*direct = post_rx_read_into(ps, m, len, info);
			else
				post_carrier_io(ps);
			if (*direct >= 0)
				break;
			if (ps->rx.nr_ready)
				continue;
		}
		err = sock_error(sk);
		if (err)
			break;
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			break;
		if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN) {
			err = -ENOTCONN;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, post_recv_ready(sk), &wait);
	}
	WRITE_ONCE(ps->rx.waiters, ps->rx.waiters - 1);
	/* pairs with data_ready's: a kick after we left is seen below */
	smp_mb();
	remove_wait_queue(sk_sleep(sk), &wait);
	/*
	 * Work data_ready left to us that we did not do: io_work does it.
	 * Complete messages are not such work: the next recvmsg() or poll()
	 * takes them (io_work would only copy them into the carrier, and
	 * compete with that reader for the socket).
	 */
	if (READ_ONCE(ps->rx.kick) && post_rx_live(sk) &&
	    (post_scan_ctl(ps) || post_scan_must_read(ps, ps->tsock->sk)))
		post_queue_io(ps);
	return err;
}

static int post_recvmsg(struct socket *sock, struct msghdr *m, size_t len,
			int flags)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	struct post_rcvinfo info;
	int err, direct;
	long timeo;

	if (flags & MSG_ERRQUEUE) {
		lock_sock(sk);
		err = post_ev_recv(ps, m);
		release_sock(sk);
		return err;
	}
	if (post_is_stream(sk))
		return post_stream_recvmsg(sk, m, len, flags);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	err = post_recv_wait(sk, &timeo, flags & MSG_PEEK ? NULL : m, len,
			     &direct, &info);
	if (err)
		goto out;
	if (direct >= 0) {		/* copied straight from TCP */
		m->msg_flags |= MSG_EOR;
		err = direct;
	} else if (ps->rx.nr_ready) {
		err = post_rx_copy(ps, m, len, flags, &info);
	} else {
		goto out;
	}
	if (err >= 0 && m->msg_controllen) {
		put_cmsg(m, SOL_POST, POST_CMSG_ID, sizeof(info.id), &info.id);
		put_cmsg(m, SOL_POST, POST_CMSG_RCVINFO, sizeof(info), &info);
	}
	if (ps->rx.stalled && !post_rx_throttled(ps))
		post_rx_resume(ps, true);	/* memory freed: read on */
	if (!ps->rx.nr_ready)
		post_ack_drained(ps);
	if (post_ack_wanted(ps, false) && post_rx_live(sk)) {
		int perr = post_tx_push(ps);	/* 16 read: acknowledge */

		if (perr)
			post_sock_fail(sk, perr);
	}
out:
	release_sock(sk);
	return err;
}

static int post_setsockopt_abort(struct post_sock *ps, sockptr_t optval,
				 unsigned int optlen)
{
	u64 id;
	int err;

	if (optlen < sizeof(id))
		return -EINVAL;
	if (copy_from_sockptr(&id, optval, sizeof(id)))
		return -EFAULT;
	if (post_is_stream(&ps->sk))
		return -EOPNOTSUPP;
	lock_sock(&ps->sk);
	err = post_tx_abort(ps, id);
	release_sock(&ps->sk);
	return err;
}

static int post_setsockopt(struct socket *sock, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	struct post_sock *ps = post_sk(sock->sk);
	u32 val, min = 1, max;
	u32 *field;

	if (level != SOL_POST)
		return -ENOPROTOOPT;
	switch (optname) {
	case POST_CANDIDATES:
		return post_cands_set(ps, optval, optlen);
	case POST_ABORT:
		return post_setsockopt_abort(ps, optval, optlen);
	case POST_NOTSENT_LOWAT:
		field = &ps->notsent_lowat;
		min = POST_NOTSENT_MIN;
		max = POST_NOTSENT_MAX;
		break;
	case POST_EVENTS:
		field = &ps->ev_mask;
		min = 0;
		max = U32_MAX;
		break;
	case POST_NICENESS:
		field = NULL;
		min = 0;
		max = POST_NICE_MAX;
		break;
	case POST_ATTEMPT_DELAY:	/* any value: clamped below */
		field = &ps->attempt_delay_ms;
		min = 0;
		max = U32_MAX;
		break;
	case POST_PREFER_FAMILY:
		field = NULL;
		max = U32_MAX;
		break;
	case POST_MAX_MSG_SIZE:
		field = &ps->max_msg_size;
		max = POST_MAX_MSG_LIMIT;
		break;
	case POST_CHUNK_SIZE:
		field = &ps->chunk_size;
		min = POST_CHUNK_MIN;
		max = POST_CHUNK_MAX;
		break;
	case POST_HANDSHAKE_TIMEOUT:
		field = &ps->hs_timeout_ms;
		max = 600000;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (optlen < sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val < min || val > max)
		return -EINVAL;
	if (optname == POST_PREFER_FAMILY && val != AF_INET && val != AF_INET6)
		return -EINVAL;
	if (optname == POST_EVENTS && post_events_check(val))
		return -EINVAL;
	if (optname == POST_ATTEMPT_DELAY)	/* RFC 8305's bounds */
		val = clamp(val, POST_ATTEMPT_DELAY_MIN,
			    POST_ATTEMPT_DELAY_MAX);

	lock_sock(sock->sk);
	if (field)
		*field = val;
	else if (optname == POST_NICENESS)
		ps->niceness = val;
	else
		ps->prefer_family = val;
	if (optname == POST_NOTSENT_LOWAT && ps->tsock &&
	    sock->sk->sk_state != TCP_LISTEN)
		post_set_notsent_lowat(ps, ps->tsock);
	release_sock(sock->sk);
	return 0;
}

static int post_getsockopt(struct socket *sock, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	struct post_info info = {};
	union {
		u32 val;
		u64 id;
	} u;
	struct post_race_info *race = NULL;
	void *src = &u;
	int len, size, err;

	if (level != SOL_POST)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	if (optname == POST_CANDIDATES) {
		size = post_cands_get(ps, optval, &len);
		if (size)
			return size;
		return put_user(len, optlen) ? -EFAULT : 0;
	}
	if (optname == POST_RACE) {
		race = kmalloc(sizeof(*race), GFP_KERNEL);
		if (!race)
			return -ENOMEM;
	}

	lock_sock(sk);
	switch (optname) {
	case POST_ATTEMPT_DELAY:
		u.val = ps->attempt_delay_ms;
		size = sizeof(u.val);
		break;
	case POST_PREFER_FAMILY:
		u.val = ps->prefer_family;
		size = sizeof(u.val);
		break;
	case POST_NOTSENT_LOWAT:
		u.val = ps->notsent_lowat;
		size = sizeof(u.val);
		break;
	case POST_EVENTS:
		u.val = ps->ev_mask;
		size = sizeof(u.val);
		break;
	case POST_NICENESS:
		u.val = ps->niceness;
		size = sizeof(u.val);
		break;
	case POST_RACE:
		post_race_info(ps, race);
		src = race;
		size = sizeof(*race);
		break;
	case POST_MAX_MSG_SIZE:
		u.val = ps->max_msg_size;
		size = sizeof(u.val);
		break;
	case POST_CHUNK_SIZE:
		u.val = ps->chunk_size;
		size = sizeof(u.val);
		break;
	case POST_HANDSHAKE_TIMEOUT:
		u.val = ps->hs_timeout_ms;
		size = sizeof(u.val);
		break;
	case POST_NEXT_ID:
		u.id = ps->tx.next_id;
		size = sizeof(u.id);
		break;
	case POST_INFO:
		info.next_id = ps->tx.next_id;
		info.msgs_sent = ps->tx.msgs;
		info.msgs_received = ps->rx.msgs;
		info.tx_queued = ps->tx.queued;
		info.rx_queued = sk_rmem_alloc_get(sk);
		info.rx_partials = ps->rx.nr_partial;
		info.chunk_size = ps->chunk_size;
		info.max_msg_size = ps->max_msg_size;
		info.msgs_expired = ps->tx.expired;
		info.msgs_aborted = ps->tx.aborted;
		info.msgs_acked = ps->tx.acked;
		info.rx_expired = ps->rx.expired;
		info.events_dropped = ps->ev.dropped;
		info.tx_unacked = ps->tx.nr_unacked;
		info.events_queued = ps->ev.count;
		info.peer_max_msg_size = ps->hs.peer.max_msg;
		info.peer_rx_budget = ps->hs.peer.rx_budget;
		info.peer_max_partials = ps->hs.peer.max_partials;
		info.tx_partials = ps->tx.nr_partial;
		info.tx_direct_bytes = ps->tx.direct_bytes;
		info.rx_direct_msgs = ps->rx.direct_msgs;
		info.tx_spliced_bytes = ps->tx.spliced_bytes;
		info.rx_copied_bytes = ps->rx.copied_bytes;
		info.rx_kept_bytes = ps->rx.kept_bytes;
		src = &info;
		size = sizeof(info);
		break;
	default:
		release_sock(sk);
		return -ENOPROTOOPT;
	}
	release_sock(sk);

	err = 0;
	if (optname != POST_INFO && optname != POST_RACE && len < size) {
		err = -EINVAL;
		goto out;
	}
	len = min(len, size);
	if (copy_to_user(optval, src, len) || put_user(len, optlen))
		err = -EFAULT;
out:
	kfree(race);
	return err;
}

static int post_ioctl(struct socket *sock, unsigned int cmd,
		      unsigned long arg)
{
	return -ENOIOCTLCMD;
}

/*
 * The family number is a module parameter, so .family cannot be a constant
 * here; nothing in the socket core reads proto_ops.family for a registered
 * family (net_proto_family.family is what counts).
 */
const struct proto_ops post_seqpacket_ops = {
	.family		= PF_UNSPEC,
	.owner		= THIS_MODULE,
	.release	= post_release,
	.bind		= post_bind,
	.connect	= post_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= post_accept,
	.getname	= post_getname,
	.poll		= post_poll,
	.ioctl		= post_ioctl,
	.listen		= post_listen,
	.shutdown	= post_shutdown,
	.setsockopt	= post_setsockopt,
	.getsockopt	= post_getsockopt,
	.sendmsg	= post_sendmsg,
	.recvmsg	= post_recvmsg,
	.mmap		= sock_no_mmap,
};
