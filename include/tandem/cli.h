/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every tandem program shares on its command line: -g/-c, --json,
 * --verbose/--quiet, --log-target, --insecure-config, and loading the group. */
#pragma once

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "tandem/config.h"
#include "tandem/log.h"

/* Exit codes shared by all tools (documented in tandem(8)). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,        /* the operation failed, or the config is invalid */
        EXIT_USAGE = 2,         /* bad command line */
};

struct cli_common {
        const char *group;      /* -g */
        const char *config;     /* -c */
        bool json;
        int log_level;
        enum log_target log_target;
        bool insecure_config;
};

enum {
        CLI_OPT_LOG_TARGET = 0x1000,
        CLI_OPT_INSECURE_CONFIG,
        CLI_OPT_JSON,
        CLI_OPT_VERSION,
        _CLI_OPT_NEXT, /* programs number their own long-only options from here */
};

/* The short options the shared part takes; programs append their own. */
#define CLI_COMMON_SHORTOPTS "g:c:vqhV"
#define CLI_COMMON_LONGOPTS                                                       \
        { "group", required_argument, NULL, 'g' },                                \
        { "config", required_argument, NULL, 'c' },                               \
        { "verbose", no_argument, NULL, 'v' },                                    \
        { "quiet", no_argument, NULL, 'q' },                                      \
        { "json", no_argument, NULL, CLI_OPT_JSON },                              \
        { "log-target", required_argument, NULL, CLI_OPT_LOG_TARGET },            \
        { "insecure-config", no_argument, NULL, CLI_OPT_INSECURE_CONFIG },        \
        { "help", no_argument, NULL, 'h' },                                       \
        { "version", no_argument, NULL, 'V' }

/* The help lines for the options above, for each program's usage(). */
#define CLI_COMMON_HELP                                                                   \
        "  -g, --group GROUP       use /etc/tandem/GROUP.conf (default: db)\n"            \
        "  -c, --config FILE       use FILE instead of a group file\n"                    \
        "      --json              print machine-readable JSON on stdout\n"               \
        "  -v, --verbose           log more (debug)\n"                                   \
        "  -q, --quiet             log only errors\n"                                     \
        "      --log-target T      auto, console or journal (default: auto)\n"            \
        "      --insecure-config   skip the config file's owner and mode checks\n"        \
        "  -h, --help              show this help and exit\n"                            \
        "  -V, --version           show the version and exit\n"

/* Initialises c with the defaults. */
void cli_common_init(struct cli_common *c);
/* Handles one getopt_long() result that belongs to the shared options.
 * Returns 1 if handled, 0 if not ours, -EINVAL on a bad argument (already
 * reported on stderr). 'h' and 'V' are left to the program. */
int cli_common_opt(struct cli_common *c, int opt, const char *arg);
/* Applies the logging choices; call after option parsing. */
void cli_common_apply(const struct cli_common *c, const char *ident);
/* Loads the group named by -c or -g (default group "db") into *g, with the
 * host name as the default node. Prints every config error on stderr.
 * Returns 0, or a negative errno (config invalid: -EINVAL). */
int cli_load_group(const struct cli_common *c, struct cfg_group *g);

/* Prints o as pretty JSON plus a newline on stdout. Returns 0 or -EIO. */
int out_json_print(struct json_object *o);
