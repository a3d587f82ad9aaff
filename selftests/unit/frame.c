// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kernel/frame.c built in userspace: the byte layout of
 * preamble, frame and message headers, and every rejection the decoder
 * owes the receiver.
 */
#include "post_test.h"
#include "kselftest_harness.h"

TEST(preamble_bytes)
{
	struct post_limits in = { .max_msg = 0x01020304, .max_partials = 16,
				  .rx_budget = 0x05060708 }, l;
	uint8_t pre[POST_PREAMBLE_LEN];

	post_preamble_encode(pre, &in);
	ASSERT_EQ(0, memcmp(pre, "POST\x02\x00\x00\x00"
			    "\x01\x02\x03\x04\x00\x10\x00\x00"
			    "\x05\x06\x07\x08\x00\x00\x00\x00", 24));
	ASSERT_EQ(0, post_preamble_decode(pre, &l));
	ASSERT_EQ(0x01020304, l.max_msg);
	ASSERT_EQ(16, l.max_partials);
	ASSERT_EQ(0x05060708, l.rx_budget);
	ASSERT_EQ(0, post_preamble_check(pre));
	pre[4] = 1;	/* a version 1 peer is told by its first 8 bytes */
	ASSERT_EQ(POST_WIRE_EVERSION, post_preamble_check(pre));
	ASSERT_EQ(POST_WIRE_EVERSION, post_preamble_decode(pre, &l));
	pre[4] = 2;
	pre[5] = 1;
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_check(pre));
	pre[5] = 0;
	pre[0] = 'G';
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_check(pre));
	pre[0] = 'P';
}

TEST(preamble_limits_rejections)
{
	struct post_limits good = { .max_msg = 4096, .max_partials = 1,
				    .rx_budget = 4096 }, l, bad;
	uint8_t pre[POST_PREAMBLE_LEN];

	post_preamble_encode(pre, &good);
	ASSERT_EQ(0, post_preamble_decode(pre, &l));
	bad = good;
	bad.max_msg = 0;
	post_preamble_encode(pre, &bad);
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre, &l));
	bad = good;
	bad.max_partials = 0;
	post_preamble_encode(pre, &bad);
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre, &l));
	bad.max_partials = POST_WIRE_MAX_PARTIALS + 1;
	post_preamble_encode(pre, &bad);
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre, &l));
	bad = good;
	bad.rx_budget = 4095;	/* below its own max msg */
	post_preamble_encode(pre, &bad);
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre, &l));
	post_preamble_encode(pre, &good);
	pre[14] = 1;
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre, &l));
	pre[14] = 0;
	pre[23] = 1;
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre, &l));
}

TEST(ack_payload)
{
	u64 in[3] = { 5, 9, 0x0102030405060708ULL }, out[3];
	uint8_t buf[24];

	post_ack_encode(buf, in, 3);
	ASSERT_EQ(0, memcmp(buf + 16, "\x01\x02\x03\x04\x05\x06\x07\x08", 8));
	ASSERT_EQ(0, post_ack_decode(buf, 24, 4, out));
	ASSERT_EQ(5, out[0]);
	ASSERT_EQ(9, out[1]);
	/* every listed seq is above the cumulative one, increasing */
	ASSERT_EQ(POST_WIRE_EPROTO, post_ack_decode(buf, 24, 5, out));
	in[1] = 5;
	post_ack_encode(buf, in, 3);
	ASSERT_EQ(POST_WIRE_EPROTO, post_ack_decode(buf, 24, 0, out));
}

TEST(frame_header_bytes)
{
	static const uint8_t want[16] = {
		2, 0, 0, 0, 0x00, 0x00, 0x12, 0x34,
		0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80,
	};
	uint8_t hdr[POST_FRAME_HDR_LEN];
	struct post_frame f;

	post_frame_encode(hdr, POST_FRAME_DATA, 0x1234, 0x1020304050607080ULL);
	ASSERT_EQ(0, memcmp(hdr, want, sizeof(want)));
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	ASSERT_EQ(POST_FRAME_DATA, f.type);
	ASSERT_EQ(0x1234, f.len);
	ASSERT_EQ(0x1020304050607080ULL, f.seq);
}

