/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the config parser (and the device strings, keys and
 * durations it validates) on arbitrary text. It must never crash, leak or
 * read out of bounds, and every failure must come with an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cfg_group g = {};
        char *text = malloc(size + 1);
        int r;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        r = cfg_parse_string(text, "fuzz.conf", "fuzzhost", &g);
        if (r == -EINVAL && g.n_errors == 0)
                abort(); /* refused without saying why */
        if (r == 0 && g.n_errors != 0)
                abort();
        cfg_group_done(&g);
        free(text);
        return 0;
}
