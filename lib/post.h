/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpost: the Post Sockets API over AF_POST.
 *
 * Objects, in Post Sockets terms:
 *   post_remote    who to talk to: addresses, from a host name and service
 *                  (getaddrinfo, both families) or given; the kernel races
 *                  them (Happy Eyeballs) and remembers what worked
 *   post_local     where to listen or send from: an address and a port
 *   post_policy    how: family preference, attempt delay, default
 *                  niceness, limits (a plain struct; zero means "the
 *                  kernel's default")
 *   post_carrier   a connection exchanging whole messages, made by
 *                  post_initiate() or post_accept()
 *   post_listener  accepts carriers, made by post_listen()
 *   post_message   a received message and its properties
 *   post_codec     encode/decode callbacks for an application's own type
 *   post_loop      an epoll loop that drives carriers and listeners and
 *                  calls their handlers
 *
 * Errors: every function returning int returns 0 (or a documented
 * non-negative value) on success and a negative errno on failure; errno is
 * not used to report anything. Functions returning void cannot fail.
 * post_strerror() turns an error into text, and says when the af_post
 * module is not loaded. Errors every call may return besides the listed
 * ones: -EINVAL for a NULL object or out-of-range argument, -ENOMEM.
 *
 * Threads: the library has no threads and no global mutable state. Each
 * object may be used by one thread at a time; different objects may be used
 * from different threads at once, except that objects in a loop belong,
 * with the loop, to the thread that runs it. Handlers run in the thread
 * that called post_carrier_process(), post_listener_process() or
 * post_loop_run().
 *
 * ABI: struct post_policy and struct post_msg_props start with their size,
 * set by post_policy_init() and post_props_init() (always start from
 * those; a size of 0 gets -EINVAL). Handler and codec tables end in
 * reserved pointers that must be NULL, and struct post_message in reserved
 * words: later versions grow into them. libpost.so.1 exports only the
 * functions declared here.
 *
 * The AF_POST family number is read from POST_FAMILY_SYSFS each time a
 * socket is made, so a reloaded module with another number is picked up.
 */
#ifndef _POST_H
#define _POST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/post.h>

#ifdef __cplusplus
extern "C" {
#endif

#define POST_API_VERSION	1

struct post_remote;
struct post_local;
struct post_carrier;
struct post_listener;
struct post_loop;

/* -- the module ---------------------------------------------------------- */

/*
 * The live AF_POST family number, or -EAFNOSUPPORT when the af_post module
 * is not loaded (POST_FAMILY_SYSFS is missing), -EIO if it is unreadable.
 */
int post_family(void);

/*
 * A static description of a negative errno returned by this library. For
 * -EAFNOSUPPORT it says whether the af_post module is loaded. Never NULL.
 */
const char *post_strerror(int err);

/* -- remotes and locals -------------------------------------------------- */

/*
 * A remote from a host name (or numeric address) and a service (name or
 * port number), resolved now with getaddrinfo() for both families; the
 * kernel gets every address as a race candidate (duplicates dropped; past
 * POST_MAX_CANDIDATES, the families are interleaved first so that both
 * stay represented).
 * Errors: -ENOENT the name or service does not exist, -EAGAIN a temporary
 * resolver failure, -EADDRNOTAVAIL the name has no IPv4 or IPv6 address,
 * -EIO another resolver failure.
 */
int post_remote_resolve(struct post_remote **remote, const char *host,
			const char *service);

/* An empty remote; add addresses with post_remote_add(). */
int post_remote_new(struct post_remote **remote);

/*
 * Add an address (sockaddr_in or sockaddr_in6 with a port). Only the
 * family, port, address and (IPv6) scope id are kept.
 * Errors: -EAFNOSUPPORT another family, -EINVAL short or port 0,
 * -EEXIST already there, -ENOSPC POST_MAX_CANDIDATES reached.
 */
int post_remote_add(struct post_remote *remote, const struct sockaddr *addr,
		    socklen_t len);

/* Addresses held, and the i-th (NULL past the end), in resolver order. */
size_t post_remote_count(const struct post_remote *remote);
const struct sockaddr *post_remote_addr(const struct post_remote *remote,
					size_t i, socklen_t *len);
void post_remote_free(struct post_remote *remote);

/*
 * A local endpoint: a numeric address (NULL: any address of both families,
 * "::" dual-stack) and a port (a number or a service name; NULL or "0": any).
 * Errors: -ENOENT unknown service, -EINVAL not a numeric address.
 */
int post_local_new(struct post_local **local, const char *addr,
		   const char *service);
void post_local_free(struct post_local *local);

/* -- policies ------------------------------------------------------------ */

struct post_policy {
	uint32_t	size;		/* post_policy_init() sets it */
	int		prefer_family;	/* AF_INET6, AF_INET or 0 (netns default) */
	unsigned int	attempt_delay_ms;	/* Happy Eyeballs, 10..2000 */
	int		niceness;	/* default for messages, 0..7; -1: kernel's */
	unsigned int	handshake_timeout_ms;
	unsigned int	max_msg_size;	/* bytes, both directions */
	unsigned int	chunk_size;	/* interleaving unit, 512..65536 */
	unsigned int	notsent_lowat;	/* bytes TCP may hold unsent */
	int		sndbuf;		/* SO_SNDBUF, SO_RCVBUF */
	int		rcvbuf;
	bool		stream;		/* SOCK_STREAM: bytes, not messages */
};

/*
 * Every field "the kernel's default" (zero, niceness -1). A carrier
 * accepted by a listener has the listener's policy.
 */
void post_policy_init(struct post_policy *policy);

/* -- messages ------------------------------------------------------------ */

/* Properties of a message being sent; NULL means all defaults. */
struct post_msg_props {
	uint32_t	size;		/* post_props_init() sets it */
	unsigned int	lifetime_ms;	/* 0: forever */
	int		niceness;	/* 0..7; -1: the carrier's default */
	const uint64_t	*antecedents;	/* ids delivered before this one */
	unsigned int	nr_antecedents;	/* 0..POST_MAX_ANTECEDENTS */
	bool		immediate;
	bool		idempotent;
	/*
	 * false (the default): sent in post_send() order among messages of
	 * its niceness; true: may be sent ahead of them by its lifetime
	 */
	bool		unordered;
};

void post_props_init(struct post_msg_props *props);

/* A received message. data is owned by the message until released. */
struct post_message {
	uint64_t	id;		/* the sender's id */
	void		*data;
	size_t		len;
	unsigned int	niceness;
	unsigned int	lifetime_ms;	/* remaining, if has_lifetime */
	bool		has_lifetime;
	bool		idempotent;
	uint64_t	reserved[4];
};

/* Free a received message's data (the struct itself is the caller's). */
void post_message_release(struct post_message *msg);

/* -- codecs -------------------------------------------------------------- */

/*
 * An application's message type. encode() writes obj into buf (cap bytes)
 * and returns the encoded length, which may exceed cap: it is then called
 * again with a buffer that large; or a negative errno. decode() makes an
 * object from a message and returns 0 or a negative errno (a decode
 * error); release() frees a decoded object (may be NULL).
 */
struct post_codec {
	const char	*name;
	ssize_t		(*encode)(const void *obj, void *buf, size_t cap,
				  void *arg);
	int		(*decode)(const void *buf, size_t len, void **obj,
				  void *arg);
	void		(*release)(void *obj, void *arg);
	void		*arg;
	void		*reserved[4];	/* NULL */
};

/* -- carriers ------------------------------------------------------------ */

#define POST_NONBLOCK	0x1	/* post_initiate: return while racing */

/*
 * Open a carrier to remote: the kernel races its addresses. local (may be
 * NULL) binds the carrier, which then makes one attempt. policy may be
 * NULL. Without POST_NONBLOCK it returns when the race is over; with it, it
 * returns at once and the carrier's ready or closed handler tells the
 * outcome (drive it with a loop or post_carrier_process()).
 * Errors: -EAFNOSUPPORT (module not loaded), -EDESTADDRREQ empty remote, the
 * race's error (see uapi/linux/post.h: -ECONNREFUSED, -ETIMEDOUT, ...),
 * -EINVAL a policy value the kernel refuses.
 */
int post_initiate(struct post_carrier **carrier,
		  const struct post_remote *remote,
		  const struct post_local *local,
		  const struct post_policy *policy, unsigned int flags);

/*
 * No more messages from this side: the peer reads end of stream after the
 * queued ones; receiving goes on. Errors: -ENOTCONN still racing.
 */
int post_carrier_shutdown(struct post_carrier *carrier);

/* Close and free; queued messages are still delivered (as close()). */
void post_carrier_close(struct post_carrier *carrier);

/*
 * Send one message. id (may be NULL) gets its id, as events name it (ids
 * are counted here: do not send on the carrier's fd directly). Blocking
 * unless the carrier is non-blocking (handlers, a loop, or
 * post_carrier_set_nonblock()): then -EAGAIN when the send queue has no
 * room for the message's niceness; the writable handler says when to retry.
 * Never raises SIGPIPE.
 * On a stream carrier (props must be NULL, *id is 0) it returns the number
 * of bytes taken: all of them when blocking, possibly fewer when not.
 * Errors: -EMSGSIZE, -EPIPE after post_carrier_shutdown(), the carrier's
 * error once it failed (-ECONNRESET, -ETIMEDOUT, -EPROTO, ...), -ENOTCONN
 * still racing (until post_carrier_process() saw the race end), -EBADFD
 * after the closed handler ran, -EOPNOTSUPP props on a stream carrier,
 * -EINVAL bad properties (an antecedent never sent, niceness > 7, more
 * than POST_MAX_ANTECEDENTS antecedents, props not initialised).
 */
int post_send(struct post_carrier *carrier, const void *data, size_t len,
	      const struct post_msg_props *props, uint64_t *id);

/*
 * Receive one whole message into msg (release it with
 * post_message_release()). Returns 1 with a message, 0 at the peer's end
 * of stream. On a stream carrier, a message is the bytes available.
 * Errors: -EAGAIN nothing complete yet (non-blocking carrier), -ENOMEM
 * (that message is dropped, the next call gets the next one), -ENOTCONN
 * still racing, -EBADFD after the closed handler ran, the carrier's error
 * (-ECONNRESET, -EPROTO, ...), again on every later call.
 */
int post_receive(struct post_carrier *carrier, struct post_message *msg);

/* Give up on a sent message (POST_ABORT): -EALREADY, -EINVAL as there. */
int post_abort(struct post_carrier *carrier, uint64_t id);

/* Send and receive objects through the carrier's codec. */
int post_carrier_set_codec(struct post_carrier *carrier,
			   const struct post_codec *codec);
/*
 * Errors: -ENOPROTOOPT no codec set, encode()'s error, -EOVERFLOW encode()
 * wanted more room the second time, as post_send().
 */
int post_send_object(struct post_carrier *carrier, const void *obj,
		     const struct post_msg_props *props, uint64_t *id);
/*
 * As post_receive(), then decode: 1 with *obj (free it with the codec's
 * release()) and msg's properties (msg->data is released already), 0 at end
 * of stream. A decode error returns decode()'s negative errno (-EBADMSG if
 * it returned a non-negative one) with msg->id set: that message is
 * consumed, the next call gets the next one.
 */
int post_receive_object(struct post_carrier *carrier, void **obj,
			struct post_message *msg);

/* What happened to messages and the carrier. Every member may be NULL. */
struct post_handlers {
	/* a message arrived (data valid only during the call) */
	void (*received)(struct post_carrier *c, const struct post_message *m,
			 void *arg);
	/* with a codec: a decoded object (the handler owns obj) */
	void (*received_object)(struct post_carrier *c, void *obj,
				const struct post_message *m, void *arg);
	/* with a codec: m could not be decoded (err < 0); m->data is valid */
	void (*decode_error)(struct post_carrier *c,
			     const struct post_message *m, int err, void *arg);
	void (*sent)(struct post_carrier *c, uint64_t id, void *arg);
	void (*acked)(struct post_carrier *c, uint64_t id, void *arg);
	/* err: 0 (lifetime), -ECANCELED (an antecedent ended) */
	void (*expired)(struct post_carrier *c, uint64_t id, int err,
			void *arg);
	/* err: 0 (post_abort), or the carrier's error */
	void (*aborted)(struct post_carrier *c, uint64_t id, int err,
			void *arg);
	/* after post_send() returned -EAGAIN: there is room again */
	void (*writable)(struct post_carrier *c, void *arg);
	/*
	 * the peer sends nothing more; this side may still send, and closed
	 * follows once it shut down too (post_carrier_shutdown()). Without
	 * this handler, the peer's end of stream is closed(0) at once.
	 */
	void (*end_of_stream)(struct post_carrier *c, void *arg);
	/* the race is over and the carrier is usable (path/race result) */
	void (*ready)(struct post_carrier *c, const struct post_race_info *r,
		      void *arg);
	/*
	 * the carrier ended: err 0 at the end of stream (see end_of_stream),
	 * else why (a failed race, a reset). Called once, after every event
	 * that came before the end; the carrier is out of its loop and may be
	 * closed here.
	 */
	void (*closed)(struct post_carrier *c, int err, void *arg);
	void *reserved[6];	/* NULL */
};

/*
 * Register handlers (copied; NULL: none) and their argument. Makes the
 * carrier non-blocking and turns on the kernel events whose handlers are
 * set. Errors: -EINVAL reserved members not NULL.
 */
int post_carrier_on(struct post_carrier *carrier,
		    const struct post_handlers *handlers, void *arg);

/*
 * For an application's own loop: the fd, and the poll events to wait for
 * now (they change: ask again after each post_carrier_process()).
 */
int post_carrier_fd(const struct post_carrier *carrier);
uint32_t post_carrier_poll_events(const struct post_carrier *carrier);

/*
 * Handle what is pending without blocking: the race outcome, events,
 * every complete received message, the end; handlers are called.
 * Returns 0, or a negative errno when a message cannot be handed over: a
 * decode error without a decode_error handler, -ENOMEM (the message is
 * dropped). The carrier's own failure is reported to closed, not returned.
 */
int post_carrier_process(struct post_carrier *carrier);

/* 1 while racing, 0 once ready; -EBADFD once closed. */
int post_carrier_connecting(const struct post_carrier *carrier);
int post_carrier_set_nonblock(struct post_carrier *carrier, bool on);
/* The kernel's account of the race and of the carrier. */
int post_carrier_race(const struct post_carrier *carrier,
		      struct post_race_info *race);
int post_carrier_info(const struct post_carrier *carrier,
		      struct post_info *info);
/* Local and remote address of the winning connection. */
int post_carrier_peer(const struct post_carrier *carrier,
		      struct sockaddr_storage *addr, socklen_t *len);
void *post_carrier_arg(const struct post_carrier *carrier);

/* -- listeners ----------------------------------------------------------- */

/*
 * Listen on local (its port must be set for a useful server). backlog <= 0
 * means SOMAXCONN. Carriers accepted have the policy's settings.
 * Errors: -EADDRINUSE, -EACCES, -EAFNOSUPPORT (module), -EINVAL a stream
 * policy (stream carriers only initiate).
 */
int post_listen(struct post_listener **listener, const struct post_local *local,
		const struct post_policy *policy, int backlog);

/*
 * Take the next carrier; blocks unless the listener is in a loop or has
 * handlers. Errors: -EAGAIN none waiting (non-blocking).
 */
int post_accept(struct post_listener *listener, struct post_carrier **carrier);

/* accepted: the handler owns the new carrier (register it, add it to a loop) */
int post_listener_on(struct post_listener *listener,
		     void (*accepted)(struct post_listener *l,
				      struct post_carrier *c, void *arg),
		     void *arg);
int post_listener_fd(const struct post_listener *listener);
/*
 * Accept every waiting carrier without blocking, calling accepted for each
 * (closing it if there is no handler). Errors: as accept(): -EMFILE,
 * -ENFILE, -ENOMEM, ...
 */
int post_listener_process(struct post_listener *listener);
/* The port listened on (useful with port 0). */
int post_listener_port(const struct post_listener *listener);
void post_listener_close(struct post_listener *listener);

/* -- the loop ------------------------------------------------------------ */

int post_loop_new(struct post_loop **loop);

/*
 * Add or remove a carrier or listener; the loop does not own them. A closed
 * carrier leaves its loop by itself; post_carrier_close() and
 * post_listener_close() remove them too.
 * Errors: -EEXIST already in a loop, -ENOENT not in this loop.
 */
int post_loop_add_carrier(struct post_loop *loop, struct post_carrier *c);
int post_loop_del_carrier(struct post_loop *loop, struct post_carrier *c);
int post_loop_add_listener(struct post_loop *loop, struct post_listener *l);
int post_loop_del_listener(struct post_loop *loop, struct post_listener *l);

/*
 * Run handlers until post_loop_stop(), until nothing is left in the loop,
 * or for timeout_ms (-1: no limit; 0: handle what is ready, once). Returns
 * 1 if stopped, 0 if empty, -ETIMEDOUT at the timeout, or the first error
 * post_carrier_process() or post_listener_process() returned (-EINTR is
 * retried). A carrier added to a loop becomes non-blocking.
 */
int post_loop_run(struct post_loop *loop, int timeout_ms);
void post_loop_stop(struct post_loop *loop);
/*
 * Frees the loop; what is still in it is left alone (not closed). Not
 * from a handler the loop runs.
 */
void post_loop_free(struct post_loop *loop);

#ifdef __cplusplus
}
#endif

#endif /* _POST_H */
