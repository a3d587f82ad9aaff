#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libpost-install.sh: `make install-lib` into a scratch DESTDIR, then build a
# program from the installed post.h and libpost.pc alone (pkg-config), once
# against libpost.so and once statically against libpost.a, and run both.
# The host cannot load modules, so both must fail to open a carrier with
# libpost's "module is not loaded" error: the installed library works and
# says why.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
ok() { echo "ok - libpost install: $1"; }
bad() { echo "not ok - libpost install: $1"; fail=1; }

make -s -C "$top" install-lib DESTDIR="$t/root" PREFIX=/opt/post >$t/log 2>&1 ||
	{ cat $t/log; bad "make install-lib"; exit 1; }
for f in include/post.h include/linux/post.h lib/libpost.so.1 \
	 lib/libpost.so lib/libpost.a lib/pkgconfig/libpost.pc; do
	[ -e "$t/root/opt/post/$f" ] || bad "missing /opt/post/$f"
done

cat >$t/prog.c <<'C'
#include <post.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct post_remote *r;
	struct post_carrier *c;
	int rc;

	rc = post_remote_resolve(&r, "127.0.0.1", "7000");
	if (rc)
		return 2;
	rc = post_initiate(&c, r, NULL, NULL, 0);
	post_remote_free(r);
	printf("%d %s\n", rc, post_strerror(rc));
	return rc == 0 ? 0 : 1;
}
C
export PKG_CONFIG_SYSROOT_DIR="$t/root"
export PKG_CONFIG_LIBDIR="$t/root/opt/post/lib/pkgconfig"
cflags=$(pkg-config --cflags libpost) && libs=$(pkg-config --libs libpost) ||
	bad "pkg-config libpost"
if cc $cflags -o $t/dyn $t/prog.c $libs -Wl,-rpath,$t/root/opt/post/lib &&
   cc $cflags -o $t/static $t/prog.c $t/root/opt/post/lib/libpost.a; then
	ok "a program builds from the installed header, .pc, .so and .a"
else
	bad "building against the installed library"
fi
if [ -e /sys/module/af_post ]; then
	ok "af_post is loaded here: the not-loaded check is the guest's"
else
	for p in dyn static; do
		out=$($t/$p)
		case "$out" in
		*"af_post module is not loaded"*) ok "$p: says the module is not loaded" ;;
		*) bad "$p printed '$out'" ;;
		esac
	done
fi
ldd $t/dyn | grep -q "libpost.so.1 => $t/root" &&
	ok "the program links libpost.so.1 by its soname" ||
	bad "soname linkage: $(ldd $t/dyn | grep post)"
# the README's complete program is the example that is built and tested
awk '/^```c$/ { inc = 1; n = 0; next } /^```$/ { inc = 0 }
     inc { b = b $0 "\n" } /^```$/ && b ~ /hello: the README/ { printf "%s", b; exit }
     /^```$/ { b = "" }' "$top/README.md" >$t/readme-hello.c
cmp -s $t/readme-hello.c "$top/lib/examples/hello.c" &&
	ok "the README's program is lib/examples/hello.c, verbatim" ||
	bad "the README's program differs from lib/examples/hello.c"
exit $fail
