// SPDX-License-Identifier: GPL-2.0
/*
 * libpost end to end in the guest: names resolving to both families (the
 * guest's /etc/hosts), blocking and non-blocking initiate, messages and
 * their properties, events from the error queue through handlers, codecs
 * and decode errors, an application's own poll() loop, the library's
 * epoll loop (listener, accept, echo, closed, handlers that close), and
 * error paths (unknown host, refused, bad arguments). postcat.sh covers
 * the module-not-loaded path.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "post.h"
#include "kselftest_harness.h"

/* "duo" is 127.0.0.1 and ::1; lookups use the files only */
static void write_hosts(void)
{
	FILE *f = fopen("/etc/hosts", "w");

	if (!f)
		return;
	fprintf(f, "127.0.0.1 localhost\n::1 localhost6\n"
		   "127.0.0.1 duo\n::1 duo\n");
	fclose(f);
	f = fopen("/etc/nsswitch.conf", "w");
	if (!f)
		return;
	fprintf(f, "hosts: files\n");
	fclose(f);
	f = fopen("/etc/host.conf", "w");	/* every line of a name */
	if (!f)
		return;
	fprintf(f, "multi on\n");
	fclose(f);
}

static struct post_listener *listen_any(struct __test_metadata *_metadata,
					char *port, size_t len)
{
	struct post_listener *l;
	struct post_local *local;

	ASSERT_EQ(0, post_local_new(&local, NULL, "0"));
	ASSERT_EQ(0, post_listen(&l, local, NULL, 0));
	post_local_free(local);
	ASSERT_LT(0, post_listener_port(l));
	snprintf(port, len, "%d", post_listener_port(l));
	return l;
}

static struct post_carrier *dial(struct __test_metadata *_metadata,
				 const char *host, const char *port,
				 unsigned int flags)
{
	struct post_remote *r;
	struct post_carrier *c;

	ASSERT_EQ(0, post_remote_resolve(&r, host, port));
	ASSERT_EQ(0, post_initiate(&c, r, NULL, NULL, flags));
	post_remote_free(r);
	return c;
}

TEST(resolve_both_families)
{
	struct post_remote *r;
	int v4 = 0, v6 = 0;
	const struct sockaddr *sa;
	socklen_t len;
	size_t i;

	write_hosts();
	ASSERT_EQ(0, post_remote_resolve(&r, "duo", "7501"));
	ASSERT_EQ(2, post_remote_count(r));
	for (i = 0; i < post_remote_count(r); i++) {
		sa = post_remote_addr(r, i, &len);
		ASSERT_NE(NULL, sa);
		if (sa->sa_family == AF_INET) {
			v4++;
			EXPECT_EQ(sizeof(struct sockaddr_in), len);
			EXPECT_EQ(7501, ntohs(((struct sockaddr_in *)sa)->sin_port));
		} else {
			v6++;
			EXPECT_EQ(AF_INET6, sa->sa_family);
			EXPECT_EQ(7501,
				  ntohs(((struct sockaddr_in6 *)sa)->sin6_port));
		}
	}
	EXPECT_EQ(1, v4);
	EXPECT_EQ(1, v6);
	EXPECT_EQ(NULL, post_remote_addr(r, 2, &len));
	post_remote_free(r);
}

