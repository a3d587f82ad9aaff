// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST establishment: the remote's candidates (POST_CANDIDATES) and the
 * Happy Eyeballs race of TCP transients to them (RFC 8305).
 *
 * A race orders its candidates by interleaving the address families, the
 * carrier's preferred family first, then lets the association cache
 * (assoc.c) move the remote's last winner to the front. It starts one
 * attempt (a TCP socket connecting without blocking), and each next one
 * when the attempt delay has passed since the last start or at once when an
 * attempt fails. The first attempt whose TCP handshake completed wins and
 * becomes the carrier's transient; every other attempt is closed there and
 * then. When every attempt has failed, or POST_HANDSHAKE_TIMEOUT has
 * passed, the race fails with the most telling error of all attempts.
 *
 * Locking: everything here runs under lock_sock(carrier), in connect() or
 * in the carrier's io_work, which is where attempts make progress. Attempt
 * sockets carry the carrier's TCP callbacks (transient.c): softirq only
 * queues io_work. The attempt-delay hrtimer only queues io_work too; it is
 * cancelled before any attempt is closed and before the race is freed, and
 * the carrier outlives it (post_destroy() stops the race first).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "post.h"

/* Validate one user candidate into @c; -EINVAL if it is not usable. */
static int post_cand_parse(const struct __kernel_sockaddr_storage *ss,
			   struct post_cand *c)
{
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	const struct sockaddr_in *sin = (const void *)ss;

	memset(c, 0, sizeof(*c));
	switch (ss->ss_family) {
	case AF_INET:
		if (!sin->sin_port)
			return -EINVAL;
		c->sin.sin_family = AF_INET;
		c->sin.sin_port = sin->sin_port;
		c->sin.sin_addr = sin->sin_addr;
		return 0;
	case AF_INET6:
		if (!sin6->sin6_port)
			return -EINVAL;
		c->sin6.sin6_family = AF_INET6;
		c->sin6.sin6_port = sin6->sin6_port;
		c->sin6.sin6_addr = sin6->sin6_addr;
		c->sin6.sin6_scope_id = sin6->sin6_scope_id;
		return 0;
	default:
		return -EINVAL;
	}
}

int post_cand_cmp(const struct post_cand *a, const struct post_cand *b)
{
	return memcmp(a, b, sizeof(*a));
}

static int post_cand_len(const struct post_cand *c)
{
	return c->sa.sa_family == AF_INET ? sizeof(c->sin) : sizeof(c->sin6);
}

int post_cands_set(struct post_sock *ps, sockptr_t optval, unsigned int optlen)
{
	const unsigned int size = sizeof(struct __kernel_sockaddr_storage);
	struct __kernel_sockaddr_storage *ss;
	struct sock *sk = &ps->sk;
	struct post_cand *cands;
	unsigned int i, j, nr;
	int err;

	if (!optlen || optlen % size)
		return -EINVAL;
	nr = optlen / size;
	if (nr > POST_MAX_CANDIDATES)
		return -EINVAL;

	ss = memdup_sockptr(optval, optlen);
	if (IS_ERR(ss))
		return PTR_ERR(ss);
	err = -ENOMEM;
	cands = kcalloc(nr, sizeof(*cands), GFP_KERNEL_ACCOUNT);
	if (!cands)
		goto out;
	for (i = 0; i < nr; i++) {
		err = post_cand_parse(&ss[i], &cands[i]);
		if (err)
			goto out;
		err = -EINVAL;
		for (j = 0; j < i; j++)
			if (!post_cand_cmp(&cands[i], &cands[j]))
				goto out;	/* a duplicate */
	}

	lock_sock(sk);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		swap(ps->cands, cands);
		ps->nr_cands = nr;
		err = 0;
		break;
	case TCP_SYN_SENT:
		err = -EALREADY;
		break;
	case TCP_LISTEN:
		err = -EINVAL;
		break;
	default:
		err = -EISCONN;
		break;
	}
	release_sock(sk);
out:
	kfree(cands);
	kfree(ss);
	return err;
}

