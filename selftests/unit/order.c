// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kernel/order.c, the send scheduler's ordering, built in
 * userspace: niceness first, then submission order, which only messages
 * marked unordered may leave by their deadline; eligibility skips
 * entries, an ineligible ordered one holding back the ordered ones after
 * it; and a randomized comparison against a reference model.
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

static struct post_qent *uent(struct post_qent *e, u64 id, u8 nice, u64 dl)
{
	ent(e, id, nice, dl)->unordered = true;
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

/* Deadlines do not reorder messages that keep their order (the default). */
TEST(send_order_within_niceness_whatever_the_deadlines)
{
	struct post_qent e[5];
	struct post_queue q;
	u64 ids[5];
	int i;

	post_queue_init(&q);
	post_queue_add(&q, ent(&e[0], 1, 2, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[1], 2, 2, 300));
	post_queue_add(&q, ent(&e[2], 3, 2, 100));
	post_queue_add(&q, ent(&e[3], 4, 2, 200));
	post_queue_add(&q, ent(&e[4], 5, 2, 100));
	ASSERT_EQ(5, drain(&q, ids));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(i + 1, ids[i]);
}

TEST(unordered_earliest_deadline_within_niceness)
{
	struct post_qent e[5];
	struct post_queue q;
	u64 ids[5];

	post_queue_init(&q);
	post_queue_add(&q, uent(&e[0], 1, 2, POST_NO_DEADLINE));
	post_queue_add(&q, uent(&e[1], 2, 2, 300));
	post_queue_add(&q, uent(&e[2], 3, 2, 100));
	post_queue_add(&q, uent(&e[3], 4, 2, 200));
	post_queue_add(&q, uent(&e[4], 5, 2, 100));	/* tie: by id */
	ASSERT_EQ(5, drain(&q, ids));
	ASSERT_EQ(3, ids[0]);
	ASSERT_EQ(5, ids[1]);
	ASSERT_EQ(4, ids[2]);
	ASSERT_EQ(2, ids[3]);
	ASSERT_EQ(1, ids[4]);
}

/* An unordered message passes later deadlines, never an earlier one. */
TEST(unordered_stops_at_an_earlier_deadline)
{
	struct post_qent e[4];
	struct post_queue q;
	u64 ids[4];

	post_queue_init(&q);
	post_queue_add(&q, ent(&e[0], 1, 1, 100));
	post_queue_add(&q, ent(&e[1], 2, 1, 10));
	post_queue_add(&q, ent(&e[2], 3, 1, POST_NO_DEADLINE));
	post_queue_add(&q, uent(&e[3], 4, 1, 50));
	ASSERT_EQ(4, drain(&q, ids));
	ASSERT_EQ(1, ids[0]);
	ASSERT_EQ(2, ids[1]);
	ASSERT_EQ(4, ids[2]);	/* past 3 (none), not past 2 (10) */
	ASSERT_EQ(3, ids[3]);
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

static bool not_id_2(struct post_qent *e, void *arg)
{
	return e->id != 2;
}

/* An ordered message that may not go holds back later ordered ones. */
TEST(ineligible_ordered_holds_back_its_niceness)
{
	struct post_qent e[5], *got;
	struct post_queue q;

	post_queue_init(&q);
	post_queue_add(&q, ent(&e[0], 2, 3, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[1], 3, 3, POST_NO_DEADLINE));
	post_queue_add(&q, ent(&e[2], 4, 5, POST_NO_DEADLINE));
	got = post_queue_pick(&q, not_id_2, NULL);
	ASSERT_EQ(4, got->id);	/* 3 waits behind 2; nicer 4 may go */
	post_queue_add(&q, uent(&e[3], 5, 3, POST_NO_DEADLINE));
	got = post_queue_pick(&q, not_id_2, NULL);
	ASSERT_EQ(5, got->id);	/* an unordered one is not held */
}

/*
 * Reference model: per niceness an array in send order; an unordered
 * entry is swapped forward while the one before it has a later deadline.
 */
struct ref_q {
	struct post_qent *v[POST_NICE_LEVELS][2000];
	int n[POST_NICE_LEVELS];
};

static void ref_add(struct ref_q *r, struct post_qent *e)
{
	struct post_qent **v = r->v[e->niceness];
	int i = r->n[e->niceness]++;

	v[i] = e;
	while (e->unordered && i > 0 && v[i - 1]->deadline > e->deadline) {
		v[i] = v[i - 1];
		v[--i] = e;
	}
}

static void ref_del(struct ref_q *r, struct post_qent *e)
{
	struct post_qent **v = r->v[e->niceness];
	int i, n = r->n[e->niceness]--;

	for (i = 0; v[i] != e; i++)
		;
	memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(v[0]));
}

/* Random inserts and removals; the order always matches the model. */
TEST(random_against_reference)
{
	enum { N = 2000 };
	static struct post_qent e[N];
	static struct ref_q ref;
	static u64 ids[N];
	unsigned int seed = 7;
	struct post_queue q;
	int i, k, n, round;

	for (round = 0; round < 20; round++) {
		post_queue_init(&q);
		memset(&ref, 0, sizeof(ref));
		for (i = 0; i < N; i++) {
			u64 dl = rand_r(&seed) % 4 ? rand_r(&seed) % 50 :
						     POST_NO_DEADLINE;

			ent(&e[i], i + 1, rand_r(&seed) % POST_NICE_LEVELS, dl);
			e[i].unordered = rand_r(&seed) % 2;
			post_queue_add(&q, &e[i]);
			ref_add(&ref, &e[i]);
			/* remove a random queued entry now and then */
			if (rand_r(&seed) % 5 == 0) {
				k = rand_r(&seed) % (i + 1);
				if (e[k].list.next && !list_empty(&e[k].list)) {
					post_queue_del(&q, &e[k]);
					ref_del(&ref, &e[k]);
					e[k].list.next = NULL;
				}
			}
		}
		n = drain(&q, ids);
		ASSERT_EQ(0, q.count);
		for (i = 0, k = 0; i < POST_NICE_LEVELS; i++)
			for (int j = 0; j < ref.n[i]; j++, k++)
				ASSERT_EQ(ref.v[i][j]->id, ids[k]);
		ASSERT_EQ(n, k);
	}
}

TEST_HARNESS_MAIN
