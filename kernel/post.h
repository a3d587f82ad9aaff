/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_POST internal definitions shared by the module's files.
 *
 * Objects: a carrier is an AF_POST socket (struct post_sock). It owns one
 * transient, an in-kernel TCP socket (ps->tsock), and exchanges framed
 * messages over it (frame.h). A listener owns a listening transient and the
 * carriers it accepted but userspace has not yet taken ("children").
 *
 * Locking, for the whole module:
 *  - lock_sock(carrier) protects all of struct post_sock unless a field says
 *    otherwise. It is taken in process context only: socket calls and the
 *    carrier's io_work (transient.c).
 *  - Transient callbacks (data_ready, write_space, state_change) run in
 *    softirq with the transient's sk_callback_lock read-held. They never
 *    parse or send: data_ready peeks at frame headers (scan.c, under the
 *    transient's socket lock) and wakes readers, who read the transient
 *    themselves, in their own context; io_work reads what no reader will.
 *    The others queue io_work.
 *  - Lock order: lock_sock(carrier) -> lock_sock(transient) (taken by
 *    kernel_sendmsg and around read_sock). Never the reverse.
 *  - A listener's lsn.lock (spinlock, process context only) protects its
 *    children and lsn.accept_q lists, each child's child.dead and lsn.listening.
 *  - The namespace's socks_lock (spinlock, _bh: the last reference on a
 *    sock, whose destructor unlinks it, may go in softirq) protects its
 *    list of carriers (net_node); netlink.c takes a reference on a carrier
 *    under it, then lock_sock() without it.
 *  - Every queued io_work and armed sk_timer holds a reference on the sock.
 *    The handshake, race and scheduler hrtimers and the ACK and receive
 *    timer_lists (rx.c, transient.c) hold none: they only queue io_work,
 *    and post_destroy() cancels them before the last reference goes.
 */
#ifndef _POST_H
#define _POST_H

#include <linux/bvec.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <linux/post.h>

#include "frame.h"
#include "order.h"

extern int post_family;
extern struct workqueue_struct *post_wq;
extern struct proto post_proto;

/* Callbacks of an inner TCP socket: ours, or the ones we replaced. */
struct post_tcp_cbs {
	void	(*data_ready)(struct sock *tsk);
	void	(*write_space)(struct sock *tsk);
	void	(*state_change)(struct sock *tsk);
};

/*
 * Send side: one frame's data, in page frags (sched.c), with room in front
 * for the frame's header; the frame is bytes head..room + len.
 */
struct post_piece {
	struct list_head	list;
	u32			len;		/* data bytes */
	u16			room;		/* bytes before them */
	u16			head;		/* the frame's first byte */
	u32			truesize;	/* what it costs, as charged */
	u8			nr;		/* bvecs */
	struct bio_vec		bv[];
};

/*
 * Receive side (rx.c): a run of a frame's payload, either kept in the
 * pages TCP received it in (@skb: its own skb referencing them) or
 * copied into @data.
 */
struct post_rxp {
	struct list_head	list;
	u32			len;
	u32			truesize;	/* what it costs, as charged */
	u8			*data;		/* NULL: in @skb */
	struct sk_buff		*skb;
};

#define POST_ACK_FRAME_MAX	(POST_FRAME_HDR_LEN + 8 * POST_WIRE_ACK_MAX)

/* What the frame in progress (ps->tx.kind) is. */
enum post_tx_frame {
	POST_TXF_NONE,
	POST_TXF_DATA,		/* START or DATA of ps->tx.msg */
	POST_TXF_CTL,		/* ABORT or EXPIRED of ps->tx.msg, on ctlq */
	POST_TXF_ACK,		/* an ACK frame: no message */
};

/* Where a sent message is (sched.c); rx messages stay POST_TX_NONE. */
enum post_tx_state {
	POST_TX_NONE,
	POST_TX_QUEUED,		/* in the send queue (maybe started) */
	POST_TX_SENT,		/* all in TCP, waiting for ACK or EXPIRED */
	POST_TX_ENDED,		/* terminal event raised, ABORT frame pending */
};

