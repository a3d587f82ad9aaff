// SPDX-License-Identifier: GPL-2.0
/*
 * postrace: establish an AF_POST carrier by racing candidates, and show
 * the race; also the peers and baselines the race tests and benchmark use.
 *
 *   postrace [-S] [-d MS] [-f 4|6] [-t MS] [-H MS] [-e] [-n N] ADDR PORT [ADDR PORT]...
 *       connect (SOCK_SEQPACKET, or SOCK_STREAM with -S) to the candidates
 *       (an ADDR that is a name stands for all its getaddrinfo() addresses)
 *       with POST_CANDIDATES and connect(AF_UNSPEC); print the outcome and
 *       each attempt (below). -d attempt delay, -f preferred family, -t
 *       POST_HANDSHAKE_TIMEOUT, -H hold the carrier MS before closing, -e
 *       send "ping" and expect it back, -n repeat N times (one carrier
 *       after another). Exit 0 if every connect succeeded, 1 if not.
 *   postrace -l [-4] PORT
 *       plain TCP server on [::]:PORT (0.0.0.0 with -4): echo what comes,
 *       until killed.
 *   postrace -g HOST PORT [-n N]
 *       the baseline: getaddrinfo(HOST) and connect() to each address in
 *       its order, blocking, until one works (what most programs do).
 *
 * Output, one line per connect and per attempt:
 *   connect ok|ERRNO ms=ELAPSED winner=ADDR flags=done,assoc srtt_us=N
 *           kernel_ms=RACE_TIME resolve_ms=NAME_LOOKUP_TIME
 *   attempt I ADDR state=S start_ms=X ms=Y error=ERRNO
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/post.h>

static int post_family(void)
{
	int family = POST_FAMILY_DEFAULT;
	FILE *f = fopen(POST_FAMILY_SYSFS, "r");

	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = POST_FAMILY_DEFAULT;
		fclose(f);
	}
	return family;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double resolve_ms;

static const char *addr_str(const void *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = sa;
	const struct sockaddr_in *sin = sa;
	char a[INET6_ADDRSTRLEN];

	if (sin->sin_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%d", a, ntohs(sin->sin_port));
	} else if (sin->sin_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%d", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "-");
	}
	return buf;
}

static const char *err_name(int err)
{
	switch (err) {
	case 0: return "0";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNRESET: return "ECONNRESET";
	case ECONNABORTED: return "ECONNABORTED";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	default: return strerror(err);
	}
}

static const char *const states[] = {
	"idle", "running", "won", "failed", "cancelled",
};

static void print_race(int fd, int err, double ms)
{
	struct post_race_info ri;
	socklen_t len = sizeof(ri);
	char buf[64];

	if (getsockopt(fd, SOL_POST, POST_RACE, &ri, &len)) {
		perror("postrace: getsockopt(POST_RACE)");
		return;
	}
	printf("connect %s ms=%.1f winner=%s flags=%s%s srtt_us=%u kernel_ms=%.1f resolve_ms=%.1f\n",
	       err ? err_name(err) : "ok", ms,
	       ri.winner >= 0 ? addr_str(&ri.attempts[ri.winner].addr, buf,
					 sizeof(buf)) : "-",
	       ri.flags & POST_RACE_DONE ? "done" : "running",
	       ri.flags & POST_RACE_ASSOC ? ",assoc" : "",
	       ri.assoc_srtt_us, ri.elapsed_us / 1e3, resolve_ms);
	for (unsigned int i = 0; i < ri.nr_attempts; i++) {
		struct post_race_attempt *a = &ri.attempts[i];

		printf("attempt %u %s state=%s start_ms=%.1f ms=%.1f error=%s\n",
		       i, addr_str(&a->addr, buf, sizeof(buf)),
		       a->state < 5 ? states[a->state] : "?",
		       a->start_us / 1e3, a->duration_us / 1e3,
		       err_name(a->error));
	}
}

/* ADDR PORT: a literal address, or a name resolved to all its addresses */
static int parse_cand(const char *host, const char *port,
		      struct sockaddr_storage *c, int *nr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c[*nr];
	struct sockaddr_in *sin = (struct sockaddr_in *)&c[*nr];
	double t0;
	int rc;

	if (*nr > POST_MAX_CANDIDATES) {
		fprintf(stderr, "postrace: too many candidates\n");
		return -1;
	}
	memset(&c[*nr], 0, sizeof(c[0]));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(atoi(port));
		++*nr;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(atoi(port));
		++*nr;
		return 0;
	}
	t0 = now_ms();
	rc = getaddrinfo(host, port, &hints, &res);
	resolve_ms += now_ms() - t0;
	if (rc) {
		fprintf(stderr, "postrace: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && *nr < POST_MAX_CANDIDATES + 1; ai = ai->ai_next) {
		memset(&c[*nr], 0, sizeof(c[0]));
		memcpy(&c[(*nr)++], ai->ai_addr, ai->ai_addrlen);
	}
	freeaddrinfo(res);
	return 0;
}

