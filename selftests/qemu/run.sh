#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh check|check-debug|demo|bench: what `make check`, `make check-debug`,
# `make demo` and `make bench` do.
#  1. install what is missing (Debian packages only)
#  2. build module, tools and tests against the Debian cloud kernel, or for
#     check-debug against the debug kernel (debug-kernel.sh, cached)
#  3. pack an initramfs: busybox, the modules, ip/tc, tests, their libraries
#  4. boot it in qemu-system-x86_64 under TCG with panic_on_warn=1
#  5. print the TAP results, scan the kernel log, end with "N passed, N failed"
#     (bench: print the figures, write build/bench/results.json)
# Guest files land in build/guest/ (console.log is the guest's kernel log).
#
# For testing the harness itself, the environment may override:
#   POST_SKIP_BUILD=1      do not run make (use what is already built)
#   POST_MODULE_KO=FILE    load FILE instead of kernel/af_post.ko
#   POST_BENCH_DIR=DIR     run the benchmark scripts in DIR (bench)
#   POST_BENCH_*=VALUE     any other such setting (without spaces) goes to
#                          the guest's bench scripts, e.g. POST_BENCH_RUNS=3
#   POST_TESTS_DIR=DIR     run the executables in DIR instead of build/tests/
#                          and selftests/*.sh (DIR/demo.sh is the demo)
#   POST_TIMEOUT=S         whole guest run limit (default 1200, demo 600,
#                          bench 1800, check-debug 3600)
#   POST_TEST_TIMEOUT=S    limit per test program (default 300,
#                          check-debug 1200)
set -eu

MODE=${1:?usage: run.sh check|check-debug|demo|bench}
here=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$here/../.." && pwd)

"$here/bootstrap.sh" install

if [ "$MODE" = check-debug ]; then
	# veth, sch_netem and kmemleak are built into the debug kernel
	D=$("$here/debug-kernel.sh")
	KDIR=$D/obj
	KIMG=$KDIR/arch/x86/boot/bzImage
	KMODS=""
	G=$TOP/build/guest-debug
	MEM=2G
	limit=3600
	test_limit=1200
else
	KVER=$(ls /lib/modules | grep 'cloud-amd64$' | sort -V | tail -n 1)
	[ -n "$KVER" ] || { echo "run.sh: no Debian cloud kernel" >&2; exit 1; }
	KDIR=/lib/modules/$KVER/build
	KIMG=/boot/vmlinuz-$KVER
	KMODS="veth sch_netem sch_tbf"
	# bench/peer.sh's baselines (sctp brings udp_tunnel, ip6_udp_tunnel
	# and libcrc32c, copy_kmod resolves them)
	[ "$MODE" = bench ] && KMODS="$KMODS sctp kcm"
	G=$TOP/build/guest
	MEM=1G
	limit=1200
	test_limit=300
fi
ROOT=$G/root
TESTING=true
[ "$MODE" = demo ] && TESTING=false && limit=600
# connect.sh, hol.sh and peer.sh: about 860 s of guest time together
# (peer.sh 310 s), so 1200 s leaves little room for a busy host
[ "$MODE" = bench ] && TESTING=false && limit=1800
limit=${POST_TIMEOUT:-$limit}
test_limit=${POST_TEST_TIMEOUT:-$test_limit}
KO=${POST_MODULE_KO:-$TOP/kernel/af_post.ko}

if [ -z "${POST_SKIP_BUILD:-}" ] &&
   ! make -s -C "$TOP" KDIR="$KDIR" module userspace; then
	echo "build failed"
	$TESTING && echo "0 passed, 1 failed"
	exit 1
fi

passed=0
failed=0
if $TESTING; then
	if scan_test=$("$here/test-scan-log.sh"); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
fi

# --- initramfs ---------------------------------------------------------
rm -rf "$ROOT"
mkdir -p "$ROOT/bin" "$ROOT/usr/bin" "$ROOT/usr/sbin" "$ROOT/proc" \
	"$ROOT/sys" "$ROOT/dev" "$ROOT/tmp" "$ROOT/run" "$ROOT/var" \
	"$ROOT/etc" "$ROOT/post/tests" "$ROOT/post/modules" "$ROOT/post/bench"
