// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST generic netlink family "post": dump carriers and associations,
 * flush associations, get and set the namespace's defaults, read the
 * module's counters, and a multicast group that hears carriers being
 * established and closed. The attributes, the global policy and the ops
 * table come from Documentation/netlink/specs/post.yaml through the
 * kernel's ynl-gen-c.py (netlink-gen.c, uapi/linux/post_netlink.h); they
 * are compiled here because the generator leaves the multicast groups
 * static. The family is .netnsok: every request acts on the caller's
 * namespace, except the counters, which are module-wide.
 *
 * Locking: a carrier dump takes references on a batch of carriers under the
 * namespace's socks_lock, drops the lock and fills each message under
 * lock_sock(carrier), skipping carriers closed meanwhile (SOCK_DEAD: their
 * teardown runs unlocked). It resumes after the last carrier's net_id, so
 * carriers closing meanwhile do not make it skip others. Notifications
 * are sent by their callers with lock_sock(carrier) held. A config-set
 * request is validated whole before any value is written (WRITE_ONCE).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "netlink-gen.c"
#include "post.h"

DEFINE_PER_CPU(struct post_stats, post_stats);

static struct genl_family post_nl_family __ro_after_init = {
	.name		= POST_FAMILY_NAME,
	.version	= POST_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.maxattr	= POST_A_CONFIG,
	.policy		= post_nl_policy,
	.small_ops	= post_nl_ops,
	.n_small_ops	= ARRAY_SIZE(post_nl_ops),
	.mcgrps		= post_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(post_nl_mcgrps),
};

/* A message header of a dump, for the requester. */
void *post_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
		       u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &post_nl_family, NLM_F_MULTI, cmd);
}

