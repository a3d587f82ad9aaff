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
 *   Other types fail socket() with ESOCKTNOSUPPORT; protocols other than 0
 *   fail with EPROTONOSUPPORT.
 *
 * Addresses
 *   bind(), connect() and the addresses getsockname()/getpeername() return
 *   are plain struct sockaddr_in / struct sockaddr_in6. A short address
 *   gets EINVAL, any other sa_family gets EAFNOSUPPORT.
 *
 * Establishment
 *   connect() completes once TCP is established and the peer's preamble has
 *   been validated. Errors (blocking return, or SO_ERROR after a
 *   non-blocking connect reported POLLOUT/POLLERR):
 *     ECONNREFUSED, ENETUNREACH, ...  as TCP
 *     EPROTO           the peer sent something that is not an AF_POST preamble
 *     EPROTONOSUPPORT  the peer speaks another AF_POST wire version
 *     ECONNRESET       the peer closed before sending its preamble
 *     ETIMEDOUT        no preamble within POST_HANDSHAKE_TIMEOUT
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

#define POST_MAX_MSG_DEFAULT	(16U << 20)
#define POST_MAX_MSG_LIMIT	(256U << 20)
#define POST_CHUNK_MIN		512U
#define POST_CHUNK_MAX		65536U
#define POST_CHUNK_DEFAULT	16384U
#define POST_HANDSHAKE_TIMEOUT_DEFAULT	5000U	/* ms */
#define POST_MAX_PARTIALS	16U	/* messages reassembling at once */

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

#endif /* _UAPI_LINUX_POST_H */
