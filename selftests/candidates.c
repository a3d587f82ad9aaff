// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST establishment on loopback: POST_CANDIDATES and its errno rules,
 * the race's policy options, POST_RACE, non-blocking connect, a bound
 * carrier, and SOCK_STREAM carriers talking to a plain TCP server.
 * (race.sh covers racing across impaired paths.)
 */
#include "post_test.h"
#include "kselftest_harness.h"

#include <sys/un.h>

static void cand(struct sockaddr_storage *ss, const struct addr *a)
{
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &a->ss, a->len);
}

static int set_cands(int fd, const struct sockaddr_storage *c, int n)
{
	return setsockopt(fd, SOL_POST, POST_CANDIDATES, c, n * sizeof(*c));
}

static int connect_unspec(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	return connect(fd, &sa, sizeof(sa));
}

static int race_info(int fd, struct post_race_info *ri)
{
	socklen_t len = sizeof(*ri);

	memset(ri, 0xff, sizeof(*ri));
	return getsockopt(fd, SOL_POST, POST_RACE, ri, &len);
}

static int port_of(const void *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* a loopback port nothing listens on */
static void closed_port(int af, struct addr *a)
{
	int fd = socket(af, SOCK_STREAM, 0);

	listen_any(fd, af, a);
	close(fd);
}

TEST(candidates_errno)
{
	struct sockaddr_storage c[POST_MAX_CANDIDATES + 1], back[2];
	struct sockaddr_un *un = (struct sockaddr_un *)&c[0];
	socklen_t len = sizeof(back);
	struct addr a6, a4;
	int fd = post_socket(0), i;

	ASSERT_LE(0, fd);
	loopback(AF_INET6, &a6, 7);
	loopback(AF_INET, &a4, 7);
	for (i = 0; i <= POST_MAX_CANDIDATES; i++) {
		loopback(AF_INET, &a4, 100 + i);
		cand(&c[i], &a4);
	}
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_CANDIDATES, c, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_CANDIDATES, c, 100));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_cands(fd, c, POST_MAX_CANDIDATES + 1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_cands(fd, c, POST_MAX_CANDIDATES));

	cand(&c[0], &a6);
	loopback(AF_INET, &a4, 0);	/* port 0 */
	cand(&c[1], &a4);
	ASSERT_EQ(-1, set_cands(fd, c, 2));
	ASSERT_EQ(EINVAL, errno);
	cand(&c[1], &a6);		/* a duplicate */
	ASSERT_EQ(-1, set_cands(fd, c, 2));
	ASSERT_EQ(EINVAL, errno);
	memset(un, 0, sizeof(c[0]));
	un->sun_family = AF_UNIX;
	ASSERT_EQ(-1, set_cands(fd, c, 1));
	ASSERT_EQ(EINVAL, errno);

	loopback(AF_INET, &a4, 7);
	cand(&c[0], &a6);
	cand(&c[1], &a4);
	ASSERT_EQ(0, set_cands(fd, c, 2));
	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_CANDIDATES, back, &len));
	ASSERT_EQ(2 * sizeof(back[0]), len);
	ASSERT_EQ(0, memcmp(back, c, sizeof(back)));
	close(fd);
}

TEST(connect_without_candidates)
{
	int fd = post_socket(0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(EDESTADDRREQ, errno);
	close(fd);
}

TEST(policy_options)
{
	unsigned int v;
	socklen_t len = sizeof(v);
	int fd = post_socket(0), sys = -1;
	FILE *f = fopen("/proc/sys/net/post/attempt_delay_ms", "r");

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%d", &sys));
	fclose(f);
	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_ATTEMPT_DELAY, &v, &len));
	EXPECT_EQ(sys, v);
	v = 1;		/* clamped to RFC 8305's bounds */
	ASSERT_EQ(0, setsockopt(fd, SOL_POST, POST_ATTEMPT_DELAY, &v, sizeof(v)));
	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_ATTEMPT_DELAY, &v, &len));
	EXPECT_EQ(POST_ATTEMPT_DELAY_MIN, v);
	v = 60000;
	ASSERT_EQ(0, setsockopt(fd, SOL_POST, POST_ATTEMPT_DELAY, &v, sizeof(v)));
	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_ATTEMPT_DELAY, &v, &len));
	EXPECT_EQ(POST_ATTEMPT_DELAY_MAX, v);

	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_PREFER_FAMILY, &v, &len));
	EXPECT_EQ(AF_INET6, v);
	v = AF_UNIX;
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_PREFER_FAMILY, &v, sizeof(v)));
	ASSERT_EQ(EINVAL, errno);
	v = AF_INET;
	ASSERT_EQ(0, setsockopt(fd, SOL_POST, POST_PREFER_FAMILY, &v, sizeof(v)));
	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_PREFER_FAMILY, &v, &len));
	EXPECT_EQ(AF_INET, v);
	close(fd);
}

