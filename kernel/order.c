// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST send order (rules and locking in order.h).
 */
#include "order.h"

void post_queue_init(struct post_queue *q)
{
	int i;

	for (i = 0; i < POST_NICE_LEVELS; i++)
		INIT_LIST_HEAD(&q->nice[i]);
	q->count = 0;
}

/*
 * Insert @e: an ordered entry at the tail of its niceness, an unordered
 * one after the last entry whose deadline is not later than its own.
 */
void post_queue_add(struct post_queue *q, struct post_qent *e)
{
	struct list_head *head = &q->nice[e->niceness];
	struct post_qent *pos;

	q->count++;
	if (!e->unordered) {
		list_add_tail(&e->list, head);
		return;
	}
	list_for_each_entry_reverse(pos, head, list) {
		if (pos->deadline <= e->deadline) {
			list_add(&e->list, &pos->list);
			return;
		}
	}
	list_add(&e->list, head);
}

/* Put back first in its niceness an entry that went first already. */
void post_queue_add_head(struct post_queue *q, struct post_qent *e)
{
	list_add(&e->list, &q->nice[e->niceness]);
	q->count++;
}

void post_queue_del(struct post_queue *q, struct post_qent *e)
{
	list_del_init(&e->list);
	q->count--;
}

/*
 * The first entry in order that @eligible accepts (all, if it is NULL);
 * an ordered entry it refuses holds back the ordered ones after it.
 */
struct post_qent *post_queue_pick(struct post_queue *q,
				  bool (*eligible)(struct post_qent *e,
						   void *arg),
				  void *arg)
{
	struct post_qent *e;
	bool held;
	int i;

	for (i = 0; i < POST_NICE_LEVELS; i++) {
		held = false;
		list_for_each_entry(e, &q->nice[i], list) {
			if (held && !e->unordered)
				continue;
			if (!eligible || eligible(e, arg))
				return e;
			if (!e->unordered)
				held = true;
		}
	}
	return NULL;
}