/* Copy what POST_CANDIDATES set; *len in: room, out: bytes copied. */
int post_cands_get(struct post_sock *ps, char __user *optval, int *len)
{
	const unsigned int size = sizeof(struct __kernel_sockaddr_storage);
	struct __kernel_sockaddr_storage *ss;
	struct sock *sk = &ps->sk;
	int n, err = 0;

	ss = kcalloc(POST_MAX_CANDIDATES, size, GFP_KERNEL);
	if (!ss)
		return -ENOMEM;
	lock_sock(sk);
	for (n = 0; n < ps->nr_cands; n++)
		memcpy(&ss[n], &ps->cands[n], post_cand_len(&ps->cands[n]));
	release_sock(sk);

	*len = min_t(int, *len, n * size);
	if (copy_to_user(optval, ss, *len))
		err = -EFAULT;
	kfree(ss);
	return err;
}

static enum hrtimer_restart post_race_timer(struct hrtimer *t)
{
	struct post_race *race = container_of(t, struct post_race, timer);

	post_queue_io(race->ps);
	return HRTIMER_NORESTART;
}

/* Close an attempt's socket (never the winner's: it has none by then). */
static void post_attempt_close(struct post_sock *ps, struct post_attempt *a,
			       u8 state, int err)
{
	a->state = state;
	a->err = err;
	a->end_ns = ktime_get_ns();
	if (!a->sock)
		return;
	post_tcp_detach(ps, a->sock);
	post_tsock_close(a->sock, true);	/* a late SYN-ACK gets a RST */
	a->sock = NULL;
}

/*
 * Start the next attempt. Returns 0 when its handshake is under way, or
 * the error that ended it at once (it is then FAILED).
 */
static int post_attempt_launch(struct post_sock *ps)
{
	struct post_race *race = ps->race;
	struct post_attempt *a = &race->att[race->next];
	int err;

	a->start_ns = ktime_get_ns();
	a->state = POST_ATTEMPT_RUNNING;
	race->next++;
	if (!race->bound) {
		err = post_tsock_create(ps, a->cand.sa.sa_family, &a->sock);
		if (err)
			goto fail;
	}
	post_tcp_attach(ps, a->sock, NULL);
	err = kernel_connect(a->sock, &a->cand.sa, post_cand_len(&a->cand),
			     O_NONBLOCK);
	if (!err || err == -EINPROGRESS)
		return 0;
fail:
	post_attempt_close(ps, a, POST_ATTEMPT_FAILED, err);
	return err;
}

static int post_race_running(const struct post_race *race)
{
	int i, n = 0;

	for (i = 0; i < race->next; i++)
		n += race->att[i].state == POST_ATTEMPT_RUNNING;
	return n;
}

/* How telling an error is: refused beats unreachable beats timed out. */
static int post_err_rank(int err)
{
	switch (err) {
	case -ECONNREFUSED:
		return 4;
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -EACCES:
	case -EPERM:
		return 3;
	case -ETIMEDOUT:
		return 1;
	default:
		return 2;
	}
}

static int post_race_best_err(const struct post_race *race)
{
	int i, err = -ETIMEDOUT;

	for (i = 0; i < race->next; i++) {
		const struct post_attempt *a = &race->att[i];

		if (a->state == POST_ATTEMPT_FAILED &&
		    post_err_rank(a->err) > post_err_rank(err))
			err = a->err;
	}
	return err;
}

/*
 * End the race with @winner, or with none (-1) and @err; close every other
 * attempt still running.
 */
static void post_race_end(struct post_sock *ps, int winner, int err)
{
	struct post_race *race = ps->race;
	int i;

	hrtimer_cancel(&race->timer);
	for (i = 0; i < race->next; i++) {
		struct post_attempt *a = &race->att[i];

		if (i != winner && a->state == POST_ATTEMPT_RUNNING)
			post_attempt_close(ps, a, POST_ATTEMPT_CANCELLED, 0);
	}
	race->winner = winner;
	race->err = winner < 0 ? err : 0;
	race->end_ns = ktime_get_ns();
	race->done = true;
	post_stat_add(winner < 0 ? POST_STAT_RACES_FAILED : POST_STAT_RACES_WON,
		      1);
}

