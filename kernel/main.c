// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST module init and exit: the family number, the proto, the
 * workqueue every carrier's io_work runs on, the per-namespace state
 * (pernet.c) and the net_proto_family that makes socket(AF_POST, ...)
 * reach socket.c.
 *
 * Locking: none of its own. Init is a linear list of steps unwound in
 * reverse; sock_register() comes last because it makes the family live,
 * and sock_unregister() comes first on exit. proto, proto_ops and the
 * family all name THIS_MODULE, so the module cannot be unloaded while a
 * socket exists.
 */
#include <linux/module.h>
#include <linux/net.h>

#include "post.h"

int post_family = POST_FAMILY_DEFAULT;
module_param_named(family, post_family, int, 0444);
MODULE_PARM_DESC(family, "address family number AF_POST registers as (default 22)");

struct workqueue_struct *post_wq;

struct proto post_proto = {
	.name			= "POST",
	.owner			= THIS_MODULE,
	.obj_size		= sizeof(struct post_sock),
	/* mem.c */
	.memory_allocated	= &post_memory_allocated,
	.sockets_allocated	= &post_sockets_allocated,
	.per_cpu_fw_alloc	= &post_memory_per_cpu_fw_alloc,
	.memory_pressure	= &post_memory_pressure,
	.sysctl_mem		= sysctl_post_mem,
	.sysctl_rmem		= sysctl_post_rmem,
	.sysctl_wmem		= sysctl_post_wmem,
	.enter_memory_pressure	= post_enter_memory_pressure,
	.leave_memory_pressure	= post_leave_memory_pressure,
};

static int post_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct sock *sk;

	if (sock->type != SOCK_SEQPACKET && sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, post_family, GFP_KERNEL, &post_proto, kern);
	if (!sk)
		return -ENOMEM;

	sock->ops = &post_seqpacket_ops;
	sock_init_data(sock, sk);
	post_sock_init(sk, NULL);
	post_sock_publish(post_sk(sk));
	return 0;
}

static struct net_proto_family post_family_ops = {
	.create	= post_create,
	.owner	= THIS_MODULE,
};

static int __init post_init(void)
{
	int err;

	if (post_family <= 0 || post_family >= NPROTO) {
		pr_err("af_post: family=%d is out of range 1..%d\n",
		       post_family, NPROTO - 1);
		return -EINVAL;
	}

	post_wq = alloc_workqueue("af_post", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!post_wq)
		return -ENOMEM;

	err = post_mem_init();
	if (err)
		goto err_wq;

	err = proto_register(&post_proto, 1);
	if (err)
		goto err_mem;

	err = post_pernet_init();
	if (err)
		goto err_proto;

	err = post_netlink_init();
	if (err)
		goto err_pernet;

	post_family_ops.family = post_family;
	err = sock_register(&post_family_ops);
	if (err) {
		pr_err("af_post: family %d is taken (%d)\n", post_family, err);
		goto err_netlink;
	}

	pr_info("af_post: AF_POST registered as family %d\n", post_family);
	return 0;

err_netlink:
	post_netlink_exit();
err_pernet:
	post_pernet_exit();
err_proto:
	proto_unregister(&post_proto);
err_mem:
	post_mem_exit();
err_wq:
	destroy_workqueue(post_wq);
	return err;
}

static void __exit post_exit(void)
{
	sock_unregister(post_family);
	post_netlink_exit();
	post_drain_exit();
	post_pernet_exit();
	destroy_workqueue(post_wq);
	proto_unregister(&post_proto);
	post_mem_exit();
}

module_init(post_init);
module_exit(post_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("AF_POST: Post Sockets message carriers");
MODULE_AUTHOR("The AF_POST developers");
