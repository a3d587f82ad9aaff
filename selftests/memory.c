// SPDX-License-Identifier: GPL-2.0
/*
 * What hostile peers can make carriers hold is bounded by the protocol's
 * memory limit (/proc/sys/net/post/mem, as tcp_mem): raw peers that each
 * send most of a large message and never its end. Carriers beyond the
 * limit are reset with ENOBUFS; /proc/net/protocols never shows POST above
 * the limit (plus what each CPU may keep in reserve, as for TCP); it all
 * goes on close. The same against a memory cgroup's limit.
 */
#include <sys/stat.h>

#include "post_test.h"
#include "kselftest_harness.h"

#define MEM_SYSCTL	"/proc/sys/net/post/mem"
#define PAIRS		8
#define MSG		(4 << 20)
#define CHUNK		60000

/* POST's "memory" column of /proc/net/protocols, in pages. */
static long post_pages(void)
{
	char line[512], name[32];
	long size, socks, mem = -2;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld %ld", name, &size, &socks,
			   &mem) == 4 && !strcmp(name, "POST"))
			break;
	fclose(f);
	return mem;
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(s, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/*
 * A carrier connected to a raw peer that spoke its preamble; the carrier
 * is *@pfd if that is a socket already, else a new one.
 */
static int hostile_pair(int *pfd, int *tfd)
{
	uint8_t pre[POST_PREAMBLE_LEN];
	struct addr a;
	int lfd = tcp_listener(AF_INET, &a);

	if (lfd < 0)
		return -1;
	if (*pfd < 0)
		*pfd = post_socket(SOCK_NONBLOCK);
	if (*pfd < 0 || (connect(*pfd, (struct sockaddr *)&a.ss, a.len) &&
			 errno != EINPROGRESS))
		return -1;
	*tfd = accept(lfd, NULL, NULL);
	close(lfd);
	if (*tfd < 0 || read_all(*tfd, pre, sizeof(pre)) ||
	    raw_preamble(*tfd))
		return -1;
	return 0;
}

/* The hostile peer: all of a 4 MiB message but its last byte. */
static void *hostile(void *arg)
{
	int fd = *(int *)arg;
	char *chunk = calloc(1, CHUNK);
	size_t sent = 0;

	if (raw_start(fd, 1, MSG, NULL, 0))
		goto out;
	while (sent < MSG - 1) {
		size_t n = MSG - 1 - sent < CHUNK ? MSG - 1 - sent : CHUNK;

		if (raw_frame(fd, POST_FRAME_DATA, 1, chunk, n))
			break;		/* reset by the carrier */
		sent += n;
	}
out:
	free(chunk);
	return NULL;
}

/* How many of the carriers were reset; each must say ENOBUFS. */
static int count_resets(struct __test_metadata *_metadata, const int *pfd)
{
	int i, reset = 0;

	for (i = 0; i < PAIRS; i++) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(pfd[i], SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			EXPECT_EQ(ENOBUFS, err);
			reset++;
		}
	}
	return reset;
}

/* Close the carriers, then stop the hostile peers. */
static void hostile_end(const int *pfd, const int *tfd, const pthread_t *th)
{
	int i;

	for (i = 0; i < PAIRS; i++)
		close(pfd[i]);
	for (i = 0; i < PAIRS; i++) {
		shutdown(tfd[i], SHUT_RDWR);
		pthread_join(th[i], NULL);
		close(tfd[i]);
	}
}

TEST(hostile_partials_are_bounded)
{
	int pfd[PAIRS], tfd[PAIRS], i, reset = 0;
	long limit = 4096, pages, worst = 0;
	/* what each CPU may hold back of the count (SK_MEMORY_PCPU_RESERVE) */
	long slack = 2 * (1 << (20 - 12)) * sysconf(_SC_NPROCESSORS_ONLN);
	char saved[128] = {};
	pthread_t th[PAIRS];
	FILE *f = fopen(MEM_SYSCTL, "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(saved, sizeof(saved), f));
	fclose(f);
	ASSERT_EQ(0, write_file(MEM_SYSCTL, "2048 3072 4096"));
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < PAIRS; i++) {
		pfd[i] = -1;
		ASSERT_EQ(0, hostile_pair(&pfd[i], &tfd[i]));
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hostile, &tfd[i]));
	}
	/* 32 MiB on their way, 16 MiB allowed: watch what carriers hold */
	for (i = 0; i < 80; i++) {
		pages = post_pages();
		if (pages > worst)
			worst = pages;
		usleep(100000);
	}
	reset = count_resets(_metadata, pfd);
	TH_LOG("%d of %d carriers reset, at most %ld pages (limit %ld)",
	       reset, PAIRS, worst, limit);
	EXPECT_LT(0, reset);
	EXPECT_GE(limit + slack, worst);
	hostile_end(pfd, tfd, th);
	for (i = 0; i < 100 && post_pages() > slack; i++)
		usleep(50000);
	EXPECT_GE(slack, post_pages());
	write_file(MEM_SYSCTL, saved);
}

#define CG_ROOT		"/sys/fs/cgroup"
#define CG		CG_ROOT "/post_memcg"
#define CG_MAX		(12 << 20)