TEST(argument_errors)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(1) };
	struct sockaddr_un_like { sa_family_t f; char p[20]; } un = { .f = AF_UNIX };
	struct post_carrier *c = NULL;
	struct post_local *local;
	struct post_remote *r;
	int i;

	write_hosts();
	EXPECT_EQ(-ENOENT, post_remote_resolve(&r, "no-such-host.invalid", "80"));
	EXPECT_EQ(-ENOENT, post_remote_resolve(&r, "duo", "no-such-service"));
	EXPECT_EQ(-EINVAL, post_remote_resolve(NULL, "duo", "80"));

	ASSERT_EQ(0, post_remote_new(&r));
	EXPECT_EQ(-EDESTADDRREQ, post_initiate(&c, r, NULL, NULL, 0));
	EXPECT_EQ(-EINVAL, post_initiate(&c, r, NULL, NULL, 0x100));
	EXPECT_EQ(-EAFNOSUPPORT,
		  post_remote_add(r, (struct sockaddr *)&un, sizeof(un)));
	EXPECT_EQ(-EINVAL, post_remote_add(r, (struct sockaddr *)&sin, 4));
	sin.sin_port = 0;
	EXPECT_EQ(-EINVAL,
		  post_remote_add(r, (struct sockaddr *)&sin, sizeof(sin)));
	for (i = 0; i < (int)POST_MAX_CANDIDATES; i++) {
		sin.sin_port = htons(1000 + i);
		EXPECT_EQ(0, post_remote_add(r, (struct sockaddr *)&sin,
					     sizeof(sin)));
	}
	EXPECT_EQ(-EEXIST,
		  post_remote_add(r, (struct sockaddr *)&sin, sizeof(sin)));
	sin.sin_port = htons(999);
	EXPECT_EQ(-ENOSPC,
		  post_remote_add(r, (struct sockaddr *)&sin, sizeof(sin)));
	post_remote_free(r);

	EXPECT_EQ(-EINVAL, post_local_new(&local, "not-an-address", "1"));
	EXPECT_EQ(-ENOENT, post_local_new(&local, NULL, "no-such-service"));
	EXPECT_EQ(-EINVAL, post_local_new(&local, NULL, "70000"));
	EXPECT_EQ(NULL, c);

	/* loaded: the plain errno text, not the module message */
	EXPECT_EQ(NULL, strstr(post_strerror(-EAFNOSUPPORT), "not loaded"));
	EXPECT_LT(0, post_family());
}

TEST(refused)
{
	struct post_carrier *c;
	struct post_remote *r;

	ASSERT_EQ(0, post_remote_resolve(&r, "127.0.0.1", "1"));
	EXPECT_EQ(-ECONNREFUSED, post_initiate(&c, r, NULL, NULL, 0));
	post_remote_free(r);
}

/* a name to both families, blocking calls, properties on the far side */
TEST(messages_and_properties)
{
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_race_info race;
	struct post_msg_props p;
	struct post_message m;
	char port[8], *big;
	uint64_t id;
	int i;

	write_hosts();
	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "duo", port, 0);
	ASSERT_EQ(0, post_carrier_race(c, &race));
	EXPECT_EQ(2, race.nr_attempts);
	EXPECT_LE(0, race.winner);
	EXPECT_EQ(0, post_carrier_connecting(c));
	ASSERT_EQ(0, post_accept(l, &s));

	post_props_init(&p);
	p.niceness = 1;
	p.lifetime_ms = 60000;
	p.idempotent = true;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, post_send(c, "hello", 5, i ? &p : NULL, &id));
		EXPECT_EQ(i + 1, id);
	}
	big = malloc(1 << 20);
	ASSERT_NE(NULL, big);
	for (i = 0; i < 1 << 20; i++)
		big[i] = i * 7 + (i >> 11);
	ASSERT_EQ(0, post_send(c, big, 1 << 20, NULL, &id));
	EXPECT_EQ(4, id);
	ASSERT_EQ(0, post_carrier_shutdown(c));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, post_receive(s, &m));
		EXPECT_EQ(i + 1, m.id);
		EXPECT_EQ(5, m.len);
		EXPECT_EQ(0, memcmp(m.data, "hello", 5));
		EXPECT_EQ(i ? 1 : POST_NICE_DEFAULT, m.niceness);
		EXPECT_EQ(!!i, m.has_lifetime);
		EXPECT_EQ(!!i, m.idempotent);
		if (i) {
			EXPECT_GE(60000, m.lifetime_ms);
			EXPECT_LT(50000, m.lifetime_ms);
		}
		post_message_release(&m);
		EXPECT_EQ(NULL, m.data);
	}
	ASSERT_EQ(1, post_receive(s, &m));
	EXPECT_EQ(1 << 20, m.len);
	EXPECT_EQ(0, memcmp(m.data, big, 1 << 20));
	post_message_release(&m);
	EXPECT_EQ(0, post_receive(s, &m));	/* end of stream */

	p.niceness = 8;
	EXPECT_EQ(-EINVAL, post_send(s, "x", 1, &p, NULL));
	post_props_init(&p);
	id = 99;
	p.antecedents = &id;
	p.nr_antecedents = 1;
	EXPECT_EQ(-EINVAL, post_send(s, "x", 1, &p, NULL));	/* never sent */
	p.nr_antecedents = POST_MAX_ANTECEDENTS + 1;
	EXPECT_EQ(-EINVAL, post_send(s, "x", 1, &p, NULL));
	free(big);
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

