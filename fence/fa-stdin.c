/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fence-agent input protocol (see fa-stdin.h). Pure: no I/O. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tandem/config.h"
#include "tandem/devspec.h"
#include "tandem/fa-stdin.h"
#include "tandem/key.h"
#include "tandem/util.h"

#define NAME_MAX_LEN 64         /* cluster names, as in tandem.conf */
#define HOST_MAX_LEN 253        /* node names */
#define VALUE_USEC_MAX (3600 * USEC_PER_SEC)

static const char *const action_names[_FA_ACTION_MAX] = {
        [FA_ACTION_OFF] = "off",
        [FA_ACTION_ON] = "on",
        [FA_ACTION_STATUS] = "status",
        [FA_ACTION_MONITOR] = "monitor",
        [FA_ACTION_LIST] = "list",
        [FA_ACTION_METADATA] = "metadata",
        [FA_ACTION_VALIDATE_ALL] = "validate-all",
};

const char *fa_action_to_string(enum fa_action a) {
        return a >= 0 && a < _FA_ACTION_MAX ? action_names[a] : NULL;
}

enum fa_action fa_action_from_string(const char *s) {
        for (int i = 0; s && i < _FA_ACTION_MAX; i++)
                if (strcmp(s, action_names[i]) == 0)
                        return i;
        return _FA_ACTION_INVALID;
}

bool fa_action_needs_plug(enum fa_action a) {
        return a == FA_ACTION_OFF || a == FA_ACTION_ON || a == FA_ACTION_STATUS;
}

bool fa_action_needs_devices(enum fa_action a) {
        return a != FA_ACTION_METADATA;
}

enum kind {
        K_ACTION,
        K_PLUG,
        K_NODE,
        K_CLUSTER,
        K_DEVICES,
        K_GROUP,
        K_PATH,
        K_KEY,
        K_INITIATOR,
        K_TYPE,
        K_BOOL,
        K_DURATION,
};

struct param {
        const char *name;       /* with '_', as on stdin */
        char shortopt;          /* 0: none */
        enum kind kind;
        bool cmdline_only;      /* help, version */
};

static const struct param params[] = {
        { "action", 'o', K_ACTION, false },
        { "plug", 'n', K_PLUG, false },
        { "port", 0, K_PLUG, false },
        { "nodename", 0, K_NODE, false },
        { "devices", 'd', K_DEVICES, false },
        { "group", 'g', K_GROUP, false },
        { "config", 'c', K_PATH, false },
        { "key", 'k', K_KEY, false },
        { "cluster", 0, K_CLUSTER, false },
        { "initiator", 'i', K_INITIATOR, false },
        { "type", 0, K_TYPE, false },
        { "aptpl", 'a', K_BOOL, false },
        { "io_timeout", 0, K_DURATION, false },
        { "delay", 0, K_DURATION, false },
        { "power_wait", 0, K_DURATION, false },
        { "verbose", 'v', K_BOOL, false },
        { "debug_file", 'D', K_PATH, false },
        { "debug", 0, K_PATH, false },
        { "help", 'h', K_BOOL, true },
        { "version", 'V', K_BOOL, true },
};

