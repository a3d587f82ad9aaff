// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpost carriers: initiate, send and receive (bytes or codec objects),
 * events from the error queue, and post_carrier_process(), which turns
 * what is pending into handler calls.
 *
 * A handler may close its own carrier: post_carrier_close() then only
 * marks it (freed) while handlers run (busy), and the outermost call frees
 * it on the way out. A message handed to a handler owns its buffer for the
 * call, so a nested post_carrier_process() cannot pull it away.
 *
 * The kernel reports a carrier's error once (SO_ERROR semantics); the
 * first fatal error any call sees is latched in c->err and reported by
 * every later call and by the closed handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

#define POST_RBUF_MIN		4096
#define POST_STREAM_RBUF	65536
#define POST_RBUF_KEEP		(1 << 20)	/* larger buffers are not kept */

static bool fatal(int err)
{
	switch (err) {
	case -EAGAIN:
	case -EINTR:
	case -EINVAL:
	case -EMSGSIZE:
	case -ENOMEM:
	case -ENOBUFS:
	case -EFAULT:
	case -ENOTCONN:
	case -EALREADY:
	case -EOPNOTSUPP:
		return false;
	}
	return err < 0;
}

static int latch(struct post_carrier *c, int err)
{
	if (fatal(err) && !c->err && err != -EPIPE)
		c->err = err;
	return err;
}

int post_carrier_wrap(struct post_carrier **carrier, int fd, bool stream,
		      bool connecting)
{
	struct post_carrier *c = calloc(1, sizeof(*c));
	socklen_t len = sizeof(c->default_nice);

	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->stream = stream;
	c->connecting = connecting;
	c->default_nice = POST_NICE_DEFAULT;
	if (!stream)
		getsockopt(fd, SOL_POST, POST_NICENESS, &c->default_nice, &len);
	*carrier = c;
	return 0;
}

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) ? -errno : 0;
}

POST_EXPORT int post_initiate(struct post_carrier **carrier,
			      const struct post_remote *r,
			      const struct post_local *l,
			      const struct post_policy *policy,
			      unsigned int flags)
{
	struct sockaddr_storage cands[POST_MAX_CANDIDATES];
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct post_policy p;
	struct post_carrier *c;
	size_t i;
	int fd, rc;

	if (!carrier || !r || (flags & ~POST_NONBLOCK))
		return -EINVAL;
	if (policy) {
		post_policy_init(&p);
		rc = post_copy_sized(&p, sizeof(p), policy);
		if (rc)
			return rc;
		policy = &p;
	}
	if (!r->nr)
		return -EDESTADDRREQ;
	fd = post_socket((policy && p.stream ? SOCK_STREAM : SOCK_SEQPACKET) |
			 (flags & POST_NONBLOCK ? SOCK_NONBLOCK : 0));
	if (fd < 0)
		return fd;
	rc = post_apply_policy(fd, policy, policy && p.stream, false);
	if (rc)
		goto fail;
	if (l && bind(fd, (const struct sockaddr *)&l->addr, l->len)) {
		rc = -errno;
		goto fail;
	}
	for (i = 0; i < r->nr; i++)
		cands[i] = r->addr[i];
	if (setsockopt(fd, SOL_POST, POST_CANDIDATES, cands,
		       r->nr * sizeof(cands[0]))) {
		rc = -errno;
		goto fail;
	}
	/* connect() again after a signal waits for the same race */
	while (connect(fd, &unspec, sizeof(unspec))) {
		rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EINPROGRESS)
			break;
		goto fail;
	}
	/* non-blocking: ready (or closed) comes from post_carrier_process() */
	rc = post_carrier_wrap(&c, fd, policy && p.stream,
			       flags & POST_NONBLOCK);
	if (rc)
		goto fail;
	c->nonblock = flags & POST_NONBLOCK;
	*carrier = c;
	return 0;
fail:
	close(fd);
	return rc;
}

static void carrier_free(struct post_carrier *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c);
}

