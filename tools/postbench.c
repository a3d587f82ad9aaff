// SPDX-License-Identifier: GPL-2.0
/*
 * postbench: head-of-line latency and bulk throughput, AF_POST against
 * TCP baselines carrying the same messages.
 *
 *   postbench server MODE PORT
 *   postbench client MODE ADDR PORT [-t SECS] [-r RATE] [-b] [-B SIZE]
 *
 * MODE
 *   post   one AF_POST carrier: bulk messages nice 7, small ones nice 0
 *   fifo   one TCP connection, userspace length-prefix framing (writev of
 *          header and body), one FIFO: a message is written whole
 *   chunk  one TCP connection, userspace 16 KiB chunk interleaving by
 *          priority, TCP_NOTSENT_LOWAT 16 KiB (as HTTP/2 servers do)
 *   two    two TCP connections, one per priority, length-prefix framing
 *
 * Client
 *   -t SECS   how long to send (10)
 *   -r RATE   small 64-byte messages per second, a Poisson process (0)
 *   -b        bulk messages of 1..64 MiB (powers of two, at random)
 *   -B SIZE   bulk messages of SIZE bytes back to back (throughput)
 *
 * Each message starts with its scheduled send time (CLOCK_MONOTONIC, both
 * ends in one machine): a small message's latency is measured from when
 * it was due, not from when a blocked sender got to it (no coordinated
 * omission). The server prints, once the client is done:
 *   small N p50_ms X p99_ms Y bulk_bytes B bulk_mbps M
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/post.h>

#define SMALL		64
#define CHUNK		16384
#define MAX_BULK	(64 << 20)
#define KIND_SMALL	0
#define KIND_BULK	1

struct app_hdr {		/* the first bytes of every message */
	uint64_t due_ns;
	uint32_t kind;
	uint32_t pad;
};

struct tcp_hdr {		/* fifo and two: length prefix */
	uint32_t len;
	uint32_t kind;
};

struct chunk_hdr {		/* chunk: one frame */
	uint32_t len;
	uint32_t id;
	uint8_t kind;
	uint8_t last;
	uint16_t pad;
};

static int mode_post, mode_fifo, mode_chunk, mode_two;
static volatile int stop;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int post_family(void)
{
	FILE *f = fopen(POST_FAMILY_SYSFS, "r");
	int fam = POST_FAMILY_DEFAULT;

	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = POST_FAMILY_DEFAULT;
		fclose(f);
	}
	return fam;
}

static void set_mode(const char *m)
{
	mode_post = !strcmp(m, "post");
	mode_fifo = !strcmp(m, "fifo");
	mode_chunk = !strcmp(m, "chunk");
	mode_two = !strcmp(m, "two");
	if (!mode_post && !mode_fifo && !mode_chunk && !mode_two) {
		fprintf(stderr, "postbench: unknown mode %s\n", m);
		exit(2);
	}
}

static int read_all(int fd, void *buf, size_t len)
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

static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n) {
		ssize_t w = writev(fd, iov, n);

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

/* Server */

struct stats {
	pthread_mutex_t lock;
	double *lat_ms;
	size_t n, cap;
	uint64_t bulk_bytes, first_ns, last_ns;
};

static struct stats st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void got_message(const void *buf, size_t len)
{
	struct app_hdr h;
	uint64_t t = now_ns();

	if (len < sizeof(h))
		return;
	memcpy(&h, buf, sizeof(h));
	pthread_mutex_lock(&st.lock);
	if (h.kind == KIND_SMALL) {
		if (st.n == st.cap) {
			st.cap = st.cap ? 2 * st.cap : 4096;
			st.lat_ms = realloc(st.lat_ms, st.cap * sizeof(double));
		}
		st.lat_ms[st.n++] = (t - h.due_ns) / 1e6;
	}
	pthread_mutex_unlock(&st.lock);
}

static void got_bulk_bytes(size_t n)
{
	uint64_t t = now_ns();

	pthread_mutex_lock(&st.lock);
	if (!st.first_ns)
		st.first_ns = t;
	st.last_ns = t;
	st.bulk_bytes += n;
	pthread_mutex_unlock(&st.lock);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_stats(void)
{
	double p50 = 0, p99 = 0, secs;

	if (st.n) {
		qsort(st.lat_ms, st.n, sizeof(double), cmp_double);
		p50 = st.lat_ms[st.n / 2];
		p99 = st.lat_ms[(size_t)(st.n * 0.99)];
	}
	secs = (st.last_ns - st.first_ns) / 1e9;
	printf("small %zu p50_ms %.2f p99_ms %.2f bulk_bytes %llu bulk_mbps %.2f\n",
	       st.n, p50, p99, (unsigned long long)st.bulk_bytes,
	       secs > 0 ? st.bulk_bytes * 8 / secs / 1e6 : 0);
	fflush(stdout);
}

static void serve_post(int fd)
{
	char *buf = malloc(MAX_BULK);

	for (;;) {
		struct iovec iov = { buf, MAX_BULK };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &m, 0);
		struct app_hdr h;

		if (n < 0 || (n == 0 && !(m.msg_flags & MSG_EOR)))
			break;
		memcpy(&h, buf, sizeof(h));
		if (h.kind == KIND_BULK)
			got_bulk_bytes(n);
		else
			got_message(buf, n);
	}
	free(buf);
}

/* fifo and two: length-prefixed messages on one TCP connection */
static void *serve_tcp(void *arg)
{
	int fd = (intptr_t)arg;
	char *buf = malloc(MAX_BULK);
	struct tcp_hdr h;

	while (!read_all(fd, &h, sizeof(h))) {
		if (h.len > MAX_BULK || read_all(fd, buf, h.len))
			break;
		if (h.kind == KIND_BULK)
			got_bulk_bytes(h.len);
		else
			got_message(buf, h.len);
	}
	free(buf);
	return NULL;
}

static void serve_chunk(int fd)
{
	char *buf = malloc(CHUNK);
	struct chunk_hdr h;

	while (!read_all(fd, &h, sizeof(h))) {
		if (h.len > CHUNK || read_all(fd, buf, h.len))
			break;
		if (h.kind == KIND_BULK)
			got_bulk_bytes(h.len);
		else if (h.last)	/* small messages are one chunk */
			got_message(buf, h.len);
	}
	free(buf);
}

static int tcp_listen(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8))
		die("tcp listen");
	return fd;
}

