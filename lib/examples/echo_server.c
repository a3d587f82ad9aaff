// SPDX-License-Identifier: GPL-2.0
/*
 * echo_server: a libpost server driven by a post_loop.
 *
 * It listens on PORT (both families), and every carrier the listener
 * accepts gets handlers and joins the loop; each message received is sent
 * back unchanged. A carrier that ends (the client's end of stream, or an
 * error) is closed in its closed handler. With N, the listener is closed
 * after the N-th carrier, and the loop returns once the last one is gone.
 *
 *   echo_server [PORT [N]]      PORT defaults to 7400, N to 0 (forever)
 *
 * Try it with:  echo_client localhost 7400 one two three
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "post.h"

struct server {
	struct post_loop *loop;
	struct post_listener *listener;	/* NULL once closed */
	int limit;		/* carriers to accept; 0: no limit */
	int accepted;
};

static void report(const char *what, int err)
{
	fprintf(stderr, "echo_server: %s: %s\n", what, post_strerror(err));
}

/*
 * The carrier is non-blocking (post_carrier_on): when its send queue is
 * full, wait for room. This keeps the example short; a real server would
 * keep the echo and send it from the writable handler instead.
 */
static int send_echo(struct post_carrier *c, const void *data, size_t len)
{
	struct pollfd pfd = { .fd = post_carrier_fd(c), .events = POLLOUT };
	int rc;

	while ((rc = post_send(c, data, len, NULL, NULL)) == -EAGAIN)
		poll(&pfd, 1, -1);
	return rc;
}

static void on_received(struct post_carrier *c, const struct post_message *m,
			void *arg)
{
	int rc = send_echo(c, m->data, m->len);

	if (rc)
		report("send", rc);	/* closed will tell the rest */
	else
		printf("echoed id=%llu len=%zu\n", (unsigned long long)m->id,
		       m->len);
}

static void on_closed(struct post_carrier *c, int err, void *arg)
{
	if (err)
		printf("carrier closed: %s\n", post_strerror(err));
	else
		printf("carrier closed\n");
	post_carrier_close(c);	/* it already left the loop */
}

static void on_accepted(struct post_listener *l, struct post_carrier *c,
			void *arg)
{
	static const struct post_handlers handlers = {
		.received = on_received,
		.closed = on_closed,
	};
	struct server *s = arg;
	int rc;

	rc = post_carrier_on(c, &handlers, s);
	if (!rc)
		rc = post_loop_add_carrier(s->loop, c);
	if (rc) {
		report("new carrier", rc);
		post_carrier_close(c);
	} else {
		printf("carrier accepted\n");
	}
	if (++s->accepted == s->limit) {
		post_listener_close(l);	/* it leaves the loop too */
		s->listener = NULL;
	}
}

int main(int argc, char **argv)
{
	const char *port = argc > 1 ? argv[1] : "7400";
	struct server s = { .limit = argc > 2 ? atoi(argv[2]) : 0 };
	struct post_local *local;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* NULL address: "::", both families */
	rc = post_local_new(&local, NULL, port);
	if (rc) {
		report(port, rc);
		return 1;
	}
	rc = post_listen(&s.listener, local, NULL, 0);
	post_local_free(local);
	if (rc) {
		report("listen", rc);
		return 1;
	}
	rc = post_loop_new(&s.loop);
	if (!rc)
		rc = post_listener_on(s.listener, on_accepted, &s);
	if (!rc)
		rc = post_loop_add_listener(s.loop, s.listener);
	if (rc) {
		report("loop", rc);
		return 1;
	}
	rc = post_listener_port(s.listener);
	if (rc < 0) {
		report("port", rc);
		return 1;
	}
	printf("listening on port %d\n", rc);

	/* 0 once the loop is empty: the listener and every carrier closed */
	rc = post_loop_run(s.loop, -1);
	if (rc < 0)
		report("loop", rc);
	else
		printf("served %d carriers\n", s.accepted);
	post_listener_close(s.listener);
	post_loop_free(s.loop);
	return rc < 0;
}