TEST(msg_header_bytes)
{
	struct post_msg_hdr in = {
		.len = 0x0102030405ULL, .niceness = 7, .id = 0x99,
		.flags = POST_MFLAG_IDEMPOTENT, .lifetime_ms = 0x0a0b0c0d,
	};
	uint8_t mh[POST_MSG_HDR_LEN];
	struct post_msg_hdr m;

	post_msg_hdr_encode(mh, &in);
	ASSERT_EQ(0, memcmp(mh, "\0\0\0\x01\x02\x03\x04\x05\x07\x01\0\0\x0a\x0b\x0c\x0d"
			    "\0\0\0\0\0\0\0\x99", 24));
	ASSERT_EQ(0, post_msg_hdr_decode(mh, &m));
	ASSERT_EQ(0x99, m.id);
	ASSERT_EQ(0x0102030405ULL, m.len);
	ASSERT_EQ(7, m.niceness);
	ASSERT_EQ(POST_MFLAG_IDEMPOTENT, m.flags);
	ASSERT_EQ(0x0a0b0c0d, m.lifetime_ms);
	mh[8] = 8;	/* niceness beyond 7 */
	ASSERT_EQ(POST_WIRE_EPROTO, post_msg_hdr_decode(mh, &m));
	mh[8] = 0;
	mh[9] = 2;	/* unknown message flag */
	ASSERT_EQ(POST_WIRE_EPROTO, post_msg_hdr_decode(mh, &m));
	mh[9] = 0;
	mh[11] = 1;	/* reserved */
	ASSERT_EQ(POST_WIRE_EPROTO, post_msg_hdr_decode(mh, &m));
	mh[11] = 0;
	mh[15] = 0;	/* any lifetime is valid */
	ASSERT_EQ(0, post_msg_hdr_decode(mh, &m));
	mh[23] = 0;	/* message id 0 */
	ASSERT_EQ(POST_WIRE_EPROTO, post_msg_hdr_decode(mh, &m));
}

TEST(frame_rejections)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];
	struct post_frame f;

	post_frame_encode(hdr, POST_FRAME_START, POST_MSG_HDR_LEN - 1, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_START,
			  POST_MSG_HDR_LEN + POST_WIRE_CHUNK_MAX + 1, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_START,
			  POST_MSG_HDR_LEN + POST_WIRE_CHUNK_MAX, 1);
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_DATA, 0, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_DATA, POST_WIRE_CHUNK_MAX + 1, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_ABORT, 1, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_ACK, 0, 1);
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	/* an ACK's cumulative seq may be 0; no other frame's */
	post_frame_encode(hdr, POST_FRAME_ACK, 8, 0);
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_ACK, 8 * POST_WIRE_ACK_MAX, 1);
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_ACK, 8 * POST_WIRE_ACK_MAX + 8, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_ACK, 7, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_DATA, 1, 0);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, 0, 0, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_EXPIRED, 0, 1);
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_EXPIRED, 1, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, 6, 0, 1);
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
	post_frame_encode(hdr, POST_FRAME_ACK, 0, 1);
	hdr[1] = 0x80;
	ASSERT_EQ(POST_WIRE_EPROTO, post_frame_decode(hdr, &f));
}

/* Random headers: whatever is accepted must be within the documented limits. */
TEST(random_headers_respect_limits)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];
	unsigned int seed = 1, accepted = 0;
	struct post_frame f;

	for (int i = 0; i < 1000000; i++) {
		for (int b = 0; b < POST_FRAME_HDR_LEN; b++)
			hdr[b] = rand_r(&seed);
		/* bias towards plausible headers so some are accepted */
		hdr[0] &= 7;
		hdr[1] = i & 1 ? hdr[1] : 0;
		hdr[2] = hdr[3] = i & 2 ? hdr[2] : 0;
		hdr[4] = hdr[5] = 0;
		if (post_frame_decode(hdr, &f))
			continue;
		accepted++;
		ASSERT_TRUE(f.type >= POST_FRAME_START && f.type <= POST_FRAME_EXPIRED);
		if (f.type != POST_FRAME_ACK)
			ASSERT_NE(0, f.seq);
		ASSERT_EQ(0, hdr[1]);
		ASSERT_LE(f.len, POST_MSG_HDR_LEN + POST_WIRE_CHUNK_MAX);
		if (f.type == POST_FRAME_DATA)
			ASSERT_LE(f.len, POST_WIRE_CHUNK_MAX);
		if (f.type == POST_FRAME_ACK) {
			ASSERT_LE(f.len, 8 * POST_WIRE_ACK_MAX);
		} else if (f.type >= POST_FRAME_ABORT) {
			ASSERT_EQ(0, f.len);
		}
	}
	ASSERT_LT(1000, accepted);
}

TEST_HARNESS_MAIN
