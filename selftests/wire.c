// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST wire format (version 2) against a raw TCP peer written from
 * kernel/frame.h: what a carrier puts on the wire, reassembly of chunked
 * and interleaved messages, EPOLLIN only for complete messages, ABORT,
 * cumulative ACKs both ways, the limits each side advertises (the carrier
 * keeps within the peer's; a peer beyond ours is reset), and EPROTO for
 * every malformed input.
 */
#include "post_test.h"
#include "kselftest_harness.h"

FIXTURE(raw) {
	int tfd;	/* raw TCP side */
	int pfd;	/* AF_POST carrier */
	struct post_limits adv;	/* what the carrier advertised */
};

/* SO_RCVBUF of the raw side, when set: a small window fills TCP fast */
static int raw_peer_rcvbuf;

/*
 * Connect a carrier (POST_MAX_MSG_SIZE @max and SO_RCVBUF @rcvbuf first,
 * when non-zero) to a raw peer that advertises @peer.
 */
static int raw_connect(int *pfd, int *tfd, unsigned int max, int rcvbuf,
		       const struct post_limits *peer, struct post_limits *adv)
{
	uint8_t pre[POST_PREAMBLE_LEN];
	struct addr a;
	int lfd = tcp_listener(AF_INET, &a);

	if (lfd < 0)
		return -1;
	if (raw_peer_rcvbuf && setsockopt(lfd, SOL_SOCKET, SO_RCVBUF,
					  &raw_peer_rcvbuf,
					  sizeof(raw_peer_rcvbuf)))
		return -1;
	*pfd = post_socket(SOCK_NONBLOCK);
	if (*pfd < 0)
		return -1;
	if (max && setsockopt(*pfd, SOL_POST, POST_MAX_MSG_SIZE, &max,
			      sizeof(max)))
		return -1;
	if (rcvbuf && setsockopt(*pfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf)))
		return -1;
	if (connect(*pfd, (struct sockaddr *)&a.ss, a.len) != -1 ||
	    errno != EINPROGRESS)
		return -1;
	*tfd = accept(lfd, NULL, NULL);
	close(lfd);
	if (*tfd < 0 || read_all(*tfd, pre, sizeof(pre)) ||
	    post_preamble_decode(pre, adv) ||
	    raw_preamble_limits(*tfd, peer))
		return -1;
	return fcntl(*pfd, F_SETFL, 0);
}