TEST(race_info_before_connect)
{
	struct post_race_info ri;
	int fd = post_socket(0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(0, ri.nr_attempts);
	EXPECT_EQ(-1, ri.winner);
	EXPECT_EQ(0, ri.flags);
	close(fd);
}

FIXTURE(loop)
{
	int l6, l4;
	struct addr a6, a4;
	struct sockaddr_storage c[2];
};

FIXTURE_SETUP(loop)
{
	self->l6 = post_listener(AF_INET6, &self->a6);
	self->l4 = post_listener(AF_INET, &self->a4);
	ASSERT_LE(0, self->l6);
	ASSERT_LE(0, self->l4);
	cand(&self->c[0], &self->a6);
	cand(&self->c[1], &self->a4);
}

FIXTURE_TEARDOWN(loop)
{
	close(self->l6);
	close(self->l4);
}

/* IPv6 first, and it answers: IPv4 is never tried */
TEST_F(loop, preferred_family_wins)
{
	struct sockaddr_storage v4first[2] = { self->c[1], self->c[0] };
	struct post_race_info ri;
	int fd = post_socket(0), c;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_cands(fd, v4first, 2));
	ASSERT_EQ(0, connect_unspec(fd));
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(2, ri.nr_attempts);
	EXPECT_EQ(0, ri.winner);
	EXPECT_EQ(POST_RACE_DONE, ri.flags & POST_RACE_DONE);
	EXPECT_EQ(AF_INET6, ri.attempts[0].addr.ss_family);
	EXPECT_EQ(POST_ATTEMPT_WON, ri.attempts[0].state);
	EXPECT_EQ(POST_ATTEMPT_IDLE, ri.attempts[1].state);
	EXPECT_GT(250000, ri.elapsed_us);
	c = accept(self->l6, NULL, NULL);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, set_cands(fd, self->c, 2));
	ASSERT_EQ(EISCONN, errno);
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(EISCONN, errno);
	close(c);
	close(fd);
}

/* a refused attempt starts the next at once, not after the delay */
TEST_F(loop, refused_starts_next_at_once)
{
	struct post_race_info ri;
	struct addr dead;
	int fd = post_socket(0);

	ASSERT_LE(0, fd);
	closed_port(AF_INET6, &dead);
	cand(&self->c[0], &dead);
	ASSERT_EQ(0, set_cands(fd, self->c, 2));
	ASSERT_EQ(0, connect_unspec(fd));
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(1, ri.winner);
	EXPECT_EQ(POST_ATTEMPT_FAILED, ri.attempts[0].state);
	EXPECT_EQ(ECONNREFUSED, ri.attempts[0].error);
	EXPECT_EQ(POST_ATTEMPT_WON, ri.attempts[1].state);
	EXPECT_EQ(port_of(&self->c[1]), port_of(&ri.attempts[1].addr));
	EXPECT_GT(200000, ri.attempts[1].start_us);
	close(fd);
}

TEST_F(loop, all_refused)
{
	struct post_race_info ri;
	struct addr d6, d4;
	int fd = post_socket(0);

	ASSERT_LE(0, fd);
	closed_port(AF_INET6, &d6);
	closed_port(AF_INET, &d4);
	cand(&self->c[0], &d6);
	cand(&self->c[1], &d4);
	ASSERT_EQ(0, set_cands(fd, self->c, 2));
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(ECONNREFUSED, errno);
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(-1, ri.winner);
	EXPECT_EQ(ECONNREFUSED, ri.error);
	EXPECT_EQ(POST_ATTEMPT_FAILED, ri.attempts[1].state);
	/* and it may try again, to a live remote this time */
	cand(&self->c[1], &self->a4);
	ASSERT_EQ(0, set_cands(fd, &self->c[1], 1));
	ASSERT_EQ(0, connect_unspec(fd));
	close(fd);
}

TEST_F(loop, nonblocking_connect)
{
	struct post_race_info ri;
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd = post_socket(SOCK_NONBLOCK), err = -1;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_cands(fd, self->c, 2));
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(EINPROGRESS, errno);
	if (connect_unspec(fd)) {	/* it may be over already */
		ASSERT_EQ(EALREADY, errno);
		ASSERT_EQ(-1, set_cands(fd, self->c, 2));
		ASSERT_EQ(EALREADY, errno);
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	ASSERT_EQ(1, poll(&p, 1, 5000));
	ASSERT_EQ(POLLOUT, p.revents & (POLLOUT | POLLERR));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err);
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(0, ri.winner);
	close(fd);
}

