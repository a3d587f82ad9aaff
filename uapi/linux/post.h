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
 *   (SOCK_STREAM). getsockopt(POST_RACE) tells what happened.
 *
 *   Errors (blocking return, or SO_ERROR after a non-blocking connect
 *   reported POLLOUT/POLLERR). When every attempt fails, the most telling
 *   error of all of them: ECONNREFUSED, then EHOSTUNREACH, ENETUNREACH,
 *   EACCES, EPERM, then any other, then ETIMEDOUT.
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
 *   exceeds POST_MAX_MSG_SIZE, ENOTCONN before connect, EPIPE (and SIGPIPE
 *   unless MSG_NOSIGNAL) after shutdown(SHUT_WR) or reset, EAGAIN when
 *   non-blocking and the send queue is full (SO_SNDBUF), EINVAL for a control
 *   message this version does not know. A message is accepted while the
 *   queued bytes are below SO_SNDBUF, so one message may overshoot it.
 *   Messages get ids 1, 2, 3, ... in sendmsg() order on each carrier;
 *   getsockopt(POST_NEXT_ID) tells the id the next message will get.
 *
 *   recvmsg() returns bytes of one message; MSG_EOR is set on the call that
 *   returns its last byte. A buffer smaller than the message gets the rest on
 *   the next calls (never truncated). A zero-length message returns 0 with
 *   MSG_EOR; end of stream returns 0 without MSG_EOR. Each call carries a
 *   SOL_POST/POST_CMSG_ID control message (__u64) when there is room.
 *   MSG_PEEK and MSG_DONTWAIT work; MSG_OOB gets EOPNOTSUPP.
 *
 *   poll(): EPOLLIN only for a complete message, end of stream or error.
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

/*
 * Per network namespace defaults and the association cache, as sysctls in
 * /proc/sys/net/post/:
 *   attempt_delay_ms   a new socket's POST_ATTEMPT_DELAY (250, 10..2000)
 *   prefer_ipv6        1: a new socket prefers AF_INET6, 0: AF_INET
 *   assoc_expiry_ms    how long an association is trusted (600000; 0 turns
 *                      the cache off: nothing is looked up or learned)
 *   assoc_max          associations kept, least recently used evicted first
 *                      (256, 0..65536)
 */

/* SOL_POST control messages. */
#define POST_CMSG_ID		1	/* recvmsg: __u64 message id */

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
 * getsockopt(POST_RACE): the last race of this carrier, all zero before
 * the first. Attempts are in race order; a shorter buffer gets a prefix.
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
