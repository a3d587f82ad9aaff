// SPDX-License-Identifier: GPL-2.0
/*
 * echo_client: the simplest libpost client, blocking calls only.
 *
 * It resolves HOST and PORT (every IPv4 and IPv6 address of a name becomes
 * a candidate, and the kernel races them), opens a carrier, sends each WORD
 * as one message and waits for its echo, which must be identical byte for
 * byte. Then it shuts the carrier down and waits for the server's end of
 * stream.
 *
 *   echo_client HOST PORT [WORD...]   without WORDs: hello, post, sockets
 *
 * Prints "echo: WORD" for each echo. Exit status 0 if every echo matched,
 * else 1 with the reason on stderr. Run echo_server first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "post.h"

static int fail(const char *what, int err)
{
	fprintf(stderr, "echo_client: %s: %s\n", what, post_strerror(err));
	return 1;
}

/* Send one word, receive its echo and compare: 0 or a negative errno. */
static int echo_one(struct post_carrier *c, const char *word)
{
	size_t len = strlen(word);
	struct post_message m;
	int rc;

	rc = post_send(c, word, len, NULL, NULL);
	if (rc)
		return rc;
	rc = post_receive(c, &m);
	if (rc == 0)
		return -ECONNRESET;	/* the server ended first */
	if (rc < 0)
		return rc;
	if (m.len != len || memcmp(m.data, word, len))
		rc = -EBADMSG;
	else
		printf("echo: %.*s\n", (int)m.len, (const char *)m.data);
	post_message_release(&m);
	return rc == 1 ? 0 : rc;
}

int main(int argc, char **argv)
{
	static const char *const defaults[] = { "hello", "post", "sockets" };
	int i, nr = argc > 3 ? argc - 3 : 3;
	struct post_remote *remote;
	struct post_carrier *c;
	struct post_message m;
	int rc, status = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: echo_client HOST PORT [WORD...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = post_remote_resolve(&remote, argv[1], argv[2]);
	if (rc)
		return fail(argv[1], rc);
	/* blocking: returns once an attempt won the race, or all failed */
	rc = post_initiate(&c, remote, NULL, NULL, 0);
	post_remote_free(remote);
	if (rc)
		return fail("connect", rc);

	for (i = 0; i < nr; i++) {
		const char *word = argc > 3 ? argv[3 + i] : defaults[i];

		rc = echo_one(c, word);
		if (rc) {
			fprintf(stderr, "echo_client: echo of \"%s\": %s\n",
				word, post_strerror(rc));
			status = 1;
			break;
		}
	}

	/* no more messages from us; the server closes at our end of stream */
	rc = post_carrier_shutdown(c);
	if (!rc) {
		rc = post_receive(c, &m);
		if (rc == 1) {
			post_message_release(&m);
			rc = -EPROTO;	/* nothing more was expected */
		}
	}
	if (rc)
		status = fail("close", rc);
	post_carrier_close(c);
	return status;
}
