// SPDX-License-Identifier: GPL-2.0
/*
 * postctl: inspect and tune AF_POST over its generic netlink family.
 *
 *   postctl [-j] [-n NETNS] carriers
 *   postctl [-j] [-n NETNS] assoc [flush]
 *   postctl [-j] [-n NETNS] config [set KEY VALUE [KEY VALUE ...]]
 *   postctl [-j] stats
 *   postctl [-n NETNS] monitor
 *
 * The manual is doc/postctl.8.md. Errors print the kernel's extended ack
 * message when there is one; the exit status is 1 on an error, 2 on bad
 * usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/post.h>
#include <linux/post_netlink.h>

static struct mnl_socket *nl;
static uint16_t family_id;
static uint32_t mcgrp_id;
static bool json;
static int rows;	/* objects printed, for JSON separators */
static char *buf;

#define BUF_SIZE	(64 * 1024)

static void usage(FILE *f, int status)
{
	fprintf(f,
		"usage: postctl [-j] [-n NETNS] carriers\n"
		"       postctl [-j] [-n NETNS] assoc [flush]\n"
		"       postctl [-j] [-n NETNS] config [set KEY VALUE ...]\n"
		"       postctl [-j] stats\n"
		"       postctl [-n NETNS] monitor\n"
		"  -j        JSON output\n"
		"  -n NETNS  act in network namespace NETNS (/run/netns/NETNS)\n"
		"config keys: attempt_delay_ms, prefer_family (inet|inet6),\n"
		"  chunk_size, max_msg_size, assoc_expiry_ms, assoc_max\n"
		"See postctl(8): doc/postctl.8.md.\n");
	exit(status);
}

static void die(const char *what)
{
	fprintf(stderr, "postctl: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* -- netlink plumbing ---------------------------------------------------- */

/* The error of an NLMSG_ERROR, with its extack message printed. */
static int ack_error(const struct nlmsghdr *nlh, const char *what)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const char *msg = NULL;
	unsigned int off;

	if (!e->error)
		return 0;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		mnl_attr_for_each(a, nlh, off)
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
				msg = mnl_attr_get_str(a);
	}
	fprintf(stderr, "postctl: %s: %s%s%s\n", what, strerror(-e->error),
		msg ? ": " : "", msg ? msg : "");
	return e->error;
}

/*
 * Send @nlh and handle replies with @cb until the ack (a dump ends with
 * NLMSG_DONE instead); returns 0 or the negative errno the kernel answered.
 */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
		const char *what)
{
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	int n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("send");
	for (;;) {
		const struct nlmsghdr *m;
		int len;

		n = mnl_socket_recvfrom(nl, buf, BUF_SIZE);
		if (n < 0)
			die("receive");
		len = n;
		for (m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (!mnl_nlmsg_portid_ok(m, portid) ||
			    !mnl_nlmsg_seq_ok(m, seq))
				continue;
			if (m->nlmsg_type == NLMSG_ERROR)
				return ack_error(m, what);
			if (m->nlmsg_type == NLMSG_DONE)	/* a dump's end */
				return *(int *)mnl_nlmsg_get_payload(m);
			if (cb && cb(m, data) < 0)
				return -EIO;
		}
	}
}

static struct nlmsghdr *request(uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = time(NULL);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : POST_FAMILY_VERSION;
	return nlh;
}

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *grp, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			family_id = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(grp, a) {
			const char *name = NULL;
			uint32_t id = 0;

			mnl_attr_for_each_nested(g, grp) {
				if (mnl_attr_get_type(g) == CTRL_ATTR_MCAST_GRP_NAME)
					name = mnl_attr_get_str(g);
				if (mnl_attr_get_type(g) == CTRL_ATTR_MCAST_GRP_ID)
					id = mnl_attr_get_u32(g);
			}
			if (name && !strcmp(name, POST_MCGRP_CARRIERS))
				mcgrp_id = id;
		}
	}
	return MNL_CB_OK;
}

static void open_family(void)
{
	struct nlmsghdr *nlh;
	int one = 1;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket");
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	nlh = request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, POST_FAMILY_NAME);
	if (talk(nlh, ctrl_cb, NULL, "family " POST_FAMILY_NAME) || !family_id) {
		fprintf(stderr, "postctl: is the af_post module loaded?\n");
		exit(1);
	}
}

/* -- output -------------------------------------------------------------- */

static void begin_row(void)
{
	if (json)
		printf("%s{", rows ? ",\n" : "[\n");
	rows++;
}

