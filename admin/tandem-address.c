/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem-address: the group's floating service address, up and down.
 * Duplicate-address detection (ARP probes, RFC 5227), rtnetlink through
 * libmnl, then gratuitous ARP, so clients reconnect to the same address on
 * the new node. A thin main over lib/netaddr*.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tandem/cli.h"
#include "tandem/netaddr.h"

enum {
        EXIT_ABSENT = 7, /* status: the address is not up here (OCF_NOT_RUNNING) */
};

#define ARP_COUNT 3
#define ARP_INTERVAL_MS 200

static void usage(FILE *f) {
        fputs("Usage: tandem-address [OPTIONS] up|down|status\n"
              "\n"
              "Bring the group's floating service address up or down on this node.\n"
              "\n"
              "Commands:\n"
              "  up        add the address to the interface (idempotent), then announce\n"
              "            it with gratuitous ARP (IPv4); an IPv4 address is first probed\n"
              "            for (ARP, RFC 5227), and refused if another host answers\n"
              "  down      remove the address (idempotent)\n"
              "  status    whether the address is on the interface (exit 0, or 7 if not)\n"
              "\n"
              "Options:\n"
              "  -a, --address A/P       the address with its prefix (default: [service] address)\n"
              "  -I, --interface IF      the interface (default: [service] interface)\n" CLI_COMMON_HELP
              "\n"
              "Exit status: 0 done (status: up), 1 failed, 2 usage, 7 status: not up here.\n"
              "See tandem-address(8).\n",
              f);
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                CLI_COMMON_LONGOPTS,
                { "address", required_argument, NULL, 'a' },
                { "interface", required_argument, NULL, 'I' },
                {},
        };
        struct cli_common c;
        struct cfg_group g = {};
        const char *address = NULL, *ifname = NULL;
        struct cfg_address a;
        int opt, r;

        cli_common_init(&c);
        while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "a:I:", longopts, NULL)) != -1) {
                switch (opt) {
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("tandem-address %s\n", TANDEM_VERSION);
                        return EXIT_OK;
                case 'a':
                        address = optarg;
                        break;
                case 'I':
                        ifname = optarg;
                        break;
                default:
                        r = cli_common_opt(&c, opt, optarg);
                        if (r <= 0) {
                                if (r == 0)
                                        usage(stderr);
                                return EXIT_USAGE;
                        }
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "tandem-address: give one command: up, down or status\n");
                return EXIT_USAGE;
        }
        const char *cmd = argv[optind];
        if (strcmp(cmd, "up") != 0 && strcmp(cmd, "down") != 0 && strcmp(cmd, "status") != 0) {
                fprintf(stderr, "tandem-address: unknown command '%s'; see tandem-address --help\n", cmd);
                return EXIT_USAGE;
        }
        cli_common_apply(&c, "tandem-address");

        if (c.config || c.group || !address || !ifname) {
                if (cli_load_group(&c, &g) < 0) {
                        cfg_group_done(&g);
                        return EXIT_FAILED;
                }
                if (!address)
                        address = g.service.address;
                if (!ifname)
                        ifname = g.service.interface;
        }
        if (!address || !ifname) {
                log_error("no service address: set [service] address and interface, or --address and --interface");
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        const char *why = NULL;
        if (cfg_parse_address(address, &a, &why) < 0) {
                log_error("address '%s' %s", address, why);
                cfg_group_done(&g);
                return EXIT_USAGE;
        }

        int ret = EXIT_OK;
        bool changed = false, present = false;
        const struct log_field fields[] = { { "TANDEM_ADDRESS", address }, { "TANDEM_INTERFACE", ifname } };
        if (strcmp(cmd, "up") == 0) {
                struct addr_up_report rep = {};
                r = addr_up(ifname, &a, &rep);
                if (r == -EEXIST)
                        log_error_errno(r, "%s: %s is there with another prefix; not touching it", ifname, address);
                else if (r < 0 && rep.probe_failed)
                        log_error_errno(r, "%s: cannot probe for %s (ARP, RFC 5227) before adding it; not adding it",
                                        ifname, address);
                else if (r < 0)
                        log_error_errno(r, "%s: cannot add %s", ifname, address);
                else if (rep.result == ADDR_UP_IN_USE) {
                        char mac[18];
                        const uint8_t *m = rep.conflict.mac;
                        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
                        const struct log_field cf[] = { { "TANDEM_ADDRESS", address },
                                                        { "TANDEM_INTERFACE", ifname },
                                                        { "TANDEM_CONFLICT_MAC", mac } };
                        if (rep.conflict.verdict == ARP_CONFLICT_PROBE)
                                log_struct(LOG_ERR, 0, NULL, cf, ELEMENTSOF(cf),
                                           "%s: another host, %s, is probing for %s at the same time (ARP, "
                                           "RFC 5227); not adding it",
                                           ifname, mac, address);
                        else
                                log_struct(LOG_ERR, 0, NULL, cf, ELEMENTSOF(cf),
                                           "%s: %s is in use by %s, which answered our ARP probe (RFC 5227); "
                                           "not adding it",
                                           ifname, address, mac);
                        r = -EADDRINUSE;
                } else {
                        if (rep.noarp)
                                log_notice("%s has no ARP (NOARP): %s added without a duplicate-address probe", ifname,
                                           address);
                        else if (rep.probed)
                                log_info("%s: nobody answered %d ARP probes for %s", ifname, ARP_PROBE_NUM, address);
                        log_struct(LOG_NOTICE, 0, NULL, fields, ELEMENTSOF(fields), "%s %s on %s", address,
                                   rep.result == ADDR_UP_ADDED ? "added" : "was already up", ifname);
                        if (a.family == AF_INET) {
                                int q = arp_announce(ifname, &a, ARP_COUNT, ARP_INTERVAL_MS, true);
                                if (q < 0)
                                        log_warning_errno(q, "%s: gratuitous ARP for %s failed; clients may "
                                                             "reconnect only when their ARP entry expires",
                                                          ifname, address);
                                else
                                        log_info("announced %s on %s (a gratuitous ARP now, %d more %d ms apart "
                                                 "from a background process)",
                                                 address, ifname, ARP_COUNT - 1, ARP_INTERVAL_MS);
                        }
                }
                ret = r < 0 ? EXIT_FAILED : EXIT_OK;
        } else if (strcmp(cmd, "down") == 0) {
                r = addr_del(ifname, &a, &changed);
                if (r < 0)
                        log_error_errno(r, "%s: cannot remove %s", ifname, address);
                else
                        log_struct(LOG_NOTICE, 0, NULL, fields, ELEMENTSOF(fields), "%s %s on %s", address,
                                   changed ? "removed" : "was not up", ifname);
                ret = r < 0 ? EXIT_FAILED : EXIT_OK;
        } else {
                r = addr_present(ifname, &a, &present);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot read addresses", ifname);
                        ret = EXIT_FAILED;
                } else
                        ret = present ? EXIT_OK : EXIT_ABSENT;
                if (c.json) {
                        struct json_object *o = json_object_new_object();
                        json_object_object_add(o, "address", json_object_new_string(address));
                        json_object_object_add(o, "interface", json_object_new_string(ifname));
                        if (r < 0)
                                json_object_object_add(o, "error", json_object_new_string(strerror(-r)));
                        else
                                json_object_object_add(o, "up", json_object_new_boolean(present));
                        (void) out_json_print(o);
                        json_object_put(o);
                } else if (r == 0)
                        printf("%s on %s: %s\n", address, ifname, present ? "up" : "not up here");
        }
        cfg_group_done(&g);
        return ret;
}
