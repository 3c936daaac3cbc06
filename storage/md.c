/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* md sysfs values and the verdict on them (Documentation/admin-guide/md.rst,
 * drivers/md/md.c *_show()). Pure: no I/O here. Every parser works on
 * (pointer, length) and never reads past it. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/macro.h"
#include "tandem/md.h"

static const char *const level_table[_MD_LEVEL_MAX] = {
        [MD_LEVEL_NONE] = "",
        [MD_LEVEL_LINEAR] = "linear",
        [MD_LEVEL_RAID0] = "raid0",
        [MD_LEVEL_RAID1] = "raid1",
        [MD_LEVEL_RAID4] = "raid4",
        [MD_LEVEL_RAID5] = "raid5",
        [MD_LEVEL_RAID6] = "raid6",
        [MD_LEVEL_RAID10] = "raid10",
        [MD_LEVEL_MULTIPATH] = "multipath",
        [MD_LEVEL_FAULTY] = "faulty",
        [MD_LEVEL_CONTAINER] = "container",
};

static const char *const array_state_table[_MD_ARRAY_STATE_MAX] = {
        [MD_ARRAY_CLEAR] = "clear",
        [MD_ARRAY_INACTIVE] = "inactive",
        [MD_ARRAY_SUSPENDED] = "suspended",
        [MD_ARRAY_READONLY] = "readonly",
        [MD_ARRAY_READ_AUTO] = "read-auto",
        [MD_ARRAY_CLEAN] = "clean",
        [MD_ARRAY_ACTIVE] = "active",
        [MD_ARRAY_WRITE_PENDING] = "write-pending",
        [MD_ARRAY_ACTIVE_IDLE] = "active-idle",
        [MD_ARRAY_BROKEN] = "broken",
};

static const char *const sync_action_table[_MD_SYNC_ACTION_MAX] = {
        [MD_SYNC_IDLE] = "idle",
        [MD_SYNC_RESYNC] = "resync",
        [MD_SYNC_RECOVER] = "recover",
        [MD_SYNC_CHECK] = "check",
        [MD_SYNC_REPAIR] = "repair",
        [MD_SYNC_RESHAPE] = "reshape",
        [MD_SYNC_FROZEN] = "frozen",
};

static const char *const file_table[_MD_FILE_MAX] = {
        [MD_FILE_LEVEL] = "level",
        [MD_FILE_RAID_DISKS] = "raid_disks",
        [MD_FILE_ARRAY_STATE] = "array_state",
        [MD_FILE_DEGRADED] = "degraded",
        [MD_FILE_SYNC_ACTION] = "sync_action",
        [MD_FILE_SYNC_COMPLETED] = "sync_completed",
        [MD_FILE_MISMATCH_CNT] = "mismatch_cnt",
};

static const struct {
        const char *word;
        unsigned flag;
} dev_flag_table[] = {
        { "faulty", MD_DEV_FAULTY },
        { "in_sync", MD_DEV_IN_SYNC },
        { "journal", MD_DEV_JOURNAL },
        { "write_mostly", MD_DEV_WRITE_MOSTLY },
        { "writemostly", MD_DEV_WRITE_MOSTLY },
        { "blocked", MD_DEV_BLOCKED },
        { "spare", MD_DEV_SPARE },
        { "write_error", MD_DEV_WRITE_ERROR },
        { "want_replacement", MD_DEV_WANT_REPLACEMENT },
        { "replacement", MD_DEV_REPLACEMENT },
        { "external_bbl", MD_DEV_EXTERNAL_BBL },
        { "failfast", MD_DEV_FAILFAST },
};

const char *md_level_to_string(enum md_level l) {
        return l >= 0 && l < _MD_LEVEL_MAX ? level_table[l] : NULL;
}

const char *md_array_state_to_string(enum md_array_state a) {
        return a >= 0 && a < _MD_ARRAY_STATE_MAX ? array_state_table[a] : NULL;
}

const char *md_sync_action_to_string(enum md_sync_action a) {
        return a >= 0 && a < _MD_SYNC_ACTION_MAX ? sync_action_table[a] : NULL;
}

const char *md_file_to_string(enum md_file f) {
        return f >= 0 && f < _MD_FILE_MAX ? file_table[f] : NULL;
}

