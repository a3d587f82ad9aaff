// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST SOCK_SEQPACKET carriers over loopback: message boundaries and
 * content, ids, partial reads, peeking, timeouts, signals, shutdown and
 * close with data in flight, memory bounds. Runs for IPv4 and IPv6.
 */
#include "post_test.h"
#include "kselftest_harness.h"

FIXTURE(pair) {
	int lfd, cfd, sfd;
	struct addr a;
};

FIXTURE_VARIANT(pair) {
	int af;
};

FIXTURE_VARIANT_ADD(pair, ipv4) { .af = AF_INET };
FIXTURE_VARIANT_ADD(pair, ipv6) { .af = AF_INET6 };

FIXTURE_SETUP(pair)
{
	self->lfd = post_listener(variant->af, &self->a);
	ASSERT_LE(0, self->lfd) TH_LOG("listener: %s", strerror(errno));
	self->cfd = post_connect(&self->a);
	ASSERT_LE(0, self->cfd) TH_LOG("connect: %s", strerror(errno));
	self->sfd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->sfd) TH_LOG("accept: %s", strerror(errno));
}

FIXTURE_TEARDOWN(pair)
{
	close(self->cfd);
	close(self->sfd);
	close(self->lfd);
}

TEST_F(pair, roundtrip)
{
	char buf[64];
	uint64_t id;
	int eor;

	ASSERT_EQ(5, send(self->cfd, "hello", 5, 0));
	ASSERT_EQ(5, recv_part(self->sfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(1, id);
	ASSERT_EQ(0, memcmp(buf, "hello", 5));

	ASSERT_EQ(6, send(self->sfd, "world!", 6, 0));
	ASSERT_EQ(6, recv_part(self->cfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(0, memcmp(buf, "world!", 6));
}

static struct post_info carrier_info(int fd)
{
	struct post_info info = {};
	socklen_t len = sizeof(info);

	getsockopt(fd, SOL_POST, POST_INFO, &info, &len);
	return info;
}

struct sender {
	int fd;
	const size_t *sizes;
	int count;
	int err;
};

static void *send_sizes(void *arg)
{
	struct sender *s = arg;
	size_t max = 0;
	char *buf;

	for (int i = 0; i < s->count; i++)
		if (s->sizes[i] > max)
			max = s->sizes[i];
	buf = malloc(max + 1);
	for (int i = 0; i < s->count; i++) {
		fill(buf, s->sizes[i], i + 1);
		if (send(s->fd, buf, s->sizes[i], 0) != (ssize_t)s->sizes[i]) {
			s->err = errno ? errno : EIO;
			break;
		}
	}
	free(buf);
	return NULL;
}

TEST_F_TIMEOUT(pair, sizes, 300)
{
	static const size_t sizes[] = {
		0, 1, POST_CHUNK_DEFAULT - 1, POST_CHUNK_DEFAULT,
		POST_CHUNK_DEFAULT + 1, 1 << 20, 16 << 20,
	};
	struct sender s = { self->cfd, sizes, 7, 0 };
	size_t cap = (16 << 20) + 1;
	char *buf = malloc(cap);
	pthread_t th;
	uint64_t id;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pthread_create(&th, NULL, send_sizes, &s));
	for (int i = 0; i < 7; i++) {
		ssize_t n = recv_whole(self->sfd, buf, cap, &id);

		ASSERT_EQ((ssize_t)sizes[i], n) TH_LOG("message %d", i);
		ASSERT_EQ(i + 1, id);
		ASSERT_EQ(-1, check_fill(buf, n, i + 1)) TH_LOG("size %zd", n);
	}
	pthread_join(th, NULL);
	ASSERT_EQ(0, s.err);
	free(buf);
}

/*
 * Messages of every size while the receiver is slow: sendmsg() writes
 * what TCP takes straight from the caller's buffer and queues the rest
 * of a message in pieces; each arrives whole, in order, intact.
 */
TEST_F_TIMEOUT(pair, direct_writes_meet_a_full_path, 300)
{
	enum { N = 120 };
	static size_t sizes[N];
	struct sender s = { self->cfd, sizes, N, 0 };
	unsigned int seed = 5;
	int rcvbuf = 16384;
	struct post_info ci;
	size_t total = 0;
	char *buf = malloc(1 << 20);
	pthread_t th;
	uint64_t id;

	for (int i = 0; i < N; i++)
		total += sizes[i] = i % 3 ? rand_r(&seed) % 300000 :
					    4096 + rand_r(&seed) % 20000;
	ASSERT_EQ(0, setsockopt(self->sfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	ASSERT_EQ(0, pthread_create(&th, NULL, send_sizes, &s));
	for (int i = 0; i < N; i++) {
		ssize_t n;

		if (i % 10 == 0)	/* let TCP fill up: the sender waits */
			usleep(i ? 50000 : 500000);
		n = recv_whole(self->sfd, buf, 1 << 20, &id);
		ASSERT_EQ((ssize_t)sizes[i], n) TH_LOG("message %d", i);
		ASSERT_EQ(i + 1, id);
		ASSERT_EQ(-1, check_fill(buf, n, i + 1)) TH_LOG("size %zd", n);
	}
	pthread_join(th, NULL);
	ASSERT_EQ(0, s.err);
	/*
	 * some went straight into TCP, some (the rest) through pieces that
	 * TCP took by reference: every byte was copied once
	 */
	ci = carrier_info(self->cfd);
	ASSERT_LT(0, ci.tx_direct_bytes);
	ASSERT_GT(total, ci.tx_direct_bytes);
	ASSERT_EQ(total, ci.tx_direct_bytes + ci.tx_spliced_bytes);
	free(buf);
}

/* A reader waiting in recvmsg() gets whole messages straight from TCP. */
TEST_F(pair, reader_gets_messages_straight_from_tcp)
{
	char *buf = malloc(1 << 20);
	struct post_info si;
	uint64_t id;
	int i;

	for (i = 0; i < 20; i++) {
		size_t len = i % 2 ? 100000 : 64;

		fill(buf, len, i + 1);
		ASSERT_EQ((ssize_t)len, send(self->cfd, buf, len, 0));
		memset(buf, 0, len);
		ASSERT_EQ((ssize_t)len, recv_whole(self->sfd, buf, 1 << 20,
						   &id));
		ASSERT_EQ(i + 1, id);
		ASSERT_EQ(-1, check_fill(buf, len, i + 1));
	}
	si = carrier_info(self->sfd);
	ASSERT_EQ(20, si.msgs_received);
	ASSERT_LT(0, si.rx_direct_msgs);
	free(buf);
}

static void *send_many(void *arg)
{
	struct sender *s = arg;

	for (uint32_t i = 0; i < (uint32_t)s->count; i++) {
		char buf[16];
		int len = 4 + i % 12;

		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf, &i, 4);
		if (send(s->fd, buf, len, 0) != len) {
			s->err = errno;
			break;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(pair, ten_thousand_in_order, 300)
{
	struct sender s = { self->cfd, NULL, 10000, 0 };
	pthread_t th;

	ASSERT_EQ(0, pthread_create(&th, NULL, send_many, &s));
	for (uint32_t i = 0; i < 10000; i++) {
		char buf[64];
		uint64_t id;
		uint32_t v;
		int eor;
		ssize_t n = recv_part(self->sfd, buf, sizeof(buf), 0, &eor, &id);

		ASSERT_EQ(4 + i % 12, n);
		ASSERT_EQ(1, eor);
		ASSERT_EQ(i + 1, id);
		memcpy(&v, buf, 4);
		ASSERT_EQ(i, v);
	}
	pthread_join(th, NULL);
	ASSERT_EQ(0, s.err);
}

TEST_F(pair, partial_receive)
{
	char msg[1000], buf[1000];
	uint64_t id;
	int eor;

	fill(msg, sizeof(msg), 7);
	ASSERT_EQ(1000, send(self->cfd, msg, 1000, 0));
	ASSERT_EQ(3, send(self->cfd, "xyz", 3, 0));
	for (int i = 0; i < 10; i++) {
		ASSERT_EQ(100, recv_part(self->sfd, buf + i * 100, 100, 0,
					 &eor, &id));
		ASSERT_EQ(i == 9, eor);
		ASSERT_EQ(1, id);
	}
	ASSERT_EQ(-1, check_fill(buf, 1000, 7));
	/* the next message starts fresh, even into a big buffer */
	ASSERT_EQ(3, recv_part(self->sfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(2, id);
}

TEST_F(pair, peek)
{
	char buf[16];
	uint64_t id;
	int eor;

	ASSERT_EQ(3, send(self->cfd, "abc", 3, 0));
	ASSERT_EQ(2, send(self->cfd, "de", 2, 0));
	ASSERT_EQ(2, recv_part(self->sfd, buf, 2, MSG_PEEK, &eor, &id));
	ASSERT_EQ(0, eor);
	ASSERT_EQ(3, recv_part(self->sfd, buf, 16, MSG_PEEK, &eor, &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(1, recv_part(self->sfd, buf, 1, 0, &eor, &id));
	ASSERT_EQ('a', buf[0]);
	ASSERT_EQ(2, recv_part(self->sfd, buf, 16, MSG_PEEK, &eor, &id));
	ASSERT_EQ(0, memcmp(buf, "bc", 2));
	ASSERT_EQ(2, recv_part(self->sfd, buf, 16, 0, &eor, &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(0, memcmp(buf, "bc", 2));
	ASSERT_EQ(2, recv_part(self->sfd, buf, 16, 0, &eor, &id));
	ASSERT_EQ(0, memcmp(buf, "de", 2));
	ASSERT_EQ(2, id);
}

TEST_F(pair, message_ids)
{
	uint64_t next, id;
	socklen_t len = sizeof(next);
	char buf[8];
	int eor;

	ASSERT_EQ(0, getsockopt(self->cfd, SOL_POST, POST_NEXT_ID, &next, &len));
	ASSERT_EQ(1, next);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(1, send(self->cfd, "x", 1, 0));
	ASSERT_EQ(0, getsockopt(self->cfd, SOL_POST, POST_NEXT_ID, &next, &len));
	ASSERT_EQ(4, next);
	for (uint64_t i = 1; i <= 3; i++) {
		ASSERT_EQ(1, recv_part(self->sfd, buf, 8, 0, &eor, &id));
		ASSERT_EQ(i, id);
	}
}

TEST_F(pair, names)
{
	struct sockaddr_storage a, b;
	socklen_t la = sizeof(a), lb = sizeof(b);

	ASSERT_EQ(0, getsockname(self->cfd, (struct sockaddr *)&a, &la));
	ASSERT_EQ(0, getpeername(self->sfd, (struct sockaddr *)&b, &lb));
	ASSERT_EQ(la, lb);
	ASSERT_EQ(0, memcmp(&a, &b, la));
	ASSERT_EQ(variant->af, a.ss_family);

	la = sizeof(a);
	lb = sizeof(b);
	ASSERT_EQ(0, getpeername(self->cfd, (struct sockaddr *)&a, &la));
	ASSERT_EQ(0, getsockname(self->sfd, (struct sockaddr *)&b, &lb));
	ASSERT_EQ(la, lb);
	ASSERT_EQ(0, memcmp(&a, &b, la));
	ASSERT_EQ(0, memcmp(&a, &self->a.ss, la));
}

TEST_F_TIMEOUT(pair, close_with_data_in_flight, 300)
{
	size_t len = 64 << 10;
	char *buf = malloc(len);
	struct post_info info;
	socklen_t il = sizeof(info);
	uint64_t id;
	int eor, count;

	/* fill our send queue and TCP's while the peer does not read */
	ASSERT_EQ(0, fcntl(self->cfd, F_SETFL, O_NONBLOCK));
	for (count = 0; count < 10000; count++) {
		fill(buf, len - count, count);
		if (send(self->cfd, buf, len - count, 0) < 0)
			break;
	}
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, getsockopt(self->cfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_LT(0, info.tx_queued);
	ASSERT_EQ(0, close(self->cfd));
	self->cfd = post_socket(0);	/* for teardown */

	/* every message accepted before close() arrives, then the end */
	for (int i = 0; i < count; i++) {
		ASSERT_EQ((ssize_t)(len - i), recv_whole(self->sfd, buf, len, &id));
		ASSERT_EQ(-1, check_fill(buf, len - i, i));
	}
	ASSERT_EQ(0, recv_part(self->sfd, buf, len, 0, &eor, &id));
	ASSERT_EQ(0, eor);
	ASSERT_EQ(0, recv_part(self->sfd, buf, len, 0, &eor, &id));
	ASSERT_EQ(0, eor);
	free(buf);
}

TEST_F(pair, shutdown_write)
{
	char buf[16];
	uint64_t id;
	int eor;

	ASSERT_EQ(2, send(self->cfd, "hi", 2, 0));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	ASSERT_EQ(-1, send(self->cfd, "no", 2, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);

	ASSERT_EQ(2, recv_part(self->sfd, buf, 16, 0, &eor, &id));
	ASSERT_EQ(0, recv_part(self->sfd, buf, 16, 0, &eor, &id));
	ASSERT_EQ(0, eor);

	/* the other direction still works */
	ASSERT_EQ(3, send(self->sfd, "yes", 3, 0));
	ASSERT_EQ(3, recv_part(self->cfd, buf, 16, 0, &eor, &id));
	ASSERT_EQ(1, eor);
}

TEST_F(pair, sigpipe_after_shutdown)
{
	struct sigaction sa = { .sa_handler = SIG_IGN }, old;

	ASSERT_EQ(0, sigaction(SIGPIPE, &sa, &old));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	ASSERT_EQ(-1, send(self->cfd, "x", 1, 0));
	ASSERT_EQ(EPIPE, errno);
	sigaction(SIGPIPE, &old, NULL);
}

TEST_F(pair, rcvtimeo)
{
	struct timeval tv = { 0, 200000 };
	char buf[8];
	double t;

	ASSERT_EQ(0, setsockopt(self->sfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	t = now_ms();
	ASSERT_EQ(-1, recv(self->sfd, buf, sizeof(buf), 0));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_LE(150, now_ms() - t);
	ASSERT_EQ(-1, recv(self->sfd, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
}

TEST_F(pair, sndtimeo_and_sndbuf)
{
	struct timeval tv = { 0, 200000 };
	int sndbuf = 65536, n = 0;
	size_t len = 32 << 10;
	char *buf = calloc(1, len);
	struct post_info info;
	socklen_t il = sizeof(info);
	double t = 0;

	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)));
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)));
	/* the server never reads: sends must eventually time out */
	for (n = 0; n < 100000; n++) {
		t = now_ms();
		if (send(self->cfd, buf, len, 0) < 0)
			break;
	}
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_LE(150, now_ms() - t);
	ASSERT_EQ(0, getsockopt(self->cfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_GE(2 * sndbuf + len + 4096, info.tx_queued)
		TH_LOG("tx_queued %u after %d messages", info.tx_queued, n);
	free(buf);
}

TEST_F_TIMEOUT(pair, rcvbuf_bounds_receive_memory, 300)
{
	int rcvbuf = 65536, n;
	socklen_t ol = sizeof(rcvbuf);
	size_t len = 16 << 10;
	char *buf = calloc(1, len);
	struct post_info info;
	socklen_t il = sizeof(info);
	uint64_t id;

	ASSERT_EQ(0, setsockopt(self->sfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	ASSERT_EQ(0, getsockopt(self->sfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &ol));
	for (n = 0; n < 2000; n++)
		if (send(self->cfd, buf, len, MSG_DONTWAIT) < 0)
			break;
	ASSERT_EQ(EAGAIN, errno) TH_LOG("sent %d messages", n);
	usleep(300000);
	ASSERT_EQ(0, getsockopt(self->sfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_LT(0, info.rx_queued);
	/*
	 * reading stops once SO_RCVBUF is reached: one message beyond it,
	 * charged up to twice its bytes for the pages it keeps (rx.c)
	 */
	ASSERT_GE(rcvbuf + 2 * len + 4096, info.rx_queued)
		TH_LOG("rx_queued %u, rcvbuf %d", info.rx_queued, rcvbuf);

	for (int i = 0; i < n; i++)
		ASSERT_EQ((ssize_t)len, recv_whole(self->sfd, buf, len, &id));
	ASSERT_EQ(0, getsockopt(self->sfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(0, info.rx_queued);
	ASSERT_EQ(n, info.msgs_received);
	free(buf);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(pair, signal_interrupts_recv)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { 0, 100000 } };
	char buf[8];

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, &old));	/* no SA_RESTART */
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ASSERT_EQ(-1, recv(self->sfd, buf, sizeof(buf), 0));
	ASSERT_EQ(EINTR, errno);
	sigaction(SIGALRM, &old, NULL);
}

TEST_F(pair, emsgsize)
{
	unsigned int max = 1000;
	char buf[1001] = {};

	ASSERT_EQ(0, setsockopt(self->cfd, SOL_POST, POST_MAX_MSG_SIZE, &max,
				sizeof(max)));
	ASSERT_EQ(-1, send(self->cfd, buf, 1001, 0));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(1000, send(self->cfd, buf, 1000, 0));
}

TEST_F(pair, oob_unsupported)
{
	char buf[4];

	ASSERT_EQ(-1, send(self->cfd, "x", 1, MSG_OOB));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, recv(self->sfd, buf, 4, MSG_OOB));
	ASSERT_EQ(EOPNOTSUPP, errno);
}

TEST_F(pair, chunk_sizes_on_the_wire_agree)
{
	unsigned int chunk = POST_CHUNK_MIN;
	size_t len = 100000;
	char *buf = malloc(len);
	uint64_t id;

	ASSERT_EQ(0, setsockopt(self->cfd, SOL_POST, POST_CHUNK_SIZE, &chunk,
				sizeof(chunk)));
	fill(buf, len, 3);
	ASSERT_EQ((ssize_t)len, send(self->cfd, buf, len, 0));
	memset(buf, 0, len);
	ASSERT_EQ((ssize_t)len, recv_whole(self->sfd, buf, len, &id));
	ASSERT_EQ(-1, check_fill(buf, len, 3));
	free(buf);
}

TEST_HARNESS_MAIN
