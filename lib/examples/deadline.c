// SPDX-License-Identifier: GPL-2.0
/*
 * deadline: message priorities (niceness) and lifetimes, and the events
 * that tell a sender what became of each message.
 *
 * The client queues, on one carrier:
 *   - one 8 MiB message at niceness 7 (the least urgent);
 *   - four small messages at niceness 0: the kernel cuts messages into
 *     chunks and picks the most urgent before each one, so these overtake
 *     the large message in the middle of its transfer (one of them carries
 *     a 10 s lifetime: the server sees what is left of it);
 *   - three messages with a 1 ms lifetime that must be delivered after the
 *     large one (it is their antecedent). They cannot leave before it is
 *     acknowledged, which takes longer than 1 ms, so they expire unsent.
 * Every message ends in exactly one terminal event: acked, expired or
 * aborted. The client runs its own poll() loop until all have ended, then
 * shuts the carrier down and waits for the server to close it.
 *
 *   deadline server PORT       prints "listening on port P", then per message
 *                              "message id=N len=L nice=K lifetime=Tms" (or
 *                              "lifetime=none") and, at the end of stream,
 *                              "end of stream: M messages"
 *   deadline client HOST PORT  prints "queued id=N len=L nice=K" (plus
 *                              " lifetime=Tms", " after=1" when set), then
 *                              "sent id=N", "acked id=N", "expired id=N" and
 *                              "aborted id=N: ERR" as events arrive, then
 *                              "closed", "done: acked=A expired=E aborted=B"
 *
 * Expected, on a path where queues form (a rate limit: on loopback the
 * whole 8 MiB can reach TCP before the next send): the server shows ids
 * 2-5 (niceness 0) before id 1; ids 6-8 expire. The client exits 0 once
 * every message ended and the carrier closed cleanly.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "post.h"

#define LARGE_LEN	(8u << 20)
#define IDLE_MS		30000	/* give up when nothing happens this long */

static int fail(const char *what, int err)
{
	fprintf(stderr, "deadline: %s: %s\n", what, post_strerror(err));
	return 1;
}

/* -- the server: plain blocking calls ------------------------------------ */

static int server(const char *port)
{
	struct post_listener *l;
	struct post_local *local;
	struct post_carrier *c;
	struct post_message m;
	unsigned int n = 0;
	int rc;

	rc = post_local_new(&local, NULL, port);
	if (rc)
		return fail(port, rc);
	rc = post_listen(&l, local, NULL, 0);
	post_local_free(local);
	if (rc)
		return fail("listen", rc);
	rc = post_listener_port(l);
	if (rc < 0)
		return fail("port", rc);
	printf("listening on port %d\n", rc);
	rc = post_accept(l, &c);
	post_listener_close(l);
	if (rc)
		return fail("accept", rc);

	while ((rc = post_receive(c, &m)) == 1) {
		printf("message id=%llu len=%zu nice=%u ",
		       (unsigned long long)m.id, m.len, m.niceness);
		if (m.has_lifetime)
			printf("lifetime=%ums\n", m.lifetime_ms);
		else
			printf("lifetime=none\n");
		post_message_release(&m);
		n++;
	}
	post_carrier_close(c);
	if (rc < 0)
		return fail("receive", rc);
	printf("end of stream: %u messages\n", n);
	return 0;
}

/* -- the client: handlers and its own poll() loop ------------------------ */

struct tally {
	unsigned int queued, acked, expired, aborted;
	bool closed;
	int err;		/* why the carrier closed */
};

static unsigned int ended(const struct tally *t)
{
	return t->acked + t->expired + t->aborted;
}

static void on_sent(struct post_carrier *c, uint64_t id, void *arg)
{
	printf("sent id=%llu\n", (unsigned long long)id);
}

static void on_acked(struct post_carrier *c, uint64_t id, void *arg)
{
	struct tally *t = arg;

	t->acked++;
	printf("acked id=%llu\n", (unsigned long long)id);
}

/* err 0: its lifetime ended; -ECANCELED: an antecedent failed */
static void on_expired(struct post_carrier *c, uint64_t id, int err,
		       void *arg)
{
	struct tally *t = arg;

	t->expired++;
	if (err)
		printf("expired id=%llu: %s\n", (unsigned long long)id,
		       post_strerror(err));
	else
		printf("expired id=%llu\n", (unsigned long long)id);
}

static void on_aborted(struct post_carrier *c, uint64_t id, int err,
		       void *arg)
{
	struct tally *t = arg;

	t->aborted++;
	printf("aborted id=%llu: %s\n", (unsigned long long)id,
	       post_strerror(err));
}

