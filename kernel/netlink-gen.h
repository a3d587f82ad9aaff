/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/post.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_POST_GEN_H
#define _LINUX_POST_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/post_netlink.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>

/* Common nested types */
extern const struct nla_policy post_config_nl_policy[POST_A_CONFIG_ASSOC_MAX + 1];

/* Global operation policy for post */
extern const struct nla_policy post_nl_policy[POST_A_CONFIG + 1];

/* Ops table for post */
extern const struct genl_small_ops post_nl_ops[6];

int post_nl_carrier_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int post_nl_assoc_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int post_nl_assoc_flush_doit(struct sk_buff *skb, struct genl_info *info);
int post_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info);
int post_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info);
int post_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	POST_NLGRP_CARRIERS,
};

#endif /* _LINUX_POST_GEN_H */
