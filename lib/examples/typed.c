// SPDX-License-Identifier: GPL-2.0
/*
 * typed: messages as application objects, through a post_codec.
 *
 * A struct reading travels in a fixed 41-byte big-endian wire format:
 *
 *   0  version (1)   1  sensor (be32)   5  millicelsius (be32)
 *   9  label, 32 bytes, NUL-padded and NUL-terminated
 *
 * decode() refuses any other length or version, or a label without its
 * NUL, with -EBADMSG. The client sends readings with post_send_object(),
 * one malformed raw message with post_send() (version 2) in the middle,
 * then shuts the carrier down. The server, driven by a post_loop, gets
 * each reading in its received_object handler and the bad message in its
 * decode_error handler; it answers every reading with the number of
 * readings so far (a be32), and exits when the client's carrier closes.
 *
 *   typed server PORT          prints "listening on port P", then
 *                              "object sensor=S value=V label=L" per reading,
 *                              "decode error id=N: Bad message" for the bad one
 *                              and "done: objects=5 errors=1" at the end
 *   typed client HOST PORT     prints "sent object id=N sensor=S",
 *                              "sent malformed id=N" and "reply: count=C";
 *                              exit status 0 if the server counted every
 *                              reading
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "post.h"

struct reading {
	uint32_t sensor;
	int32_t millicelsius;
	char label[32];		/* NUL-terminated */
};

#define READING_VERSION	1
#define READING_LEN	(1 + 4 + 4 + 32)