FIXTURE_SETUP(raw)
{
	struct post_limits l = raw_limits();

	/* a carrier that resets mid-write must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, raw_connect(&self->pfd, &self->tfd, 0, 0, &l,
				 &self->adv));
}

/* Start over with other limits on either side. */
static int raw_reconnect(FIXTURE_DATA(raw) *self, unsigned int max,
			 int rcvbuf, const struct post_limits *peer)
{
	close(self->tfd);
	close(self->pfd);
	return raw_connect(&self->pfd, &self->tfd, max, rcvbuf, peer,
			   &self->adv);
}

/* Read one frame header (and a START's message header) from the raw side. */
static int raw_read_frame(int fd, struct post_frame *f,
			  struct post_msg_hdr *mh)
{
	uint8_t hdr[POST_FRAME_HDR_LEN], m[POST_MSG_HDR_LEN];

	if (read_all(fd, hdr, sizeof(hdr)) || post_frame_decode(hdr, f))
		return -1;
	if (f->type != POST_FRAME_START)
		return 0;
	if (read_all(fd, m, sizeof(m)) || post_msg_hdr_decode(m, mh))
		return -1;
	f->len -= POST_MSG_HDR_LEN;
	return 0;
}

/* Skip @len payload bytes on the raw side. */
static int raw_skip(int fd, size_t len)
{
	char buf[4096];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (read_all(fd, buf, n))
			return -1;
		len -= n;
	}
	return 0;
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
	ASSERT_EQ(1, f.seq);
	ASSERT_EQ(POST_MSG_HDR_LEN + chunk, f.len);
	ASSERT_EQ(0, read_all(self->tfd, mh, sizeof(mh)));
	ASSERT_EQ(0, post_msg_hdr_decode(mh, &m));
	ASSERT_EQ(len, m.len);
	ASSERT_EQ(1, m.id);
	ASSERT_EQ(0, read_all(self->tfd, got, chunk));
	off = chunk;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
		ASSERT_EQ(0, post_frame_decode(hdr, &f));
		ASSERT_EQ(POST_FRAME_DATA, f.type);
		ASSERT_EQ(1, f.seq);
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
	ASSERT_EQ(2, f.seq);
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
	char a[3000], b[20], buf[4000];
	uint64_t id;
	int eor;

	fill(a, sizeof(a), 11);
	fill(b, sizeof(b), 12);
	/* seqs 1 and 2 carry message ids 5 and 6 */
	ASSERT_EQ(0, raw_start_id(self->tfd, 1, 5, 3000, a, 1000));
	ASSERT_EQ(0, raw_start_id(self->tfd, 2, 6, 20, b, 10));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 1, a + 1000, 1000));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 2, b + 10, 10));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 1, a + 2000, 1000));
	/* the small one completed first and comes first */
	ASSERT_EQ(20, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(6, id);
	ASSERT_EQ(-1, check_fill(buf, 20, 12));
	ASSERT_EQ(3000, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(5, id);
	ASSERT_EQ(-1, check_fill(buf, 3000, 11));
}

/*
 * A message on its way stays in TCP, under TCP's flow control, and goes
 * straight into the reader's buffer once whole (one copy): nothing of it
 * is reassembled in the carrier meanwhile.
 */
TEST_F(raw, message_on_its_way_stays_in_tcp)
{
	struct post_info info;
	socklen_t il = sizeof(info);
	char *data = calloc(1, 20000), *buf = malloc(32768);
	uint64_t id;
	int eor;

	fill(data, 20000, 3);
	ASSERT_EQ(0, raw_start(self->tfd, 1, 20000, data, 10000));
	ASSERT_EQ(0, readable(self->pfd, 300));
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(0, info.rx_partials);
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 1, data + 10000,
			       10000));
	ASSERT_EQ(1, readable(self->pfd, 5000));
	ASSERT_EQ(20000, recv_part(self->pfd, buf, 32768, 0, &eor, &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(1, id);
	ASSERT_EQ(-1, check_fill(buf, 20000, 3));
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(1, info.rx_direct_msgs);
	free(data);
	free(buf);
}

#define TCP_RMEM	"/proc/sys/net/ipv4/tcp_rmem"

static int sysctl_rw(const char *path, char *old, size_t cap, const char *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = !old || fgets(old, cap, f) != NULL;
	fclose(f);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = fputs(v, f) >= 0 && ok;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/*
 * Reconnect the raw peer with a transient whose tcp_rmem lets TCP hold
 * 16 MiB, so that what the peer writes never waits for a reader.
 */
/* Message @seq, @len bytes of @data, in frames of @frame bytes. */
static int raw_message(int fd, uint64_t seq, const char *data, size_t len,
		       size_t frame)
{
	size_t off, n = len < frame ? len : frame;

	if (raw_start(fd, seq, len, data, n))
		return -1;
	for (off = n; off < len; off += n) {
		n = len - off < frame ? len - off : frame;
		if (raw_frame(fd, POST_FRAME_DATA, seq, data + off, n))
			return -1;
	}
	return 0;
}

static int raw_reconnect_roomy(FIXTURE_DATA(raw) *self)
{
	struct post_limits l = raw_limits();
	char saved[128];
	int err;

	if (sysctl_rw(TCP_RMEM, saved, sizeof(saved),
		      "4096 16777216 16777216"))
		return -1;
	err = raw_reconnect(self, 0, 0, &l);
	sysctl_rw(TCP_RMEM, NULL, 0, saved);
	return err;
}

/*
 * A large message entirely in TCP (its transient's receive buffer, from
 * tcp_rmem, large enough to hold it) goes straight into the reader's
 * buffer too, copied a slice at a time (TCP takes its backlog between).
 */
TEST_F(raw, large_message_goes_straight_to_the_reader)
{
	size_t len = 1 << 20, frame = 16384;
	char *data = malloc(len), *buf = malloc(len + 4096);
	struct post_info info;
	socklen_t il = sizeof(info);
	uint64_t id;
	int eor;

	ASSERT_EQ(0, raw_reconnect_roomy(self));
	fill(data, len, 9);
	ASSERT_EQ(0, raw_message(self->tfd, 1, data, len, frame));
	ASSERT_EQ(1, readable(self->pfd, 5000));
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(0, info.rx_partials);	/* all of it waited in TCP */
	ASSERT_EQ((ssize_t)len, recv_part(self->pfd, buf, len + 4096, 0, &eor,
					  &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(1, id);
	ASSERT_EQ(-1, check_fill(buf, len, 9));
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(1, info.rx_direct_msgs);
	free(data);
	free(buf);
}

/*
 * Messages whose frames interleave are reassembled in the carrier, whole
 * and in order, every byte counted once; reading them releases every
 * charge. Their payload stays in the skbs TCP received it in (kept, then
 * copied once): only runs too small for their skb are copied on the way,
 * at most about one frame in four for 16 KiB frames in 64 KiB segments.
 */
TEST_F(raw, interleaved_messages_reassemble_and_release)
{
	size_t len = 512 << 10, off, frame = 16384, total = 2 * len;
	char *a = malloc(len), *b = malloc(len), *buf = malloc(len + 4096);
	struct post_info info;
	socklen_t il = sizeof(info);
	uint64_t id;
	int eor;

	/* TCP holds all of it: the writes below never wait for a reader */
	ASSERT_EQ(0, raw_reconnect_roomy(self));
	fill(a, len, 11);
	fill(b, len, 12);
	ASSERT_EQ(0, raw_start(self->tfd, 1, len, a, frame));
	ASSERT_EQ(0, raw_start(self->tfd, 2, len, b, frame));
	for (off = frame; off < len; off += frame) {
		ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 1, a + off,
				       frame));
		ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 2, b + off,
				       frame));
	}
	ASSERT_EQ((ssize_t)len, recv_part(self->pfd, buf, len + 4096, 0, &eor,
					  &id));
	ASSERT_EQ(1, eor);
	ASSERT_EQ(1, id);
	ASSERT_EQ(-1, check_fill(buf, len, 11));
	ASSERT_EQ((ssize_t)len, recv_part(self->pfd, buf, len + 4096, 0, &eor,
					  &id));
	ASSERT_EQ(2, id);
	ASSERT_EQ(-1, check_fill(buf, len, 12));
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(0, info.rx_direct_msgs);
	TH_LOG("kept %llu, copied %llu of %zu bytes",
	       (unsigned long long)info.rx_kept_bytes,
	       (unsigned long long)info.rx_copied_bytes, total);
	ASSERT_EQ(total, info.rx_kept_bytes + info.rx_copied_bytes);
	ASSERT_LE(total / 2, info.rx_kept_bytes);
	ASSERT_EQ(0, info.rx_queued);
	free(a);
	free(b);
	free(buf);
}

