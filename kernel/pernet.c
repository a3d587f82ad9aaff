// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST per network namespace state: the policy defaults a new socket
 * takes (sysctls under /proc/sys/net/post/, documented in
 * uapi/linux/post.h, also set over netlink), the association cache
 * (assoc.c) and the list of the namespace's carriers (netlink.c).
 *
 * Locking: sysctl values are ints written by proc handlers or netlink and
 * read with READ_ONCE. The cache has its own lock (assoc.c), the carrier
 * list socks_lock (post.h). Init and exit run from
 * the pernet machinery; every carrier holds its namespace, so exit runs
 * after the last carrier of the namespace is gone.
 */
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "post.h"

static unsigned int post_net_id __read_mostly;

static int post_delay_min = POST_ATTEMPT_DELAY_MIN;
static int post_delay_max = POST_ATTEMPT_DELAY_MAX;
static int post_assoc_limit = POST_ASSOC_MAX_LIMIT;
static int post_chunk_min = POST_CHUNK_MIN;
static int post_chunk_max = POST_CHUNK_MAX;
static int post_msg_limit = POST_MAX_MSG_LIMIT;

static struct ctl_table post_sysctl_table[] = {
	{
		.procname	= "attempt_delay_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &post_delay_min,
		.extra2		= &post_delay_max,
	},
	{
		.procname	= "prefer_ipv6",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		.procname	= "assoc_expiry_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_INT_MAX,
	},
	{
		.procname	= "assoc_max",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &post_assoc_limit,
	},
	{
		.procname	= "chunk_size",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &post_chunk_min,
		.extra2		= &post_chunk_max,
	},
	{
		.procname	= "max_msg_size",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &post_msg_limit,
	},
	{ }
};

struct post_net *post_pernet(const struct net *net)
{
	return net_generic(net, post_net_id);
}

static int __net_init post_net_init(struct net *net)
{
	struct post_net *pn = post_pernet(net);
	struct ctl_table *table;

	pn->attempt_delay_ms = POST_ATTEMPT_DELAY_DEFAULT;
	pn->prefer_ipv6 = 1;
	pn->assoc_expiry_ms = 600000;
	pn->assoc_max = 256;
	pn->chunk_size = POST_CHUNK_DEFAULT;
	pn->max_msg_size = POST_MAX_MSG_DEFAULT;
	spin_lock_init(&pn->socks_lock);
	INIT_LIST_HEAD(&pn->socks);
	spin_lock_init(&pn->assoc_lock);
	INIT_LIST_HEAD(&pn->assoc_lru);
	pn->assoc_hash = kcalloc(POST_ASSOC_BUCKETS, sizeof(*pn->assoc_hash),
				 GFP_KERNEL);
	if (!pn->assoc_hash)
		return -ENOMEM;

	table = kmemdup(post_sysctl_table, sizeof(post_sysctl_table),
			GFP_KERNEL);
	if (!table)
		goto err_hash;
	table[0].data = &pn->attempt_delay_ms;
	table[1].data = &pn->prefer_ipv6;
	table[2].data = &pn->assoc_expiry_ms;
	table[3].data = &pn->assoc_max;
	table[4].data = &pn->chunk_size;
	table[5].data = &pn->max_msg_size;
	pn->sysctl = post_register_net_sysctl(net, "net/post", table,
					      ARRAY_SIZE(post_sysctl_table) - 1);
	if (!pn->sysctl)
		goto err_table;
	return 0;

err_table:
	kfree(table);
err_hash:
	kfree(pn->assoc_hash);
	return -ENOMEM;
}

static void __net_exit post_net_exit(struct net *net)
{
	struct post_net *pn = post_pernet(net);
	const struct ctl_table *table = pn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(pn->sysctl);
	kfree(table);
	post_assoc_flush(pn);
	kfree(pn->assoc_hash);
}

static struct pernet_operations post_net_ops = {
	.init	= post_net_init,
	.exit	= post_net_exit,
	.id	= &post_net_id,
	.size	= sizeof(struct post_net),
};

int post_pernet_init(void)
{
	return register_pernet_subsys(&post_net_ops);
}

void post_pernet_exit(void)
{
	unregister_pernet_subsys(&post_net_ops);
}
