# contrib/install.mk: install and uninstall rules, included by the Makefile.
#
# Uses the Makefile's PREFIX, BINDIR, DATADIR, SYSCONFDIR, MANDIR, DESTDIR
# and BIN. The binary has DATADIR compiled in (PORTOLAN_DATADIR) and looks
# for its probes in $(DATADIR)/probes, so build and install with the same
# PREFIX/DATADIR; `install` refuses a binary built for another DATADIR.
#
#   make install                                  # into /usr/local
#   make install PREFIX=/usr SYSCONFDIR=/etc      # distribution layout
#   make install DESTDIR=/tmp/stage PREFIX=/usr   # staged, for packaging
#   make uninstall                                # same variables as install
#
# The example config is not overwritten when an edited one is in place: the
# new one goes next to it as portolan.cfg.new. Installed probe files
# (*.yaml in $(DATADIR)/probes) are replaced as a whole, so a probe removed
# or renamed upstream does not linger; keep probes of your own in another
# directory and use --probes-dir.

INSTALL         ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755
INSTALL_DATA    ?= $(INSTALL) -m 0644
BASHCOMPDIR     ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR      ?= $(PREFIX)/share/zsh/site-functions

INSTALL_MAN1    := man/portolan.1
INSTALL_MAN5    := man/portolan.cfg.5 man/portolan-probes.5
INSTALL_PROBES  := $(sort $(wildcard probes/*.yaml))

# The man pages and the example config name the default installed paths;
# point them at the real ones.
INSTALL_PATH_SED := sed -e 's|/usr/local/share/portolan|$(DATADIR)|g' \
                       -e 's|/usr/local/etc/portolan|$(SYSCONFDIR)/portolan|g'

# Included before the Makefile's first target, these rules must not become
# the default goal: remember it and restore it at the end.
install_mk_saved_goal := $(.DEFAULT_GOAL)

.PHONY: install uninstall install-check-datadir

install-check-datadir: $(BIN)
	@grep -q -a -F '$(DATADIR)/probes' '$(BIN)' || { \
	  echo "install: $(BIN) was not built for DATADIR=$(DATADIR) (it would not find its probes);" >&2; \
	  echo "install: rebuild it with the same variables: make clean && make PREFIX=$(PREFIX)" >&2; \
	  exit 1; }

install: $(BIN) install-check-datadir
	$(INSTALL) -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(MANDIR)/man5' \
	  '$(DESTDIR)$(DATADIR)/probes' '$(DESTDIR)$(SYSCONFDIR)/portolan' \
	  '$(DESTDIR)$(BASHCOMPDIR)' '$(DESTDIR)$(ZSHCOMPDIR)'
	$(INSTALL_PROGRAM) '$(BIN)' '$(DESTDIR)$(BINDIR)/portolan'
	set -e; for f in $(INSTALL_MAN1); do \
	  $(INSTALL_PATH_SED) "$$f" > '$(DESTDIR)$(MANDIR)/man1/'"$${f##*/}"; \
	  chmod 0644 '$(DESTDIR)$(MANDIR)/man1/'"$${f##*/}"; done
	set -e; for f in $(INSTALL_MAN5); do \
	  $(INSTALL_PATH_SED) "$$f" > '$(DESTDIR)$(MANDIR)/man5/'"$${f##*/}"; \
	  chmod 0644 '$(DESTDIR)$(MANDIR)/man5/'"$${f##*/}"; done
	$(INSTALL_DATA) contrib/completions/portolan.bash '$(DESTDIR)$(BASHCOMPDIR)/portolan'
	$(INSTALL_DATA) contrib/completions/_portolan '$(DESTDIR)$(ZSHCOMPDIR)/_portolan'
	rm -f '$(DESTDIR)$(DATADIR)/probes/'*.yaml
	$(INSTALL_DATA) $(INSTALL_PROBES) '$(DESTDIR)$(DATADIR)/probes/'
	@cfg='$(DESTDIR)$(SYSCONFDIR)/portolan/portolan.cfg'; \
	$(INSTALL_PATH_SED) etc/portolan.cfg > "$$cfg.tmp" && chmod 0644 "$$cfg.tmp" || exit 1; \
	if [ ! -e "$$cfg" ] || cmp -s "$$cfg.tmp" "$$cfg"; then \
	  echo "install etc/portolan.cfg $$cfg"; mv -f "$$cfg.tmp" "$$cfg"; \
	else \
	  echo "install: keeping the edited $$cfg; the new example is $$cfg.new"; \
	  mv -f "$$cfg.tmp" "$$cfg.new"; \
	fi

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/portolan'
	rm -f $(foreach f,$(INSTALL_MAN1),'$(DESTDIR)$(MANDIR)/man1/$(notdir $(f))')
	rm -f $(foreach f,$(INSTALL_MAN5),'$(DESTDIR)$(MANDIR)/man5/$(notdir $(f))')
	rm -f '$(DESTDIR)$(BASHCOMPDIR)/portolan' '$(DESTDIR)$(ZSHCOMPDIR)/_portolan'
	rm -f $(foreach f,$(INSTALL_PROBES),'$(DESTDIR)$(DATADIR)/probes/$(notdir $(f))')
	rm -f '$(DESTDIR)$(SYSCONFDIR)/portolan/portolan.cfg.new'
	@cfg='$(DESTDIR)$(SYSCONFDIR)/portolan/portolan.cfg'; \
	if [ -e "$$cfg" ] && ! $(INSTALL_PATH_SED) etc/portolan.cfg | cmp -s - "$$cfg"; then \
	  echo "uninstall: keeping the edited $$cfg"; \
	else \
	  echo "rm -f $$cfg"; rm -f "$$cfg"; \
	fi
	rmdir '$(DESTDIR)$(DATADIR)/probes' '$(DESTDIR)$(DATADIR)' \
	  '$(DESTDIR)$(SYSCONFDIR)/portolan' 2>/dev/null || true

.DEFAULT_GOAL := $(install_mk_saved_goal)
