# packaging: build rules (fragment of the top Makefile.am)
#
# `make packages` builds the .deb and .rpm packages from a fresh `make dist`
# tarball of this build directory into ./dist-packages (see the script;
# PACKAGES_FLAGS passes options to it, e.g. PACKAGES_FLAGS=--no-rpm).
# tests/test-packages.sh installs and checks them; it needs root and changes
# the system, so it is not part of `make check`.

EXTRA_DIST += \
	packaging/build-packages.sh \
	packaging/debian/changelog \
	packaging/debian/control \
	packaging/debian/copyright \
	packaging/debian/gatewayd-dev.install \
	packaging/debian/gatewayd.docs \
	packaging/debian/gatewayd.install \
	packaging/debian/gatewayd.postrm \
	packaging/debian/gatewayd.prerm \
	packaging/debian/rules \
	packaging/debian/source/format \
	packaging/rpm/gatewayd.spec \
	tests/test-packages.sh

PACKAGES_FLAGS =
packages:
	$(SHELL) '$(abs_top_srcdir)/packaging/build-packages.sh' \
		--builddir '$(abs_top_builddir)' \
		--output '$(abs_top_builddir)/dist-packages' $(PACKAGES_FLAGS)
.PHONY: packages
