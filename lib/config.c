/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Group configuration parser, on inih. Pure: no I/O here (cfg_load() is in
 * config-load.c). Every problem is collected with its line, so `tandem config`
 * can show them all at once, the way `nginx -t` does. */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tandem/config.h"
#include "tandem/devspec.h"
#include "tandem/key.h"
#include "tandem/util.h"
#include "tandem/volspec.h"

#define DEFAULT_FENCE_TIMEOUT (10 * USEC_PER_SEC)
#define DEFAULT_WATCH_INTERVAL (2 * USEC_PER_SEC)
#define DEFAULT_STOP_TIMEOUT (30 * USEC_PER_SEC)
#define DEFAULT_DRAIN (5 * USEC_PER_SEC)
#define NAME_MAX_LEN 64
#define IFNAME_MAX_LEN 15 /* IFNAMSIZ - 1 */

struct pctx;
typedef int (*value_parser)(struct pctx *c, const char *v, void *field, const char **reason);

struct key_def {
        const char *section;
        const char *name;
        value_parser parse;
        size_t offset;      /* of the field in struct cfg_group */
        bool list;          /* continuation lines append */
};

struct pctx {
        struct cfg_group *g;
        const char *text;   /* what is left to read */
        unsigned line;      /* the line inih is working on */
        bool line_handled;  /* inih called us for it */
        bool line_content;  /* it is neither blank, comment nor section */
        bool line_indented; /* starts with white space: a continuation */
        unsigned section_line[8];
        unsigned key_line[32];
        int oom;
};

/* ---------------------------------------------------------------- errors */

static void add_error(struct pctx *c, unsigned line, const char *key, const char *fmt, ...) _printf_(4, 5);
static void add_error(struct pctx *c, unsigned line, const char *key, const char *fmt, ...) {
        struct cfg_group *g = c->g;
        struct cfg_error *n;
        va_list ap;
        char *msg = NULL;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        n = realloc(g->errors, (g->n_errors + 1) * sizeof *n);
        if (!msg || !n) {
                free(msg);
                if (n)
                        g->errors = n;
                c->oom = 1;
                return;
        }
        g->errors = n;
        g->errors[g->n_errors++] = (struct cfg_error) {
                .line = line,
                .key = key ? strdup(key) : NULL,
                .message = msg,
        };
}

/* ---------------------------------------------------------------- values */

static bool has_ctrl(const char *s) {
        for (; *s; s++)
                if (iscntrl((unsigned char) *s))
                        return true;
        return false;
}

static int set_string(void *field, const char *v) {
        char **p = field;
        char *d = strdup(v);
        if (!d)
                return -ENOMEM;
        free(*p);
        *p = d;
        return 0;
}

static int p_name(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        if (strlen(v) > NAME_MAX_LEN || v[0] == '-' || v[0] == '.' ||
            strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(v)) {
                *reason = "must be 1-64 of A-Z a-z 0-9 - _ . and not start with - or .";
                return -EINVAL;
        }
        return set_string(field, v);
}

static int p_host(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        if (strlen(v) > 253 || v[0] == '-' ||
            strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") != strlen(v)) {
                *reason = "must be a host name or an IP address";
                return -EINVAL;
        }
        return set_string(field, v);
}

/* Appends the white-space separated device strings in v to *arr (NULL
 * terminated, *n long). RAID devices must be paths. */
static int add_devices(const char *v, char ***arr, size_t *n, bool paths_only, const char **reason) {
        _cleanup_free_ char *copy = strdup(v);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                struct devspec d;
                int r = devspec_parse(w, &d, reason);
                if (r < 0)
                        return r;
                bool is_path = d.kind == DEVSPEC_PATH;
                devspec_done(&d);
                if (paths_only && !is_path) {
                        *reason = "a RAID device must be a /dev path (/dev/md0, /dev/md/name, /dev/mapper/name)";
                        return -EINVAL;
                }
                for (size_t i = 0; i < *n; i++)
                        if (strcmp((*arr)[i], w) == 0) {
                                *reason = "lists the same device twice";
                                return -EINVAL;
                        }
                char **na = realloc(*arr, (*n + 2) * sizeof(char *));
                if (!na)
                        return -ENOMEM;
                *arr = na;
                if (!(na[*n] = strdup(w)))
                        return -ENOMEM;
                na[++*n] = NULL;
        }
        return 0;
}

