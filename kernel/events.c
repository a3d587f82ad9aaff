// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST delivery events: what became of each message sent (sent into
 * TCP, acknowledged by the peer's application, expired, aborted), queued
 * on ps->ev.queue (at most POST_EVENTS_MAX; more are counted as dropped)
 * and read with recvmsg(MSG_ERRQUEUE) as POST_CMSG_EVENT control messages.
 *
 * Locking: under lock_sock(carrier); ev.count is read locklessly by poll(),
 * which reports EPOLLERR while events wait.
 */
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/socket.h>

#include "post.h"

struct post_ev {
	struct list_head	list;
	struct post_event	ev;
};

#define POST_EV_ALL	(BIT(POST_EV_SENT) | BIT(POST_EV_ACKED) | \
			 BIT(POST_EV_EXPIRED) | BIT(POST_EV_ABORTED))

void post_ev_queue(struct post_sock *ps, u64 id, u32 type, int err)
{
	struct post_ev *ev;

	if (!(ps->ev_mask & BIT(type)))
		return;
	if (ps->ev.count >= POST_EVENTS_MAX)
		goto drop;
	ev = kmalloc(sizeof(*ev), GFP_KERNEL | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!ev)
		goto drop;
	ev->ev.id = id;
	ev->ev.type = type;
	ev->ev.error = err;
	ev->ev.time_ns = ktime_get_ns();
	list_add_tail(&ev->list, &ps->ev.queue);
	WRITE_ONCE(ps->ev.count, ps->ev.count + 1);
	sk_error_report(&ps->sk);
	return;
drop:
	ps->ev.dropped++;
}

/* recvmsg(MSG_ERRQUEUE): as many events as the control buffer holds. */
int post_ev_recv(struct post_sock *ps, struct msghdr *m)
{
	const size_t need = CMSG_LEN(sizeof(struct post_event));
	struct post_ev *ev, *tmp;
	int n = 0;

	if (!ps->ev.count)
		return -EAGAIN;
	if (m->msg_controllen < need)
		return -EINVAL;
	list_for_each_entry_safe(ev, tmp, &ps->ev.queue, list) {
		if (m->msg_controllen < need)
			break;
		if (put_cmsg(m, SOL_POST, POST_CMSG_EVENT, sizeof(ev->ev),
			     &ev->ev))
			return n ? 0 : -EFAULT;
		n++;
		list_del(&ev->list);
		kfree(ev);
		WRITE_ONCE(ps->ev.count, ps->ev.count - 1);
	}
	return 0;
}

void post_ev_purge(struct post_sock *ps)
{
	struct post_ev *ev, *tmp;

	list_for_each_entry_safe(ev, tmp, &ps->ev.queue, list)
		kfree(ev);
	INIT_LIST_HEAD(&ps->ev.queue);
	WRITE_ONCE(ps->ev.count, 0);
}

int post_events_check(u32 mask)
{
	return mask & ~POST_EV_ALL ? -EINVAL : 0;
}
