// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST associations: what a network namespace remembers of each remote
 * it raced to. An association is keyed by the remote's candidate set (the
 * addresses and ports, in any order) and holds the last winner, its
 * smoothed handshake RTT, how often each candidate failed recently and when
 * the whole entry expires (sysctl assoc_expiry_ms). A race to a known
 * remote tries the last winner first and candidates that failed recently
 * last; it still races the rest after the attempt delay.
 *
 * Entries live in a small hash table and on an LRU list, at most
 * assoc_max of them; the least recently used is evicted first. Everything
 * is freed when the namespace goes away (which module unload does for
 * every namespace).
 *
 * Locking: pn->assoc_lock (a spinlock, process context only: connect()
 * and io_work) protects the table, the list, the count and every entry.
 * Entries are allocated before it is taken and freed after it is dropped.
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/tcp.h>

#include "netlink-gen.h"
#include "post.h"

struct post_assoc {
	struct hlist_node	node;
	struct list_head	lru;
	u32			hash;
	u8			nr;
	s8			winner;	/* index into key, -1 if none */
	u8			fails[POST_MAX_CANDIDATES];
	u32			srtt_us;
	unsigned long		expires;
	struct post_cand	key[POST_MAX_CANDIDATES];	/* sorted */
};

/* The race's candidates, sorted: the same set gives the same key. */
static u32 post_assoc_key(const struct post_race *race, struct post_cand *key)
{
	int i, j;

	for (i = 0; i < race->nr; i++) {
		struct post_cand c = race->att[i].cand;

		for (j = i; j > 0 && post_cand_cmp(&key[j - 1], &c) > 0; j--)
			key[j] = key[j - 1];
		key[j] = c;
	}
	return jhash(key, race->nr * sizeof(*key), race->nr);
}

static int post_assoc_slot(const struct post_assoc *e,
			   const struct post_cand *c)
{
	int i;

	for (i = 0; i < e->nr; i++)
		if (!post_cand_cmp(&e->key[i], c))
			return i;
	return -1;
}

static void post_assoc_unlink(struct post_net *pn, struct post_assoc *e,
			      struct list_head *dead)
{
	hlist_del(&e->node);
	list_move(&e->lru, dead);
	pn->assoc_count--;
}

/* A live entry for @key, or NULL; expired ones go to @dead. */
static struct post_assoc *post_assoc_find(struct post_net *pn, u32 hash,
					  const struct post_cand *key, int nr,
					  struct list_head *dead)
{
	struct hlist_head *head = &pn->assoc_hash[hash % POST_ASSOC_BUCKETS];
	struct post_assoc *e;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(e, tmp, head, node) {
		if (e->hash != hash || e->nr != nr ||
		    memcmp(e->key, key, nr * sizeof(*key)))
			continue;
		if (time_after_eq(jiffies, e->expires)) {
			post_assoc_unlink(pn, e, dead);
			return NULL;
		}
		return e;
	}
	return NULL;
}

static void post_assoc_free_list(struct list_head *dead)
{
	struct post_assoc *e, *tmp;

	list_for_each_entry_safe(e, tmp, dead, lru)
		kfree(e);
}

/* Reorder a race that has not started: last winner first, failures last. */
void post_assoc_order(struct net *net, struct post_race *race)
{
	struct post_net *pn = post_pernet(net);
	struct post_cand key[POST_MAX_CANDIDATES];
	u8 fails[POST_MAX_CANDIDATES] = {};
	struct post_cand winner;
	struct post_assoc *e;
	bool hit = false;
	LIST_HEAD(dead);
	int i, n = 0, s;
	u32 hash;

	if (!READ_ONCE(pn->assoc_expiry_ms) || !READ_ONCE(pn->assoc_max)) {
		post_assoc_flush(pn);	/* the cache is off: forget it all */
		return;
	}
	if (race->nr < 2)
		return;
	hash = post_assoc_key(race, key);

	spin_lock(&pn->assoc_lock);
	e = post_assoc_find(pn, hash, key, race->nr, &dead);
	if (e) {
		list_move_tail(&e->lru, &pn->assoc_lru);
		for (i = 0; i < race->nr; i++) {
			s = post_assoc_slot(e, &race->att[i].cand);
			fails[i] = s < 0 ? 0 : e->fails[s];
		}
		if (e->winner >= 0) {
			winner = e->key[e->winner];
			race->assoc_srtt_us = e->srtt_us;
			hit = true;
		}
	}
	spin_unlock(&pn->assoc_lock);
	post_assoc_free_list(&dead);
	if (!e)
		return;

	/* key is not needed any more: it holds the race's order now */
	for (i = 0; i < race->nr; i++)
		key[i] = race->att[i].cand;
	for (i = 0; hit && i < race->nr; i++) {
		if (!post_cand_cmp(&key[i], &winner)) {
			race->att[n++].cand = key[i];
			fails[i] = U8_MAX;	/* placed */
			race->assoc_hit = true;
			post_stat_add(POST_STAT_ASSOC_HITS, 1);
		}
	}
	for (i = 0; i < race->nr; i++)
		if (!fails[i])
			race->att[n++].cand = key[i];
	for (i = 0; i < race->nr; i++)
		if (fails[i] && fails[i] != U8_MAX)
			race->att[n++].cand = key[i];
}