/*
 * A message. Send side: in ps->tx.queue (q), then ps->tx.unacked (by seq), in
 * the ps->tx.pending tree (node, by id) until it ends; on ps->tx.started
 * (plist) while partial on the wire. Receive side: in rx.partial, then
 * rx.ready, in the ps->rx.open tree (node, by seq) until it ends; then on
 * ps->tx.ctlq while its EXPIRED frame waits.
 */
struct post_msg {
	struct list_head	list;
	struct list_head	pieces;
	struct list_head	plist;	/* tx: ps->tx.started */
	struct post_qent	q;	/* tx: place in the send queue */
	struct rb_node		node;	/* tx: tx.pending by id; rx: rx.open */
	u64			id;	/* the sender's message id */
	u64			seq;	/* on the wire (frame.h), 0: not started */
	u64			len;	/* whole message */
	u64			done;	/* rx: bytes reassembled, then left to read */
	u64			deadline; /* ns (ktime_get_ns), 0: none */
	u64			*ante;	/* tx: antecedent ids */
	u32			off;	/* rx: bytes of the first piece consumed */
	u32			charge;	/* bytes charged to the socket */
	u8			niceness;
	u8			flags;	/* POST_MFLAG_* */
	u8			nr_ante;
	u8			state;	/* enum post_tx_state */
	u8			ctl;	/* frame type to send while on ctlq */
	bool			started; /* tx: START frame built */
	bool			partial; /* tx: on tx.started, reserved */
	bool			filling; /* tx: sendmsg() copies it, unlocked */
	bool			immediate;
	bool			doomed;	/* tx: ended while its frame was going */
	bool			rx;	/* a received message: pieces are rxp */
};

/* One remote candidate, as userspace gave it (validated). */
struct post_cand {
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	};
};

struct post_attempt {
	struct post_cand	cand;
	struct socket		*sock;	/* while RUNNING */
	u64			start_ns;
	u64			end_ns;
	int			err;	/* negative, when FAILED */
	u8			state;	/* POST_ATTEMPT_* */
};

/*
 * A connect()'s race (race.c). Lives until the carrier is destroyed or
 * connects again, so that its outcome stays readable. Under
 * lock_sock(carrier); the timer only queues io_work.
 */
struct post_race {
	struct post_sock	*ps;
	struct hrtimer		timer;	/* next attempt */
	u64			start_ns;
	u64			end_ns;
	u32			delay_ms;
	u32			assoc_srtt_us;
	u8			nr;
	u8			next;	/* first attempt not started */
	s8			winner;
	bool			assoc_hit;
	bool			done;
	bool			bound;	/* attempt 0 uses the bound transient */
	int			err;	/* negative: outcome when all failed */
	struct post_attempt	att[POST_MAX_CANDIDATES];
};

/*
 * What data_ready has seen of the stream (scan.c), under the transient's
 * socket lock; done and ctl are read by poll() too.
 */
enum post_scan_state {
	POST_SCAN_HDR,
	POST_SCAN_MSG_HDR,
	POST_SCAN_PAYLOAD,
};

struct post_scan {
	bool			active;		/* following the stream */
	bool			broken;		/* lost it: io_work reads */
	bool			completes;	/* this frame ends its message */

	u8			state;		/* enum post_scan_state */
	u8			have, want;	/* header bytes */
	u8			nr_open;
	u8			hdr[POST_MSG_HDR_LEN];
	u32			pos;		/* TCP seq scanned up to */
	u32			payload;	/* bytes of it to skip */
	struct post_frame	frame;
	u64			done;		/* messages complete in TCP */
	u64			ctl;		/* ACK, EXPIRED frames */
	u64			timed;		/* STARTs with a lifetime */
	u64			last_start;	/* seq of the last START */
	struct {
		u64		seq;
		u64		left:63;
		u64		timed:1;	/* has a lifetime */
	} open[POST_WIRE_MAX_PARTIALS];
};

enum post_rx_state {
	POST_RX_PREAMBLE,
	POST_RX_HDR,
	POST_RX_MSG_HDR,
	POST_RX_ACK,		/* an ACK frame's list of seqs */
	POST_RX_DATA,
	POST_RX_DIRECT,		/* data straight to the reader (rx.user) */
	POST_RX_DIRECT_HDR,	/* the next DATA header of that message */
};