/* An address as a nest of family, ip and port. */
int post_nl_put_addr(struct sk_buff *skb, int type, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const struct sockaddr_in *sin = (const void *)sa;
	struct nlattr *nest;
	int err;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return 0;
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (sa->sa_family == AF_INET)
		err = nla_put_u16(skb, POST_A_ADDR_FAMILY, AF_INET) ||
		      nla_put(skb, POST_A_ADDR_IP, 4, &sin->sin_addr) ||
		      nla_put_u16(skb, POST_A_ADDR_PORT, ntohs(sin->sin_port));
	else
		err = nla_put_u16(skb, POST_A_ADDR_FAMILY, AF_INET6) ||
		      nla_put(skb, POST_A_ADDR_IP, 16, &sin6->sin6_addr) ||
		      nla_put_u16(skb, POST_A_ADDR_PORT,
				  ntohs(sin6->sin6_port));
	if (err) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int post_nl_put_race(struct sk_buff *skb, struct post_sock *ps)
{
	struct post_race_info *ri;
	struct nlattr *nest;
	int i, err = 0;

	if (!ps->race)
		return 0;
	ri = kmalloc(sizeof(*ri), GFP_KERNEL);
	if (!ri)
		return -ENOMEM;
	post_race_info(ps, ri);
	for (i = 0; i < ri->nr_attempts && !err; i++)
		err = post_nl_put_addr(skb, POST_A_CARRIER_CANDIDATE,
				       (struct sockaddr *)&ri->attempts[i].addr);
	if (err)
		goto out;
	nest = nla_nest_start(skb, POST_A_CARRIER_RACE);
	if (!nest ||
	    nla_put_u32(skb, POST_A_RACE_ATTEMPTS, ri->nr_attempts) ||
	    nla_put_s32(skb, POST_A_RACE_WINNER, ri->winner) ||
	    nla_put_u32(skb, POST_A_RACE_ELAPSED_US, ri->elapsed_us) ||
	    nla_put_u32(skb, POST_A_RACE_ERROR, ri->error) ||
	    ((ri->flags & POST_RACE_ASSOC) &&
	     nla_put_flag(skb, POST_A_RACE_ASSOC))) {
		err = -EMSGSIZE;
		goto out;
	}
	nla_nest_end(skb, nest);
out:
	kfree(ri);
	return err;
}

/* Per niceness: the messages and bytes waiting to be sent. */
static int post_nl_put_queued(struct sk_buff *skb, struct post_sock *ps)
{
	struct list_head *pos;
	struct nlattr *nest;
	u32 n;
	int i;

	for (i = 0; i < POST_NICE_LEVELS; i++) {
		n = 0;
		list_for_each(pos, &ps->tx.queue.nice[i])
			n++;
		if (!n)
			continue;
		nest = nla_nest_start(skb, POST_A_CARRIER_QUEUED);
		if (!nest ||
		    nla_put_u8(skb, POST_A_QUEUED_NICENESS, i) ||
		    nla_put_u32(skb, POST_A_QUEUED_MSGS, n) ||
		    nla_put_u32(skb, POST_A_QUEUED_BYTES,
				ps->tx.nice_queued[i]))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/* The transient's own addresses: the local one and the peer (winner). */
static int post_nl_put_addrs(struct sk_buff *skb, struct post_sock *ps)
{
	struct sockaddr_storage ss;
	int err;

	if (!ps->tsock)
		return 0;
	if (kernel_getsockname(ps->tsock, (struct sockaddr *)&ss) >= 0) {
		err = post_nl_put_addr(skb, POST_A_CARRIER_LOCAL,
				       (struct sockaddr *)&ss);
		if (err)
			return err;
	}
	if (ps->sk.sk_state != TCP_ESTABLISHED)
		return 0;
	if (kernel_getpeername(ps->tsock, (struct sockaddr *)&ss) < 0)
		return 0;
	return post_nl_put_addr(skb, POST_A_CARRIER_REMOTE,
				(struct sockaddr *)&ss);
}

/* One carrier message; called under lock_sock(carrier). */
static int post_nl_fill_carrier(struct sk_buff *skb, struct post_sock *ps,
				u32 portid, u32 seq, int flags, u8 cmd)
{
	struct sock *sk = &ps->sk;
	struct nlattr *nest;
	void *hdr;
	int err = -EMSGSIZE;

	hdr = genlmsg_put(skb, portid, seq, &post_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, POST_A_CARRIER);
	if (!nest)
		goto cancel;
	if (nla_put_u64_64bit(skb, POST_A_CARRIER_INO,
			      sk->sk_socket ? sock_i_ino(sk) : 0, 0) ||
	    nla_put_u32(skb, POST_A_CARRIER_TYPE, sk->sk_type) ||
	    nla_put_u32(skb, POST_A_CARRIER_STATE, sk->sk_state))
		goto cancel;
	err = post_nl_put_addrs(skb, ps);
	if (!err)
		err = post_nl_put_race(skb, ps);
	if (!err)
		err = post_nl_put_queued(skb, ps);
	if (err)
		goto cancel;
	err = -EMSGSIZE;
	if (nla_put_u64_64bit(skb, POST_A_CARRIER_TX_BYTES, ps->tx.bytes, 0) ||
	    nla_put_u64_64bit(skb, POST_A_CARRIER_RX_BYTES, ps->rx.bytes, 0) ||
	    nla_put_u64_64bit(skb, POST_A_CARRIER_TX_MSGS, ps->tx.msgs, 0) ||
	    nla_put_u64_64bit(skb, POST_A_CARRIER_RX_MSGS, ps->rx.msgs,
			      0) ||
	    nla_put_u64_64bit(skb, POST_A_CARRIER_ACKED, ps->tx.acked, 0) ||
	    nla_put_u64_64bit(skb, POST_A_CARRIER_EXPIRED, ps->tx.expired,
			      0) ||
	    nla_put_u64_64bit(skb, POST_A_CARRIER_ABORTED, ps->tx.aborted,
			      0) ||
	    nla_put_u64_64bit(skb, POST_A_CARRIER_RX_EXPIRED, ps->rx.expired,
			      0) ||
	    nla_put_u32(skb, POST_A_CARRIER_PROTO_ERRORS, ps->rx.proto_errors) ||
	    nla_put_u32(skb, POST_A_CARRIER_ERROR, READ_ONCE(sk->sk_err)))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return err;	/* -EMSGSIZE: no room; -ENOMEM */
}

#define POST_NL_BATCH	16

/* Up to POST_NL_BATCH carriers after net_id @after, with references. */
static int post_nl_carriers_after(struct post_net *pn, u64 after,
				  struct post_sock **batch)
{
	struct post_sock *ps;
	int n = 0;

	spin_lock_bh(&pn->socks_lock);
	list_for_each_entry(ps, &pn->socks, net_node) {
		if (ps->net_id <= after)
			continue;
		sock_hold(&ps->sk);
		batch[n++] = ps;
		if (n == POST_NL_BATCH)
			break;
	}
	spin_unlock_bh(&pn->socks_lock);
	return n;
}

/* One carrier of a dump, unless it closed meanwhile; advances the cursor. */
static int post_nl_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
			    struct post_sock *ps)
{
	int err = 0;

	lock_sock(&ps->sk);
	if (!sock_flag(&ps->sk, SOCK_DEAD))
		err = post_nl_fill_carrier(skb, ps, NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI,
					   POST_CMD_CARRIER_GET);
	release_sock(&ps->sk);
	if (!err)
		cb->args[0] = ps->net_id;
	return err;
}

int post_nl_carrier_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct post_net *pn = post_pernet(sock_net(skb->sk));
	struct post_sock *batch[POST_NL_BATCH];
	int i, n, err = 0;

	while (!err && (n = post_nl_carriers_after(pn, cb->args[0], batch))) {
		for (i = 0; i < n; i++) {
			if (!err)
				err = post_nl_dump_one(skb, cb, batch[i]);
			sock_put(&batch[i]->sk);
		}
	}
	/* a full skb: the dump goes on in the next one */
	return err == -EMSGSIZE && skb->len ? skb->len : err;
}

static void post_nl_notify(struct post_sock *ps)
{
	struct net *net = sock_net(&ps->sk);
	struct sk_buff *skb;

	if (!genl_has_listeners(&post_nl_family, net, POST_NLGRP_CARRIERS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		goto lost;
	if (post_nl_fill_carrier(skb, ps, 0, 0, 0, POST_CMD_CARRIER_NTF)) {
		nlmsg_free(skb);
		goto lost;
	}
	genlmsg_multicast_netns(&post_nl_family, net, skb, 0,
				POST_NLGRP_CARRIERS, GFP_KERNEL);
	return;
lost:	/* listeners learn that they missed an event */
	genl_set_err(&post_nl_family, net, 0, POST_NLGRP_CARRIERS, -ENOBUFS);
}

/* Carrier established; under lock_sock(carrier), process context. */
void post_nl_established(struct post_sock *ps)
{
	sock_owned_by_me(&ps->sk);
	ps->announced = true;
	post_nl_notify(ps);
}

/* An established carrier closed or failed: once, as it was announced. */
void post_nl_closed(struct post_sock *ps)
{
	if (!ps->announced)
		return;
	ps->announced = false;
	post_nl_notify(ps);
}

int post_nl_assoc_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return post_assoc_dump(post_pernet(sock_net(skb->sk)), skb, cb);
}

int post_nl_assoc_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	post_assoc_flush(post_pernet(genl_info_net(info)));
	return 0;
}

int post_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct post_net *pn = post_pernet(genl_info_net(info));
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &post_nl_family, 0,
				POST_CMD_CONFIG_GET);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, POST_A_CONFIG);
	if (!nest ||
	    nla_put_u32(msg, POST_A_CONFIG_ATTEMPT_DELAY_MS,
			READ_ONCE(pn->attempt_delay_ms)) ||
	    nla_put_u32(msg, POST_A_CONFIG_PREFER_FAMILY,
			READ_ONCE(pn->prefer_ipv6) ? AF_INET6 : AF_INET) ||
	    nla_put_u32(msg, POST_A_CONFIG_CHUNK_SIZE,
			READ_ONCE(pn->chunk_size)) ||
	    nla_put_u32(msg, POST_A_CONFIG_MAX_MSG_SIZE,
			READ_ONCE(pn->max_msg_size)) ||
	    nla_put_u32(msg, POST_A_CONFIG_ASSOC_EXPIRY_MS,
			READ_ONCE(pn->assoc_expiry_ms)) ||
	    nla_put_u32(msg, POST_A_CONFIG_ASSOC_MAX,
			READ_ONCE(pn->assoc_max)))
		goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int post_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct post_net *pn = post_pernet(genl_info_net(info));
	struct nlattr *tb[POST_A_CONFIG_MAX + 1];
	struct nlattr *a;
	int err, i, n = 0;

	if (GENL_REQ_ATTR_CHECK(info, POST_A_CONFIG)) {
		NL_SET_ERR_MSG(info->extack, "the config nest is missing");
		return -EINVAL;
	}
	/* the global policy validated the nest against the config policy */
	err = nla_parse_nested(tb, POST_A_CONFIG_MAX, info->attrs[POST_A_CONFIG],
			       post_config_nl_policy, info->extack);
	if (err)
		return err;
	for (i = 1; i <= POST_A_CONFIG_MAX; i++)
		n += !!tb[i];
	if (!n) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[POST_A_CONFIG],
				    "no setting to change");
		return -EINVAL;
	}
	a = tb[POST_A_CONFIG_PREFER_FAMILY];
	if (a && nla_get_u32(a) != AF_INET && nla_get_u32(a) != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "prefer-family must be AF_INET or AF_INET6");
		return -EINVAL;
	}

	if (tb[POST_A_CONFIG_ATTEMPT_DELAY_MS])
		WRITE_ONCE(pn->attempt_delay_ms,
			   nla_get_u32(tb[POST_A_CONFIG_ATTEMPT_DELAY_MS]));
	if (a)
		WRITE_ONCE(pn->prefer_ipv6, nla_get_u32(a) == AF_INET6);
	if (tb[POST_A_CONFIG_CHUNK_SIZE])
		WRITE_ONCE(pn->chunk_size,
			   nla_get_u32(tb[POST_A_CONFIG_CHUNK_SIZE]));
	if (tb[POST_A_CONFIG_MAX_MSG_SIZE])
		WRITE_ONCE(pn->max_msg_size,
			   nla_get_u32(tb[POST_A_CONFIG_MAX_MSG_SIZE]));
	if (tb[POST_A_CONFIG_ASSOC_EXPIRY_MS])
		WRITE_ONCE(pn->assoc_expiry_ms,
			   nla_get_u32(tb[POST_A_CONFIG_ASSOC_EXPIRY_MS]));
	if (tb[POST_A_CONFIG_ASSOC_MAX])
		WRITE_ONCE(pn->assoc_max,
			   nla_get_u32(tb[POST_A_CONFIG_ASSOC_MAX]));
	return 0;
}

