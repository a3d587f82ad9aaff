// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the frame parser (kernel/frame.c): the input is a
 * byte stream as a peer would send it, walked the way rx.c walks it:
 * preamble, then frame headers, a message header after START, payloads
 * skipped by their length. Whatever the decoders accept must lie within
 * the documented limits and encode back to the same bytes.
 *
 *   make fuzz [FUZZ_SECONDS=N]
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/frame.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static void check_frame(const uint8_t *buf, const struct post_frame *f)
{
	uint8_t again[POST_FRAME_HDR_LEN];

	CHECK(f->seq != 0 || f->type == POST_FRAME_ACK);
	CHECK(f->type >= POST_FRAME_START && f->type <= POST_FRAME_EXPIRED);
	switch (f->type) {
	case POST_FRAME_START:
		CHECK(f->len >= POST_MSG_HDR_LEN);
		CHECK(f->len <= POST_MSG_HDR_LEN + POST_WIRE_CHUNK_MAX);
		break;
	case POST_FRAME_DATA:
		CHECK(f->len >= 1 && f->len <= POST_WIRE_CHUNK_MAX);
		break;
	case POST_FRAME_ACK:
		CHECK(f->len % 8 == 0 && f->len <= 8 * POST_WIRE_ACK_MAX);
		break;
	default:
		CHECK(f->len == 0);
	}
	post_frame_encode(again, f->type, f->len, f->seq);
	CHECK(!memcmp(again, buf, sizeof(again)));
}

static void check_msg_hdr(const uint8_t *buf, const struct post_msg_hdr *m)
{
	uint8_t again[POST_MSG_HDR_LEN];

	CHECK(m->niceness <= 7);
	CHECK(m->id != 0);
	CHECK(!(m->flags & ~POST_MFLAG_IDEMPOTENT));
	post_msg_hdr_encode(again, m);
	CHECK(!memcmp(again, buf, sizeof(again)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u64 seqs[POST_WIRE_ACK_MAX];
	struct post_limits l;
	struct post_msg_hdr m;
	struct post_frame f;
	size_t off = 0;
	int ret;

	if (size < POST_PREAMBLE_LEN)
		return 0;
	ret = post_preamble_decode(data, &l);
	CHECK(ret == 0 || ret == POST_WIRE_EPROTO || ret == POST_WIRE_EVERSION);
	if (ret)
		return 0;
	CHECK(l.max_msg && l.rx_budget >= l.max_msg);
	CHECK(l.max_partials >= 1 && l.max_partials <= POST_WIRE_MAX_PARTIALS);
	off = POST_PREAMBLE_LEN;

	while (size - off >= POST_FRAME_HDR_LEN) {
		if (post_frame_decode(data + off, &f))
			return 0;
		check_frame(data + off, &f);
		off += POST_FRAME_HDR_LEN;
		if (f.type == POST_FRAME_START) {
			if (size - off < POST_MSG_HDR_LEN)
				return 0;
			if (post_msg_hdr_decode(data + off, &m))
				return 0;
			check_msg_hdr(data + off, &m);
			/* the first piece may not exceed the message */
			if (f.len - POST_MSG_HDR_LEN > m.len)
				return 0;
			off += POST_MSG_HDR_LEN;
			f.len -= POST_MSG_HDR_LEN;
		}
		if (size - off < f.len)
			return 0;
		if (f.type == POST_FRAME_ACK &&
		    !post_ack_decode(data + off, f.len, f.seq, seqs))
			for (uint32_t i = 0; i < f.len / 8; i++)
				CHECK(seqs[i] > (i ? seqs[i - 1] : f.seq));
		off += f.len;
	}
	return 0;
}
