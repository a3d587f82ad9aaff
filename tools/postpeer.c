// SPDX-License-Identifier: GPL-2.0
/*
 * postpeer: AF_POST against its peers, the other ways Linux carries
 * messages, each carrying the same application messages.
 *
 *   postpeer server MODE PORT [-b BYTES]
 *   postpeer client MODE ADDR PORT [-W LIST] [-t SECS] [-w SECS] [-b BYTES]
 *                   [-n CONNS] [-d]
 *   postpeer probe MODE
 *
 * MODE
 *   post  AF_POST SOCK_SEQPACKET, its family number read from
 *         /sys/module/af_post/parameters/family; connect() with a plain
 *         sockaddr_in; one sendmsg() is one message, recvmsg() until
 *         MSG_EOR (a message larger than the buffer continues on the next
 *         call); no message properties (default niceness)
 *   tcp   TCP with userspace framing: a 4-byte big-endian length prefix,
 *         writev() of prefix and body, TCP_NODELAY; the receiver reads the
 *         prefix, then the body, looping on short reads
 *   sctp  SCTP SOCK_SEQPACKET (one-to-many style), SCTP_NODELAY; the client
 *         connect()s first, then sends to the server's address (on a
 *         one-to-many socket a send without an address or association id
 *         gets EPIPE, even when connected), the server answers to the
 *         address recvmsg() gave; recvmsg() until MSG_EOR (partial
 *         delivery of large messages)
 *   kcm   AF_KCM SOCK_SEQPACKET, KCMPROTO_CONNECTED, on both ends: each
 *         end's KCM socket has its TCP socket (TCP_NODELAY) attached with
 *         SIOCKCMATTACH and the parser of Documentation/networking/kcm.rst,
 *         a BPF_PROG_TYPE_SOCKET_FILTER program loaded with bpf(2) that
 *         returns the 4-byte big-endian prefix + 4. The sender writes prefix
 *         and body as one message (sendmsg() with MSG_EOR), the receiver
 *         gets both (recvmsg() until MSG_EOR) and checks the prefix.
 *         That parser reads the first bytes of the skb it is given, but
 *         strparser's message starts at strp_msg(skb)->offset, which a
 *         socket filter cannot read (6.1 keeps it beyond __sk_buff->cb): a
 *         message that starts inside an skb, after the tail of another, gets
 *         a wrong length. The receiver then sees a message whose prefix is
 *         not its length, says "misparsed boundary" and drops the connection.
 *
 * Every application message starts with its kind and a sequence number;
 * the rest is zeros. Its size is the body's: TCP and KCM add 4 bytes of
 * prefix on the wire.
 *
 * Server
 *   Listens on PORT with default buffers and on PORT + 1 with SO_SNDBUF and
 *   SO_RCVBUF of BYTES (-b, 4 MiB; SO_*BUFFORCE when allowed, the kernel
 *   doubles it) on every socket that carries data: the AF_POST, TCP or
 *   SCTP socket, and KCM's socket and its TCP socket both. One epoll loop
 *   serves every connection: an echo request is sent back whole; data
 *   messages are counted until an end message, which is answered with the
 *   count and when the first and the last data message arrived.
 *
 * Client (-W: a comma-separated list of workloads, run in that order;
 * default rr64,rr4k,rr64k,rate,bulk)
 *   rr64, rr4k, rr64k   one connection; one message of 64, 4096 or 65536
 *               bytes out, the server's echo back, one at a time; each
 *               round trip timed with CLOCK_MONOTONIC for SECS (-t, 1)
 *               after a warm-up of -w SECS (0.1). Prints
 *                 rr64 n N p50_us X p99_us Y
 *   rate        one connection; 64-byte messages one way, back to back, for
 *               SECS, then the end message (as large, for KCM's parser).
 *               The server's count (it must be all that were sent) gives
 *                 rate n N msgs_per_s (N - 1) / (last - first)
 *   bulk        one connection to PORT + 1 (buffers of -b BYTES on this end
 *               too: SCTP refuses a message larger than its SO_SNDBUF and
 *               KCM's parser one larger than its TCP socket's SO_RCVBUF);
 *               1 MiB messages one way, back to back, for SECS:
 *                 bulk n N mbps (N - 1) * 1 MiB * 8 / (last - first) / 1e6
 *   many        (post, tcp) 10 connections and 64-byte round trips over
 *               them in turn for SECS; then CONNS (-n, 1000) connections in
 *               all, one round trip on each, then round trips over all of
 *               them in turn for SECS. Kernel memory is /proc/meminfo Slab +
 *               KernelStack + PageTables + Percpu + VmallocUsed, read before
 *               the first connection and with all CONNS open and idle, each
 *               time once the slab held still for 0.2 s (within 64 kB, 3 s
 *               at most) and clean caches were dropped (-d); per connection,
 *               and so both of its ends when client and server share a
 *               kernel:
 *                 many10 n N p50_us X p99_us Y
 *                 many n N conns CONNS p50_us X p99_us Y
 *                 mem conns CONNS kernel_kb K slab_kb S connect_us C
 *               (S: the Slab part of K; C: connect() and the first round
 *               trip, each; pages outside these counters, skb data for
 *               one, are not counted: an idle connection should hold none)
 *   A workload that fails prints "error WORKLOAD: reason" and the next one
 *   runs; the exit status is then 1. Sockets time out after 3 s.
 *
 * probe MODE exits 0 if a socket of MODE can be created (module loaded).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/kcm.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/post.h>

#ifndef AF_KCM
#define AF_KCM		41
#endif
#ifndef SOL_SCTP
#define SOL_SCTP	132
#endif
#define SCTP_NODELAY	3	/* <linux/sctp.h> */
#ifndef MSG_NOTIFICATION
#define MSG_NOTIFICATION 0x8000	/* SCTP: an event, not data */
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BULK_SIZE	(1 << 20)
#define BUF_CAP		(BULK_SIZE + 64)
#define RATE_SIZE	64
#define MAX_FD		8192
#define IO_TIMEOUT	3	/* s */
#define MANY_FEW	10