static int p_devices(struct pctx *c, const char *v, void *field, const char **reason) {
        return add_devices(v, field, &c->g->fence.n_devices, false, reason);
}

static int p_pr_type(struct pctx *c, const char *v, void *field, const char **reason) {
        enum pr_type t = pr_type_from_string(v);
        (void) c;
        if (t < 0 || (t != PR_TYPE_WRITE_EXCLUSIVE && t != PR_TYPE_EXCLUSIVE_ACCESS &&
                      t != PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY &&
                      t != PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY)) {
                *reason = "must be write-exclusive-registrants-only, exclusive-access-registrants-only, "
                          "write-exclusive or exclusive-access";
                return -EINVAL;
        }
        *(enum pr_type *) field = t;
        return 0;
}

/* key and peer_key: "auto" or 0x<hex>. The source field follows the value
 * fields in struct cfg_group, so key_def.offset points at the value and we
 * find the source by the field's identity. */
static int p_key(struct pctx *c, const char *v, void *field, const char **reason) {
        struct cfg_group *g = c->g;
        enum cfg_source *src = field == &g->fence.key ? &g->fence.key_source : &g->fence.peer_key_source;
        uint64_t k;
        int r;

        if (strcmp(v, "auto") == 0) {
                *src = CFG_SOURCE_DERIVED;
                *(uint64_t *) field = 0;
                return 0;
        }
        r = key_parse(v, &k);
        if (r == -ERANGE) {
                *reason = "must not be zero (SPC-4 reserves key 0 for 'no key')";
                return -EINVAL;
        }
        if (r < 0) {
                *reason = "must be 'auto' or 0x followed by 1-16 hex digits";
                return -EINVAL;
        }
        *(uint64_t *) field = k;
        *src = CFG_SOURCE_FILE;
        return 0;
}

static int p_iscsi_name(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        if (!iscsi_name_valid(v)) {
                *reason = "must be an iSCSI name: iqn.YYYY-MM.reversed.domain[:id] (lower case), "
                          "eui.<16 hex> or naa.<16 or 32 hex>";
                return -EINVAL;
        }
        return set_string(field, v);
}

static int p_bool(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        if (cfg_parse_bool(v, field) < 0) {
                *reason = "must be yes or no";
                return -EINVAL;
        }
        return 0;
}

static int duration_in(const char *v, void *field, usec_t min, usec_t max, const char **reason,
                       const char *range_reason) {
        usec_t u;
        int r = cfg_parse_duration(v, &u);
        if (r < 0) {
                *reason = "must be a duration such as 10s, 500ms, 2m or 1m30s";
                return -EINVAL;
        }
        if (u < min || u > max) {
                *reason = range_reason;
                return -EINVAL;
        }
        *(usec_t *) field = u;
        return 0;
}

static int p_fence_timeout(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        return duration_in(v, field, 100 * USEC_PER_MSEC, 600 * USEC_PER_SEC, reason,
                           "must be between 100ms and 10m");
}

static int p_watch_interval(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        return duration_in(v, field, 100 * USEC_PER_MSEC, 3600 * USEC_PER_SEC, reason,
                           "must be between 100ms and 1h");
}

/* takeover_wait, grace: "auto" (see the derivation below, set once the
 * whole file is read) or a duration. */
static int p_auto_duration(struct pctx *c, const char *v, void *field, const char **reason) {
        struct cfg_group *g = c->g;
        enum cfg_source *src = field == &g->fence.takeover_wait ? &g->fence.takeover_wait_source
                                                                 : &g->fence.grace_source;
        if (strcmp(v, "auto") == 0) {
                *src = CFG_SOURCE_DERIVED;
                return 0;
        }
        int r = duration_in(v, field, 0, 3600 * USEC_PER_SEC, reason,
                            "must be 'auto' or a duration of at most 1h");
        if (r == 0)
                *src = CFG_SOURCE_FILE;
        return r;
}