ln -s /run "$ROOT/var/run"
cp /bin/busybox "$ROOT/bin/busybox"
cp "$here/init" "$ROOT/init"

# copy a binary's shared libraries (and the loader) into the root
copy_libs() {
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ )]*'); do
		[ -e "$ROOT$lib" ] && continue
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done
}

# a module of the guest kernel, after what it depends on, decompressed and
# numbered in load order
kmods=""
copy_kmod() {
	case " $kmods " in *" $1 "*) return 0 ;; esac
	for dep in $(modinfo -k "$KVER" -F depends "$1" | tr , ' '); do
		copy_kmod "$dep"
	done
	kmods="$kmods $1"
	path=$(modinfo -k "$KVER" -n "$1")
	dst=$ROOT/post/modules/$(printf %02d "$(echo $kmods | wc -w)")-$1.ko
	case "$path" in
	*.xz) xz -dc "$path" >"$dst" ;;
	*.zst) zstd -dcq "$path" >"$dst" ;;
	*) cp "$path" "$dst" ;;
	esac
}
for m in $KMODS; do
	copy_kmod "$m"
done

cp "$KO" "$ROOT/post/af_post.ko"
# /bin/sh is dash, as on Debian: busybox sh runs its own applets before it
# looks at PATH, so `ip` and `tc` in a test script would not be iproute2's
cp -L /bin/dash "$ROOT/bin/sh"
copy_libs /bin/dash
for b in /usr/sbin/ip /usr/sbin/tc; do
	cp "$b" "$ROOT/usr/sbin/"
	copy_libs "$b"
