dnl GWD_REQUIRE_PKG(VARIABLE-PREFIX, MODULES, DEBIAN-PACKAGE)
dnl A pkg-config check whose failure tells the user what to install.
AC_DEFUN([GWD_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [], [
    AC_MSG_ERROR([$2 not found ($$1_PKG_ERRORS).
    On Debian/Ubuntu install it with: apt-get install $3])
  ])
])
