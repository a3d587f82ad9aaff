// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST bad arguments and their documented errno values.
 */
#include "post_test.h"
#include "kselftest_harness.h"

#include <sys/un.h>

TEST(socket_type_and_protocol)
{
	int fd;

	ASSERT_EQ(-1, socket(post_family(), SOCK_RAW, 0));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	ASSERT_EQ(-1, socket(post_family(), SOCK_SEQPACKET, IPPROTO_UDP));
	ASSERT_EQ(EPROTONOSUPPORT, errno);
	fd = socket(post_family(), SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST(address_family_and_length)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	int fd = post_socket(0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&un, sizeof(un)));
	ASSERT_EQ(EAFNOSUPPORT, errno);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&un, sizeof(un)));
	ASSERT_EQ(EAFNOSUPPORT, errno);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin) - 1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&sin6, 20));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&sin, 1));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

TEST(socket_options)
{
	int fd = post_socket(0), v = 0;
	unsigned int u;
	socklen_t len = sizeof(u);
	uint64_t id = 5;

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, 99, &v, sizeof(v)));
	ASSERT_EQ(ENOPROTOOPT, errno);
	ASSERT_EQ(-1, getsockopt(fd, SOL_POST, 99, &u, &len));
	ASSERT_EQ(ENOPROTOOPT, errno);
	ASSERT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	ASSERT_EQ(ENOPROTOOPT, errno);
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_NEXT_ID, &id, sizeof(id)));
	ASSERT_EQ(ENOPROTOOPT, errno);

	u = POST_CHUNK_MIN - 1;
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_CHUNK_SIZE, &u, sizeof(u)));
	ASSERT_EQ(EINVAL, errno);
	u = POST_CHUNK_MAX + 1;
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_CHUNK_SIZE, &u, sizeof(u)));
	ASSERT_EQ(EINVAL, errno);
	u = 0;
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_MAX_MSG_SIZE, &u, sizeof(u)));
	ASSERT_EQ(EINVAL, errno);
	u = POST_MAX_MSG_LIMIT + 1;
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_MAX_MSG_SIZE, &u, sizeof(u)));
	ASSERT_EQ(EINVAL, errno);
	u = 4096;
	ASSERT_EQ(-1, setsockopt(fd, SOL_POST, POST_CHUNK_SIZE, &u, 2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, setsockopt(fd, SOL_POST, POST_CHUNK_SIZE, &u, sizeof(u)));
	u = 0;
	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_CHUNK_SIZE, &u, &len));
	ASSERT_EQ(4096, u);
	ASSERT_EQ(sizeof(u), len);
	len = 2;
	ASSERT_EQ(-1, getsockopt(fd, SOL_POST, POST_CHUNK_SIZE, &u, &len));
	ASSERT_EQ(EINVAL, errno);
	len = sizeof(u);
	ASSERT_EQ(0, getsockopt(fd, SOL_POST, POST_MAX_MSG_SIZE, &u, &len));
	ASSERT_EQ(POST_MAX_MSG_DEFAULT, u);
	close(fd);
}

TEST(not_connected)
{
	int fd = post_socket(0);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char buf[4];

	ASSERT_EQ(-1, send(fd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, recv(fd, buf, 4, 0));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, getpeername(fd, (struct sockaddr *)&ss, &sl));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, shutdown(fd, SHUT_WR));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, accept(fd, NULL, NULL));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

TEST(send_control_message_unknown)
{
	struct addr a;
	int lfd = post_listener(AF_INET, &a), cfd;
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { "x", 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_POST;
	c->cmsg_type = 77;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	cfd = post_connect(&a);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(-1, sendmsg(cfd, &m, 0));
	ASSERT_EQ(EINVAL, errno);
	close(cfd);
	close(lfd);
}

TEST(bind_twice_and_address_in_use)
{
	struct addr a;
	int lfd = post_listener(AF_INET, &a), fd = post_socket(0);

	ASSERT_LE(0, lfd);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&a.ss, a.len));
	ASSERT_EQ(EADDRINUSE, errno);
	loopback(AF_INET, &a, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a.ss, a.len));
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&a.ss, a.len));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
	close(lfd);
}

TEST_HARNESS_MAIN
