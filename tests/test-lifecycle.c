/* SPDX-License-Identifier: MIT */
/*
 * The daemon as systemd sees it: gatewayd is started with NOTIFY_SOCKET
 * pointing at a datagram socket this test reads, and its sd_notify
 * messages, exit codes and logs are checked around start, reload (good and
 * broken), watchdog and stop.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/check-run.h"

struct gwd_proc {
        char dir[64];
        char cfg[128];
        char log[128];
        int notify_fd;
        pid_t pid;
        char msgs[16384];       /* every notify message, '|' separated */
};

static void write_cfg(struct gwd_proc *p, const char *json)
{
        char tmp[160];
        FILE *f;
        snprintf(tmp, sizeof(tmp), "%s.tmp", p->cfg);
        f = fopen(tmp, "w");
        ck_assert_ptr_nonnull(f);
        fputs(json, f);
        fclose(f);
        ck_assert_int_eq(rename(tmp, p->cfg), 0);
}

static void spawn(struct gwd_proc *p, const char *json, const char *watchdog_usec)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        memset(p, 0, sizeof(*p));
        snprintf(p->dir, sizeof(p->dir), "/tmp/gwd-test-lifecycle.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(p->dir));
        snprintf(p->cfg, sizeof(p->cfg), "%s/gatewayd.json", p->dir);
        snprintf(p->log, sizeof(p->log), "%s/stderr.log", p->dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", p->dir);
        write_cfg(p, json);

        p->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(p->notify_fd, 0);
        ck_assert_int_eq(bind(p->notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

        p->pid = fork();
        ck_assert_int_ge(p->pid, 0);
        if (p->pid == 0) {
                int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (fd < 0)
                        _exit(127);
                dup2(fd, STDERR_FILENO);
                setenv("NOTIFY_SOCKET", sa.sun_path, 1);
                setenv("GWD_PLUGIN_DIR", TEST_PLUGIN_PATH, 1);
                unsetenv("WATCHDOG_PID");
                if (watchdog_usec)
                        setenv("WATCHDOG_USEC", watchdog_usec, 1);
                else
                        unsetenv("WATCHDOG_USEC");
                execl(GATEWAYD_BIN, "gatewayd", "--foreground", "-c", p->cfg, (char *)NULL);
                _exit(127);
        }
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read notify messages until one contains `what` (returns a pointer to a
 * copy of that message) or `timeout_ms` passes (NULL). */
static const char *wait_msg(struct gwd_proc *p, const char *what, int timeout_ms)
{
        static char last[1024];
        long long deadline = now_ms() + timeout_ms;

        for (;;) {
                long long left = deadline - now_ms();
                struct pollfd pfd = { .fd = p->notify_fd, .events = POLLIN };
                ssize_t n;

                if (left <= 0)
                        return NULL;
                if (poll(&pfd, 1, (int)left) <= 0)
                        continue;
                n = recv(p->notify_fd, last, sizeof(last) - 1, 0);
                if (n <= 0)
                        continue;
                last[n] = '\0';
                strncat(p->msgs, last, sizeof(p->msgs) - strlen(p->msgs) - 2);
                strncat(p->msgs, "|", sizeof(p->msgs) - strlen(p->msgs) - 1);
                if (strstr(last, what))
                        return last;
        }
}

static int wait_exit(struct gwd_proc *p, int timeout_ms)
{
        long long deadline = now_ms() + timeout_ms;
        int status;
        while (now_ms() < deadline) {
                pid_t r = waitpid(p->pid, &status, WNOHANG);
                if (r == p->pid) {
                        p->pid = 0;
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                }
                usleep(10000);
        }
        return -1;
}

static char *read_log(struct gwd_proc *p)
{
        static char buf[65536];
        FILE *f = fopen(p->log, "r");
        size_t n = 0;
        buf[0] = '\0';
        if (f) {
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
        }
        buf[n] = '\0';
        return buf;
}

static void cleanup(struct gwd_proc *p)
{
        char path[160];
        if (p->pid > 0) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
        }
        close(p->notify_fd);
        snprintf(path, sizeof(path), "%s/notify", p->dir);
        unlink(path);
        unlink(p->cfg);
        unlink(p->log);
        rmdir(p->dir);
}

#define GOOD_CFG                                                                 \
        "{\"instances\": ["                                                      \
        "{\"name\": \"demo\", \"plugin\": \"mem\", \"config\": {\"shares\":"     \
        " [{\"name\": \"scratch\"}]}},"                                          \
        "{\"name\": \"a\", \"plugin\": \"tgood\", \"config\": {\"tag\": \"1\"}}," \
        "{\"name\": \"b\", \"plugin\": \"tgood\", \"config\": {\"tag\": \"1\"}}]}"

START_TEST(ready_then_sigterm_stops_cleanly)
{
        struct gwd_proc p;
        const char *m;

        spawn(&p, GOOD_CFG, NULL);
        m = wait_msg(&p, "READY=1", 15000);
        ck_assert_msg(m != NULL, "no READY=1; log: %s", read_log(&p));
        ck_assert_msg(strstr(p.msgs, "STATUS="), "no STATUS= line in %s", p.msgs);
        ck_assert_msg(strstr(m, "3 instances running") || strstr(p.msgs, "3 instances running"),
                      "status does not say what runs: %s", p.msgs);
        ck_assert_int_eq(kill(p.pid, SIGTERM), 0);
        ck_assert_ptr_nonnull(wait_msg(&p, "STOPPING=1", 10000));
        ck_assert_int_eq(wait_exit(&p, 10000), 0);
        /* stopped in reverse order: b, then a */
        char *log = read_log(&p);
        char *sb = strstr(log, "b: info: test plugin stopped");
        char *sa = strstr(log, "a: info: test plugin stopped");
        ck_assert_msg(sb && sa && sb < sa, "not stopped in reverse order: %s", log);
        cleanup(&p);
}
END_TEST

START_TEST(sigint_stops_cleanly)
{
        struct gwd_proc p;
        spawn(&p, GOOD_CFG, NULL);
        ck_assert_ptr_nonnull(wait_msg(&p, "READY=1", 15000));
        kill(p.pid, SIGINT);
        ck_assert_int_eq(wait_exit(&p, 10000), 0);
        cleanup(&p);
}
END_TEST

START_TEST(reload_notifies_and_keeps_unchanged_instances)
{
        struct gwd_proc p;
        const char *m;

        spawn(&p, GOOD_CFG, NULL);
        ck_assert_ptr_nonnull(wait_msg(&p, "READY=1", 15000));
        /* b changes, a and demo do not */
        write_cfg(&p, "{\"instances\": ["
                      "{\"name\": \"demo\", \"plugin\": \"mem\", \"config\": {\"shares\":"
                      " [{\"name\": \"scratch\"}]}},"
                      "{\"name\": \"a\", \"plugin\": \"tgood\", \"config\": {\"tag\": \"1\"}},"
                      "{\"name\": \"b\", \"plugin\": \"tgood\", \"config\": {\"tag\": \"2\"}}]}");
        kill(p.pid, SIGHUP);
        m = wait_msg(&p, "RELOADING=1", 10000);
        ck_assert_ptr_nonnull(m);
        ck_assert_msg(strstr(m, "MONOTONIC_USEC="), "RELOADING=1 without MONOTONIC_USEC: %s", m);
        ck_assert_ptr_nonnull(wait_msg(&p, "READY=1", 10000));
        char *log = read_log(&p);
        ck_assert_msg(strstr(log, "b: info: test plugin stopped"), "b not restarted: %s", log);
        ck_assert_msg(!strstr(log, "a: info: test plugin stopped"), "a was touched: %s", log);
        /* the mem instance was started exactly once */
        char *first = strstr(log, "demo: info: serving");
        ck_assert_ptr_nonnull(first);
        ck_assert_ptr_null(strstr(first + 1, "demo: info: serving"));

        kill(p.pid, SIGTERM);
        ck_assert_int_eq(wait_exit(&p, 10000), 0);
        cleanup(&p);
}
END_TEST

START_TEST(broken_reload_keeps_old_config)
{
        struct gwd_proc p;

        spawn(&p, GOOD_CFG, NULL);
        ck_assert_ptr_nonnull(wait_msg(&p, "READY=1", 15000));
        write_cfg(&p, "{\"instances\": [ {\"name\": }");
        kill(p.pid, SIGHUP);
        ck_assert_ptr_nonnull(wait_msg(&p, "RELOADING=1", 10000));
        ck_assert_ptr_nonnull(wait_msg(&p, "READY=1", 10000));
        ck_assert_msg(strstr(p.msgs, "last reload failed"), "status hides the failure: %s", p.msgs);
        char *log = read_log(&p);
        ck_assert_msg(strstr(log, "1:26:"), "no line:column in %s", log);
        ck_assert_msg(strstr(log, "still running on the previous configuration"), "%s", log);
        ck_assert_msg(!strstr(log, "test plugin stopped"), "an instance was stopped: %s", log);
        /* still alive and still reloadable */
        ck_assert_int_eq(kill(p.pid, 0), 0);
        write_cfg(&p, "{\"instances\": [ {\"name\": \"demo\", \"plugin\": \"mem\", \"config\":"
                      " {\"shares\": [{\"name\": \"scratch\", \"bogus\": 1}]}}]}");
        kill(p.pid, SIGHUP);
        ck_assert_ptr_nonnull(wait_msg(&p, "READY=1", 10000));
        log = read_log(&p);
        ck_assert_msg(strstr(log, "instances[0].config.shares[0].bogus: unknown key"), "%s", log);
        ck_assert_msg(!strstr(log, "test plugin stopped"), "an instance was stopped: %s", log);
        kill(p.pid, SIGTERM);
        ck_assert_int_eq(wait_exit(&p, 10000), 0);
        cleanup(&p);
}
END_TEST

START_TEST(watchdog_pings)
{
        struct gwd_proc p;
        spawn(&p, GOOD_CFG, "400000");
        ck_assert_ptr_nonnull(wait_msg(&p, "READY=1", 15000));
        ck_assert_msg(wait_msg(&p, "WATCHDOG=1", 3000) != NULL, "no WATCHDOG=1: %s", p.msgs);
        ck_assert_msg(wait_msg(&p, "WATCHDOG=1", 3000) != NULL, "only one WATCHDOG=1");
        kill(p.pid, SIGTERM);
        ck_assert_int_eq(wait_exit(&p, 10000), 0);
        cleanup(&p);
}
END_TEST

START_TEST(bad_config_exits_78_without_ready)
{
        struct gwd_proc p;
        spawn(&p, "{\"instances\": [{\"name\": \"x\", \"plugin\": \"mem\", \"config\": {}}]}", NULL);
        ck_assert_int_eq(wait_exit(&p, 15000), 78);
        ck_assert_ptr_null(wait_msg(&p, "READY=1", 200));
        ck_assert_msg(strstr(read_log(&p), "instances[0].config.shares: required key is missing"),
                      "%s", read_log(&p));
        cleanup(&p);
}
END_TEST

START_TEST(failing_plugin_start_exits_1_without_ready)
{
        struct gwd_proc p;
        spawn(&p, "{\"instances\": [{\"name\": \"a\", \"plugin\": \"tgood\"},"
                  " {\"name\": \"b\", \"plugin\": \"tgood\", \"config\": {\"fail_start\": true}}]}",
              NULL);
        ck_assert_int_eq(wait_exit(&p, 15000), 1);
        ck_assert_ptr_null(wait_msg(&p, "READY=1", 200));
        ck_assert_msg(strstr(read_log(&p), "b: plugin tgood failed to start: Address already in use"),
                      "%s", read_log(&p));
        cleanup(&p);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("lifecycle");
        TCase *tc = tcase_create("notify");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, ready_then_sigterm_stops_cleanly);
        tcase_add_test(tc, sigint_stops_cleanly);
        tcase_add_test(tc, reload_notifies_and_keeps_unchanged_instances);
        tcase_add_test(tc, broken_reload_keeps_old_config);
        tcase_add_test(tc, watchdog_pings);
        tcase_add_test(tc, bad_config_exits_78_without_ready);
        tcase_add_test(tc, failing_plugin_start_exits_1_without_ready);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
