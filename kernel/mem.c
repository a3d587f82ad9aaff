// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST memory the system pays for: the protocol's accounting, like
 * TCP's. What carriers hold of received messages (reassembly, complete
 * messages not yet read, EXPIRED frames waiting) is charged through the
 * socket's forward allocation to post_memory_allocated, bounded by
 * /proc/sys/net/post/mem (pages: low, pressure, high; in the initial
 * namespace, for the whole host, defaults as tcp_mem's), and to the
 * owner's memory cgroup (sk_memcg, set by sk_alloc()). /proc/net/protocols
 * shows it.
 *
 * A carrier that cannot charge what its peer sends (above the high limit,
 * or beyond its memory cgroup) is reset with ENOBUFS: what a peer sends
 * never grows kernel memory past the bounds. Messages on their way stay
 * in TCP meanwhile, under tcp_mem (scan.c).
 *
 * Locking: charges move sk_forward_alloc, so they are made under
 * lock_sock(carrier), or on an orphaned carrier nobody else touches
 * (post_destroy()).
 */
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sysctl.h>
#include <net/sock.h>

#include "compat.h"
#include "post.h"

atomic_long_t post_memory_allocated;
DEFINE_PER_CPU(int, post_memory_per_cpu_fw_alloc);
/* carriers and listeners: under pressure, each may keep its share */
struct percpu_counter post_sockets_allocated;
unsigned long post_memory_pressure;
long sysctl_post_mem[3];
/* what a carrier may always hold, even under pressure (as tcp_rmem[0]) */
int sysctl_post_rmem[3] = { 4096, 131072, 6 << 20 };
int sysctl_post_wmem[3] = { 4096, 16384, 4 << 20 };

static struct ctl_table_header *post_mem_sysctl;

static struct ctl_table post_mem_table[] = {
	{
		.procname	= "mem",
		.data		= &sysctl_post_mem,
		.maxlen		= sizeof(sysctl_post_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{ }
};

void post_enter_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(post_memory_pressure, 1);
}

void post_leave_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(post_memory_pressure, 0);
}

/*
 * The forward allocation grows by at least this much at a time. From
 * process context the memory cgroup reclaims for a charge and, when that
 * is not enough, runs its OOM killer for charges of up to
 * PAGE_ALLOC_COSTLY_ORDER (8 pages), while larger ones simply fail. What
 * a peer sends must not have the owner killed: every charge is larger,
 * and fails (ENOBUFS). What is left over serves the next charges and
 * goes back when they are uncharged (sk_mem_uncharge()) and after each
 * read of the transient (post_rx_pull()).
 */
#define POST_RMEM_STEP	(16 * PAGE_SIZE)

/*
 * Charge @size bytes of received data to @ps (socket, protocol, memory
 * cgroup); -ENOBUFS beyond the limits. Under lock_sock(carrier).
 */
int post_rmem_charge(struct post_sock *ps, u32 size)
{
	struct sock *sk = &ps->sk;

	sock_owned_by_me(sk);
	if (size > sk->sk_forward_alloc &&
	    !__sk_mem_schedule(sk, max_t(u32, size, POST_RMEM_STEP),
			       SK_MEM_RECV))
		return -ENOBUFS;
	sk_mem_charge(sk, size);
	atomic_add(size, &sk->sk_rmem_alloc);
	return 0;
}

void post_rmem_uncharge(struct post_sock *ps, u32 size)
{
	struct sock *sk = &ps->sk;

	atomic_sub(size, &sk->sk_rmem_alloc);
	sk_mem_uncharge(sk, size);
}

int post_mem_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);
	int err;

	err = percpu_counter_init(&post_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;

	/* as tcp_init_mem(): pressure at 1/16 of memory, high at 3/16 */
	sysctl_post_mem[0] = limit / 4 * 3;
	sysctl_post_mem[1] = limit;
	sysctl_post_mem[2] = sysctl_post_mem[0] * 2;
	post_mem_sysctl = post_register_net_sysctl(&init_net, "net/post",
						   post_mem_table,
						   ARRAY_SIZE(post_mem_table) -
						   1);
	if (!post_mem_sysctl) {
		percpu_counter_destroy(&post_sockets_allocated);
		return -ENOMEM;
	}
	return 0;
}

void post_mem_exit(void)
{
	unregister_net_sysctl_table(post_mem_sysctl);
	percpu_counter_destroy(&post_sockets_allocated);
}