enum { M_POST, M_TCP, M_SCTP, M_KCM };
static const char *const mode_names[] = { "post", "tcp", "sctp", "kcm" };
static int mode = -1;

enum { K_ECHO = 1, K_DATA, K_END, K_RESULT };

struct app_hdr {		/* the first bytes of every message */
	uint32_t kind;
	uint32_t seq;
};

struct result {			/* the server's answer to K_END */
	struct app_hdr h;
	uint64_t n, bytes, first_ns, last_ns;
};

struct conn {
	int fd;				/* messages go through this one */
	int tcp;			/* kcm: the attached TCP socket */
	struct sockaddr_storage peer;	/* sctp: where to send */
	socklen_t peerlen;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int post_family(void)
{
	FILE *f = fopen(POST_FAMILY_SYSFS, "r");
	int fam = -1;

	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = -1;
		fclose(f);
	}
	return fam;
}

static void raise_nofile(void)
{
	struct rlimit r = { MAX_FD, MAX_FD };

	if (setrlimit(RLIMIT_NOFILE, &r) && !getrlimit(RLIMIT_NOFILE, &r)) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static void set_int(int fd, int level, int name, int val)
{
	setsockopt(fd, level, name, &val, sizeof(val));
}

/* both buffers to bytes (doubled by the kernel); 0 leaves the defaults */
static void set_bufs(int fd, int bytes)
{
	if (!bytes)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		set_int(fd, SOL_SOCKET, SO_SNDBUF, bytes);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		set_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * kcm.rst's parser, load_word(skb, 0) + 4:
 *   r6 = r1 (the skb, as BPF_LD_ABS wants); r0 = ntohl(*(u32 *)data);
 *   r0 += 4; exit
 */
static int kcm_parser(void)
{
	static int prog_fd = -1;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6,
		  .src_reg = BPF_REG_1 },
		{ .code = BPF_LD | BPF_W | BPF_ABS, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = 4 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	static char log[4096];

	if (prog_fd >= 0)
		return prog_fd;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (uintptr_t)"GPL";
	prog_fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog_fd < 0) {
		int err = errno;

		attr.log_buf = (uintptr_t)log;
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		if (syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)) < 0)
			fprintf(stderr, "bpf: %s\n", log);
		errno = err;
	}
	return prog_fd;
}

