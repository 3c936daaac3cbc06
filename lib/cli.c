/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tandem/cli.h"

void cli_common_init(struct cli_common *c) {
        *c = (struct cli_common) {
                .log_level = LOG_INFO,
                .log_target = LOG_TARGET_AUTO,
        };
}

int cli_common_opt(struct cli_common *c, int opt, const char *arg) {
        switch (opt) {
        case 'g':
                c->group = arg;
                return 1;
        case 'c':
                c->config = arg;
                return 1;
        case 'v':
                c->log_level = LOG_DEBUG;
                return 1;
        case 'q':
                c->log_level = LOG_ERR;
                return 1;
        case CLI_OPT_JSON:
                c->json = true;
                return 1;
        case CLI_OPT_LOG_TARGET:
                c->log_target = log_target_from_string(arg);
                if (c->log_target < 0) {
                        fprintf(stderr, "--log-target: '%s' is not one of auto, console, journal\n", arg);
                        return -EINVAL;
                }
                return 1;
        case CLI_OPT_INSECURE_CONFIG:
                c->insecure_config = true;
                return 1;
        default:
                return 0;
        }
}

void cli_common_apply(const struct cli_common *c, const char *ident) {
        log_setup(ident, c->log_level, c->log_target);
}

int cli_load_group(const struct cli_common *c, struct cfg_group *g) {
        _cleanup_free_ char *path = NULL;
        char host[256] = "";
        int r;

        if (c->config && c->group)
                return log_error_errno(EINVAL, "-c and -g exclude each other");
        if (c->config) {
                if (!(path = strdup(c->config)))
                        return log_error_errno(ENOMEM, "cannot load config");
        } else {
                const char *grp = c->group ? c->group : CFG_DEFAULT_GROUP;
                r = cfg_group_path(grp, &path);
                if (r == -EINVAL) {
                        log_error("group '%s': must be 1-64 of A-Z a-z 0-9 - _ . (not starting with . or -)", grp);
                        return -EINVAL;
                }
                if (r < 0)
                        return log_error_errno(r, "cannot load config");
        }
        if (gethostname(host, sizeof host - 1) < 0)
                host[0] = '\0';
        if (c->insecure_config)
                log_warning("%s: owner and mode checks skipped (--insecure-config)", path);
        r = cfg_load(path, host[0] ? host : NULL, c->insecure_config ? CFG_LOAD_INSECURE : 0, g);
        if (r == -ENOMEM)
                return log_error_errno(r, "cannot load %s", path);
        if (r < 0) {
                /* With --json the errors go into the JSON instead. */
                if (!c->json)
                        cfg_print_errors(g, stderr);
                return r;
        }
        return 0;
}

int out_json_print(struct json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || puts(s) < 0 || fflush(stdout) != 0)
                return -EIO;
        return 0;
}
