// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST wire format against a raw TCP peer written from kernel/frame.h:
 * what a carrier puts on the wire, reassembly of chunked and interleaved
 * messages, EPOLLIN only for complete messages, ABORT, and EPROTO for
 * every malformed input.
 */
#include "post_test.h"
#include "kselftest_harness.h"

FIXTURE(raw) {
	int tfd;	/* raw TCP side */
	int pfd;	/* AF_POST carrier */
};

FIXTURE_SETUP(raw)
{
	uint8_t pre[POST_PREAMBLE_LEN];
	struct addr a;
	int lfd = tcp_listener(AF_INET, &a);

	/* a carrier that resets mid-write must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	ASSERT_LE(0, lfd);
	self->pfd = post_socket(SOCK_NONBLOCK);
	ASSERT_LE(0, self->pfd);
	ASSERT_EQ(-1, connect(self->pfd, (struct sockaddr *)&a.ss, a.len));
	self->tfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, self->tfd);
	close(lfd);
	ASSERT_EQ(0, read_all(self->tfd, pre, sizeof(pre)));
	ASSERT_EQ(0, post_preamble_decode(pre));
	ASSERT_EQ(0, raw_preamble(self->tfd));
	ASSERT_EQ(0, fcntl(self->pfd, F_SETFL, 0));
}

FIXTURE_TEARDOWN(raw)
{
	close(self->tfd);
	close(self->pfd);
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static int recv_errno(int fd)
{
	char buf[64];
	struct timeval tv = { 5, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(fd, buf, sizeof(buf), 0) >= 0)
		return 0;
	return errno;
}

TEST_F(raw, frames_we_send)
{
	unsigned int chunk = 16384;
	size_t len = 40000;
	char *buf = malloc(len), *got = malloc(len);
	uint8_t hdr[POST_FRAME_HDR_LEN], mh[POST_MSG_HDR_LEN];
	struct post_msg_hdr m;
	struct post_frame f;
	size_t off = 0;

	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_CHUNK_SIZE, &chunk,
				sizeof(chunk)));
	fill(buf, len, 9);
	ASSERT_EQ((ssize_t)len, send(self->pfd, buf, len, 0));

	ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	ASSERT_EQ(POST_FRAME_START, f.type);
	ASSERT_EQ(1, f.id);
	ASSERT_EQ(POST_MSG_HDR_LEN + chunk, f.len);
	ASSERT_EQ(0, read_all(self->tfd, mh, sizeof(mh)));
	ASSERT_EQ(0, post_msg_hdr_decode(mh, &m));
	ASSERT_EQ(len, m.len);
	ASSERT_EQ(0, read_all(self->tfd, got, chunk));
	off = chunk;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
		ASSERT_EQ(0, post_frame_decode(hdr, &f));
		ASSERT_EQ(POST_FRAME_DATA, f.type);
		ASSERT_EQ(1, f.id);
		ASSERT_EQ(n, f.len);
		ASSERT_EQ(0, read_all(self->tfd, got + off, n));
		off += n;
	}
	ASSERT_EQ(0, memcmp(buf, got, len));

	/* a zero-length message is one START frame */
	ASSERT_EQ(0, send(self->pfd, buf, 0, 0));
	ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	ASSERT_EQ(POST_FRAME_START, f.type);
	ASSERT_EQ(2, f.id);
	ASSERT_EQ(POST_MSG_HDR_LEN, f.len);
	free(buf);
	free(got);
}