/* a KCM socket of its own over the connected TCP socket c->tcp */
static int kcm_attach(struct conn *c, int bufs)
{
	struct kcm_attach at = { .fd = c->tcp };

	at.bpf_fd = kcm_parser();
	if (at.bpf_fd < 0)
		return -1;
	c->fd = socket(AF_KCM, SOCK_SEQPACKET, KCMPROTO_CONNECTED);
	if (c->fd < 0)
		return -1;
	set_bufs(c->fd, bufs);
	if (ioctl(c->fd, SIOCKCMATTACH, &at)) {
		int err = errno;

		close(c->fd);
		c->fd = -1;
		errno = err;
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->tcp >= 0)
		close(c->tcp);
	c->fd = -1;
	c->tcp = -1;
}

/* len bytes, or fewer at end of stream; -1 on error */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		got += n;
	}
	return got;
}

static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n && (size_t)w >= iov->iov_len) {
			w -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	return 0;
}

/* one message, all of it */
static int send_msg(struct conn *c, const void *buf, size_t len)
{
	uint32_t be = htonl(len);
	struct iovec iov[2] = { { &be, 4 }, { (void *)buf, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t want = len + 4;
	int flags = 0;
	ssize_t n;

	switch (mode) {
	case M_TCP:
		return writev_all(c->fd, iov, 2);
	case M_KCM:
		flags = MSG_EOR;	/* the end of this message */
		break;
	case M_SCTP:
		if (c->peerlen) {
			m.msg_name = &c->peer;
			m.msg_namelen = c->peerlen;
		}
		/* fall through */
	default:
		m.msg_iov = iov + 1;
		m.msg_iovlen = 1;
		want = len;
	}
	do {
		n = sendmsg(c->fd, &m, flags);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)want)
		return 0;
	if (n >= 0)
		errno = EIO;	/* a part of a message */
	return -1;
}

/*
 * One message into buf: its length, 0 at end of stream, -1 on error
 * (EMSGSIZE: longer than cap, EPROTO: a KCM prefix that does not match).
 */
static ssize_t recv_msg(struct conn *c, void *buf, size_t cap)
{
	size_t got = 0, pre = mode == M_KCM ? 4 : 0;
	uint32_t be;

	if (mode == M_TCP) {
		ssize_t n = read_full(c->fd, &be, 4);

		if (n <= 0)
			return n;
		if (n < 4)
			goto short_msg;
		if (ntohl(be) > cap) {
			errno = EMSGSIZE;
			return -1;
		}
		n = read_full(c->fd, buf, ntohl(be));
		if (n < 0)
			return -1;
		if (n < ntohl(be))
			goto short_msg;
		return n;
	}
	for (;;) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 1 };
		ssize_t n;

		if (got < pre) {
			iov[0].iov_base = (char *)&be + got;
			iov[0].iov_len = pre - got;
			iov[1].iov_base = buf;
			iov[1].iov_len = cap;
			m.msg_iovlen = 2;
		} else {
			if (got - pre == cap) {
				errno = EMSGSIZE;
				return -1;
			}
			iov[0].iov_base = (char *)buf + got - pre;
			iov[0].iov_len = cap - (got - pre);
		}
		if (mode == M_SCTP) {
			m.msg_name = &c->peer;
			m.msg_namelen = sizeof(c->peer);
		}
		n = recvmsg(c->fd, &m, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (mode == M_SCTP) {
			if (m.msg_flags & MSG_NOTIFICATION) {
				got = 0;	/* an event: not ours */
				continue;
			}
			c->peerlen = m.msg_namelen;
		}
		got += n;
		if (m.msg_flags & MSG_EOR)
			break;
		if (!n) {		/* end of stream */
			if (!got)
				return 0;
			goto short_msg;
		}
	}
	if (got < pre || (pre && ntohl(be) != got - pre)) {
		fprintf(stderr, "postpeer: kcm: a message of %zu bytes with prefix %u: a misparsed boundary\n",
			got, got < pre ? 0 : ntohl(be));
		errno = EPROTO;
		return -1;
	}
	return got - pre;
short_msg:
	errno = EPIPE;
	return -1;
}

