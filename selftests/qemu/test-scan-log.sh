#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The log scanner's own test: a clean log passes, every sample splat fails.
# Prints one TAP line.
set -u
here=$(dirname "$0")
bad=

"$here/scan-log.sh" "$here/samples/clean.log" >/dev/null || bad="$bad clean.log"
for s in warning kasan lockdep kmemleak ubsan oops; do
	"$here/scan-log.sh" "$here/samples/$s.log" >/dev/null && bad="$bad $s.log"
done

if [ -z "$bad" ]; then
	echo "ok - log scanner self-test"
	exit 0
fi
echo "not ok - log scanner self-test (wrong verdict on:$bad)"
exit 1
