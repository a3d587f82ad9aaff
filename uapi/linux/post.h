/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * AF_POST: Post Sockets message carriers.
 *
 * Address family
 *   AF_POST is registered by the af_post module under the number given by its
 *   module parameter "family" (default POST_FAMILY_DEFAULT). Applications
 *   must not hard-code it: read POST_FAMILY_SYSFS (libpost does).
 *
 * Socket types
 *   SOCK_SEQPACKET  reliable message carrier over an in-kernel TCP
 *                   connection (the "transient") with AF_POST framing.
 *   SOCK_STREAM     the same raced connection, then plain bytes with TCP
 *                   semantics and no framing: it reaches any TCP server.
 *                   listen() on it gets EOPNOTSUPP; SOL_POST message
 *                   options do not apply to it.
 *   Other types fail socket() with ESOCKTNOSUPPORT; protocols other than 0
 *   fail with EPROTONOSUPPORT.
 *
 * Addresses
 *   bind(), connect() and the addresses getsockname()/getpeername() return
 *   are plain struct sockaddr_in / struct sockaddr_in6. A short address
 *   gets EINVAL, any other sa_family gets EAFNOSUPPORT.
 *
 * Establishment (Happy Eyeballs, RFC 8305)
 *   connect() races TCP connections to the remote's candidates: the list set
 *   with POST_CANDIDATES when connect() is given an address of family
 *   AF_UNSPEC (EDESTADDRREQ if none is set), or the one address given.
 *   Candidates are ordered by interleaving the families, the preferred one
 *   (POST_PREFER_FAMILY) first; a remote's association (the winner of the
 *   last race to the same candidate set in this network namespace) goes
 *   first of all. The first attempt starts at once, each next one after
 *   POST_ATTEMPT_DELAY or as soon as an attempt fails (RST, ICMP
 *   unreachable). The first attempt whose TCP handshake completes wins;
 *   every other attempt is closed at once. A carrier bound with bind() has
 *   one local address and so one attempt: the first candidate of its family
 *   (EAFNOSUPPORT if there is none); a failed connect drops that binding.
 *   POST_HANDSHAKE_TIMEOUT bounds the whole establishment, from connect()
 *   to a validated preamble (SOCK_SEQPACKET) or a TCP connection
 *   (SOCK_STREAM); for a carrier accepted by a listener (which inherits
 *   the listener's value), from when the module takes its TCP connection
 *   to the peer's preamble. It ends on a high-resolution timer: never
 *   before the timeout, and after it typically within a scheduling delay
 *   (the module's work item runs; no timer-wheel rounding).
 *   A connection accepted by the kernel whose handshake fails (timeout,
 *   EPROTO, reset) is closed and never returned by accept().
 *   getsockopt(POST_RACE) tells what happened.
 *
 *   Errors (blocking return, or SO_ERROR after a non-blocking connect
 *   reported POLLOUT/POLLERR). When every attempt fails, the most telling
 *   error of all of them: ECONNREFUSED, then any of EHOSTUNREACH,
 *   ENETUNREACH, EACCES, EPERM (one rank: the first in race order), then
 *   any other, then ETIMEDOUT.
 *     ECONNREFUSED, ENETUNREACH, ...  as TCP
 *     ETIMEDOUT        nothing answered within POST_HANDSHAKE_TIMEOUT
 *     EPROTO           the peer sent something that is not an AF_POST preamble
 *     EPROTONOSUPPORT  the peer speaks another AF_POST wire version
 *     ECONNRESET       the peer closed before sending its preamble
 *
 *   POST_CANDIDATES gets EINVAL for a length of zero or not a multiple of
 *   struct sockaddr_storage, more than POST_MAX_CANDIDATES entries, a family
 *   other than AF_INET/AF_INET6, port 0 or a duplicate entry; EALREADY while
 *   connecting, EISCONN when connected, EINVAL on a listener.
 *
 * Messages
 *   sendmsg() sends exactly one message (all of it, or fails): EMSGSIZE if it
 *   exceeds POST_MAX_MSG_SIZE or what the peer accepts (the maximum message
 *   size its carrier advertised, post_info.peer_max_msg_size; the carrier
 *   lives on), ENOTCONN before connect, EPIPE (and SIGPIPE
 *   unless MSG_NOSIGNAL) after shutdown(SHUT_WR) or reset, EAGAIN when
 *   non-blocking and the send queue is full (SO_SNDBUF). A message is
 *   accepted while the bytes queued by messages of its niceness or a more
 *   urgent one are below SO_SNDBUF (one message may overshoot it), so a
 *   large nice message never keeps an urgent one out; poll() reports
 *   EPOLLOUT for the socket's default niceness (POST_NICENESS) and
 *   EPOLLWRBAND when a message of any niceness would be accepted. Messages
 *   get ids 1, 2, 3, ... in sendmsg() order on each
 *   carrier; getsockopt(POST_NEXT_ID) tells the id the next message will get.
 *
 *   Properties ride as SOL_POST control messages on sendmsg() (see
 *   POST_CMSG_*): lifetime, niceness, antecedents, immediate, idempotent,
 *   unordered.
 *   EINVAL, and nothing is sent, for a control message of another level, an
 *   unknown type, a wrong length, a type given twice, a value out of range,
 *   more than POST_MAX_ANTECEDENTS antecedents, or an antecedent id that was
 *   never sent on this carrier (0 or >= POST_NEXT_ID).
 *
 * Scheduling
 *   The lowest niceness goes first. Within one niceness, messages are sent,
 *   and so delivered, in the order of their sendmsg() calls (their ids),
 *   whatever their lifetimes; only a message marked unordered
 *   (POST_CMSG_UNORDERED) may be moved ahead by its deadline (now +
 *   lifetime; none is latest): it goes before the messages queued before
 *   it for as long as their deadlines are later than its own. A message
 *   that may not go yet (its antecedents, or the peer's limits below) holds
 *   back the later messages of its niceness, unordered ones excepted. The
 *   choice is made again before every frame: messages are cut into frames
 *   of at most POST_CHUNK_SIZE bytes, so a nice-0 message overtakes a nicer
 *   one in the middle of its transfer. At most POST_NOTSENT_LOWAT bytes not
 *   yet sent by TCP are handed to the transient ahead of time (plus the
 *   frame being written), so the order stays ours.
 *
 *   The peer's limits: each carrier advertises, when it connects, the
 *   largest message it accepts (its POST_MAX_MSG_SIZE), how many messages
 *   it reassembles at once (POST_MAX_PARTIALS) and a reassembly budget (its
 *   POST_MAX_MSG_SIZE + SO_RCVBUF, in message bytes). A message that needs
 *   more than one frame starts only while the peer has room for all of it
 *   beside the messages already partly sent; until then it waits (a
 *   message that fits in one frame always may go). Started messages can
 *   always complete, so a legitimate sender is never reset.
 *
 *   Lifetime: a message still entirely queued when its lifetime ends is
 *   dropped; one partly sent is aborted (an ABORT frame: the receiver drops
 *   what it had). Both raise POST_EV_EXPIRED. The remaining lifetime
 *   travels in the START frame; the receiver deducts half its TCP smoothed
 *   RTT for transit, never delivers a message past the result (one whose
 *   first byte was read is delivered), drops it and tells the sender, which
 *   raises POST_EV_EXPIRED.
 *
 *   Antecedents: a message leaves only once every antecedent was
 *   acknowledged by the peer's application, so it can never be delivered
 *   first. When an antecedent expires or is aborted, its successors expire
 *   (POST_EV_EXPIRED, error ECANCELED). An antecedent that already ended
 *   counts as satisfied unless it is among the last POST_FAILED_HISTORY
 *   messages of the carrier that expired or were aborted.
 *
 *   POST_ABORT (setsockopt, __u64 id) gives up on a message: one not sent
 *   at all is dropped, one partly sent is aborted on the wire; either
 *   raises POST_EV_ABORTED. EINVAL for an id never sent, EALREADY once its
 *   last byte was handed to TCP or it ended, EBUSY while the sendmsg()
 *   that sends it is still copying it (try again).
 *
 * Events
 *   With POST_EVENTS set to a mask of (1 << POST_EV_*), the carrier queues
 *   events on its error queue: poll() reports EPOLLERR while any is queued
 *   and recvmsg(MSG_ERRQUEUE) returns them, as many as fit, each a
 *   SOL_POST/POST_CMSG_EVENT control message holding a struct post_event; it
 *   returns 0 bytes, EAGAIN when no event is queued and EINVAL when the
 *   control buffer cannot hold one. Every message sent on a carrier ends in
 *   exactly one terminal event (acknowledged, expired or aborted); when the
 *   carrier fails, every message not yet ended is aborted with the
 *   carrier's error; when the peer closes its side (end of stream), every
 *   message it has not acknowledged, and every one sent afterwards once it
 *   is sent, is aborted with ESHUTDOWN (the peer may have read it, but can
 *   no longer say so). At most POST_EVENTS_MAX events wait; beyond that they
 *   are dropped and counted in post_info.events_dropped.
 *
 *   recvmsg() returns bytes of one message; MSG_EOR is set on the call that
 *   returns its last byte. A buffer smaller than the message gets the rest on
 *   the next calls (never truncated). A zero-length message returns 0 with
 *   MSG_EOR; end of stream returns 0 without MSG_EOR. Each call carries
 *   SOL_POST control messages when there is room: POST_CMSG_ID (__u64) and
 *   POST_CMSG_RCVINFO (struct post_rcvinfo: id, niceness, remaining
 *   lifetime, flags). The receiver acknowledges a message to the sender once
 *   its last byte was read: acknowledgements are coalesced and go with the
 *   next frame the receiver sends, after every 16 messages read, or 1 ms
 *   (rounded up to the next timer tick: up to two ticks, 8 ms at HZ=250)
 *   after its reader found nothing more to read (so POST_EV_ACKED and
 *   antecedents may wait that long). The peer closing in the middle of a
 *   message is ECONNRESET, not end of stream (complete messages received
 *   before it are still read first). MSG_PEEK and MSG_DONTWAIT work;
 *   MSG_OOB gets EOPNOTSUPP.
 *
 *   poll(): EPOLLIN only for a complete message, end of stream or error (a
 *   message may expire between poll() and recvmsg()).
 *
 *   A carrier a listener accepted that accept() has not returned yet reads
 *   nothing beyond its peer's preamble: what the peer sends waits in the
 *   TCP connection (TCP's receive buffer and tcp_mem bound it) and is read
 *   once accept() returns the carrier.
 *
 *   close(): what is queued is handed to TCP; the peer gets it, then end
 *   of stream. What cannot go yet (a successor whose antecedent the peer
 *   has not acknowledged, a message beyond the peer's advertised limits)
 *   keeps the closed carrier sending, its lifetimes still applying, until
 *   nothing is held; it gives up on an error, the peer's end of stream, or
 *   after 60 s. Then the TCP connection drains (the peer's ACKs are read
 *   and dropped) until the peer closes too or 60 s pass. A carrier closed
 *   after its peer's end of stream does neither. One closed with complete
 *   messages unread resets the connection, as TCP does with unread data
 *   (the peer's next read fails with ECONNRESET, and what was queued is
 *   lost); as for TCP, one closed while the peer still sends resets, and so does
 *   a closed carrier still sending when the peer starts a message (it
 *   would never be read; what it held is lost). SO_LINGER
 *   with a timeout makes close() wait, up to that time, until every message
 *   sent on the carrier has ended (acknowledged by the peer's application,
 *   expired or aborted), the carrier fails or a signal comes; then it
 *   closes as above. SO_LINGER with a zero timeout resets the connection
 *   at once: what was not yet handed to TCP is dropped. A carrier closed
 *   before its connection is established drops what it queued.
 *
 *   A carrier fails (SO_ERROR, and every message not yet ended is aborted
 *   with it) with: EPROTO for a peer that broke the wire format or its own
 *   advertised limits (kernel/frame.h), ECONNRESET for a peer that reset
 *   or closed in the middle of a message, ENOBUFS when what the peer sent
 *   could not be charged (the mem sysctl below, or the owner's memory
 *   cgroup), or TCP's own error.
 */
#ifndef _UAPI_LINUX_POST_H
#define _UAPI_LINUX_POST_H

#include <linux/socket.h>
#include <linux/types.h>

/* AF_SNA: reserved in <linux/socket.h>, never registered by any kernel. */
#define POST_FAMILY_DEFAULT	22
#define POST_FAMILY_SYSFS	"/sys/module/af_post/parameters/family"

/* Socket option level: a level no kernel (up to 6.12) uses. */
#define SOL_POST		299

/* SOL_POST socket options (int or __u32 unless noted). */
#define POST_MAX_MSG_SIZE	1	/* bytes, 1..POST_MAX_MSG_LIMIT (EINVAL) */
#define POST_CHUNK_SIZE		2	/* bytes, POST_CHUNK_MIN..POST_CHUNK_MAX */
#define POST_HANDSHAKE_TIMEOUT	3	/* ms, 1..600000 */
#define POST_NEXT_ID		4	/* __u64, read-only (ENOPROTOOPT on set) */
#define POST_INFO		5	/* struct post_info, read-only (as above) */
#define POST_CANDIDATES		6	/* struct sockaddr_storage[1..8], see above */
#define POST_ATTEMPT_DELAY	7	/* ms; set values are clamped to 10..2000 */
#define POST_PREFER_FAMILY	8	/* AF_INET6 or AF_INET (else EINVAL) */
#define POST_RACE		9	/* struct post_race_info, read-only */
#define POST_NOTSENT_LOWAT	10	/* bytes, POST_NOTSENT_MIN..MAX */
#define POST_EVENTS		11	/* __u32 mask of 1 << POST_EV_* */
#define POST_ABORT		12	/* __u64 message id, write-only */
#define POST_NICENESS		13	/* default niceness, 0..POST_NICE_MAX */

#define POST_MAX_MSG_DEFAULT	(16U << 20)
#define POST_MAX_MSG_LIMIT	(256U << 20)
#define POST_CHUNK_MIN		512U
#define POST_CHUNK_MAX		65536U
#define POST_CHUNK_DEFAULT	16384U
#define POST_HANDSHAKE_TIMEOUT_DEFAULT	5000U	/* ms */
#define POST_MAX_PARTIALS	16U	/* messages reassembling at once */
#define POST_MAX_CANDIDATES	8U
#define POST_ATTEMPT_DELAY_MIN	10U	/* ms, RFC 8305 section 5 */
#define POST_ATTEMPT_DELAY_MAX	2000U
#define POST_ATTEMPT_DELAY_DEFAULT	250U
#define POST_NOTSENT_MIN	1024U
#define POST_NOTSENT_MAX	(4U << 20)
#define POST_NOTSENT_DEFAULT	8192U
#define POST_NICE_MAX		7U	/* niceness 0 (most urgent) .. 7 */
#define POST_NICE_DEFAULT	3U
#define POST_MAX_ANTECEDENTS	8U
#define POST_FAILED_HISTORY	64U
#define POST_EVENTS_MAX		4096U
#define POST_ASSOC_MAX_LIMIT	65536U	/* assoc_max sysctl and netlink */

/*
 * Per network namespace defaults and the association cache, as sysctls in
 * /proc/sys/net/post/:
 *   attempt_delay_ms   a new socket's POST_ATTEMPT_DELAY (250, 10..2000)
 *   prefer_ipv6        1: a new socket prefers AF_INET6, 0: AF_INET
 *   assoc_expiry_ms    how long an association is trusted (600000; 0 turns
 *                      the cache off: nothing is looked up or learned, and
 *                      the next race forgets every association)
 *   assoc_max          associations kept, least recently used evicted first
 *                      (256, 0..POST_ASSOC_MAX_LIMIT)
 *   chunk_size         a new socket's POST_CHUNK_SIZE (16384)
 *   max_msg_size       a new socket's POST_MAX_MSG_SIZE (16 MiB)
 * and, in the initial namespace only, for the whole host:
 *   mem                pages all carriers together may hold of received
 *                      messages (reassembling, complete and unread): low,
 *                      pressure, high, as tcp_mem (and computed the same
 *                      way); /proc/net/protocols shows what they hold. It
 *                      is charged to the owner's memory cgroup too. A
 *                      carrier that cannot charge what its peer sends is
 *                      reset with ENOBUFS.
 * The same settings are read and set over generic netlink (family "post",
 * linux/post_netlink.h, Documentation/netlink/specs/post.yaml; postctl).
 */

/*
 * SOL_POST control messages. On sendmsg(), each at most once:
 *   POST_CMSG_LIFETIME     __u32 ms, >= 1: useless after that
 *   POST_CMSG_NICENESS     __u32 0..POST_NICE_MAX (default: POST_NICENESS)
 *   POST_CMSG_ANTECEDENTS  __u64 ids[1..POST_MAX_ANTECEDENTS]
 *   POST_CMSG_IMMEDIATE    __u32 0 or 1: push its frames out at once rather
 *                          than coalescing them with what follows
 *   POST_CMSG_IDEMPOTENT   __u32 0 or 1: safe to replay; the receiver sees it
 *                          in post_rcvinfo.flags
 *   POST_CMSG_UNORDERED    __u32 0 or 1: may be sent ahead of earlier
 *                          messages of its niceness by its lifetime (see
 *                          Scheduling); default 0, send order kept
 * On recvmsg(): POST_CMSG_ID, POST_CMSG_RCVINFO; on MSG_ERRQUEUE:
 * POST_CMSG_EVENT.
 */
#define POST_CMSG_ID		1	/* recvmsg: __u64 message id */
#define POST_CMSG_LIFETIME	2
#define POST_CMSG_NICENESS	3
#define POST_CMSG_ANTECEDENTS	4
#define POST_CMSG_IMMEDIATE	5
#define POST_CMSG_IDEMPOTENT	6
#define POST_CMSG_RCVINFO	7	/* struct post_rcvinfo */
#define POST_CMSG_EVENT		8	/* struct post_event */
#define POST_CMSG_UNORDERED	9

/* post_rcvinfo.flags */
#define POST_RCV_IDEMPOTENT	0x1
#define POST_RCV_LIFETIME	0x2	/* lifetime_ms is meaningful */

struct post_rcvinfo {
	__u64	id;		/* the sender's message id */
	__u32	lifetime_ms;	/* remaining, when POST_RCV_LIFETIME */
	__u8	niceness;
	__u8	flags;		/* POST_RCV_* */
	__u16	pad;
};

/* struct post_event.type */
enum {
	POST_EV_SENT = 1,	/* last byte handed to the transient */
	POST_EV_ACKED,		/* the peer's application read all of it */
	POST_EV_EXPIRED,	/* lifetime over (.error ECANCELED: antecedent) */
	POST_EV_ABORTED,	/* POST_ABORT, the carrier failed (.error), or
				 * the peer closed its side first (ESHUTDOWN:
				 * sent, perhaps read, never acknowledged)
				 */
};

#define POST_EV_TERMINAL(t)	((t) >= POST_EV_ACKED)

struct post_event {
	__u64	id;		/* message id */
	__u32	type;		/* POST_EV_* */
	__s32	error;		/* positive errno, or 0 */
	__u64	time_ns;	/* CLOCK_MONOTONIC when it happened */
};

struct post_info {
	__u64	next_id;	/* id of the next message sent */
	__u64	msgs_sent;	/* messages fully handed to TCP */
	__u64	msgs_received;	/* messages delivered complete to the queue */
	__u32	tx_queued;	/* bytes charged to the send queue */
	__u32	rx_queued;	/* bytes charged to receive + reassembly */
	__u32	rx_partials;	/* messages reassembling */
	__u32	chunk_size;
	__u32	max_msg_size;
	__u32	pad;
	__u64	msgs_expired;	/* sent side: ended by their lifetime */
	__u64	msgs_aborted;	/* sent side: POST_ABORT or carrier failure */
	__u64	msgs_acked;
	__u64	rx_expired;	/* receive side: dropped past their lifetime */
	__u64	events_dropped;	/* POST_EVENTS_MAX reached */
	__u32	tx_unacked;	/* messages sent, not yet acknowledged */
	__u32	events_queued;
	/* what the peer advertised when the carrier connected */
	__u32	peer_max_msg_size;
	__u32	peer_rx_budget;	/* bytes of messages it reassembles */
	__u32	peer_max_partials;
	__u32	tx_partials;	/* our messages partly sent */
	/* how message bytes travel: straight from sendmsg()'s buffer into
	 * TCP (direct), or copied into page frags that TCP then takes by
	 * reference (spliced, 6.5+: MSG_SPLICE_PAGES; 6.1: sendpage); from
	 * TCP straight into recvmsg()'s buffer (direct messages), or
	 * reassembled in the carrier: kept in the pages TCP received them
	 * in (kept bytes, copied once, by recvmsg()) or, runs of less than
	 * a page or that would pin pages four times their size, copied
	 * (copied bytes: a second copy)
	 */
	__u64	tx_direct_bytes;
	__u64	rx_direct_msgs;
	__u64	tx_spliced_bytes;
	__u64	rx_copied_bytes;
	__u64	rx_kept_bytes;
};

/* struct post_race_attempt.state */
enum {
	POST_ATTEMPT_IDLE,	/* not started: the race ended first */
	POST_ATTEMPT_RUNNING,	/* TCP handshake in progress */
	POST_ATTEMPT_WON,
	POST_ATTEMPT_FAILED,	/* .error says why (ETIMEDOUT: out of time) */
	POST_ATTEMPT_CANCELLED,	/* closed: another won, or the carrier closed */
};

/* struct post_race_info.flags */
#define POST_RACE_DONE		0x1	/* outcome known (won or failed) */
#define POST_RACE_ASSOC		0x2	/* an association ordered the race */

struct post_race_attempt {
	struct __kernel_sockaddr_storage addr;
	__u32	start_us;	/* after connect() */
	__u32	duration_us;	/* to its outcome (or to now, while running) */
	__s32	error;		/* positive errno when FAILED */
	__u8	state;		/* POST_ATTEMPT_* */
	__u8	pad[3];
};

/*
 * getsockopt(POST_RACE): the last race of this carrier; before the first,
 * all zero but winner (-1). Attempts are in race order; a shorter buffer
 * gets a prefix.
 */
struct post_race_info {
	__u32	nr_attempts;
	__s32	winner;		/* index into attempts, -1 if none */
	__u32	flags;		/* POST_RACE_* */
	__u32	elapsed_us;	/* connect() to the outcome, or to now */
	__s32	error;		/* positive errno when every attempt failed */
	__u32	attempt_delay_ms;
	__u32	assoc_srtt_us;	/* the association's smoothed RTT, if used */
	__u32	pad;
	struct post_race_attempt attempts[POST_MAX_CANDIDATES];
};

#endif /* _UAPI_LINUX_POST_H */