TEST_F(raw, epollin_only_for_complete_message)
{
	char data[100], buf[200];
	uint64_t id;
	int eor;

	fill(data, sizeof(data), 1);
	ASSERT_EQ(0, raw_start(self->tfd, 1, 100, data, 50));
	ASSERT_EQ(0, readable(self->pfd, 300));
	ASSERT_EQ(-1, recv(self->pfd, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 1, data + 50, 50));
	ASSERT_EQ(1, readable(self->pfd, 5000));
	ASSERT_EQ(100, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(1, id);
	ASSERT_EQ(-1, check_fill(buf, 100, 1));
}

TEST_F(raw, interleaved_messages_reassemble)
{
	char a[300], b[20], buf[400];
	uint64_t id;
	int eor;

	fill(a, sizeof(a), 11);
	fill(b, sizeof(b), 12);
	ASSERT_EQ(0, raw_start(self->tfd, 5, 300, a, 100));
	ASSERT_EQ(0, raw_start(self->tfd, 6, 20, b, 10));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 5, a + 100, 100));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 6, b + 10, 10));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 5, a + 200, 100));
	/* the small one completed first and comes first */
	ASSERT_EQ(20, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(6, id);
	ASSERT_EQ(-1, check_fill(buf, 20, 12));
	ASSERT_EQ(300, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(5, id);
	ASSERT_EQ(-1, check_fill(buf, 300, 11));
}

TEST_F(raw, abort_drops_partial)
{
	char data[64], buf[64];
	uint64_t id;
	int eor;

	fill(data, sizeof(data), 2);
	ASSERT_EQ(0, raw_start(self->tfd, 1, 64, data, 32));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_ABORT, 1, NULL, 0));
	ASSERT_EQ(0, raw_start(self->tfd, 2, 8, data, 8));
	ASSERT_EQ(8, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(2, id);
	ASSERT_EQ(1, eor);
	/* the aborted id may be reused: it is no longer reassembling */
	ASSERT_EQ(0, raw_start(self->tfd, 1, 4, data, 4));
	ASSERT_EQ(4, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(1, id);
}

TEST_F(raw, peer_eof_mid_message_is_eof)
{
	char data[64], buf[64];

	ASSERT_EQ(0, raw_start(self->tfd, 1, 64, data, 32));
	ASSERT_EQ(0, shutdown(self->tfd, SHUT_WR));
	ASSERT_EQ(0, recv(self->pfd, buf, sizeof(buf), 0));
}

TEST_F(raw, unknown_frame_type_is_eproto)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];

	post_frame_encode(hdr, 9, 0, 1);
	ASSERT_EQ(0, write_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
	/* the error is reported once, then the carrier is closed */
	ASSERT_EQ(0, recv(self->pfd, hdr, sizeof(hdr), 0));
}

TEST_F(raw, reserved_bits_are_eproto)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];

	post_frame_encode(hdr, POST_FRAME_ACK, 0, 1);
	hdr[2] = 1;
	ASSERT_EQ(0, write_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, data_for_unknown_id_is_eproto)
{
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 3, "abc", 3));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, oversized_chunk_is_eproto)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];

	ASSERT_EQ(0, raw_start(self->tfd, 1, 1 << 20, NULL, 0));
	post_frame_encode(hdr, POST_FRAME_DATA, POST_WIRE_CHUNK_MAX + 1, 1);
	ASSERT_EQ(0, write_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, more_data_than_announced_is_eproto)
{
	ASSERT_EQ(0, raw_start(self->tfd, 1, 4, "abcd", 4));
	ASSERT_EQ(0, raw_start(self->tfd, 2, 4, "ab", 2));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 2, "cdef", 4));
	ASSERT_EQ(0, recv_errno(self->pfd));	/* message 1 is fine */
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, message_over_max_size_is_eproto)
{
	unsigned int max = 4096;

	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_MAX_MSG_SIZE, &max,
				sizeof(max)));
	ASSERT_EQ(0, raw_start(self->tfd, 1, 4097, NULL, 0));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, duplicate_start_is_eproto)
{
	ASSERT_EQ(0, raw_start(self->tfd, 1, 10, "abc", 3));
	ASSERT_EQ(0, raw_start(self->tfd, 1, 10, "abc", 3));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, too_many_partials_is_eproto)
{
	for (uint64_t id = 1; id <= POST_WIRE_MAX_PARTIALS + 1; id++)
		ASSERT_EQ(0, raw_start(self->tfd, id, 10, "a", 1));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, reassembly_memory_is_bounded)
{
	unsigned int max = 1 << 20;
	int rcvbuf = 65536;
	char *chunk = calloc(1, POST_WIRE_CHUNK_MAX);
	struct post_info info;
	socklen_t il = sizeof(info);
	int err;

	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_MAX_MSG_SIZE, &max,
				sizeof(max)));
	ASSERT_EQ(0, setsockopt(self->pfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	/* 16 partial messages of 1 MiB each: 16 MiB would be needed */
	for (uint64_t id = 1; id <= POST_WIRE_MAX_PARTIALS; id++)
		ASSERT_EQ(0, raw_start(self->tfd, id, max, NULL, 0));
	for (int r = 0; r < 16; r++)
		for (uint64_t id = 1; id <= POST_WIRE_MAX_PARTIALS; id++)
			if (raw_frame(self->tfd, POST_FRAME_DATA, id, chunk,
				      POST_WIRE_CHUNK_MAX))
				goto done;
done:
	err = recv_errno(self->pfd);
	ASSERT_EQ(EPROTO, err);
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(0, info.rx_queued);
	ASSERT_EQ(0, info.rx_partials);
	free(chunk);
}

TEST_F(raw, tiny_frames_count_at_their_true_cost)
{
	unsigned int max = 1 << 20;
	size_t n = 40000, len = n * (POST_FRAME_HDR_LEN + 1);
	uint8_t *buf = malloc(len), *p = buf;
	struct post_info info;
	socklen_t il = sizeof(info);

	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_MAX_MSG_SIZE, &max,
				sizeof(max)));
	/* 40,000 one-byte frames: 40 KB of payload, far more in pieces */
	ASSERT_EQ(0, raw_start(self->tfd, 1, max, NULL, 0));
	for (size_t i = 0; i < n; i++) {
		post_frame_encode(p, POST_FRAME_DATA, 1, 1);
		p[POST_FRAME_HDR_LEN] = 'x';
		p += POST_FRAME_HDR_LEN + 1;
	}
	write_all(self->tfd, buf, len);
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(0, info.rx_queued);
	free(buf);
}