/* Adds a message at line (0: command line) to *v. */
static int note_add(struct fa_note **v, size_t *n, unsigned line, const char *fmt, ...) _printf_(4, 5);
static int note_add(struct fa_note **v, size_t *n, unsigned line, const char *fmt, ...) {
        struct fa_note *nv = realloc(*v, (*n + 1) * sizeof *nv);
        char *t = NULL;
        va_list ap;

        if (!nv)
                return -ENOMEM;
        *v = nv;
        va_start(ap, fmt);
        int r = vasprintf(&t, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        nv[(*n)++] = (struct fa_note) { .line = line, .text = t };
        return 0;
}

/* Where a parameter came from, for messages: "line 3: action" or "--action". */
struct origin {
        unsigned line;
        const char *name;
};

static int err(struct fa_request *req, const struct origin *o, const char *fmt, ...) _printf_(3, 4);
static int err(struct fa_request *req, const struct origin *o, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (o->line > 0)
                r = note_add(&req->errors, &req->n_errors, o->line, "line %u: %s: %s", o->line, o->name, m);
        else
                r = note_add(&req->errors, &req->n_errors, 0, "--%s: %s", o->name, m);
        return r < 0 ? r : -EINVAL;
}

static int set_string(char **field, const char *v) {
        char *c = strdup(v);
        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

static bool node_name_valid(const char *v) {
        size_t l = strlen(v);
        return l > 0 && l <= HOST_MAX_LEN && v[0] != '-' &&
               strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == l;
}

static bool cluster_name_valid(const char *v) {
        size_t l = strlen(v);
        return l > 0 && l <= NAME_MAX_LEN && v[0] != '-' && v[0] != '.' &&
               strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == l;
}

static int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "on", "true" };
        static const char *const no[] = { "0", "no", "off", "false" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* Splits v at commas and white space, checks every device string, and
 * replaces req's list. */
static int set_devices(struct fa_request *req, const struct origin *o, const char *v) {
        _cleanup_free_ char *copy = strdup(v);
        char **arr = NULL, *save = NULL;
        size_t n = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
                struct devspec d;
                const char *why = NULL;
                r = devspec_parse(w, &d, &why);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        r = err(req, o, "'%s': %s", w, why ? why : "not a device");
                        break;
                }
                devspec_done(&d);
                for (size_t i = 0; i < n && r == 0; i++)
                        if (strcmp(arr[i], w) == 0)
                                r = err(req, o, "'%s' is listed twice", w);
                if (r < 0)
                        break;
                char **na = realloc(arr, (n + 2) * sizeof *na);
                if (!na) {
                        r = -ENOMEM;
                        break;
                }
                arr = na;
                if (!(arr[n] = strdup(w))) {
                        r = -ENOMEM;
                        break;
                }
                arr[++n] = NULL;
        }
        if (r == 0 && n == 0)
                r = err(req, o, "no device given");
        if (r < 0) {
                strv_free(arr);
                return r;
        }
        strv_free(req->devices);
        req->devices = arr;
        req->n_devices = n;
        return 0;
}

/* Sets one known parameter from its value. Returns 0, -EINVAL (recorded in
 * req->errors) or -ENOMEM. */