static void end_row(void)
{
	printf(json ? "}" : "\n");
}

static void end_rows(void)
{
	if (json)
		printf(rows ? "\n]\n" : "[]\n");
}

static bool first_field;

static void field_sep(void)
{
	if (json && !first_field)
		printf(",");
	first_field = false;
}

static void field_u64(const char *key, uint64_t v)
{
	field_sep();
	if (json)
		printf("\"%s\":%llu", key, (unsigned long long)v);
	else
		printf("%-17s %llu", key, (unsigned long long)v);
}

static void field_str(const char *key, const char *v)
{
	field_sep();
	if (json)
		printf("\"%s\":\"%s\"", key, v);
	else
		printf("%-17s %s", key, v);
}

/* an addr nest as "1.2.3.4:80" or "[::1]:80" */
static const char *addr_str(const struct nlattr *nest, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	const struct nlattr *a;
	uint16_t fam = 0, port = 0;
	const void *raw = NULL;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case POST_A_ADDR_FAMILY:
			fam = mnl_attr_get_u16(a);
			break;
		case POST_A_ADDR_IP:
			raw = mnl_attr_get_payload(a);
			break;
		case POST_A_ADDR_PORT:
			port = mnl_attr_get_u16(a);
			break;
		}
	}
	if (raw)
		inet_ntop(fam, raw, ip, sizeof(ip));
	snprintf(out, len, fam == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
	return out;
}

static const char *state_name(uint32_t s)
{
	static const char *const names[] = {
		[TCP_ESTABLISHED] = "established", [TCP_SYN_SENT] = "connecting",
		[TCP_SYN_RECV] = "handshake", [TCP_CLOSE] = "closed",
		[TCP_LISTEN] = "listening",
	};

	return s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] :
	       "other";
}

/* -- carriers ------------------------------------------------------------ */

struct carrier_row {
	uint64_t ino, tx_bytes, rx_bytes, tx_msgs, rx_msgs, acked, expired;
	uint64_t aborted, rx_expired;
	uint32_t type, state, attempts, race_us, race_error, proto_errors;
	uint32_t error;
	int32_t winner;
	bool raced, assoc;
	char local[64], remote[64], cands[400], queued[200];
};

static void carrier_parse(const struct nlattr *top, struct carrier_row *r)
{
	const struct nlattr *a, *b;
	char s[64];

	memset(r, 0, sizeof(*r));
	r->winner = -1;
	strcpy(r->local, "-");
	strcpy(r->remote, "-");
	mnl_attr_for_each_nested(a, top) {
		switch (mnl_attr_get_type(a)) {
		case POST_A_CARRIER_INO: r->ino = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_TYPE: r->type = mnl_attr_get_u32(a); break;
		case POST_A_CARRIER_STATE: r->state = mnl_attr_get_u32(a); break;
		case POST_A_CARRIER_LOCAL:
			addr_str(a, r->local, sizeof(r->local));
			break;
		case POST_A_CARRIER_REMOTE:
			addr_str(a, r->remote, sizeof(r->remote));
			break;
		case POST_A_CARRIER_CANDIDATE:
			snprintf(r->cands + strlen(r->cands),
				 sizeof(r->cands) - strlen(r->cands), "%s%s",
				 *r->cands ? "," : "", addr_str(a, s, sizeof(s)));
			break;
		case POST_A_CARRIER_RACE:
			r->raced = true;
			mnl_attr_for_each_nested(b, a) {
				switch (mnl_attr_get_type(b)) {
				case POST_A_RACE_ATTEMPTS:
					r->attempts = mnl_attr_get_u32(b);
					break;
				case POST_A_RACE_WINNER:
					r->winner = mnl_attr_get_u32(b);
					break;
				case POST_A_RACE_ELAPSED_US:
					r->race_us = mnl_attr_get_u32(b);
					break;
				case POST_A_RACE_ERROR:
					r->race_error = mnl_attr_get_u32(b);
					break;
				case POST_A_RACE_ASSOC:
					r->assoc = true;
					break;
				}
			}
			break;
		case POST_A_CARRIER_QUEUED: {
			uint32_t nice = 0, msgs = 0, bytes = 0;

			mnl_attr_for_each_nested(b, a) {
				if (mnl_attr_get_type(b) == POST_A_QUEUED_NICENESS)
					nice = mnl_attr_get_u8(b);
				if (mnl_attr_get_type(b) == POST_A_QUEUED_MSGS)
					msgs = mnl_attr_get_u32(b);
				if (mnl_attr_get_type(b) == POST_A_QUEUED_BYTES)
					bytes = mnl_attr_get_u32(b);
			}
			/* niceness:messages/bytes */
			snprintf(r->queued + strlen(r->queued),
				 sizeof(r->queued) - strlen(r->queued),
				 "%s%u:%u/%u", *r->queued ? "," : "", nice, msgs,
				 bytes);
			break;
		}
		case POST_A_CARRIER_TX_BYTES: r->tx_bytes = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_RX_BYTES: r->rx_bytes = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_TX_MSGS: r->tx_msgs = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_RX_MSGS: r->rx_msgs = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_ACKED: r->acked = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_EXPIRED: r->expired = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_ABORTED: r->aborted = mnl_attr_get_u64(a); break;
		case POST_A_CARRIER_RX_EXPIRED:
			r->rx_expired = mnl_attr_get_u64(a);
			break;
		case POST_A_CARRIER_PROTO_ERRORS:
			r->proto_errors = mnl_attr_get_u32(a);
			break;
		case POST_A_CARRIER_ERROR: r->error = mnl_attr_get_u32(a); break;
		}
	}
}