static int sockaddr_of(struct sockaddr_in *a, const char *addr, int port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	if (!addr) {
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	return inet_pton(AF_INET, addr, &a->sin_addr) == 1 ? 0 : -1;
}

/* the socket a listener or a client starts from */
static int new_socket(void)
{
	int fd;

	switch (mode) {
	case M_POST:
		fd = post_family();
		if (fd < 0) {
			errno = EAFNOSUPPORT;
			return -1;
		}
		return socket(fd, SOCK_SEQPACKET, 0);
	case M_SCTP:
		fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
		if (fd >= 0)
			set_int(fd, SOL_SCTP, SCTP_NODELAY, 1);
		return fd;
	default:	/* tcp, and the TCP under kcm */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0)
			set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
		return fd;
	}
}

static int dial(struct conn *c, const char *addr, int port, int bufs)
{
	struct sockaddr_in a;
	int fd, err;

	c->fd = -1;
	c->tcp = -1;
	c->peerlen = 0;
	if (sockaddr_of(&a, addr, port)) {
		errno = EINVAL;
		return -1;
	}
	fd = new_socket();
	if (fd < 0)
		return -1;
	set_bufs(fd, bufs);
	set_timeouts(fd);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	if (mode == M_SCTP) {	/* one-to-many: every send names the peer */
		memcpy(&c->peer, &a, sizeof(a));
		c->peerlen = sizeof(a);
	}
	if (mode != M_KCM) {
		c->fd = fd;
		return 0;
	}
	c->tcp = fd;
	if (kcm_attach(c, bufs))
		goto fail;
	set_timeouts(c->fd);
	return 0;
fail:
	err = errno;
	close(fd);
	c->tcp = -1;
	errno = err;
	return -1;
}

/* Server */

enum { S_NONE, S_LISTEN, S_CONN, S_KCMTCP };

static struct {
	int type;
	int bufs;		/* the listener's buffer size */
	struct conn *c;
} slots[MAX_FD];

static char *sbuf;
static int epfd;

static void watch(int fd, int type, int bufs, struct conn *c, int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd >= MAX_FD || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
		fprintf(stderr, "postpeer: epoll_ctl fd %d failed\n", fd);
		exit(1);
	}
	slots[fd].type = type;
	slots[fd].bufs = bufs;
	slots[fd].c = c;
}

static int listen_on(int port, int bufs)
{
	struct sockaddr_in a;
	int fd = new_socket();

	sockaddr_of(&a, NULL, port);
	if (fd < 0) {
		perror("postpeer: socket");
		exit(1);
	}
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	set_bufs(fd, bufs);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
		perror("postpeer: listen");
		exit(1);
	}
	if (mode == M_SCTP) {	/* one-to-many: the listener carries data */
		struct conn *c = calloc(1, sizeof(*c));

		c->fd = fd;
		c->tcp = -1;
		watch(fd, S_LISTEN, bufs, c, EPOLLIN);
	} else {
		watch(fd, S_LISTEN, bufs, NULL, EPOLLIN);
	}
	return fd;
}

