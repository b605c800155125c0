# portolan: a config-file driven TCP connect scanner.
# Plain GNU make; every library comes from pkg-config.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/portolan
SYSCONFDIR ?= $(PREFIX)/etc
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=

CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := glib-2.0 libconfig yaml-0.1
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

WARN      := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
             -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -pthread -Iinclude \
              -DG_LOG_USE_STRUCTURED -DG_LOG_DOMAIN='"portolan"' -DPORTOLAN_VERSION='"$(VERSION)"' -DPORTOLAN_DATADIR='"$(DATADIR)"' \
              $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS := -pthread $(LDFLAGS) $(EXTRA_LDFLAGS)

BUILD     ?= build
BIN       ?= portolan
LIB_SRC   := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/helpers/%)

.PHONY: all bench uninstall test check unit integration integration-poll lab daemons valgrind run install clean asan tsan fuzz fuzz-short

all: $(BIN)

$(BIN): $(BUILD)/main.o $(BUILD)/libportolan.a
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/libportolan.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libportolan.a | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libportolan.a \
	      $(ALL_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/helpers/%: tests/helpers/%.c | $(BUILD)/helpers
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD) $(BUILD)/tests $(BUILD)/helpers:
	@mkdir -p $@

# The whole suite, as CI runs it: this build's checks, the same checks in
# ASan+UBSan and TSan builds, valgrind, the real daemons, a short fuzz run.
test: check integration-poll daemons valgrind asan tsan fuzz-short

# One build's checks: unit tests, loopback integration, the namespace lab.
check: unit integration lab

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: $(BIN) $(HELPER_BIN)
	@PORTOLAN=$(abspath $(BIN)) tests/integration/run-all
	@PORTOLAN=$(abspath $(BIN)) tests/integration/test-xml.sh
	@PORTOLAN=$(abspath $(BIN)) tests/integration/test-audit.sh
	@PORTOLAN=$(abspath $(BIN)) tests/integration/test-spreadsheet.sh
	@PORTOLAN=$(abspath $(BIN)) tests/integration/test-windows
	@tests/integration/test-install.sh

# The portable connect path (non-blocking connect, poll, SO_ERROR, a fresh
# socket per attempt), which FreeBSD and macOS run, forced on Linux in its own
# build directory: the loopback integration suite runs on it too.
POLL_BUILD := build-poll
integration-poll:
	$(MAKE) BUILD=$(POLL_BUILD) BIN=$(POLL_BUILD)/portolan EXTRA_CFLAGS="$(EXTRA_CFLAGS) -DPORTOLAN_FORCE_POLL_CONNECT" \
	        $(POLL_BUILD)/portolan
	@PORTOLAN=$(abspath $(POLL_BUILD)/portolan) tests/integration/run-all

# Needs root for network namespaces; reports SKIP (never a pass) without.
lab: $(BIN) $(HELPER_BIN)
	@PORTOLAN=$(abspath $(BIN)) HELPERS=$(abspath $(BUILD)/helpers) tests/lab-tests/run-all

daemons: $(BIN)
	@PORTOLAN=$(abspath $(BIN)) tests/daemons/run

valgrind: $(BIN)
	@PORTOLAN=$(abspath $(BIN)) tests/valgrind.sh

run: $(BIN)
	./$(BIN) -c etc/portolan.cfg

# Sanitiser builds live in their own build directories so they never mix objects.
asan:
	$(MAKE) BUILD=build-asan BIN=build-asan/portolan EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	        EXTRA_LDFLAGS="-fsanitize=address,undefined" check
tsan:
	G_SLICE=always-malloc $(MAKE) BUILD=build-tsan BIN=build-tsan/portolan EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" check

# Speed against nmap -sT, pnscan and a connect loop on the lab, then
# detection against nmap -sV on real daemons. Not part of make test.
bench: $(BIN)
	bench/run
	bench/detect

# libFuzzer targets (clang); FUZZ_SECONDS per target.
fuzz:
	tests/fuzz/run

fuzz-short:
	FUZZ_SECONDS=10 tests/fuzz/run

# install and uninstall: the binary, man pages, completions, example config
# and probes, where the FHS expects them (honours PREFIX and DESTDIR).
include contrib/install.mk

clean:
	rm -rf build build-asan build-tsan $(POLL_BUILD) portolan

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d $(BUILD)/helpers/*.d)
