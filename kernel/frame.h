/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_POST native wire format over TCP, version 2.
 *
 * This header owns the byte layout and the rules a peer must follow; it has
 * no kernel dependencies beyond fixed-width types so that userspace peers,
 * unit tests and fuzzers build it too. All multi-byte fields are
 * big-endian (network order). A peer can be written from this comment.
 *
 * 1. Preamble. Each side sends 24 bytes first, without waiting for the
 *    other, and nothing else until it has sent them:
 *
 *      0      4       5       6       8         12      14      16        20      24
 *      +------+-------+-------+-------+---------+-------+-------+---------+-------+
 *      | magic|version| flags |  rsvd | max msg | max   | rsvd  |  rx     | rsvd  |
 *      |      |       |       |       |         |partials       | budget  |       |
 *      +------+-------+-------+-------+---------+-------+-------+---------+-------+
 *      magic        = 0x504F5354 ("POST")
 *      version      = 2; flags, rsvd = 0
 *      max msg      the largest message (bytes) this side accepts, >= 1
 *      max partials how many messages this side reassembles at once,
 *                   1..POST_WIRE_MAX_PARTIALS
 *      rx budget    how many bytes of messages this side holds while they
 *                   reassemble: the sum of the announced lengths of its
 *                   partial messages (see 3), >= max msg
 *
 *    The first 8 bytes are checked as soon as they arrive: a wrong magic
 *    fails the connection with EPROTO, another version with
 *    EPROTONOSUPPORT (a version 1 peer sends only those 8 bytes). Non-zero
 *    flags or rsvd, or limits outside the ranges above, fail it with
 *    EPROTO. The limits a side advertises bind the other side's sender for
 *    the whole connection.
 *
 * 2. Frames. After the preamble the stream is a sequence of frames, each a
 *    16-byte header followed by "len" payload bytes:
 *
 *      0      1      2        4          8                 16
 *      +------+------+--------+----------+-----------------+
 *      | type | flags|  rsvd  |   len    |       seq       |
 *      +------+------+--------+----------+-----------------+
 *
 *    flags and rsvd are 0. "seq" names a message on the wire: the sender
 *    numbers the messages it starts 1, 2, 3, ... in the order of their
 *    START frames, separately for each direction. It is not the message's
 *    id (which the START frame carries in its message header): a message
 *    the sender drops before starting it never gets a seq, so the
 *    receiver sees no gaps.
 *
 *    START (1)  begins message "seq", which must be one more than the seq
 *               of the previous START (the first START is 1). The payload
 *               is a 24-byte message header followed by the message's
 *               first bytes:
 *                 0         8      9      10     12       16        24
 *                 +---------+------+------+------+--------+---------+
 *                 | msg len | nice | mflag| rsvd |lifetime| msg id  |
 *                 +---------+------+------+------+--------+---------+
 *               msg len is the whole message's length (may be 0), nice is
 *               its niceness (0 most urgent .. 7), mflag holds
 *               POST_MFLAG_IDEMPOTENT (other bits 0), rsvd is 0, lifetime is
 *               the milliseconds left of the message's lifetime when the
 *               frame was built (0: none), msg id is the sender's id of the
 *               message (non-zero; what the receiving application is told).
 *               The receiver does not deliver the message after lifetime -
 *               srtt/2 from the frame's arrival.
 *    DATA (2)   more bytes of message "seq" (len >= 1), in order. Every
 *               DATA frame that does not end its message carries at least
 *               POST_WIRE_DATA_MIN bytes (so that tiny frames cannot
 *               multiply the receiver's cost).
 *    ABORT (3)  len 0: the sender gave up on message "seq", which it
 *               started and did not finish; the receiver drops what it
 *               reassembled of it.
 *    ACK (4)    in the other direction: the receiving application is done
 *               with messages. "seq" is cumulative: every message with a
 *               seq up to it was read completely (or dropped and reported,
 *               see EXPIRED, or aborted by its sender). It may be 0. The
 *               payload lists up to POST_WIRE_ACK_MAX more seqs, 8 bytes
 *               each, strictly increasing and above the cumulative one, of
 *               messages also read completely. The cumulative seq never
 *               decreases from one ACK to the next.
 *    EXPIRED (5) len 0, in the other direction: the receiver dropped the
 *               complete message "seq" unread, its lifetime over. It is
 *               sent before any ACK whose cumulative seq covers "seq".
 *
 * 3. Limits. A message is partial from its START frame until the frame
 *    that carries its last byte; a START that carries all of it makes it
 *    complete at once. The sender keeps within what the receiver
 *    advertised: no message longer than max msg (sendmsg() fails with
 *    EMSGSIZE), at most max partials partial messages at once, and the
 *    announced lengths of all partial messages together at most rx budget
 *    (a message that does not fit waits until partial ones complete;
 *    started ones can always complete). Frame payloads are at most
 *    POST_WIRE_CHUNK_MAX data bytes (the sender picks its chunk size up to
 *    that); frames of different messages may interleave.
 *
 * 4. Acknowledgements are required. A receiver sends an ACK covering every
 *    message its application has read, at the latest POST_WIRE_ACK_DELAY_MS
 *    (a receiver may round it up to its timer tick) after its application
 *    stopped finding more to read, with any frame it
 *    sends the other way, and after every POST_WIRE_ACK_MAX messages read.
 *    ACKs cost the receiver no memory per message and never wait for
 *    receive space. A sender keeps every message until it is acknowledged
 *    (it reports "acked" then): a receiver that never acknowledges stalls
 *    its sender once the sender's SO_SNDBUF is held by unacknowledged
 *    messages. ACK and EXPIRED frames may only name messages the sender
 *    sent completely; naming one it is still sending, or a seq it never
 *    started, resets the connection (EPROTO). Naming one again (already
 *    acknowledged or reported) is allowed and does nothing.
 *
 * 5. Resets. The receiver resets the connection (EPROTO) on: an unknown
 *    type; non-zero flags, rsvd or unknown mflag bits; niceness above 7;
 *    msg id 0; a payload longer than allowed for its type; START with a seq
 *    other than the next one; DATA or ABORT for a seq not reassembling;
 *    more data than the message length; a non-final DATA frame shorter
 *    than POST_WIRE_DATA_MIN; a message longer than the max msg it
 *    advertised; a partial message beyond the max partials or the rx budget
 *    it advertised; an ACK or EXPIRED frame against the rules of 2 and 4;
 *    TCP urgent data. The reset is a TCP RST; the local carrier reports
 *    EPROTO.
 *
 * 6. End. A FIN in the middle of a message (after its START, before its
 *    last byte) drops the partial message and the receiving carrier
 *    reports ECONNRESET, not end of stream; a FIN between frames is a
 *    clean end. A carrier closed by its application with nothing unread
 *    goes on sending what it queued, by the rules above (a successor
 *    still waits for its antecedent's ACK, the advertised limits still
 *    bind), for up to 60 s; then it sends FIN (in the middle of a message
 *    if it gave up on one) and goes on reading (and discarding) what
 *    arrives, so that the peer's ACKs for its last messages do not meet a
 *    reset, until the peer's FIN, an error or 60 s. A peer that never
 *    acknowledges thus keeps a closed carrier's last messages from it.
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
#define POST_WIRE_VERSION	2
#define POST_PREAMBLE_FIXED	8	/* magic and version: checked first */
#define POST_PREAMBLE_LEN	24
#define POST_FRAME_HDR_LEN	16
#define POST_MSG_HDR_LEN	24
#define POST_WIRE_CHUNK_MAX	65536U
#define POST_WIRE_DATA_MIN	512U
#define POST_WIRE_MAX_PARTIALS	16U
#define POST_WIRE_ACK_MAX	16U
#define POST_WIRE_ACK_DELAY_MS	1

enum post_frame_type {
	POST_FRAME_START	= 1,
	POST_FRAME_DATA		= 2,
	POST_FRAME_ABORT	= 3,
	POST_FRAME_ACK		= 4,
	POST_FRAME_EXPIRED	= 5,
};

#define POST_MFLAG_IDEMPOTENT	0x01

/* What a side advertises in its preamble. */
struct post_limits {
	u32	max_msg;
	u32	rx_budget;
	u16	max_partials;
};

/* Decoded frame header. */
struct post_frame {
	u8	type;
	u32	len;
	u64	seq;
};

/* Decoded START message header. */
struct post_msg_hdr {
	u64	len;
	u64	id;
	u32	lifetime_ms;	/* 0: none */
	u8	niceness;
	u8	flags;		/* POST_MFLAG_* */
};

/* Return values of the decoders: 0, or one of these (negated errno values
 * in the kernel, plain codes in userspace).
 */
#define POST_WIRE_EPROTO	1
#define POST_WIRE_EVERSION	2

void post_preamble_encode(u8 *buf, const struct post_limits *l);
int post_preamble_check(const u8 *buf);
int post_preamble_decode(const u8 *buf, struct post_limits *l);
void post_frame_encode(u8 *buf, u8 type, u32 len, u64 seq);
int post_frame_decode(const u8 *buf, struct post_frame *f);
void post_msg_hdr_encode(u8 *buf, const struct post_msg_hdr *m);
int post_msg_hdr_decode(const u8 *buf, struct post_msg_hdr *m);
void post_ack_encode(u8 *buf, const u64 *seqs, u32 n);
int post_ack_decode(const u8 *buf, u32 len, u64 cum, u64 *seqs);

#endif /* _POST_FRAME_H */
