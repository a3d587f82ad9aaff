// SPDX-License-Identifier: GPL-2.0
/*
 * No pattern of traffic in both directions may deadlock a pair of
 * carriers: both sides send bulk (nice 7) and small (nice 0) messages at
 * once, with small SO_SNDBUF and SO_RCVBUF, while each side also reads
 * everything the other sends. Every few seconds both directions must have
 * delivered more of each kind. (Version 1 counted its per-message ACK
 * frames against the receive buffer: reading could wait for sending.)
 *
 * POST_BIDIR_SECS (default 60) sets how long it runs.
 */
#include "post_test.h"
#include "kselftest_harness.h"

#define BULK	(256 << 10)
#define SMALL	64
#define CHECK_S	5

struct side {
	int fd;
	volatile int stop;
	volatile uint64_t got_bulk, got_small;	/* received from the peer */
	uint64_t sent;
	int err;
};

static ssize_t send_nice(int fd, const void *buf, size_t len, uint32_t nice)
{
	char cbuf[CMSG_SPACE(4)] = {};
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_POST;
	c->cmsg_type = POST_CMSG_NICENESS;
	c->cmsg_len = CMSG_LEN(4);
	memcpy(CMSG_DATA(c), &nice, 4);
	return sendmsg(fd, &m, MSG_NOSIGNAL);
}

static void *sender(void *arg)
{
	struct side *s = arg;
	char *buf = calloc(1, BULK);

	while (!s->stop) {
		size_t len = s->sent % 4 ? SMALL : BULK;

		buf[0] = len == BULK ? 'B' : 's';
		if (send_nice(s->fd, buf, len, len == BULK ? 7 : 0) !=
		    (ssize_t)len) {
			if (!s->stop)
				s->err = errno;
			break;
		}
		s->sent++;
	}
	free(buf);
	return NULL;
}

static void *reader(void *arg)
{
	struct side *s = arg;
	char *buf = malloc(BULK);
	uint64_t id;

	while (!s->stop) {
		ssize_t n = recv_whole(s->fd, buf, BULK, &id);

		if (n == BULK && buf[0] == 'B') {
			s->got_bulk++;
		} else if (n == SMALL && buf[0] == 's') {
			s->got_small++;
		} else {
			if (!s->stop)
				s->err = n < 0 ? errno : EBADMSG;
			break;
		}
	}
	free(buf);
	return NULL;
}

FIXTURE(bidir) {
	int unused;
};

FIXTURE_SETUP(bidir)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(bidir)
{
}

TEST_F_TIMEOUT(bidir, both_ways_with_small_buffers_make_progress, 400)
{
	const char *env = getenv("POST_BIDIR_SECS");
	int secs = env ? atoi(env) : 60, small = 4096, i, t;
	struct side side[2] = {};
	pthread_t th[4];
	struct addr a;
	int lfd, fds[2];

	lfd = post_listener(AF_INET, &a);
	ASSERT_LE(0, lfd);
	fds[0] = post_connect(&a);
	ASSERT_LE(0, fds[0]);
	fds[1] = accept(lfd, NULL, NULL);
	ASSERT_LE(0, fds[1]);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &small,
					sizeof(small)));
		ASSERT_EQ(0, setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small,
					sizeof(small)));
		side[i].fd = fds[i];
	}
	/* side[i] sends on fds[i]; its reader counts what fds[i] receives */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&th[i], NULL, sender, &side[i]));
		ASSERT_EQ(0, pthread_create(&th[2 + i], NULL, reader,
					    &side[i]));
	}
	for (t = 0; t < secs; t += CHECK_S) {
		uint64_t before[2][2];

		for (i = 0; i < 2; i++) {
			before[i][0] = side[i].got_bulk;
			before[i][1] = side[i].got_small;
		}
		sleep(CHECK_S);
		for (i = 0; i < 2; i++) {
			EXPECT_LT(before[i][0], side[i].got_bulk)
				TH_LOG("side %d: no bulk in %d s (at %d s)", i,
				       CHECK_S, t);
			EXPECT_LT(before[i][1], side[i].got_small)
				TH_LOG("side %d: no small in %d s (at %d s)", i,
				       CHECK_S, t);
			EXPECT_EQ(0, side[i].err);
		}
		if (_metadata->exit_code != KSFT_PASS)
			break;
	}
	TH_LOG("bulk %llu/%llu, small %llu/%llu in %d s",
	       (unsigned long long)side[0].got_bulk,
	       (unsigned long long)side[1].got_bulk,
	       (unsigned long long)side[0].got_small,
	       (unsigned long long)side[1].got_small, secs);
	for (i = 0; i < 2; i++)
		side[i].stop = 1;
	/* blocked senders and readers: shutdown wakes them (EPIPE, EOF) */
	shutdown(fds[0], SHUT_RDWR);
	shutdown(fds[1], SHUT_RDWR);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	close(fds[0]);
	close(fds[1]);
	close(lfd);
}

TEST_HARNESS_MAIN