/*
 * A message larger than a reader takes straight from TCP (1 MiB) is kept
 * in TCP's skbs too, and read in parts, a peek first: every byte right,
 * once, and most of them never copied on the way.
 */
TEST_F(raw, message_over_1m_is_kept_and_read_in_parts)
{
	size_t len = 2 << 20, frame = 65536, got = 0;
	char *data = malloc(len), *buf = malloc(len);
	struct post_info info;
	socklen_t il = sizeof(info);
	uint64_t id;
	ssize_t n;
	int eor;

	ASSERT_EQ(0, raw_reconnect_roomy(self));
	fill(data, len, 13);
	ASSERT_EQ(0, raw_message(self->tfd, 1, data, len, frame));
	ASSERT_EQ(1, readable(self->pfd, 5000));
	ASSERT_EQ(1000, recv_part(self->pfd, buf, 1000, MSG_PEEK, &eor, &id));
	ASSERT_EQ(0, eor);
	ASSERT_EQ(1, id);
	ASSERT_EQ(0, memcmp(buf, data, 1000));
	while (got < len) {
		size_t want = len - got < 100000 ? len - got : 100000;

		n = recv_part(self->pfd, buf + got, want, 0, &eor, &id);
		ASSERT_EQ((ssize_t)want, n) TH_LOG("at %zu", got);
		got += n;
		ASSERT_EQ(got == len, eor);
	}
	ASSERT_EQ(0, memcmp(buf, data, len));
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	TH_LOG("kept %llu, copied %llu of %zu bytes",
	       (unsigned long long)info.rx_kept_bytes,
	       (unsigned long long)info.rx_copied_bytes, len);
	ASSERT_EQ(0, info.rx_direct_msgs);
	ASSERT_EQ(len, info.rx_kept_bytes + info.rx_copied_bytes);
	ASSERT_LE(len / 2, info.rx_kept_bytes);
	ASSERT_EQ(0, info.rx_queued);
	free(data);
	free(buf);
}