done
# the tools and libpost's examples; libpost.so.1 goes where the loader
# looks by default (their build-tree rpath may be under the guest's /tmp)
for b in "$TOP"/build/bin/* "$TOP"/build/examples/*; do
	[ -x "$b" ] || continue
	cp "$b" "$ROOT/usr/bin/"
	copy_libs "$b"
done
if [ -e "$TOP/build/lib/libpost.so.1" ]; then
	mkdir -p "$ROOT/usr/lib/x86_64-linux-gnu"
	cp -L "$TOP/build/lib/libpost.so.1" "$ROOT/usr/lib/x86_64-linux-gnu/"
fi
# a test program (or the demo) and its libraries; demo.sh is not a test
copy_test() {
	[ -f "$1" ] || return 0
	case "$1" in
	*/demo.sh) cp "$1" "$ROOT/post/demo.sh" ;;
	*.sh) cp "$1" "$ROOT/post/tests/" ;;
	*)
		[ -x "$1" ] || return 0
		cp "$1" "$ROOT/post/tests/"
		copy_libs "$1"
		;;
	esac
}
# python3 and the kernel's ynl cli.py (tools/net/ynl), so that postctl.sh
# can check that the generic netlink family answers the kernel's own client
PY=/usr/bin/python3.11
YNL=$TOP/build/linux-src/tools/net/ynl
if [ "$MODE" != bench ] && [ -x "$PY" ] && [ -d "$YNL" ]; then
	mkdir -p "$ROOT/usr/lib/python3.11" "$ROOT/usr/lib/python3/dist-packages" \
		"$ROOT/post/ynl/specs"
	cp "$PY" "$ROOT/usr/bin/python3"
	copy_libs "$PY"
	(cd /usr/lib/python3.11 && tar -cf - --exclude=__pycache__ \
		--exclude=test --exclude=tests --exclude=idlelib \
		--exclude=tkinter --exclude=turtledemo --exclude=ensurepip \
		--exclude=lib2to3 --exclude=pydoc_data --exclude=distutils \
		--exclude='config-3.11*' --exclude=site-packages \
		--exclude=unittest --exclude=asyncio --exclude=email \
		--exclude=xml --exclude=multiprocessing --exclude=sqlite3 \
		--exclude=curses --exclude=venv --exclude=http \
		--exclude=urllib .) | tar -xf - -C "$ROOT/usr/lib/python3.11"
	for so in /usr/lib/python3.11/lib-dynload/*.so; do
		copy_libs "$so"
	done
	cp -r /usr/lib/python3/dist-packages/yaml \
		"$ROOT/usr/lib/python3/dist-packages/"
	cp -r "$YNL/cli.py" "$YNL/lib" "$ROOT/post/ynl/"
	cp "$TOP/Documentation/netlink/specs/post.yaml" "$ROOT/post/ynl/specs/"
fi
if [ "$MODE" = bench ]; then
	cp "${POST_BENCH_DIR:-$TOP/selftests/bench}"/*.sh "$ROOT/post/bench/"
	cp /usr/bin/curl "$ROOT/usr/bin/"	# a baseline: racing in userspace
	copy_libs /usr/bin/curl
fi
if [ -n "${POST_TESTS_DIR:-}" ]; then
	for t in "$POST_TESTS_DIR"/*; do copy_test "$t"; done
else
	for t in "$TOP"/build/tests/* "$TOP"/selftests/*.sh; do copy_test "$t"; done
fi
chmod +x "$ROOT"/post/tests/* "$ROOT"/post/demo.sh "$ROOT"/post/bench/* \
	2>/dev/null || true
(cd "$ROOT" && find . | cpio -o -H newc --quiet --owner 0:0) | gzip -1 >"$G/initramfs.cpio.gz"

# --- boot --------------------------------------------------------------
GUEST_MODE=check
# the kernel hands unknown name=value parameters to init as its environment
BENCH_ENV=""
[ "$MODE" = bench ] && BENCH_ENV=$(env | grep -E '^POST_BENCH_[A-Z_]+=[^ ]*$' |
	grep -v '^POST_BENCH_DIR=' | tr '\n' ' ')
[ "$MODE" = demo ] || [ "$MODE" = bench ] && GUEST_MODE=$MODE
mkdir -p "$G"
rm -f "$G/console.log" "$G/results.txt"
echo "booting $KIMG under TCG; kernel log: ${G#$TOP/}/console.log"
start=$(date +%s)
timeout "$limit" qemu-system-x86_64 -nodefaults -accel tcg -cpu max -smp 2 \
	-m "$MEM" -no-reboot -display none -monitor none \
	-serial "file:$G/console.log" -serial "file:$G/results.txt" \
	-kernel "$KIMG" -initrd "$G/initramfs.cpio.gz" \
	-append "console=ttyS0 panic_on_warn=1 oops=panic panic=-1 post.mode=$GUEST_MODE post.timeout=$test_limit $BENCH_ENV" ||
	echo "qemu exited with status $? after $(( $(date +%s) - start )) s (limit $limit s)"
touch "$G/results.txt" "$G/console.log"
# the serial line turns \n into \r\n
tr -d '\r' <"$G/results.txt" >"$G/results.tap"

# --- verdict -----------------------------------------------------------
$TESTING && echo "$scan_test"
grep -v '^POST-SELFTESTS-DONE$' "$G/results.tap" || true

if $TESTING; then
	passed=$((passed + $(grep -c '^ok ' "$G/results.tap" || true)))
	failed=$((failed + $(grep -c '^not ok ' "$G/results.tap" || true)))
fi
if ! grep -q '^POST-SELFTESTS-DONE$' "$G/results.tap"; then
	echo "guest did not finish (timeout or crash); see ${G#$TOP/}/console.log:"
	tail -n 40 "$G/console.log"
	failed=$((failed + 1))
fi
if ! "$here/scan-log.sh" "$G/console.log" >"$G/splats.txt"; then
	echo "kernel complaints in the guest log:"
	cat "$G/splats.txt"
	failed=$((failed + 1))
fi
echo "guest ran for $(( $(date +%s) - start )) s"

if [ "$MODE" = bench ]; then
	mkdir -p "$TOP/build/bench"
	json=$TOP/build/bench/results.json
	awk '/^BENCH / { v = $3; for (i = 4; i <= NF; i++) v = v " " $i
		printf "%s  \"%s\": %s", n++ ? ",\n" : "{\n", $2, v }
		END { print n ? "\n}" : "{}" }' "$G/results.tap" >"$json"
	echo
	echo "| benchmark | value |"
	echo "|---|---|"
	awk '/^BENCH / && $3 !~ /^\[/ { printf "| %s | %s |\n", $2, $3 }' \
		"$G/results.tap"
	echo "written: ${json#$TOP/}"
	grep -q '^BENCH ' "$G/results.tap" || failed=$((failed + 1))
fi
if $TESTING; then
	[ "$passed" -gt 0 ] || failed=$((failed + 1))
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