POST_EXPORT void post_carrier_close(struct post_carrier *c)
{
	if (!c || c->freed)
		return;
	if (c->loop)
		post_loop_del_carrier(c->loop, c);
	c->freed = true;
	if (!c->busy)
		carrier_free(c);
}

/* the loop's registration follows what the carrier waits for */
static void rearm(struct post_carrier *c)
{
	if (c->loop)
		post_loop_rearm(c->loop, c->watch, c->fd,
				post_carrier_poll_events(c));
}

POST_EXPORT int post_carrier_shutdown(struct post_carrier *c)
{
	if (!c || c->freed)
		return -EINVAL;
	if (c->eof)
		return -EBADFD;
	if (c->connecting)
		return -ENOTCONN;
	if (shutdown(c->fd, SHUT_WR))
		return latch(c, -errno);
	c->shut = true;
	return 0;
}

static size_t props_cmsgs(const struct post_msg_props *p, char *buf)
{
	struct cmsghdr *cm;
	size_t used = 0;
	uint32_t v;

#define ADD(type, ptr, len)						\
	do {								\
		cm = (struct cmsghdr *)(buf + used);			\
		cm->cmsg_level = SOL_POST;				\
		cm->cmsg_type = (type);					\
		cm->cmsg_len = CMSG_LEN(len);				\
		memcpy(CMSG_DATA(cm), (ptr), (len));			\
		used += CMSG_SPACE(len);				\
	} while (0)

	if (p->lifetime_ms) {
		v = p->lifetime_ms;
		ADD(POST_CMSG_LIFETIME, &v, sizeof(v));
	}
	if (p->niceness >= 0) {
		v = p->niceness;
		ADD(POST_CMSG_NICENESS, &v, sizeof(v));
	}
	if (p->nr_antecedents)
		ADD(POST_CMSG_ANTECEDENTS, p->antecedents,
		    p->nr_antecedents * sizeof(uint64_t));
	v = 1;
	if (p->immediate)
		ADD(POST_CMSG_IMMEDIATE, &v, sizeof(v));
	if (p->idempotent)
		ADD(POST_CMSG_IDEMPOTENT, &v, sizeof(v));
	if (p->unordered)
		ADD(POST_CMSG_UNORDERED, &v, sizeof(v));
#undef ADD
	return used;
}

static int usable(struct post_carrier *c)
{
	if (c->eof)
		return -EBADFD;
	if (c->err)
		return c->err;
	if (c->connecting)
		return -ENOTCONN;
	return 0;
}

/* -EAGAIN: tell the writable handler when a message of @nice fits */
static void want_room(struct post_carrier *c, int nice)
{
	c->want_write = true;
	c->want_band = nice > c->default_nice;
	rearm(c);
}