struct evlog {
	int n;
	struct { uint64_t id; int type; int err; } ev[32];
	int closed, closed_err, ready, received;
	struct post_race_info race;
};

static void log_ev(void *arg, uint64_t id, int type, int err)
{
	struct evlog *e = arg;

	if (e->n < 32)
		e->ev[e->n++] = (typeof(e->ev[0])){ id, type, err };
}

static void on_sent(struct post_carrier *c, uint64_t id, void *arg)
{
	log_ev(arg, id, POST_EV_SENT, 0);
}

static void on_acked(struct post_carrier *c, uint64_t id, void *arg)
{
	log_ev(arg, id, POST_EV_ACKED, 0);
}

static void on_expired(struct post_carrier *c, uint64_t id, int err,
		       void *arg)
{
	log_ev(arg, id, POST_EV_EXPIRED, err);
}

static void on_aborted(struct post_carrier *c, uint64_t id, int err,
		       void *arg)
{
	log_ev(arg, id, POST_EV_ABORTED, err);
}

static void on_closed(struct post_carrier *c, int err, void *arg)
{
	struct evlog *e = arg;

	e->closed++;
	e->closed_err = err;
}

static void on_ready(struct post_carrier *c, const struct post_race_info *r,
		     void *arg)
{
	struct evlog *e = arg;

	e->ready++;
	e->race = *r;
}

static const struct post_handlers ev_handlers = {
	.sent = on_sent, .acked = on_acked, .expired = on_expired,
	.aborted = on_aborted, .closed = on_closed, .ready = on_ready,
};

static int count(struct evlog *e, uint64_t id, int type, int *err)
{
	int i, n = 0;

	for (i = 0; i < e->n; i++)
		if (e->ev[i].id == id && e->ev[i].type == type) {
			n++;
			if (err)
				*err = e->ev[i].err;
		}
	return n;
}

/* drive c until pred holds or about 5 s pass */
#define DRIVE(c, pred) do {						\
	int __t;							\
	for (__t = 0; __t < 500 && !(pred); __t++) {			\
		struct pollfd __p = { post_carrier_fd(c),		\
				      post_carrier_poll_events(c), 0 };	\
		poll(&__p, 1, 10);					\
		ASSERT_EQ(0, post_carrier_process(c));			\
	}								\
} while (0)

/*
 * Each message ends in exactly one terminal event: A acked; B (after an
 * unread A, 50 ms lifetime) expired; C (after unread D) aborted; D acked.
 */