struct opts {
	int type, delay, pref, timeout, hold, echo;
};

static int echo_check(int fd, int type)
{
	char buf[16];
	ssize_t n, got = 0;

	if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4)
		return -1;
	while (got < 4) {
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			return -1;
		got += n;
		if (type == SOCK_SEQPACKET)
			break;
	}
	return got == 4 && !memcmp(buf, "ping", 4) ? 0 : -1;
}

static int race_once(const struct opts *o, struct sockaddr_storage *c, int nr)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	int fd = socket(post_family(), o->type, 0), err = 0;
	double t0;

	if (fd < 0) {
		perror("postrace: socket");
		return 1;
	}
	if (setsockopt(fd, SOL_POST, POST_CANDIDATES, c, nr * sizeof(*c)) ||
	    (o->delay && setsockopt(fd, SOL_POST, POST_ATTEMPT_DELAY,
				    &o->delay, sizeof(o->delay))) ||
	    (o->pref && setsockopt(fd, SOL_POST, POST_PREFER_FAMILY,
				   &o->pref, sizeof(o->pref))) ||
	    (o->timeout && setsockopt(fd, SOL_POST, POST_HANDSHAKE_TIMEOUT,
				      &o->timeout, sizeof(o->timeout)))) {
		perror("postrace: setsockopt");
		close(fd);
		return 1;
	}
	t0 = now_ms();
	if (connect(fd, &sa, sizeof(sa)))
		err = errno;
	print_race(fd, err, now_ms() - t0);
	if (!err && o->echo && echo_check(fd, o->type)) {
		printf("echo failed\n");
		err = EIO;
	} else if (!err && o->echo) {
		printf("echo ok\n");
	}
	fflush(stdout);
	if (!err && o->hold)
		usleep(o->hold * 1000);
	close(fd);
	return err ? 1 : 0;
}

static int tcp_server(int v4, const char *port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(atoi(port)) };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(atoi(port)) };
	int lfd = socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM, 0), one = 1;

	signal(SIGCHLD, SIG_IGN);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((v4 ? bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) :
		  bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6))) ||
	    listen(lfd, 64)) {
		perror("postrace: tcp server");
		return 1;
	}
	printf("listening on port %s\n", port);
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		char buf[4096];
		ssize_t n;

		if (fd < 0)
			continue;
		if (fork() == 0) {
			while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
				if (send(fd, buf, n, MSG_NOSIGNAL) != n)
					break;
			_exit(0);
		}
		close(fd);
	}
}

/* The usual client: each getaddrinfo() answer in order, blocking. */
static int sequential(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	double t0 = now_ms();
	char buf[64];
	int fd = -1, rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		fprintf(stderr, "postrace: %s: %s\n", host, gai_strerror(rc));
		return 1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		printf("try %s\n", addr_str(ai->ai_addr, buf, sizeof(buf)));
		fflush(stdout);
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	printf("connect %s ms=%.1f winner=%s\n", fd < 0 ? "failed" : "ok",
	       now_ms() - t0,
	       ai ? addr_str(ai->ai_addr, buf, sizeof(buf)) : "-");
	freeaddrinfo(res);
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage c[POST_MAX_CANDIDATES + 1];
	struct opts o = { .type = SOCK_SEQPACKET };
	int opt, mode = 0, v4 = 0, n = 1, nr = 0, fails = 0;

	while ((opt = getopt(argc, argv, "Sd:f:t:H:en:lg4")) != -1) {
		switch (opt) {
		case 'S': o.type = SOCK_STREAM; break;
		case 'd': o.delay = atoi(optarg); break;
		case 'f': o.pref = atoi(optarg) == 4 ? AF_INET : AF_INET6; break;
		case 't': o.timeout = atoi(optarg); break;
		case 'H': o.hold = atoi(optarg); break;
		case 'e': o.echo = 1; break;
		case 'n': n = atoi(optarg); break;
		case 'l':
		case 'g': mode = opt; break;
		case '4': v4 = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of tools/postrace.c\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mode == 'l' && argc == 1)
		return tcp_server(v4, argv[0]);
	if (mode == 'g' && argc == 2) {
		for (int i = 0; i < n; i++)
			fails += sequential(argv[0], argv[1]);
		return !!fails;
	}
	if (mode || argc < 2 || argc % 2 || argc / 2 > POST_MAX_CANDIDATES + 1) {
		fprintf(stderr, "postrace: ADDR PORT [ADDR PORT]...\n");
		return 2;
	}
	for (int i = 0; i < argc; i += 2)
		if (parse_cand(argv[i], argv[i + 1], c, &nr))
			return 2;
	for (int i = 0; i < n; i++)
		fails += race_once(&o, c, nr);
	return !!fails;
}
