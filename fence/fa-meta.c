/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fence_tandem's metadata (the fence-agent API's XML, which validates
 * against fence-agents' metadata.rng): its parameters and actions. Pure:
 * it only writes to the stream it is given. */
#include <stdbool.h>
#include <stdio.h>

#include "tandem/fa-meta.h"
#include "tandem/macro.h"

/* The metadata's parameters: name, getopt, content type, default, description. */
struct meta_param {
        const char *name, *getopt, *type, *def, *desc;
        bool required, deprecated;
        const char *obsoletes;
};

static const struct meta_param meta_params[] = {
        { "action", "-o, --action=[action]", "string", "off", "Fencing action", true, false, NULL },
        { "plug", "-n, --plug=[nodename]", "string", NULL,
          "Name of the node to act on (off: the node to fence; on: this node; status: the node to ask about), or "
          "its key as 0x followed by hex digits. Its key is derived from the cluster name and this name.",
          false, false, "port" },
        { "port", "-n, --plug=[nodename]", "string", NULL, "Name of the node to act on (see plug)", false, true, NULL },
        { "nodename", "--nodename=[nodename]", "string", NULL,
          "Name of the node the agent runs on, as Pacemaker passes it (default: the config's node, else the host name)",
          false, false, NULL },
        { "devices", "-d, --devices=[devices]", "string", NULL,
          "Fence devices, comma or space separated: /dev/sd*, /dev/sg*, /dev/disk/by-id/..., /dev/mapper/... "
          "(dm-multipath), or "
          "iscsi://host:port/target-iqn/lun. Replaces the config's [fence] devices.",
          false, false, NULL },
        { "group", "-g, --group=[group]", "string", NULL,
          "tandem group: read /etc/tandem/GROUP.conf for devices, keys, initiator, type and timeout", false, false,
          NULL },
        { "config", "-c, --config=[file]", "string", NULL, "tandem config file to read instead of a group's", false,
          false, NULL },
        { "key", "-k, --key=[key]", "string", NULL,
          "This node's registration key (0x followed by 1-16 hex digits; default: derived from cluster and node name)",
          false, false, NULL },
        { "cluster", "--cluster=[name]", "string", NULL,
          "Cluster name, from which node keys are derived (default: the config's [cluster] name)", false, false,
          NULL },
        { "initiator", "-i, --initiator=[iqn]", "string", NULL,
          "This node's iSCSI initiator name, for iscsi:// devices (default: the config's)", false, false, NULL },
        { "type", "--type=[type]", "string", "write-exclusive-registrants-only",
          "Reservation type: write-exclusive-registrants-only, exclusive-access-registrants-only, write-exclusive or "
          "exclusive-access",
          false, false, NULL },
        { "aptpl", "-a, --aptpl", "boolean", NULL, "Register with APTPL (persist through power loss)", false, false,
          NULL },
        { "io_timeout", "--io-timeout=[seconds]", "second", "10",
          "Timeout of each device command, login included (default: the config's, else 10)", false, false, NULL },
        { "delay", "--delay=[seconds]", "second", "0", "Wait X seconds before fencing is started", false, false,
          NULL },
        { "power_wait", "--power-wait=[seconds]", "second", "0", "Wait X seconds after on and off", false, false,
          NULL },
        { "verbose", "-v, --verbose", "boolean", NULL, "Verbose mode", false, false, NULL },
        { "debug_file", "-D, --debug-file=[debugfile]", "string", NULL, "Write debug information to given file",
          false, false, "debug" },
        { "debug", "-D, --debug-file=[debugfile]", "string", NULL, "Write debug information to given file", false,
          true, NULL },
        { "version", "-V, --version", "boolean", NULL, "Display version information and exit", false, false, NULL },
        { "help", "-h, --help", "boolean", NULL, "Display help and exit", false, false, NULL },
};

static void xml_escaped(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '&': fputs("&amp;", f); break;
                case '"': fputs("&quot;", f); break;
                default: fputc(*s, f);
                }
}

void fa_print_metadata(FILE *f) {
        fputs("<?xml version=\"1.0\" ?>\n"
              "<resource-agent name=\"fence_tandem\" shortdesc=\"Fence agent for SCSI-3 persistent reservations "
              "(tandem)\" >\n"
              "<longdesc>fence_tandem fences a node of a tandem pair, or of a Pacemaker cluster, by removing its "
              "SCSI-3 persistent-reservation key from the shared fence devices (SCSI through SG_IO or the kernel "
              "PR ioctls, or iSCSI targets reached directly). Every node registers its own key, "
              "derived from the cluster name and its node name, with the on action, which Pacemaker runs on the "
              "node itself at start (unfencing). The off action preempts the victim's key and then verifies, on "
              "every device, that the key is gone and that a reservation of the registrants-only type is held, so "
              "that the storage itself rejects the victim's writes. A fenced node stays fenced until it is "
              "rebooted and unfenced again.</longdesc>\n"
              "<vendor-url>https://github.com/tandem</vendor-url>\n"
              "<parameters>\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(meta_params); i++) {
                const struct meta_param *p = &meta_params[i];
                fprintf(f, "\t<parameter name=\"%s\" unique=\"0\" required=\"%d\"", p->name, p->required);
                if (p->deprecated)
                        fputs(" deprecated=\"1\"", f);
                if (p->obsoletes)
                        fprintf(f, " obsoletes=\"%s\"", p->obsoletes);
                fputs(">\n\t\t<getopt mixed=\"", f);
                xml_escaped(f, p->getopt);
                fprintf(f, "\" />\n\t\t<content type=\"%s\"", p->type);
                if (p->def) {
                        fputs(" default=\"", f);
                        xml_escaped(f, p->def);
                        fputc('"', f);
                }
                fputs(" />\n\t\t<shortdesc lang=\"en\">", f);
                xml_escaped(f, p->desc);
                fputs("</shortdesc>\n\t</parameter>\n", f);
        }
        fputs("</parameters>\n"
              "<actions>\n"
              "\t<action name=\"on\" on_target=\"1\" automatic=\"1\"/>\n"
              "\t<action name=\"off\" />\n"
              "\t<action name=\"status\" />\n"
              "\t<action name=\"monitor\" />\n"
              "\t<action name=\"list\" />\n"
              "\t<action name=\"metadata\" />\n"
              "\t<action name=\"validate-all\" />\n"
              "</actions>\n"
              "</resource-agent>\n",
              f);
}