TEST(events_through_handlers)
{
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_msg_props p;
	struct post_message m;
	struct evlog e = {};
	uint64_t a, b, cc, d, ante;
	char port[8];
	int err = 1;

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, 0);
	ASSERT_EQ(0, post_accept(l, &s));
	ASSERT_EQ(0, post_carrier_on(c, &ev_handlers, &e));

	post_props_init(&p);
	ASSERT_EQ(0, post_send(c, "A", 1, NULL, &a));
	ante = a;
	p.antecedents = &ante;
	p.nr_antecedents = 1;
	p.lifetime_ms = 50;
	ASSERT_EQ(0, post_send(c, "B", 1, &p, &b));
	DRIVE(c, count(&e, b, POST_EV_EXPIRED, &err));
	EXPECT_EQ(1, count(&e, b, POST_EV_EXPIRED, &err));
	EXPECT_EQ(0, err);
	EXPECT_EQ(0, count(&e, b, POST_EV_SENT, NULL));

	ASSERT_EQ(1, post_receive(s, &m));	/* the peer reads A */
	EXPECT_EQ(a, m.id);
	post_message_release(&m);
	DRIVE(c, count(&e, a, POST_EV_ACKED, NULL));
	EXPECT_EQ(1, count(&e, a, POST_EV_SENT, NULL));
	EXPECT_EQ(1, count(&e, a, POST_EV_ACKED, NULL));

	ASSERT_EQ(0, post_send(c, "D", 1, NULL, &d));
	ante = d;
	p.lifetime_ms = 0;
	ASSERT_EQ(0, post_send(c, "C", 1, &p, &cc));
	EXPECT_EQ(0, post_abort(c, cc));
	EXPECT_EQ(-EALREADY, post_abort(c, cc));
	EXPECT_EQ(-EINVAL, post_abort(c, 1000));
	DRIVE(c, count(&e, cc, POST_EV_ABORTED, NULL));
	EXPECT_EQ(1, count(&e, cc, POST_EV_ABORTED, &err));
	EXPECT_EQ(0, err);
	ASSERT_EQ(1, post_receive(s, &m));
	EXPECT_EQ(d, m.id);
	post_message_release(&m);
	DRIVE(c, count(&e, d, POST_EV_ACKED, NULL));
	EXPECT_EQ(1, count(&e, d, POST_EV_ACKED, NULL));

	/* exactly one terminal event each, and the peer got A and D only */
	EXPECT_EQ(1, count(&e, a, POST_EV_ACKED, NULL) +
		     count(&e, a, POST_EV_EXPIRED, NULL) +
		     count(&e, a, POST_EV_ABORTED, NULL));
	EXPECT_EQ(0, count(&e, b, POST_EV_ACKED, NULL) +
		     count(&e, b, POST_EV_ABORTED, NULL));
	EXPECT_EQ(0, count(&e, cc, POST_EV_ACKED, NULL) +
		     count(&e, cc, POST_EV_EXPIRED, NULL));
	ASSERT_EQ(0, post_carrier_shutdown(c));
	EXPECT_EQ(0, post_receive(s, &m));
	post_carrier_close(s);	/* the peer ends: closed(0) */
	DRIVE(c, e.closed);
	EXPECT_EQ(1, e.closed);
	EXPECT_EQ(0, e.closed_err);
	EXPECT_EQ(-EBADFD, post_send(c, "x", 1, NULL, NULL));
	post_carrier_close(c);
	post_listener_close(l);
}

/* a fixed big-endian record: version 1, u32 value, then a label */
struct rec {
	uint32_t value;
	char label[16];
};

static ssize_t rec_encode(const void *obj, void *buf, size_t cap, void *arg)
{
	const struct rec *r = obj;
	size_t n = 5 + strlen(r->label);
	unsigned char *b = buf;
	uint32_t v = htonl(r->value);

	if (n > cap)
		return n;
	b[0] = 1;
	memcpy(b + 1, &v, 4);
	memcpy(b + 5, r->label, n - 5);
	return n;
}

static int rec_decode(const void *buf, size_t len, void **obj, void *arg)
{
	const unsigned char *b = buf;
	struct rec *r;
	uint32_t v;

	if (len < 5 || len > 5 + 15 || b[0] != 1)
		return -EBADMSG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(&v, b + 1, 4);
	r->value = ntohl(v);
	memcpy(r->label, b + 5, len - 5);
	*obj = r;
	return 0;
}

static void rec_release(void *obj, void *arg)
{
	free(obj);
}

static const struct post_codec rec_codec = {
	.name = "rec", .encode = rec_encode, .decode = rec_decode,
	.release = rec_release,
};