static int p_drain(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        return duration_in(v, field, 0, 600 * USEC_PER_SEC, reason, "must be at most 10m");
}

static int p_on_fenced(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        for (int i = 0; i < _CFG_ON_FENCED_MAX; i++)
                if (strcmp(v, cfg_on_fenced_to_string(i)) == 0) {
                        *(enum cfg_on_fenced *) field = i;
                        return 0;
                }
        *reason = "must be stop or reboot";
        return -EINVAL;
}

static int p_stop_timeout(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        return duration_in(v, field, 0, 3600 * USEC_PER_SEC, reason, "must be at most 1h");
}

static int p_raid_devices(struct pctx *c, const char *v, void *field, const char **reason) {
        return add_devices(v, field, &c->g->raid.n_devices, true, reason);
}

static int p_on_degraded(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        for (int i = 0; i < _CFG_ON_DEGRADED_MAX; i++)
                if (strcmp(v, cfg_on_degraded_to_string(i)) == 0) {
                        *(enum cfg_on_degraded *) field = i;
                        return 0;
                }
        *reason = "must be allow or refuse";
        return -EINVAL;
}

static int p_volume_device(struct pctx *c, const char *v, void *field, const char **reason) {
        struct volspec spec;
        (void) c;
        int r = volspec_parse(v, &spec, reason);
        if (r < 0)
                return r;
        return set_string(field, v);
}

static int p_fstype(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        int r = volspec_check_fstype(v, reason);
        if (r < 0)
                return r;
        return set_string(field, v);
}

static int p_mountpoint(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        int r = volspec_check_mountpoint(v, reason);
        if (r < 0)
                return r;
        return set_string(field, v);
}

/* The text checks here; libmount's parser only through the caller's hook. */
static int p_options(struct pctx *c, const char *v, void *field, const char **reason) {
        int r = volspec_check_options_text(v, reason);
        if (r == 0 && c->g->check_options)
                r = c->g->check_options(v, reason);
        if (r < 0)
                return r == -ENOMEM ? r : -EINVAL;
        return set_string(field, v);
}

static int p_fsck(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        for (int i = 0; i < _CFG_FSCK_MAX; i++)
                if (strcmp(v, cfg_fsck_to_string(i)) == 0) {
                        *(enum cfg_fsck *) field = i;
                        return 0;
                }
        *reason = "must be auto, always or never";
        return -EINVAL;
}

static int p_unit(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        const char *dot = strrchr(v, '.');
        if (strlen(v) > 255 || !dot || dot == v ||
            (strcmp(dot, ".service") != 0 && strcmp(dot, ".target") != 0) ||
            strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") != strlen(v)) {
                *reason = "must be a systemd unit name ending in .service or .target";
                return -EINVAL;
        }
        return set_string(field, v);
}

int cfg_parse_address(const char *v, struct cfg_address *ret, const char **reason) {
        struct cfg_address a = {};
        char buf[INET6_ADDRSTRLEN + 1];
        const char *slash = strchr(v, '/');
        char *end;

        if (!slash || slash == v || (size_t) (slash - v) >= sizeof buf) {
                *reason = "must be an address with a prefix length, e.g. 10.0.0.100/24 or fd00::10/64";
                return -EINVAL;
        }
        memcpy(buf, v, (size_t) (slash - v));
        buf[slash - v] = '\0';
        if (inet_pton(AF_INET, buf, a.addr) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, buf, a.addr) == 1)
                a.family = AF_INET6;
        else {
                *reason = "is not an IPv4 or IPv6 address";
                return -EINVAL;
        }
        if (!isdigit((unsigned char) slash[1]) || strlen(slash + 1) > 3) {
                *reason = "prefix length must be a number";
                return -EINVAL;
        }
        unsigned long p = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || p == 0 || p > (a.family == AF_INET ? 32u : 128u)) {
                *reason = "prefix length must be 1-32 for IPv4, 1-128 for IPv6";
                return -EINVAL;
        }
        a.prefixlen = (unsigned) p;
        *ret = a;
        return 0;
}