/*
 * The handshake (transient.c, rx.c): our preamble out, the peer's in.
 * Under lock_sock(carrier); hs.tcp_up is read by poll() too.
 */
struct post_hs {
	u8			pre_sent;	/* bytes of our preamble in TCP */
	u8			pre_got;	/* ... of the peer's, collected */
	u8			pre[POST_PREAMBLE_LEN];
	struct post_limits	adv;	/* what our preamble advertises */
	struct post_limits	peer;	/* what the peer's advertised */
	u32			conn_gen;	/* connections so far */
	bool			tcp_up;
	u64			deadline;	/* ns (ktime_get_ns) */
	struct hrtimer		timer;		/* ... queues io_work */
};

/*
 * The send side (sched.c): the queue, the frame in progress, messages
 * waiting for the peer's word, the wire's flow control and counters.
 * Under lock_sock(carrier); nice_queued is read by poll() (READ_ONCE),
 * filling is set while sendmsg() copies without the lock.
 */
struct post_tx {
	struct post_queue	queue;		/* messages with bytes to send */
	struct list_head	unacked;	/* POST_TX_SENT, in send order */
	struct rb_root		pending;	/* every message not yet ended */
	struct list_head	ctlq;		/* ACK/EXPIRED/ABORT to send */
	u64			next_deadline;	/* ns, 0: none */
	u64			failed[POST_FAILED_HISTORY];	/* ids, a ring */
	u32			nr_failed;
	u32			nr_unacked;
	u64			next_id;
	u32			queued;
	u32			nice_queued[POST_NICE_LEVELS];
	/* wire flow control: the peer's limits (frame.h, 3) */
	u64			seq;		/* last seq started */
	u64			acked_cum;	/* the peer's cumulative ACK */
	struct list_head	started;	/* partial messages */
	u32			nr_partial;
	u64			reserved;	/* their lengths */
	/* the frame in progress: kind says what it is */
	u8			kind;		/* POST_TXF_* */
	struct post_msg		*msg;		/* its message (DATA, CTL) */
	struct post_piece	*piece;		/* ... its data, or NULL */
	u32			off;		/* ... bytes of it sent */
	u8			hdr_len;	/* what hdr sends first */
	u8			ack_len;	/* an ACK begins the frame */
	bool			start;		/* the frame is a START */
	u8			hdr[POST_ACK_FRAME_MAX + POST_FRAME_HDR_LEN +
				    POST_MSG_HDR_LEN];
	bool			fin;		/* SHUT_WR once queue drains */
	bool			shut;		/* transient's write side closed */
	bool			corked;		/* a frame went with MSG_MORE */
	bool			flush;		/* ... and one must not wait */
	bool			peer_fin;	/* no ACK can come any more */
	struct post_msg		*filling;	/* being copied, unlocked */
	/* counters (POST_INFO) */
	u64			msgs;		/* sent */
	u64			bytes;		/* ... their bytes */
	u64			direct_bytes;	/* from sendmsg() into TCP */
	u64			spliced_bytes;	/* from pieces, by reference */
	u64			acked;
	u64			expired;
	u64			aborted;
};

/*
 * The receive side (rx.c): the parser, reassembly, complete messages and
 * the reader that takes one straight from TCP. Under lock_sock(carrier);
 * nr_ready, waiters and kick are read locklessly (poll(), data_ready).
 */