static void accept_conn(int lfd, int bufs)
{
	struct conn *c = calloc(1, sizeof(*c));
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0) {
		free(c);
		return;
	}
	c->fd = fd;
	c->tcp = -1;
	set_bufs(fd, bufs);
	if (mode == M_TCP || mode == M_KCM)
		set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (mode == M_KCM) {
		c->tcp = fd;
		if (kcm_attach(c, bufs)) {
			perror("postpeer: kcm attach");
			conn_close(c);
			free(c);
			return;
		}
		/* KCM has no end of stream: the TCP socket tells */
		watch(c->tcp, S_KCMTCP, 0, c, EPOLLRDHUP);
	}
	watch(c->fd, S_CONN, 0, c, EPOLLIN);
}

/* data messages until the end message, then the result */
static int sink(struct conn *c, ssize_t n)
{
	struct result r = { .h = { .kind = K_RESULT } };
	struct app_hdr *h = (struct app_hdr *)sbuf;

	while (h->kind == K_DATA) {
		r.last_ns = now_ns();
		if (!r.n++)
			r.first_ns = r.last_ns;
		r.bytes += n;
		n = recv_msg(c, sbuf, BUF_CAP);
		if (n < (ssize_t)sizeof(*h))
			return -1;
	}
	if (h->kind != K_END)
		return -1;
	r.h.seq = h->seq;
	return send_msg(c, &r, sizeof(r));
}

/* one request; -1 when the connection is over (a reason on stderr) */
static int serve(struct conn *c)
{
	ssize_t n = recv_msg(c, sbuf, BUF_CAP);
	struct app_hdr *h = (struct app_hdr *)sbuf;

	if (!n)
		return -1;
	if (n < (ssize_t)sizeof(*h)) {
		if (n >= 0)
			errno = EBADMSG;
		perror("postpeer: receive");
		return -1;
	}
	if (h->kind == K_ECHO ? send_msg(c, sbuf, n) : sink(c, n)) {
		if (errno != EPROTO)	/* recv_msg() said why */
			perror("postpeer: answer");
		return -1;
	}
	return 0;
}

static void drop(struct conn *c)
{
	if (c->tcp >= 0)
		slots[c->tcp].type = S_NONE;
	if (c->fd >= 0)
		slots[c->fd].type = S_NONE;
	conn_close(c);
	free(c);
}

static int server(int port, int bufs)
{
	static struct epoll_event evs[64];
	struct conn *dead[64];

	alarm(600);
	raise_nofile();
	sbuf = malloc(BUF_CAP);
	epfd = epoll_create1(0);
	if (!sbuf || epfd < 0)
		return 1;
	listen_on(port, 0);
	listen_on(port + 1, bufs);
	printf("listening %s %d %d\n", mode_names[mode], port, port + 1);
	fflush(stdout);
	for (;;) {
		int i, n = epoll_wait(epfd, evs, 64, -1), ndead = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		/* closed after the batch: a stale event never meets a new fd */
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			switch (slots[fd].type) {
			case S_LISTEN:
				if (mode == M_SCTP)
					serve(slots[fd].c);
				else
					accept_conn(fd, slots[fd].bufs);
				break;
			case S_KCMTCP:
				/* KCM posts EPIPE there when the peer closes */
				if (evs[i].events & EPOLLERR) {
					int err = 0;
					socklen_t len = sizeof(err);

					getsockopt(fd, SOL_SOCKET, SO_ERROR,
						   &err, &len);
					if (err && err != EPIPE)
						fprintf(stderr, "postpeer: kcm: TCP socket: %s\n",
							strerror(err));
				}
				slots[fd].type = S_NONE;
				dead[ndead++] = slots[fd].c;
				break;
			case S_CONN:
				if (serve(slots[fd].c)) {
					slots[fd].type = S_NONE;
					if (slots[fd].c->tcp >= 0)
						slots[slots[fd].c->tcp].type = S_NONE;
					dead[ndead++] = slots[fd].c;
				}
				break;
			}
		}
		/* a KCM connection may be dead twice in one batch */
		for (i = 0; i < ndead; i++) {
			int j, dup = 0;

			for (j = 0; j < i; j++)
				dup |= dead[j] == dead[i];
			if (!dup)
				drop(dead[i]);
		}
	}
}