static int p_address(struct pctx *c, const char *v, void *field, const char **reason) {
        int r = cfg_parse_address(v, &c->g->service.address_parsed, reason);
        if (r < 0)
                return r;
        return set_string(field, v);
}

static int p_ifname(struct pctx *c, const char *v, void *field, const char **reason) {
        (void) c;
        if (strlen(v) > IFNAME_MAX_LEN || strcmp(v, ".") == 0 || strcmp(v, "..") == 0 ||
            strpbrk(v, "/: \t") || has_ctrl(v)) {
                *reason = "must be a network interface name (1-15 characters, no '/', ':' or spaces)";
                return -EINVAL;
        }
        return set_string(field, v);
}

#define F(member) offsetof(struct cfg_group, member)
static const struct key_def keys[] = {
        { "cluster", "name", p_name, F(cluster.name), false },
        { "cluster", "node", p_host, F(cluster.node), false },
        { "cluster", "peer", p_host, F(cluster.peer), false },
        { "cluster", "peer_address", p_host, F(cluster.peer_address), false },
        { "fence", "devices", p_devices, F(fence.devices), true },
        { "fence", "type", p_pr_type, F(fence.type), false },
        { "fence", "key", p_key, F(fence.key), false },
        { "fence", "peer_key", p_key, F(fence.peer_key), false },
        { "fence", "initiator", p_iscsi_name, F(fence.initiator), false },
        { "fence", "aptpl", p_bool, F(fence.aptpl), false },
        { "fence", "timeout", p_fence_timeout, F(fence.timeout), false },
        { "fence", "watch_interval", p_watch_interval, F(fence.watch_interval), false },
        { "fence", "takeover_wait", p_auto_duration, F(fence.takeover_wait), false },
        { "fence", "grace", p_auto_duration, F(fence.grace), false },
        { "fence", "drain", p_drain, F(fence.drain), false },
        { "fence", "on_fenced", p_on_fenced, F(fence.on_fenced), false },
        { "raid", "devices", p_raid_devices, F(raid.devices), true },
        { "raid", "on_degraded", p_on_degraded, F(raid.on_degraded), false },
        { "volume", "device", p_volume_device, F(volume.device), false },
        { "volume", "fstype", p_fstype, F(volume.fstype), false },
        { "volume", "mountpoint", p_mountpoint, F(volume.mountpoint), false },
        { "volume", "options", p_options, F(volume.options), false },
        { "volume", "fsck", p_fsck, F(volume.fsck), false },
        { "volume", "stop_timeout", p_stop_timeout, F(volume.stop_timeout), false },
        { "service", "unit", p_unit, F(service.unit), false },
        { "service", "address", p_address, F(service.address), false },
        { "service", "interface", p_ifname, F(service.interface), false },
};
#undef F

static const char *const sections[] = { "cluster", "fence", "raid", "volume", "service" };
_Static_assert(ELEMENTSOF(keys) <= ELEMENTSOF(((struct pctx *) 0)->key_line), "key_line too small");
_Static_assert(ELEMENTSOF(sections) <= ELEMENTSOF(((struct pctx *) 0)->section_line), "section_line too small");

static int section_index(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                if (strcmp(sections[i], s) == 0)
                        return (int) i;
        return -1;
}

