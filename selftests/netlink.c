// SPDX-License-Identifier: GPL-2.0
/*
 * The "post" generic netlink family: malformed requests are refused with
 * an extack message (and the family keeps answering), an unprivileged
 * caller cannot change anything (EPERM, also through postctl), config is
 * per network namespace and reaches new carriers only, and a carrier dump
 * shows what the test did (messages, bytes, addresses, state, race).
 */
#define _GNU_SOURCE
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/post_netlink.h>

#include "post_test.h"
#include "kselftest_harness.h"

struct nl {
	struct mnl_socket *sk;
	uint16_t id;
	char buf[65536];
	char extack[256];
};

static struct nlmsghdr *req(struct nl *nl, uint16_t type, uint8_t cmd,
			    uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* Send, pass replies to cb, return the ack's error (0 or -errno). */
static int talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int n, len;

	nl->extack[0] = 0;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *m;

		n = mnl_socket_recvfrom(nl->sk, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -errno;
		len = n;
		for (m = (void *)nl->buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			const struct nlmsgerr *e;
			const struct nlattr *a;

			if (m->nlmsg_type == NLMSG_DONE)	/* a dump's end */
				return *(int *)mnl_nlmsg_get_payload(m);
			if (m->nlmsg_type != NLMSG_ERROR) {
				if (cb)
					cb(m, data);
				continue;
			}
			e = mnl_nlmsg_get_payload(m);
			if (m->nlmsg_flags & NLM_F_ACK_TLVS)
				mnl_attr_for_each(a, m, sizeof(*e))
					if (mnl_attr_get_type(a) ==
					    NLMSGERR_ATTR_MSG)
						snprintf(nl->extack,
							 sizeof(nl->extack),
							 "%s",
							 mnl_attr_get_str(a));
			return e->error;
		}
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int nl_open(struct nl *nl)
{
	struct nlmsghdr *nlh;
	int one = 1;

	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk || mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID))
		return -1;
	/* the ack carries the extack but not our request back */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	nlh = req(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, POST_FAMILY_NAME);
	nl->id = 0;
	if (talk(nl, nlh, family_cb, &nl->id) || !nl->id)
		return -1;
	return 0;
}

struct config {
	uint32_t v[POST_A_CONFIG_MAX + 1];
};

static int config_cb(const struct nlmsghdr *nlh, void *data)
{
	struct config *c = data;
	const struct nlattr *top, *a;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(top) == POST_A_CONFIG)
			mnl_attr_for_each_nested(a, top)
				if (mnl_attr_get_type(a) <= POST_A_CONFIG_MAX)
					c->v[mnl_attr_get_type(a)] =
						mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int config_get(struct nl *nl, struct config *c)
{
	memset(c, 0, sizeof(*c));
	return talk(nl, req(nl, nl->id, POST_CMD_CONFIG_GET, 0), config_cb, c);
}

/* config-set with one u32 setting */
static int config_set(struct nl *nl, int attr, uint32_t v)
{
	struct nlmsghdr *nlh = req(nl, nl->id, POST_CMD_CONFIG_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, POST_A_CONFIG);

	mnl_attr_put_u32(nlh, attr, v);
	mnl_attr_nest_end(nlh, nest);
	return talk(nl, nlh, NULL, NULL);
}

FIXTURE(fam) {
	struct nl nl;
};

FIXTURE_SETUP(fam)
{
	ASSERT_EQ(0, nl_open(&self->nl));
}

FIXTURE_TEARDOWN(fam)
{
	mnl_socket_close(self->nl.sk);
}

TEST_F(fam, config_defaults)
{
	struct config c;

	ASSERT_EQ(0, config_get(&self->nl, &c));
	EXPECT_EQ(POST_CHUNK_DEFAULT, c.v[POST_A_CONFIG_CHUNK_SIZE]);
	EXPECT_EQ(POST_MAX_MSG_DEFAULT, c.v[POST_A_CONFIG_MAX_MSG_SIZE]);
	EXPECT_LE(POST_ATTEMPT_DELAY_MIN, c.v[POST_A_CONFIG_ATTEMPT_DELAY_MS]);
	EXPECT_TRUE(c.v[POST_A_CONFIG_PREFER_FAMILY] == AF_INET6 ||
		    c.v[POST_A_CONFIG_PREFER_FAMILY] == AF_INET);
}