static int set_param(struct fa_request *req, const struct param *p, const struct origin *o, const char *v) {
        bool b;
        usec_t u;
        uint64_t k;
        int r;

        for (const char *c = v; *c; c++)
                if (iscntrl((unsigned char) *c) && *c != '\t')
                        return err(req, o, "the value contains a control character");
        if (*v == '\0')
                return err(req, o, "empty value");

        switch (p->kind) {
        case K_ACTION: {
                enum fa_action a = fa_action_from_string(v);
                if (a < 0) {
                        if (strcmp(v, "reboot") == 0)
                                return err(req, o, "'reboot' is not supported: SCSI fencing cannot power a node "
                                                   "back on (Pacemaker uses off when reboot is not declared)");
                        return err(req, o, "'%s' is not one of on, off, status, monitor, list, metadata, "
                                           "validate-all", v);
                }
                req->action = a;
                return 0;
        }
        case K_PLUG:
                if (strncasecmp(v, "0x", 2) == 0) {
                        r = key_parse(v, &k);
                        if (r == -ERANGE)
                                return err(req, o, "'%s': a key must not be zero", v);
                        if (r < 0)
                                return err(req, o, "'%s' is not a key (0x followed by 1-16 hex digits)", v);
                } else if (!node_name_valid(v))
                        return err(req, o, "'%s' is not a node name (1-253 of A-Z a-z 0-9 - _ . :, not starting "
                                           "with -) or a key (0x...)", v);
                if (req->plug && strcmp(req->plug, v) != 0)
                        return err(req, o, "'%s' conflicts with '%s' given before (plug and port name the same "
                                           "node)", v, req->plug);
                return set_string(&req->plug, v);
        case K_NODE:
                if (!node_name_valid(v))
                        return err(req, o, "'%s' is not a node name (1-253 of A-Z a-z 0-9 - _ . :, not starting "
                                           "with -)", v);
                return set_string(&req->nodename, v);
        case K_CLUSTER:
                if (!cluster_name_valid(v))
                        return err(req, o, "'%s' is not a cluster name (1-64 of A-Z a-z 0-9 - _ ., not starting "
                                           "with - or .)", v);
                return set_string(&req->cluster, v);
        case K_DEVICES:
                return set_devices(req, o, v);
        case K_GROUP: {
                _cleanup_free_ char *path = NULL;
                r = cfg_group_path(v, &path);
                if (r == -EINVAL)
                        return err(req, o, "'%s' is not a group name (1-64 of A-Z a-z 0-9 - _ ., not starting "
                                           "with . or -)", v);
                if (r < 0)
                        return r;
                return set_string(&req->group, v);
        }
        case K_PATH:
                if (strcmp(p->name, "config") == 0)
                        return set_string(&req->config, v);
                return set_string(&req->debug_file, v);
        case K_KEY:
                r = key_parse(v, &k);
                if (r == -ERANGE)
                        return err(req, o, "'%s': a key must not be zero", v);
                if (r < 0)
                        return err(req, o, "'%s' is not a key (0x followed by 1-16 hex digits)", v);
                req->key = k;
                return 0;
        case K_INITIATOR:
                if (!iscsi_name_valid(v))
                        return err(req, o, "'%s' is not an iSCSI name (iqn.YYYY-MM.domain[:x], eui.… or naa.…)", v);
                return set_string(&req->initiator, v);
        case K_TYPE: {
                enum pr_type t = pr_type_from_string(v);
                if (t < 0)
                        return err(req, o, "'%s' is not one of write-exclusive-registrants-only, "
                                           "exclusive-access-registrants-only, write-exclusive, exclusive-access", v);
                req->type = t;
                req->type_set = true;
                return 0;
        }
        case K_BOOL:
                if (parse_bool(v, &b) < 0)
                        return err(req, o, "'%s' is not a boolean (1, yes, on, true, 0, no, off, false)", v);
                if (strcmp(p->name, "aptpl") == 0) {
                        req->aptpl = b;
                        req->aptpl_set = true;
                } else if (strcmp(p->name, "verbose") == 0)
                        req->verbose = b;
                else if (strcmp(p->name, "help") == 0)
                        req->help = b;
                else
                        req->version = b;
                return 0;
        case K_DURATION:
                r = cfg_parse_duration(v, &u);
                if (r < 0 || u > VALUE_USEC_MAX)
                        return err(req, o, "'%s' is not a duration of at most 1h (seconds, or e.g. 500ms, 10s, 2m)", v);
                if (strcmp(p->name, "io_timeout") == 0) {
                        if (u < USEC_PER_SEC)
                                return err(req, o, "'%s' is less than 1s", v);
                        req->timeout = u;
                } else if (strcmp(p->name, "delay") == 0)
                        req->delay = u;
                else
                        req->power_wait = u;
                return 0;
        }
        return -EINVAL;
}

