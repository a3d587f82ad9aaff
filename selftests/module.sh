#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load, use, close, unload: rmmod is refused while a carrier exists and
# works once all are closed, with no carrier left behind (the POST line of
# /proc/net/protocols counts live AF_POST socks, freed ones included); a
# family number that is taken is refused with EEXIST; the module reloads.
# Leaves the module loaded. Needs POST_MODULE (path of af_post.ko).
set -u

# iproute2, not a busybox applet of the same name
ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - module: $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - module: $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

post_sockets() { awk '$1 == "POST" { print $3 }' /proc/net/protocols; }

wait_for() {
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

echo "1..9"
check "af_post is loaded, family published" \
	[ -r /sys/module/af_post/parameters/family ]

postcat -l -4 -p 7100 -n 1 -e -q >/tmp/module-srv.log 2>&1 &
srv=$!
wait_for grep -q listening /tmp/module-srv.log
check "a listener holds a module reference" \
	[ "$(cat /sys/module/af_post/refcnt)" -gt 0 ]
check "rmmod is refused while a socket is open" eval '! rmmod af_post 2>/dev/null'
check "a carrier works meanwhile" postcat -c 127.0.0.1 -p 7100 -s 1,100000 -e -q
wait $srv

check "every carrier is freed after close" wait_for [ "$(post_sockets)" = 0 ]
check "module refcount drops to 0" \
	wait_for [ "$(cat /sys/module/af_post/refcnt)" = 0 ]
check "rmmod works with no sockets" rmmod af_post
check "a taken family number is refused (EEXIST)" \
	eval '! insmod "$POST_MODULE" family=2 2>/tmp/module-insmod.err && grep -q "exists" /tmp/module-insmod.err'
check "the module loads again" insmod "$POST_MODULE"
exit $failed