/* The value without its one trailing newline; -EBADMSG for a NUL or any
 * other control character inside, which sysfs values never have. */
static int value(const char *s, size_t n, size_t *ret_len) {
        if (!s && n > 0)
                return -EBADMSG;
        if (n > 0 && s[n - 1] == '\n')
                n--;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] == 0x7f)
                        return -EBADMSG;
        *ret_len = n;
        return 0;
}

static bool word_eq(const char *s, size_t n, const char *word) {
        return strlen(word) == n && (n == 0 || memcmp(s, word, n) == 0);
}

/* Looks s[0..n) up in a table of words; returns the index or -EBADMSG. */
static int lookup(const char *s, size_t n, const char *const *table, size_t m) {
        for (size_t i = 0; i < m; i++)
                if (table[i] && word_eq(s, n, table[i]))
                        return (int) i;
        return -EBADMSG;
}

/* Decimal digits only (what the kernel's %d/%llu print for values >= 0);
 * returns the number of digits used, or -EBADMSG for none or overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *ret) {
        uint64_t v = 0;
        size_t i = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        if (i == 0 || i > 64)
                return -EBADMSG;
        *ret = v;
        return (int) i;
}

/* The whole of s[0..n) as one number no larger than max. */
static int parse_whole(const char *s, size_t n, uint64_t max, uint64_t *ret) {
        uint64_t v;
        int r = parse_u64(s, n, &v);
        if (r < 0)
                return r;
        if ((size_t) r != n || v > max)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int md_parse_level(const char *s, size_t n, enum md_level *ret) {
        size_t len;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        r = lookup(s, len, level_table, _MD_LEVEL_MAX);
        if (r >= 0) {
                *ret = (enum md_level) r;
                return 0;
        }
        /* No personality yet: md prints mddev->level as a number. */
        static const struct {
                const char *num;
                enum md_level level;
        } numbers[] = {
                { "-1", MD_LEVEL_LINEAR }, { "-4", MD_LEVEL_MULTIPATH }, { "-5", MD_LEVEL_FAULTY },
                { "0", MD_LEVEL_RAID0 },   { "1", MD_LEVEL_RAID1 },      { "4", MD_LEVEL_RAID4 },
                { "5", MD_LEVEL_RAID5 },   { "6", MD_LEVEL_RAID6 },      { "10", MD_LEVEL_RAID10 },
        };
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
                if (word_eq(s, len, numbers[i].num)) {
                        *ret = numbers[i].level;
                        return 0;
                }
        return -EBADMSG;
}

int md_parse_raid_disks(const char *s, size_t n, unsigned *ret, unsigned *ret_old) {
        size_t len;
        uint64_t v, old;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        r = parse_u64(s, len, &v);
        if (r < 0 || v > INT32_MAX)
                return -EBADMSG;
        size_t i = (size_t) r;
        if (i == len)
                old = v;
        else {
                /* "%d (%d)": raid_disks, then the count before the reshape */
                if (len - i < 4 || s[i] != ' ' || s[i + 1] != '(' || s[len - 1] != ')')
                        return -EBADMSG;
                if (parse_whole(s + i + 2, len - i - 3, INT32_MAX, &old) < 0)
                        return -EBADMSG;
        }
        *ret = (unsigned) v;
        if (ret_old)
                *ret_old = (unsigned) old;
        return 0;
}

int md_parse_array_state(const char *s, size_t n, enum md_array_state *ret) {
        size_t len;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        r = lookup(s, len, array_state_table, _MD_ARRAY_STATE_MAX);
        if (r < 0)
                return r;
        *ret = (enum md_array_state) r;
        return 0;
}

int md_parse_degraded(const char *s, size_t n, unsigned *ret) {
        size_t len;
        uint64_t v;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        r = parse_whole(s, len, INT32_MAX, &v);
        if (r < 0)
                return r;
        *ret = (unsigned) v;
        return 0;
}

int md_parse_sync_action(const char *s, size_t n, enum md_sync_action *ret) {
        size_t len;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        r = lookup(s, len, sync_action_table, _MD_SYNC_ACTION_MAX);
        if (r < 0)
                return r;
        *ret = (enum md_sync_action) r;
        return 0;
}

int md_parse_sync_completed(const char *s, size_t n, struct md_progress *ret) {
        size_t len;
        uint64_t done, total;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        if (word_eq(s, len, "none")) {
                *ret = (struct md_progress) { .kind = MD_PROGRESS_NONE };
                return 0;
        }
        if (word_eq(s, len, "delayed")) {
                *ret = (struct md_progress) { .kind = MD_PROGRESS_DELAYED };
                return 0;
        }
        /* "%llu / %llu" */
        r = parse_u64(s, len, &done);
        if (r < 0)
                return r;
        size_t i = (size_t) r;
        if (len - i < 4 || memcmp(s + i, " / ", 3) != 0)
                return -EBADMSG;
        r = parse_whole(s + i + 3, len - i - 3, UINT64_MAX, &total);
        if (r < 0)
                return r;
        if (total == 0 || done > total)
                return -EBADMSG;
        *ret = (struct md_progress) { .kind = MD_PROGRESS_RUNNING, .done = done, .total = total };
        return 0;
}

int md_parse_mismatch_cnt(const char *s, size_t n, uint64_t *ret) {
        size_t len;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        return parse_whole(s, len, UINT64_MAX, ret);
}

int md_parse_dev_state(const char *s, size_t n, unsigned *ret) {
        size_t len;
        unsigned flags = 0;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        if (len == 0) {
                /* the kernel prints an empty list as just "\n" */
                *ret = 0;
                return 0;
        }
        for (size_t i = 0; i <= len;) {
                const char *comma = memchr(s + i, ',', len - i);
                size_t end = comma ? (size_t) (comma - s) : len;
                bool found = false;
                for (size_t k = 0; k < ELEMENTSOF(dev_flag_table); k++)
                        if (word_eq(s + i, end - i, dev_flag_table[k].word)) {
                                flags |= dev_flag_table[k].flag;
                                found = true;
                                break;
                        }
                if (!found)
                        return -EBADMSG; /* unknown word, empty item, stray space */
                i = end + 1;
        }
        *ret = flags;
        return 0;
}

int md_parse_dev_slot(const char *s, size_t n, int *ret) {
        size_t len;
        uint64_t v;
        int r = value(s, n, &len);
        if (r < 0)
                return r;
        if (word_eq(s, len, "none")) {
                *ret = MD_SLOT_NONE;
                return 0;
        }
        if (word_eq(s, len, "journal")) {
                *ret = MD_SLOT_JOURNAL;
                return 0;
        }
        r = parse_whole(s, len, INT32_MAX, &v);
        if (r < 0)
                return r;
        *ret = (int) v;
        return 0;
}

int md_progress_percent(const struct md_progress *p) {
        if (!p || p->kind != MD_PROGRESS_RUNNING || p->total == 0 || p->done > p->total)
                return -EINVAL;
        /* done * 100 may overflow for huge counts: divide first then */
        if (p->done > UINT64_MAX / 100)
                return (int) (p->done / (p->total / 100 ? p->total / 100 : 1));
        return (int) (p->done * 100 / p->total);
}

int md_level_min_working(enum md_level level, unsigned raid_disks) {
        int n = raid_disks > INT32_MAX ? INT32_MAX : (int) raid_disks;
        switch (level) {
        case MD_LEVEL_LINEAR:
        case MD_LEVEL_RAID0:
                return n;
        case MD_LEVEL_RAID1:
        case MD_LEVEL_MULTIPATH:
        case MD_LEVEL_FAULTY:
                return n > 0 ? 1 : 0;
        case MD_LEVEL_RAID4:
        case MD_LEVEL_RAID5:
                return n > 1 ? n - 1 : n;
        case MD_LEVEL_RAID6:
                return n > 2 ? n - 2 : n;
        case MD_LEVEL_RAID10:
                return (n + 1) / 2; /* 2 copies; the layout is not read */
        default:
                return -EINVAL;
        }
}

bool md_level_is_redundant(enum md_level level) {
        switch (level) {
        case MD_LEVEL_RAID1:
        case MD_LEVEL_RAID4:
        case MD_LEVEL_RAID5:
        case MD_LEVEL_RAID6:
        case MD_LEVEL_RAID10:
                return true;
        default:
                return false;
        }
}

/* The reason, built up in parts joined by "; ", truncated to fit. */
struct reason {
        char *buf;
        size_t n, len;
};

_printf_(2, 3) static void say(struct reason *r, const char *fmt, ...) {
        if (!r->buf || r->n == 0)
                return;
        const char *sep = r->len > 0 ? "; " : "";
        va_list ap;
        if (r->len + 1 < r->n) {
                int k = snprintf(r->buf + r->len, r->n - r->len, "%s", sep);
                if (k > 0)
                        r->len += (size_t) k;
        }
        if (r->len + 1 < r->n) {
                va_start(ap, fmt);
                int k = vsnprintf(r->buf + r->len, r->n - r->len, fmt, ap);
                va_end(ap);
                if (k > 0)
                        r->len += (size_t) k;
        }
        if (r->len >= r->n)
                r->len = r->n - 1;
}

static const char *errno_words(int err) {
        switch (err) {
        case -ENOENT:
                return "missing";
        case -EBADMSG:
                return "not understood";
        default:
                return strerror(err < 0 ? -err : err);
        }
}

static enum health verdict(const struct md_status *s, struct reason *r) {
        int e = s->err[MD_FILE_ARRAY_STATE];
        if (e < 0) {
                say(r, "array_state %s", errno_words(e));
                return HEALTH_UNKNOWN;
        }
        switch (s->array_state) {
        case MD_ARRAY_CLEAR:
                say(r, "array %s: not set up", array_state_table[s->array_state]);
                return HEALTH_FAILED;
        case MD_ARRAY_INACTIVE:
                say(r, "array inactive: assembled but not started");
                return HEALTH_FAILED;
        case MD_ARRAY_SUSPENDED:
                say(r, "array suspended: I/O blocked");
                return HEALTH_FAILED;
        case MD_ARRAY_BROKEN:
                say(r, "array broken: a member is missing");
                return HEALTH_FAILED;
        case MD_ARRAY_READONLY:
        case MD_ARRAY_READ_AUTO:
        case MD_ARRAY_CLEAN:
        case MD_ARRAY_ACTIVE:
        case MD_ARRAY_WRITE_PENDING:
        case MD_ARRAY_ACTIVE_IDLE:
                break;
        default:
                say(r, "array_state not understood");
                return HEALTH_UNKNOWN;
        }

        /* Every value the verdict stands on must have been read. */
        for (enum md_file f = MD_FILE_LEVEL; f <= MD_FILE_RAID_DISKS; f++)
                if (s->err[f] < 0) {
                        say(r, "%s %s", file_table[f], errno_words(s->err[f]));
                        return HEALTH_UNKNOWN;
                }
        if (s->level < 0 || s->level >= _MD_LEVEL_MAX) {
                say(r, "level not understood");
                return HEALTH_UNKNOWN;
        }
        const char *level = level_table[s->level];
        int need = md_level_min_working(s->level, s->raid_disks);
        if (need < 0) {
                say(r, "level \"%s\" has no data of its own", level);
                return HEALTH_UNKNOWN;
        }
        bool redundant = md_level_is_redundant(s->level);
        if (redundant)
                for (enum md_file f = MD_FILE_DEGRADED; f < _MD_FILE_MAX; f++)
                        if (s->err[f] < 0) {
                                say(r, "%s %s", file_table[f], errno_words(s->err[f]));
                                return HEALTH_UNKNOWN;
                        }
        if (s->members_err < 0) {
                say(r, "members: %s", errno_words(s->members_err));
                return HEALTH_UNKNOWN;
        }
        if (s->n_members > 0 && !s->members) {
                say(r, "members missing");
                return HEALTH_UNKNOWN;
        }

        unsigned working = 0, spares = 0;
        for (size_t i = 0; i < s->n_members; i++) {
                const struct md_member *m = s->members + i;
                if (m->state_err < 0 || m->slot_err < 0) {
                        say(r, "member %.*s: %s %s", MD_NAME_MAX, m->name,
                            m->state_err < 0 ? "state" : "slot",
                            errno_words(m->state_err < 0 ? m->state_err : m->slot_err));
                        return HEALTH_UNKNOWN;
                }
                if ((m->flags & (MD_DEV_IN_SYNC | MD_DEV_FAULTY | MD_DEV_JOURNAL | MD_DEV_REPLACEMENT)) ==
                            MD_DEV_IN_SYNC &&
                    m->slot >= 0)
                        working++;
                else if ((m->flags & (MD_DEV_SPARE | MD_DEV_FAULTY)) == MD_DEV_SPARE)
                        spares++;
        }

        enum health h = HEALTH_OK;
        /* Faulty members first: the words an operator acts on. */
        for (size_t i = 0; i < s->n_members; i++) {
                const struct md_member *m = s->members + i;
                if (m->flags & MD_DEV_FAULTY) {
                        say(r, "member %.*s faulty", MD_NAME_MAX, m->name);
                        h = health_worst(h, HEALTH_DEGRADED);
                } else if (m->flags & MD_DEV_WANT_REPLACEMENT)
                        say(r, "member %.*s wants replacement", MD_NAME_MAX, m->name);
                if (m->flags & (MD_DEV_BLOCKED | MD_DEV_WRITE_ERROR) && !(m->flags & MD_DEV_FAULTY)) {
                        say(r, "member %.*s %s", MD_NAME_MAX, m->name,
                            m->flags & MD_DEV_BLOCKED ? "blocked" : "had write errors");
                        h = health_worst(h, HEALTH_DEGRADED);
                }
        }

        say(r, "%s %s, %u of %u in sync", level, array_state_table[s->array_state], working, s->raid_disks);
        if (working < (unsigned) need) {
                say(r, "%s needs %d", level, need);
                return HEALTH_FAILED;
        }
        if (redundant && s->degraded > 0) {
                say(r, "degraded (%u missing)", s->degraded);
                h = health_worst(h, HEALTH_DEGRADED);
        } else if (working < s->raid_disks) {
                h = health_worst(h, HEALTH_DEGRADED);
        }
        if (spares > 0 && !(redundant && s->sync_action == MD_SYNC_RECOVER))
                say(r, "%u spare%s", spares, spares == 1 ? "" : "s");

        if (redundant) {
                static const char *const words[_MD_SYNC_ACTION_MAX] = {
                        [MD_SYNC_RESYNC] = "resync",   [MD_SYNC_RECOVER] = "recovery",
                        [MD_SYNC_CHECK] = "check",     [MD_SYNC_REPAIR] = "repair",
                        [MD_SYNC_RESHAPE] = "reshape",
                };
                enum md_sync_action a = s->sync_action;
                if (a < 0 || a >= _MD_SYNC_ACTION_MAX) {
                        say(r, "sync_action not understood");
                        return HEALTH_UNKNOWN;
                }
                if (a == MD_SYNC_FROZEN)
                        say(r, "sync frozen");
                else if (words[a]) {
                        int pct = md_progress_percent(&s->sync_completed);
                        if (pct >= 0)
                                say(r, "%s %d%%", words[a], pct);
                        else if (s->sync_completed.kind == MD_PROGRESS_DELAYED)
                                say(r, "%s delayed", words[a]);
                        else
                                say(r, "%s starting", words[a]);
                        if (a == MD_SYNC_RESYNC || a == MD_SYNC_RECOVER || a == MD_SYNC_RESHAPE)
                                h = health_worst(h, HEALTH_DEGRADED);
                }
                if (s->mismatch_cnt > 0)
                        say(r, "mismatch_cnt %" PRIu64 "%s", s->mismatch_cnt,
                            a == MD_SYNC_CHECK || a == MD_SYNC_REPAIR ? " so far" : " (from the last sync)");
        }

        if (s->array_state == MD_ARRAY_READONLY) {
                say(r, "read-only: writes are refused");
                return HEALTH_FAILED;
        }
        if (s->array_state == MD_ARRAY_READ_AUTO)
                say(r, "read-auto: read-only until the first write");
        return h;
}

enum health md_verdict(const struct md_status *s, char *reason, size_t n) {
        struct reason r = { .buf = reason, .n = n };
        if (reason && n > 0)
                reason[0] = '\0';
        if (!s) {
                say(&r, "no status");
                return HEALTH_UNKNOWN;
        }
        return verdict(s, &r);
}

void md_status_done(struct md_status *s) {
        if (!s)
                return;
        free(s->members);
        *s = (struct md_status) {};
}
