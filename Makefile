# SPDX-License-Identifier: GPL-2.0
#
# AF_POST: one entry point.
#
#   make              build module, library, tools and selftests (host kernel)
#   make check        install what is missing, boot the Debian cloud kernel in
#                     QEMU, load the module, run every selftest
#   make check-debug  the same on a 6.12 kernel built with KASAN, lockdep,
#                     kmemleak and UBSAN (built once, cached in build/debug)
#   make demo         boot the same guest, run a client and a server in two
#                     network namespaces
#   make bench        benchmarks in the same guest against their baselines:
#                     figures printed and in build/bench/results.json
#   make lint         checkpatch --strict, sparse (C=2) and W=1 builds against
#                     the cloud kernel's headers and, once built, the 6.12 tree
#   make install      install the module (and libpost) on this host
#
# KDIR selects the kernel build tree (default: the running kernel's).

TOP       := $(CURDIR)
BUILD     := $(TOP)/build
KSRC      := $(BUILD)/linux-src
CLOUD_KDIR = $(lastword $(sort $(wildcard /lib/modules/*-cloud-amd64/build)))
DEBUG_KDIR = $(lastword $(sort $(wildcard $(BUILD)/debug/*/obj)))
# the running kernel's build tree, else the Debian cloud kernel's
KDIR      ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),$(CLOUD_KDIR))
CFLAGS    ?= -O2 -g
UCFLAGS   := $(CFLAGS) -Wall -Wextra -Wno-sign-compare -Wno-unused-parameter -Wno-clobbered -I$(TOP)/uapi -I$(TOP)/lib

TEST_BIN  := $(BUILD)/tests
TOOLS_BIN := $(BUILD)/bin

SELFTESTS := $(patsubst selftests/%.c,$(TEST_BIN)/%,$(wildcard selftests/*.c))
TOOLS     := $(patsubst tools/%.c,$(TOOLS_BIN)/%,$(wildcard tools/*.c))

.PHONY: all module userspace tools selftests check check-debug demo bench lint \
	install clean

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel modules

userspace: tools selftests

tools: $(TOOLS)
selftests: $(SELFTESTS)

# kselftest_harness.h and checkpatch.pl come from Debian's linux-source-6.12,
# extracted once into $(BUILD)/linux-src by the bootstrap script.
$(KSRC)/.extracted:
	$(TOP)/selftests/qemu/bootstrap.sh extract $(KSRC)

$(TOOLS_BIN)/%: tools/%.c uapi/linux/post.h $(wildcard tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< $(LDLIBS)

$(TEST_BIN)/%: selftests/%.c uapi/linux/post.h $(wildcard selftests/*.h) \
		kernel/frame.c kernel/frame.h $(KSRC)/.extracted
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -I$(KSRC)/tools/testing/selftests -o $@ $< kernel/frame.c -pthread

check:
	$(TOP)/selftests/qemu/run.sh check

check-debug:
	$(TOP)/selftests/qemu/run.sh check-debug

demo:
	$(TOP)/selftests/qemu/run.sh demo

bench:
	$(TOP)/selftests/qemu/run.sh bench

# compat.h exists to compare LINUX_VERSION_CODE; nothing else may.
CHECKPATCH := $(KSRC)/scripts/checkpatch.pl --strict --no-tree --terse \
	--ignore FILE_PATH_CHANGES
KSOURCES := $(filter-out %.mod.c,$(wildcard kernel/*.c)) \
	$(filter-out kernel/compat.h,$(wildcard kernel/*.h)) uapi/linux/post.h

lint: $(KSRC)/.extracted
	$(TOP)/selftests/qemu/bootstrap.sh install
	$(CHECKPATCH) -f $(KSOURCES)
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kernel/compat.h
	$(MAKE) -C $(CLOUD_KDIR) M=$(TOP)/kernel C=2 W=1 modules 2>&1 | \
		tee $(BUILD)/lint.log
	$(if $(DEBUG_KDIR),$(MAKE) -C $(DEBUG_KDIR) M=$(TOP)/kernel C=2 W=1 \
		modules 2>&1 | tee -a $(BUILD)/lint.log)
	@! grep -E 'warning:|error:' $(BUILD)/lint.log

install: module
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel modules_install
	install -D -m 0644 uapi/linux/post.h $(DESTDIR)/usr/local/include/linux/post.h

clean:
	$(MAKE) -C $(CLOUD_KDIR) M=$(TOP)/kernel clean 2>/dev/null || true
	rm -rf $(TEST_BIN) $(TOOLS_BIN) $(BUILD)/guest $(BUILD)/guest-debug