static int send_stream(struct post_carrier *c, const char *data, size_t len)
{
	struct pollfd pfd;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = send(c->fd, data + done, len - done, MSG_NOSIGNAL);
		if (n >= 0) {
			done += n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return latch(c, -errno);
		if (c->nonblock) {
			want_room(c, c->default_nice);
			return done ? (int)done : -EAGAIN;
		}
		/* blocking, yet EAGAIN: SO_SNDTIMEO ran out */
		pfd = (struct pollfd){ c->fd, POLLOUT, 0 };
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
	return done;
}

POST_EXPORT int post_send(struct post_carrier *c, const void *data, size_t len,
			  const struct post_msg_props *props, uint64_t *id)
{
	char cbuf[CMSG_SPACE(4) * 5 +
		  CMSG_SPACE(sizeof(uint64_t) * POST_MAX_ANTECEDENTS)]
		__attribute__((aligned(8)));
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct post_msg_props p;
	int rc, nice;

	if (!c || c->freed || (!data && len))
		return -EINVAL;
	rc = usable(c);
	if (rc)
		return rc;
	if (c->stream) {
		if (props)
			return -EOPNOTSUPP;
		if (id)
			*id = 0;
		if (len > INT32_MAX)
			return -EMSGSIZE;
		return send_stream(c, data, len);
	}
	post_props_init(&p);
	if (props) {
		rc = post_copy_sized(&p, sizeof(p), props);
		if (rc)
			return rc;
		if (p.nr_antecedents > POST_MAX_ANTECEDENTS ||
		    (p.nr_antecedents && !p.antecedents) ||
		    p.niceness > (int)POST_NICE_MAX)
			return -EINVAL;
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_controllen = props_cmsgs(&p, cbuf);
		if (m.msg_controllen)
			m.msg_control = cbuf;
	}
	nice = p.niceness >= 0 ? p.niceness : c->default_nice;
	if (!c->next_id) {
		socklen_t l = sizeof(c->next_id);

		if (getsockopt(c->fd, SOL_POST, POST_NEXT_ID, &c->next_id, &l))
			return -errno;
	}
	while (sendmsg(c->fd, &m, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		rc = -errno;
		if (rc == -EAGAIN)
			want_room(c, nice);
		return latch(c, rc);
	}
	if (id)
		*id = c->next_id;
	c->next_id++;
	return 0;
}

POST_EXPORT void post_message_release(struct post_message *msg)
{
	if (!msg)
		return;
	free(msg->data);
	msg->data = NULL;
	msg->len = 0;
}

static void parse_rcvinfo(struct msghdr *m, struct post_message *msg)
{
	struct post_rcvinfo ri;
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_POST)
			continue;
		if (cm->cmsg_type == POST_CMSG_ID &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(uint64_t)))
			memcpy(&msg->id, CMSG_DATA(cm), sizeof(uint64_t));
		if (cm->cmsg_type != POST_CMSG_RCVINFO ||
		    cm->cmsg_len < CMSG_LEN(sizeof(ri)))
			continue;
		memcpy(&ri, CMSG_DATA(cm), sizeof(ri));
		msg->id = ri.id;
		msg->niceness = ri.niceness;
		msg->has_lifetime = ri.flags & POST_RCV_LIFETIME;
		msg->lifetime_ms = msg->has_lifetime ? ri.lifetime_ms : 0;
		msg->idempotent = ri.flags & POST_RCV_IDEMPOTENT;
	}
}

