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

/* Does @a go before @b? Niceness, then deadline, then id. */
bool post_qent_before(const struct post_qent *a, const struct post_qent *b)
{
	if (a->niceness != b->niceness)
		return a->niceness < b->niceness;
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->id < b->id;
}

/*
 * Insert @e in order. New messages mostly have the highest id and no or a
 * later deadline, so the search runs from the tail.
 */
void post_queue_add(struct post_queue *q, struct post_qent *e)
{
	struct list_head *head = &q->nice[e->niceness];
	struct post_qent *pos;

	list_for_each_entry_reverse(pos, head, list) {
		if (!post_qent_before(e, pos)) {
			list_add(&e->list, &pos->list);
			q->count++;
			return;
		}
	}
	list_add(&e->list, head);
	q->count++;
}

void post_queue_del(struct post_queue *q, struct post_qent *e)
{
	list_del_init(&e->list);
	q->count--;
}

/* The first entry in order that @eligible accepts (all, if it is NULL). */
struct post_qent *post_queue_pick(struct post_queue *q,
				  bool (*eligible)(struct post_qent *e,
						   void *arg),
				  void *arg)
{
	struct post_qent *e;
	int i;

	for (i = 0; i < POST_NICE_LEVELS; i++)
		list_for_each_entry(e, &q->nice[i], list)
			if (!eligible || eligible(e, arg))
				return e;
	return NULL;
}
