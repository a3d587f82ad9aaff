// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST per network namespace state: the policy defaults a new socket
 * takes (sysctls under /proc/sys/net/post/, documented in
 * uapi/linux/post.h) and the association cache (assoc.c).
 *
 * Locking: sysctl values are ints written by proc handlers and read with
 * READ_ONCE. The cache has its own lock (assoc.c). Init and exit run from
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
static int post_assoc_limit = 65536;

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