/* Each malformed request: its errno and an extack message; no change. */
TEST_F(fam, malformed_requests)
{
	struct nl *nl = &self->nl;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct config before, after;
	char big[1000] = {};

	ASSERT_EQ(0, config_get(nl, &before));

	/* no config nest at all */
	nlh = req(nl, nl->id, POST_CMD_CONFIG_SET, 0);
	EXPECT_EQ(-EINVAL, talk(nl, nlh, NULL, NULL));
	EXPECT_NE(0, nl->extack[0]);
	TH_LOG("missing: %s", nl->extack);

	/* an empty nest */
	nlh = req(nl, nl->id, POST_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, POST_A_CONFIG);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, talk(nl, nlh, NULL, NULL));
	EXPECT_NE(0, nl->extack[0]);

	/* wrong type: a u8 where a u32 belongs */
	nlh = req(nl, nl->id, POST_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, POST_A_CONFIG);
	mnl_attr_put_u8(nlh, POST_A_CONFIG_CHUNK_SIZE, 7);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, talk(nl, nlh, NULL, NULL));
	EXPECT_NE(0, nl->extack[0]);
	TH_LOG("wrong type: %s", nl->extack);

	/* oversized */
	nlh = req(nl, nl->id, POST_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, POST_A_CONFIG);
	mnl_attr_put(nlh, POST_A_CONFIG_ATTEMPT_DELAY_MS, sizeof(big), big);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, talk(nl, nlh, NULL, NULL));
	EXPECT_NE(0, nl->extack[0]);

	/* out of range, by the generated policy */
	EXPECT_EQ(-ERANGE, config_set(nl, POST_A_CONFIG_ATTEMPT_DELAY_MS, 5));
	EXPECT_NE(0, nl->extack[0]);
	TH_LOG("range: %s", nl->extack);
	EXPECT_EQ(-ERANGE, config_set(nl, POST_A_CONFIG_CHUNK_SIZE, 100));
	EXPECT_EQ(-ERANGE, config_set(nl, POST_A_CONFIG_ASSOC_MAX, 1 << 20));

	/* a family that is neither */
	EXPECT_EQ(-EINVAL, config_set(nl, POST_A_CONFIG_PREFER_FAMILY, 7));
	EXPECT_NE(NULL, strstr(nl->extack, "AF_INET"));

	/* an attribute type the family does not know */
	nlh = req(nl, nl->id, POST_CMD_CONFIG_SET, 0);
	mnl_attr_put_u32(nlh, 99, 1);
	EXPECT_EQ(-EINVAL, talk(nl, nlh, NULL, NULL));
	EXPECT_NE(0, nl->extack[0]);

	/* a reply-only nest in a request */
	nlh = req(nl, nl->id, POST_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, POST_A_STATS);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, talk(nl, nlh, NULL, NULL));
	EXPECT_NE(0, nl->extack[0]);

	/* an unknown command */
	EXPECT_EQ(-EOPNOTSUPP, talk(nl, req(nl, nl->id, 77, 0), NULL, NULL));

	/* nothing changed, and the family still answers */
	ASSERT_EQ(0, config_get(nl, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

/* An unprivileged caller: EPERM from the kernel and from postctl. */
TEST_F(fam, unprivileged_cannot_change)
{
	char line[256] = "";
	int status;
	FILE *f;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		struct nl nl2;
		struct config c;
		int fd;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) || nl_open(&nl2))
			_exit(10);
		if (config_get(&nl2, &c))		/* reading is fine */
			_exit(11);
		if (config_set(&nl2, POST_A_CONFIG_CHUNK_SIZE, 4096) != -EPERM)
			_exit(12);
		if (talk(&nl2, req(&nl2, nl2.id, POST_CMD_ASSOC_FLUSH, 0),
			 NULL, NULL) != -EPERM)
			_exit(13);
		/* module-wide counters: not for an unprivileged namespace */
		if (talk(&nl2, req(&nl2, nl2.id, POST_CMD_STATS_GET, 0),
			 NULL, NULL) != -EPERM)
			_exit(16);
		fd = open("/tmp/postctl-eperm", O_WRONLY | O_CREAT | O_TRUNC,
			  0666);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(14);
		execlp("postctl", "postctl", "config", "set", "chunk_size",
		       "4096", NULL);
		_exit(15);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(1, WEXITSTATUS(status));	/* postctl failed... */
	f = fopen("/tmp/postctl-eperm", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	TH_LOG("postctl: %s", line);
	EXPECT_NE(NULL, strstr(line, "Operation not permitted"));
}

/* Config is per namespace and applies to carriers made afterwards. */
TEST(config_per_namespace_new_carriers)
{
	struct config c;
	int status;
	pid_t pid = fork();
	struct nl nl;

	ASSERT_LE(0, pid);
	if (!pid) {
		int before, after;
		uint32_t v;
		socklen_t len = sizeof(v);

		if (unshare(CLONE_NEWNET) || nl_open(&nl))
			_exit(10);
		before = post_socket(0);
		if (config_set(&nl, POST_A_CONFIG_CHUNK_SIZE, 4096) ||
		    config_set(&nl, POST_A_CONFIG_ATTEMPT_DELAY_MS, 123) ||
		    config_set(&nl, POST_A_CONFIG_MAX_MSG_SIZE, 1 << 20))
			_exit(11);
		after = post_socket(0);
		if (getsockopt(after, SOL_POST, POST_CHUNK_SIZE, &v, &len) ||
		    v != 4096)
			_exit(12);
		if (getsockopt(after, SOL_POST, POST_ATTEMPT_DELAY, &v, &len) ||
		    v != 123)
			_exit(13);
		if (getsockopt(after, SOL_POST, POST_MAX_MSG_SIZE, &v, &len) ||
		    v != 1 << 20)
			_exit(14);
		if (getsockopt(before, SOL_POST, POST_CHUNK_SIZE, &v, &len) ||
		    v != POST_CHUNK_DEFAULT)
			_exit(15);
		/* the sysctl shows the same value */
		{
			FILE *f = fopen("/proc/sys/net/post/chunk_size", "r");
			int sv = 0;

			if (!f || fscanf(f, "%d", &sv) != 1 || sv != 4096)
				_exit(16);
			fclose(f);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* this namespace kept its defaults */
	ASSERT_EQ(0, nl_open(&nl));
	ASSERT_EQ(0, config_get(&nl, &c));
	EXPECT_EQ(POST_CHUNK_DEFAULT, c.v[POST_A_CONFIG_CHUNK_SIZE]);
	EXPECT_NE(123, c.v[POST_A_CONFIG_ATTEMPT_DELAY_MS]);
	mnl_socket_close(nl.sk);
}

struct seen {
	uint64_t ino;
	int found;
	uint64_t v[POST_A_CARRIER_MAX + 1];
	uint16_t remote_port, local_port;
	int32_t winner;
	uint32_t attempts;
};

static uint16_t addr_port(const struct nlattr *nest)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == POST_A_ADDR_PORT)
			return mnl_attr_get_u16(a);
	return 0;
}

static int carrier_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	const struct nlattr *top, *a, *b;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		uint64_t v[POST_A_CARRIER_MAX + 1] = {};
		int32_t winner = -2;
		uint32_t attempts = 0;

		if (mnl_attr_get_type(top) != POST_A_CARRIER)
			continue;
		mnl_attr_for_each_nested(a, top) {
			int t = mnl_attr_get_type(a);

			if (t == POST_A_CARRIER_REMOTE)
				v[t] = addr_port(a);
			else if (t == POST_A_CARRIER_LOCAL)
				v[t] = addr_port(a);
			else if (t == POST_A_CARRIER_RACE)
				mnl_attr_for_each_nested(b, a) {
					if (mnl_attr_get_type(b) ==
					    POST_A_RACE_WINNER)
						winner = mnl_attr_get_u32(b);
					if (mnl_attr_get_type(b) ==
					    POST_A_RACE_ATTEMPTS)
						attempts = mnl_attr_get_u32(b);
				}
			else if (mnl_attr_get_payload_len(a) == 8)
				v[t] = mnl_attr_get_u64(a);
			else if (mnl_attr_get_payload_len(a) == 4)
				v[t] = mnl_attr_get_u32(a);
		}
		if (v[POST_A_CARRIER_INO] == s->ino) {
			s->found++;
			memcpy(s->v, v, sizeof(v));
			s->winner = winner;
			s->attempts = attempts;
		}
	}
	return MNL_CB_OK;
}

