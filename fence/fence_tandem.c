/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fence_tandem: the Pacemaker fence agent (fence-agent API: key=value lines
 * on stdin or long options, XML metadata, on/off/status/monitor/list/
 * metadata/validate-all). A thin main over fence/fa-stdin.c (the input) and
 * fence/fence.c (the fencing). See fence_tandem(8). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tandem/fence-report.h"
#include "tandem/cli.h"
#include "tandem/msgid.h"
#include "tandem/fa-meta.h"
#include "tandem/fa-stdin.h"
#include "tandem/fence.h"
#include "tandem/group.h"
#include "tandem/key.h"
#include "tandem/util.h"

/* Exit codes of the fence-agent API. */
enum {
        FA_EXIT_OK = 0,
        FA_EXIT_ERROR = 1,
        FA_EXIT_OFF = 2,        /* status: the node's key is not registered */
};

/* journal MESSAGE_IDs for fence events (the same as tandem-fence's) */

#define DEFAULT_IO_TIMEOUT (10 * USEC_PER_SEC)

/* Everything an action needs, resolved from the request and the config. */
struct target {
        const char *cluster;
        const char *local;              /* this node's name */
        uint64_t local_key;             /* 0: unknown */
        const char *plug;               /* the node acted on, as given */
        uint64_t plug_key;              /* 0: no plug */
        char *const *devices;
        size_t n_devices;
        const char *initiator;
        enum pr_type type;
        unsigned flags;
        usec_t timeout;
        const struct cfg_group *g;      /* or NULL */
};

static void usage(FILE *f) {
        fputs("Usage: fence_tandem [OPTIONS]            (parameters as options)\n"
              "       fence_tandem < PARAMETERS          (name=value lines on stdin, as Pacemaker passes them)\n"
              "\n"
              "SCSI-3 persistent-reservation fence agent for Pacemaker and tandem pairs.\n"
              "\n"
              "Actions (-o, --action; default off):\n"
              "  on            unfence: register this node's key (plug must be this node)\n"
              "  off           fence plug: preempt its key, then verify it is gone everywhere\n"
              "  status        0 if plug's key is registered on every device, 2 if not, 1 on error\n"
              "  monitor       0 if every device answers READ KEYS\n"
              "  list          the registered keys, as \"key,node\" lines\n"
              "  metadata      the agent's XML metadata\n"
              "  validate-all  check the parameters without touching the devices\n"
              "\n"
              "Options:\n"
              "  -o, --action=ACTION      the action\n"
              "  -n, --plug=NODE          the node to act on (a name, or its key as 0x...); also --port\n"
              "  -d, --devices=DEVS       fence devices, comma or space separated\n"
              "  -g, --group=GROUP        read /etc/tandem/GROUP.conf\n"
              "  -c, --config=FILE        read FILE instead\n"
              "  -k, --key=KEY            this node's key (0x...)\n"
              "      --cluster=NAME       cluster name for deriving keys from node names\n"
              "      --nodename=NODE      this node's name (default: the config's, else the host name)\n"
              "  -i, --initiator=IQN      iSCSI initiator name for iscsi:// devices\n"
              "      --type=TYPE          reservation type (default write-exclusive-registrants-only)\n"
              "  -a, --aptpl              register with APTPL\n"
              "      --io-timeout=SECS    timeout of each device command (default 10)\n"
              "      --delay=SECS         wait before off\n"
              "      --power-wait=SECS    wait after on and off\n"
              "  -v, --verbose            log more (debug)\n"
              "  -D, --debug-file=FILE    append the log to FILE\n"
              "  -h, --help               show this help and exit\n"
              "  -V, --version            show the version and exit\n"
              "\n"
              "Exit status: 0 done (status: on), 1 failed or invalid, 2 status: off.\n"
              "See fence_tandem(8).\n",
              f);
}

/* Reads all of stdin, up to FA_INPUT_MAX + 1 bytes (one more tells the
 * parser the input is too long). */