TEST(codec_blocking)
{
	struct rec r1 = { 42, "forty-two" }, *got;
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_message m;
	uint64_t bad, id;
	char port[8];
	void *obj;

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, 0);
	ASSERT_EQ(0, post_accept(l, &s));
	EXPECT_EQ(-ENOPROTOOPT, post_send_object(c, &r1, NULL, NULL));
	ASSERT_EQ(0, post_carrier_set_codec(c, &rec_codec));
	ASSERT_EQ(0, post_carrier_set_codec(s, &rec_codec));

	ASSERT_EQ(0, post_send_object(c, &r1, NULL, &id));
	ASSERT_EQ(0, post_send(c, "\x02garbage", 8, NULL, &bad));
	r1.value = 7;
	ASSERT_EQ(0, post_send_object(c, &r1, NULL, NULL));

	ASSERT_EQ(1, post_receive_object(s, &obj, &m));
	got = obj;
	EXPECT_EQ(id, m.id);
	EXPECT_EQ(42, got->value);
	EXPECT_STREQ("forty-two", got->label);
	free(got);
	EXPECT_EQ(-EBADMSG, post_receive_object(s, &obj, &m));
	EXPECT_EQ(bad, m.id);
	ASSERT_EQ(1, post_receive_object(s, &obj, &m));	/* then the next */
	EXPECT_EQ(7, ((struct rec *)obj)->value);
	free(obj);
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

/* The library's loop: a listener, an echo server, a client, codecs. */
struct echo {
	struct post_loop *loop;
	struct post_carrier *client, *served;
	int echoes, objects, decode_errors, server_closed, accepted;
	uint64_t bad_id;
	struct evlog ev;
};

static void srv_received(struct post_carrier *c, const struct post_message *m,
			 void *arg)
{
	post_send(c, m->data, m->len, NULL, NULL);
}

static void srv_closed(struct post_carrier *c, int err, void *arg)
{
	struct echo *e = arg;

	e->server_closed++;
	post_carrier_close(c);	/* inside its own handler */
	post_loop_stop(e->loop);
}

static void accepted(struct post_listener *l, struct post_carrier *c,
		     void *arg)
{
	struct post_handlers h = { .received = srv_received,
				   .closed = srv_closed };
	struct echo *e = arg;

	e->accepted++;
	e->served = c;
	if (post_carrier_on(c, &h, e) || post_loop_add_carrier(e->loop, c))
		post_carrier_close(c);
}

static void cli_object(struct post_carrier *c, void *obj,
		       const struct post_message *m, void *arg)
{
	struct echo *e = arg;

	e->objects += ((struct rec *)obj)->value;
	free(obj);
	if (++e->echoes == 4)
		post_loop_stop(e->loop);
}

static void cli_decode_error(struct post_carrier *c,
			     const struct post_message *m, int err, void *arg)
{
	struct echo *e = arg;

	e->decode_errors++;
	e->bad_id = m->id;
	if (err != -EBADMSG || m->len != 3)
		e->decode_errors += 100;
	if (++e->echoes == 4)
		post_loop_stop(e->loop);
}

static void cli_ready(struct post_carrier *c, const struct post_race_info *r,
		      void *arg)
{
	struct echo *e = arg;
	struct rec one = { 1, "a" };
	uint64_t id;
	int i;

	e->ev.ready++;
	e->ev.race = *r;
	for (i = 0; i < 3; i++) {
		one.value = 1 << i;
		post_send_object(c, &one, NULL, NULL);
	}
	post_send(c, "bad", 3, NULL, &id);	/* echoed, cannot be decoded */
}