TEST_F(loop, nonblocking_connect_refused)
{
	struct pollfd p;
	struct addr d6, d4;
	socklen_t len = sizeof(int);
	int fd = post_socket(SOCK_NONBLOCK), err = -1, rc;

	ASSERT_LE(0, fd);
	closed_port(AF_INET6, &d6);
	closed_port(AF_INET, &d4);
	cand(&self->c[0], &d6);
	cand(&self->c[1], &d4);
	ASSERT_EQ(0, set_cands(fd, self->c, 2));
	rc = connect_unspec(fd);
	ASSERT_EQ(-1, rc);
	if (errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		ASSERT_EQ(1, poll(&p, 1, 5000));
		ASSERT_NE(0, p.revents & POLLERR);
		ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
		EXPECT_EQ(ECONNREFUSED, err);
	} else {
		EXPECT_EQ(ECONNREFUSED, errno);
	}
	close(fd);
}

/* bind() pins one local address: one attempt, to its family */
TEST_F(loop, bound_carrier_one_attempt)
{
	struct post_race_info ri;
	struct addr local;
	int fd = post_socket(0);

	ASSERT_LE(0, fd);
	loopback(AF_INET, &local, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&local.ss, local.len));
	ASSERT_EQ(0, set_cands(fd, self->c, 2));
	ASSERT_EQ(0, connect_unspec(fd));
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(1, ri.nr_attempts);
	EXPECT_EQ(AF_INET, ri.attempts[0].addr.ss_family);
	close(fd);

	fd = post_socket(0);
	ASSERT_LE(0, fd);
	loopback(AF_INET6, &local, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&local.ss, local.len));
	ASSERT_EQ(0, set_cands(fd, &self->c[1], 1));
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(EAFNOSUPPORT, errno);
	close(fd);
}

TEST(candidates_on_listener)
{
	struct sockaddr_storage c;
	struct addr a;
	int fd = post_listener(AF_INET6, &a);

	ASSERT_LE(0, fd);
	cand(&c, &a);
	ASSERT_EQ(-1, set_cands(fd, &c, 1));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * Candidates that never answer: 192.0.2.1 and .2 (TEST-NET-1) sit behind
 * a veth whose other end has no address, with static neighbour entries:
 * their SYNs leave and vanish. (A blackhole route would not do: locally
 * sent packets to one fail at once with EINVAL.)
 */
#define SILENT_UP "ip link del pq0 2>/dev/null; " \
	"ip link add pq0 type veth peer name pq1 && " \
	"ip addr add 192.0.2.254/24 dev pq0 && " \
	"ip link set pq0 up && ip link set pq1 up && " \
	"ip neigh add 192.0.2.1 lladdr 02:00:00:00:00:01 dev pq0 && " \
	"ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:01 dev pq0"
FIXTURE(silent)
{
	struct sockaddr_storage c[2];
};

FIXTURE_SETUP(silent)
{
	struct sockaddr_in *sin;
	int i;

	ASSERT_EQ(0, system(SILENT_UP));
	for (i = 0; i < 2; i++) {
		sin = (struct sockaddr_in *)&self->c[i];
		memset(&self->c[i], 0, sizeof(self->c[i]));
		sin->sin_family = AF_INET;
		sin->sin_port = htons(80);
		sin->sin_addr.s_addr = htonl(0xc0000201 + i);
	}
}

FIXTURE_TEARDOWN(silent)
{
	system("ip link del pq0");
}

/* SYN_SENT TCP sockets to 192.0.2.0/30 in /proc/net/tcp */
static int syn_sent_to_testnet(void)
{
	char line[256];
	unsigned int addr, st;
	FILE *f = fopen("/proc/net/tcp", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%*x %x:%*x %x", &addr, &st) == 2 &&
		    (ntohl(addr) & ~3U) == 0xc0000200 && st == 2)
			n++;
	fclose(f);
	return n;
}

static void on_alarm(int sig)
{
}

TEST_F(silent, signal_interrupts_blocking_connect)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct post_race_info ri;
	int fd = post_socket(0);
	double t0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, set_cands(fd, self->c, 2));
	ualarm(300000, 0);
	t0 = now_ms();
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(EINTR, errno);
	EXPECT_LE(290, now_ms() - t0);
	/* the race goes on, as a TCP connect does */
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(0, ri.flags & POST_RACE_DONE);
	EXPECT_EQ(POST_ATTEMPT_RUNNING, ri.attempts[0].state);
	EXPECT_EQ(POST_ATTEMPT_RUNNING, ri.attempts[1].state);
	EXPECT_EQ(2, syn_sent_to_testnet());
	close(fd);	/* no attempt outlives the carrier */
	EXPECT_EQ(0, syn_sent_to_testnet());
}

