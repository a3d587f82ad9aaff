#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: build, once, the debug kernel of make check-debug from
# Debian's linux-source-6.12 with selftests/debug.config on top of
# tinyconfig, and print the directory holding it (obj/ is the module build
# tree, obj/arch/x86/boot/bzImage the kernel). The build is cached under
# build/debug/<source package version>-<fragment hash>/; a changed source
# package or fragment builds a new one. About 7 minutes on 2 cores.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$here/../.." && pwd)
FRAG=$TOP/selftests/debug.config
SRC_TAR=/usr/src/linux-source-6.12.tar.xz

ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 | tr '~+:' '___')
hash=$(sha256sum "$FRAG" | cut -c1-12)
dir=$TOP/build/debug/$ver-$hash
if [ -f "$dir/.built" ]; then
	echo "$dir"
	exit 0
fi

log=$dir.log
echo "building the debug kernel ($ver, fragment $hash): log in ${log#$TOP/}" >&2
rm -rf "$dir"
mkdir -p "$dir"
tar -xJf "$SRC_TAR" -C "$dir"
src=$dir/linux-source-6.12
obj=$dir/obj
jobs=$(nproc)
{
	make -C "$src" O="$obj" tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$FRAG"
	make -C "$src" O="$obj" olddefconfig
} >"$log" 2>&1

# every option the fragment asks for must have survived olddefconfig
missing=$(grep -E '^CONFIG_|^# CONFIG_' "$FRAG" | while read -r line; do
	grep -qxF "$line" "$obj/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "debug-kernel.sh: options not set after olddefconfig:" >&2
	echo "$missing" >&2
	exit 1
fi

if ! make -C "$src" O="$obj" -j"$jobs" bzImage >>"$log" 2>&1 ||
   ! make -C "$src" O="$obj" -j"$jobs" modules >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	exit 1
fi
touch "$dir/.built"
echo "$dir"
