/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verdicts on device-mapper status lines: raid (dm-raid.rst "Status
 * Output"), mirror (dm-raid1.c mirror_status) and multipath (dm-mpath.c
 * multipath_status, dm-multipath.rst). Pure: no I/O here.
 *
 * raid and mirror lines are parsed by libdevmapper (dm_get_status_raid,
 * dm_get_status_mirror), but only after the line has been checked token by
 * token here: those parsers trust their input (a short mirror line makes
 * dm_get_status_mirror read past the string's end, and an old-style raid
 * line with an 'a' leg makes dm_get_status_raid strcasecmp a NULL). They
 * are handed a copy rebuilt with single spaces, which is what they expect.
 * libdevmapper has no multipath parser, so that one is ours; every count
 * in it is checked against the tokens that are really there. */
#include <errno.h>
#include <json-c/json.h>
#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/dm-health.h"
#include "tandem/macro.h"

struct tok {
        const char *p;
        size_t len;
};

struct toks {
        struct tok *v;
        size_t n;
};

static void toks_done(struct toks *t) {
        free(t->v);
        t->v = NULL;
        t->n = 0;
}

static void dm_pool_destroyp(struct dm_pool **p) {
        if (*p)
                dm_pool_destroy(*p);
}

/* Splits s at runs of spaces. Anything but printable ASCII and spaces makes
 * the line malformed; so does an empty one. */
static int tokenize(const char *s, struct toks *ret) {
        size_t n = 0, cap = 0;
        struct tok *v = NULL;

        for (const char *p = s; *p;) {
                if (*p == ' ') {
                        p++;
                        continue;
                }
                const char *b = p;
                while (*p && *p != ' ') {
                        if (*p < 0x21 || *p > 0x7e) {
                                free(v);
                                return -EBADMSG;
                        }
                        p++;
                }
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        struct tok *nv = realloc(v, ncap * sizeof *nv);
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                        cap = ncap;
                }
                v[n++] = (struct tok) { .p = b, .len = (size_t) (p - b) };
        }
        if (n == 0) {
                free(v);
                return -EBADMSG;
        }
        *ret = (struct toks) { .v = v, .n = n };
        return 0;
}

/* The tokens joined by single spaces: what libdevmapper's parsers expect. */
static char *toks_join(const struct toks *t, size_t from, size_t to) {
        size_t len = 1;
        for (size_t i = from; i < to; i++)
                len += t->v[i].len + 1;
        char *s = malloc(len), *q = s;
        if (!s)
                return NULL;
        for (size_t i = from; i < to; i++) {
                if (i > from)
                        *q++ = ' ';
                memcpy(q, t->v[i].p, t->v[i].len);
                q += t->v[i].len;
        }
        *q = 0;
        return s;
}

static bool tok_is(const struct tok *t, const char *s) {
        return t->len == strlen(s) && memcmp(t->p, s, t->len) == 0;
}

