/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the config parser (and the device strings, keys,
 * durations and the volume's names, lib/volspec.c, it validates) on
 * arbitrary text. It must never crash, leak or read out of bounds, and
 * every failure must come with an error. Each input is parsed twice: as
 * every program does (options checked as text), and with the check_options
 * hook the programs that mount set (libmount's parser); the hook may only
 * add refusals, and only on the [volume] options line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/config.h"
#include "tandem/volspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses text; aborts on a refusal without an error or errors without a refusal. */
static int parse(const char *text, cfg_check_fn hook, struct cfg_group *g) {
        *g = (struct cfg_group) { .check_options = hook };
        int r = cfg_parse_string(text, "fuzz.conf", "fuzzhost", g);
        if (r == -EINVAL && g->n_errors == 0)
                abort(); /* refused without saying why */
        if (r == 0 && g->n_errors != 0)
                abort();
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cfg_group plain, hooked;
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        int r = parse(text, NULL, &plain);
        int rh = parse(text, volspec_check_options, &hooked);
        if (r != -ENOMEM && rh != -ENOMEM) {
                if (rh == 0 && r != 0)
                        abort(); /* the hook made the text check stricter? */
                if (hooked.n_errors < plain.n_errors)
                        abort();
                /* every error the hook added is on volume.options */
                size_t extra = 0;
                for (size_t i = 0; i < hooked.n_errors; i++)
                        if (hooked.errors[i].key && strcmp(hooked.errors[i].key, "volume.options") == 0)
                                extra++;
                for (size_t i = 0; i < plain.n_errors; i++)
                        if (plain.errors[i].key && strcmp(plain.errors[i].key, "volume.options") == 0)
                                extra--;
                if (hooked.n_errors - plain.n_errors != extra)
                        abort();
                /* what the parser kept passes the checks it was parsed with */
                if (hooked.volume.options && volspec_check_options(hooked.volume.options, NULL) < 0)
                        abort();
                if (plain.volume.options && volspec_check_options_text(plain.volume.options, NULL) < 0)
                        abort();
                struct volspec s;
                if (plain.volume.device && volspec_parse(plain.volume.device, &s, NULL) == -EINVAL)
                        abort();
        }
        cfg_group_done(&plain);
        cfg_group_done(&hooked);
        free(text);
        return 0;
}