struct post_rx {
	enum post_rx_state	state;
	u32			hdr_len;	/* bytes of hdr collected */
	u32			want;		/* ... of this many */
	u8			hdr[8 * POST_WIRE_ACK_MAX];
	struct post_frame	frame;
	struct post_msg		*msg;		/* message the frame feeds */
	struct post_rxp		*piece;		/* piece being filled */
	u32			piece_off;
	u32			data_left;	/* of the frame's payload */
	bool			tail_copied;	/* a run of it was copied */
	struct list_head	ready;		/* complete messages */
	struct list_head	partial;	/* reassembling messages */
	u32			nr_ready;	/* READ_ONCE from poll */
	u32			nr_partial;
	bool			stalled;	/* stopped reading TCP: memory */
	bool			backlog;	/* reading what waited meanwhile */
	u32			backlog_seq;	/* ... TCP's rcv_nxt at resume */
	u32			tcp_seq;	/* TCP seq of the header parsed */
	int			waiters;	/* in recvmsg(), READ_ONCE */
	bool			kick;		/* data_ready woke them */
	u64			parse_done;	/* completed, no lifetime */
	u64			parse_ctl;	/* ACK, EXPIRED handled */
	u64			parse_timed;	/* STARTs with a lifetime */
	struct timer_list	timer;		/* ACKs a reader may leave */
	u64			next_deadline;	/* ns, 0: none */
	/* a message read straight into a recvmsg() caller's buffer */
	struct msghdr		*user;		/* while it reads */
	size_t			user_len;
	int			user_done;	/* bytes of it copied */
	struct post_rcvinfo	user_info;
	u64			direct_seq;
	u64			direct_deadline;
	u32			direct_left;	/* of the frame */
	u64			direct_msg_left;
	u32			direct_slice;	/* copied since TCP's backlog */
	/* wire seqs received (frame.h, 2) */
	u64			last_start;	/* seq of the last START */
	struct rb_root		open;		/* not ended yet, by seq */
	u64			reserved;	/* partial messages' lengths */
	u32			ctl_charge;	/* EXPIRED frames waiting */
	u64			stall_ns;	/* when the stall began */
	u32			partial_charge;	/* reassembly memory */
	/* counters (POST_INFO) */
	u64			msgs;		/* received */
	u64			bytes;		/* ... their bytes */
	u64			direct_msgs;	/* copied straight to a reader */
	u64			copied_bytes;	/* reassembled in the carrier */
	u64			kept_bytes;	/* ... kept in TCP's skbs */
	u64			expired;
	u32			proto_errors;	/* reset for EPROTO */
};

/* Our acknowledgements of what was received (rx.c). Under lock_sock. */
struct post_ack {
	u64			extra[POST_WIRE_ACK_MAX];
	u8			nr_extra;
	bool			pending;	/* something to acknowledge */
	u32			count;		/* messages since the last ACK */
	bool			timed;		/* due at (jiffies) */
	unsigned long		at;
	struct timer_list	timer;
};

/* Delivery events (sched.c); count is read locklessly by poll(). */
struct post_events {
	struct list_head	queue;
	u32			count;
	u64			dropped;
};

/* A listener's children (listen.c). Under lock. */
struct post_listener {
	spinlock_t		lock;		/* process context only */
	struct list_head	children;	/* handshaking */
	struct list_head	accept_q;	/* ready for accept() */
	bool			listening;
};

/* A child of a listener (listen.c), under the listener's lsn.lock. */
struct post_child {
	struct post_sock	*parent;	/* holds a reference */
	struct list_head	node;
	bool			dead;
};

struct post_sock {
	struct sock		sk;	/* must be first */

	struct socket		*tsock;	/* the transient */
	struct work_struct	io_work;
	struct post_tcp_cbs	saved;	/* its own callbacks (tsock.c) */

	/* policy */
	u32			chunk_size;
	u32			max_msg_size;
	u32			hs_timeout_ms;
	u32			attempt_delay_ms;
	u16			prefer_family;
	u32			notsent_lowat;
	u32			ev_mask;
	u8			niceness;	/* default for sendmsg() */

	/* establishment (race.c) */
	u8			nr_cands;
	struct post_cand	*cands;		/* POST_CANDIDATES */
	struct post_race	*race;

	struct post_hs		hs;
	struct post_tx		tx;
	struct post_rx		rx;
	struct post_ack		ack;
	struct post_events	ev;
	struct post_scan	scan;		/* transient's lock (scan.c) */

	/* lifetimes of both directions (sched.c) */
	struct hrtimer		sched_timer;	/* next lifetime to end */
	u64			timer_at;	/* ns it is armed for, 0: idle */

	/* close (drain.c) */
	bool			drain;		/* closed gracefully */
	bool			orphan;		/* closed, still sending */
	unsigned long		orphan_end;	/* ... until then (jiffies) */
	/* an orphan's teardown (drain.c), or a dead child's (listen.c) */
	struct work_struct	destroy_work;

	struct post_listener	lsn;
	struct post_child	child;

	struct list_head	net_node;	/* post_net.socks, until closed */
	u64			net_id;		/* order in that list */
	bool			announced;	/* "established" was multicast */
};

