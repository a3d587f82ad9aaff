# SPDX-License-Identifier: GPL-2.0
#
# AF_POST: one entry point.
#
#   make              build module, library, tools and selftests (host kernel)
#   make check        install what is missing, run the userspace unit tests and
#                     the frame fuzzer briefly, boot the Debian cloud kernel
#                     in QEMU, load the module, run every selftest
#   make unit         the userspace unit tests alone (frame codec, send order,
#                     libpost's exported ABI and its installation)
#   make fuzz         the libFuzzer frame parser target, FUZZ_SECONDS (300)
#   make check-debug  the same on a 6.12 kernel built with KASAN, lockdep,
#                     kmemleak and UBSAN (built once, cached in build/debug)
#   make demo         boot the same guest, run a client and a server in two
#                     network namespaces
#   make bench        benchmarks in the same guest against their baselines:
#                     figures printed and in build/bench/results.json
#   make lint         checkpatch --strict, sparse (C=2) and W=1 builds against
#                     the cloud kernel's headers and, once built, the 6.12 tree
#   make install      install the module, libpost and postctl on this host
#   make ynl          regenerate the netlink code from its YNL spec (make lint
#                     runs ynl-check: the committed files match the spec)
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
LIB_BIN   := $(BUILD)/lib
EX_BIN    := $(BUILD)/examples
PREFIX    ?= /usr/local

