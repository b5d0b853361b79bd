# bench: build rules (fragment of the top Makefile.am)