/* ...but one with a lifetime is read at once: its lifetime runs. */
TEST_F(raw, message_with_a_lifetime_is_read_at_once)
{
	uint8_t hdr[POST_FRAME_HDR_LEN + POST_MSG_HDR_LEN + 100] = {};
	struct post_msg_hdr mh = { .len = 1000, .id = 1, .lifetime_ms = 60000 };
	struct post_info info;
	socklen_t il = sizeof(info);
	int i;

	post_frame_encode(hdr, POST_FRAME_START, POST_MSG_HDR_LEN + 100, 1);
	post_msg_hdr_encode(hdr + POST_FRAME_HDR_LEN, &mh);
	ASSERT_EQ(0, write_all(self->tfd, hdr, sizeof(hdr)));
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info,
					&il));
		if (info.rx_partials)
			break;
		usleep(20000);
	}
	ASSERT_EQ(1, info.rx_partials);
}

/* The message id is the sender's; the seq only names it on the wire. */
TEST_F(raw, message_id_travels_in_start)
{
	uint64_t id;
	char buf[8];
	int eor;

	ASSERT_EQ(0, raw_start_id(self->tfd, 1, 77, 3, "abc", 3));
	ASSERT_EQ(3, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(77, id);
}

TEST_F(raw, start_seq_must_be_next)
{
	ASSERT_EQ(0, raw_start(self->tfd, 1, 3, "abc", 3));
	ASSERT_EQ(0, raw_start(self->tfd, 3, 3, "abc", 3));
	ASSERT_EQ(0, recv_errno(self->pfd));	/* message 1 is fine */
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, message_id_zero_is_eproto)
{
	ASSERT_EQ(0, raw_start_id(self->tfd, 1, 0, 3, "abc", 3));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
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
	/* the aborted message id may come again, under the next seq */
	ASSERT_EQ(0, raw_start_id(self->tfd, 3, 1, 4, data, 4));
	ASSERT_EQ(4, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(1, id);
}

/* A FIN in the middle of a message is no clean end... */
TEST_F(raw, peer_fin_mid_message_is_econnreset)
{
	char data[64], buf[64];
	uint64_t id;
	int eor;

	ASSERT_EQ(0, raw_start(self->tfd, 1, 8, data, 8));
	ASSERT_EQ(0, raw_start(self->tfd, 2, 64, data, 32));
	ASSERT_EQ(0, shutdown(self->tfd, SHUT_WR));
	/* what was complete is still read first */
	ASSERT_EQ(8, recv_part(self->pfd, buf, sizeof(buf), 0, &eor, &id));
	ASSERT_EQ(1, id);
	ASSERT_EQ(ECONNRESET, recv_errno(self->pfd));
}

/* ... and neither is one in the middle of a frame header. */
TEST_F(raw, peer_fin_mid_frame_is_econnreset)
{
	uint8_t hdr[POST_FRAME_HDR_LEN];

	post_frame_encode(hdr, POST_FRAME_START, POST_MSG_HDR_LEN, 1);
	ASSERT_EQ(0, write_all(self->tfd, hdr, 10));
	ASSERT_EQ(0, shutdown(self->tfd, SHUT_WR));
	ASSERT_EQ(ECONNRESET, recv_errno(self->pfd));
}

/* Between frames it is the end of the stream: 0. */
TEST_F(raw, peer_fin_between_frames_is_eof)
{
	char buf[64];

	ASSERT_EQ(0, raw_start(self->tfd, 1, 3, "abc", 3));
	ASSERT_EQ(0, shutdown(self->tfd, SHUT_WR));
	ASSERT_EQ(3, recv(self->pfd, buf, sizeof(buf), 0));
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

/* What the carrier advertised binds the peer, even if changed later. */
TEST_F(raw, message_over_max_size_is_eproto)
{
	struct post_limits l = raw_limits();
	unsigned int max = 1 << 20;

	ASSERT_EQ(0, raw_reconnect(self, 4096, 0, &l));
	ASSERT_EQ(4096, self->adv.max_msg);
	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_MAX_MSG_SIZE, &max,
				sizeof(max)));
	ASSERT_EQ(0, raw_start(self->tfd, 1, 4096, NULL, 0));
	ASSERT_EQ(0, raw_start(self->tfd, 2, 4097, NULL, 0));
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

/* Partial messages beyond the advertised budget reset the carrier. */
TEST_F(raw, reassembly_budget_is_enforced)
{
	struct post_limits l = raw_limits();
	unsigned int max = 1 << 20;
	char *chunk = calloc(1, POST_WIRE_CHUNK_MAX);
	struct post_info info;
	socklen_t il = sizeof(info);
	int err;

	ASSERT_EQ(0, raw_reconnect(self, max, 65536, &l));
	ASSERT_EQ(max, self->adv.max_msg);
	ASSERT_GT(2 * max, self->adv.rx_budget);
	/* 16 partial messages of 1 MiB each: 16 MiB would be needed */
	for (uint64_t id = 1; id <= POST_WIRE_MAX_PARTIALS; id++)
		if (raw_start(self->tfd, id, max, NULL, 0))
			goto done;
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

/* Tiny frames in the middle of a message are refused at once. */
TEST_F(raw, tiny_frames_are_eproto)
{
	unsigned int max = 1 << 20;
	size_t n = 40000, len = n * (POST_FRAME_HDR_LEN + 1);
	uint8_t *buf = malloc(len), *p = buf;
	struct post_info info;
	socklen_t il = sizeof(info);

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
	/* naming it again is allowed; a seq never started is not */
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_ACK, 1, NULL, 0));
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_ACK, 2, NULL, 0));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

