/* SPDX-License-Identifier: MIT */
/*
 * The one way every Check test program ends: run the suite with Check's
 * normal report (its "N%: Checks: ..." summary is what .ci/run prints) and
 * turn "any test failed" into main()'s exit status for the automake driver.
 */
#ifndef GWD_TESTS_CHECK_RUN_H
#define GWD_TESTS_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run_suite(Suite *s)
{
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* GWD_TESTS_CHECK_RUN_H */
