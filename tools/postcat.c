// SPDX-License-Identifier: GPL-2.0
/*
 * postcat: netcat for AF_POST carriers, on libpost.
 *
 *   postcat -l [-4|-6] [-p PORT] [-n CONNS] [-e] [-q] [-v]
 *       listen, accept CONNS carriers one after another (default 1), print
 *       each message received, echo it back with -e; a carrier ends at the
 *       peer's end of stream.
 *   postcat -c HOST [-p PORT] [-N NICE] [-L MS] [-v] [-q] [-S] [-f FILE...]
 *       connect to HOST (a name: every address of both families is a race
 *       candidate; or an address). Each line of standard input becomes one
 *       message (without its newline), or each FILE with -f; -N and -L give
 *       them a niceness and a lifetime. At the end of input the carrier is
 *       shut down; postcat prints what comes back until the peer closes.
 *       -S: a SOCK_STREAM carrier to any TCP server, bytes in both
 *       directions unchanged.
 *   postcat -c HOST [-p PORT] -s SIZE,SIZE,... [-e] [-q]
 *       send one patterned message per SIZE; with -e wait for each echo and
 *       verify it byte for byte.
 *   -v prints the race's outcome and every message's events (sent, acked,
 *   expired, aborted); -q prints nothing per message.
 * Exit status: 0, 1 on an error (the message says what), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "post.h"

static int quiet, verbose, stream_mode, nice_opt = -1;
static unsigned int lifetime_opt;
static int failed, done;

static void die(const char *what, int err)
{
	fprintf(stderr, "postcat: %s: %s\n", what, post_strerror(err));
	exit(1);
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
	}
	return buf;
}

static void print_msg(const struct post_message *m)
{
	const unsigned char *d = m->data;
	size_t i;
	int text = m->len <= 4096;

	if (quiet)
		return;
	for (i = 0; i < m->len && text; i++)
		text = isprint(d[i]) || d[i] == '\t';
	printf("recv id=%llu len=%zu nice=%u", (unsigned long long)m->id,
	       m->len, m->niceness);
	if (m->has_lifetime)
		printf(" lifetime=%ums", m->lifetime_ms);
	if (m->idempotent)
		printf(" idempotent");
	if (text && m->len)
		printf(": %.*s", (int)m->len, (const char *)d);
	printf("\n");
}

static uint8_t pattern(uint64_t seed, size_t i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static int serve(int af, const char *port, int conns, int echo)
{
	struct post_listener *l;
	struct post_local *local;
	int rc;

	rc = post_local_new(&local, af == AF_INET ? "0.0.0.0" : "::", port);
	if (rc)
		die("local address", rc);
	rc = post_listen(&l, local, NULL, 16);
	if (rc)
		die("listen", rc);
	printf("listening on port %d\n", post_listener_port(l));
	fflush(stdout);

	for (int n = 0; n < conns; n++) {
		uint64_t msgs = 0, bytes = 0;
		struct sockaddr_storage peer;
		struct post_carrier *c;
		struct post_message m;
		socklen_t pl;
		char name[64];

		rc = post_accept(l, &c);
		if (rc)
			die("accept", rc);
		if (!post_carrier_peer(c, &peer, &pl))
			printf("carrier from %s\n",
			       addr_str(&peer, name, sizeof(name)));
		while ((rc = post_receive(c, &m)) == 1) {
			msgs++;
			bytes += m.len;
			print_msg(&m);
			if (echo) {
				rc = post_send(c, m.data, m.len, NULL, NULL);
				if (rc)
					die("send", rc);
			}
			post_message_release(&m);
		}
		if (rc < 0)
			die("receive", rc);
		printf("end of stream: %llu messages, %llu bytes\n",
		       (unsigned long long)msgs, (unsigned long long)bytes);
		fflush(stdout);
		post_carrier_close(c);
	}
	post_listener_close(l);
	post_local_free(local);
	return 0;
}

static struct post_carrier *dial(const char *host, const char *port,
				 bool stream)
{
	struct post_remote *r;
	struct post_carrier *c;
	struct post_race_info race;
	struct post_policy p;
	char name[64];
	int rc;

	rc = post_remote_resolve(&r, host, port);
	if (rc) {
		fprintf(stderr, "postcat: %s port %s: %s\n", host, port,
			rc == -ENOENT ? "unknown host or service" :
			post_strerror(rc));
		exit(1);
	}
	post_policy_init(&p);
	p.stream = stream;
	p.niceness = nice_opt;
	if (stream)
		p.niceness = -1;
	rc = post_initiate(&c, r, NULL, &p, 0);
	post_remote_free(r);
	if (rc)
		die("connect", rc);
	if (verbose && !post_carrier_race(c, &race) && race.winner >= 0)
		printf("race: winner %s after %u us, %u attempts%s\n",
		       addr_str((struct sockaddr_storage *)
				&race.attempts[race.winner].addr,
				name, sizeof(name)),
		       race.elapsed_us, race.nr_attempts,
		       race.flags & POST_RACE_ASSOC ? ", association" : "");
	return c;
}

/* -s: patterned messages, each echo verified */
static int sizes_client(struct post_carrier *c, const char *sizes, int echo)
{
	char *list = strdup(sizes), *tok, *save, *buf = NULL;
	uint64_t seed = 0;
	int rc, bad = 0;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t n = strtoull(tok, NULL, 0);
		struct post_message m;
		uint64_t id;

		buf = realloc(buf, n + 1);
		if (!buf)
			die("memory", -ENOMEM);
		seed++;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(seed, i);
		rc = post_send(c, buf, n, NULL, &id);
		if (rc)
			die("send", rc);
		if (!quiet)
			printf("sent message %llu: %zu bytes\n",
			       (unsigned long long)id, n);
		if (!echo)
			continue;
		rc = post_receive(c, &m);
		if (rc != 1 || m.len != n || memcmp(buf, m.data, n)) {
			fprintf(stderr, "postcat: echo of message %llu differs\n",
				(unsigned long long)seed);
			bad = 1;
			post_message_release(&m);
			break;
		}
		if (!quiet)
			printf("echo of message %llu: %zu bytes, identical\n",
			       (unsigned long long)m.id, n);
		post_message_release(&m);
	}
	printf("%s: %llu messages\n", bad ? "FAILED" : "done",
	       (unsigned long long)seed);
	free(buf);
	free(list);
	return bad;
}