int post_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const int attr[POST_STAT_MAX] = {
		[POST_STAT_CARRIERS_CREATED]	= POST_A_STATS_CARRIERS_CREATED,
		[POST_STAT_CARRIERS_ACTIVE]	= POST_A_STATS_CARRIERS_ACTIVE,
		[POST_STAT_RACES_WON]		= POST_A_STATS_RACES_WON,
		[POST_STAT_RACES_FAILED]	= POST_A_STATS_RACES_FAILED,
		[POST_STAT_MSGS_SENT]		= POST_A_STATS_MSGS_SENT,
		[POST_STAT_MSGS_RECEIVED]	= POST_A_STATS_MSGS_RECEIVED,
		[POST_STAT_MSGS_EXPIRED]	= POST_A_STATS_MSGS_EXPIRED,
		[POST_STAT_MSGS_ABORTED]	= POST_A_STATS_MSGS_ABORTED,
		[POST_STAT_PROTO_ERRORS]	= POST_A_STATS_PROTO_ERRORS,
		[POST_STAT_ASSOC_HITS]		= POST_A_STATS_ASSOC_HITS,
	};
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	int i, cpu;
	u64 sum;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &post_nl_family, 0,
				POST_CMD_STATS_GET);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, POST_A_STATS);
	if (!nest)
		goto nospace;
	for (i = 0; i < POST_STAT_MAX; i++) {
		sum = 0;	/* carriers-active: +1s and -1s, on any CPU */
		for_each_possible_cpu(cpu)
			sum += per_cpu(post_stats, cpu).v[i];
		if (nla_put_u64_64bit(msg, attr[i], sum, 0))
			goto nospace;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int post_netlink_init(void)
{
	return genl_register_family(&post_nl_family);
}

void post_netlink_exit(void)
{
	genl_unregister_family(&post_nl_family);
}
