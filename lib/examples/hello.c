// SPDX-License-Identifier: GPL-2.0
/*
 * hello: the README's libpost tour, complete.
 *   hello server PORT              answer each message with "hello, ..."
 *   hello client HOST PORT NAME    send NAME, print the answer
 * Build: cc hello.c $(pkg-config --cflags --libs libpost)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <post.h>

static int server(const char *port)
{
	struct post_listener *l = NULL;
	struct post_local *local;
	struct post_carrier *c;
	struct post_message m;
	char reply[256];
	int rc, n;

	/* any address of both families */
	rc = post_local_new(&local, NULL, port);
	if (rc)
		goto out;
	rc = post_listen(&l, local, NULL, 0);
	post_local_free(local);
	while (!rc && !(rc = post_accept(l, &c))) {
		/* one whole message per call, until the client is done */
		while ((rc = post_receive(c, &m)) == 1) {
			n = snprintf(reply, sizeof(reply), "hello, %.*s",
				     (int)m.len, (char *)m.data);
			post_message_release(&m);
			rc = post_send(c, reply, n, NULL, NULL);
			if (rc)
				break;
		}
		post_carrier_close(c);
	}
	post_listener_close(l);
out:
	fprintf(stderr, "hello: %s\n", post_strerror(rc));
	return 1;
}

static int client(const char *host, const char *port, const char *name)
{
	struct post_msg_props props;
	struct post_carrier *c;
	struct post_remote *r;
	struct post_message m;
	int rc;

	/* every address of the name; the kernel races them */
	rc = post_remote_resolve(&r, host, port);
	if (rc)
		goto out;
	rc = post_initiate(&c, r, NULL, NULL, 0);
	post_remote_free(r);
	if (rc)
		goto out;
	post_props_init(&props);
	props.niceness = 0;		/* before any nicer message */
	props.lifetime_ms = 2000;	/* useless after 2 s: never late */
	rc = post_send(c, name, strlen(name), &props, NULL);
	if (!rc)
		rc = post_receive(c, &m);
	if (rc == 1) {
		printf("%.*s\n", (int)m.len, (char *)m.data);
		post_message_release(&m);
	}
	post_carrier_close(c);
	if (rc == 1)
		return 0;
	if (!rc)
		rc = -ECONNRESET;	/* closed without an answer */
out:
	fprintf(stderr, "hello: %s\n", post_strerror(rc));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: hello server PORT | client HOST PORT NAME\n");
	return 2;
}
