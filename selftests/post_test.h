/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the AF_POST selftests: family lookup, loopback
 * listeners and carriers, patterned payloads, whole-message receive and a
 * raw TCP "peer" that speaks (or breaks) the wire format.
 */
#ifndef _POST_TEST_H
#define _POST_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/post.h>
#include "../kernel/frame.h"

static inline int post_family(void)
{
	static int family;
	FILE *f;

	if (family)
		return family;
	family = POST_FAMILY_DEFAULT;
	f = fopen(POST_FAMILY_SYSFS, "r");
	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = POST_FAMILY_DEFAULT;
		fclose(f);
	}
	return family;
}

static inline int post_socket(int flags)
{
	return socket(post_family(), SOCK_SEQPACKET | flags, 0);
}

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static inline void loopback(int af, struct addr *a, int port)
{
	memset(a, 0, sizeof(*a));
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		a->len = sizeof(*sin6);
	}
}

/* Listen on loopback port 0 with socket @fd; fill @a with the address. */
static inline int listen_any(int fd, int af, struct addr *a)
{
	loopback(af, a, 0);
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) ||
	    listen(fd, 64))
		return -1;
	a->len = sizeof(a->ss);
	return getsockname(fd, (struct sockaddr *)&a->ss, &a->len);
}

static inline int post_listener(int af, struct addr *a)
{
	int fd = post_socket(0);

	if (fd < 0 || listen_any(fd, af, a)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static inline int tcp_listener(int af, struct addr *a)
{
	int fd = socket(af, SOCK_STREAM, 0);
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || listen_any(fd, af, a)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static inline int post_connect(const struct addr *a)
{
	int fd = post_socket(0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static inline uint8_t pattern_byte(uint64_t seed, size_t i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static inline void fill(void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = pattern_byte(seed, i);
}

/* Index of the first wrong byte, or -1. */
static inline long check_fill(const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, i))
			return i;
	return -1;
}

/* One recvmsg(): returns bytes, sets *eor and *id (0 if no cmsg). */
static inline ssize_t recv_part(int fd, void *buf, size_t cap, int flags,
				int *eor, uint64_t *id)
{
	char cbuf[CMSG_SPACE(sizeof(uint64_t))];
	struct iovec iov = { buf, cap };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(fd, &m, flags);
	if (n < 0)
		return n;
	*eor = !!(m.msg_flags & MSG_EOR);
	if (id)
		*id = 0;
	for (c = CMSG_FIRSTHDR(&m); c && id; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_POST && c->cmsg_type == POST_CMSG_ID)
			memcpy(id, CMSG_DATA(c), sizeof(*id));
	return n;
}

/* Receive one whole message into buf; -1 on error, -2 if larger than cap. */
static inline ssize_t recv_whole(int fd, void *buf, size_t cap, uint64_t *id)
{
	size_t got = 0;
	int eor = 0;

	while (!eor) {
		ssize_t n;

		if (got == cap && cap)
			return -2;
		n = recv_part(fd, (char *)buf + got, cap - got, 0, &eor, id);
		if (n < 0)
			return -1;
		if (n == 0 && !eor)
			return got ? -1 : -3;	/* EOF */
		got += n;
	}
	return got;
}

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static inline int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Raw-peer helpers: write a frame (header [+ message header] + data) with a
 * single write, so a carrier that rejects the header cannot make the rest
 * of the write fail.
 */
static inline int raw_write_frame(int fd, const uint8_t *hdr, size_t hlen,
				  const void *data, uint32_t len)
{
	char *buf = malloc(hlen + len);
	int ret;

	memcpy(buf, hdr, hlen);
	if (len)
		memcpy(buf + hlen, data, len);
	ret = write_all(fd, buf, hlen + len);
	free(buf);
	return ret;
}

static inline int raw_frame(int fd, uint8_t type, uint64_t seq,
			    const void *data, uint32_t len)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];

	post_frame_encode(hdr, type, len, seq);
	return raw_write_frame(fd, hdr, sizeof(hdr), data, len);
}

/* START of wire seq @seq for message id @id (niceness 0, no lifetime). */
static inline int raw_start_id(int fd, uint64_t seq, uint64_t id,
			       uint64_t msg_len, const void *data, uint32_t len)
{
	uint8_t hdr[POST_FRAME_HDR_LEN + POST_MSG_HDR_LEN];
	struct post_msg_hdr mh = { .len = msg_len, .id = id };

	post_frame_encode(hdr, POST_FRAME_START, POST_MSG_HDR_LEN + len, seq);
	post_msg_hdr_encode(hdr + POST_FRAME_HDR_LEN, &mh);
	return raw_write_frame(fd, hdr, sizeof(hdr), data, len);
}

/* START of wire seq @seq, whose message id is the same number. */
static inline int raw_start(int fd, uint64_t seq, uint64_t msg_len,
			    const void *data, uint32_t len)
{
	return raw_start_id(fd, seq, seq, msg_len, data, len);
}

/* An ACK frame: cumulative @cum and @n later seqs. */
static inline int raw_ack(int fd, uint64_t cum, const u64 *seqs,
			  uint32_t n)
{
	uint8_t hdr[POST_FRAME_HDR_LEN], list[8 * POST_WIRE_ACK_MAX];

	post_frame_encode(hdr, POST_FRAME_ACK, 8 * n, cum);
	post_ack_encode(list, seqs, n);
	return raw_write_frame(fd, hdr, sizeof(hdr), list, 8 * n);
}

/* What a raw peer advertises unless a test says otherwise. */
static inline struct post_limits raw_limits(void)
{
	struct post_limits l = {
		.max_msg = POST_MAX_MSG_DEFAULT,
		.max_partials = POST_WIRE_MAX_PARTIALS,
		.rx_budget = 2 * POST_MAX_MSG_DEFAULT,
	};

	return l;
}

static inline int raw_preamble_limits(int fd, const struct post_limits *l)
{
	uint8_t pre[POST_PREAMBLE_LEN];

	post_preamble_encode(pre, l);
	return write_all(fd, pre, sizeof(pre));
}

static inline int raw_preamble(int fd)
{
	struct post_limits l = raw_limits();

	return raw_preamble_limits(fd, &l);
}

#endif /* _POST_TEST_H */