/*
 * Start what is due: one attempt per failure just seen, any attempt whose
 * delay has passed, and one whenever none is running. Then arm the timer
 * for the next start.
 */
static void post_race_kick(struct post_sock *ps, int failures)
{
	struct post_race *race = ps->race;
	u64 delay = (u64)race->delay_ms * NSEC_PER_MSEC;
	u64 due;

	while (race->next < race->nr) {
		due = race->next ? race->att[race->next - 1].start_ns + delay : 0;
		if (failures > 0)
			failures--;
		else if (post_race_running(race) && ktime_get_ns() < due)
			break;
		if (post_attempt_launch(ps))
			failures++;
	}
	if (race->next < race->nr) {
		due = race->att[race->next - 1].start_ns + delay;
		hrtimer_start(&race->timer, ns_to_ktime(due), HRTIMER_MODE_ABS);
	}
}

/* Which candidate of the race's order comes first: interleave families. */
static void post_race_order(struct post_race *race,
			    const struct post_cand *cands, int nr, int pref)
{
	int i, p = 0, o = 0, n = 0;
	int first[POST_MAX_CANDIDATES], other[POST_MAX_CANDIDATES];
	int nf = 0, no = 0;

	for (i = 0; i < nr; i++) {
		if (cands[i].sa.sa_family == pref)
			first[nf++] = i;
		else
			other[no++] = i;
	}
	while (p < nf || o < no) {
		if (p < nf)
			race->att[n++].cand = cands[first[p++]];
		if (o < no)
			race->att[n++].cand = cands[other[o++]];
	}
	race->nr = n;
}

/*
 * Begin establishment towards @cands (the carrier is TCP_SYN_SENT, its
 * handshake deadline set). Returns 0 while the race runs, or the error
 * that ended every attempt at once.
 */
