/* SPDX-License-Identifier: MIT */
/* gatewayd: command line, daemonizing, and handing over to daemon.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "gatewayd/plugin.h"
#include "log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/gatewayd/gatewayd.json"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: gatewayd [OPTION]...\n"
                "Storage gateway daemon: SMB backends re-exported over HTTP/WebDAV,\n"
                "with a JSON admin API.\n"
                "\n"
                "  -c, --config FILE   configuration file (default %s)\n"
                "  -f, --foreground    do not detach (implied when started by systemd)\n"
                "  -t, --check-config  validate the configuration and exit:\n"
                "                      0 when valid, 78 (EX_CONFIG) with the errors\n"
                "  -V, --version       print the version and plugin ABI, then exit\n"
                "  -h, --help          print this help, then exit\n"
                "\n"
                "Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop.\n"
                "See gatewayd(8) and gatewayd.json(5).\n",
                DEFAULT_CONFIG);
}

static int status_fd = -1;

/* In the detached child: tell the waiting parent how start-up went. */
static void report_to_parent(void *ud, int code)
{
        unsigned char c = (unsigned char)code;
        if (status_fd >= 0) {
                ssize_t n = write(status_fd, &c, 1);
                (void)n;
                close(status_fd);
                status_fd = -1;
        }
}

/* Classic double fork.  The original process waits until the daemon has
 * started (or failed) and exits with its status, so a failing start is
 * visible to whoever ran the command. */
static int detach(void)
{
        int pipefd[2];
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0) {
                unsigned char c = EXIT_FAILURE;
                close(pipefd[1]);
                ssize_t n;
                do
                        n = read(pipefd[0], &c, 1);
                while (n < 0 && errno == EINTR);
                _exit(n == 1 ? c : EXIT_FAILURE);
        }
        close(pipefd[0]);
        if (setsid() < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0)
                _exit(0);
        status_fd = pipefd[1];
        if (chdir("/") < 0)
                return -errno;
        umask(027);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                if (null > STDERR_FILENO)
                        close(null);
        }
        log_setup(LOG_TARGET_SYSLOG);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "foreground", no_argument, NULL, 'f' },
                { "check-config", no_argument, NULL, 't' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *config_path = DEFAULT_CONFIG;
        int foreground = 0, check_only = 0, c, code;
        struct daemon *d;

        log_setup(log_target_detect());
        while ((c = getopt_long(argc, argv, "c:ftVh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'f':
                        foreground = 1;
                        break;
                case 't':
                        check_only = 1;
                        break;
                case 'V':
                        printf("gatewayd %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
                               GWD_ABI_MAJOR, GWD_ABI_MINOR);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "gatewayd: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                return 2;
        }

        if (daemon_new(config_path, &d) < 0) {
                log_error("out of memory");
                return EXIT_FAILURE;
        }
        if (check_only) {
                code = daemon_check_config(d);
                if (code == 0)
                        printf("%s: configuration is valid\n", config_path);
                daemon_free(d);
                return code;
        }

        /* Under systemd (notify socket or invocation id) never detach. */
        if (!foreground && !getenv("NOTIFY_SOCKET") && !getenv("INVOCATION_ID")) {
                int r = detach();
                if (r < 0) {
                        log_error("cannot detach: %s", strerror(-r));
                        daemon_free(d);
                        return EXIT_FAILURE;
                }
                daemon_set_ready_hook(d, report_to_parent, NULL);
        }

        code = daemon_start(d);
        if (code == 0)
                code = daemon_run(d);
        report_to_parent(NULL, code);
        daemon_free(d);
        return code;
}
