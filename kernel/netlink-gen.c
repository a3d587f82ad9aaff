// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/post.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/post_netlink.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>
#include <linux/post.h>

/* Integer value ranges */
static const struct netlink_range_validation post_a_config_chunk_size_range = {
	.min	= POST_CHUNK_MIN,
	.max	= POST_CHUNK_MAX,
};

static const struct netlink_range_validation post_a_config_max_msg_size_range = {
	.min	= 1ULL,
	.max	= POST_MAX_MSG_LIMIT,
};

static const struct netlink_range_validation post_a_config_assoc_expiry_ms_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation post_a_config_assoc_max_range = {
	.max	= POST_ASSOC_MAX_LIMIT,
};

/* Common nested types */
const struct nla_policy post_config_nl_policy[POST_A_CONFIG_ASSOC_MAX + 1] = {
	[POST_A_CONFIG_ATTEMPT_DELAY_MS] = NLA_POLICY_RANGE(NLA_U32, POST_ATTEMPT_DELAY_MIN, POST_ATTEMPT_DELAY_MAX),
	[POST_A_CONFIG_PREFER_FAMILY] = { .type = NLA_U32, },
	[POST_A_CONFIG_CHUNK_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &post_a_config_chunk_size_range),
	[POST_A_CONFIG_MAX_MSG_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &post_a_config_max_msg_size_range),
	[POST_A_CONFIG_ASSOC_EXPIRY_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &post_a_config_assoc_expiry_ms_range),
	[POST_A_CONFIG_ASSOC_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32, &post_a_config_assoc_max_range),
};

/* Global operation policy for post */
const struct nla_policy post_nl_policy[POST_A_CONFIG + 1] = {
	[POST_A_CONFIG] = NLA_POLICY_NESTED(post_config_nl_policy),
};

/* Ops table for post */
const struct genl_small_ops post_nl_ops[6] = {
	{
		.cmd	= POST_CMD_CARRIER_GET,
		.dumpit	= post_nl_carrier_get_dumpit,
	},
	{
		.cmd	= POST_CMD_ASSOC_GET,
		.dumpit	= post_nl_assoc_get_dumpit,
	},
	{
		.cmd	= POST_CMD_ASSOC_FLUSH,
		.doit	= post_nl_assoc_flush_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= POST_CMD_CONFIG_GET,
		.doit	= post_nl_config_get_doit,
	},
	{
		.cmd	= POST_CMD_CONFIG_SET,
		.doit	= post_nl_config_set_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= POST_CMD_STATS_GET,
		.doit	= post_nl_stats_get_doit,
		.flags	= GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group post_nl_mcgrps[] = {
	[POST_NLGRP_CARRIERS] = { "carriers", },
};
