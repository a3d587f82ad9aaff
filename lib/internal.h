/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpost internals: object layouts shared by the library's files. Nothing
 * here is exported; the symbols marked POST_EXPORT are the API (post.h) and
 * the only ones libpost.so exports (-fvisibility=hidden).
 */
#ifndef _POST_INTERNAL_H
#define _POST_INTERNAL_H

#include <netinet/in.h>

#include "post.h"

#define POST_EXPORT __attribute__((visibility("default")))

struct post_remote {
	size_t nr;
	struct sockaddr_storage addr[POST_MAX_CANDIDATES];
	socklen_t len[POST_MAX_CANDIDATES];
};

struct post_local {
	struct sockaddr_storage addr;
	socklen_t len;
};

/* what an epoll registration points at; freed after the batch it died in */
enum { POST_W_CARRIER = 1, POST_W_LISTENER };
struct post_watch {
	int kind;
	void *obj;		/* NULL once removed */
	uint32_t events;	/* registered with epoll */
	struct post_watch *next;	/* the loop's live ones */
	struct post_watch *next_dead;
};

struct post_carrier {
	int fd;
	bool stream;
	bool connecting;
	bool nonblock;
	bool peer_eof;		/* the peer's end of stream was read */
	bool shut;		/* post_carrier_shutdown() */
	bool eof;		/* closed handler called */
	bool freed;		/* post_carrier_close() inside a handler */
	bool want_write;	/* post_send() got -EAGAIN: writable wanted */
	bool want_band;		/* ... for a nicer message than the default */
	int busy;		/* handlers running */
	int err;		/* the first fatal error, latched */
	int default_nice;	/* POST_NICENESS, read once */
	uint64_t next_id;	/* 0: not read yet */
	struct post_handlers h;
	void *arg;
	const struct post_codec *codec;
	struct post_codec codec_copy;
	struct post_loop *loop;
	struct post_watch *watch;
	char *rbuf;		/* receive buffer, handed over with a message */
	size_t rcap;
};

struct post_listener {
	int fd;
	void (*accepted)(struct post_listener *l, struct post_carrier *c,
			 void *arg);
	void *arg;
	struct post_loop *loop;
	struct post_watch *watch;
	bool freed;
	int busy;
};

/* socket() for AF_POST, with a clear error when the module is missing */
int post_socket(int type);
/* SOL_POST/SOL_SOCKET options of a policy; stream: only what applies */
int post_apply_policy(int fd, const struct post_policy *p, bool stream,
		      bool listener);
/* a caller's sized struct into a full local one (-EINVAL, -E2BIG) */
int post_copy_sized(void *dst, size_t dst_size, const void *src);
int post_carrier_wrap(struct post_carrier **carrier, int fd, bool stream,
		      bool connecting);

int post_loop_watch(struct post_loop *loop, struct post_watch **w, int kind,
		    void *obj, int fd, uint32_t events);
void post_loop_unwatch(struct post_loop *loop, struct post_watch *w, int fd);
void post_loop_rearm(struct post_loop *loop, struct post_watch *w, int fd,
		     uint32_t events);

#endif /* _POST_INTERNAL_H */