static void on_alarm(int sig)
{
	printf("# timed out\n");
	print_stats();
	_exit(1);
}

static int server(int port)
{
	int lfd, fd, fd2;

	signal(SIGALRM, on_alarm);
	alarm(120);

	if (mode_post) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_port = htons(port) };
		unsigned int max = MAX_BULK;

		lfd = socket(post_family(), SOCK_SEQPACKET, 0);
		if (lfd < 0 || setsockopt(lfd, SOL_POST, POST_MAX_MSG_SIZE,
					  &max, sizeof(max)) ||
		    bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
		    listen(lfd, 8))
			die("post listen");
	} else {
		lfd = tcp_listen(port);
	}
	printf("listening\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	if (mode_post) {
		serve_post(fd);
	} else if (mode_chunk) {
		serve_chunk(fd);
	} else if (mode_fifo) {
		serve_tcp((void *)(intptr_t)fd);
	} else {
		pthread_t th;

		fd2 = accept(lfd, NULL, NULL);
		if (fd2 < 0)
			die("accept");
		pthread_create(&th, NULL, serve_tcp, (void *)(intptr_t)fd2);
		serve_tcp((void *)(intptr_t)fd);
		pthread_join(th, NULL);
	}
	print_stats();
	return 0;
}

/* Client */

static int fd_small, fd_bulk;
/*
 * fifo: one writer thread sends whole messages in the order they came;
 * producers never block on it, so arrivals stay open loop.
 */
#define FIFO_RING	65536
static struct { struct app_hdr h; size_t len; } f_ring[FIFO_RING];
static unsigned int f_head, f_tail;
static int f_done;
static size_t bulk_size;	/* 0: random 1..64 MiB */
static char *bulk_buf;

/* chunk mode: the userspace scheduler's queues */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct app_hdr q_small[4096];
static unsigned int q_head, q_tail;
static size_t q_bulk_len, q_bulk_off;	/* the bulk message in progress */
static uint32_t q_bulk_id;
static int q_wake[2];

static int post_send(int fd, const void *buf, size_t len, uint32_t nice)
{
	char cbuf[CMSG_SPACE(sizeof(uint32_t))] = {};
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_POST;
	c->cmsg_type = POST_CMSG_NICENESS;
	c->cmsg_len = CMSG_LEN(sizeof(nice));
	memcpy(CMSG_DATA(c), &nice, sizeof(nice));
	return sendmsg(fd, &m, 0) == (ssize_t)len ? 0 : -1;
}

static int tcp_send(int fd, const void *buf, size_t len, uint32_t kind)
{
	struct tcp_hdr h = { .len = len, .kind = kind };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)buf, len } };

	return writev_all(fd, iov, 2);
}