static int read_stdin(char **ret, size_t *ret_len) {
        size_t cap = FA_INPUT_MAX + 1, n = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        while (n < cap) {
                size_t k = fread(buf + n, 1, cap - n, stdin);
                n += k;
                if (k == 0) {
                        if (ferror(stdin))
                                return -EIO;
                        break;
                }
        }
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

/* Logs the fence report: every step, with the device and keys as journal fields. */
static void log_report(const struct fence *f, const char *action, const struct target *t) {
        char pb[KEY_STRING_MAX];
        const struct log_field extra[] = {
                { "TANDEM_PLUG", t->plug ? t->plug : "" },
                { "TANDEM_PLUG_KEY", t->plug_key ? key_format(t->plug_key, pb) : "" },
        };
        /* The agent's stdout belongs to Pacemaker: people read the log. */
        fence_report_log(f, action, extra, ELEMENTSOF(extra), true);
}

/* Names a key for list: the node it belongs to, where known. */
static const char *key_alias(const struct target *t, uint64_t k) {
        if (t->local_key && k == t->local_key)
                return t->local;
        if (t->g && t->g->cluster.peer && t->g->fence.peer_key == k)
                return t->g->cluster.peer;
        if (t->plug_key && k == t->plug_key && t->plug && strncasecmp(t->plug, "0x", 2) != 0)
                return t->plug;
        return "";
}

/* After off: the victim is out, but its writes are rejected only while a
 * registrants-only reservation is held. Where nobody holds one, reserve it
 * with our key (this session is bound by fence_preempt), then check, on
 * every device, that a reservation is held and not by the victim. */
static int do_status(struct fence *f, const struct target *t) {
        struct fence_dev_status *st = calloc(f->n ? f->n : 1, sizeof *st);
        char kb[KEY_STRING_MAX];
        size_t missing = 0;
        if (!st)
                return log_error_errno(ENOMEM, "status"), FA_EXIT_ERROR;
        int r = fence_status(f, st);
        for (size_t i = 0; i < f->n; i++) {
                if (st[i].error < 0)
                        continue;
                if (!st[i].registered)
                        missing++;
                log_debug("status %s: %s %s registered", st[i].device, key_format(t->plug_key, kb),
                          st[i].registered ? "is" : "is not");
        }
        fence_dev_status_done(st, f->n);
        free(st);
        if (r < 0) {
                log_report(f, "status", t);
                log_error("status %s: some devices could not be read", t->plug);
                return FA_EXIT_ERROR;
        }
        if (missing > 0) {
                printf("Status: OFF\n");
                log_info("status %s: key %s missing on %zu of %zu devices", t->plug, key_format(t->plug_key, kb),
                         missing, f->n);
                return FA_EXIT_OFF;
        }
        printf("Status: ON\n");
        return FA_EXIT_OK;
}

/* monitor and list: READ KEYS on every device. */
static int do_read_keys(struct fence *f, const struct target *t, bool print) {
        uint64_t *seen = NULL;
        size_t n_seen = 0;
        char kb[KEY_STRING_MAX], buf[160];
        int ret = FA_EXIT_OK;
        for (size_t i = 0; i < f->n; i++) {
                struct pr_keys keys = {};
                struct pr_status st;
                int r = pr_read_keys(f->devs[i], &keys, &st);
                if (r < 0) {
                        log_error("%s: READ KEYS: %s", f->devs[i]->name, pr_status_describe(&st, r, buf, sizeof buf));
                        ret = FA_EXIT_ERROR;
                        continue;
                }
                log_debug("%s: answers; %u keys, generation %u", f->devs[i]->name, keys.n_keys, keys.generation);
                for (uint32_t k = 0; k < keys.n_keys; k++) {
                        bool dup = false;
                        for (size_t j = 0; j < n_seen && !dup; j++)
                                dup = seen[j] == keys.keys[k];
                        uint64_t *ns = dup ? seen : realloc(seen, (n_seen + 1) * sizeof *ns);
                        if (!ns) {
                                ret = FA_EXIT_ERROR;
                                break;
                        }
                        seen = ns;
                        if (!dup)
                                seen[n_seen++] = keys.keys[k];
                }
                pr_keys_done(&keys);
        }
        if (print && ret == FA_EXIT_OK)
                for (size_t j = 0; j < n_seen; j++)
                        printf("%s,%s\n", key_format(seen[j], kb), key_alias(t, seen[j]));
        free(seen);
        return ret;
}

/* Fills *t from the request and the config (g, or NULL). Logs every problem,
 * naming the parameter. Returns 0 or -EINVAL. */
static int resolve(const struct fa_request *req, const struct cfg_group *g, char *host, struct target *t) {
        char kb[KEY_STRING_MAX], pb[KEY_STRING_MAX];
        int ret = 0;

        *t = (struct target) { .g = g, .plug = req->plug };
        t->cluster = req->cluster ? req->cluster : g ? g->cluster.name : NULL;
        if (req->cluster && g && g->cluster.name && strcmp(req->cluster, g->cluster.name) != 0) {
                log_error("cluster: '%s' differs from %s's cluster name '%s'", req->cluster, g->path, g->cluster.name);
                ret = -EINVAL;
        }
        bool cfg_node = g && g->cluster.node && g->cluster.node_source == CFG_SOURCE_FILE;
        if (req->nodename && cfg_node && strcmp(req->nodename, g->cluster.node) != 0) {
                log_error("nodename: Pacemaker calls this node '%s', but %s says node = %s", req->nodename, g->path,
                          g->cluster.node);
                ret = -EINVAL;
        }
        t->local = req->nodename ? req->nodename : g && g->cluster.node ? g->cluster.node : host;

        if (req->key)
                t->local_key = req->key;
        else if (g && g->fence.present && g->fence.key_source != CFG_SOURCE_DERIVED && g->fence.key &&
                 (!req->nodename || !g->cluster.node || strcmp(req->nodename, g->cluster.node) == 0))
                t->local_key = g->fence.key;
        else if (t->cluster && t->local && *t->local)
                t->local_key = key_derive(t->cluster, t->local);

        if (req->plug && strncasecmp(req->plug, "0x", 2) == 0)
                (void) key_parse(req->plug, &t->plug_key);      /* checked by the parser */
        else if (req->plug && t->local && strcmp(req->plug, t->local) == 0)
                t->plug_key = t->local_key;
        else if (req->plug && g && g->cluster.peer && strcmp(req->plug, g->cluster.peer) == 0 && g->fence.peer_key)
                t->plug_key = g->fence.peer_key;
        else if (req->plug && t->cluster)
                t->plug_key = key_derive(t->cluster, req->plug);

        if (fa_action_needs_plug(req->action) && !t->plug_key) {
                log_error("plug: cannot tell the key of '%s': give cluster= (or group=/config=), or plug=0x...",
                          req->plug);
                ret = -EINVAL;
        }
        if ((req->action == FA_ACTION_ON || req->action == FA_ACTION_OFF || req->action == FA_ACTION_VALIDATE_ALL) &&
            !t->local_key) {
                log_error("key: cannot tell this node's key: give key=, or cluster= with nodename= (or the host "
                          "name), or group=/config=");
                ret = -EINVAL;
        }
        if (req->action == FA_ACTION_ON && t->plug_key && t->local_key && t->plug_key != t->local_key) {
                log_error("plug: '%s' (%s) is not this node '%s' (%s): on (unfence) registers this node's own key "
                          "and runs on the node itself",
                          req->plug, key_format(t->plug_key, kb), t->local ? t->local : "?",
                          key_format(t->local_key, pb));
                ret = -EINVAL;
        }
        if (req->action == FA_ACTION_OFF && t->plug_key && t->plug_key == t->local_key) {
                log_error("plug: '%s' is this node (key %s): a node cannot fence itself with persistent reservations",
                          req->plug, key_format(t->plug_key, kb));
                ret = -EINVAL;
        }

        t->devices = req->n_devices ? req->devices : g ? g->fence.devices : NULL;
        t->n_devices = req->n_devices ? req->n_devices : g ? g->fence.n_devices : 0;
        if (fa_action_needs_devices(req->action) && t->n_devices == 0) {
                log_error("devices: none given, and %s has no [fence] devices", g ? g->path : "no config");
                ret = -EINVAL;
        }
        t->initiator = req->initiator ? req->initiator : g ? g->fence.initiator : NULL;
        for (size_t i = 0; i < t->n_devices && !t->initiator; i++)
                if (strncmp(t->devices[i], "iscsi://", 8) == 0) {
                        log_error("initiator: required for the iSCSI device %s", t->devices[i]);
                        ret = -EINVAL;
                        break;
                }
        t->type = req->type_set ? req->type : g && g->fence.present ? g->fence.type
                                                                    : PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY;
        t->flags = (req->aptpl_set ? req->aptpl : g && g->fence.aptpl) ? PR_FLAG_APTPL : 0;
        t->timeout = req->timeout ? req->timeout : g && g->fence.present && g->fence.timeout ? g->fence.timeout
                                                                                              : DEFAULT_IO_TIMEOUT;
        return ret;
}

/* Opens every device and sets up f with key. Returns 0 or -errno (logged). */
static int open_fence(const struct target *t, uint64_t key, struct fence *f) {
        struct pr_open_args oa = { .initiator = t->initiator, .timeout = t->timeout, .ua_retries = 5 };
        int r = fence_open(f, t->devices, t->n_devices, &oa, key, t->type, t->flags);
        if (r < 0) {
                for (size_t i = 0; i < f->report.n; i++)
                        log_error("devices: %s: %s", f->report.steps[i].device, f->report.steps[i].action ?: "");
                fence_done(f);
                return r;
        }
        /* M5: after a PREEMPT without abort, off waits the group's drain. */
        f->drain = t->g && t->g->fence.present ? t->g->fence.drain : 5 * USEC_PER_SEC;
        return r;
}

int main(int argc, char **argv) {
        _cleanup_(fa_request_done) struct fa_request req = {};
        _cleanup_(cfg_group_done) struct cfg_group g = {};
        char host[256] = "", kb[KEY_STRING_MAX], pb[KEY_STRING_MAX];
        bool have_cfg = false;
        int r;

        if (argc > 1)
                r = fa_parse_argv(argc, argv, &req);
        else {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                r = read_stdin(&text, &len);
                if (r < 0) {
                        fprintf(stderr, "fence_tandem: cannot read stdin: %s\n", strerror(-r));
                        return FA_EXIT_ERROR;
                }
                r = fa_parse_stdin(text, len, &req);
        }
        if (r == -ENOMEM) {
                fprintf(stderr, "fence_tandem: out of memory\n");
                return FA_EXIT_ERROR;
        }
        if (req.help) {
                usage(stdout);
                return FA_EXIT_OK;
        }
        if (req.version) {
                printf("fence_tandem %s\n", TANDEM_VERSION);
                return FA_EXIT_OK;
        }
        enum log_target target = LOG_TARGET_AUTO;
        if (req.debug_file) {
                /* Never through a symlink (a planted link would make root
                 * append to any file), and only to a regular file. */
                int fd = open(req.debug_file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
                struct stat dst;
                if (fd < 0 || fstat(fd, &dst) < 0 || !S_ISREG(dst.st_mode) || dup2(fd, STDERR_FILENO) < 0) {
                        int e = errno;
                        fprintf(stdout, "fence_tandem: debug_file: cannot use %s: %s\n", req.debug_file,
                                fd >= 0 && !S_ISREG(dst.st_mode) ? "not a regular file"
                                : e == ELOOP ? "it is a symbolic link" : strerror(e));
                        safe_close(fd);
                        return FA_EXIT_ERROR;
                }
                safe_close(fd);
                setvbuf(stderr, NULL, _IOLBF, 0);
                target = LOG_TARGET_CONSOLE;
        }
        log_setup("fence_tandem", req.verbose || req.debug_file ? LOG_DEBUG : LOG_INFO, target);
        for (size_t i = 0; i < req.n_ignored; i++)
                log_debug("line %u: ignoring the unknown parameter '%s'", req.ignored[i].line, req.ignored[i].text);
        if (r == 0 && req.action == FA_ACTION_METADATA) {
                fa_print_metadata(stdout);
                return fflush(stdout) == 0 ? FA_EXIT_OK : FA_EXIT_ERROR;
        }
        if (r == 0)
                r = fa_request_check(&req);
        if (r < 0) {
                for (size_t i = 0; i < req.n_errors; i++)
                        log_error("%s", req.errors[i].text);
                return FA_EXIT_ERROR;
        }

        if (req.group || req.config) {
                struct cli_common c;
                cli_common_init(&c);
                c.group = req.group;
                c.config = req.config;
                if (cli_load_group(&c, &g) < 0)
                        return FA_EXIT_ERROR;
                have_cfg = true;
                if (!g.fence.present && req.n_devices == 0) {
                        log_error("%s has no [fence] section: this group runs unfenced", g.path);
                        return FA_EXIT_ERROR;
                }
        }
        if (gethostname(host, sizeof host - 1) < 0)
                host[0] = '\0';
        struct target t;
        if (resolve(&req, have_cfg ? &g : NULL, host, &t) < 0)
                return FA_EXIT_ERROR;

        const char *action = fa_action_to_string(req.action);
        if (req.action == FA_ACTION_VALIDATE_ALL) {
                printf("valid: %zu device%s, this node %s (%s)", t.n_devices, t.n_devices == 1 ? "" : "s", t.local,
                       key_format(t.local_key, kb));
                if (t.plug)
                        printf(", plug %s (%s)", t.plug, key_format(t.plug_key, pb));
                printf(", %s\n", pr_type_to_string(t.type));
                return FA_EXIT_OK;
        }

        /* status works with the plug's key; the others with ours (monitor and
         * list need none: any non-zero key serves for the device order). */
        uint64_t key = req.action == FA_ACTION_STATUS ? t.plug_key : t.local_key ? t.local_key : t.plug_key ?: 1;
        if (req.action == FA_ACTION_OFF && req.delay) {
                log_info("off %s: waiting %llus first (delay)", t.plug, req.delay / USEC_PER_SEC);
                sleep_usec(req.delay);
        }
        struct fence f;
        if (open_fence(&t, key, &f) < 0)
                return FA_EXIT_ERROR;

        int ret = FA_EXIT_ERROR;
        switch (req.action) {
        case FA_ACTION_ON: {
                _cleanup_free_ char *why = NULL;
                r = group_unfence_allowed(t.g, &why);
                if (r < 0)
                        log_error("on %s: %s", t.plug ? t.plug : "", why);
                else
                        r = fence_unfence(&f);
                log_report(&f, action, &t);
                if (r < 0)
                        log_error_errno(r, "on %s: could not register %s on every device", t.plug, key_format(f.key, kb));
                else
                        log_struct(LOG_NOTICE, 0, MSGID_FENCE_ACTION, NULL, 0,
                                   "on %s: %s registered on %zu device%s", t.plug, key_format(f.key, kb), f.n,
                                   f.n == 1 ? "" : "s");
                ret = r < 0 ? FA_EXIT_ERROR : FA_EXIT_OK;
                break;
        }
        case FA_ACTION_OFF:
                r = fence_preempt(&f, t.plug_key);
                log_report(&f, action, &t);
                if (r < 0)
                        log_error_errno(r, "off %s: fencing %s failed or could not be verified", t.plug,
                                        key_format(t.plug_key, kb));
                else {
                        const struct log_field fields[] = {
                                { "TANDEM_COMMAND", action },
                                { "TANDEM_PLUG", t.plug },
                                { "TANDEM_PLUG_KEY", key_format(t.plug_key, pb) },
                        };
                        log_struct(LOG_NOTICE, 0, MSGID_FENCE_ACTION, fields, ELEMENTSOF(fields),
                                   "off %s: fenced; %s is gone from %zu device%s (verified)", t.plug, pb, f.n,
                                   f.n == 1 ? "" : "s");
                }
                ret = r < 0 ? FA_EXIT_ERROR : FA_EXIT_OK;
                break;
        case FA_ACTION_STATUS:
                ret = do_status(&f, &t);
                break;
        case FA_ACTION_MONITOR:
                ret = do_read_keys(&f, &t, false);
                break;
        case FA_ACTION_LIST:
                ret = do_read_keys(&f, &t, true);
                break;
        default:
                break;
        }
        fence_done(&f);
        if (ret == FA_EXIT_OK && req.power_wait && (req.action == FA_ACTION_ON || req.action == FA_ACTION_OFF))
                sleep_usec(req.power_wait);
        return ret;
}