/* The rest of a message whose buffer could not grow: read and dropped. */
static void drop_rest(struct post_carrier *c)
{
	char scratch[4096];
	struct iovec iov = { scratch, sizeof(scratch) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	while (recvmsg(c->fd, &m, MSG_DONTWAIT) > 0 &&
	       !(m.msg_flags & MSG_EOR))
		m.msg_flags = 0;
}

/*
 * One whole message; returns 1 with msg->data owning its buffer (c->rbuf
 * is handed over), 0 at the end of stream, or a negative errno.
 * dontwait: MSG_DONTWAIT on the first read too.
 */
static int recv_one(struct post_carrier *c, struct post_message *msg,
		    bool dontwait)
{
	char cbuf[CMSG_SPACE(sizeof(uint64_t)) +
		  CMSG_SPACE(sizeof(struct post_rcvinfo))]
		__attribute__((aligned(8)));
	int flags = dontwait ? MSG_DONTWAIT : 0;
	size_t got = 0;

	memset(msg, 0, sizeof(*msg));
	if (c->err)
		return c->err;
	if (c->peer_eof)
		return 0;
	for (;;) {
		struct iovec iov;
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t n;

		if (got == c->rcap) {
			size_t cap = c->stream ? POST_STREAM_RBUF :
						 POST_RBUF_MIN;
			char *nb;

			if (cap < c->rcap * 2)
				cap = c->rcap * 2;
			nb = realloc(c->rbuf, cap);

			if (!nb) {
				if (got && !c->stream)
					drop_rest(c);
				return -ENOMEM;
			}
			c->rbuf = nb;
			c->rcap = cap;
		}
		iov.iov_base = c->rbuf + got;
		iov.iov_len = c->rcap - got;
		n = recvmsg(c->fd, &m, flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return latch(c, -errno);
		}
		if (!got)
			parse_rcvinfo(&m, msg);
		got += n;
		if (c->stream) {
			if (!n)
				goto eos;
			break;
		}
		if (m.msg_flags & MSG_EOR)
			break;
		if (!n)
			goto eos;
		/* the rest of a complete message is queued already */
		flags = MSG_DONTWAIT;
	}
	msg->data = c->rbuf;
	msg->len = got;
	c->rbuf = NULL;
	c->rcap = 0;
	return 1;
eos:
	c->peer_eof = true;
	return 0;
}

POST_EXPORT int post_receive(struct post_carrier *c, struct post_message *msg)
{
	int rc;

	if (!c || !msg || c->freed)
		return -EINVAL;
	memset(msg, 0, sizeof(*msg));
	rc = usable(c);
	if (rc)
		return rc;
	return recv_one(c, msg, c->nonblock);
}

POST_EXPORT int post_abort(struct post_carrier *c, uint64_t id)
{
	if (!c || c->freed)
		return -EINVAL;
	if (setsockopt(c->fd, SOL_POST, POST_ABORT, &id, sizeof(id)))
		return -errno;
	return 0;
}

static bool all_null(void *const *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

POST_EXPORT int post_carrier_set_codec(struct post_carrier *c,
				       const struct post_codec *codec)
{
	if (!c || (codec && (!codec->encode || !codec->decode ||
			     !all_null(codec->reserved, 4))))
		return -EINVAL;
	if (codec)
		c->codec_copy = *codec;
	c->codec = codec ? &c->codec_copy : NULL;
	return 0;
}

POST_EXPORT int post_send_object(struct post_carrier *c, const void *obj,
				 const struct post_msg_props *p, uint64_t *id)
{
	char small[1024];
	char *buf = small;
	ssize_t n;
	int rc;

	if (!c || c->freed)
		return -EINVAL;
	if (!c->codec)
		return -ENOPROTOOPT;
	n = c->codec->encode(obj, small, sizeof(small), c->codec->arg);
	if (n > (ssize_t)sizeof(small)) {
		size_t want = n;

		buf = malloc(want);
		if (!buf)
			return -ENOMEM;
		n = c->codec->encode(obj, buf, want, c->codec->arg);
		if (n > (ssize_t)want)
			n = -EOVERFLOW;	/* it changed its mind */
	}
	rc = n < 0 ? (int)n : post_send(c, buf, n, p, id);
	if (buf != small)
		free(buf);
	return rc;
}

static int decode(struct post_carrier *c, const struct post_message *m,
		  void **obj)
{
	int rc;

	*obj = NULL;
	rc = c->codec->decode(m->data, m->len, obj, c->codec->arg);
	if (rc > 0)
		rc = -EBADMSG;
	if (rc && *obj && c->codec->release)
		c->codec->release(*obj, c->codec->arg);
	return rc;
}

POST_EXPORT int post_receive_object(struct post_carrier *c, void **obj,
				    struct post_message *msg)
{
	int rc;

	if (!c || !obj || !msg)
		return -EINVAL;
	if (!c->codec)
		return -ENOPROTOOPT;
	rc = post_receive(c, msg);
	if (rc != 1)
		return rc;
	rc = decode(c, msg, obj);
	post_message_release(msg);
	return rc ? rc : 1;
}

static uint32_t event_mask(const struct post_handlers *h)
{
	return (h->sent ? 1u << POST_EV_SENT : 0) |
	       (h->acked ? 1u << POST_EV_ACKED : 0) |
	       (h->expired ? 1u << POST_EV_EXPIRED : 0) |
	       (h->aborted ? 1u << POST_EV_ABORTED : 0);
}

POST_EXPORT int post_carrier_on(struct post_carrier *c,
				const struct post_handlers *h, void *arg)
{
	uint32_t mask;
	int rc;

	if (!c || c->freed || (h && !all_null(h->reserved, 6)))
		return -EINVAL;
	memset(&c->h, 0, sizeof(c->h));
	if (h)
		c->h = *h;
	c->arg = arg;
	mask = event_mask(&c->h);
	if (!c->stream &&
	    setsockopt(c->fd, SOL_POST, POST_EVENTS, &mask, sizeof(mask)))
		return -errno;
	rc = set_nonblock(c->fd, true);
	if (rc)
		return rc;
	c->nonblock = true;
	rearm(c);
	return 0;
}

POST_EXPORT int post_carrier_set_nonblock(struct post_carrier *c, bool on)
{
	int rc;

	if (!c || c->freed || (!on && c->loop))
		return -EINVAL;
	rc = set_nonblock(c->fd, on);
	if (!rc)
		c->nonblock = on;
	return rc;
}

POST_EXPORT int post_carrier_fd(const struct post_carrier *c)
{
	return c ? c->fd : -EINVAL;
}

POST_EXPORT uint32_t post_carrier_poll_events(const struct post_carrier *c)
{
	uint32_t ev = 0;

	if (!c || c->eof || c->freed)
		return 0;
	if (c->connecting)
		return EPOLLOUT;
	if (!c->peer_eof)
		ev |= EPOLLIN | EPOLLRDHUP;	/* EPOLLERR/HUP always come */
	if (c->want_write)
		ev |= c->want_band ? EPOLLWRBAND : EPOLLOUT;
	return ev;
}

POST_EXPORT int post_carrier_connecting(const struct post_carrier *c)
{
	if (!c)
		return -EINVAL;
	if (c->eof || c->freed)
		return -EBADFD;
	return c->connecting;
}

POST_EXPORT void *post_carrier_arg(const struct post_carrier *c)
{
	return c ? c->arg : NULL;
}

POST_EXPORT int post_carrier_race(const struct post_carrier *c,
				  struct post_race_info *race)
{
	socklen_t len = sizeof(*race);

	if (!c || !race)
		return -EINVAL;
	if (getsockopt(c->fd, SOL_POST, POST_RACE, race, &len))
		return -errno;
	return 0;
}

POST_EXPORT int post_carrier_info(const struct post_carrier *c,
				  struct post_info *info)
{
	socklen_t len = sizeof(*info);

	if (!c || !info)
		return -EINVAL;
	if (c->stream)
		return -EOPNOTSUPP;
	if (getsockopt(c->fd, SOL_POST, POST_INFO, info, &len))
		return -errno;
	return 0;
}

POST_EXPORT int post_carrier_peer(const struct post_carrier *c,
				  struct sockaddr_storage *addr, socklen_t *len)
{
	if (!c || !addr || !len)
		return -EINVAL;
	*len = sizeof(*addr);
	if (getpeername(c->fd, (struct sockaddr *)addr, len))
		return -errno;
	return 0;
}

static void process_errqueue(struct post_carrier *c);

/*
 * The carrier ended: leave the loop, hand over the events that came before
 * the end, then tell the application, once.
 */
static void carrier_end(struct post_carrier *c, int err)
{
	if (c->eof)
		return;
	if (!c->stream && !c->connecting)
		process_errqueue(c);
	if (c->freed)
		return;
	if (!err)
		err = c->err;
	c->eof = true;
	if (c->loop)
		post_loop_del_carrier(c->loop, c);
	if (c->h.closed)
		c->h.closed(c, err, c->arg);
}

/* the race's outcome, once poll() says it is known */
static void process_connect(struct post_carrier *c)
{
	struct pollfd pfd = { c->fd, POLLOUT, 0 };
	struct post_race_info race;
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&pfd, 1, 0) <= 0)
		return;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		c->err = -err;
		carrier_end(c, -err);
		return;
	}
	c->connecting = false;
	rearm(c);
	if (c->h.ready) {
		if (post_carrier_race(c, &race))
			memset(&race, 0, sizeof(race));
		c->h.ready(c, &race, c->arg);
	}
}

