/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_POST: every kernel-version difference the module meets, in one place.
 * Supported: Debian's 6.1 and 6.12 kernels.
 */
#ifndef _POST_COMPAT_H
#define _POST_COMPAT_H

#include <linux/version.h>
#include <linux/net.h>
#include <net/net_namespace.h>
#include <net/sock.h>

/* 6.10 passes accept() arguments in struct proto_accept_arg. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define POST_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg
#define POST_ACCEPT_FLAGS	(arg->flags)
#else
#define POST_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, int flags, bool kern
#define POST_ACCEPT_FLAGS	(flags)
#endif

/*
 * A kernel socket does not hold a reference on its netns; a transient must,
 * because TCP keeps it (FIN_WAIT, TIME_WAIT) after the carrier released it.
 * 6.12.y has sk_net_refcnt_upgrade(); 6.1 is open-coded as MPTCP did there.
 */
static inline void post_sk_net_refcnt_upgrade(struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	sk_net_refcnt_upgrade(sk);
#else
	struct net *net = sock_net(sk);

	sk->sk_net_refcnt = 1;
	get_net_track(net, &sk->ns_tracker, GFP_KERNEL);
	sock_inuse_add(net, 1);
#endif
}

/*
 * 6.6 sizes sysctl tables by count (register_net_sysctl_sz); 6.1 looks for
 * the empty entry that ends @table, which callers keep.
 */
static inline struct ctl_table_header *
post_register_net_sysctl(struct net *net, const char *path,
			 struct ctl_table *table, size_t count)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return register_net_sysctl_sz(net, path, table, count);
#else
	return register_net_sysctl(net, path, table);
#endif
}

#endif /* _POST_COMPAT_H */