/* A counter of a cgroup's memory.stat, in bytes; -1 if absent. */
static long cg_stat(const char *key)
{
	char line[256], name[64];
	long v, got = -1;
	FILE *f = fopen(CG "/memory.stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", name, &v) == 2 &&
		    !strcmp(name, key))
			got = v;
	fclose(f);
	return got;
}

/* cgroup v2 with the memory controller, and CG made with memory.max. */
static int cg_setup(void)
{
	char line[512] = "";
	FILE *f;

	if (access(CG_ROOT "/cgroup.controllers", F_OK) &&
	    system("mount -t cgroup2 none " CG_ROOT))
		return -1;
	f = fopen(CG_ROOT "/cgroup.controllers", "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	if (!strstr(line, "memory"))
		return -1;
	if (write_file(CG_ROOT "/cgroup.subtree_control", "+memory"))
		return -1;
	rmdir(CG);
	if (mkdir(CG, 0755))
		return -1;
	snprintf(line, sizeof(line), "%d", CG_MAX);
	return write_file(CG "/memory.max", line);
}

/*
 * The same hostile peers, against carriers whose owner lives in a memory
 * cgroup with memory.max of 12 MiB (the protocol's own limit far above):
 * what the carriers hold is charged to that cgroup ("sock" in its
 * memory.stat), never beyond its limit; carriers that would exceed it are
 * reset with ENOBUFS, and everything is uncharged on close.
 */
TEST(memcg_bounds_what_carriers_hold)
{
	int pfd[PAIRS], tfd[PAIRS], i, reset = 0;
	long sock, worst = 0, slack = 1 << 20;
	char saved[128] = {};
	pthread_t th[PAIRS];
	FILE *f;

	if (cg_setup())
		SKIP(return, "no cgroup v2 memory controller");
	f = fopen(MEM_SYSCTL, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(saved, sizeof(saved), f));
	fclose(f);
	ASSERT_EQ(0, write_file(MEM_SYSCTL, "200000 300000 400000"));
	signal(SIGPIPE, SIG_IGN);
	/* the carriers belong to the cgroup (sk_alloc()), their peers not */
	ASSERT_EQ(0, write_file(CG "/cgroup.procs", "0"));
	for (i = 0; i < PAIRS; i++) {
		pfd[i] = post_socket(SOCK_NONBLOCK);
		ASSERT_LE(0, pfd[i]);
	}
	ASSERT_EQ(0, write_file(CG_ROOT "/cgroup.procs", "0"));
	for (i = 0; i < PAIRS; i++) {
		ASSERT_EQ(0, hostile_pair(&pfd[i], &tfd[i]));
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hostile, &tfd[i]));
	}
	for (i = 0; i < 80; i++) {
		sock = cg_stat("sock");
		if (sock > worst)
			worst = sock;
		usleep(100000);
	}
	reset = count_resets(_metadata, pfd);
	TH_LOG("%d of %d carriers reset, at most %ld bytes charged (max %d)",
	       reset, PAIRS, worst, CG_MAX);
	EXPECT_LT(0, reset);
	EXPECT_LT(1 << 20, worst);	/* charged there at all */
	EXPECT_GE(CG_MAX + slack, worst);
	hostile_end(pfd, tfd, th);
	for (i = 0; i < 100 && cg_stat("sock") > 0; i++)
		usleep(50000);
	EXPECT_EQ(0, cg_stat("sock"));
	write_file(MEM_SYSCTL, saved);
	rmdir(CG);
}

/*
 * Carriers the kernel accepted that accept() has not returned read nothing
 * beyond the preamble: the same hostile peers, against a listener nobody
 * accepts from, cost carriers no memory and reset none; accepted, the
 * carriers are whole.
 */
TEST(unaccepted_children_read_nothing)
{
	long pages, worst = 0;
	long slack = 2 * (1 << (20 - 12)) * sysconf(_SC_NPROCESSORS_ONLN);
	int lfd, tfd[PAIRS], cfd, i, err;
	uint8_t pre[POST_PREAMBLE_LEN];
	pthread_t th[PAIRS];
	socklen_t l;
	struct addr a;

	signal(SIGPIPE, SIG_IGN);
	lfd = post_listener(AF_INET, &a);
	ASSERT_LE(0, lfd);
	for (i = 0; i < PAIRS; i++) {
		tfd[i] = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT_LE(0, tfd[i]);
		ASSERT_EQ(0, connect(tfd[i], (struct sockaddr *)&a.ss, a.len));
		ASSERT_EQ(0, read_all(tfd[i], pre, sizeof(pre)));
		ASSERT_EQ(0, raw_preamble(tfd[i]));
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hostile, &tfd[i]));
	}
	for (i = 0; i < 30; i++) {
		pages = post_pages();
		if (pages > worst)
			worst = pages;
		usleep(100000);
	}
	TH_LOG("at most %ld pages while not accepted", worst);
	EXPECT_GE(slack, worst);
	for (i = 0; i < PAIRS; i++) {
		cfd = accept(lfd, NULL, NULL);
		ASSERT_LE(0, cfd);
		err = 0;
		l = sizeof(err);
		ASSERT_EQ(0, getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &l));
		EXPECT_EQ(0, err);
		close(cfd);
	}
	for (i = 0; i < PAIRS; i++) {
		shutdown(tfd[i], SHUT_RDWR);
		pthread_join(th[i], NULL);
		close(tfd[i]);
	}
	close(lfd);
}

TEST_HARNESS_MAIN