/* Cumulative ACKs with a list of later seqs; one event per message. */
TEST_F(raw, cumulative_ack_with_later_seqs)
{
	uint32_t mask = 1 << POST_EV_ACKED;
	struct post_info info;
	socklen_t il = sizeof(info);
	u64 later[2] = { 3, 4 };
	struct post_msg_hdr mh;
	struct post_frame f;
	char buf[8];
	int i, seen = 0;

	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_EVENTS, &mask,
				sizeof(mask)));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, send(self->pfd, "x", 1, 0));
		ASSERT_EQ(0, raw_read_frame(self->tfd, &f, &mh));
		ASSERT_EQ(i + 1, f.seq);
		ASSERT_EQ(0, read_all(self->tfd, buf, 1));
	}
	/* 3 and 4 read, 1 and 2 not yet: then everything up to 4 */
	ASSERT_EQ(0, raw_ack(self->tfd, 0, later, 2));
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info,
					&il));
		if (info.msgs_acked == 2)
			break;
		usleep(20000);
	}
	ASSERT_EQ(2, info.msgs_acked);
	ASSERT_EQ(2, info.tx_unacked);
	ASSERT_EQ(0, raw_ack(self->tfd, 4, NULL, 0));
	for (i = 0; i < 50 && seen < 4; i++) {
		ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info,
					&il));
		seen = info.msgs_acked;
		usleep(20000);
	}
	ASSERT_EQ(4, info.msgs_acked);
	ASSERT_EQ(0, info.tx_unacked);
	ASSERT_EQ(4, info.events_queued);
}