TEST(library_loop)
{
	struct post_handlers h = {
		.received_object = cli_object,
		.decode_error = cli_decode_error,
		.ready = cli_ready,
		.closed = on_closed,
	};
	struct post_listener *l;
	struct echo e = {};
	char port[8];

	write_hosts();
	ASSERT_EQ(0, post_loop_new(&e.loop));
	EXPECT_EQ(0, post_loop_run(e.loop, 1000));	/* empty: returns */
	l = listen_any(_metadata, port, sizeof(port));
	EXPECT_EQ(-EINVAL, post_loop_add_listener(e.loop, l));	/* no handler */
	ASSERT_EQ(0, post_listener_on(l, accepted, &e));
	ASSERT_EQ(0, post_loop_add_listener(e.loop, l));
	EXPECT_EQ(-EEXIST, post_loop_add_listener(e.loop, l));
	EXPECT_EQ(-ETIMEDOUT, post_loop_run(e.loop, 100));

	e.client = dial(_metadata, "duo", port, POST_NONBLOCK);
	EXPECT_EQ(1, post_carrier_connecting(e.client));
	ASSERT_EQ(0, post_carrier_set_codec(e.client, &rec_codec));
	ASSERT_EQ(0, post_carrier_on(e.client, &h, &e));
	ASSERT_EQ(0, post_loop_add_carrier(e.loop, e.client));
	EXPECT_EQ(1, post_loop_run(e.loop, 10000));	/* stopped */
	EXPECT_EQ(1, e.accepted);
	EXPECT_EQ(1, e.ev.ready);
	EXPECT_LE(0, e.ev.race.winner);
	EXPECT_EQ(POST_RACE_DONE, e.ev.race.flags & POST_RACE_DONE);
	EXPECT_EQ(4, e.echoes);
	EXPECT_EQ(7, e.objects);	/* 1 + 2 + 4 */
	EXPECT_EQ(1, e.decode_errors);
	EXPECT_LT(0, e.bad_id);

	/* the client goes: the server sees closed(0) and closes itself */
	post_carrier_close(e.client);
	EXPECT_EQ(1, post_loop_run(e.loop, 10000));
	EXPECT_EQ(1, e.server_closed);
	EXPECT_EQ(0, e.ev.closed);	/* closed by us: no handler call */
	post_listener_close(l);		/* leaves the loop: it is empty */
	EXPECT_EQ(0, post_loop_run(e.loop, 1000));
	post_loop_free(e.loop);
}

/* An application's own loop: fd, poll events, process. */
TEST(own_loop_nonblocking_initiate)
{
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_message m;
	struct evlog e = {};
	char port[8];

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, POST_NONBLOCK);
	ASSERT_EQ(0, post_carrier_on(c, &ev_handlers, &e));
	EXPECT_EQ(-ENOTCONN, post_send(c, "x", 1, NULL, NULL));
	EXPECT_EQ(EPOLLOUT, post_carrier_poll_events(c) & EPOLLOUT);
	DRIVE(c, e.ready);
	EXPECT_EQ(1, e.ready);
	EXPECT_EQ(0, post_carrier_connecting(c));
	EXPECT_EQ(1, e.race.nr_attempts);
	EXPECT_EQ(0, e.race.winner);
	EXPECT_EQ(EPOLLIN, post_carrier_poll_events(c) & (EPOLLIN | EPOLLOUT));
	ASSERT_EQ(0, post_accept(l, &s));
	ASSERT_EQ(0, post_send(c, "ping", 4, NULL, NULL));
	ASSERT_EQ(1, post_receive(s, &m));
	post_message_release(&m);
	DRIVE(c, count(&e, 1, POST_EV_ACKED, NULL));
	EXPECT_EQ(1, count(&e, 1, POST_EV_ACKED, NULL));
	/* nothing to read, nothing blocks */
	EXPECT_EQ(-EAGAIN, post_receive(c, &m));
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

TEST(nonblocking_refused_reports_closed)
{
	struct post_carrier *c;
	struct evlog e = {};

	c = dial(_metadata, "127.0.0.1", "1", POST_NONBLOCK);
	ASSERT_EQ(0, post_carrier_on(c, &ev_handlers, &e));
	DRIVE(c, e.closed);
	EXPECT_EQ(1, e.closed);
	EXPECT_EQ(-ECONNREFUSED, e.closed_err);
	EXPECT_EQ(0, e.ready);
	EXPECT_EQ(-EBADFD, post_carrier_connecting(c));
	post_carrier_close(c);
}

/* A handler that processes its carrier again keeps its own message. */
struct nested {
	int depth, calls, bad;
};

static void nested_received(struct post_carrier *c,
			    const struct post_message *m, void *arg)
{
	struct nested *n = arg;
	char want = m->len == 5 ? 'a' : 'b';
	size_t i;

	n->calls++;
	if (!n->depth++)
		post_carrier_process(c);	/* delivers the next one */
	n->depth--;
	for (i = 0; i < m->len; i++)
		if (((char *)m->data)[i] != want)
			n->bad++;
}