static void carrier_print(const struct carrier_row *r)
{
	const char *type = r->type == SOCK_STREAM ? "stream" : "seqpacket";
	char race[64] = "-";

	if (json) {
		begin_row();
		printf("\"ino\":%llu,\"type\":\"%s\",\"state\":\"%s\","
		       "\"local\":\"%s\",\"remote\":\"%s\","
		       "\"tx_msgs\":%llu,\"tx_bytes\":%llu,\"rx_msgs\":%llu,"
		       "\"rx_bytes\":%llu,\"acked\":%llu,\"expired\":%llu,"
		       "\"aborted\":%llu,\"rx_expired\":%llu,"
		       "\"proto_errors\":%u,\"error\":%u,\"queued\":\"%s\"",
		       (unsigned long long)r->ino, type, state_name(r->state),
		       r->local, r->remote, (unsigned long long)r->tx_msgs,
		       (unsigned long long)r->tx_bytes,
		       (unsigned long long)r->rx_msgs,
		       (unsigned long long)r->rx_bytes,
		       (unsigned long long)r->acked,
		       (unsigned long long)r->expired,
		       (unsigned long long)r->aborted,
		       (unsigned long long)r->rx_expired, r->proto_errors,
		       r->error, r->queued);
		if (r->raced)
			printf(",\"race\":{\"attempts\":%u,\"winner\":%d,"
			       "\"elapsed_us\":%u,\"error\":%u,\"assoc\":%s,"
			       "\"candidates\":\"%s\"}",
			       r->attempts, r->winner, r->race_us,
			       r->race_error, r->assoc ? "true" : "false",
			       r->cands);
		end_row();
		return;
	}
	if (!rows++)
		printf("%-8s %-9s %-11s %-24s %-24s %13s %13s %-8s %-5s %s\n",
		       "INO", "TYPE", "STATE", "LOCAL", "REMOTE",
		       "TX MSGS/B", "RX MSGS/B", "ACK/EXP/ABT", "PERR",
		       "RACE QUEUED");
	if (r->raced)
		snprintf(race, sizeof(race), "won %d/%u %uus%s", r->winner,
			 r->attempts, r->race_us, r->assoc ? " assoc" : "");
	printf("%-8llu %-9s %-11s %-24s %-24s %6llu/%-6llu %6llu/%-6llu "
	       "%llu/%llu/%llu %-5u %s %s\n",
	       (unsigned long long)r->ino, type, state_name(r->state),
	       r->local, r->remote, (unsigned long long)r->tx_msgs,
	       (unsigned long long)r->tx_bytes, (unsigned long long)r->rx_msgs,
	       (unsigned long long)r->rx_bytes, (unsigned long long)r->acked,
	       (unsigned long long)r->expired, (unsigned long long)r->aborted,
	       r->proto_errors, race, *r->queued ? r->queued : "-");
}

static int carrier_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *top;
	struct carrier_row r;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != POST_A_CARRIER)
			continue;
		carrier_parse(top, &r);
		carrier_print(&r);
	}
	return MNL_CB_OK;
}

