# docs: build rules (fragment of the top Makefile.am)
# Man pages are written in roff directly and distributed as they are.
# gwd-smb.1 documents plugins/smb/gwd-smb (keep it in step with its --help).
dist_man_MANS += docs/gatewayd.8 docs/gatewayd.json.5 docs/gwd-smb.1

# docs/*.md (explicit: automake has no wildcards).  Listing a file that
# another fragment also distributes is harmless (dist deduplicates).
EXTRA_DIST += \
	docs/api.md \
	docs/config.md \
	docs/conventions.md \
	docs/decisions.md \
	docs/plugins.md \
	docs/smb.md \
	docs/webdav.md