/* Finds a parameter by name, with '-' and '_' alike. */
static const struct param *param_find(const char *name, size_t len) {
        for (size_t i = 0; i < ELEMENTSOF(params); i++) {
                const char *p = params[i].name;
                size_t j = 0;
                for (; j < len && p[j]; j++)
                        if (!(name[j] == p[j] || (name[j] == '-' && p[j] == '_')))
                                break;
                if (j == len && p[j] == '\0')
                        return &params[i];
        }
        return NULL;
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One stdin line, s[0..len), without its newline. */
static int parse_line(struct fa_request *req, unsigned line, const char *s, size_t len) {
        _cleanup_free_ char *value = NULL;
        struct origin o = { .line = line, .name = "?" };

        if (memchr(s, '\0', len))
                return note_add(&req->errors, &req->n_errors, line, "line %u: contains a NUL byte", line) ?: -EINVAL;
        while (len > 0 && is_space(*s))
                s++, len--;
        while (len > 0 && is_space(s[len - 1]))
                len--;
        if (len == 0 || *s == '#')
                return 0;
        const char *eq = memchr(s, '=', len);
        if (!eq) {
                int r = note_add(&req->errors, &req->n_errors, line,
                                 "line %u: '%.*s%s': not name=value", line, len > 40 ? 40 : (int) len, s,
                                 len > 40 ? "…" : "");
                return r < 0 ? r : -EINVAL;
        }
        size_t nl = (size_t) (eq - s);
        while (nl > 0 && is_space(s[nl - 1]))
                nl--;
        bool name_ok = nl > 0;
        for (size_t i = 0; i < nl && name_ok; i++)
                name_ok = !is_space(s[i]) && !iscntrl((unsigned char) s[i]);
        if (!name_ok) {
                int r = note_add(&req->errors, &req->n_errors, line, "line %u: '%.*s': not a parameter name", line,
                                 nl > 40 ? 40 : (int) nl, s);
                return r < 0 ? r : -EINVAL;
        }
        const char *v = eq + 1, *end = s + len;
        while (v < end && is_space(*v))
                v++;
        size_t vl = (size_t) (end - v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
                v++, vl -= 2;

        const struct param *p = param_find(s, nl);
        if (!p || p->cmdline_only) {
                int r = note_add(&req->ignored, &req->n_ignored, line, "%.*s", (int) nl, s);
                return r < 0 ? r : 0;
        }
        if (!(value = strndup(v, vl)))
                return -ENOMEM;
        o.name = p->name;
        return set_param(req, p, &o, value);
}

int fa_parse_stdin(const char *text, size_t len, struct fa_request *req) {
        unsigned line = 0;
        size_t i = 0;
        bool failed = false;

        if (!req || (!text && len > 0))
                return -EINVAL;
        if (len > FA_INPUT_MAX) {
                int r = note_add(&req->errors, &req->n_errors, 0, "input: more than %d bytes", FA_INPUT_MAX);
                return r < 0 ? r : -EINVAL;
        }
        while (i < len) {
                const char *nlp = memchr(text + i, '\n', len - i);
                size_t l = nlp ? (size_t) (nlp - (text + i)) : len - i;
                int r;

                line++;
                if (l > FA_LINE_MAX)
                        r = note_add(&req->errors, &req->n_errors, line, "line %u: longer than %d bytes", line,
                                     FA_LINE_MAX) ?: -EINVAL;
                else
                        r = parse_line(req, line, text + i, l);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        failed = true;
                i += l + (nlp ? 1 : 0);
        }
        return failed || req->n_errors > 0 ? -EINVAL : 0;
}

int fa_parse_argv(int argc, char *const *argv, struct fa_request *req) {
        bool failed = false, options_done = false;
        int r;

        if (!req || argc < 0 || (argc > 0 && !argv))
                return -EINVAL;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!a)
                        break;
                if (options_done || a[0] != '-' || a[1] == '\0') {
                        r = note_add(&req->errors, &req->n_errors, 0, "unexpected argument '%s'", a);
                        if (r < 0)
                                return r;
                        failed = true;
                        continue;
                }
                if (strcmp(a, "--") == 0) {
                        options_done = true;
                        continue;
                }
                if (a[1] == '-') {
                        const char *name = a + 2, *eq = strchr(name, '=');
                        size_t nl = eq ? (size_t) (eq - name) : strlen(name);
                        const struct param *p = param_find(name, nl);
                        const char *v;
                        if (!p) {
                                r = note_add(&req->errors, &req->n_errors, 0, "unknown option '--%.*s'", (int) nl,
                                             name);
                                if (r < 0)
                                        return r;
                                failed = true;
                                continue;
                        }
                        struct origin o = { .line = 0, .name = p->name };
                        if (eq)
                                v = eq + 1;
                        else if (p->kind == K_BOOL)
                                v = "1";
                        else if (i + 1 < argc && argv[i + 1])
                                v = argv[++i];
                        else {
                                r = err(req, &o, "needs a value");
                                if (r == -ENOMEM)
                                        return r;
                                failed = true;
                                continue;
                        }
                        r = set_param(req, p, &o, v);
                        if (r == -ENOMEM)
                                return r;
                        failed = failed || r < 0;
                        continue;
                }
                /* Short options, bundled flags allowed: -vv, -ooff, -o off. */
                for (const char *c = a + 1; *c; c++) {
                        const struct param *p = NULL;
                        for (size_t j = 0; j < ELEMENTSOF(params) && !p; j++)
                                if (params[j].shortopt == *c)
                                        p = &params[j];
                        if (!p) {
                                r = note_add(&req->errors, &req->n_errors, 0, "unknown option '-%c'", *c);
                                if (r < 0)
                                        return r;
                                failed = true;
                                break;
                        }
                        struct origin o = { .line = 0, .name = p->name };
                        if (p->kind == K_BOOL) {
                                r = set_param(req, p, &o, "1");
                                if (r == -ENOMEM)
                                        return r;
                                continue;
                        }
                        const char *v = c[1] ? c + 1 : i + 1 < argc && argv[i + 1] ? argv[++i] : NULL;
                        r = v ? set_param(req, p, &o, v) : err(req, &o, "needs a value");
                        if (r == -ENOMEM)
                                return r;
                        failed = failed || r < 0;
                        break;
                }
        }
        return failed || req->n_errors > 0 ? -EINVAL : 0;
}