TEST_F(raw, urgent_data_is_eproto)
{
	ASSERT_EQ(1, send(self->tfd, "!", 1, MSG_OOB));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, ack_and_expired_need_a_sent_message)
{
	uint8_t hdr[POST_FRAME_HDR_LEN + POST_MSG_HDR_LEN + 1];
	uint32_t mask = 1 << POST_EV_ACKED;
	char cbuf[CMSG_SPACE(sizeof(struct post_event))];
	struct msghdr m = { .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct pollfd pfd = { .fd = self->pfd, .events = 0 };
	struct post_event ev;

	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_EVENTS, &mask,
				sizeof(mask)));
	/* message 1 reaches the raw peer, which acknowledges it */
	ASSERT_EQ(1, send(self->pfd, "x", 1, 0));
	ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_ACK, 1, NULL, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_TRUE(pfd.revents & POLLERR);
	ASSERT_EQ(0, recvmsg(self->pfd, &m, MSG_ERRQUEUE));
	memcpy(&ev, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(ev));
	ASSERT_EQ(1, ev.id);
	ASSERT_EQ(POST_EV_ACKED, ev.type);
	/* a second ACK for it is a protocol error */
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_ACK, 1, NULL, 0));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, ack_for_unsent_id_is_eproto)
{
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_ACK, 7, NULL, 0));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, expired_for_unsent_id_is_eproto)
{
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_EXPIRED, 1, NULL, 0));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, unknown_message_flag_is_eproto)
{
	uint8_t hdr[POST_FRAME_HDR_LEN + POST_MSG_HDR_LEN];
	struct post_msg_hdr mh = { .len = 0, .flags = 0x80 };

	post_frame_encode(hdr, POST_FRAME_START, POST_MSG_HDR_LEN, 1);
	post_msg_hdr_encode(hdr + POST_FRAME_HDR_LEN, &mh);
	ASSERT_EQ(0, write_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

/* The carrier acknowledges what its application read, with ACK frames. */
TEST_F(raw, carrier_acks_what_was_read)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];
	struct post_frame f;
	char buf[8];

	ASSERT_EQ(0, raw_start(self->tfd, 5, 3, "abc", 3));
	ASSERT_EQ(3, recv(self->pfd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	ASSERT_EQ(POST_FRAME_ACK, f.type);
	ASSERT_EQ(5, f.id);
}

TEST_HARNESS_MAIN
