/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_POST native wire format over TCP, version 1.
 *
 * This header owns the byte layout only; it has no kernel dependencies
 * beyond fixed-width types so that userspace peers, unit tests and fuzzers
 * build it too. All multi-byte fields are big-endian (network order).
 *
 * 1. Preamble. Each side sends 8 bytes first, without waiting for the other:
 *
 *      0      4       5       6       8
 *      +------+-------+-------+-------+
 *      | magic|version| flags |  rsvd |
 *      +------+-------+-------+-------+
 *      magic   = 0x504F5354 ("POST")
 *      version = 1, flags = 0, rsvd = 0
 *
 *    A wrong magic, non-zero flags or rsvd fail the connection with EPROTO;
 *    another version fails it with EPROTONOSUPPORT.
 *
 * 2. Frames. After the preamble the stream is a sequence of frames, each a
 *    16-byte header followed by "len" payload bytes:
 *
 *      0      1      2        4          8                 16
 *      +------+------+--------+----------+-----------------+
 *      | type | flags|  rsvd  |   len    |      msg id     |
 *      +------+------+--------+----------+-----------------+
 *
 *    flags and rsvd are 0. id is the sender's message id (non-zero; ids
 *    1, 2, 3, ... in submission order per connection and direction).
 *
 *    START (1)  begins message "id". The payload is a 16-byte message
 *               header followed by the message's first bytes:
 *                 0         8      9      10     12       16
 *                 +---------+------+------+------+--------+
 *                 | msg len | nice | mflag| rsvd |lifetime|
 *                 +---------+------+------+------+--------+
 *               msg len is the whole message's length (may be 0), nice is
 *               its niceness (0 most urgent .. 7), mflag holds
 *               POST_MFLAG_IDEMPOTENT (other bits 0), rsvd is 0, lifetime is
 *               the milliseconds left of the message's lifetime when the
 *               frame was built (0: none). The receiver does not deliver the
 *               message after lifetime - srtt/2 from the frame's arrival.
 *    DATA (2)   more bytes of message "id" (len >= 1), in order.
 *    ABORT (3)  len 0: the sender gave up on message "id"; the receiver
 *               drops what it reassembled of it.
 *    ACK (4)    len 0, in the other direction: the receiving application
 *               read all of message "id".
 *    EXPIRED (5) len 0, in the other direction: the receiver dropped the
 *               complete message "id" unread, its lifetime over.
 *
 *    ACK and EXPIRED name a message the sender sent completely and has not
 *    heard about yet; anything else resets the connection (EPROTO).
 *
 *    A message is complete when msg len bytes arrived. Frames of different
 *    messages may interleave; at most POST_WIRE_MAX_PARTIALS messages may be
 *    incomplete at once. Data bytes per frame are at most POST_WIRE_CHUNK_MAX
 *    (the sender picks its chunk size up to that).
 *
 *    The receiver resets the connection (EPROTO) on: an unknown type,
 *    non-zero flags, rsvd or unknown mflag bits, a payload longer than allowed, START for an id
 *    already reassembling or for id 0, DATA/ABORT for an id not reassembling,
 *    more data than the message length, a message longer than its maximum
 *    message size, too many partial messages, or reassembly memory beyond
 *    max(SO_RCVBUF, maximum message size).
 */
#ifndef _POST_FRAME_H
#define _POST_FRAME_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
#endif

#define POST_WIRE_MAGIC		0x504F5354U
#define POST_WIRE_VERSION	1
#define POST_PREAMBLE_LEN	8
#define POST_FRAME_HDR_LEN	16
#define POST_MSG_HDR_LEN	16
#define POST_WIRE_CHUNK_MAX	65536U
#define POST_WIRE_MAX_PARTIALS	16U

enum post_frame_type {
	POST_FRAME_START	= 1,
	POST_FRAME_DATA		= 2,
	POST_FRAME_ABORT	= 3,
	POST_FRAME_ACK		= 4,
	POST_FRAME_EXPIRED	= 5,
};

#define POST_MFLAG_IDEMPOTENT	0x01

/* Decoded frame header. */
struct post_frame {
	u8	type;
	u32	len;
	u64	id;
};

/* Decoded START message header. */
struct post_msg_hdr {
	u64	len;
	u32	lifetime_ms;	/* 0: none */
	u8	niceness;
	u8	flags;		/* POST_MFLAG_* */
};

/* Return values of the decoders: 0, or one of these (negated errno values
 * in the kernel, plain codes in userspace).
 */
#define POST_WIRE_EPROTO	1
#define POST_WIRE_EVERSION	2

void post_preamble_encode(u8 *buf);
int post_preamble_decode(const u8 *buf);
void post_frame_encode(u8 *buf, u8 type, u32 len, u64 id);
int post_frame_decode(const u8 *buf, struct post_frame *f);
void post_msg_hdr_encode(u8 *buf, const struct post_msg_hdr *m);
int post_msg_hdr_decode(const u8 *buf, struct post_msg_hdr *m);

#endif /* _POST_FRAME_H */