/* Client */

static char *cbuf, *rbuf;
static uint32_t seq;
static int failed;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct lat {
	double *us;
	size_t n, cap;
};

static void lat_add(struct lat *l, double us)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4096;
		l->us = realloc(l->us, l->cap * sizeof(double));
		if (!l->us) {
			perror("postpeer: realloc");
			exit(1);
		}
	}
	l->us[l->n++] = us;
}

static void lat_print(const char *name, struct lat *l, const char *extra)
{
	qsort(l->us, l->n, sizeof(double), cmp_double);
	printf("%s n %zu%s p50_us %.1f p99_us %.1f\n", name, l->n, extra,
	       l->us[l->n / 2], l->us[l->n * 99 / 100]);
	fflush(stdout);
}

static int fail(const char *name, const char *what)
{
	printf("error %s: %s: %s\n", name, what, strerror(errno));
	fflush(stdout);
	failed = 1;
	return -1;
}

/* one echo round trip of size bytes on c */
static int round_trip(struct conn *c, size_t size)
{
	struct app_hdr *h = (struct app_hdr *)cbuf, *r = (struct app_hdr *)rbuf;
	ssize_t n;

	h->kind = K_ECHO;
	h->seq = ++seq;
	if (send_msg(c, cbuf, size))
		return -1;
	n = recv_msg(c, rbuf, BUF_CAP);
	if (n == (ssize_t)size && r->kind == K_ECHO && r->seq == seq)
		return 0;
	if (n >= 0)
		errno = n ? EBADMSG : EPIPE;
	return -1;
}

/* round trips over cs[0..n) in turn: warm s unmeasured, then secs */
static int rr(const char *name, struct conn *cs, int n, size_t size,
	      double warm, double secs, const char *extra)
{
	uint64_t start = now_ns() + warm * 1e9, end = start + secs * 1e9;
	struct lat l = { 0 };
	int i = 0;

	for (;;) {
		uint64_t t0 = now_ns(), t1;

		if (t0 >= end)
			break;
		if (round_trip(&cs[i++ % n], size)) {
			free(l.us);
			return fail(name, "round trip");
		}
		t1 = now_ns();
		if (t0 >= start)
			lat_add(&l, (t1 - t0) / 1e3);
	}
	if (!l.n) {
		errno = ETIMEDOUT;
		return fail(name, "no round trip measured");
	}
	lat_print(name, &l, extra);
	free(l.us);
	return 0;
}

/* size-byte messages one way for secs, then the server's count */
static int stream(const char *name, struct conn *c, size_t size, double secs)
{
	struct app_hdr *h = (struct app_hdr *)cbuf;
	struct result *r = (struct result *)rbuf;
	uint64_t end = now_ns() + secs * 1e9, sent = 0;
	double span;
	ssize_t n;

	h->kind = K_DATA;
	do {
		int i;

		for (i = 0; i < 16; i++) {	/* the clock every 16 */
			h->seq = ++seq;
			if (send_msg(c, cbuf, size))
				return fail(name, "send");
			sent++;
		}
	} while (now_ns() < end);
	/* as large as the rest: KCM's parser may take its length from them */
	h->kind = K_END;
	h->seq = ++seq;
	if (send_msg(c, cbuf, size))
		return fail(name, "send end");
	n = recv_msg(c, rbuf, BUF_CAP);
	if (n != sizeof(*r) || r->h.kind != K_RESULT || r->h.seq != seq) {
		if (n >= 0)
			errno = EBADMSG;
		return fail(name, "result");
	}
	if (r->n != sent || r->bytes != sent * size) {
		printf("error %s: sent %llu messages, %llu arrived (%llu bytes)\n",
		       name, (unsigned long long)sent,
		       (unsigned long long)r->n, (unsigned long long)r->bytes);
		failed = 1;
		return -1;
	}
	span = (r->last_ns - r->first_ns) / 1e9;
	if (r->n < 2 || span <= 0) {
		errno = ERANGE;
		return fail(name, "too few messages");
	}
	if (size == RATE_SIZE)
		printf("%s n %llu msgs_per_s %.0f\n", name,
		       (unsigned long long)r->n, (r->n - 1) / span);
	else
		printf("%s n %llu mbps %.1f\n", name, (unsigned long long)r->n,
		       (r->n - 1) * (double)size * 8 / span / 1e6);
	fflush(stdout);
	return 0;
}

