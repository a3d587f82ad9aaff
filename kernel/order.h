/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_POST send order: which queued message sends its next frame.
 *
 * Rule (documented in uapi/linux/post.h): the lowest niceness first.
 * Within one niceness, messages keep their submission order (TAPS
 * msgOrdered), except that a message marked unordered moves ahead of the
 * messages queued before it for as long as their deadlines are later than
 * its own (none is latest; a tie does not move it). One list per niceness
 * in that order: an ordered message joins at the tail, an unordered one
 * walks from the tail towards the head past later deadlines.
 *
 * Eligibility (antecedents, the peer's limits) is the caller's: the choice
 * is the first eligible entry of the first list that has one, but an
 * ordered entry that is not eligible holds back every ordered entry after
 * it in its list (an unordered one may still go), so that order is kept.
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
	bool			unordered;	/* may pass by deadline */
};

struct post_queue {
	struct list_head	nice[POST_NICE_LEVELS];
	u32			count;
};

void post_queue_init(struct post_queue *q);
void post_queue_add(struct post_queue *q, struct post_qent *e);
void post_queue_add_head(struct post_queue *q, struct post_qent *e);
void post_queue_del(struct post_queue *q, struct post_qent *e);
struct post_qent *post_queue_pick(struct post_queue *q,
				  bool (*eligible)(struct post_qent *e,
						   void *arg),
				  void *arg);

#endif /* _POST_ORDER_H */