static void known_keys(const char *section, char *buf, size_t n) {
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i].section, section) == 0) {
                        int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", keys[i].name);
                        if (w < 0 || (size_t) w >= n - used)
                                return;
                        used += (size_t) w;
                }
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        struct pctx *c = user;
        char keyname[128];
        const char *reason = NULL;
        int r;

        c->line_handled = true;
        snprintf(keyname, sizeof keyname, "%s.%s", section, name);
        if (section[0] == '\0') {
                add_error(c, c->line, name, "key outside any section; put it under [cluster], [fence], "
                                            "[raid], [volume] or [service]");
                return 1;
        }
        if (section_index(section) < 0)
                return 1; /* reported once, at the section line */

        const struct key_def *k = NULL;
        size_t ki = 0;
        for (; ki < ELEMENTSOF(keys); ki++)
                if (strcmp(keys[ki].section, section) == 0 && strcmp(keys[ki].name, name) == 0) {
                        k = &keys[ki];
                        break;
                }
        if (!k) {
                char known[256];
                known_keys(section, known, sizeof known);
                add_error(c, c->line, keyname, "unknown key in [%s]; known keys: %s", section, known);
                return 1;
        }
        bool continuation = c->line_indented && c->key_line[ki] != 0;
        if (c->key_line[ki] != 0 && !(k->list && continuation)) {
                add_error(c, c->line, keyname, "given twice (first on line %u)", c->key_line[ki]);
                return 1;
        }
        if (!continuation)
                c->key_line[ki] = c->line;
        if (value[0] == '\0') {
                add_error(c, c->line, keyname, "empty value; remove the line to use the default");
                return 1;
        }
        r = k->parse(c, value, (char *) c->g + k->offset, &reason);
        if (r == -ENOMEM)
                c->oom = 1;
        else if (r < 0)
                add_error(c, c->line, keyname, "'%.80s%s': %s", value, strlen(value) > 80 ? "..." : "",
                          reason ? reason : "is not valid");
        return 1;
}

/* ---------------------------------------------------------------- reader */

static void finish_line(struct pctx *c) {
        if (c->line > 0 && c->line_content && !c->line_handled)
                add_error(c, c->line, NULL, "not a 'key = value' line or a [section] header");
}

/* inih's line reader: hands inih one line at a time from memory, so that we
 * know each line's number and can see lines inih rejects without calling us. */
static char *reader(char *str, int num, void *stream) {
        struct pctx *c = stream;
        const char *p = c->text, *nl;
        size_t len, cut;

        finish_line(c);
        if (!p || *p == '\0')
                return NULL;
        c->line++;
        c->line_handled = false;
        nl = strchr(p, '\n');
        len = nl ? (size_t) (nl - p) : strlen(p);
        c->text = nl ? nl + 1 : p + len;

        /* A '#' or ';' after white space starts a comment, as in DESIGN.md's example. */
        cut = len;
        for (size_t i = 1; i < len; i++)
                if ((p[i] == '#' || p[i] == ';') && (p[i - 1] == ' ' || p[i - 1] == '\t')) {
                        cut = i;
                        break;
                }
        size_t s = 0;
        while (s < cut && (p[s] == ' ' || p[s] == '\t' || p[s] == '\r'))
                s++;
        c->line_indented = s > 0;
        bool blank = s == cut;
        bool comment = !blank && (p[s] == '#' || p[s] == ';');
        c->line_content = !blank && !comment && p[s] != '[';

        if ((size_t) num < 2 || cut + 2 > (size_t) num) {
                add_error(c, c->line, NULL, "line longer than %d characters; continue a device list on "
                          "indented lines", num - 2);
                c->line_content = false;
                strcpy(str, "\n");
                return str;
        }
        if (!blank && !comment && p[s] == '[') {
                const char *close = memchr(p + s, ']', cut - s);
                if (!close) {
                        add_error(c, c->line, NULL, "section header without ']'");
                } else {
                        char name[64];
                        size_t nlen = (size_t) (close - (p + s + 1));
                        if (nlen >= sizeof name)
                                nlen = sizeof name - 1;
                        memcpy(name, p + s + 1, nlen);
                        name[nlen] = '\0';
                        int si = section_index(name);
                        if (si < 0)
                                add_error(c, c->line, NULL, "unknown section [%s]; known sections: [cluster], "
                                          "[fence], [raid], [volume], [service]", name);
                        else if (c->section_line[si] != 0)
                                add_error(c, c->line, NULL, "section [%s] given twice (first on line %u)",
                                          name, c->section_line[si]);
                        else
                                c->section_line[si] = c->line;
                }
        }
        memcpy(str, p, cut);
        str[cut] = '\n';
        str[cut + 1] = '\0';
        return str;
}

/* ---------------------------------------------------------------- checks */

static unsigned key_line_of(const struct pctx *c, const char *section, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
                        return c->key_line[i];
        assert(!"unknown key");
        return 0;
}