TEST(nested_process_keeps_message)
{
	struct post_handlers h = { .received = nested_received };
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct nested n = {};
	char port[8], big[20000];

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, 0);
	ASSERT_EQ(0, post_accept(l, &s));
	memset(big, 'b', sizeof(big));
	ASSERT_EQ(0, post_send(s, "aaaaa", 5, NULL, NULL));
	ASSERT_EQ(0, post_send(s, big, sizeof(big), NULL, NULL));
	ASSERT_EQ(0, post_carrier_on(c, &h, &n));
	DRIVE(c, n.calls == 2);
	EXPECT_EQ(2, n.calls);
	EXPECT_EQ(0, n.bad);
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

/* A reset is the carrier's error for every later call and for closed. */
TEST(reset_is_latched)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_message m;
	struct evlog e = {};
	char port[8];
	int rc;

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, 0);
	ASSERT_EQ(0, post_accept(l, &s));
	ASSERT_EQ(0, setsockopt(post_carrier_fd(s), SOL_SOCKET, SO_LINGER,
				&lg, sizeof(lg)));
	post_carrier_close(s);	/* a reset */
	usleep(200000);
	rc = post_send(c, "x", 1, NULL, NULL);	/* takes the error */
	EXPECT_EQ(-ECONNRESET, rc);
	EXPECT_EQ(-ECONNRESET, post_send(c, "x", 1, NULL, NULL));
	EXPECT_EQ(-ECONNRESET, post_receive(c, &m));
	ASSERT_EQ(0, post_carrier_on(c, &ev_handlers, &e));
	DRIVE(c, e.closed);
	EXPECT_EQ(1, e.closed);
	EXPECT_EQ(-ECONNRESET, e.closed_err);
	post_carrier_close(c);
	post_listener_close(l);
}

/* The peer is done sending: this side still answers, then closes. */
static void eos_answer(struct post_carrier *c, void *arg)
{
	struct evlog *e = arg;

	e->received++;
	post_send(c, "late answer", 11, NULL, NULL);
	post_carrier_shutdown(c);
}

TEST(end_of_stream_then_answer)
{
	struct post_handlers h = { .end_of_stream = eos_answer,
				   .closed = on_closed };
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_message m;
	struct evlog e = {};
	char port[8];

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, 0);
	ASSERT_EQ(0, post_accept(l, &s));
	ASSERT_EQ(0, post_carrier_on(s, &h, &e));
	ASSERT_EQ(0, post_carrier_shutdown(c));	/* the client is done */
	DRIVE(s, e.closed);
	EXPECT_EQ(1, e.received);
	EXPECT_EQ(1, e.closed);
	EXPECT_EQ(0, e.closed_err);
	ASSERT_EQ(1, post_receive(c, &m));
	EXPECT_EQ(11, m.len);
	EXPECT_EQ(0, memcmp(m.data, "late answer", 11));
	post_message_release(&m);
	EXPECT_EQ(0, post_receive(c, &m));
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

static void count_received(struct post_carrier *c,
			   const struct post_message *m, void *arg)
{
	((struct evlog *)arg)->received++;
}

TEST(loop_run_zero_handles_what_is_ready)
{
	struct post_handlers h = { .received = count_received };
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_loop *loop;
	struct evlog e = {};
	char port[8];

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, 0);
	ASSERT_EQ(0, post_accept(l, &s));
	ASSERT_EQ(0, post_loop_new(&loop));
	ASSERT_EQ(0, post_carrier_on(c, &h, &e));
	ASSERT_EQ(0, post_loop_add_carrier(loop, c));
	EXPECT_EQ(-EEXIST, post_loop_add_carrier(loop, c));
	EXPECT_EQ(-EINVAL, post_carrier_set_nonblock(c, false));
	ASSERT_EQ(0, post_send(s, "m", 1, NULL, NULL));
	usleep(200000);
	EXPECT_EQ(-ETIMEDOUT, post_loop_run(loop, 0));
	EXPECT_EQ(1, e.received);
	EXPECT_EQ(0, post_loop_del_carrier(loop, c));
	EXPECT_EQ(-ENOENT, post_loop_del_carrier(loop, c));
	post_loop_free(loop);
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

