// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kernel/order.c, the send scheduler's ordering, built in
 * userspace: niceness first, then earliest deadline, then submission
 * order; eligibility (antecedents) skips entries without reordering; and a
 * randomized comparison against a reference sort.
 */
#include <stdlib.h>
#include <string.h>

#include "order.h"
#include "kselftest_harness.h"

static struct post_qent *ent(struct post_qent *e, u64 id, u8 nice, u64 dl)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->niceness = nice;
	e->deadline = dl;
	return e;
}

/* Pick and remove everything, recording the ids in order. */
static int drain(struct post_queue *q, u64 *ids)
{
	struct post_qent *e;
	int n = 0;

	while ((e = post_queue_pick(q, NULL, NULL))) {
		ids[n++] = e->id;
		post_queue_del(q, e);
	}
	return n;
}

TEST(niceness_first)
{
	struct post_qent e[4];
	struct post_queue q;
	u64 ids[4];

	post_queue_init(&q);
	post_queue_add(&q, ent(&e[0], 1, 7, 10));	/* urgent deadline */
	post_queue_add(&q, ent(&e[1], 2, 3, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[2], 3, 0, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[3], 4, 5, 1));
	ASSERT_EQ(4, q.count);
	ASSERT_EQ(4, drain(&q, ids));
	ASSERT_EQ(3, ids[0]);
	ASSERT_EQ(2, ids[1]);
	ASSERT_EQ(4, ids[2]);
	ASSERT_EQ(1, ids[3]);
	ASSERT_EQ(0, q.count);
}

TEST(earliest_deadline_within_niceness)
{
	struct post_qent e[5];
	struct post_queue q;
	u64 ids[5];

	post_queue_init(&q);
	post_queue_add(&q, ent(&e[0], 1, 2, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[1], 2, 2, 300));
	post_queue_add(&q, ent(&e[2], 3, 2, 100));
	post_queue_add(&q, ent(&e[3], 4, 2, 200));
	post_queue_add(&q, ent(&e[4], 5, 2, 100));	/* tie: by id */
	ASSERT_EQ(5, drain(&q, ids));
	ASSERT_EQ(3, ids[0]);
	ASSERT_EQ(5, ids[1]);
	ASSERT_EQ(4, ids[2]);
	ASSERT_EQ(2, ids[3]);
	ASSERT_EQ(1, ids[4]);
}

TEST(submission_order_breaks_ties)
{
	struct post_qent e[64];
	struct post_queue q;
	u64 ids[64];
	int i;

	post_queue_init(&q);
	for (i = 0; i < 64; i++)
		post_queue_add(&q, ent(&e[i], i + 1, 4, POST_NO_DEADLINE));
	ASSERT_EQ(64, drain(&q, ids));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(i + 1, ids[i]);
}

static bool odd_only(struct post_qent *e, void *arg)
{
	int *calls = arg;

	(*calls)++;
	return e->id & 1;
}

TEST(ineligible_entries_are_skipped_not_reordered)
{
	struct post_qent e[4], *got;
	struct post_queue q;
	int calls = 0;

	post_queue_init(&q);
	post_queue_add(&q, ent(&e[0], 2, 0, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[1], 4, 1, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[2], 3, 6, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[3], 1, 7, POST_NO_DEADLINE));
	got = post_queue_pick(&q, odd_only, &calls);
	ASSERT_EQ(3, got->id);
	ASSERT_EQ(3, calls);
	post_queue_del(&q, &e[0]);	/* once 2 goes, nothing changes */
	got = post_queue_pick(&q, odd_only, &calls);
	ASSERT_EQ(3, got->id);
	/* when nothing is eligible, nothing is picked */
	post_queue_del(&q, &e[2]);
	post_queue_del(&q, &e[3]);
	ASSERT_EQ(NULL, post_queue_pick(&q, odd_only, &calls));
	ASSERT_EQ(1, q.count);
}

TEST(before_is_a_strict_order)
{
	struct post_qent a, b;

	ent(&a, 1, 3, 100);
	ent(&b, 2, 3, 100);
	ASSERT_TRUE(post_qent_before(&a, &b));
	ASSERT_FALSE(post_qent_before(&b, &a));
	ASSERT_FALSE(post_qent_before(&a, &a));
	ent(&b, 2, 2, POST_NO_DEADLINE);
	ASSERT_TRUE(post_qent_before(&b, &a));
}

static int ref_cmp(const void *x, const void *y)
{
	const struct post_qent *a = *(struct post_qent * const *)x;
	const struct post_qent *b = *(struct post_qent * const *)y;

	if (a->niceness != b->niceness)
		return a->niceness < b->niceness ? -1 : 1;
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Random inserts and removals; the order always matches a full sort. */
TEST(random_against_reference)
{
	enum { N = 2000 };
	static struct post_qent e[N];
	static struct post_qent *ref[N];
	static u64 ids[N];
	unsigned int seed = 7;
	struct post_queue q;
	int i, n = 0, round;

	for (round = 0; round < 20; round++) {
		post_queue_init(&q);
		n = 0;
		for (i = 0; i < N; i++) {
			u64 dl = rand_r(&seed) % 4 ? rand_r(&seed) % 50 :
						     POST_NO_DEADLINE;

			ent(&e[i], i + 1, rand_r(&seed) % POST_NICE_LEVELS, dl);
			post_queue_add(&q, &e[i]);
			/* remove a random queued entry now and then */
			if (rand_r(&seed) % 5 == 0) {
				int k = rand_r(&seed) % (i + 1);

				if (e[k].list.next && !list_empty(&e[k].list)) {
					post_queue_del(&q, &e[k]);
					e[k].list.next = NULL;
				}
			}
		}
		for (i = 0; i < N; i++)
			if (e[i].list.next)
				ref[n++] = &e[i];
		qsort(ref, n, sizeof(ref[0]), ref_cmp);
		ASSERT_EQ(n, q.count);
		ASSERT_EQ(n, drain(&q, ids));
		for (i = 0; i < n; i++)
			ASSERT_EQ(ref[i]->id, ids[i]);
	}
}

TEST_HARNESS_MAIN