static void require(struct pctx *c, int si, const char *name, const void *value) {
        char key[64];
        /* A value that was given but refused has its own error already. */
        if (value || key_line_of(c, sections[si], name) != 0)
                return;
        snprintf(key, sizeof key, "%s.%s", sections[si], name);
        add_error(c, c->section_line[si], key, "required in [%s]", sections[si]);
}

static bool any_iscsi(const struct cfg_group *g) {
        for (size_t i = 0; i < g->fence.n_devices; i++)
                if (strncmp(g->fence.devices[i], "iscsi://", 8) == 0)
                        return true;
        return false;
}

static int set_default(char **field, const char *v) {
        if (*field || !v)
                return 0;
        return set_string(field, v);
}

static void check_group(struct pctx *c, const char *hostname) {
        struct cfg_group *g = c->g;

        if (c->section_line[0] == 0)
                add_error(c, 0, "[cluster]", "section missing; it needs at least name = <cluster name>");
        else
                require(c, 0, "name", g->cluster.name);

        if (!g->cluster.node) {
                const char *why = NULL;
                if (hostname && p_host(c, hostname, &g->cluster.node, &why) == 0)
                        g->cluster.node_source = CFG_SOURCE_DEFAULT;
                else if (hostname && !g->cluster.node)
                        add_error(c, c->section_line[0], "cluster.node",
                                  "not set, and the host name '%s' is not usable; set node = ...", hostname);
                else
                        add_error(c, c->section_line[0], "cluster.node", "not set, and the host name is unknown");
        }
        if (g->cluster.node && g->cluster.peer && strcmp(g->cluster.node, g->cluster.peer) == 0)
                add_error(c, key_line_of(c, "cluster", "peer"), "cluster.peer", "is the same as node ('%s')", g->cluster.peer);
        if (!g->cluster.peer_address && g->cluster.peer) {
                g->cluster.peer_address_source = CFG_SOURCE_DEFAULT;
                if (set_default(&g->cluster.peer_address, g->cluster.peer) < 0)
                        c->oom = 1;
        }

        /* I3 and I4: a takeover watches a holder's heartbeat, and the watch
         * tolerates a silent device, for two heartbeats and some commands;
         * grace + one command never exceeds takeover_wait, so a node that
         * cannot vouch for its key stops before the peer fences it. */
        /* The holder beats one device after another; a dead one holds the
         * others back by a command and a login: two timeouts. */
        if (g->fence.takeover_wait_source == CFG_SOURCE_DERIVED)
                g->fence.takeover_wait = 2 * g->fence.watch_interval + 2 * g->fence.timeout;
        if (g->fence.grace_source == CFG_SOURCE_DERIVED)
                g->fence.grace = 2 * g->fence.watch_interval + g->fence.timeout;
        if (g->fence.takeover_wait < 2 * g->fence.watch_interval) {
                unsigned l = key_line_of(c, "fence", "takeover_wait");
                add_error(c, l ? l : c->section_line[1], "fence.takeover_wait",
                          "must be at least 2 x watch_interval (or auto): a shorter wait may miss a live peer's "
                          "heartbeat and fence it");
        }
        if (g->fence.grace < g->fence.watch_interval) {
                unsigned l = key_line_of(c, "fence", "grace");
                add_error(c, l ? l : c->section_line[1], "fence.grace",
                          "must be at least watch_interval (or auto): a shorter grace self-fences on one slow answer");
        }
        g->fence.present = c->section_line[1] != 0;
        if (g->fence.present) {
                if (g->fence.n_devices == 0 && key_line_of(c, "fence", "devices") == 0)
                        add_error(c, c->section_line[1], "fence.devices",
                                  "required in [fence]; remove the section to run unfenced");
                if (any_iscsi(g) && !g->fence.initiator)
                        add_error(c, c->section_line[1], "fence.initiator",
                                  "required when a fence device is iscsi://");
                if (g->fence.key_source == CFG_SOURCE_DERIVED && g->cluster.name && g->cluster.node)
                        g->fence.key = key_derive(g->cluster.name, g->cluster.node);
                if (g->fence.peer_key_source == CFG_SOURCE_DERIVED) {
                        if (g->cluster.name && g->cluster.peer)
                                g->fence.peer_key = key_derive(g->cluster.name, g->cluster.peer);
                        else
                                g->fence.peer_key = 0;
                }
                unsigned pk_line = key_line_of(c, "fence", "peer_key");
                bool same_node = g->cluster.node && g->cluster.peer && strcmp(g->cluster.node, g->cluster.peer) == 0;
                if (g->fence.key != 0 && g->fence.key == g->fence.peer_key && !same_node)
                        add_error(c, pk_line ? pk_line : c->section_line[1], "fence.peer_key",
                                  "is the same as this node's key; each node needs its own");
        }

        g->raid.present = c->section_line[2] != 0;
        if (g->raid.present && g->raid.n_devices == 0 && key_line_of(c, "raid", "devices") == 0)
                add_error(c, c->section_line[2], "raid.devices", "required in [raid]");

        g->volume.present = c->section_line[3] != 0;
        if (g->volume.present) {
                require(c, 3, "device", g->volume.device);
                require(c, 3, "fstype", g->volume.fstype);
                require(c, 3, "mountpoint", g->volume.mountpoint);
                if (set_default(&g->volume.options, "defaults") < 0)
                        c->oom = 1;
        }

        g->service.present = c->section_line[4] != 0;
        if (g->service.present) {
                require(c, 4, "unit", g->service.unit);
                if (g->service.address && !g->service.interface)
                        add_error(c, c->section_line[4], "service.interface", "required when address is set");
                if (g->service.interface && !g->service.address)
                        add_error(c, c->section_line[4], "service.address", "required when interface is set");
        }
}

