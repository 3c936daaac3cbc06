/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The programs' logging convention: what reaches stderr at each verbosity,
 * the error text, and the return value callers rely on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tandem/log.h"

/* Runs the logging calls with stderr sent to a temp file; returns what was written. */
static char *capture(int level, void (*calls)(void)) {
        static char out[4096];
        FILE *f = tmpfile();
        int saved = dup(STDERR_FILENO);
        size_t n;

        assert_non_null(f);
        fflush(stderr);
        dup2(fileno(f), STDERR_FILENO);
        log_setup("t", level, LOG_TARGET_CONSOLE);
        calls();
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(f);
        n = fread(out, 1, sizeof out - 1, f);
        out[n] = '\0';
        fclose(f);
        return out;
}

static void all_levels(void) {
        assert_int_equal(log_debug("d%d", 1), 0);
        assert_int_equal(log_info("i%d", 2), 0);
        assert_int_equal(log_warning("w%d", 3), 0);
        assert_int_equal(log_error_errno(ENOENT, "e%d", 4), -ENOENT);
        assert_int_equal(log_error_errno(-EIO, "e%d", 5), -EIO);
}

static void test_default(void **state) {
        (void) state;
        assert_string_equal(capture(LOG_INFO, all_levels),
                            "t: i2\n"
                            "t: warning: w3\n"
                            "t: error: e4: No such file or directory\n"
                            "t: error: e5: Input/output error\n");
}

static void test_verbose(void **state) {
        (void) state;
        const char *o = capture(LOG_DEBUG, all_levels);
        assert_non_null(strstr(o, "t: d1\n"));
        assert_non_null(strstr(o, "t: i2\n"));
}

static void test_quiet(void **state) {
        (void) state;
        assert_string_equal(capture(LOG_ERR, all_levels),
                            "t: error: e4: No such file or directory\n"
                            "t: error: e5: Input/output error\n");
}

static void structured(void) {
        const struct log_field f[] = { { "TANDEM_DEVICE", "/dev/sda" }, { "TANDEM_KEY", "0x1" } };
        assert_int_equal(log_struct(LOG_ERR, EBADE, "0123456789abcdef0123456789abcdef", f, 2, "fenced %s", "x"),
                         -EBADE);
}

/* Fields go to the journal only; people see the message. */
static void test_struct_console(void **state) {
        (void) state;
        const char *o = capture(LOG_INFO, structured);
        assert_non_null(strstr(o, "t: error: fenced x: "));
        assert_null(strstr(o, "TANDEM_DEVICE"));
}

static void test_targets(void **state) {
        (void) state;
        assert_int_equal(log_target_from_string("auto"), LOG_TARGET_AUTO);
        assert_int_equal(log_target_from_string("console"), LOG_TARGET_CONSOLE);
        assert_int_equal(log_target_from_string("journal"), LOG_TARGET_JOURNAL);
        assert_int_equal(log_target_from_string("syslog"), _LOG_TARGET_INVALID);
        assert_int_equal(log_target_from_string(NULL), _LOG_TARGET_INVALID);
        /* The journal target with no journald running must not fail the caller. */
        log_setup("t", LOG_INFO, LOG_TARGET_JOURNAL);
        assert_int_equal(log_error_errno(EPERM, "to the journal"), -EPERM);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default),
                cmocka_unit_test(test_verbose),
                cmocka_unit_test(test_quiet),
                cmocka_unit_test(test_struct_console),
                cmocka_unit_test(test_targets),
        };
        return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
