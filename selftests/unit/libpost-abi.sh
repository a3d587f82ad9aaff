#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libpost-abi.sh LIBDIR: libpost.so has its soname, exports exactly the
# functions post.h declares (nothing internal leaks out), and libpost.a
# holds the same API.
set -u
dir=${1:?usage: libpost-abi.sh LIBDIR}
here=$(dirname "$0")
hdr=$here/../../lib/post.h
so=$dir/libpost.so
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

ok() { echo "ok - libpost: $1"; }
bad() { echo "not ok - libpost: $1"; fail=1; }

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libpost.so.1 ] && ok "soname $soname" || bad "soname '$soname'"

nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort >$t/exported
# every "post_name(" that starts a declaration in post.h
sed -n 's/^[a-z].*[ *]\(post_[a-z_]*\)(.*/\1/p' "$hdr" | sort -u >$t/declared
if cmp -s $t/exported $t/declared; then
	ok "exports exactly the $(wc -l <$t/declared) functions of post.h"
else
	bad "exports differ from post.h (< exported, > declared):"
	diff $t/exported $t/declared | sed 's/^/#   /'
fi
others=$(nm -D --defined-only "$so" | awk '$2 != "T" && $2 != "A" { print $3 }')
[ -z "$others" ] && ok "no data symbols exported" || bad "data exported: $others"

nm --defined-only "$dir/libpost.a" 2>/dev/null | awk '$2 == "T" && $3 ~ /^post_/ { print $3 }' |
	sort -u >$t/static
comm -23 $t/declared $t/static >$t/missing
[ ! -s $t/missing ] && ok "libpost.a has the whole API" ||
	bad "libpost.a lacks $(tr '\n' ' ' <$t/missing)"
exit $fail