static void dispatch_event(struct post_carrier *c, const struct post_event *ev)
{
	switch (ev->type) {
	case POST_EV_SENT:
		if (c->h.sent)
			c->h.sent(c, ev->id, c->arg);
		break;
	case POST_EV_ACKED:
		if (c->h.acked)
			c->h.acked(c, ev->id, c->arg);
		break;
	case POST_EV_EXPIRED:
		if (c->h.expired)
			c->h.expired(c, ev->id, -ev->error, c->arg);
		break;
	case POST_EV_ABORTED:
		if (c->h.aborted)
			c->h.aborted(c, ev->id, -ev->error, c->arg);
		break;
	}
}

static void process_errqueue(struct post_carrier *c)
{
	char cbuf[CMSG_SPACE(sizeof(struct post_event)) * 64]
		__attribute__((aligned(8)));
	struct post_event ev;
	struct cmsghdr *cm;

	while (!c->freed) {
		struct msghdr m = { .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };

		if (recvmsg(c->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return;	/* EAGAIN: none left */
		}
		for (cm = CMSG_FIRSTHDR(&m); cm && !c->freed;
		     cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level != SOL_POST ||
			    cm->cmsg_type != POST_CMSG_EVENT ||
			    cm->cmsg_len < CMSG_LEN(sizeof(ev)))
				continue;
			memcpy(&ev, CMSG_DATA(cm), sizeof(ev));
			dispatch_event(c, &ev);
		}
	}
}

