// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST lifetimes of both directions. Deadlines are ktime_get_ns()
 * values: a sent message's (tx.next_deadline is the earliest queued one)
 * and a received one's (rx.next_deadline: its arrival + lifetime - srtt/2,
 * rx.c). One hrtimer per carrier (sched_timer) is armed for the earliest
 * of both; it only queues io_work, which ends what is due
 * (post_sched_expire()): a queued message not started is dropped, one
 * partly sent is aborted (sched.c), an unread received one is dropped and
 * an EXPIRED frame goes back (rx.c).
 *
 * Locking: under lock_sock(carrier), except the timer callback, which
 * holds no reference (post_destroy() cancels it) and only queues io_work.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>

#include "post.h"

u32 post_lifetime_left_ms(u64 deadline, u64 now)
{
	if (deadline <= now)
		return 1;
	return min_t(u64, U32_MAX,
		     div_u64(deadline - now + NSEC_PER_MSEC - 1, NSEC_PER_MSEC));
}

/* Lifetimes of queued messages: end what is due, note the next. */
static void post_tx_expire(struct post_sock *ps, u64 now)
{
	struct post_qent *e, *tmp;
	struct post_msg *msg;
	bool ended = false;
	u64 next = 0;
	int i;

	for (i = 0; i < POST_NICE_LEVELS; i++)
		list_for_each_entry_safe(e, tmp, &ps->tx.queue.nice[i], list) {
			msg = container_of(e, struct post_msg, q);
			if (!msg->deadline)
				continue;
			if (msg->deadline <= now) {
				if (!post_tx_end_queued(ps, msg, POST_EV_EXPIRED, 0))
					msg->deadline = 0;	/* out of our hands */
				ended = true;
				continue;
			}
			if (!next || msg->deadline < next)
				next = msg->deadline;
		}
	ps->tx.next_deadline = next;
	if (ended) {
		post_tx_cascade(ps);
		ps->sk.sk_write_space(&ps->sk);
	}
}

static enum hrtimer_restart post_sched_timer(struct hrtimer *t)
{
	struct post_sock *ps = container_of(t, struct post_sock, sched_timer);

	post_queue_io(ps);
	return HRTIMER_NORESTART;
}

void post_sched_init(struct post_sock *ps)
{
	post_queue_init(&ps->tx.queue);
	INIT_LIST_HEAD(&ps->tx.unacked);
	INIT_LIST_HEAD(&ps->tx.started);
	INIT_LIST_HEAD(&ps->tx.ctlq);
	INIT_LIST_HEAD(&ps->ev.queue);
	ps->tx.pending = RB_ROOT;
	hrtimer_init(&ps->sched_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	ps->sched_timer.function = post_sched_timer;
}

/* Arm the timer for the earliest deadline of either direction. */
void post_sched_arm(struct post_sock *ps)
{
	u64 next = ps->tx.next_deadline;

	if (!next || (ps->rx.next_deadline && ps->rx.next_deadline < next))
		next = ps->rx.next_deadline;
	if (!next || (ps->timer_at && ps->timer_at <= next))
		return;
	ps->timer_at = next;
	hrtimer_start(&ps->sched_timer, ns_to_ktime(next), HRTIMER_MODE_ABS);
}

/* End whatever lifetime is over, in both directions; re-arm the timer. */
void post_sched_expire(struct post_sock *ps)
{
	u64 now;

	/* no lifetime in either direction: no clock to read (every push) */
	if (!ps->timer_at && !ps->tx.next_deadline && !ps->rx.next_deadline)
		return;
	now = ktime_get_ns();
	if (ps->timer_at && ps->timer_at <= now)
		ps->timer_at = 0;
	if (ps->tx.next_deadline && ps->tx.next_deadline <= now)
		post_tx_expire(ps, now);
	if (ps->rx.next_deadline && ps->rx.next_deadline <= now)
		post_rx_expire(ps, now);
	post_sched_arm(ps);
}

/* No timer may run after this; the carrier is going away. */
void post_sched_stop(struct post_sock *ps)
{
	hrtimer_cancel(&ps->sched_timer);
	ps->timer_at = 0;
}