static int send_message(const void *buf, size_t len, uint32_t kind)
{
	int ret;

	if (mode_post)
		return post_send(kind == KIND_BULK ? fd_bulk : fd_small, buf,
				 len, kind == KIND_BULK ? 7 : 0);
	if (mode_two)
		return tcp_send(kind == KIND_BULK ? fd_bulk : fd_small, buf,
				len, kind);
	if (mode_fifo) {
		unsigned int mine;

		pthread_mutex_lock(&q_lock);
		ret = f_tail - f_head < FIFO_RING ? 0 : -1;
		mine = f_tail;
		if (!ret) {
			memcpy(&f_ring[f_tail % FIFO_RING].h, buf,
			       sizeof(struct app_hdr));
			f_ring[f_tail++ % FIFO_RING].len = len;
			pthread_cond_broadcast(&q_cond);
		}
		/* the bulk producer waits for its message to be written */
		while (!ret && kind == KIND_BULK && f_head <= mine)
			pthread_cond_wait(&q_cond, &q_lock);
		pthread_mutex_unlock(&q_lock);
		return ret;
	}
	/* chunk: hand it to the scheduler thread */
	pthread_mutex_lock(&q_lock);
	if (kind == KIND_SMALL) {
		if (q_tail - q_head < 4096)
			memcpy(&q_small[q_tail++ % 4096], buf, sizeof(q_small[0]));
	} else {
		while (q_bulk_len && !stop)
			pthread_cond_wait(&q_cond, &q_lock);
		q_bulk_len = len;
		q_bulk_off = 0;
		q_bulk_id++;
	}
	pthread_mutex_unlock(&q_lock);
	if (write(q_wake[1], "", 1) < 0)
		return -1;
	return 0;
}

/* chunk: one frame at a time, the small queue first, NOTSENT_LOWAT paced */
static void *chunk_scheduler(void *arg)
{
	char small[SMALL] = {};
	char drain[64];

	for (;;) {
		struct pollfd p[2] = { { fd_bulk, POLLOUT, 0 },
				       { q_wake[0], POLLIN, 0 } };
		struct chunk_hdr h = {};
		struct iovec iov[2];
		int have;

		pthread_mutex_lock(&q_lock);
		have = q_head != q_tail || (q_bulk_len && !stop);
		pthread_mutex_unlock(&q_lock);
		if (stop && !have)	/* what was due is out; the bulk ends */
			break;
		if (poll(p, 2, 100) < 0)
			break;
		if (p[1].revents & POLLIN)
			while (read(q_wake[0], drain, sizeof(drain)) ==
			       sizeof(drain))
				;
		if (!have || !(p[0].revents & POLLOUT))
			continue;

		pthread_mutex_lock(&q_lock);
		if (q_head != q_tail) {
			memset(small, 0, sizeof(small));
			memcpy(small, &q_small[q_head++ % 4096],
			       sizeof(q_small[0]));
			h.len = SMALL;
			h.kind = KIND_SMALL;
			h.last = 1;
			iov[1].iov_base = small;
		} else {
			h.len = q_bulk_len - q_bulk_off < CHUNK ?
				q_bulk_len - q_bulk_off : CHUNK;
			h.kind = KIND_BULK;
			h.id = q_bulk_id;
			iov[1].iov_base = bulk_buf + q_bulk_off;
			q_bulk_off += h.len;
			h.last = q_bulk_off == q_bulk_len;
			if (h.last) {
				q_bulk_len = 0;
				pthread_cond_broadcast(&q_cond);
			}
		}
		pthread_mutex_unlock(&q_lock);
		iov[0].iov_base = &h;
		iov[0].iov_len = sizeof(h);
		iov[1].iov_len = h.len;
		if (writev_all(fd_bulk, iov, 2))
			break;
	}
	return NULL;
}

static void *fifo_writer(void *arg)
{
	char small[SMALL] = {};

	for (;;) {
		struct app_hdr h;
		size_t len;
		char *buf;

		pthread_mutex_lock(&q_lock);
		while (f_head == f_tail && !f_done)
			pthread_cond_wait(&q_cond, &q_lock);
		if (f_head == f_tail) {
			pthread_mutex_unlock(&q_lock);
			break;
		}
		h = f_ring[f_head % FIFO_RING].h;
		len = f_ring[f_head % FIFO_RING].len;
		pthread_mutex_unlock(&q_lock);

		buf = h.kind == KIND_BULK ? bulk_buf : small;
		memcpy(buf, &h, sizeof(h));
		if (tcp_send(fd_bulk, buf, len, h.kind))
			break;
		pthread_mutex_lock(&q_lock);
		f_head++;
		pthread_cond_broadcast(&q_cond);
		pthread_mutex_unlock(&q_lock);
	}
	return NULL;
}

static void *bulk_sender(void *arg)
{
	unsigned int seed = 1;

	while (!stop) {
		size_t len = bulk_size ? bulk_size :
			     (size_t)1 << (20 + rand_r(&seed) % 7);
		struct app_hdr h = { .due_ns = now_ns(), .kind = KIND_BULK };

		memcpy(bulk_buf, &h, sizeof(h));
		if (send_message(bulk_buf, len, KIND_BULK))
			break;
	}
	return NULL;
}