/* In file order; a stable insertion sort keeps a line's errors in the order found. */
static void sort_errors(struct cfg_group *g) {
        for (size_t i = 1; i < g->n_errors; i++) {
                struct cfg_error e = g->errors[i];
                size_t j = i;
                for (; j > 0 && g->errors[j - 1].line > e.line; j--)
                        g->errors[j] = g->errors[j - 1];
                g->errors[j] = e;
        }
}

int cfg_parse_string(const char *text, const char *path, const char *hostname, struct cfg_group *g) {
        struct pctx c = { .g = g, .text = text };

        if (!text || !g)
                return -EINVAL;
        if (path && !(g->path = strdup(path)))
                return -ENOMEM;
        g->cluster.node_source = CFG_SOURCE_FILE;
        g->cluster.peer_address_source = CFG_SOURCE_FILE;
        g->fence.type = PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY;
        g->fence.key_source = CFG_SOURCE_DERIVED;
        g->fence.peer_key_source = CFG_SOURCE_DERIVED;
        g->fence.timeout = DEFAULT_FENCE_TIMEOUT;
        g->fence.watch_interval = DEFAULT_WATCH_INTERVAL;
        g->fence.takeover_wait_source = CFG_SOURCE_DERIVED;
        g->fence.grace_source = CFG_SOURCE_DERIVED;
        g->fence.drain = DEFAULT_DRAIN;
        g->fence.on_fenced = CFG_ON_FENCED_STOP;
        g->raid.on_degraded = CFG_ON_DEGRADED_ALLOW;
        g->volume.fsck = CFG_FSCK_AUTO;
        g->volume.stop_timeout = DEFAULT_STOP_TIMEOUT;

        (void) ini_parse_stream(reader, &c, handler, &c);
        check_group(&c, hostname);
        sort_errors(g);
        if (c.oom)
                return -ENOMEM;
        return g->n_errors > 0 ? -EINVAL : 0;
}

/* ---------------------------------------------------------------- helpers */