TEST_F(raw, ack_cum_going_back_is_eproto)
{
	struct post_msg_hdr mh;
	struct post_frame f;
	char buf[8];

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(1, send(self->pfd, "x", 1, 0));
		ASSERT_EQ(0, raw_read_frame(self->tfd, &f, &mh));
		ASSERT_EQ(0, read_all(self->tfd, buf, 1));
	}
	ASSERT_EQ(0, raw_ack(self->tfd, 2, NULL, 0));
	ASSERT_EQ(0, raw_ack(self->tfd, 1, NULL, 0));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

TEST_F(raw, ack_list_not_increasing_is_eproto)
{
	u64 later[2] = { 3, 2 };
	struct post_msg_hdr mh;
	struct post_frame f;
	char buf[8];

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(1, send(self->pfd, "x", 1, 0));
		ASSERT_EQ(0, raw_read_frame(self->tfd, &f, &mh));
		ASSERT_EQ(0, read_all(self->tfd, buf, 1));
	}
	ASSERT_EQ(0, raw_ack(self->tfd, 0, later, 2));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
}

/* Acknowledging a message the carrier is still sending is a lie. */
TEST_F(raw, ack_of_a_partial_message_is_eproto)
{
	size_t len = 8 << 20;
	char *big = calloc(1, len);
	struct post_info info;
	socklen_t il = sizeof(info);

	/* the raw side reads nothing: the message stays partly sent */
	ASSERT_EQ((ssize_t)len, send(self->pfd, big, len, 0));
	usleep(200000);
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(1, info.tx_partials);
	ASSERT_EQ(0, raw_ack(self->tfd, 1, NULL, 0));
	ASSERT_EQ(EPROTO, recv_errno(self->pfd));
	free(big);
}

/* Read events until @want terminal ones came (5 s at most). */
static int raw_events(int fd, struct post_event *ev, int want)
{
	char cbuf[CMSG_SPACE(sizeof(struct post_event)) * 8];
	struct pollfd pfd = { .fd = fd, .events = 0 };
	int n = 0, terminal = 0;

	while (terminal < want && poll(&pfd, 1, 5000) == 1) {
		struct msghdr m = { .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;

		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (c = CMSG_FIRSTHDR(&m); c && n < 16; c = CMSG_NXTHDR(&m, c)) {
			memcpy(&ev[n], CMSG_DATA(c), sizeof(*ev));
			terminal += POST_EV_TERMINAL(ev[n].type);
			n++;
		}
	}
	return n;
}

/*
 * The peer's FIN: what it did not acknowledge never will be. Those
 * messages, and one sent afterwards, end as aborted with ESHUTDOWN.
 */
TEST_F(raw, peer_fin_ends_unacknowledged_messages)
{
	uint32_t mask = (1 << POST_EV_ACKED) | (1 << POST_EV_ABORTED);
	struct post_event ev[16];
	struct post_msg_hdr mh;
	struct post_frame f;
	char buf[8];
	int i, n;

	ASSERT_EQ(0, setsockopt(self->pfd, SOL_POST, POST_EVENTS, &mask,
				sizeof(mask)));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, send(self->pfd, "x", 1, 0));
		ASSERT_EQ(0, raw_read_frame(self->tfd, &f, &mh));
		ASSERT_EQ(0, read_all(self->tfd, buf, 1));
	}
	ASSERT_EQ(0, raw_ack(self->tfd, 1, NULL, 0));
	ASSERT_EQ(0, shutdown(self->tfd, SHUT_WR));
	ASSERT_EQ(0, recv(self->pfd, buf, sizeof(buf), 0));	/* the end */
	n = raw_events(self->pfd, ev, 2);
	ASSERT_EQ(2, n);
	ASSERT_EQ(1, ev[0].id);
	ASSERT_EQ(POST_EV_ACKED, ev[0].type);
	ASSERT_EQ(2, ev[1].id);
	ASSERT_EQ(POST_EV_ABORTED, ev[1].type);
	ASSERT_EQ(ESHUTDOWN, ev[1].error);
	/* half-closed: sending goes on, but nothing will be acknowledged */
	ASSERT_EQ(1, send(self->pfd, "y", 1, 0));
	ASSERT_EQ(0, raw_read_frame(self->tfd, &f, &mh));
	ASSERT_EQ(3, mh.id);
	n = raw_events(self->pfd, ev, 1);
	ASSERT_EQ(1, n);
	ASSERT_EQ(3, ev[0].id);
	ASSERT_EQ(POST_EV_ABORTED, ev[0].type);
	ASSERT_EQ(ESHUTDOWN, ev[0].error);
}