static void on_received(struct post_carrier *c, const struct post_message *m,
			void *arg)
{
	if (arg) {	/* stream: raw bytes */
		fwrite(m->data, 1, m->len, stdout);
		fflush(stdout);
		return;
	}
	print_msg(m);
}

static void on_sent(struct post_carrier *c, uint64_t id, void *arg)
{
	printf("event sent id=%llu\n", (unsigned long long)id);
}

static void on_acked(struct post_carrier *c, uint64_t id, void *arg)
{
	printf("event acked id=%llu\n", (unsigned long long)id);
}

static void on_expired(struct post_carrier *c, uint64_t id, int err,
		       void *arg)
{
	printf("event expired id=%llu%s%s\n", (unsigned long long)id,
	       err ? " error=" : "", err ? post_strerror(err) : "");
}

static void on_aborted(struct post_carrier *c, uint64_t id, int err,
		       void *arg)
{
	printf("event aborted id=%llu%s%s\n", (unsigned long long)id,
	       err ? " error=" : "", err ? post_strerror(err) : "");
	failed = 1;
}

static void on_closed(struct post_carrier *c, int err, void *arg)
{
	if (err) {
		fprintf(stderr, "postcat: carrier: %s\n", post_strerror(err));
		failed = 1;
	} else if (verbose) {
		printf("closed by peer\n");
	}
	done = 1;
}

static void send_one(struct post_carrier *c, const void *d, size_t len)
{
	struct post_msg_props p;
	struct pollfd pfd;
	uint64_t id;
	int rc;

	post_props_init(&p);
	p.niceness = nice_opt;
	p.lifetime_ms = lifetime_opt;
	/*
	 * handlers made the carrier non-blocking: wait for room (our messages
	 * have the carrier's default niceness, so POLLOUT is the right wait);
	 * a stream takes what fits and returns how much
	 */
	for (;;) {
		rc = post_send(c, d, len, stream_mode ? NULL : &p, &id);
		if (rc > 0) {
			d = (const char *)d + rc;
			len -= rc;
			if (!len)
				break;
		} else if (rc != -EAGAIN) {
			break;
		}
		pfd = (struct pollfd){ post_carrier_fd(c), POLLOUT, 0 };
		poll(&pfd, 1, -1);
		post_carrier_process(c);
	}
	if (rc < 0)
		die("send", rc);
	if (verbose && !stream_mode)
		printf("queued id=%llu len=%zu\n", (unsigned long long)id, len);
}

