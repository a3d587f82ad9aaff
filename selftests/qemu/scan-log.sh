#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scan-log.sh FILE: exit 1 and print the offending lines if the guest's
# kernel log shows any kernel complaint, else exit 0.
#
# Patterns are anchored on what the kernel prints for each class of splat;
# a clean boot of the Debian cloud kernel or the debug kernel matches none
# of them (kmemleak announces itself at boot, so only its leak reports
# count).
set -u

PATTERNS='WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular locking|inconsistent lock state|possible recursive locking|kmemleak: .*suspected memory leak|unreferenced object|general protection|Kernel panic|INFO: task .* blocked|refcount_t:|list_add corruption|list_del corruption|stack-protector|Call Trace:'

if grep -E -n "$PATTERNS" "$1"; then
	exit 1
fi
exit 0
