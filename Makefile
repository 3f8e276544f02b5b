# Builds and installs libhypobus for C users: the shared library (SONAME
# carries the ABI major version), the static library, the header and a
# pkg-config file. Plain make and install: no tool beyond what building the
# crate needs.
#
#   make                                  # cargo build --release --lib
#   make install PREFIX=$HOME/.local      # default PREFIX=/usr/local; DESTDIR for staging
#   make uninstall PREFIX=$HOME/.local    # removes exactly what install put there
#   make dist                             # every release artifact into dist/ (scripts/dist.sh):
#                                         # wheels, npm packages, C tarballs for x86-64 and arm64
#
# Then: cc prog.c $(pkg-config --cflags --libs libhypobus)
#       cc -static prog.c $(pkg-config --static --cflags --libs libhypobus)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
CARGO ?= cargo

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
ABI_MAJOR := $(shell sed -n 's/^\#define HB_ABI_VERSION_MAJOR \([0-9]*\)/\1/p' include/hypobus.h)
ABI_MINOR := $(shell sed -n 's/^\#define HB_ABI_VERSION_MINOR \([0-9]*\)/\1/p' include/hypobus.h)
SONAME := libhypobus.so.$(ABI_MAJOR)
REALNAME := libhypobus.so.$(ABI_MAJOR).$(ABI_MINOR)
BUILT := target/release

.PHONY: all install uninstall dist

all:
	$(CARGO) build --release --lib

install: all
	install -d "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(PKGCONFIGDIR)"
	install -m 0755 "$(BUILT)/libhypobus.so" "$(DESTDIR)$(LIBDIR)/$(REALNAME)"
	strip --strip-debug "$(DESTDIR)$(LIBDIR)/$(REALNAME)"
	ln -sf "$(REALNAME)" "$(DESTDIR)$(LIBDIR)/$(SONAME)"
	ln -sf "$(SONAME)" "$(DESTDIR)$(LIBDIR)/libhypobus.so"
	install -m 0644 "$(BUILT)/libhypobus.a" "$(DESTDIR)$(LIBDIR)/libhypobus.a"
	strip --strip-debug "$(DESTDIR)$(LIBDIR)/libhypobus.a"
	install -m 0644 include/hypobus.h "$(DESTDIR)$(INCLUDEDIR)/hypobus.h"
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' libhypobus.pc.in >"$(DESTDIR)$(PKGCONFIGDIR)/libhypobus.pc"
	@echo "installed libhypobus $(VERSION) (C ABI $(ABI_MAJOR).$(ABI_MINOR)) into $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/$(REALNAME)" "$(DESTDIR)$(LIBDIR)/$(SONAME)" "$(DESTDIR)$(LIBDIR)/libhypobus.so" \
		"$(DESTDIR)$(LIBDIR)/libhypobus.a" "$(DESTDIR)$(INCLUDEDIR)/hypobus.h" "$(DESTDIR)$(PKGCONFIGDIR)/libhypobus.pc"

# The release artifacts for linux x86-64 and arm64 (glibc 2.17, built with
# cargo-zigbuild; the script installs the tools it needs): docs/RELEASING.md.
dist:
	bash scripts/dist.sh
