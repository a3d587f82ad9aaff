// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpost's loop: one epoll instance; each carrier or listener in it has a
 * post_watch that epoll points at. An object removed while a batch of
 * epoll events is handled (a handler closed it) keeps its watch, emptied,
 * until the batch is done, so a later event of the batch finds NULL and not
 * freed memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define POST_LOOP_BATCH	32

struct post_loop {
	int epfd;
	int count;		/* objects in the loop */
	bool stop;
	bool running;
	bool free_after;	/* post_loop_free() from a handler */
	struct post_watch *live;
	struct post_watch *dead;
};

POST_EXPORT int post_loop_new(struct post_loop **loop)
{
	struct post_loop *l;

	if (!loop)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int rc = -errno;

		free(l);
		return rc;
	}
	*loop = l;
	return 0;
}

int post_loop_watch(struct post_loop *loop, struct post_watch **wp, int kind,
		    void *obj, int fd, uint32_t events)
{
	struct post_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOMEM;
	w->kind = kind;
	w->obj = obj;
	w->events = events;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int rc = -errno;

		free(w);
		return rc;
	}
	loop->count++;
	w->next = loop->live;
	loop->live = w;
	*wp = w;
	return 0;
}

void post_loop_unwatch(struct post_loop *loop, struct post_watch *w, int fd)
{
	struct post_watch **pp;

	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	for (pp = &loop->live; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	loop->count--;
	w->obj = NULL;
	if (loop->running) {
		w->next_dead = loop->dead;
		loop->dead = w;
	} else {
		free(w);
	}
}

void post_loop_rearm(struct post_loop *loop, struct post_watch *w, int fd,
		     uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->events == events)
		return;
	if (!epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev))
		w->events = events;
}

POST_EXPORT int post_loop_add_carrier(struct post_loop *loop,
				      struct post_carrier *c)
{
	int rc;

	if (!loop || !c || c->freed || c->eof)
		return -EINVAL;
	if (c->loop)
		return -EEXIST;
	if (!c->nonblock) {
		rc = post_carrier_set_nonblock(c, true);
		if (rc)
			return rc;
	}
	rc = post_loop_watch(loop, &c->watch, POST_W_CARRIER, c, c->fd,
			     post_carrier_poll_events(c));
	if (!rc)
		c->loop = loop;
	return rc;
}

POST_EXPORT int post_loop_del_carrier(struct post_loop *loop,
				      struct post_carrier *c)
{
	if (!loop || !c)
		return -EINVAL;
	if (c->loop != loop)
		return -ENOENT;
	post_loop_unwatch(loop, c->watch, c->fd);
	c->watch = NULL;
	c->loop = NULL;
	return 0;
}

POST_EXPORT int post_loop_add_listener(struct post_loop *loop,
				       struct post_listener *l)
{
	int rc;

	if (!loop || !l || l->freed)
		return -EINVAL;
	if (l->loop)
		return -EEXIST;
	if (!l->accepted)
		return -EINVAL;	/* post_listener_on() first */
	rc = post_loop_watch(loop, &l->watch, POST_W_LISTENER, l, l->fd,
			     EPOLLIN);
	if (!rc)
		l->loop = loop;
	return rc;
}

POST_EXPORT int post_loop_del_listener(struct post_loop *loop,
				       struct post_listener *l)
{
	if (!loop || !l)
		return -EINVAL;
	if (l->loop != loop)
		return -ENOENT;
	post_loop_unwatch(loop, l->watch, l->fd);
	l->watch = NULL;
	l->loop = NULL;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void reap(struct post_loop *loop)
{
	struct post_watch *w;

	while ((w = loop->dead)) {
		loop->dead = w->next_dead;
		free(w);
	}
}

POST_EXPORT int post_loop_run(struct post_loop *loop, int timeout_ms)
{
	struct epoll_event evs[POST_LOOP_BATCH];
	int64_t end = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	int i, n, wait, rc = 0;
	bool waited = false;

	if (!loop || loop->running)
		return -EINVAL;
	loop->stop = false;
	loop->running = true;
	while (!rc) {
		if (loop->stop || loop->free_after) {
			rc = 1;
			break;
		}
		if (!loop->count)
			break;
		wait = -1;
		if (timeout_ms >= 0) {
			int64_t left = end - now_ms();

			/* one look even at timeout 0, then the timeout */
			if (left <= 0 && waited) {
				rc = -ETIMEDOUT;
				break;
			}
			wait = left <= 0 ? 0 :
			       left > 1 << 30 ? 1 << 30 : (int)left;
		}
		n = epoll_wait(loop->epfd, evs, POST_LOOP_BATCH, wait);
		waited = true;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		for (i = 0; i < n && !rc; i++) {
			struct post_watch *w = evs[i].data.ptr;

			if (!w->obj)
				continue;	/* removed earlier in the batch */
			if (w->kind == POST_W_CARRIER)
				rc = post_carrier_process(w->obj);
			else
				rc = post_listener_process(w->obj);
		}
		reap(loop);
	}
	loop->running = false;
	reap(loop);
	if (loop->free_after)
		post_loop_free(loop);
	return rc;
}

POST_EXPORT void post_loop_stop(struct post_loop *loop)
{
	if (loop)
		loop->stop = true;
}

POST_EXPORT void post_loop_free(struct post_loop *loop)
{
	if (!loop)
		return;
	if (loop->running) {	/* from a handler: once the run returns */
		loop->free_after = true;
		return;
	}
	/* what is still in it stays usable, just without a loop */
	while (loop->live) {
		struct post_watch *w = loop->live;

		if (w->kind == POST_W_CARRIER)
			post_loop_del_carrier(loop, w->obj);
		else
			post_loop_del_listener(loop, w->obj);
	}
	reap(loop);
	close(loop->epfd);
	free(loop);
}