static inline struct post_sock *post_sk(const struct sock *sk)
{
	return (struct post_sock *)sk;
}

/* Per network namespace state (pernet.c). */
struct post_net {
	/* sysctls, read with READ_ONCE */
	int			attempt_delay_ms;
	int			prefer_ipv6;
	int			assoc_expiry_ms;
	int			assoc_max;
	int			chunk_size;
	int			max_msg_size;
	struct ctl_table_header	*sysctl;
	/* association cache (assoc.c) */
	spinlock_t		assoc_lock;
	struct list_head	assoc_lru;	/* least recently used first */
	struct hlist_head	*assoc_hash;
	u32			assoc_count;
	/* carriers and listeners of the namespace (netlink.c dumps them) */
	spinlock_t		socks_lock;
	struct list_head	socks;		/* by net_id */
	u64			next_sock_id;
};

/*
 * Module-wide counters (netlink stats-get): per CPU, because messages sent
 * and received bump them; stats-get sums them (this_cpu_add() is safe in
 * any context, the destructor may run in softirq).
 */
enum {
	POST_STAT_CARRIERS_CREATED,
	POST_STAT_CARRIERS_ACTIVE,
	POST_STAT_RACES_WON,
	POST_STAT_RACES_FAILED,
	POST_STAT_MSGS_SENT,
	POST_STAT_MSGS_RECEIVED,
	POST_STAT_MSGS_EXPIRED,
	POST_STAT_MSGS_ABORTED,
	POST_STAT_PROTO_ERRORS,
	POST_STAT_ASSOC_HITS,
	POST_STAT_MAX
};

struct post_stats {
	u64	v[POST_STAT_MAX];
};

DECLARE_PER_CPU(struct post_stats, post_stats);

static inline void post_stat_add(int stat, long v)
{
	this_cpu_add(post_stats.v[stat], v);
}

/* mem.c */
extern atomic_long_t post_memory_allocated;
extern struct percpu_counter post_sockets_allocated;
DECLARE_PER_CPU(int, post_memory_per_cpu_fw_alloc);
extern unsigned long post_memory_pressure;
extern long sysctl_post_mem[3];
extern int sysctl_post_rmem[3];
extern int sysctl_post_wmem[3];
void post_enter_memory_pressure(struct sock *sk);
void post_leave_memory_pressure(struct sock *sk);
int post_rmem_charge(struct post_sock *ps, u32 size);
void post_rmem_uncharge(struct post_sock *ps, u32 size);
int post_mem_init(void);
void post_mem_exit(void);

struct post_net *post_pernet(const struct net *net);
int post_pernet_init(void);
void post_pernet_exit(void);

static inline bool post_is_stream(const struct sock *sk)
{
	return sk->sk_type == SOCK_STREAM;
}

/* socket.c */
extern const struct proto_ops post_seqpacket_ops;
void post_sock_init(struct sock *sk, const struct post_sock *policy);
void post_sock_publish(struct post_sock *ps);
void post_sock_unpublish(struct post_sock *ps);

/* tsock.c */
int post_tsock_create(struct post_sock *ps, int family, struct socket **res);
void post_tsock_take(struct socket *tsock, void *owner,
		     const struct post_tcp_cbs *ours, struct post_tcp_cbs *saved,
		     const struct post_tcp_cbs *from);
void post_tsock_switch(struct socket *tsock, const struct post_tcp_cbs *ours);
void post_tsock_give_back(struct socket *tsock, const void *owner,
			  const struct post_tcp_cbs *saved);
void post_tsock_close(struct socket *tsock, bool abort);

/* The owner of a socket we took over; under its sk_callback_lock. */
static inline void *post_tsock_owner(struct sock *tsk)
{
	return __locked_read_sk_user_data_with_flags(tsk, 0);
}

/* transient.c: TCP glue and io_work */
void post_transient_attach(struct post_sock *ps, const struct post_sock *from);
void post_transient_detach(struct post_sock *ps);
void post_queue_io(struct post_sock *ps);
void post_io_work(struct work_struct *work);
void post_tcp_attach(struct post_sock *ps, struct socket *tsock,
		     const struct post_sock *from);
void post_tcp_detach(struct post_sock *ps, struct socket *tsock);
int post_carrier_io(struct post_sock *ps);
void post_rx_timer_init(struct post_sock *ps);