static int cmd_carriers(void)
{
	int rc = talk(request(family_id, POST_CMD_CARRIER_GET, NLM_F_DUMP),
		      carrier_cb, NULL, "carriers");

	end_rows();
	return rc ? 1 : 0;
}

/* -- associations -------------------------------------------------------- */

static int assoc_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *top, *a;
	char s[80], cands[400], winner[80];
	uint32_t srtt, expires, fails;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != POST_A_ASSOC)
			continue;
		*cands = 0;
		strcpy(winner, "-");
		srtt = expires = fails = 0;
		mnl_attr_for_each_nested(a, top) {
			switch (mnl_attr_get_type(a)) {
			case POST_A_ASSOC_CANDIDATE:
				snprintf(cands + strlen(cands),
					 sizeof(cands) - strlen(cands), "%s%s",
					 *cands ? "," : "",
					 addr_str(a, s, sizeof(s)));
				break;
			case POST_A_ASSOC_WINNER:
				addr_str(a, winner, sizeof(winner));
				break;
			case POST_A_ASSOC_SRTT_US:
				srtt = mnl_attr_get_u32(a);
				break;
			case POST_A_ASSOC_EXPIRES_MS:
				expires = mnl_attr_get_u32(a);
				break;
			case POST_A_ASSOC_FAILURES:
				fails = mnl_attr_get_u32(a);
				break;
			}
		}
		if (json) {
			begin_row();
			printf("\"winner\":\"%s\",\"srtt_us\":%u,"
			       "\"expires_ms\":%u,\"failures\":%u,"
			       "\"candidates\":\"%s\"", winner, srtt, expires,
			       fails, cands);
			end_row();
			continue;
		}
		if (!rows++)
			printf("%-24s %9s %10s %8s  %s\n", "WINNER", "SRTT_US",
			       "EXPIRES_S", "FAILURES", "CANDIDATES");
		printf("%-24s %9u %10u %8u  %s\n", winner, srtt,
		       expires / 1000, fails, cands);
	}
	return MNL_CB_OK;
}

static int cmd_assoc(int argc, char **argv)
{
	int rc;

	if (argc && !strcmp(argv[0], "flush")) {
		rc = talk(request(family_id, POST_CMD_ASSOC_FLUSH, 0), NULL,
			  NULL, "assoc flush");
		return rc ? 1 : 0;
	}
	if (argc)
		usage(stderr, 2);
	rc = talk(request(family_id, POST_CMD_ASSOC_GET, NLM_F_DUMP),
		  assoc_cb, NULL, "assoc");
	end_rows();
	return rc ? 1 : 0;
}

/* -- config -------------------------------------------------------------- */

static const struct {
	const char *key;
	int attr;
} config_keys[] = {
	{ "attempt_delay_ms",	POST_A_CONFIG_ATTEMPT_DELAY_MS },
	{ "prefer_family",	POST_A_CONFIG_PREFER_FAMILY },
	{ "chunk_size",		POST_A_CONFIG_CHUNK_SIZE },
	{ "max_msg_size",	POST_A_CONFIG_MAX_MSG_SIZE },
	{ "assoc_expiry_ms",	POST_A_CONFIG_ASSOC_EXPIRY_MS },
	{ "assoc_max",		POST_A_CONFIG_ASSOC_MAX },
};

#define NR_KEYS	(sizeof(config_keys) / sizeof(config_keys[0]))

static int config_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *top, *a;
	size_t i;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != POST_A_CONFIG)
			continue;
		if (json)
			begin_row();
		first_field = true;
		mnl_attr_for_each_nested(a, top) {
			for (i = 0; i < NR_KEYS; i++) {
				uint32_t v = mnl_attr_get_u32(a);

				if (config_keys[i].attr != mnl_attr_get_type(a))
					continue;
				if (config_keys[i].attr ==
				    POST_A_CONFIG_PREFER_FAMILY) {
					field_str(config_keys[i].key,
						  v == AF_INET6 ? "inet6" :
								  "inet");
				} else {
					field_u64(config_keys[i].key, v);
				}
				if (!json)
					printf("\n");
			}
		}
		if (json)
			end_row();
	}
	return MNL_CB_OK;
}