/* Remember a race's outcome: its winner and RTT, or what failed. */
void post_assoc_learn(struct net *net, struct post_race *race)
{
	struct post_net *pn = post_pernet(net);
	int expiry = READ_ONCE(pn->assoc_expiry_ms);
	int max = READ_ONCE(pn->assoc_max);
	struct post_assoc *e, *fresh;
	LIST_HEAD(dead);
	u32 hash, srtt = 0;
	int i, s;

	if (!expiry || !max) {
		post_assoc_flush(pn);
		return;
	}
	/* one candidate has no order to remember */
	if (race->bound || race->nr < 2)
		return;
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return;
	fresh->nr = race->nr;
	fresh->winner = -1;
	hash = post_assoc_key(race, fresh->key);
	fresh->hash = hash;
	if (race->winner >= 0) {
		struct sock *tsk = race->ps->tsock->sk;

		srtt = tcp_sk(tsk)->srtt_us >> 3;
	}

	spin_lock(&pn->assoc_lock);
	e = post_assoc_find(pn, hash, fresh->key, fresh->nr, &dead);
	if (!e) {
		e = fresh;
		fresh = NULL;
		hlist_add_head(&e->node,
			       &pn->assoc_hash[hash % POST_ASSOC_BUCKETS]);
		list_add_tail(&e->lru, &pn->assoc_lru);
		pn->assoc_count++;
	} else {
		list_move_tail(&e->lru, &pn->assoc_lru);
	}
	/* evict the least recently used (assoc_max may have been lowered) */
	while (pn->assoc_count > max)
		post_assoc_unlink(pn, list_first_entry(&pn->assoc_lru,
						       struct post_assoc, lru),
				  &dead);

	for (i = 0; i < race->next; i++) {
		const struct post_attempt *a = &race->att[i];

		s = post_assoc_slot(e, &a->cand);
		if (a->state == POST_ATTEMPT_FAILED && e->fails[s] < U8_MAX - 1)
			e->fails[s]++;
		if (a->state == POST_ATTEMPT_FAILED && e->winner == s)
			e->winner = -1;
	}
	if (race->winner >= 0) {
		s = post_assoc_slot(e, &race->att[race->winner].cand);
		/* a smoothed RTT, as TCP's: 7/8 of the old, 1/8 of the new */
		if (e->winner == s && e->srtt_us)
			e->srtt_us = e->srtt_us - (e->srtt_us >> 3) + (srtt >> 3);
		else
			e->srtt_us = srtt;
		e->winner = s;
		e->fails[s] = 0;
	}
	e->expires = jiffies + msecs_to_jiffies(expiry);
	spin_unlock(&pn->assoc_lock);

	post_assoc_free_list(&dead);
	kfree(fresh);
}

void post_assoc_flush(struct post_net *pn)
{
	struct post_assoc *e, *tmp;
	LIST_HEAD(dead);

	spin_lock(&pn->assoc_lock);
	list_for_each_entry_safe(e, tmp, &pn->assoc_lru, lru)
		post_assoc_unlink(pn, e, &dead);
	spin_unlock(&pn->assoc_lock);
	post_assoc_free_list(&dead);
}

/*
 * Netlink: the namespace's associations, most recently used last, from the
 * cb->args[0]-th on. Filled under the lock: nla_put() does not sleep.
 */
int post_assoc_dump(struct post_net *pn, struct sk_buff *skb,
		    struct netlink_callback *cb)
{
	unsigned long now = jiffies;
	struct post_assoc *e;
	struct nlattr *nest;
	long idx = 0;
	int i, err = 0;

	spin_lock(&pn->assoc_lock);
	list_for_each_entry(e, &pn->assoc_lru, lru) {
		u32 fails = 0;
		void *hdr;

		if (idx++ < cb->args[0])
			continue;
		hdr = post_nl_dump_put(skb, cb, POST_CMD_ASSOC_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		nest = nla_nest_start(skb, POST_A_ASSOC);
		if (!nest) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		for (i = 0; i < e->nr; i++) {
			fails += e->fails[i];
			err = post_nl_put_addr(skb, POST_A_ASSOC_CANDIDATE,
					       &e->key[i].sa);
			if (err)
				break;
		}
		if (!err && e->winner >= 0)
			err = post_nl_put_addr(skb, POST_A_ASSOC_WINNER,
					       &e->key[e->winner].sa);
		if (err ||
		    nla_put_u32(skb, POST_A_ASSOC_SRTT_US, e->srtt_us) ||
		    nla_put_u32(skb, POST_A_ASSOC_EXPIRES_MS,
				time_after(e->expires, now) ?
				jiffies_to_msecs(e->expires - now) : 0) ||
		    nla_put_u32(skb, POST_A_ASSOC_FAILURES, fails)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	spin_unlock(&pn->assoc_lock);
	/* a full skb: the dump goes on in the next one */
	return err == -EMSGSIZE && skb->len ? skb->len : err;
}
