// SPDX-License-Identifier: GPL-2.0
/*
 * postcat: netcat for AF_POST carriers.
 *
 *   postcat -l [-4|-6] [-p PORT] [-n CONNS] [-e] [-q]
 *       listen, accept CONNS carriers one after another (default 1), print
 *       each message received ("recv id=N len=L"), echo it back with -e;
 *       a carrier ends at the peer's end of stream.
 *   postcat -c ADDR -p PORT [-s SIZE,SIZE,...] [-e] [-q]
 *       connect, send one message per SIZE (patterned bytes), with -e wait
 *       for each echo and verify it byte for byte; exit 1 on any mismatch.
 *   -q prints nothing per message, only errors and the final summary.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/post.h>

static int quiet;

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

static uint8_t pattern(uint64_t seed, size_t i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* Receive a whole message; returns its length, 0 with *eof at EOF. */
static ssize_t recv_msg(int fd, char **buf, size_t *cap, uint64_t *id,
			int *eof)
{
	char cbuf[CMSG_SPACE(sizeof(uint64_t))];
	size_t got = 0;

	*eof = 0;
	for (;;) {
		struct iovec iov;
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		ssize_t n;

		if (got == *cap) {
			*cap = *cap ? *cap * 2 : 65536;
			*buf = realloc(*buf, *cap);
			if (!*buf)
				return -1;
		}
		iov.iov_base = *buf + got;
		iov.iov_len = *cap - got;
		n = recvmsg(fd, &m, 0);
		if (n < 0)
			return -1;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_POST &&
			    c->cmsg_type == POST_CMSG_ID)
				memcpy(id, CMSG_DATA(c), sizeof(*id));
		got += n;
		if (m.msg_flags & MSG_EOR)
			return got;
		if (!n) {
			*eof = 1;
			return 0;
		}
	}
}

static int serve(int af, int port, int conns, int echo)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	int lfd = socket(post_family(), SOCK_SEQPACKET, 0), one = 1;
	char *buf = NULL;
	size_t cap = 0;

	if (lfd < 0) {
		perror("postcat: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((af == AF_INET ? bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) :
			     bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6))) ||
	    listen(lfd, 16)) {
		perror("postcat: bind/listen");
		return 1;
	}
	printf("listening on port %d\n", port);
	fflush(stdout);

	for (int c = 0; c < conns; c++) {
		uint64_t msgs = 0, bytes = 0;
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		char name[INET6_ADDRSTRLEN] = "?";
		int fd = accept(lfd, (struct sockaddr *)&peer, &pl);

		if (fd < 0) {
			perror("postcat: accept");
			return 1;
		}
		if (peer.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr,
				  name, sizeof(name));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr,
				  name, sizeof(name));
		printf("carrier from %s\n", name);
		for (;;) {
			uint64_t id = 0;
			int eof;
			ssize_t n = recv_msg(fd, &buf, &cap, &id, &eof);

			if (n < 0) {
				perror("postcat: recv");
				return 1;
			}
			if (eof)
				break;
			msgs++;
			bytes += n;
			if (!quiet)
				printf("recv id=%llu len=%zd\n",
				       (unsigned long long)id, n);
			if (echo && send(fd, buf, n, 0) != n) {
				perror("postcat: send");
				return 1;
			}
		}
		printf("end of stream: %llu messages, %llu bytes\n",
		       (unsigned long long)msgs, (unsigned long long)bytes);
		fflush(stdout);
		close(fd);
	}
	close(lfd);
	free(buf);
	return 0;
}

static int client(const char *host, int port, const char *sizes, int echo)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char *buf = NULL, *back = NULL, *list = strdup(sizes), *tok, *save;
	size_t cap = 0;
	uint64_t seed = 0;
	int fd, bad = 0;

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "postcat: bad address %s\n", host);
		return 1;
	}
	fd = socket(post_family(), SOCK_SEQPACKET, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len)) {
		perror("postcat: connect");
		return 1;
	}
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t n = strtoull(tok, NULL, 0);
		uint64_t id = 0;
		int eof;

		buf = realloc(buf, n + 1);
		seed++;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(seed, i);
		if (send(fd, buf, n, 0) != (ssize_t)n) {
			perror("postcat: send");
			return 1;
		}
		if (!quiet)
			printf("sent message %llu: %zu bytes\n",
			       (unsigned long long)seed, n);
		if (!echo)
			continue;
		if (recv_msg(fd, &back, &cap, &id, &eof) != (ssize_t)n ||
		    memcmp(buf, back, n)) {
			fprintf(stderr, "postcat: echo of message %llu differs\n",
				(unsigned long long)seed);
			bad = 1;
			break;
		}
		if (!quiet)
			printf("echo of message %llu: %zu bytes, identical\n",
			       (unsigned long long)id, n);
	}
	printf("%s: %llu messages\n", bad ? "FAILED" : "done",
	       (unsigned long long)seed);
	close(fd);
	free(buf);
	free(back);
	free(list);
	return bad;
}

int main(int argc, char **argv)
{
	const char *host = NULL, *sizes = "0,1,1000";
	int listen_mode = 0, af = AF_INET6, port = 7000, conns = 1, echo = 0;
	int opt;

	while ((opt = getopt(argc, argv, "l46c:p:n:s:eq")) != -1) {
		switch (opt) {
		case 'l': listen_mode = 1; break;
		case '4': af = AF_INET; break;
		case '6': af = AF_INET6; break;
		case 'c': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': conns = atoi(optarg); break;
		case 's': sizes = optarg; break;
		case 'e': echo = 1; break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: postcat -l [-4|-6] [-p PORT] [-n N] [-e] [-q]\n"
				"       postcat -c ADDR [-p PORT] [-s SIZES] [-e] [-q]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (listen_mode)
		return serve(af, port, conns, echo);
	if (!host) {
		fprintf(stderr, "postcat: -l or -c ADDR\n");
		return 2;
	}
	return client(host, port, sizes, echo);
}