/* The peer's maximum message size: EMSGSIZE, and the carrier lives on. */
TEST_F(raw, peer_max_msg_size_is_emsgsize)
{
	struct post_limits l = raw_limits();
	struct post_msg_hdr mh;
	struct post_frame f;
	struct post_info info;
	socklen_t il = sizeof(info);
	char *buf = calloc(1, 8192);

	l.max_msg = 4096;
	l.rx_budget = 4096;
	ASSERT_EQ(0, raw_reconnect(self, 0, 0, &l));
	ASSERT_EQ(-1, send(self->pfd, buf, 4097, 0));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(4096, send(self->pfd, buf, 4096, 0));
	ASSERT_EQ(0, raw_read_frame(self->tfd, &f, &mh));
	ASSERT_EQ(POST_FRAME_START, f.type);
	ASSERT_EQ(4096, mh.len);
	ASSERT_EQ(0, getsockopt(self->pfd, SOL_POST, POST_INFO, &info, &il));
	ASSERT_EQ(4096, info.peer_max_msg_size);
	ASSERT_EQ(4096, info.peer_rx_budget);
	ASSERT_EQ(POST_WIRE_MAX_PARTIALS, info.peer_max_partials);
	free(buf);
}

/*
 * Send @n messages of @len bytes, each more urgent than the one before
 * (niceness 7, 6, .., 0, 7, ..), while the raw side's small receive window
 * keeps them in the carrier's scheduler; then read the raw side, checking
 * that no more than @max messages were partial at once and that their
 * lengths stayed within @budget. @order gets the seqs as they completed.
 */
static int preempt_chain(int pfd, int tfd, int n, size_t len,
			 unsigned int max, uint64_t budget, uint64_t *order)
{
	uint64_t left[64] = {}, open_len = 0;
	char *buf = calloc(1, len);
	unsigned int open = 0;
	int i, done = 0;

	for (i = 0; i < n; i++) {
		uint32_t nice = 7 - i % 8;
		char cbuf[CMSG_SPACE(4)] = {};
		struct iovec iov = { buf, len };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);

		c->cmsg_level = SOL_POST;
		c->cmsg_type = POST_CMSG_NICENESS;
		c->cmsg_len = CMSG_LEN(4);
		memcpy(CMSG_DATA(c), &nice, 4);
		if (sendmsg(pfd, &m, 0) != (ssize_t)len)
			return -1;
	}
	free(buf);
	while (done < n) {
		struct post_msg_hdr mh;
		struct post_frame f;

		if (raw_read_frame(tfd, &f, &mh) || f.seq >= 64 ||
		    raw_skip(tfd, f.len))
			return -2;
		if (f.type == POST_FRAME_START) {
			left[f.seq] = mh.len - f.len;
			if (left[f.seq]) {
				open++;
				open_len += mh.len;
			}
			if (open > max || open_len > budget)
				return -3;
			if (!left[f.seq])
				order[done++] = f.seq;
		} else if (f.type == POST_FRAME_DATA) {
			left[f.seq] -= f.len;
			if (!left[f.seq]) {
				open--;
				open_len -= len;
				order[done++] = f.seq;
			}
		}
	}
	return 0;
}

