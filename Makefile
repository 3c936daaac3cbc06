# tandem: plain Makefile (STYLE.md rule 10).
#   make                 programs and libtandem.a, in $(O) (default build/)
#   make check           installs missing packages, builds, runs every test
#   make demo            the README's main job
#   make demo-parts      the parts one by one (config, fencing, rig smoke tests)
#   make install         honours PREFIX and DESTDIR
VERSION := 0.1.0

PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= /lib/systemd/system
OCFDIR      ?= $(PREFIX)/lib/ocf/resource.d/tandem
SYSCONFDIR  ?= /etc

O   ?= build
CC  ?= cc
PKG_CONFIG ?= pkg-config

PKGS    := blkid mount devmapper libsystemd libiscsi inih json-c libmnl
WARN    := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -fno-common
CFLAGS  ?= -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SAN),1)
CFLAGS  += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libiscsi is loaded with dlopen() by the iscsi transport when an iscsi://
# device is opened (and linked only into the tests and rig tools that call
# it directly); its soname comes from the installed library.
PROG_PKGS  := $(filter-out libiscsi,$(PKGS))
PROG_LIBS  := $(shell $(PKG_CONFIG) --libs $(PROG_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
LIBSYSTEMD_SONAME := $(shell objdump -p $$($(PKG_CONFIG) --variable=libdir libsystemd 2>/dev/null)/libsystemd.so 2>/dev/null | awk '/SONAME/ {print $$2}')
LIBISCSI_SONAME := $(shell objdump -p $$($(PKG_CONFIG) --variable=libdir libiscsi 2>/dev/null)/libiscsi.so 2>/dev/null | awk '/SONAME/ {print $$2}')
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
ALL_CFLAGS := $(WARN) $(CFLAGS) -D_GNU_SOURCE -DTANDEM_VERSION='"$(VERSION)"' \
              $(if $(LIBISCSI_SONAME),-DLIBISCSI_SONAME='"$(LIBISCSI_SONAME)"') \
              $(if $(LIBSYSTEMD_SONAME),-DLIBSYSTEMD_SONAME='"$(LIBSYSTEMD_SONAME)"') \
              -Iinclude $(PKG_CFLAGS) -MMD -MP

# Programs: each is one main source, named after the program:
# admin/tandem.c, admin/tandem-*.c, fence/tandem-*.c, fence/fence_*.c,
# storage/tandem-*.c.
# Everything else in lib/ fence/ storage/ group/ goes into libtandem.a, and
# a program takes from it only the objects it references.
PROG_SRCS   := admin/tandem.c $(wildcard admin/tandem-*.c fence/tandem-*.c fence/fence_*.c storage/tandem-*.c)
PROGRAMS    := $(notdir $(PROG_SRCS:.c=))
LIB_SRCS    := $(filter-out $(PROG_SRCS),$(wildcard lib/*.c fence/*.c storage/*.c group/*.c))
LIB_OBJS    := $(LIB_SRCS:%.c=$(O)/%.o)
LIBTANDEM   := $(O)/libtandem.a

UNIT_SRCS   := $(wildcard tests/unit/test-*.c)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
RIG_SRCS    := $(wildcard tests/rig/*.c)
RIG_BINS    := $(RIG_SRCS:tests/rig/%.c=$(O)/rig/%) $(O)/rig/tandem-fence-test
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_O      := $(O)-fuzz
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_O)/%)
MANPAGES    := $(wildcard man/*.[1-8])
UNITS       := $(wildcard units/*.service units/*.target)
OCF_AGENTS  := $(wildcard units/ocf/*)

.SECONDARY:
.PHONY: all check check-layers demo demo-parts bench deps unit rig-tools fuzz install uninstall clean
all: $(PROGRAMS:%=$(O)/%) $(LIBTANDEM) $(RIG_BINS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBTANDEM): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Each program links only the shared libraries its objects use: the
# library list is the same for all, and --as-needed drops the ones a
# program does not reference (STYLE.md rule 10; `make check` checks it).
AS_NEEDED := -Wl,--as-needed
define prog_rule
$(O)/$(notdir $(1:.c=)): $(O)/$(1:.c=.o) $(LIBTANDEM)
	$$(CC) $$(LDFLAGS) $$(AS_NEEDED) -o $$@ $$^ $$(PROG_LIBS)
endef
$(foreach s,$(PROG_SRCS),$(eval $(call prog_rule,$(s))))

$(O)/tests/%: $(O)/tests/unit/%.o $(LIBTANDEM)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(O)/rig/%: $(O)/tests/rig/%.o $(LIBTANDEM)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The test build of tandem-fence, with the rig's race barrier (never
# installed: the programs carry no test hooks).
$(O)/rig/tandem-fence-test: fence/tandem-fence.c $(LIBTANDEM)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DTANDEM_TEST_HOOKS $(LDFLAGS) $(AS_NEEDED) -o $@ $< $(LIBTANDEM) $(PROG_LIBS)

unit: $(UNIT_BINS)
rig-tools: $(RIG_BINS)

# libFuzzer targets: clang, with their own copy of the library objects.
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
$(FUZZ_O)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(WARN) -O1 -g $(FUZZ_FLAGS) -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -c -o $@ $<
$(FUZZ_O)/%: $(FUZZ_O)/obj/tests/fuzz/%.o $(LIB_SRCS:%.c=$(FUZZ_O)/obj/%.o)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)
fuzz: $(FUZZ_BINS)

deps:
	@./tools/deps.sh

# DESIGN.md's layers, from nm on the objects: no upward call, no circle.
check-layers: $(LIB_OBJS) $(PROG_SRCS:%.c=$(O)/%.o)
	@bash tools/check-layers.sh $^

# `make check`: packages, the normal build, the unit tests again under
# ASan+UBSan in $(O)-san, the fuzzers, then every test through tests/run.sh.
check: deps
	$(MAKE) all unit
	$(MAKE) check-layers
	$(MAKE) O=$(O)-san SAN=1 unit
	$(MAKE) fuzz
	BUILD=$(O) SANBUILD=$(O)-san FUZZBUILD=$(FUZZ_O) ./tests/run.sh

demo: deps
	$(MAKE) all
	BUILD=$(O) ./tests/demo.sh

# The parts one by one: config checker, fencing on tgtd, the rigs' smoke tests.
demo-parts: deps
	$(MAKE) all
	BUILD=$(O) ./tests/demo-parts.sh

# Benchmarks print figures and ratios; they are not tests.
bench: deps
	$(MAKE) all
	@for b in tests/bench/bench-*.sh; do echo "== $$b"; BUILD=$(O) bash $$b; done

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	           $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(OCFDIR) \
	           $(DESTDIR)$(SYSCONFDIR)/tandem
	install -m 0755 $(PROGRAMS:%=$(O)/%) $(DESTDIR)$(SBINDIR)/
	for m in $(MANPAGES); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	$(if $(UNITS),install -m 0644 $(UNITS) $(DESTDIR)$(UNITDIR)/)
	$(if $(OCF_AGENTS),install -m 0755 $(OCF_AGENTS) $(DESTDIR)$(OCFDIR)/)

uninstall:
	rm -f $(PROGRAMS:%=$(DESTDIR)$(SBINDIR)/%)
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -f $(foreach u,$(UNITS),$(DESTDIR)$(UNITDIR)/$(notdir $(u)))
	rm -f $(foreach a,$(OCF_AGENTS),$(DESTDIR)$(OCFDIR)/$(notdir $(a)))
	-rmdir $(DESTDIR)$(OCFDIR) $(DESTDIR)$(SYSCONFDIR)/tandem 2>/dev/null

clean:
	rm -rf $(O) $(O)-san $(FUZZ_O)

-include $(shell find $(O) $(O)-san $(FUZZ_O) -name '*.d' 2>/dev/null)
