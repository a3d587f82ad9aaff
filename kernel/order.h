/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_POST send order: which queued message sends its next frame.
 *
 * Rule (documented in uapi/linux/post.h): among eligible messages, the
 * lowest niceness first; within one niceness the earliest deadline (none
 * is latest), then the lowest id, which is submission order. One list per
 * niceness, kept sorted, so the choice is the first eligible entry of the
 * first non-empty list.
 *
 * This file and order.c have no kernel dependencies beyond <linux/list.h>
 * and fixed-width types: the unit tests build them in userspace. No
 * locking of their own: the caller serialises (lock_sock(carrier)).
 */
#ifndef _POST_ORDER_H
#define _POST_ORDER_H

#ifdef __KERNEL__
#include <linux/list.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <linux/list.h>	/* selftests/unit/include: a userspace copy */
#include <linux/types.h>
typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
#endif

#define POST_NICE_LEVELS	8
#define POST_NO_DEADLINE	(~0ULL)

struct post_qent {
	struct list_head	list;
	u64			deadline;	/* ns, POST_NO_DEADLINE: none */
	u64			id;
	u8			niceness;	/* < POST_NICE_LEVELS */
};

struct post_queue {
	struct list_head	nice[POST_NICE_LEVELS];
	u32			count;
};

void post_queue_init(struct post_queue *q);
bool post_qent_before(const struct post_qent *a, const struct post_qent *b);
void post_queue_add(struct post_queue *q, struct post_qent *e);
void post_queue_del(struct post_queue *q, struct post_qent *e);
struct post_qent *post_queue_pick(struct post_queue *q,
				  bool (*eligible)(struct post_qent *e,
						   void *arg),
				  void *arg);

#endif /* _POST_ORDER_H */
