// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpost: the module's family number, error text, remotes, locals,
 * policies and message properties. Nothing here keeps state between calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

POST_EXPORT int post_family(void)
{
	FILE *f = fopen(POST_FAMILY_SYSFS, "re");
	int family, n;

	if (!f)
		return errno == ENOENT ? -EAFNOSUPPORT : -EIO;
	n = fscanf(f, "%d", &family);
	fclose(f);
	if (n != 1 || family <= 0)
		return -EIO;
	return family;
}

POST_EXPORT const char *post_strerror(int err)
{
	if (err == -EAFNOSUPPORT && access(POST_FAMILY_SYSFS, F_OK))
		return "AF_POST is not available: the af_post module is not loaded";
	if (err >= 0)
		return "Success";
	return strerror(-err);
}

int post_socket(int type)
{
	int family = post_family();
	int fd;

	if (family < 0)
		return family;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	return fd;
}

POST_EXPORT int post_remote_new(struct post_remote **remote)
{
	if (!remote)
		return -EINVAL;
	*remote = calloc(1, sizeof(**remote));
	return *remote ? 0 : -ENOMEM;
}

/* the fields a candidate is made of, in a zeroed sockaddr_storage */
static int normalise(struct sockaddr_storage *ss, const struct sockaddr *addr,
		     socklen_t len)
{
	memset(ss, 0, sizeof(*ss));
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)addr;
		struct sockaddr_in *n = (void *)ss;

		if (len < sizeof(*a) || !a->sin_port)
			return -EINVAL;
		n->sin_family = AF_INET;
		n->sin_port = a->sin_port;
		n->sin_addr = a->sin_addr;
		return sizeof(*n);
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)addr;
		struct sockaddr_in6 *n = (void *)ss;

		if (len < sizeof(*a) || !a->sin6_port)
			return -EINVAL;
		n->sin6_family = AF_INET6;
		n->sin6_port = a->sin6_port;
		n->sin6_addr = a->sin6_addr;
		n->sin6_scope_id = a->sin6_scope_id;
		return sizeof(*n);
	}
	return -EAFNOSUPPORT;
}

POST_EXPORT int post_remote_add(struct post_remote *r,
				const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage ss;
	size_t i;
	int n;

	if (!r || !addr || len < sizeof(sa_family_t))
		return -EINVAL;
	n = normalise(&ss, addr, len);
	if (n < 0)
		return n;
	for (i = 0; i < r->nr; i++)
		if (!memcmp(&r->addr[i], &ss, sizeof(ss)))
			return -EEXIST;
	if (r->nr == POST_MAX_CANDIDATES)
		return -ENOSPC;
	r->addr[r->nr] = ss;
	r->len[r->nr++] = n;
	return 0;
}

static int gai_errno(int rc)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_SERVICE:
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return -EADDRNOTAVAIL;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	default:
		return -EIO;
	}
}

POST_EXPORT int post_remote_resolve(struct post_remote **remote,
				    const char *host, const char *service)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
	};
	struct addrinfo *res, *ai, *next[2];
	struct post_remote *r;
	int rc, i, fam;

	if (!remote || !host || !service)
		return -EINVAL;
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc)
		return gai_errno(rc);
	rc = post_remote_new(&r);
	if (rc)
		goto out;
	/*
	 * Both families in resolver order, interleaved: with more addresses
	 * than candidates, neither family is left out (RFC 8305, section 4).
	 */
	for (i = 0; i < 2; i++)
		next[i] = res;
	for (fam = 0; r->nr < POST_MAX_CANDIDATES; fam ^= 1) {
		int want = fam ? AF_INET : AF_INET6;

		while (next[fam] && next[fam]->ai_family != want)
			next[fam] = next[fam]->ai_next;
		if (!next[fam] && !next[fam ^ 1])
			break;
		if (!next[fam])
			continue;
		ai = next[fam];
		next[fam] = ai->ai_next;
		/* a duplicate is not a second candidate */
		post_remote_add(r, ai->ai_addr, ai->ai_addrlen);
	}
	if (!r->nr) {
		free(r);
		rc = -EADDRNOTAVAIL;
		goto out;
	}
	*remote = r;
	rc = 0;
out:
	freeaddrinfo(res);
	return rc;
}

POST_EXPORT size_t post_remote_count(const struct post_remote *r)
{
	return r ? r->nr : 0;
}