static int fail(const char *what, int err)
{
	fprintf(stderr, "typed: %s: %s\n", what, post_strerror(err));
	return 1;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* -- the codec ----------------------------------------------------------- */

static ssize_t reading_encode(const void *obj, void *buf, size_t cap,
			      void *arg)
{
	const struct reading *r = obj;
	unsigned char *p = buf;

	if (cap < READING_LEN)
		return READING_LEN;	/* called again with this much room */
	p[0] = READING_VERSION;
	put_be32(p + 1, r->sensor);
	put_be32(p + 5, (uint32_t)r->millicelsius);
	memset(p + 9, 0, 32);
	memcpy(p + 9, r->label, strnlen(r->label, 31));
	return READING_LEN;
}

static int reading_decode(const void *buf, size_t len, void **obj, void *arg)
{
	const unsigned char *p = buf;
	struct reading *r;

	if (len != READING_LEN || p[0] != READING_VERSION ||
	    !memchr(p + 9, 0, 32))
		return -EBADMSG;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->sensor = get_be32(p + 1);
	r->millicelsius = (int32_t)get_be32(p + 5);
	memcpy(r->label, p + 9, 32);
	*obj = r;
	return 0;
}

static void reading_release(void *obj, void *arg)
{
	free(obj);
}

static const struct post_codec reading_codec = {
	.name = "reading",
	.encode = reading_encode,
	.decode = reading_decode,
	.release = reading_release,
};

/* -- the server ---------------------------------------------------------- */

struct server {
	struct post_loop *loop;
	struct post_carrier *carrier;	/* NULL once closed */
	uint32_t objects, errors;
	int status;
};

static void on_object(struct post_carrier *c, void *obj,
		      const struct post_message *m, void *arg)
{
	struct pollfd pfd = { .fd = post_carrier_fd(c), .events = POLLOUT };
	struct reading *r = obj;
	struct server *s = arg;
	unsigned char count[4];
	int rc;

	printf("object sensor=%u value=%d label=%s\n", r->sensor,
	       r->millicelsius, r->label);
	reading_release(r, NULL);	/* the handler owns obj */

	/* a raw reply; the carrier is non-blocking: wait if it is full */
	put_be32(count, ++s->objects);
	while ((rc = post_send(c, count, sizeof(count), NULL, NULL)) == -EAGAIN)
		poll(&pfd, 1, -1);
	if (rc)
		s->status = fail("reply", rc);
}

static void on_decode_error(struct post_carrier *c,
			    const struct post_message *m, int err, void *arg)
{
	struct server *s = arg;

	s->errors++;
	printf("decode error id=%llu: %s\n", (unsigned long long)m->id,
	       post_strerror(err));
}

static void on_closed(struct post_carrier *c, int err, void *arg)
{
	struct server *s = arg;

	if (err)
		s->status = fail("carrier", err);
	post_carrier_close(c);
	s->carrier = NULL;
	post_loop_stop(s->loop);
}

static int server(const char *port)
{
	static const struct post_handlers handlers = {
		.received_object = on_object,
		.decode_error = on_decode_error,
		.closed = on_closed,
	};
	struct server s = { 0 };
	struct post_listener *l;
	struct post_local *local;
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

	rc = post_accept(l, &s.carrier);	/* blocking: one client */
	post_listener_close(l);
	if (rc)
		return fail("accept", rc);
	rc = post_loop_new(&s.loop);
	if (!rc)
		rc = post_carrier_set_codec(s.carrier, &reading_codec);
	if (!rc)
		rc = post_carrier_on(s.carrier, &handlers, &s);
	if (!rc)
		rc = post_loop_add_carrier(s.loop, s.carrier);
	if (!rc)
		rc = post_loop_run(s.loop, -1);	/* 1: on_closed stopped it */
	post_carrier_close(s.carrier);	/* if the loop failed */
	post_loop_free(s.loop);
	if (rc < 0)
		return fail("loop", rc);
	printf("done: objects=%u errors=%u\n", s.objects, s.errors);
	return s.status;
}

/* -- the client ---------------------------------------------------------- */

static const struct reading readings[] = {
	{ 1, 21500, "kitchen" },
	{ 2, -18250, "freezer" },
	{ 3, 36600, "greenhouse" },
	{ 4, 12000, "cellar" },
	{ 5, 24750, "attic" },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_READINGS	ARRAY_SIZE(readings)

static int client(const char *host, const char *port)
{
	unsigned char bad[READING_LEN];
	struct post_remote *remote;
	struct post_carrier *c;
	struct post_message m;
	uint32_t count = 0;
	uint64_t id;
	size_t i;
	int rc;

	rc = post_remote_resolve(&remote, host, port);
	if (rc)
		return fail(host, rc);
	rc = post_initiate(&c, remote, NULL, NULL, 0);
	post_remote_free(remote);
	if (rc)
		return fail("connect", rc);
	rc = post_carrier_set_codec(c, &reading_codec);
	if (rc)
		return fail("codec", rc);

	for (i = 0; i < NR_READINGS; i++) {
		if (i == 3) {
			/* a reading with a version the server does not know */
			reading_encode(&readings[i], bad, sizeof(bad), NULL);
			bad[0] = READING_VERSION + 1;
			rc = post_send(c, bad, sizeof(bad), NULL, &id);
			if (rc)
				return fail("send", rc);
			printf("sent malformed id=%llu\n",
			       (unsigned long long)id);
		}
		rc = post_send_object(c, &readings[i], NULL, &id);
		if (rc)
			return fail("send object", rc);
		printf("sent object id=%llu sensor=%u\n",
		       (unsigned long long)id, readings[i].sensor);
	}
	rc = post_carrier_shutdown(c);
	if (rc)
		return fail("shutdown", rc);

	/* the replies are raw: post_receive() does not decode */
	while ((rc = post_receive(c, &m)) == 1) {
		if (m.len == 4) {
			count = get_be32(m.data);
			printf("reply: count=%u\n", count);
		}
		post_message_release(&m);
	}
	post_carrier_close(c);
	if (rc < 0)
		return fail("receive", rc);
	if (count != NR_READINGS) {
		fprintf(stderr, "typed: the server counted %u of %zu\n", count,
			NR_READINGS);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3]);
	fprintf(stderr, "usage: typed server PORT\n"
			"       typed client HOST PORT\n");
	return 2;
}