/* handshake.c */
void post_handshake_init(struct post_sock *ps);
void post_handshake_arm(struct post_sock *ps);
bool post_handshake_expired(const struct post_sock *ps);
void post_handshake_stop(struct post_sock *ps);
bool post_handshaking(const struct sock *sk);
bool post_tcp_progress(struct post_sock *ps);
void post_established(struct post_sock *ps);

/* teardown.c */
void post_sock_fail(struct sock *sk, int err);
void post_destroy(struct post_sock *ps, bool abort);

/* listen.c */
void post_listener_work(struct post_sock *ps, struct list_head *dead);
void post_child_ready(struct post_sock *child);
void post_close_child(struct post_sock *child);
void post_close_child_later(struct post_sock *child);

/* race.c */
int post_cand_cmp(const struct post_cand *a, const struct post_cand *b);
int post_cands_set(struct post_sock *ps, sockptr_t optval,
		   unsigned int optlen);
int post_cands_get(struct post_sock *ps, char __user *optval, int *len);
int post_race_start(struct post_sock *ps, const struct post_cand *cands,
		    int nr);
int post_race_progress(struct post_sock *ps);
void post_race_stop(struct post_sock *ps);
void post_race_free(struct post_sock *ps);
void post_race_info(struct post_sock *ps, struct post_race_info *info);

/* assoc.c */
#define POST_ASSOC_BUCKETS	64
void post_assoc_order(struct net *net, struct post_race *race);
void post_assoc_learn(struct net *net, struct post_race *race);
void post_assoc_flush(struct post_net *pn);
int post_assoc_dump(struct post_net *pn, struct sk_buff *skb,
		    struct netlink_callback *cb);

/* netlink.c */
int post_netlink_init(void);
void post_netlink_exit(void);
int post_nl_put_addr(struct sk_buff *skb, int type, const struct sockaddr *sa);
void *post_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
		       u8 cmd);
void post_nl_established(struct post_sock *ps);
void post_nl_closed(struct post_sock *ps);

/* drain.c */
int post_drain_start(struct socket *tsock);
bool post_orphan_begin(struct post_sock *ps);
void post_orphan_timer(struct timer_list *t);
void post_orphan_work(struct post_sock *ps);
void post_drain_exit(void);

/* stream.c */
int post_stream_sendmsg(struct sock *sk, struct msghdr *m, size_t len);
int post_stream_recvmsg(struct sock *sk, struct msghdr *m, size_t len,
			int flags);
__poll_t post_stream_poll(struct sock *sk);
void post_stream_attach(struct post_sock *ps);

/* tx.c: messages from sendmsg() */
struct post_props {
	u64	deadline;	/* ns, 0: none */
	u64	ante[POST_MAX_ANTECEDENTS];
	u8	nr_ante;
	u8	niceness;
	u8	flags;		/* POST_MFLAG_* */
	bool	immediate;
	bool	unordered;
};

/* What post_tx_copy() copies: @left bytes of @msg from @m. */
struct post_copy {
	struct post_msg		*msg;
	struct msghdr		*m;
	size_t			left;
	u32			first;
	u32			ack_room;	/* an ACK may lead its START */
	bool			started;	/* its START is built */
	bool			queued;
	int			err;	/* the direct path's, after the fact */
};

int post_props_parse(struct post_sock *ps, struct msghdr *m,
		     struct post_props *props);
struct post_msg *post_tx_alloc(struct post_sock *ps, size_t len,
			       const struct post_props *pp);
struct post_msg *post_tx_build(struct post_sock *ps, struct msghdr *m,
			       size_t len, const struct post_props *pp,
			       u32 ack_room);
int post_tx_copy(struct post_sock *ps, struct post_copy *a);
void post_msg_free(struct post_msg *msg);
struct post_piece *post_piece_fill(struct post_sock *ps, u32 room, u32 len,
				   struct iov_iter *from, int *err);
u8 *post_piece_head(struct post_piece *p);
void post_piece_free(struct post_piece *p);
void post_tx_charge(struct post_sock *ps, const struct post_msg *msg,
		    u32 bytes);
void post_tx_uncharge(struct post_sock *ps, const struct post_msg *msg,
		      u32 bytes);