static void send_file(struct post_carrier *c, const char *path)
{
	FILE *f = fopen(path, "re");
	char *d = NULL;
	size_t len = 0;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		die(path, -errno);
	len = n;
	d = malloc(len ? len : 1);
	if (!d || fread(d, 1, len, f) != len)
		die(path, -EIO);
	fclose(f);
	send_one(c, d, len);
	free(d);
}

/*
 * Lines (or files, or stream bytes) out, whatever arrives printed: our own
 * poll() loop around the carrier's fd, as an application with its own event
 * loop would have it.
 */
static int pump(struct post_carrier *c, bool stream, char **files)
{
	struct post_handlers h = {
		.received = on_received,
		.closed = on_closed,
	};
	char buf[65536];
	size_t have = 0;
	int in_open = !files, rc;

	if (verbose && !stream) {
		h.sent = on_sent;
		h.acked = on_acked;
		h.expired = on_expired;
		h.aborted = on_aborted;
	}
	rc = post_carrier_on(c, &h, stream ? (void *)1 : NULL);
	if (rc)
		die("events", rc);
	for (; files && *files; files++)
		send_file(c, *files);
	if (!in_open)
		post_carrier_shutdown(c);

	while (!done) {
		struct pollfd pfd[2] = {
			{ post_carrier_fd(c), post_carrier_poll_events(c), 0 },
			{ 0, POLLIN, 0 },
		};
		ssize_t n;

		if (poll(pfd, in_open ? 2 : 1, -1) < 0 && errno != EINTR)
			die("poll", -errno);
		if (pfd[0].revents) {
			rc = post_carrier_process(c);
			if (rc)
				die("receive", rc);
		}
		if (done || !in_open || !pfd[1].revents)
			continue;
		n = read(0, buf + have, sizeof(buf) - have);
		if (n <= 0) {
			if (have)	/* a last line without its newline */
				send_one(c, buf, have);
			in_open = 0;
			post_carrier_shutdown(c);
			continue;
		}
		if (stream) {
			send_one(c, buf, n);
			continue;
		}
		have += n;
		for (;;) {
			char *nl = memchr(buf, '\n', have);
			size_t len;

			if (!nl) {
				if (have == sizeof(buf)) {	/* a long line */
					send_one(c, buf, have);
					have = 0;
				}
				break;
			}
			len = nl - buf;
			send_one(c, buf, len);
			have -= len + 1;
			memmove(buf, nl + 1, have);
		}
	}
	return failed;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: postcat -l [-4|-6] [-p PORT] [-n CONNS] [-e] [-q] [-v]\n"
		"       postcat -c HOST [-p PORT] [-N NICE] [-L MS] [-S] [-v] [-q] [-f FILE...]\n"
		"       postcat -c HOST [-p PORT] -s SIZE,... [-e] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host = NULL, *sizes = NULL, *port = "7000";
	int listen_mode = 0, af = AF_INET6, conns = 1, echo = 0, files = 0;
	int stream = 0, opt, rc;
	struct post_carrier *c;

	while ((opt = getopt(argc, argv, "l46c:p:n:s:eqvN:L:Sf")) != -1) {
		switch (opt) {
		case 'l': listen_mode = 1; break;
		case '4': af = AF_INET; break;
		case '6': af = AF_INET6; break;
		case 'c': host = optarg; break;
		case 'p': port = optarg; break;
		case 'n': conns = atoi(optarg); break;
		case 's': sizes = optarg; break;
		case 'e': echo = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'N': nice_opt = atoi(optarg); break;
		case 'L': lifetime_opt = strtoul(optarg, NULL, 0); break;
		case 'S': stream = 1; break;
		case 'f': files = 1; break;
		default: usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (listen_mode)
		return serve(af, port, conns, echo);
	if (!host || (files && optind == argc) || (stream && (sizes || files)))
		usage();
	stream_mode = stream;
	c = dial(host, port, stream);
	if (sizes)
		rc = sizes_client(c, sizes, echo);
	else
		rc = pump(c, stream, files ? argv + optind : NULL);
	post_carrier_close(c);
	return rc;
}
