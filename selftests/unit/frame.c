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
	uint8_t pre[POST_PREAMBLE_LEN];

	post_preamble_encode(pre);
	ASSERT_EQ(0, memcmp(pre, "POST\x01\x00\x00\x00", 8));
	ASSERT_EQ(0, post_preamble_decode(pre));
	pre[4] = 2;
	ASSERT_EQ(POST_WIRE_EVERSION, post_preamble_decode(pre));
	pre[4] = 1;
	pre[5] = 1;
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre));
	pre[5] = 0;
	pre[0] = 'G';
	ASSERT_EQ(POST_WIRE_EPROTO, post_preamble_decode(pre));
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
	ASSERT_EQ(0x1020304050607080ULL, f.id);
}

TEST(msg_header_bytes)
{
	struct post_msg_hdr in = {
		.len = 0x0102030405ULL, .niceness = 7,
		.flags = POST_MFLAG_IDEMPOTENT, .lifetime_ms = 0x0a0b0c0d,
	};
	uint8_t mh[POST_MSG_HDR_LEN];
	struct post_msg_hdr m;

	post_msg_hdr_encode(mh, &in);
	ASSERT_EQ(0, memcmp(mh, "\0\0\0\x01\x02\x03\x04\x05\x07\x01\0\0\x0a\x0b\x0c\x0d", 16));
	ASSERT_EQ(0, post_msg_hdr_decode(mh, &m));
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
	post_frame_encode(hdr, POST_FRAME_ACK, 0, 0);
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
		ASSERT_NE(0, f.id);
		ASSERT_EQ(0, hdr[1]);
		ASSERT_LE(f.len, POST_MSG_HDR_LEN + POST_WIRE_CHUNK_MAX);
		if (f.type == POST_FRAME_DATA)
			ASSERT_LE(f.len, POST_WIRE_CHUNK_MAX);
		if (f.type >= POST_FRAME_ABORT)
			ASSERT_EQ(0, f.len);
	}
	ASSERT_LT(1000, accepted);
}

TEST_HARNESS_MAIN