POST_EXPORT const struct sockaddr *post_remote_addr(const struct post_remote *r,
						    size_t i, socklen_t *len)
{
	if (!r || i >= r->nr)
		return NULL;
	if (len)
		*len = r->len[i];
	return (const struct sockaddr *)&r->addr[i];
}

POST_EXPORT void post_remote_free(struct post_remote *r)
{
	free(r);
}

POST_EXPORT int post_local_new(struct post_local **local, const char *addr,
			       const char *service)
{
	struct sockaddr_in6 *sin6;
	struct sockaddr_in *sin;
	struct post_local *l;
	unsigned long port = 0;
	char *end;

	if (!local)
		return -EINVAL;
	if (service && *service) {
		port = strtoul(service, &end, 10);
		if (*end) {
			/* a name: getaddrinfo, unlike getservbyname, is MT-safe */
			struct addrinfo hints = { .ai_family = AF_INET,
						  .ai_socktype = SOCK_STREAM,
						  .ai_flags = AI_PASSIVE };
			struct addrinfo *res;

			if (getaddrinfo(NULL, service, &hints, &res))
				return -ENOENT;
			port = ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port);
			freeaddrinfo(res);
		} else if (port > 65535) {
			return -EINVAL;
		}
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	sin = (struct sockaddr_in *)&l->addr;
	sin6 = (struct sockaddr_in6 *)&l->addr;
	if (!addr || !*addr || !strcmp(addr, "::")) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		l->len = sizeof(*sin6);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		l->len = sizeof(*sin6);
	} else if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		l->len = sizeof(*sin);
	} else {
		free(l);
		return -EINVAL;
	}
	*local = l;
	return 0;
}

POST_EXPORT void post_local_free(struct post_local *l)
{
	free(l);
}

POST_EXPORT void post_policy_init(struct post_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->niceness = -1;
}

POST_EXPORT void post_props_init(struct post_msg_props *p)
{
	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->niceness = -1;
}

/*
 * src starts with its size (uint32_t): a caller built against an older
 * post.h passes less (the rest keeps dst's defaults, as set by the _init
 * call the caller made on dst first), a newer one more (accepted if what
 * we do not know is zero). Size 0: never initialised.
 */
int post_copy_sized(void *dst, size_t dst_size, const void *src)
{
	uint32_t size;
	size_t i;

	memcpy(&size, src, sizeof(size));
	if (size < 2 * sizeof(uint32_t))
		return -EINVAL;
	for (i = dst_size; i < size; i++)
		if (((const unsigned char *)src)[i])
			return -E2BIG;
	memcpy(dst, src, size < dst_size ? size : dst_size);
	size = dst_size;	/* now ours */
	memcpy(dst, &size, sizeof(size));
	return 0;
}

static int set_u32(int fd, int level, int opt, unsigned int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v)) ? -errno : 0;
}

int post_apply_policy(int fd, const struct post_policy *p, bool stream,
		      bool listener)
{
	int rc = 0;

	if (!p)
		return 0;
	if (!rc && p->sndbuf > 0)
		rc = set_u32(fd, SOL_SOCKET, SO_SNDBUF, p->sndbuf);
	if (!rc && p->rcvbuf > 0)
		rc = set_u32(fd, SOL_SOCKET, SO_RCVBUF, p->rcvbuf);
	if (!rc && p->handshake_timeout_ms)
		rc = set_u32(fd, SOL_POST, POST_HANDSHAKE_TIMEOUT,
			     p->handshake_timeout_ms);
	if (!rc && !listener && p->prefer_family)
		rc = set_u32(fd, SOL_POST, POST_PREFER_FAMILY, p->prefer_family);
	if (!rc && !listener && p->attempt_delay_ms)
		rc = set_u32(fd, SOL_POST, POST_ATTEMPT_DELAY,
			     p->attempt_delay_ms);
	if (stream)
		return rc;
	if (!rc && p->niceness >= 0)
		rc = set_u32(fd, SOL_POST, POST_NICENESS, p->niceness);
	if (!rc && p->max_msg_size)
		rc = set_u32(fd, SOL_POST, POST_MAX_MSG_SIZE, p->max_msg_size);
	if (!rc && p->chunk_size)
		rc = set_u32(fd, SOL_POST, POST_CHUNK_SIZE, p->chunk_size);
	if (!rc && p->notsent_lowat)
		rc = set_u32(fd, SOL_POST, POST_NOTSENT_LOWAT, p->notsent_lowat);
	return rc;
}