struct smalls {
	double rate;
	uint64_t end_ns;
};

/* Poisson arrivals: exponential gaps, each sent when due (open loop). */
static void *small_sender(void *arg)
{
	struct smalls *s = arg;
	unsigned int seed = 2;
	char buf[SMALL] = {};
	uint64_t due = now_ns();

	for (;;) {
		double u = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0);
		struct app_hdr h = { .kind = KIND_SMALL };
		struct timespec ts;

		due += (uint64_t)(-log(u) / s->rate * 1e9);
		if (due >= s->end_ns || stop)
			break;
		ts.tv_sec = due / 1000000000ULL;
		ts.tv_nsec = due % 1000000000ULL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		h.due_ns = due;
		memcpy(buf, &h, sizeof(h));
		if (send_message(buf, SMALL, KIND_SMALL))
			break;
	}
	return NULL;
}

static int dial(const char *addr, int port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct sockaddr *sa = (struct sockaddr *)&a6;
	socklen_t len = sizeof(a6);
	int fd;

	if (inet_pton(AF_INET6, addr, &a6.sin6_addr) != 1) {
		if (inet_pton(AF_INET, addr, &a4.sin_addr) != 1)
			die("address");
		sa = (struct sockaddr *)&a4;
		len = sizeof(a4);
	}
	if (mode_post) {
		unsigned int max = MAX_BULK;

		fd = socket(post_family(), SOCK_SEQPACKET, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_POST, POST_MAX_MSG_SIZE, &max,
				   sizeof(max));
	} else {
		fd = socket(sa->sa_family, SOCK_STREAM, 0);
	}
	if (fd < 0 || connect(fd, sa, len))
		die("connect");
	if (!mode_post) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static int client(const char *addr, int port, int argc, char **argv)
{
	struct smalls s = { 0 };
	pthread_t tb, ts, tc;
	int secs = 10, bulk = 0, opt;

	while ((opt = getopt(argc, argv, "t:r:bB:")) != -1) {
		switch (opt) {
		case 't':
			secs = atoi(optarg);
			break;
		case 'r':
			s.rate = atof(optarg);
			break;
		case 'b':
			bulk = 1;
			break;
		case 'B':
			bulk = 1;
			bulk_size = strtoul(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	bulk_buf = calloc(1, MAX_BULK);
	fd_bulk = dial(addr, port);
	fd_small = mode_two ? dial(addr, port) : fd_bulk;
	if (mode_chunk) {
		int lowat = CHUNK;

		if (setsockopt(fd_bulk, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
			       sizeof(lowat)) || pipe(q_wake))
			die("chunk setup");
		pthread_create(&tc, NULL, chunk_scheduler, NULL);
	}
	if (mode_fifo)
		pthread_create(&tc, NULL, fifo_writer, NULL);
	s.end_ns = now_ns() + secs * 1000000000ULL;
	if (bulk)
		pthread_create(&tb, NULL, bulk_sender, NULL);
	if (s.rate > 0)
		pthread_create(&ts, NULL, small_sender, &s);
	while (now_ns() < s.end_ns)
		usleep(10000);
	/*
	 * Every small message that was due goes out (in fifo, after the bulk
	 * message being written): none is left unmeasured. Then the bulk is
	 * cut short.
	 */
	stop = 1;
	if (s.rate > 0)
		pthread_join(ts, NULL);
	pthread_mutex_lock(&q_lock);
	f_done = 1;
	pthread_cond_broadcast(&q_cond);
	pthread_mutex_unlock(&q_lock);
	if (mode_fifo)		/* what was queued goes out, in order */
		pthread_join(tc, NULL);
	shutdown(fd_bulk, SHUT_WR);
	if (fd_small != fd_bulk)
		shutdown(fd_small, SHUT_WR);
	if (bulk)
		pthread_join(tb, NULL);
	if (mode_chunk)
		pthread_join(tc, NULL);
	close(fd_bulk);
	if (fd_small != fd_bulk)
		close(fd_small);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 4 && !strcmp(argv[1], "server")) {
		set_mode(argv[2]);
		return server(atoi(argv[3]));
	}
	if (argc >= 5 && !strcmp(argv[1], "client")) {
		set_mode(argv[2]);
		return client(argv[3], atoi(argv[4]), argc - 4, argv + 4);
	}
	fprintf(stderr, "usage: postbench server MODE PORT\n"
		"       postbench client MODE ADDR PORT [-t SECS] [-r RATE] "
		"[-b] [-B SIZE]\n");
	return 2;
}