/* kernel memory (see the header) and its Slab part, in kB */
static void meminfo(long *kernel, long *slab)
{
	static const char *const kern[] = { "Slab", "KernelStack",
		"PageTables", "Percpu", "VmallocUsed" };
	FILE *f = fopen("/proc/meminfo", "r");
	char name[64];
	long v;
	size_t i;

	*kernel = *slab = 0;
	if (!f)
		return;
	while (fscanf(f, "%63[^:]: %ld%*[^\n]\n", name, &v) == 2) {
		for (i = 0; i < ARRAY_SIZE(kern); i++)
			if (!strcmp(name, kern[i]))
				*kernel += v;
		if (!strcmp(name, "Slab"))
			*slab = v;
	}
	fclose(f);
}

/*
 * Let RCU and deferred frees finish (what an earlier run closed too: the
 * slab stays within 64 kB for 0.2 s, or 3 s passed), then drop clean
 * caches (-d).
 */
static void settle(int drop_caches)
{
	long k, s, last = -1;
	int i;

	for (i = 0; i < 15; i++) {
		usleep(200000);
		meminfo(&k, &s);
		if (last >= 0 && labs(s - last) < 64)
			break;
		last = s;
	}
	if (drop_caches) {
		FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

		sync();
		if (f) {
			fputs("3\n", f);
			fclose(f);
		}
		usleep(200000);
	}
}

static int many(const char *addr, int port, int nconn, double warm,
		double secs, int drop_caches)
{
	long k0, s0, k1, s1;
	struct conn *cs;
	uint64_t t0;
	char extra[32];
	int i, ret = -1;

	if (nconn < MANY_FEW)
		nconn = MANY_FEW;
	cs = calloc(nconn, sizeof(*cs));
	if (!cs)
		return fail("many", "calloc");
	for (i = 0; i < nconn; i++)
		cs[i].fd = cs[i].tcp = -1;
	settle(drop_caches);
	meminfo(&k0, &s0);
	for (i = 0; i < MANY_FEW; i++)
		if (dial(&cs[i], addr, port, 0)) {
			fail("many10", "connect");
			goto out;
		}
	if (rr("many10", cs, MANY_FEW, 64, warm, secs, ""))
		goto out;
	t0 = now_ns();
	for (; i < nconn; i++)
		if (dial(&cs[i], addr, port, 0) || round_trip(&cs[i], 64)) {
			char what[64];

			snprintf(what, sizeof(what),
				 "connection %d: connect and round trip", i);
			fail("many", what);
			goto out;
		}
	t0 = now_ns() - t0;
	settle(drop_caches);
	meminfo(&k1, &s1);
	snprintf(extra, sizeof(extra), " conns %d", nconn);
	if (rr("many", cs, nconn, 64, warm, secs, extra))
		goto out;
	printf("mem conns %d kernel_kb %.2f slab_kb %.2f connect_us %.1f\n",
	       nconn, (double)(k1 - k0) / nconn, (double)(s1 - s0) / nconn,
	       nconn > MANY_FEW ? t0 / 1e3 / (nconn - MANY_FEW) : 0);
	fflush(stdout);
	ret = 0;
out:
	for (i = 0; i < nconn; i++)
		conn_close(&cs[i]);
	free(cs);
	return ret;
}