SELFTESTS := $(patsubst selftests/%.c,$(TEST_BIN)/%,$(wildcard selftests/*.c))
TOOLS     := $(patsubst tools/%.c,$(TOOLS_BIN)/%,$(wildcard tools/*.c))
EXAMPLES  := $(patsubst lib/examples/%.c,$(EX_BIN)/%,$(wildcard lib/examples/*.c))

# libpost: libpost.so.$(LIB_MAJOR) (only the post_* API exported) and
# libpost.a from the same objects
LIB_MAJOR := 1
LIB_VER   := $(LIB_MAJOR).0.0
LIB_SRCS  := $(wildcard lib/*.c)
LIB_OBJS  := $(patsubst lib/%.c,$(LIB_BIN)/%.o,$(LIB_SRCS))
LIB_SO    := $(LIB_BIN)/libpost.so.$(LIB_VER)
LIB_A     := $(LIB_BIN)/libpost.a
# programs on libpost find it in the build tree
LIB_LINK  := -L$(LIB_BIN) -Wl,-rpath,$(LIB_BIN) -lpost

.PHONY: all module userspace tools selftests check check-debug demo bench lint \
	install install-lib clean unit fuzz lib examples ynl ynl-check

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel modules

userspace: lib tools selftests examples

lib: $(LIB_SO) $(LIB_A)
tools: $(TOOLS)
# the ynl tools: postctl.sh runs the kernel's cli.py in the guest
selftests: $(SELFTESTS) $(KSRC)/.extracted-ynl
examples: $(EXAMPLES)

$(LIB_BIN)/%.o: lib/%.c lib/post.h lib/internal.h uapi/linux/post.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -D_GNU_SOURCE -fPIC -fvisibility=hidden -c -o $@ $<

$(LIB_SO): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libpost.so.$(LIB_MAJOR) -Wl,--no-undefined \
		-o $@ $(LIB_OBJS)
	ln -sf libpost.so.$(LIB_VER) $(LIB_BIN)/libpost.so.$(LIB_MAJOR)
	ln -sf libpost.so.$(LIB_MAJOR) $(LIB_BIN)/libpost.so

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(EX_BIN)/%: lib/examples/%.c $(LIB_SO) lib/post.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< $(LIB_LINK)

$(TOOLS_BIN)/postcat: LDLIBS += $(LIB_LINK)
$(TOOLS_BIN)/postcat: $(LIB_SO)
$(TEST_BIN)/netlink: LDLIBS += -lmnl
$(TEST_BIN)/netlink: uapi/linux/post_netlink.h
$(TEST_BIN)/libpost: LDLIBS += $(LIB_LINK)
$(TEST_BIN)/libpost: $(LIB_SO)

# kselftest_harness.h and checkpatch.pl come from Debian's linux-source-6.12,
# extracted once into $(BUILD)/linux-src by the bootstrap script.
$(KSRC)/.extracted:
	$(TOP)/selftests/qemu/bootstrap.sh extract $(KSRC)

$(TOOLS_BIN)/postbench: LDLIBS += -lm -pthread
$(TOOLS_BIN)/postctl: LDLIBS += -lmnl
$(TOOLS_BIN)/postctl: uapi/linux/post_netlink.h

$(TOOLS_BIN)/%: tools/%.c uapi/linux/post.h $(wildcard tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< $(LDLIBS)

$(TEST_BIN)/%: selftests/%.c uapi/linux/post.h $(wildcard selftests/*.h) \
		kernel/frame.c kernel/frame.h $(KSRC)/.extracted
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -I$(KSRC)/tools/testing/selftests -o $@ $< kernel/frame.c -pthread $(LDLIBS)

# Unit tests and the fuzzer build kernel/frame.c and kernel/order.c in
# userspace, under ASan and UBSan.
UNIT_BIN  := $(BUILD)/unit
UNIT_CC   := $(CC) $(UCFLAGS) -fsanitize=address,undefined \
	-fno-sanitize-recover=all -I$(TOP)/kernel -I$(TOP)/selftests \
	-I$(TOP)/selftests/unit/include -I$(KSRC)/tools/testing/selftests
FUZZ_SECONDS ?= 300

$(UNIT_BIN)/frame: selftests/unit/frame.c kernel/frame.c kernel/frame.h \
		selftests/post_test.h $(KSRC)/.extracted
	@mkdir -p $(@D)
	$(UNIT_CC) -o $@ selftests/unit/frame.c kernel/frame.c -pthread

$(UNIT_BIN)/order: selftests/unit/order.c kernel/order.c kernel/order.h \
		selftests/unit/include/linux/list.h $(KSRC)/.extracted
	@mkdir -p $(@D)
	$(UNIT_CC) -o $@ selftests/unit/order.c kernel/order.c

$(UNIT_BIN)/fuzz_frame: selftests/unit/fuzz_frame.c kernel/frame.c \
		kernel/frame.h
	@mkdir -p $(@D)
	clang -O1 -g -fsanitize=fuzzer,address,undefined -I$(TOP)/uapi \
		-o $@ selftests/unit/fuzz_frame.c kernel/frame.c

unit: $(UNIT_BIN)/frame $(UNIT_BIN)/order lib
	$(UNIT_BIN)/frame
	$(UNIT_BIN)/order
	$(TOP)/selftests/unit/libpost-abi.sh $(LIB_BIN)
	$(TOP)/selftests/unit/libpost-install.sh

# new inputs go to build/fuzz-corpus; the seeds stay in selftests/unit/corpus
fuzz: $(UNIT_BIN)/fuzz_frame
	@mkdir -p $(BUILD)/fuzz-corpus
	$(UNIT_BIN)/fuzz_frame -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 $(BUILD)/fuzz-corpus $(TOP)/selftests/unit/corpus

check:
	$(TOP)/selftests/qemu/bootstrap.sh install
	$(MAKE) unit
	$(MAKE) fuzz FUZZ_SECONDS=15
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
# generated files (netlink-gen.[ch], post_netlink.h) are checked against
# their spec instead (ynl-check)
KSOURCES := $(filter-out %.mod.c kernel/netlink-gen.c,$(wildcard kernel/*.c)) \
	$(filter-out kernel/compat.h kernel/netlink-gen.h,$(wildcard kernel/*.h)) \
	uapi/linux/post.h

# The netlink family's policies, ops and uapi enums are generated from
# Documentation/netlink/specs/post.yaml by the kernel's own ynl-gen-c.py
# (from linux-source-6.12), in a scratch tree shaped as it expects.
YNL_SPEC  := Documentation/netlink/specs/post.yaml
YNL_TREE  := $(BUILD)/ynl
YNL_GEN   := /usr/bin/python3 $(KSRC)/tools/net/ynl/ynl-gen-c.py
YNL_OUT   := kernel/netlink-gen.h kernel/netlink-gen.c uapi/linux/post_netlink.h

$(KSRC)/.extracted-ynl:
	$(TOP)/selftests/qemu/bootstrap.sh extract-ynl $(KSRC)

# ynl-gen DIR: write the generated files under DIR
define ynl_gen
	rm -rf $(YNL_TREE) && mkdir -p $(YNL_TREE)/Documentation/netlink/specs \
		$(1)/kernel $(1)/uapi/linux
	touch $(YNL_TREE)/MAINTAINERS
	cp $(KSRC)/Documentation/netlink/genetlink-legacy.yaml \
		$(YNL_TREE)/Documentation/netlink/
	cp $(YNL_SPEC) $(YNL_TREE)/$(YNL_SPEC)
	$(YNL_GEN) --mode kernel --header --spec $(YNL_TREE)/$(YNL_SPEC) \
		-o $(1)/kernel/netlink-gen.h
	$(YNL_GEN) --mode kernel --source --spec $(YNL_TREE)/$(YNL_SPEC) \
		-o $(1)/kernel/netlink-gen.c
	$(YNL_GEN) --mode uapi --header --spec $(YNL_TREE)/$(YNL_SPEC) \
		-o $(1)/uapi/linux/post_netlink.h
endef

# regenerate after editing the spec
ynl: $(KSRC)/.extracted-ynl
	$(call ynl_gen,$(TOP))

# the committed files are what the spec generates
ynl-check: $(KSRC)/.extracted-ynl
	$(call ynl_gen,$(YNL_TREE)/out)
	@for f in $(YNL_OUT); do \
		cmp -s $$f $(YNL_TREE)/out/$$f || \
		{ echo "ynl-check: $$f differs from what $(YNL_SPEC) generates (make ynl)"; \
		  diff -u $$f $(YNL_TREE)/out/$$f | head -20; exit 1; }; \
	done
	@echo "ynl-check: $(YNL_OUT) match $(YNL_SPEC)"

lint: $(KSRC)/.extracted
	$(TOP)/selftests/qemu/bootstrap.sh install
	$(MAKE) ynl-check
	$(CHECKPATCH) -f $(KSOURCES)
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kernel/compat.h
	$(MAKE) -C $(CLOUD_KDIR) M=$(TOP)/kernel C=2 W=1 modules 2>&1 | \
		tee $(BUILD)/lint.log
	$(if $(DEBUG_KDIR),$(MAKE) -C $(DEBUG_KDIR) M=$(TOP)/kernel C=2 W=1 \
		modules 2>&1 | tee -a $(BUILD)/lint.log)
	@! grep -E 'warning:|error:' $(BUILD)/lint.log

install: module install-lib $(TOOLS_BIN)/postctl
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel modules_install
	install -D -m 0755 $(TOOLS_BIN)/postctl $(DESTDIR)$(PREFIX)/sbin/postctl
	install -D -m 0644 doc/postctl.8.md \
		$(DESTDIR)$(PREFIX)/share/doc/af_post/postctl.8.md

# the library, its headers and libpost.pc (make install-lib DESTDIR=...)
install-lib: lib
	install -D -m 0644 uapi/linux/post.h $(DESTDIR)$(PREFIX)/include/linux/post.h
	install -D -m 0644 lib/post.h $(DESTDIR)$(PREFIX)/include/post.h
	install -D -m 0755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libpost.so.$(LIB_VER)
	ln -sf libpost.so.$(LIB_VER) $(DESTDIR)$(PREFIX)/lib/libpost.so.$(LIB_MAJOR)
	ln -sf libpost.so.$(LIB_MAJOR) $(DESTDIR)$(PREFIX)/lib/libpost.so
	install -D -m 0644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libpost.a
	@mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LIB_VER)|' \
		lib/libpost.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/libpost.pc
	$(if $(DESTDIR),,ldconfig)

clean:
	$(MAKE) -C $(CLOUD_KDIR) M=$(TOP)/kernel clean 2>/dev/null || true
	rm -rf $(TEST_BIN) $(TOOLS_BIN) $(LIB_BIN) $(EX_BIN) $(BUILD)/guest \
		$(BUILD)/guest-debug