/*
 * Version 1 reset a legitimate sender when 17 successively more urgent
 * messages were started; now the sender waits at the peer's limit.
 */
TEST_F(raw, more_urgent_messages_than_partials_wait)
{
	struct post_limits l = raw_limits();
	int sndbuf = 4 << 20, i, inversions = 0;
	uint64_t order[32];

	l.max_partials = 4;
	raw_peer_rcvbuf = 8192;
	ASSERT_EQ(0, raw_reconnect(self, 0, 0, &l));
	raw_peer_rcvbuf = 0;
	ASSERT_EQ(0, setsockopt(self->pfd, SOL_SOCKET, SO_SNDBUFFORCE,
				&sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, preempt_chain(self->pfd, self->tfd, 17, 100000, 4,
				   l.rx_budget, order));
	/* urgent ones did overtake: the limit was reached, not avoided */
	for (i = 1; i < 17; i++)
		inversions += order[i] < order[i - 1];
	ASSERT_LT(0, inversions);
}

/*
 * Version 1 reset a sender whose urgent message preempted a nearly
 * finished large one beyond the receiver's memory; now the urgent one
 * waits for room in the peer's budget.
 */
TEST_F(raw, urgent_message_waits_for_the_peer_budget)
{
	struct post_limits l = raw_limits();
	int sndbuf = 4 << 20;
	uint64_t order[4];

	l.max_msg = 1 << 20;
	l.rx_budget = (1 << 20) + 65536;
	raw_peer_rcvbuf = 8192;
	ASSERT_EQ(0, raw_reconnect(self, 0, 0, &l));
	raw_peer_rcvbuf = 0;
	ASSERT_EQ(0, setsockopt(self->pfd, SOL_SOCKET, SO_SNDBUFFORCE,
				&sndbuf, sizeof(sndbuf)));
	/* 1 MiB at nice 7, then 1 MiB at nice 6: 2 MiB never partial */
	ASSERT_EQ(0, preempt_chain(self->pfd, self->tfd, 2, 1 << 20, 16,
				   l.rx_budget, order));
	ASSERT_EQ(1, order[0]);
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
	struct post_msg_hdr mh = { .len = 0, .id = 1, .flags = 0x80 };

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

	ASSERT_EQ(0, raw_start_id(self->tfd, 1, 5, 3, "abc", 3));
	ASSERT_EQ(3, recv(self->pfd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	ASSERT_EQ(POST_FRAME_ACK, f.type);
	ASSERT_EQ(1, f.seq);	/* cumulative: everything up to seq 1 */
	ASSERT_EQ(0, f.len);
}

/* Read in another order than started: the later seq is listed. */
TEST_F(raw, carrier_lists_seqs_read_beyond_its_cumulative_ack)
{
	uint8_t hdr[POST_FRAME_HDR_LEN], list[8];
	char data[1000], buf[1000];
	struct post_frame f;

	ASSERT_EQ(0, raw_start(self->tfd, 1, 1000, data, 600));
	ASSERT_EQ(0, raw_start(self->tfd, 2, 3, "abc", 3));
	ASSERT_EQ(3, recv(self->pfd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	ASSERT_EQ(POST_FRAME_ACK, f.type);
	ASSERT_EQ(0, f.seq);
	ASSERT_EQ(8, f.len);
	ASSERT_EQ(0, read_all(self->tfd, list, 8));
	ASSERT_EQ(2, list[7]);
	ASSERT_EQ(0, raw_frame(self->tfd, POST_FRAME_DATA, 1, data + 600, 400));
	ASSERT_EQ(1000, recv(self->pfd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, read_all(self->tfd, hdr, sizeof(hdr)));
	ASSERT_EQ(0, post_frame_decode(hdr, &f));
	ASSERT_EQ(POST_FRAME_ACK, f.type);
	ASSERT_EQ(2, f.seq);
	ASSERT_EQ(0, f.len);
}

TEST_HARNESS_MAIN