int cfg_parse_duration(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t mult;
        } units[] = {
                { "ms", USEC_PER_MSEC }, { "s", USEC_PER_SEC }, { "m", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
        };
        usec_t total = 0;

        if (!s || !ret || *s == '\0')
                return -EINVAL;
        while (*s) {
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                unsigned long long n = 0;
                while (isdigit((unsigned char) *s)) {
                        if (n > (ULLONG_MAX - 9) / 10)
                                return -ERANGE;
                        n = n * 10 + (unsigned) (*s++ - '0');
                }
                usec_t mult = 0;
                if (*s == '\0' && total == 0)
                        mult = USEC_PER_SEC; /* a bare number is seconds */
                else
                        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                                size_t l = strlen(units[i].suffix);
                                if (strncmp(s, units[i].suffix, l) == 0 && !isalpha((unsigned char) s[l])) {
                                        mult = units[i].mult;
                                        s += l;
                                        break;
                                }
                        }
                if (mult == 0)
                        return -EINVAL;
                if (n > (USEC_INFINITY - 1 - total) / mult)
                        return -ERANGE;
                total += n * mult;
        }
        *ret = total;
        return 0;
}

char *cfg_format_duration(usec_t u, char *buf, size_t n) {
        if (u % USEC_PER_SEC != 0 || u == 0)
                snprintf(buf, n, "%llums", u / USEC_PER_MSEC);
        else if (u % (60 * USEC_PER_SEC) != 0 || u < 60 * USEC_PER_SEC)
                snprintf(buf, n, "%llus", u / USEC_PER_SEC);
        else
                snprintf(buf, n, "%llum", u / (60 * USEC_PER_SEC));
        return buf;
}

int cfg_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int cfg_group_path(const char *group, char **ret_path) {
        if (!group || !ret_path || group[0] == '\0' || group[0] == '.' || group[0] == '-' ||
            strlen(group) > NAME_MAX_LEN ||
            strspn(group, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(group))
                return -EINVAL;
        if (asprintf(ret_path, CFG_DIR "/%s.conf", group) < 0)
                return -ENOMEM;
        return 0;
}

void cfg_group_done(struct cfg_group *g) {
        if (!g)
                return;
        free(g->path);
        free(g->cluster.name);
        free(g->cluster.node);
        free(g->cluster.peer);
        free(g->cluster.peer_address);
        strv_free(g->fence.devices);
        free(g->fence.initiator);
        strv_free(g->raid.devices);
        free(g->volume.device);
        free(g->volume.fstype);
        free(g->volume.mountpoint);
        free(g->volume.options);
        free(g->service.unit);
        free(g->service.address);
        free(g->service.interface);
        for (size_t i = 0; i < g->n_errors; i++) {
                free(g->errors[i].key);
                free(g->errors[i].message);
        }
        free(g->errors);
        *g = (struct cfg_group) {};
}

const char *cfg_fsck_to_string(enum cfg_fsck f) {
        static const char *const t[_CFG_FSCK_MAX] = { "auto", "always", "never" };
        return f >= 0 && f < _CFG_FSCK_MAX ? t[f] : NULL;
}

const char *cfg_on_degraded_to_string(enum cfg_on_degraded d) {
        static const char *const t[_CFG_ON_DEGRADED_MAX] = { "allow", "refuse" };
        return d >= 0 && d < _CFG_ON_DEGRADED_MAX ? t[d] : NULL;
}

const char *cfg_on_fenced_to_string(enum cfg_on_fenced f) {
        static const char *const t[_CFG_ON_FENCED_MAX] = { "stop", "reboot" };
        return f >= 0 && f < _CFG_ON_FENCED_MAX ? t[f] : NULL;
}

const char *cfg_source_to_string(enum cfg_source s) {
        static const char *const t[_CFG_SOURCE_MAX] = { "default", "file", "derived", "command-line" };
        return s >= 0 && s < _CFG_SOURCE_MAX ? t[s] : NULL;
}

void cfg_print_errors(const struct cfg_group *g, FILE *f) {
        const char *path = g->path ? g->path : "<config>";
        for (size_t i = 0; i < g->n_errors; i++) {
                const struct cfg_error *e = &g->errors[i];
                if (e->line > 0)
                        fprintf(f, "%s:%u: ", path, e->line);
                else
                        fprintf(f, "%s: ", path);
                if (e->key)
                        fprintf(f, "%s: ", e->key);
                fprintf(f, "%s\n", e->message);
        }
}
