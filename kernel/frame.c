// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST wire format: encoding and stateless validation of the preamble,
 * frame headers and message headers (layout documented in frame.h).
 *
 * No locking, no allocation, no kernel dependencies: this file also builds
 * in userspace for unit tests and peers. Stateful checks (which ids are
 * reassembling, memory limits) belong to rx.c.
 */
#include "frame.h"

static void put_be16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(u8 *p, u32 v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static void put_be64(u8 *p, u64 v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

static u16 get_be16(const u8 *p)
{
	return (u16)p[0] << 8 | p[1];
}

static u32 get_be32(const u8 *p)
{
	return (u32)get_be16(p) << 16 | get_be16(p + 2);
}

static u64 get_be64(const u8 *p)
{
	return (u64)get_be32(p) << 32 | get_be32(p + 4);
}

void post_preamble_encode(u8 *buf, const struct post_limits *l)
{
	put_be32(buf, POST_WIRE_MAGIC);
	buf[4] = POST_WIRE_VERSION;
	buf[5] = 0;
	put_be16(buf + 6, 0);
	put_be32(buf + 8, l->max_msg);
	put_be16(buf + 12, l->max_partials);
	put_be16(buf + 14, 0);
	put_be32(buf + 16, l->rx_budget);
	put_be32(buf + 20, 0);
}

/* The first POST_PREAMBLE_FIXED bytes: is this our protocol and version? */
int post_preamble_check(const u8 *buf)
{
	if (get_be32(buf) != POST_WIRE_MAGIC)
		return POST_WIRE_EPROTO;
	if (buf[4] != POST_WIRE_VERSION)
		return POST_WIRE_EVERSION;
	if (buf[5] || get_be16(buf + 6))
		return POST_WIRE_EPROTO;
	return 0;
}

int post_preamble_decode(const u8 *buf, struct post_limits *l)
{
	int err = post_preamble_check(buf);

	if (err)
		return err;
	l->max_msg = get_be32(buf + 8);
	l->max_partials = get_be16(buf + 12);
	l->rx_budget = get_be32(buf + 16);
	if (get_be16(buf + 14) || get_be32(buf + 20) || !l->max_msg ||
	    !l->max_partials || l->max_partials > POST_WIRE_MAX_PARTIALS ||
	    l->rx_budget < l->max_msg)
		return POST_WIRE_EPROTO;
	return 0;
}

void post_frame_encode(u8 *buf, u8 type, u32 len, u64 seq)
{
	buf[0] = type;
	buf[1] = 0;
	put_be16(buf + 2, 0);
	put_be32(buf + 4, len);
	put_be64(buf + 8, seq);
}

int post_frame_decode(const u8 *buf, struct post_frame *f)
{
	f->type = buf[0];
	f->len = get_be32(buf + 4);
	f->seq = get_be64(buf + 8);

	if (buf[1] || get_be16(buf + 2))
		return POST_WIRE_EPROTO;
	if (!f->seq && f->type != POST_FRAME_ACK)
		return POST_WIRE_EPROTO;

	switch (f->type) {
	case POST_FRAME_START:
		if (f->len < POST_MSG_HDR_LEN ||
		    f->len > POST_MSG_HDR_LEN + POST_WIRE_CHUNK_MAX)
			return POST_WIRE_EPROTO;
		return 0;
	case POST_FRAME_DATA:
		if (!f->len || f->len > POST_WIRE_CHUNK_MAX)
			return POST_WIRE_EPROTO;
		return 0;
	case POST_FRAME_ACK:
		if (f->len % 8 || f->len > 8 * POST_WIRE_ACK_MAX)
			return POST_WIRE_EPROTO;
		return 0;
	case POST_FRAME_ABORT:
	case POST_FRAME_EXPIRED:
		return f->len ? POST_WIRE_EPROTO : 0;
	default:
		return POST_WIRE_EPROTO;
	}
}

void post_msg_hdr_encode(u8 *buf, const struct post_msg_hdr *m)
{
	put_be64(buf, m->len);
	buf[8] = m->niceness;
	buf[9] = m->flags;
	put_be16(buf + 10, 0);
	put_be32(buf + 12, m->lifetime_ms);
	put_be64(buf + 16, m->id);
}

int post_msg_hdr_decode(const u8 *buf, struct post_msg_hdr *m)
{
	m->len = get_be64(buf);
	m->niceness = buf[8];
	m->flags = buf[9];
	m->lifetime_ms = get_be32(buf + 12);
	m->id = get_be64(buf + 16);
	if (m->niceness > 7 || (m->flags & ~POST_MFLAG_IDEMPOTENT) ||
	    get_be16(buf + 10) || !m->id)
		return POST_WIRE_EPROTO;
	return 0;
}

/* An ACK frame's payload: @n seqs (n <= POST_WIRE_ACK_MAX). */
void post_ack_encode(u8 *buf, const u64 *seqs, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		put_be64(buf + 8 * i, seqs[i]);
}

/*
 * Decode an ACK payload of @len bytes (a multiple of 8, checked by
 * post_frame_decode) for cumulative seq @cum into @seqs: strictly
 * increasing and above @cum, or EPROTO.
 */
int post_ack_decode(const u8 *buf, u32 len, u64 cum, u64 *seqs)
{
	u64 last = cum;
	u32 i;

	for (i = 0; i < len / 8; i++) {
		seqs[i] = get_be64(buf + 8 * i);
		if (seqs[i] <= last)
			return POST_WIRE_EPROTO;
		last = seqs[i];
	}
	return 0;
}