static int cmd_config(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	size_t i;
	int rc;

	if (!argc) {
		rc = talk(request(family_id, POST_CMD_CONFIG_GET, 0),
			  config_cb, NULL, "config");
		end_rows();
		return rc ? 1 : 0;
	}
	if (strcmp(argv[0], "set") || argc < 3 || !(argc & 1))
		usage(stderr, 2);
	nlh = request(family_id, POST_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, POST_A_CONFIG);
	for (argc--, argv++; argc >= 2; argc -= 2, argv += 2) {
		unsigned long v;
		char *end;

		for (i = 0; i < NR_KEYS; i++)
			if (!strcmp(argv[0], config_keys[i].key))
				break;
		if (i == NR_KEYS) {
			fprintf(stderr, "postctl: unknown key %s\n", argv[0]);
			return 2;
		}
		if (config_keys[i].attr == POST_A_CONFIG_PREFER_FAMILY) {
			if (!strcmp(argv[1], "inet") || !strcmp(argv[1], "4"))
				v = AF_INET;
			else if (!strcmp(argv[1], "inet6") ||
				 !strcmp(argv[1], "6"))
				v = AF_INET6;
			else
				v = strtoul(argv[1], NULL, 0);
		} else {
			errno = 0;
			v = strtoul(argv[1], &end, 0);
			if (errno || *end || v > UINT32_MAX) {
				fprintf(stderr, "postctl: %s: bad value %s\n",
					argv[0], argv[1]);
				return 2;
			}
		}
		mnl_attr_put_u32(nlh, config_keys[i].attr, v);
	}
	mnl_attr_nest_end(nlh, nest);
	return talk(nlh, NULL, NULL, "config set") ? 1 : 0;
}

/* -- stats --------------------------------------------------------------- */

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	static const char *const names[] = {
		[POST_A_STATS_CARRIERS_CREATED] = "carriers_created",
		[POST_A_STATS_CARRIERS_ACTIVE] = "carriers_active",
		[POST_A_STATS_RACES_WON] = "races_won",
		[POST_A_STATS_RACES_FAILED] = "races_failed",
		[POST_A_STATS_MSGS_SENT] = "msgs_sent",
		[POST_A_STATS_MSGS_RECEIVED] = "msgs_received",
		[POST_A_STATS_MSGS_EXPIRED] = "msgs_expired",
		[POST_A_STATS_MSGS_ABORTED] = "msgs_aborted",
		[POST_A_STATS_PROTO_ERRORS] = "proto_errors",
		[POST_A_STATS_ASSOC_HITS] = "assoc_hits",
	};
	const struct nlattr *top, *a;
	unsigned int t;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != POST_A_STATS)
			continue;
		if (json)
			begin_row();
		first_field = true;
		mnl_attr_for_each_nested(a, top) {
			t = mnl_attr_get_type(a);
			if (t >= sizeof(names) / sizeof(names[0]) || !names[t])
				continue;
			field_u64(names[t], mnl_attr_get_u64(a));
			if (!json)
				printf("\n");
		}
		if (json)
			end_row();
	}
	return MNL_CB_OK;
}

/* -- monitor ------------------------------------------------------------- */

static __attribute__((noreturn)) int cmd_monitor(void)
{
	int n;

	if (!mcgrp_id ||
	    mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &mcgrp_id,
				  sizeof(mcgrp_id)) < 0)
		die("join the carriers group");
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("monitoring carriers\n");
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, BUF_SIZE);
		if (n < 0)
			die("receive");
		mnl_cb_run(buf, n, 0, 0, carrier_cb, NULL);
	}
}

static void enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), strchr(name, '/') ? "%s" :
		 "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *netns = NULL, *cmd;
	int opt, rc;

	if (argc > 1 && !strcmp(argv[1], "--help"))
		usage(stdout, 0);
	while ((opt = getopt(argc, argv, "jn:h")) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'n': netns = optarg; break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (optind == argc)
		usage(stderr, 2);
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (netns)
		enter_netns(netns);
	buf = malloc(BUF_SIZE);
	if (!buf)
		die("memory");
	open_family();

	if (!strcmp(cmd, "carriers") && !argc)
		rc = cmd_carriers();
	else if (!strcmp(cmd, "assoc"))
		rc = cmd_assoc(argc, argv);
	else if (!strcmp(cmd, "config"))
		rc = cmd_config(argc, argv);
	else if (!strcmp(cmd, "stats") && !argc) {
		rc = talk(request(family_id, POST_CMD_STATS_GET, 0), stats_cb,
			  NULL, "stats") ? 1 : 0;
		end_rows();
	} else if (!strcmp(cmd, "monitor") && !argc)
		rc = cmd_monitor();
	else
		usage(stderr, 2);
	mnl_socket_close(nl);
	free(buf);
	return rc;
}