void post_tx_drop_pieces(struct post_sock *ps, struct post_msg *msg);
bool post_tx_writable(const struct sock *sk);
bool post_tx_room(const struct post_sock *ps, u8 nice);

/* sched.c: the scheduler, framing onto the wire, how messages end */
u32 post_tx_ack_room(struct post_sock *ps);
void post_tx_queue(struct post_sock *ps, struct post_msg *msg,
		   const struct post_props *pp);
int post_tx_sendmsg(struct post_sock *ps, struct msghdr *m, size_t len,
		    const struct post_props *pp, bool *failed);
int post_tx_push(struct post_sock *ps);
void post_tx_purge(struct post_sock *ps, int err);
void post_tx_peer_fin(struct post_sock *ps);
int post_tx_abort(struct post_sock *ps, u64 id);
void post_tx_end(struct post_sock *ps, struct post_msg *msg, u32 type,
		 int err);
bool post_tx_end_queued(struct post_sock *ps, struct post_msg *msg,
			u32 type, int err);
void post_tx_cascade(struct post_sock *ps);
void post_ctl_queue(struct post_sock *ps, struct post_msg *msg, u8 type);
void post_ctl_purge(struct post_sock *ps);
void post_set_notsent_lowat(struct post_sock *ps, struct socket *tsock);

/* Frames queued or half written for the wire (data or control). */
static inline bool post_tx_busy(const struct post_sock *ps)
{
	return ps->tx.kind || ps->tx.queue.count || !list_empty(&ps->tx.ctlq);
}

/* lifetime.c */
u32 post_lifetime_left_ms(u64 deadline, u64 now);
void post_sched_init(struct post_sock *ps);
void post_sched_expire(struct post_sock *ps);
void post_sched_arm(struct post_sock *ps);
void post_sched_stop(struct post_sock *ps);

/* events.c */
void post_ev_queue(struct post_sock *ps, u64 id, u32 type, int err);
int post_ev_recv(struct post_sock *ps, struct msghdr *m);
void post_ev_purge(struct post_sock *ps);
int post_events_check(u32 mask);

/* scan.c */
void post_scan_start(struct post_sock *ps, u32 pos);
void post_scan(struct post_sock *ps, struct sock *tsk);
bool post_scan_ready(const struct post_sock *ps);
bool post_scan_ctl(const struct post_sock *ps);
bool post_scan_worth_reading(const struct post_sock *ps);
bool post_scan_must_read(const struct post_sock *ps, const struct sock *tsk);
void post_scan_decide(struct post_sock *ps, struct sock *tsk, bool *wake,
		      bool *now, bool *later);

/* rx.c */
int post_rx_pull(struct post_sock *ps);
void post_rx_limits(struct post_sock *ps);
u64 post_rx_cum(struct post_sock *ps);
bool post_rx_throttled(struct post_sock *ps);
void post_rx_stall(struct post_sock *ps);
void post_rx_resume(struct post_sock *ps, bool kick);
bool post_rx_mid_message(const struct post_sock *ps);
int post_rx_read_into(struct post_sock *ps, struct msghdr *m, size_t len,
		      struct post_rcvinfo *info);
int post_rx_copy(struct post_sock *ps, struct msghdr *m, size_t len,
		 int flags, struct post_rcvinfo *info);
void post_rx_expire(struct post_sock *ps, u64 now);
void post_rx_uncharge(struct post_sock *ps, u32 n);
void post_rx_drop_partials(struct post_sock *ps);
void post_rx_purge(struct post_sock *ps);
void post_rxp_free(struct post_rxp *p);

/* ack.c */
bool post_ack_wanted(struct post_sock *ps, bool data);
u32 post_ack_len(struct post_sock *ps);
u32 post_ack_build(struct post_sock *ps, u8 *buf);
void post_ack_drained(struct post_sock *ps);
void post_ack_now(struct post_sock *ps);
unsigned long post_ack_delay(void);
void post_ack_init(struct post_sock *ps);
void post_ack_stop(struct post_sock *ps);
int post_tx_acked(struct post_sock *ps, u64 cum, const u64 *seqs, u32 n);
int post_tx_expired(struct post_sock *ps, u64 seq);

#endif /* _POST_H */