static void on_writable(struct post_carrier *c, void *arg)
{
	((struct evlog *)arg)->ready++;
}

/* -EAGAIN, then the writable handler from an application's own loop. */
TEST(writable_after_eagain)
{
	struct post_handlers h = { .writable = on_writable };
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_msg_props p;
	struct post_message m;
	struct post_policy pol;
	struct evlog e = {};
	static char buf[64 << 10];
	struct post_remote *r;
	char port[8];
	int i, rc = 0;

	l = listen_any(_metadata, port, sizeof(port));
	post_policy_init(&pol);
	pol.sndbuf = 64 << 10;
	ASSERT_EQ(0, post_remote_resolve(&r, "127.0.0.1", port));
	ASSERT_EQ(0, post_initiate(&c, r, NULL, &pol, 0));
	post_remote_free(r);
	ASSERT_EQ(0, post_accept(l, &s));
	ASSERT_EQ(0, post_carrier_on(c, &h, &e));
	EXPECT_EQ(0, post_carrier_poll_events(c) & (EPOLLOUT | EPOLLWRBAND));

	/* nice 7 until there is no room for it: then EPOLLWRBAND is wanted */
	post_props_init(&p);
	p.niceness = 7;
	for (i = 0; i < 10000 && !rc; i++)
		rc = post_send(c, buf, sizeof(buf), &p, NULL);
	ASSERT_EQ(-EAGAIN, rc);
	EXPECT_EQ(EPOLLWRBAND, post_carrier_poll_events(c) &
			       (EPOLLOUT | EPOLLWRBAND));
	EXPECT_EQ(0, e.ready);
	for (i = 0; i < 4; i++) {	/* the peer reads: room again */
		ASSERT_EQ(1, post_receive(s, &m));
		post_message_release(&m);
	}
	DRIVE(c, e.ready);
	EXPECT_EQ(1, e.ready);
	EXPECT_EQ(0, post_carrier_poll_events(c) & (EPOLLOUT | EPOLLWRBAND));
	EXPECT_EQ(0, post_send(c, buf, 1, &p, NULL));
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

/* Sized structs and reserved members: never initialised, or from the future. */
TEST(abi_guards)
{
	struct post_handlers h = { .reserved = { (void *)1 } };
	struct post_msg_props p = { .lifetime_ms = 100 };	/* no init */
	struct { struct post_msg_props p; uint32_t more; } future;
	struct post_policy pol = { .stream = true };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9),
				 .sin_zero = { 1 } };
	struct post_carrier *c, *s;
	struct post_listener *l;
	struct post_remote *r;
	char port[8];

	ASSERT_EQ(0, post_remote_new(&r));
	ASSERT_EQ(0, post_remote_add(r, (struct sockaddr *)&a, sizeof(a)));
	a.sin_zero[0] = 2;	/* not part of a candidate */
	EXPECT_EQ(-EEXIST, post_remote_add(r, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(-EINVAL, post_initiate(&c, r, NULL, &pol, 0));
	post_remote_free(r);

	l = listen_any(_metadata, port, sizeof(port));
	c = dial(_metadata, "127.0.0.1", port, 0);
	ASSERT_EQ(0, post_accept(l, &s));
	EXPECT_EQ(-EINVAL, post_send(c, "x", 1, &p, NULL));
	memset(&future, 0, sizeof(future));	/* padding too */
	post_props_init(&future.p);
	future.p.size = sizeof(future);
	future.more = 1;
	EXPECT_EQ(-E2BIG, post_send(c, "x", 1, &future.p, NULL));
	future.more = 0;
	EXPECT_EQ(0, post_send(c, "x", 1, &future.p, NULL));
	EXPECT_EQ(-EINVAL, post_carrier_on(c, &h, NULL));
	post_carrier_close(s);
	post_carrier_close(c);
	post_listener_close(l);
}

TEST_HARNESS_MAIN