int post_race_start(struct post_sock *ps, const struct post_cand *cands,
		    int nr)
{
	struct post_race *race = ps->race;
	struct socket *bound = ps->tsock;
	int i, err;

	if (!race) {
		race = kzalloc(sizeof(*race), GFP_KERNEL_ACCOUNT);
		if (!race)
			return -ENOMEM;
		hrtimer_init(&race->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
		race->timer.function = post_race_timer;
		race->ps = ps;
		ps->race = race;
	}
	memset(race->att, 0, sizeof(race->att));
	race->next = 0;
	race->winner = -1;
	race->err = 0;
	race->done = false;
	race->assoc_hit = false;
	race->assoc_srtt_us = 0;
	race->end_ns = 0;
	race->delay_ms = ps->attempt_delay_ms;
	race->start_ns = ktime_get_ns();

	post_race_order(race, cands, nr, ps->prefer_family);
	race->bound = bound;
	if (bound) {
		/* one local address, one attempt: the first of its family */
		for (i = 0; i < race->nr; i++)
			if (race->att[i].cand.sa.sa_family == bound->sk->sk_family)
				break;
		if (i == race->nr) {
			race->nr = 0;
			race->done = true;
			race->end_ns = race->start_ns;
			race->err = -EAFNOSUPPORT;
			return -EAFNOSUPPORT;
		}
		race->att[0].cand = race->att[i].cand;
		race->nr = 1;
		race->att[0].sock = bound;
		ps->tsock = NULL;	/* the attempt owns it now */
	} else {
		post_assoc_order(sock_net(&ps->sk), race);
	}

	post_race_kick(ps, 0);
	if (post_race_running(race))
		return 0;
	err = post_race_best_err(race);
	post_race_end(ps, -1, err);
	post_assoc_learn(sock_net(&ps->sk), race);
	return err;
}

static void post_race_win(struct post_sock *ps, int w)
{
	struct post_race *race = ps->race;
	struct post_attempt *a = &race->att[w];

	a->state = POST_ATTEMPT_WON;
	a->end_ns = ktime_get_ns();
	ps->tsock = a->sock;
	a->sock = NULL;
	post_race_end(ps, w, 0);
	post_assoc_learn(sock_net(&ps->sk), race);
}

/*
 * io_work: look at every running attempt. Returns 1 when one won (it is
 * ps->tsock now), 0 while the race goes on, or the race's error when it
 * is lost.
 */
int post_race_progress(struct post_sock *ps)
{
	struct post_race *race = ps->race;
	int i, winner = -1, failures = 0, err;

	sock_owned_by_me(&ps->sk);
	if (!race || race->done)
		return 0;

	for (i = 0; i < race->next; i++) {
		struct post_attempt *a = &race->att[i];
		struct sock *tsk;

		if (a->state != POST_ATTEMPT_RUNNING)
			continue;
		tsk = a->sock->sk;
		switch (READ_ONCE(tsk->sk_state)) {
		case TCP_SYN_SENT:
		case TCP_SYN_RECV:
			break;
		case TCP_ESTABLISHED:
		case TCP_CLOSE_WAIT:
			/* several at once: the earliest started wins */
			if (winner < 0)
				winner = i;
			break;
		default:
			err = -READ_ONCE(tsk->sk_err);
			post_attempt_close(ps, a, POST_ATTEMPT_FAILED,
					   err ? : -ECONNRESET);
			failures++;
			break;
		}
	}
	if (winner >= 0) {
		post_race_win(ps, winner);
		return 1;
	}

	if (post_handshake_expired(ps)) {
		for (i = 0; i < race->next; i++)
			if (race->att[i].state == POST_ATTEMPT_RUNNING)
				post_attempt_close(ps, &race->att[i],
						   POST_ATTEMPT_FAILED,
						   -ETIMEDOUT);
	} else {
		post_race_kick(ps, failures);
		if (post_race_running(race))
			return 0;
	}
	err = post_race_best_err(race);
	post_race_end(ps, -1, err);
	post_assoc_learn(sock_net(&ps->sk), race);
	return err;
}

/* Stop a race where it stands (carrier failing or going away). */
void post_race_stop(struct post_sock *ps)
{
	if (ps->race && !ps->race->done)
		post_race_end(ps, -1, -ECONNABORTED);
}

void post_race_free(struct post_sock *ps)
{
	post_race_stop(ps);
	kfree(ps->race);
	ps->race = NULL;
	kfree(ps->cands);
	ps->cands = NULL;
	ps->nr_cands = 0;
}

static u32 post_ns_to_us(u64 ns)
{
	return min_t(u64, div_u64(ns, NSEC_PER_USEC), U32_MAX);
}

void post_race_info(struct post_sock *ps, struct post_race_info *info)
{
	struct post_race *race = ps->race;
	u64 now = ktime_get_ns();
	int i;

	memset(info, 0, sizeof(*info));
	info->winner = -1;
	if (!race)
		return;
	info->nr_attempts = race->nr;
	info->winner = race->winner;
	info->flags = (race->done ? POST_RACE_DONE : 0) |
		      (race->assoc_hit ? POST_RACE_ASSOC : 0);
	info->elapsed_us = post_ns_to_us((race->done ? race->end_ns : now) -
					 race->start_ns);
	info->error = -race->err;
	info->attempt_delay_ms = race->delay_ms;
	info->assoc_srtt_us = race->assoc_srtt_us;
	for (i = 0; i < race->nr; i++) {
		const struct post_attempt *a = &race->att[i];
		struct post_race_attempt *o = &info->attempts[i];

		memcpy(&o->addr, &a->cand, post_cand_len(&a->cand));
		o->state = a->state;
		o->error = -a->err;
		if (a->state == POST_ATTEMPT_IDLE)
			continue;
		o->start_us = post_ns_to_us(a->start_ns - race->start_ns);
		o->duration_us = post_ns_to_us((a->end_ns ? : now) -
					       a->start_ns);
	}
}