int fa_request_check(struct fa_request *req) {
        const char *an = fa_action_to_string(req->action);
        bool has_config = req->group || req->config;
        bool failed = false;
        int r;

        if (req->group && req->config) {
                r = note_add(&req->errors, &req->n_errors, 0, "group and config exclude each other: give one");
                if (r < 0)
                        return r;
                failed = true;
        }
        if (fa_action_needs_plug(req->action) && !req->plug) {
                r = note_add(&req->errors, &req->n_errors, 0,
                             "plug: required for action %s (the node to act on, or its key as 0x...)", an);
                if (r < 0)
                        return r;
                failed = true;
        }
        if (fa_action_needs_devices(req->action) && req->n_devices == 0 && !has_config) {
                r = note_add(&req->errors, &req->n_errors, 0,
                             "devices: required for action %s: give devices=, or group= or config= for a tandem group",
                             an);
                if (r < 0)
                        return r;
                failed = true;
        }
        /* Keys come from names through the cluster name, unless a config gives them. */
        bool plug_is_key = req->plug && strncasecmp(req->plug, "0x", 2) == 0;
        bool needs_local_key = req->action == FA_ACTION_OFF || req->action == FA_ACTION_ON ||
                               req->action == FA_ACTION_VALIDATE_ALL;
        bool needs_plug_key = fa_action_needs_plug(req->action) && !plug_is_key;
        if (!has_config && !req->cluster && ((needs_local_key && req->key == 0) || needs_plug_key)) {
                r = note_add(&req->errors, &req->n_errors, 0,
                             "cluster: required for action %s to derive keys from node names (or give group= or "
                             "config=, or key= and plug=0x...)",
                             an);
                if (r < 0)
                        return r;
                failed = true;
        }
        return failed ? -EINVAL : 0;
}

void fa_request_done(struct fa_request *req) {
        if (!req)
                return;
        free(req->plug);
        strv_free(req->devices);
        free(req->group);
        free(req->config);
        free(req->cluster);
        free(req->initiator);
        free(req->nodename);
        free(req->debug_file);
        for (size_t i = 0; i < req->n_ignored; i++)
                free(req->ignored[i].text);
        free(req->ignored);
        for (size_t i = 0; i < req->n_errors; i++)
                free(req->errors[i].text);
        free(req->errors);
        *req = (struct fa_request) {};
}