static uint16_t addr_port_of(const struct addr *a)
{
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

static void dump_one(struct __test_metadata *_metadata, struct nl *nl,
		     int fd, struct seen *s)
{
	struct stat st;

	ASSERT_EQ(0, fstat(fd, &st));
	memset(s, 0, sizeof(*s));
	s->ino = st.st_ino;
	s->winner = -2;
	ASSERT_EQ(0, talk(nl, req(nl, nl->id, POST_CMD_CARRIER_GET, NLM_F_DUMP),
			  carrier_cb, s));
	ASSERT_EQ(1, s->found);
}

TEST_F(fam, carrier_dump_matches)
{
	int lfd, cfd, sfd, i;
	struct addr a;
	struct seen s;
	char buf[64] = {};

	lfd = post_listener(AF_INET, &a);
	ASSERT_LE(0, lfd);
	cfd = post_connect(&a);
	ASSERT_LE(0, cfd);
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(10 * i, send(cfd, buf, 10 * i, 0));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(10 * i, recv(sfd, buf, sizeof(buf), 0));

	dump_one(_metadata, &self->nl, cfd, &s);
	EXPECT_EQ(SOCK_SEQPACKET, s.v[POST_A_CARRIER_TYPE]);
	EXPECT_EQ(1, s.v[POST_A_CARRIER_STATE]);	/* TCP_ESTABLISHED */
	EXPECT_EQ(3, s.v[POST_A_CARRIER_TX_MSGS]);
	EXPECT_EQ(60, s.v[POST_A_CARRIER_TX_BYTES]);
	EXPECT_EQ(0, s.v[POST_A_CARRIER_RX_MSGS]);
	EXPECT_EQ(addr_port_of(&a), s.v[POST_A_CARRIER_REMOTE]);
	EXPECT_EQ(1, s.attempts);
	EXPECT_EQ(0, s.winner);

	dump_one(_metadata, &self->nl, sfd, &s);
	EXPECT_EQ(3, s.v[POST_A_CARRIER_RX_MSGS]);
	EXPECT_EQ(60, s.v[POST_A_CARRIER_RX_BYTES]);
	EXPECT_EQ(addr_port_of(&a), s.v[POST_A_CARRIER_LOCAL]);
	EXPECT_EQ(-2, s.winner);	/* accepted: no race */

	dump_one(_metadata, &self->nl, lfd, &s);
	EXPECT_EQ(10, s.v[POST_A_CARRIER_STATE]);	/* TCP_LISTEN */
	close(cfd);
	close(sfd);
	close(lfd);
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(*(int *)data)++;
	return MNL_CB_OK;
}

/*
 * Dumps while carriers come and go: each dump completes, and none touches
 * a carrier being torn down (the debug kernel's KASAN would say).
 */
TEST_F_TIMEOUT(fam, dump_while_carriers_close, 120)
{
	int status, i, rows, dumps = 0;
	struct addr a;
	pid_t pid;
	int lfd = post_listener(AF_INET, &a);

	ASSERT_LE(0, lfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 0; i < 200; i++) {
			int c = post_connect(&a), sfd = accept(lfd, NULL, NULL);

			if (c < 0 || sfd < 0)
				_exit(1);
			send(c, "x", 1, 0);
			close(sfd);
			close(c);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		rows = 0;
		ASSERT_EQ(0, talk(&self->nl, req(&self->nl, self->nl.id,
						 POST_CMD_CARRIER_GET,
						 NLM_F_DUMP), count_cb, &rows));
		ASSERT_LE(1, rows);	/* the listener at least */
		dumps++;
	}
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	TH_LOG("%d dumps while 200 carrier pairs came and went", dumps);
	EXPECT_LT(1, dumps);
	close(lfd);
}

TEST_HARNESS_MAIN