/* Decimal digits only (no sign, no space), without overflow. */
static int tok_u64_span(const char *p, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        if (len == 0 || len > 20)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -EBADMSG;
                unsigned d = (unsigned) (p[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

static int tok_u64(const struct tok *t, uint64_t *ret) {
        return tok_u64_span(t->p, t->len, ret);
}

static int tok_uint(const struct tok *t, unsigned *ret) {
        uint64_t v;
        if (tok_u64(t, &v) < 0 || v > UINT32_MAX)
                return -EBADMSG;
        *ret = (unsigned) v;
        return 0;
}

/* "a/b" with a <= b. */
static int tok_ratio(const struct tok *t, uint64_t *ret_a, uint64_t *ret_b) {
        const char *slash = memchr(t->p, '/', t->len);
        uint64_t a, b;
        if (!slash || tok_u64_span(t->p, (size_t) (slash - t->p), &a) < 0 ||
            tok_u64_span(slash + 1, t->len - (size_t) (slash - t->p) - 1, &b) < 0 || a > b)
                return -EBADMSG;
        *ret_a = a;
        *ret_b = b;
        return 0;
}

/* "major:minor", copied to dev. */
static int tok_dev(const struct tok *t, char dev[static DMH_DEV_MAX]) {
        const char *colon = memchr(t->p, ':', t->len);
        uint64_t ma, mi;
        if (!colon || tok_u64_span(t->p, (size_t) (colon - t->p), &ma) < 0 ||
            tok_u64_span(colon + 1, t->len - (size_t) (colon - t->p) - 1, &mi) < 0 || ma > UINT32_MAX ||
            mi > UINT32_MAX)
                return -EBADMSG;
        snprintf(dev, DMH_DEV_MAX, "%u:%u", (unsigned) ma, (unsigned) mi);
        return 0;
}

/* A word of [a-z0-9_-] that fits in a DMH_WORD_MAX buffer. */
static int tok_word(const struct tok *t, char w[static DMH_WORD_MAX]) {
        if (t->len == 0 || t->len >= DMH_WORD_MAX)
                return -EBADMSG;
        for (size_t i = 0; i < t->len; i++) {
                char c = t->p[i];
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                        return -EBADMSG;
        }
        memcpy(w, t->p, t->len);
        w[t->len] = 0;
        return 0;
}

static unsigned percent(uint64_t done, uint64_t total) {
        if (total == 0 || done >= total)
                return 100;
        return (unsigned) ((unsigned __int128) done * 100 / total);
}

static void say(struct dmh_status *s, const char *fmt, ...) _printf_(2, 3);
static void say(struct dmh_status *s, const char *fmt, ...) {
        size_t len = strlen(s->reason);
        va_list ap;

        if (len > 0 && len + 2 < sizeof s->reason) {
                memcpy(s->reason + len, "; ", 3);
                len += 2;
        }
        va_start(ap, fmt);
        vsnprintf(s->reason + len, sizeof s->reason - len, fmt, ap);
        va_end(ap);
}

/* Appends "N (C)" for each leg whose dead flag is set, comma separated. */
static void say_dead_legs(struct dmh_status *s, const char *what) {
        char list[DMH_REASON_MAX] = "";
        size_t len = 0;
        for (size_t i = 0; i < s->n_legs && len < sizeof list; i++) {
                if (!s->legs[i].dead)
                        continue;
                int r = snprintf(list + len, sizeof list - len, "%s%zu (%c)", len ? ", " : "", i,
                                 s->legs[i].state);
                if (r < 0)
                        break;
                len += (size_t) r;
        }
        say(s, "%u of %zu legs %s: %s", s->n_dead, s->n_legs, what, list);
}

const char *dmh_kind_to_string(enum dmh_kind k) {
        static const char *const t[_DMH_KIND_MAX] = { "raid", "mirror", "multipath" };
        return k >= 0 && k < _DMH_KIND_MAX ? t[k] : NULL;
}

enum dmh_kind dmh_kind_from_target(const char *target_type) {
        if (!target_type)
                return -EINVAL;
        for (int k = 0; k < _DMH_KIND_MAX; k++)
                if (strcmp(target_type, dmh_kind_to_string(k)) == 0)
                        return k;
        return -EOPNOTSUPP;
}

void dmh_status_done(struct dmh_status *s) {
        if (!s)
                return;
        free(s->legs);
        free(s->groups);
        free(s->paths);
        s->legs = NULL;
        s->groups = NULL;
        s->paths = NULL;
        s->n_legs = s->n_groups = s->n_paths = 0;
}

/* ------------------------------------------------------------------ raid */

/* How many dead legs the raid type survives for sure, or -1 when we cannot
 * tell. md never marks a raid1 leg faulty when it is the last one in sync,
 * so a raid1 with any live leg still has its data. */
static int raid_tolerance(const char *type, size_t n_legs) {
        if (strcmp(type, "raid0") == 0)
                return 0;
        if (strcmp(type, "raid1") == 0)
                return (int) n_legs - 1;
        if (strncmp(type, "raid10", 6) == 0)
                return 1; /* more, depending on the layout; the status does not say */
        if (strcmp(type, "raid4") == 0 || strncmp(type, "raid5", 5) == 0)
                return 1;
        if (strncmp(type, "raid6", 5) == 0)
                return 2;
        return -1;
}

static void raid_verdict(struct dmh_status *s) {
        unsigned not_in_sync = 0;
        bool unknown_char = false;
        for (size_t i = 0; i < s->n_legs; i++) {
                switch (s->legs[i].state) {
                case 'A':
                        break;
                case 'a':
                        not_in_sync++;
                        break;
                case 'D':
                case '-':
                        break;
                default:
                        unknown_char = true;
                }
        }
        int tol = raid_tolerance(s->level, s->n_legs);
        bool syncing = strcmp(s->sync_action, "resync") == 0 || strcmp(s->sync_action, "recover") == 0 ||
                       strcmp(s->sync_action, "reshape") == 0;
        bool scrubbing = strcmp(s->sync_action, "check") == 0 || strcmp(s->sync_action, "repair") == 0;

        s->health = HEALTH_OK;
        if (s->n_dead > 0) {
                say_dead_legs(s, "dead");
                if (s->n_dead >= s->n_legs) {
                        s->health = HEALTH_FAILED;
                } else if (tol < 0) {
                        s->health = HEALTH_UNKNOWN;
                        say(s, "unknown raid type %s", s->level);
                } else if (s->n_dead <= (unsigned) tol) {
                        s->health = HEALTH_DEGRADED;
                } else if (strncmp(s->level, "raid10", 6) == 0) {
                        s->health = HEALTH_UNKNOWN;
                        say(s, "whether %s still has its data depends on its layout", s->level);
                } else {
                        s->health = HEALTH_FAILED;
                        say(s, "more than the %d %s survives", tol, s->level);
                }
        }
        if (unknown_char) {
                s->health = health_worst(s->health, HEALTH_UNKNOWN);
                say(s, "unknown leg state in the status");
        }
        if (not_in_sync > 0 || syncing || (!scrubbing && s->sync_done < s->sync_total)) {
                s->health = health_worst(s->health, HEALTH_DEGRADED);
                if (syncing || s->sync_done < s->sync_total)
                        say(s, "%s %u%% (%llu/%llu), %u of %zu legs not in sync", s->sync_action,
                            s->sync_percent, (unsigned long long) s->sync_done, (unsigned long long) s->sync_total,
                            not_in_sync, s->n_legs);
                else
                        say(s, "%u of %zu legs not in sync, %s", not_in_sync, s->n_legs, s->sync_action);
        } else if (scrubbing) {
                say(s, "%s %u%% (%llu/%llu)", s->sync_action, s->sync_percent, (unsigned long long) s->sync_done,
                    (unsigned long long) s->sync_total);
        }
        if (s->mismatches > 0)
                say(s, "%llu mismatches found by the last check", (unsigned long long) s->mismatches);
        if (s->health == HEALTH_OK && s->reason[0] == 0)
                say(s, "%s, %zu of %zu legs in sync, %s", s->level, s->n_legs, s->n_legs, s->sync_action);
        else if (s->health == HEALTH_OK)
                say(s, "all %zu legs in sync", s->n_legs);
}

/* <raid_type> <#devices> <health_chars> <sync_ratio> <sync_action>
 * <mismatch_cnt> [<data_offset> [<journal_char>]] (dm-raid 1.5.0 and
 * later; the 4-field form of older kernels is refused). */
int dmh_raid_status(const char *params, struct dmh_status *ret) {
        _cleanup_(toks_done) struct toks t = {};
        _cleanup_(dm_pool_destroyp) struct dm_pool *mem = NULL;
        _cleanup_free_ char *norm = NULL;
        struct dm_status_raid *rs = NULL;
        struct dmh_status s = { .kind = DMH_RAID };
        unsigned n;
        uint64_t a, b;
        int r;

        if (!params || !ret)
                return -EINVAL;
        r = tokenize(params, &t);
        if (r < 0)
                return r;
        if (t.n < 6 || t.n > 8 || tok_word(&t.v[0], s.level) < 0 || strncmp(s.level, "raid", 4) != 0 ||
            tok_uint(&t.v[1], &n) < 0 || n < 1 || n > 253 || t.v[2].len != n || tok_ratio(&t.v[3], &a, &b) < 0 ||
            tok_word(&t.v[4], s.sync_action) < 0 || tok_u64(&t.v[5], &a) < 0 ||
            (t.n >= 7 && tok_u64(&t.v[6], &a) < 0) || (t.n == 8 && t.v[7].len != 1))
                return -EBADMSG;

        norm = toks_join(&t, 0, t.n);
        mem = dm_pool_create("tandem-dmh", 1024);
        if (!norm || !mem)
                return -ENOMEM;
        if (!dm_get_status_raid(mem, norm, &rs) || !rs)
                return -EBADMSG;
        if (rs->dev_count != n || !rs->sync_action || strcmp(rs->raid_type, s.level) != 0)
                return -EBADMSG;

        s.legs = calloc(n, sizeof *s.legs);
        if (!s.legs)
                return -ENOMEM;
        s.n_legs = n;
        for (size_t i = 0; i < n; i++) {
                /* The kernel's characters: libdevmapper rewrites 'a' to 'A'
                 * on the first leg of a set that is all 'a'. */
                char c = t.v[2].p[i];
                s.legs[i].state = c;
                s.legs[i].dead = c == 'D' || c == '-';
                if (s.legs[i].dead)
                        s.n_dead++;
        }
        /* libdevmapper keeps in-sync below total while a leg is still 'a'. */
        s.sync_done = rs->insync_regions;
        s.sync_total = rs->total_regions;
        s.sync_percent = percent(s.sync_done, s.sync_total);
        s.mismatches = rs->mismatch_count;
        raid_verdict(&s);
        *ret = s;
        return 0;
}

/* ---------------------------------------------------------------- mirror */

static bool mirror_char_valid(char c) {
        return c && strchr("AFDSRU", c);
}

static void mirror_verdict(struct dmh_status *s) {
        s->health = HEALTH_OK;
        if (s->n_dead >= s->n_legs) {
                s->health = HEALTH_FAILED;
                say_dead_legs(s, "failed");
        } else if (s->n_dead > 0) {
                s->health = HEALTH_DEGRADED;
                say_dead_legs(s, "failed");
        }
        if (s->sync_done < s->sync_total) {
                s->health = health_worst(s->health, HEALTH_DEGRADED);
                say(s, "out of sync: %llu of %llu regions in sync (%u%%)", (unsigned long long) s->sync_done,
                    (unsigned long long) s->sync_total, s->sync_percent);
        }
        if (s->log_state && s->log_state != 'A') {
                s->health = health_worst(s->health, HEALTH_DEGRADED);
                say(s, "%s log %s failed (%c)", s->log_type, s->log_dev, s->log_state);
        }
        if (s->health == HEALTH_OK)
                say(s, "all %zu legs alive, %llu of %llu regions in sync", s->n_legs,
                    (unsigned long long) s->sync_done, (unsigned long long) s->sync_total);
}

/* <#legs> <dev>... <in-sync>/<regions> <#health args> <health chars>
 * [userspace] <#log args> <log type> [<log dev> <log health>]
 * e.g. "2 253:1 253:2 1024/1024 1 AA 3 disk 253:0 A", "2 253:1 253:2 64/64 1 AA 1 core". */
int dmh_mirror_status(const char *params, struct dmh_status *ret) {
        _cleanup_(toks_done) struct toks t = {};
        _cleanup_(dm_pool_destroyp) struct dm_pool *mem = NULL;
        _cleanup_free_ char *norm = NULL;
        struct dm_status_mirror *ms = NULL;
        struct dmh_status s = { .kind = DMH_MIRROR };
        char dev[DMH_DEV_MAX], log_type[DMH_WORD_MAX];
        unsigned n, nh, nl;
        uint64_t a, b;
        size_t i = 0;
        int r;

        if (!params || !ret)
                return -EINVAL;
        r = tokenize(params, &t);
        if (r < 0)
                return r;
        /* 8 legs at most: the kernel's DM_KCOPYD_MAX_REGIONS, and libdevmapper's limit. */
        if (tok_uint(&t.v[i++], &n) < 0 || n < 1 || n > 8 || t.n - i < (size_t) n + 3)
                return -EBADMSG;
        for (unsigned k = 0; k < n; k++)
                if (tok_dev(&t.v[i++], dev) < 0)
                        return -EBADMSG;
        if (tok_ratio(&t.v[i++], &a, &b) < 0 || tok_uint(&t.v[i++], &nh) < 0 || nh != 1 || t.v[i].len != n)
                return -EBADMSG;
        for (unsigned k = 0; k < n; k++)
                if (!mirror_char_valid(t.v[i].p[k]))
                        return -EBADMSG;
        i++;
        if (i < t.n && tok_is(&t.v[i], "userspace"))
                i++;
        if (i + 2 > t.n || tok_uint(&t.v[i++], &nl) < 0 || nl < 1 || t.n - i != nl ||
            tok_word(&t.v[i], log_type) < 0)
                return -EBADMSG;
        if (strcmp(log_type, "disk") == 0 &&
            (nl != 3 || tok_dev(&t.v[i + 1], dev) < 0 || t.v[i + 2].len != 1 || !mirror_char_valid(t.v[i + 2].p[0])))
                return -EBADMSG;

        norm = toks_join(&t, 0, t.n);
        mem = dm_pool_create("tandem-dmh", 1024);
        if (!norm || !mem)
                return -ENOMEM;
        if (!dm_get_status_mirror(mem, norm, &ms) || !ms)
                return -EBADMSG;
        if (ms->dev_count != n || !ms->log_type || (strcmp(log_type, "disk") == 0 && ms->log_count != 1))
                return -EBADMSG;

        snprintf(s.level, sizeof s.level, "mirror");
        snprintf(s.log_type, sizeof s.log_type, "%s", log_type);
        s.legs = calloc(n, sizeof *s.legs);
        if (!s.legs)
                return -ENOMEM;
        s.n_legs = n;
        for (size_t k = 0; k < n; k++) {
                s.legs[k].state = (char) ms->devs[k].health;
                s.legs[k].dead = s.legs[k].state != 'A';
                snprintf(s.legs[k].dev, sizeof s.legs[k].dev, "%u:%u", ms->devs[k].major, ms->devs[k].minor);
                if (s.legs[k].dead)
                        s.n_dead++;
        }
        if (strcmp(log_type, "disk") == 0) {
                snprintf(s.log_dev, sizeof s.log_dev, "%u:%u", ms->logs[0].major, ms->logs[0].minor);
                s.log_state = (char) ms->logs[0].health;
        }
        s.sync_done = ms->insync_regions;
        s.sync_total = ms->total_regions;
        s.sync_percent = percent(s.sync_done, s.sync_total);
        mirror_verdict(&s);
        *ret = s;
        return 0;
}

/* ------------------------------------------------------------- multipath */

/* Reads a count at *i, and checks that at least count * per tokens follow. */
static int take_count(const struct toks *t, size_t *i, size_t per, unsigned *ret) {
        unsigned c;
        if (*i >= t->n || tok_uint(&t->v[*i], &c) < 0)
                return -EBADMSG;
        (*i)++;
        if (per > 0 && (t->n - *i) / per < c)
                return -EBADMSG;
        *ret = c;
        return 0;
}

static void multipath_verdict(struct dmh_status *s) {
        unsigned failed = (unsigned) s->n_paths - s->n_active_paths;

        if (s->n_paths == 0) {
                s->health = HEALTH_FAILED;
                say(s, "no paths");
        } else if (s->n_active_paths == 0) {
                s->health = HEALTH_FAILED;
                say(s, "all %zu paths failed", s->n_paths);
        } else if (failed > 0) {
                s->health = HEALTH_DEGRADED;
                say(s, "%u of %zu paths failed", failed, s->n_paths);
        } else {
                s->health = HEALTH_OK;
                say(s, "%zu of %zu paths active", s->n_paths, s->n_paths);
        }
        if (failed > 0 && s->n_paths > 0) {
                char list[DMH_REASON_MAX] = "";
                size_t len = 0;
                for (size_t k = 0; k < s->n_paths && len < sizeof list; k++) {
                        if (s->paths[k].active)
                                continue;
                        int r = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", s->paths[k].dev);
                        if (r < 0)
                                break;
                        len += (size_t) r;
                }
                say(s, "failed: %s", list);
        }
        for (size_t g = 0; g < s->n_groups; g++)
                if (s->groups[g].state == 'D')
                        say(s, "path group %zu disabled", g + 1);
        /* The flag is also up on a fresh map before its first I/O. */
        if (s->queueing && s->n_active_paths == 0)
                say(s, "I/O is being queued");
}

/* <#features> <features>... <#hw args> <hw args>... <#groups> <active group>
 * then per group: <state> <#selector args> <selector args>... <#paths>
 * <#path selector args>, then per path: <dev> <A|F> <fail count> <path
 * selector args>... In the kernel's status (not table) output the features
 * are "2 <queueing> <pg_init_count>" and the hardware handler "0". */
int dmh_multipath_status(const char *params, struct dmh_status *ret) {
        _cleanup_(toks_done) struct toks t = {};
        _cleanup_(dmh_status_done) struct dmh_status s = { .kind = DMH_MULTIPATH };
        unsigned nf, nh, ng, active;
        size_t i = 0;
        int r;

        if (!params || !ret)
                return -EINVAL;
        r = tokenize(params, &t);
        if (r < 0)
                return r;

        if (take_count(&t, &i, 1, &nf) < 0)
                return -EBADMSG;
        if (nf == 2) {
                unsigned q, pgi;
                if (tok_uint(&t.v[i], &q) < 0 || q > 1 || tok_uint(&t.v[i + 1], &pgi) < 0)
                        return -EBADMSG;
                s.queueing = q;
                s.pg_init_count = pgi;
        }
        i += nf;
        if (take_count(&t, &i, 1, &nh) < 0)
                return -EBADMSG;
        i += nh;
        /* A group takes 4 tokens at least: state, #args, #paths, #path args. */
        if (take_count(&t, &i, 4, &ng) < 0 || i >= t.n || tok_uint(&t.v[i++], &active) < 0 ||
            active > ng || (ng > 0 && active < 1))
                return -EBADMSG;
        s.active_group = active;
        if (ng > 0) {
                s.groups = calloc(ng, sizeof *s.groups);
                /* A path takes 3 tokens at least. */
                s.paths = calloc(t.n / 3 + 1, sizeof *s.paths);
                if (!s.groups || !s.paths)
                        return -ENOMEM;
        }
        for (unsigned g = 0; g < ng; g++) {
                struct dmh_group *grp = &s.groups[s.n_groups++];
                unsigned nsel, np, npa;

                if (i >= t.n || t.v[i].len != 1 || !strchr("AED", t.v[i].p[0]))
                        return -EBADMSG;
                grp->state = t.v[i++].p[0];
                if (take_count(&t, &i, 1, &nsel) < 0)
                        return -EBADMSG;
                i += nsel;
                if (take_count(&t, &i, 0, &np) < 0 || take_count(&t, &i, 0, &npa) < 0)
                        return -EBADMSG;
                /* np paths of 3 + npa tokens each must be there. */
                if (npa > t.n || (t.n - i) / (3 + (size_t) npa) < np)
                        return -EBADMSG;
                for (unsigned k = 0; k < np; k++) {
                        struct dmh_path *p = &s.paths[s.n_paths];
                        if (tok_dev(&t.v[i], p->dev) < 0 || t.v[i + 1].len != 1 ||
                            !strchr("AF", t.v[i + 1].p[0]) || tok_uint(&t.v[i + 2], &p->fail_count) < 0)
                                return -EBADMSG;
                        p->active = t.v[i + 1].p[0] == 'A';
                        p->group = g + 1;
                        s.n_paths++;
                        grp->n_paths++;
                        if (p->active) {
                                grp->n_active++;
                                s.n_active_paths++;
                        }
                        i += 3 + (size_t) npa;
                }
        }
        if (i != t.n)
                return -EBADMSG;
        multipath_verdict(&s);
        *ret = s;
        s = (struct dmh_status) {};
        return 0;
}

/* --------------------------------------------------------------- dispatch */

int dmh_target_status(const char *target_type, const char *params, struct dmh_status *ret) {
        if (!target_type || !params || !ret)
                return -EINVAL;
        switch (dmh_kind_from_target(target_type)) {
        case DMH_RAID:
                return dmh_raid_status(params, ret);
        case DMH_MIRROR:
                return dmh_mirror_status(params, ret);
        case DMH_MULTIPATH:
                return dmh_multipath_status(params, ret);
        default:
                return -EOPNOTSUPP;
        }
}

int dmh_status_line(const char *line, uint64_t *ret_start, uint64_t *ret_length, struct dmh_status *ret) {
        const char *p = line, *q;
        uint64_t v[2];
        char type[DMH_WORD_MAX];

        if (!line || !ret)
                return -EINVAL;
        /* "start length type " then the params, up to an optional newline. */
        for (int k = 0; k < 2; k++) {
                q = strchr(p, ' ');
                if (!q || tok_u64_span(p, (size_t) (q - p), &v[k]) < 0)
                        return -EBADMSG;
                p = q + 1;
        }
        q = strchr(p, ' ');
        if (!q)
                return -EBADMSG;
        struct tok tt = { .p = p, .len = (size_t) (q - p) };
        if (tok_word(&tt, type) < 0)
                return -EBADMSG;
        p = q + 1;
        size_t len = strlen(p);
        if (len > 0 && p[len - 1] == '\n')
                len--;
        _cleanup_free_ char *params = strndup(p, len);
        if (!params)
                return -ENOMEM;
        int r = dmh_target_status(type, params, ret);
        if (r < 0)
                return r;
        if (ret_start)
                *ret_start = v[0];
        if (ret_length)
                *ret_length = v[1];
        return 0;
}

/* ------------------------------------------------------------------ JSON */

static struct json_object *json_char(char c) {
        char s[2] = { c, 0 };
        return json_object_new_string(s);
}

struct json_object *dmh_status_to_json(const struct dmh_status *s) {
        struct json_object *o, *a;

        if (!s)
                return NULL;
        o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "target", json_object_new_string(dmh_kind_to_string(s->kind) ?: "?"));
        json_object_object_add(o, "health", json_object_new_string(health_to_string(s->health) ?: "?"));
        json_object_object_add(o, "reason", json_object_new_string(s->reason));
        switch (s->kind) {
        case DMH_RAID:
        case DMH_MIRROR:
                if (s->kind == DMH_RAID) {
                        json_object_object_add(o, "raid_type", json_object_new_string(s->level));
                        json_object_object_add(o, "sync_action", json_object_new_string(s->sync_action));
                        json_object_object_add(o, "mismatches", json_object_new_uint64(s->mismatches));
                } else {
                        json_object_object_add(o, "log_type", json_object_new_string(s->log_type));
                        if (s->log_state) {
                                json_object_object_add(o, "log_device", json_object_new_string(s->log_dev));
                                json_object_object_add(o, "log_state", json_char(s->log_state));
                        }
                }
                json_object_object_add(o, "sync_done", json_object_new_uint64(s->sync_done));
                json_object_object_add(o, "sync_total", json_object_new_uint64(s->sync_total));
                json_object_object_add(o, "sync_percent", json_object_new_int(s->sync_percent));
                json_object_object_add(o, "dead_legs", json_object_new_int((int) s->n_dead));
                a = json_object_new_array();
                for (size_t i = 0; i < s->n_legs && a; i++) {
                        struct json_object *l = json_object_new_object();
                        if (!l)
                                break;
                        json_object_object_add(l, "index", json_object_new_int((int) i));
                        if (s->legs[i].dev[0])
                                json_object_object_add(l, "device", json_object_new_string(s->legs[i].dev));
                        json_object_object_add(l, "state", json_char(s->legs[i].state));
                        json_object_object_add(l, "dead", json_object_new_boolean(s->legs[i].dead));
                        json_object_array_add(a, l);
                }
                json_object_object_add(o, "legs", a);
                break;
        case DMH_MULTIPATH:
                json_object_object_add(o, "queueing", json_object_new_boolean(s->queueing));
                json_object_object_add(o, "active_group", json_object_new_int((int) s->active_group));
                json_object_object_add(o, "active_paths", json_object_new_int((int) s->n_active_paths));
                a = json_object_new_array();
                for (size_t g = 0; g < s->n_groups && a; g++) {
                        struct json_object *j = json_object_new_object(), *pa;
                        if (!j)
                                break;
                        json_object_object_add(j, "group", json_object_new_int((int) g + 1));
                        json_object_object_add(j, "state", json_char(s->groups[g].state));
                        pa = json_object_new_array();
                        for (size_t k = 0; k < s->n_paths && pa; k++) {
                                const struct dmh_path *p = &s->paths[k];
                                if (p->group != g + 1)
                                        continue;
                                struct json_object *jp = json_object_new_object();
                                if (!jp)
                                        break;
                                json_object_object_add(jp, "device", json_object_new_string(p->dev));
                                json_object_object_add(jp, "state",
                                                       json_object_new_string(p->active ? "active" : "failed"));
                                json_object_object_add(jp, "fail_count", json_object_new_int64(p->fail_count));
                                json_object_array_add(pa, jp);
                        }
                        json_object_object_add(j, "paths", pa);
                        json_object_array_add(a, j);
                }
                json_object_object_add(o, "groups", a);
                break;
        default:
                break;
        }
        return o;
}