/* one received message to the handlers; returns an error to report */
static int deliver(struct post_carrier *c, const struct post_message *m)
{
	void *obj;
	int rc;

	if (!c->codec) {
		if (c->h.received)
			c->h.received(c, m, c->arg);
		return 0;
	}
	rc = decode(c, m, &obj);
	if (rc) {
		if (!c->h.decode_error)
			return rc;
		c->h.decode_error(c, m, rc, c->arg);
		return 0;
	}
	if (c->h.received_object)
		c->h.received_object(c, obj, m, c->arg);
	else if (c->codec->release)
		c->codec->release(obj, c->codec->arg);
	return 0;
}

/* the peer's end of stream: closed now, or once this side shuts down */
static void peer_ended(struct post_carrier *c)
{
	if (!c->h.end_of_stream || c->shut) {
		carrier_end(c, 0);
		return;
	}
	rearm(c);	/* nothing more to read: no EPOLLIN */
	c->h.end_of_stream(c, c->arg);
}

static int process_rx(struct post_carrier *c)
{
	struct post_message m;
	int rc, ret = 0;

	while (!c->freed && !c->eof && !c->peer_eof) {
		rc = recv_one(c, &m, true);
		if (rc == -EAGAIN)
			break;
		if (rc == -ENOMEM) {	/* that message is gone, not the rest */
			ret = ret ? ret : rc;
			break;
		}
		if (rc == 0) {
			peer_ended(c);
			break;
		}
		if (rc < 0) {
			carrier_end(c, rc);
			break;
		}
		rc = deliver(c, &m);
		/* keep a modest buffer for the next one, if none came meanwhile */
		if (!c->rbuf && m.len <= POST_RBUF_KEEP && !c->stream) {
			c->rbuf = m.data;
			c->rcap = m.len;
			m.data = NULL;
		}
		post_message_release(&m);
		if (rc && !ret)
			ret = rc;
	}
	return ret;
}

static void process_writable(struct post_carrier *c)
{
	struct pollfd pfd = { c->fd, c->want_band ? POLLWRBAND : POLLOUT, 0 };

	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & pfd.events))
		return;
	c->want_write = false;
	rearm(c);
	if (c->h.writable)
		c->h.writable(c, c->arg);
}

POST_EXPORT int post_carrier_process(struct post_carrier *c)
{
	int rc = 0;

	if (!c || c->freed)
		return -EINVAL;
	if (c->eof)
		return 0;
	c->busy++;
	if (c->connecting) {
		process_connect(c);
		if (c->connecting || c->eof)
			goto out;
	}
	if (!c->stream)
		process_errqueue(c);
	if (!c->freed && !c->eof)
		rc = process_rx(c);
	if (!c->freed && !c->eof && c->peer_eof && c->shut)
		carrier_end(c, 0);	/* both directions are done */
	if (!c->freed && !c->eof && c->want_write)
		process_writable(c);
out:
	if (!--c->busy && c->freed)
		carrier_free(c);
	return rc;
}
