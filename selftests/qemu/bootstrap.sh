#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Set-up from Debian only.
#   bootstrap.sh install       install the packages make check/demo need
#                              (no-op, and no network, when all are there)
#   bootstrap.sh extract DIR   extract from linux-source-6.12 what the build
#                              needs (kselftest harness, checkpatch) into DIR
set -eu

# the first lines are what make check needs (clang and its runtime for the
# fuzzer); the next builds the debug kernel of make check-debug; then make
# lint; then a baseline of make bench
PACKAGES="linux-image-cloud-amd64 linux-headers-cloud-amd64 qemu-system-x86
busybox-static iproute2 libmnl-dev cpio linux-source-6.12 xz-utils kmod gcc make
clang libclang-rt-14-dev pkg-config binutils python3-yaml python3-jsonschema
flex bison bc libelf-dev libssl-dev
sparse
curl"
SRC_TAR=/usr/src/linux-source-6.12.tar.xz

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install() {
	missing=
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "bootstrap: installing from Debian:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing
}

extract() {
	dir=$1
	[ -f "$dir/.extracted" ] && return 0
	[ -f "$SRC_TAR" ] || install
	mkdir -p "$dir"
	tar -xJf "$SRC_TAR" -C "$dir" --strip-components=1 \
		linux-source-6.12/tools/testing/selftests/kselftest.h \
		linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch
	touch "$dir/.extracted"
}

# the kernel's YNL code generator and the netlink spec schemas
extract_ynl() {
	dir=$1
	[ -f "$dir/.extracted-ynl" ] && return 0
	[ -f "$SRC_TAR" ] || install
	mkdir -p "$dir"
	tar -xJf "$SRC_TAR" -C "$dir" --strip-components=1 --wildcards \
		'linux-source-6.12/tools/net/ynl/*' \
		'linux-source-6.12/Documentation/netlink/*.yaml'
	touch "$dir/.extracted-ynl"
}

case "${1:-}" in
install) install ;;
extract) extract "${2:?usage: bootstrap.sh extract DIR}" ;;
extract-ynl) extract_ynl "${2:?usage: bootstrap.sh extract-ynl DIR}" ;;
*) echo "usage: bootstrap.sh install | extract DIR | extract-ynl DIR" >&2
   exit 2 ;;
esac