static void on_alarm(int sig)
{
	static const char msg[] = "error all: out of time\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static int client(const char *addr, int port, int argc, char **argv)
{
	char list[256] = "rr64,rr4k,rr64k,rate,bulk", *w, *save;
	double secs = 1, warm = 0.1;
	int opt, bufs = 4 << 20, nconn = 1000, drop_caches = 0;
	struct conn c;

	while ((opt = getopt(argc, argv, "W:t:w:b:n:d")) != -1) {
		switch (opt) {
		case 'W':
			snprintf(list, sizeof(list), "%s", optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'w':
			warm = atof(optarg);
			break;
		case 'b':
			bufs = strtol(optarg, NULL, 0);
			break;
		case 'n':
			nconn = atoi(optarg);
			break;
		case 'd':
			drop_caches = 1;
			break;
		default:
			return 2;
		}
	}
	signal(SIGALRM, on_alarm);
	alarm(300);
	raise_nofile();
	cbuf = calloc(1, BUF_CAP);
	rbuf = malloc(BUF_CAP);
	if (!cbuf || !rbuf)
		return 1;
	for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		static const struct { const char *name; size_t size; } rrs[] = {
			{ "rr64", 64 }, { "rr4k", 4096 }, { "rr64k", 65536 },
		};
		size_t i;
		int done = 0;

		for (i = 0; i < ARRAY_SIZE(rrs); i++) {
			if (strcmp(w, rrs[i].name))
				continue;
			done = 1;
			if (dial(&c, addr, port, 0)) {
				fail(w, "connect");
				break;
			}
			rr(w, &c, 1, rrs[i].size, warm, secs, "");
			conn_close(&c);
		}
		if (done)
			continue;
		if (!strcmp(w, "rate") || !strcmp(w, "bulk")) {
			int bulk = !strcmp(w, "bulk");

			if (dial(&c, addr, port + bulk, bulk ? bufs : 0)) {
				fail(w, "connect");
				continue;
			}
			stream(w, &c, bulk ? BULK_SIZE : RATE_SIZE, secs);
			conn_close(&c);
		} else if (!strcmp(w, "many")) {
			many(addr, port, nconn, warm, secs, drop_caches);
		} else {
			fprintf(stderr, "postpeer: unknown workload %s\n", w);
			return 2;
		}
	}
	return failed;
}

static void set_mode(const char *m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (!strcmp(m, mode_names[i]))
			mode = i;
	if (mode < 0) {
		fprintf(stderr, "postpeer: unknown mode %s\n", m);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3 && !strcmp(argv[1], "probe")) {
		int fd;

		set_mode(argv[2]);
		fd = mode == M_KCM ?
		     socket(AF_KCM, SOCK_SEQPACKET, KCMPROTO_CONNECTED) :
		     new_socket();
		if (fd < 0 || (mode == M_KCM && kcm_parser() < 0)) {
			printf("%s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "server")) {
		int opt, bufs = 4 << 20;

		set_mode(argv[2]);
		while ((opt = getopt(argc - 3, argv + 3, "b:")) != -1) {
			if (opt != 'b')
				return 2;
			bufs = strtol(optarg, NULL, 0);
		}
		return server(atoi(argv[3]), bufs);
	}
	if (argc >= 5 && !strcmp(argv[1], "client")) {
		set_mode(argv[2]);
		return client(argv[3], atoi(argv[4]), argc - 4, argv + 4);
	}
	fprintf(stderr, "usage: postpeer server MODE PORT [-b BYTES]\n"
		"       postpeer client MODE ADDR PORT [-W LIST] [-t SECS] "
		"[-w SECS] [-b BYTES] [-n CONNS] [-d]\n"
		"       postpeer probe MODE\n"
		"MODE: post, tcp, sctp or kcm\n");
	return 2;
}
