# conf: build rules (fragment of the top Makefile.am)
#
# Installs the example configuration, the systemd unit and the sysusers.d /
# tmpfiles.d snippets.  The unit and the tmpfiles snippet name installation
# directories, so they are generated with the configured paths; the
# sysusers.d and tmpfiles.d snippets are generated under conf/sysusers.d/ and
# conf/tmpfiles.d/ only so that they install as gatewayd.conf without any
# install-*-local/-hook rule (those targets can exist only once in the whole
# Makefile).

# $(sysconfdir)/gatewayd/gatewayd.json
gwdconfdir = $(sysconfdir)/gatewayd
dist_gwdconf_DATA = conf/gatewayd.json

systemdsystemunit_DATA = conf/gatewayd.service
sysusers_DATA = conf/sysusers.d/gatewayd.conf
tmpfiles_DATA = conf/tmpfiles.d/gatewayd.conf

# Any @word@ left after substitution is an error (a typo or a new
# placeholder without a rule).
gwd_conf_subst = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@plugindir[@]|$(plugindir)|g'
gwd_conf_generate = \
	$(MKDIR_P) $(@D) && \
	$(gwd_conf_subst) < $$src > $@.tmp && \
	if grep -n '@[A-Za-z_]*@' $@.tmp >&2; then \
	  echo "$@: unsubstituted placeholder" >&2; rm -f $@.tmp; exit 1; \
	fi && \
	mv -f $@.tmp $@

conf/gatewayd.service: $(srcdir)/conf/gatewayd.service.in Makefile
	$(AM_V_GEN)src=$(srcdir)/conf/gatewayd.service.in; $(gwd_conf_generate)

conf/sysusers.d/gatewayd.conf: $(srcdir)/conf/gatewayd.sysusers Makefile
	$(AM_V_GEN)src=$(srcdir)/conf/gatewayd.sysusers; $(gwd_conf_generate)

conf/tmpfiles.d/gatewayd.conf: $(srcdir)/conf/gatewayd.tmpfiles Makefile
	$(AM_V_GEN)src=$(srcdir)/conf/gatewayd.tmpfiles; $(gwd_conf_generate)

EXTRA_DIST += \
	conf/gatewayd.service.in \
	conf/gatewayd.sysusers \
	conf/gatewayd.tmpfiles \
	tests/test-systemd-unit.sh

CLEANFILES += \
	conf/gatewayd.service \
	conf/sysusers.d/gatewayd.conf \
	conf/tmpfiles.d/gatewayd.conf

# Checks the generated unit with systemd-analyze verify (see the script).
TESTS += tests/test-systemd-unit.sh
