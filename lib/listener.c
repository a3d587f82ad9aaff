// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpost listeners: listen, accept (blocking, or every waiting carrier to
 * the accepted handler). Carriers made here have the listener's policy:
 * the kernel gives an accepted carrier its listener's settings.
 * A handler may close the listener; it is freed once no handler runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

POST_EXPORT int post_listen(struct post_listener **listener,
			    const struct post_local *local,
			    const struct post_policy *policy, int backlog)
{
	struct post_policy pol, *p = NULL;
	struct post_listener *l;
	int fd, rc;

	if (!listener || !local)
		return -EINVAL;
	if (policy) {
		post_policy_init(&pol);
		rc = post_copy_sized(&pol, sizeof(pol), policy);
		if (rc)
			return rc;
		p = &pol;
	}
	if (p && p->stream)
		return -EINVAL;
	fd = post_socket(SOCK_SEQPACKET);
	if (fd < 0)
		return fd;
	rc = post_apply_policy(fd, p, false, true);
	if (rc)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&local->addr, local->len) ||
	    listen(fd, backlog > 0 ? backlog : SOMAXCONN)) {
		rc = -errno;
		goto fail;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = -ENOMEM;
		goto fail;
	}
	l->fd = fd;
	*listener = l;
	return 0;
fail:
	close(fd);
	return rc;
}

/* one accept4(); the carrier is non-blocking when dontwait */
static int accept_one(struct post_listener *l, struct post_carrier **carrier,
		      bool dontwait)
{
	int fd, rc;

	do {
		fd = accept4(l->fd, NULL, NULL,
			     SOCK_CLOEXEC | (dontwait ? SOCK_NONBLOCK : 0));
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	rc = post_carrier_wrap(carrier, fd, false, false);
	if (rc) {
		close(fd);
		return rc;
	}
	(*carrier)->nonblock = dontwait;
	return 0;
}

POST_EXPORT int post_accept(struct post_listener *l,
			    struct post_carrier **carrier)
{
	if (!l || !carrier || l->freed)
		return -EINVAL;
	return accept_one(l, carrier, false);
}

POST_EXPORT int post_listener_on(struct post_listener *l,
				 void (*accepted)(struct post_listener *,
						  struct post_carrier *, void *),
				 void *arg)
{
	int fl;

	if (!l)
		return -EINVAL;
	l->accepted = accepted;
	l->arg = arg;
	fl = fcntl(l->fd, F_GETFL);
	if (fl < 0 || fcntl(l->fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	return 0;
}

POST_EXPORT int post_listener_fd(const struct post_listener *l)
{
	return l ? l->fd : -EINVAL;
}

static void listener_free(struct post_listener *l)
{
	close(l->fd);
	free(l);
}

POST_EXPORT int post_listener_process(struct post_listener *l)
{
	struct post_carrier *c;
	int rc = 0;

	if (!l || l->freed)
		return -EINVAL;
	l->busy++;
	while (!l->freed) {
		struct pollfd pfd = { l->fd, POLLIN, 0 };

		/* the listener itself may be blocking: never wait here */
		if (poll(&pfd, 1, 0) != 1)
			break;
		rc = accept_one(l, &c, true);
		if (rc == -ECONNABORTED)	/* gone before we took it */
			continue;
		if (rc == -EAGAIN) {
			rc = 0;
			break;
		}
		if (rc)
			break;
		if (l->accepted)
			l->accepted(l, c, l->arg);
		else
			post_carrier_close(c);	/* nobody wants it */
	}
	if (!--l->busy && l->freed)
		listener_free(l);
	return rc;
}

POST_EXPORT int post_listener_port(const struct post_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!l)
		return -EINVAL;
	if (getsockname(l->fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

POST_EXPORT void post_listener_close(struct post_listener *l)
{
	if (!l || l->freed)
		return;
	if (l->loop)
		post_loop_del_listener(l->loop, l);
	l->freed = true;
	if (!l->busy)
		listener_free(l);
}
