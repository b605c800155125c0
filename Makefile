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
PKGS      := glib-2.0 libconfig yaml-0.1 libpcap openssl
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
# src/STAGE/*.c: one folder per pipeline stage (docs/ARCHITECTURE.md).
LIB_SRC   := $(wildcard src/*/*.c)
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Test helpers. hosts-ns and the fault shim are built without sanitisers in
# every build: a sanitiser's threads would make unshare() fail, and the shim
# is preloaded into instrumented and plain binaries alike.
PLAIN_HELPERS := tests/helpers/hosts-ns.c tests/helpers/faultshim.c
HELPER_SRC := $(filter-out $(PLAIN_HELPERS),$(wildcard tests/helpers/*.c))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/helpers/%) \
              $(BUILD)/helpers/hosts-ns $(BUILD)/helpers/faultshim.so
PLAIN_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS)

# Hang guards (tests/guard): a unit binary or suite that runs longer than
# this is killed and reported as a failure. Generous: they catch hangs, they
# do not measure speed.
UNIT_TIMEOUT  ?= 600
SUITE_TIMEOUT ?= 1800
GUARD := tests/guard
# Unit binaries see only the tests' own hosts file (tests/helpers/hosts).
HOSTS_NS := $(BUILD)/helpers/hosts-ns tests/helpers/hosts

.PHONY: all bench uninstall test check unit integration integration-poll lab lab-inject daemons tls valgrind run install clean asan tsan fuzz fuzz-short k8s slurm container

all: $(BIN)

$(BIN): $(BUILD)/main.o $(BUILD)/libportolan.a
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/libportolan.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# tests/unit/unit.h goes in front of every unit test: UNIT_FILTER=GLOB.
$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libportolan.a | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -include tests/unit/unit.h -MMD -MP -o $@ $< $(BUILD)/libportolan.a \
	      $(ALL_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/helpers/%: tests/helpers/%.c | $(BUILD)/helpers
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(ALL_LDFLAGS) $(PKG_LIBS)

# disco-drive runs the discovery probers themselves: it links the library.
$(BUILD)/helpers/disco-drive: tests/helpers/disco-drive.c $(BUILD)/libportolan.a | $(BUILD)/helpers
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libportolan.a $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/helpers/hosts-ns: tests/helpers/hosts-ns.c | $(BUILD)/helpers
	$(CC) $(PLAIN_CFLAGS) -o $@ $<

$(BUILD)/helpers/faultshim.so: tests/helpers/faultshim.c | $(BUILD)/helpers
	$(CC) $(PLAIN_CFLAGS) -fPIC -shared -pthread -o $@ $< -ldl

$(BUILD) $(BUILD)/tests $(BUILD)/helpers:
	@mkdir -p $@

# The whole suite, as CI runs it: this build's checks, the same checks in
# ASan+UBSan and TSan builds, valgrind, the real daemons, a short fuzz run.
# A lab that skipped (not root, no network namespaces) is repeated last.
test: check integration-poll lab-inject daemons tls valgrind asan tsan fuzz-short k8s slurm
	@cat build/lab-skipped build-asan/lab-skipped build-tsan/lab-skipped 2>/dev/null | head -n 9 || true

# One build's checks: unit tests, loopback integration, the namespace lab.
check: unit integration lab

# Every unit binary runs under the hang guard and, where the machine allows a
# private mount namespace, with the tests' hosts file; where it does not, the
# name tests in test_targets skip, saying so. Some binaries, some tests:
# make unit UNIT=test_settings UNIT_FILTER='test_env*' (tests/unit/unit.h; a
# glob that matches no test fails, so UNIT_FILTER needs UNIT). The whole run
# ends by checking that UNIT_FILTER does filter (tests/unit/filter-check).
UNIT_RUN := $(if $(UNIT),$(addprefix $(BUILD)/tests/,$(UNIT)),$(UNIT_BIN))
unit: $(UNIT_RUN) $(BUILD)/helpers/hosts-ns
	@$(if $(UNIT_FILTER),$(if $(UNIT),:,echo "unit: UNIT_FILTER needs UNIT=test_NAME (the binary whose tests it picks)" >&2; exit 2))
	@set -e; ns="$(HOSTS_NS)"; \
	if ! $(HOSTS_NS) true; then ns=""; \
		echo "WARNING: unit: no private hosts file here (see above): the name tests will SKIP"; fi; \
	for t in $(UNIT_RUN); do echo "== $$t"; \
		UNIT_FILTER='$(UNIT_FILTER)' $(GUARD) $(UNIT_TIMEOUT) $$t $$ns $$t; done
	@$(if $(UNIT)$(UNIT_FILTER),:,$(GUARD) $(UNIT_TIMEOUT) unit-filter tests/unit/filter-check $(BUILD)/tests/test_presets)
	@tests/docs-check

SUITE_ENV := PORTOLAN=$(abspath $(BIN)) HELPERS=$(abspath $(BUILD)/helpers)
integration: $(BIN) $(HELPER_BIN)
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) integration tests/integration/run-all
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) test-xml tests/integration/test-xml.sh
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) test-audit tests/integration/test-audit.sh
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) test-spreadsheet tests/integration/test-spreadsheet.sh
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) test-windows tests/integration/test-windows
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) test-merge tests/integration/test-merge
	@$(GUARD) $(SUITE_TIMEOUT) test-install tests/integration/test-install.sh

# The portable connect path (non-blocking connect, poll, SO_ERROR, a fresh
# socket per attempt), which FreeBSD and macOS run, forced on Linux in its own
# build directory: the loopback integration suite runs on it too.
POLL_BUILD := build-poll
integration-poll:
	$(MAKE) BUILD=$(POLL_BUILD) BIN=$(POLL_BUILD)/portolan EXTRA_CFLAGS="$(EXTRA_CFLAGS) -DPORTOLAN_FORCE_POLL_CONNECT" \
	        $(POLL_BUILD)/portolan $(patsubst $(BUILD)/%,$(POLL_BUILD)/%,$(HELPER_BIN))
	@PORTOLAN=$(abspath $(POLL_BUILD)/portolan) HELPERS=$(abspath $(POLL_BUILD)/helpers) \
	        $(GUARD) $(SUITE_TIMEOUT) integration-poll tests/integration/run-all

# The pcap_inject SYN sender with a capture per interface (syn_inject.c),
# which the BSDs and macOS run, forced on Linux in its own build directory:
# the SYN lab tests run on it (root; SKIP without). LAB_INJECT_TESTS picks.
INJECT_BUILD := build-inject
LAB_INJECT_TESTS ?= 10-syn 11-syn-loss 12-syn-resume 13-syn-os 14-syn-drops 15-syn-privdrop 16-syn-detect 17-syn-links
lab-inject:
	$(MAKE) BUILD=$(INJECT_BUILD) BIN=$(INJECT_BUILD)/portolan EXTRA_CFLAGS="$(EXTRA_CFLAGS) -DPORTOLAN_FORCE_PCAP_INJECT" \
	        $(INJECT_BUILD)/portolan $(patsubst $(BUILD)/%,$(INJECT_BUILD)/%,$(HELPER_BIN))
	@rc=0; for t in $(LAB_INJECT_TESTS); do \
	        LAB_INJECT=1 PORTOLAN=$(abspath $(INJECT_BUILD)/portolan) HELPERS=$(abspath $(INJECT_BUILD)/helpers) \
	        $(GUARD) $(SUITE_TIMEOUT) lab-inject-$$t tests/lab/$$t.sh; s=$$?; \
	        [ $$s = 0 ] || [ $$s = 77 ] || rc=1; done; exit $$rc

# Needs root for network namespaces; reports SKIP (never a pass) without, and
# says so in a banner: the retry and ICMP checks then ran only on loopback.
# Each lab test has its own guard (LAB_TEST_TIMEOUT); this one is for run-all.
lab: $(BIN) $(HELPER_BIN)
	@$(SUITE_ENV) LAB_SKIP_NOTE=$(abspath $(BUILD))/lab-skipped $(GUARD) 7200 lab tests/lab/run-all

# The deployment files of contrib/: the Kubernetes manifests against our own
# schema (tests/k8s/run), and contrib/slurm on a real one-node Slurm cluster
# the test starts itself with the lab (tests/slurm/run; root). A skip (exit
# 77: not root, packages missing) is not a failure, but it says so loudly.
k8s: $(BIN)
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) k8s tests/k8s/run; rc=$$?; \
	[ $$rc = 77 ] && { echo "WARNING: k8s: SKIPPED: the manifests were not checked"; exit 0; }; exit $$rc
slurm: $(BIN)
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) slurm tests/slurm/run; rc=$$?; \
	[ $$rc = 77 ] && { echo "WARNING: slurm: SKIPPED: contrib/slurm was not run on a Slurm cluster"; exit 0; }; exit $$rc

# contrib/Containerfile, built with podman from a local Debian 12 base (a
# debootstrap from this machine's mirror: no registry) and run: --version,
# --help, the installed files, a scan of the container's loopback
# (tests/container/run; root, podman, debootstrap). Not part of make test:
# the debootstrap and the build take minutes.
container:
	@$(GUARD) $(SUITE_TIMEOUT) container tests/container/run; rc=$$?; \
	[ $$rc = 77 ] && { echo "WARNING: container: SKIPPED: contrib/Containerfile was not built"; exit 0; }; exit $$rc

daemons: $(BIN)
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) daemons tests/daemons/run

# TLS detection on 127.0.0.1: openssl s_server and nginx certificates, every
# fact against openssl x509 and nmap's ssl-cert/ssl-enum-ciphers, hostile
# servers (tests/tls/run). A skip (exit 77: openssl, nmap or nginx missing)
# is not a failure, but it says so loudly.
tls: $(BIN)
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) tls tests/tls/run; rc=$$?; \
	[ $$rc = 77 ] && { echo "WARNING: tls: SKIPPED: TLS detection was not checked"; exit 0; }; exit $$rc

valgrind: $(BIN) $(BUILD)/helpers/hosts-ns
	@$(SUITE_ENV) $(GUARD) $(SUITE_TIMEOUT) valgrind tests/valgrind.sh

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
	bench/tls

# libFuzzer targets (clang); FUZZ_SECONDS per target.
fuzz:
	tests/fuzz/run

fuzz-short:
	FUZZ_SECONDS=10 $(GUARD) $(SUITE_TIMEOUT) fuzz-short tests/fuzz/run

# install and uninstall: the binary, man pages, completions, example config
# and probes, where the FHS expects them (honours PREFIX and DESTDIR).
include contrib/install.mk

clean:
	rm -rf build build-asan build-tsan $(POLL_BUILD) portolan

# Every object's header dependencies: build/main.d, build/STAGE/*.d (src/STAGE/),
# build/tests/*.d, build/helpers/*.d.
-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d)
