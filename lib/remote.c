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

static int inet_len(int family)
{
	if (family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

static int addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

POST_EXPORT int post_remote_new(struct post_remote **remote)
{
	if (!remote)
		return -EINVAL;
	*remote = calloc(1, sizeof(**remote));
	return *remote ? 0 : -ENOMEM;
}

POST_EXPORT int post_remote_add(struct post_remote *r,
				const struct sockaddr *addr, socklen_t len)
{
	size_t i;
	int want;

	if (!r || !addr || len < sizeof(sa_family_t))
		return -EINVAL;
	want = inet_len(addr->sa_family);
	if (!want)
		return -EAFNOSUPPORT;
	if (len < want || !addr_port(addr))
		return -EINVAL;
	for (i = 0; i < r->nr; i++)
		if (r->len[i] == want && !memcmp(&r->addr[i], addr, want))
			return -EEXIST;
	if (r->nr == POST_MAX_CANDIDATES)
		return -ENOSPC;
	memset(&r->addr[r->nr], 0, sizeof(r->addr[0]));
	memcpy(&r->addr[r->nr], addr, want);
	r->len[r->nr++] = want;
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
	struct addrinfo *res, *ai;
	struct post_remote *r;
	int rc;

	if (!remote || !host || !service)
		return -EINVAL;
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc)
		return gai_errno(rc);
	rc = post_remote_new(&r);
	if (rc)
		goto out;
	for (ai = res; ai; ai = ai->ai_next) {
		rc = post_remote_add(r, ai->ai_addr, ai->ai_addrlen);
		if (rc == -ENOSPC)
			break;
		/* other families and duplicates are not candidates */
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
			struct servent *se = getservbyname(service, "tcp");

			if (!se)
				return -ENOENT;
			port = ntohs(se->s_port);
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
	p->niceness = -1;
}

POST_EXPORT void post_props_init(struct post_msg_props *p)
{
	memset(p, 0, sizeof(*p));
	p->niceness = -1;
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