TEST_F(silent, sndtimeo_bounds_blocking_connect)
{
	struct timeval tv = { .tv_usec = 300000 };
	int fd = post_socket(0);
	double t0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, set_cands(fd, self->c, 1));
	t0 = now_ms();
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(EINPROGRESS, errno);
	EXPECT_LE(290, now_ms() - t0);
	EXPECT_GT(2000, now_ms() - t0);
	ASSERT_EQ(-1, connect_unspec(fd));	/* still racing */
	ASSERT_EQ(EINPROGRESS, errno);
	close(fd);
}

TEST_F(silent, bounded_by_handshake_timeout)
{
	unsigned int ms = 600;
	struct post_race_info ri;
	int fd = post_socket(0);
	double t0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_POST, POST_HANDSHAKE_TIMEOUT, &ms,
				sizeof(ms)));
	ASSERT_EQ(0, set_cands(fd, self->c, 2));
	t0 = now_ms();
	ASSERT_EQ(-1, connect_unspec(fd));
	ASSERT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(600, now_ms() - t0);
	EXPECT_GT(1500, now_ms() - t0);
	ASSERT_EQ(0, race_info(fd, &ri));
	EXPECT_EQ(POST_ATTEMPT_FAILED, ri.attempts[1].state);
	EXPECT_EQ(ETIMEDOUT, ri.attempts[1].error);
	EXPECT_LE(240000, ri.attempts[1].start_us);	/* after the delay */
	EXPECT_EQ(0, syn_sent_to_testnet());
	close(fd);
}

/* SOCK_STREAM: raced, then TCP bytes with TCP's semantics */
FIXTURE(stream)
{
	int l6, l4, fd, peer;
	struct addr a6, a4;
};

FIXTURE_SETUP(stream)
{
	struct sockaddr_storage c[2];

	self->l6 = tcp_listener(AF_INET6, &self->a6);
	self->l4 = tcp_listener(AF_INET, &self->a4);
	ASSERT_LE(0, self->l6);
	ASSERT_LE(0, self->l4);
	cand(&c[0], &self->a4);
	cand(&c[1], &self->a6);
	self->fd = socket(post_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, set_cands(self->fd, c, 2));
	ASSERT_EQ(0, connect_unspec(self->fd));
	self->peer = accept(self->l6, NULL, NULL);	/* IPv6 won */
	ASSERT_LE(0, self->peer);
}

FIXTURE_TEARDOWN(stream)
{
	close(self->peer);
	close(self->fd);
	close(self->l6);
	close(self->l4);
}

TEST_F(stream, bytes_not_messages)
{
	char buf[16];
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	ASSERT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(-1, recv(self->fd, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(10, send(self->peer, "0123456789", 10, 0));
	ASSERT_EQ(1, poll(&p, 1, 5000));
	ASSERT_EQ(4, recv(self->fd, buf, 4, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "0123", 4));
	ASSERT_EQ(2, recv(self->fd, buf, 2, MSG_PEEK));
	ASSERT_EQ(6, recv(self->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, "456789", 6));

	ASSERT_EQ(5, send(self->fd, "hello", 5, 0));
	ASSERT_EQ(5, recv(self->peer, buf, 5, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
}

TEST_F(stream, listen_is_not_offered)
{
	int fd = socket(post_family(), SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, listen(fd, 1));
	ASSERT_EQ(EOPNOTSUPP, errno);
	close(fd);
}

TEST_F(stream, shutdown_and_eof)
{
	char buf[8];

	ASSERT_EQ(0, shutdown(self->fd, SHUT_WR));
	ASSERT_EQ(0, recv(self->peer, buf, sizeof(buf), 0));	/* FIN */
	ASSERT_EQ(-1, send(self->fd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	ASSERT_EQ(2, send(self->peer, "ok", 2, 0));
	close(self->peer);
	self->peer = -1;
	ASSERT_EQ(2, recv(self->fd, buf, sizeof(buf), MSG_WAITALL));
	ASSERT_EQ(0, recv(self->fd, buf, sizeof(buf), 0));	/* EOF */
}

TEST_F(stream, epoll_wakes_on_data)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0);
	char c;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(1, send(self->peer, "z", 1, 0));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	ASSERT_EQ(1, recv(self->fd, &c, 1, 0));
	ASSERT_EQ('z', c);
	close(ep);
}

TEST_F(stream, getpeername_is_the_winner)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);

	ASSERT_EQ(0, getpeername(self->fd, (struct sockaddr *)&sin6, &len));
	EXPECT_EQ(AF_INET6, sin6.sin6_family);
	EXPECT_EQ(port_of(&self->a6.ss), ntohs(sin6.sin6_port));
}

TEST_HARNESS_MAIN