static void on_closed(struct post_carrier *c, int err, void *arg)
{
	struct tally *t = arg;

	t->closed = true;
	t->err = err;
	if (err)
		printf("closed: %s\n", post_strerror(err));
	else
		printf("closed\n");
}

/*
 * Queue one message. post_carrier_on() made the carrier non-blocking:
 * when its send queue is full, wait for room, handling events meanwhile.
 */
static int queue(struct post_carrier *c, struct tally *t, const void *data,
		 size_t len, int nice, unsigned int lifetime_ms,
		 const uint64_t *after, uint64_t *id)
{
	struct post_msg_props p;
	struct pollfd pfd;
	int rc;

	post_props_init(&p);
	p.niceness = nice;
	p.lifetime_ms = lifetime_ms;
	p.antecedents = after;
	p.nr_antecedents = after ? 1 : 0;
	while ((rc = post_send(c, data, len, &p, id)) == -EAGAIN) {
		pfd = (struct pollfd){ post_carrier_fd(c), POLLOUT, 0 };
		rc = poll(&pfd, 1, IDLE_MS);
		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0 && errno != EINTR)
			return -errno;
		rc = post_carrier_process(c);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	t->queued++;
	printf("queued id=%llu len=%zu nice=%d", (unsigned long long)*id, len,
	       nice);
	if (lifetime_ms)
		printf(" lifetime=%ums", lifetime_ms);
	if (after)
		printf(" after=%llu", (unsigned long long)*after);
	printf("\n");
	return 0;
}

/* Handle events until the carrier closes; shut it down once all ended. */
static int drive(struct post_carrier *c, struct tally *t)
{
	bool shut = false;
	struct pollfd pfd;
	int rc;

	while (!t->closed) {
		if (!shut && ended(t) == t->queued) {
			rc = post_carrier_shutdown(c);
			if (rc)
				return fail("shutdown", rc);
			shut = true;
		}
		/* events (EPOLLERR) are reported without being asked for */
		pfd = (struct pollfd){ post_carrier_fd(c),
				       post_carrier_poll_events(c), 0 };
		rc = poll(&pfd, 1, IDLE_MS);
		if (rc == 0)
			return fail("poll", -ETIMEDOUT);
		if (rc < 0 && errno != EINTR)
			return fail("poll", -errno);
		rc = post_carrier_process(c);
		if (rc)
			return fail("process", rc);
	}
	return t->err ? fail("carrier", t->err) : 0;
}

static int client(const char *host, const char *port)
{
	static const struct post_handlers handlers = {
		.sent = on_sent,
		.acked = on_acked,
		.expired = on_expired,
		.aborted = on_aborted,
		.closed = on_closed,
	};
	struct post_remote *remote;
	struct post_carrier *c;
	struct tally t = { 0 };
	uint64_t large, id;
	char text[32];
	char *data;
	int i, rc;

	rc = post_remote_resolve(&remote, host, port);
	if (rc)
		return fail(host, rc);
	rc = post_initiate(&c, remote, NULL, NULL, 0);
	post_remote_free(remote);
	if (rc)
		return fail("connect", rc);
	rc = post_carrier_on(c, &handlers, &t);
	if (rc)
		return fail("handlers", rc);

	data = malloc(LARGE_LEN);
	if (!data)
		return fail("large message", -ENOMEM);
	memset(data, 'x', LARGE_LEN);
	rc = queue(c, &t, data, LARGE_LEN, 7, 0, NULL, &large);
	free(data);		/* the kernel has its own copy */
	for (i = 1; !rc && i <= 4; i++) {
		snprintf(text, sizeof(text), "urgent %d", i);
		rc = queue(c, &t, text, strlen(text), 0, i == 4 ? 10000 : 0,
			   NULL, &id);
	}
	for (i = 1; !rc && i <= 3; i++) {
		snprintf(text, sizeof(text), "late %d", i);
		rc = queue(c, &t, text, strlen(text), 3, 1, &large, &id);
	}
	if (rc)
		return fail("send", rc);

	rc = drive(c, &t);
	post_carrier_close(c);
	printf("done: acked=%u expired=%u aborted=%u\n", t.acked, t.expired,
	       t.aborted);
	if (!rc && ended(&t) != t.queued) {
		fprintf(stderr, "deadline: %u of %u messages never ended\n",
			t.queued - ended(&t), t.queued);
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3]);
	fprintf(stderr, "usage: deadline server PORT\n"
			"       deadline client HOST PORT\n");
	return 2;
}
