/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the fence-agent stdin parser (fence/fa-stdin.c) on
 * arbitrary bytes, NULs and overlong lines included, then the cross-checks.
 * It must never crash, leak or read out of bounds; every refusal must come
 * with an error, and every error must name its line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/fa-stdin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fa_request req = {};
        /* A copy of exactly size bytes, not NUL terminated: the parser must
         * stay inside it. */
        char *text = malloc(size ? size : 1);
        int r;

        if (!text)
                return 0;
        if (size)
                memcpy(text, data, size);
        r = fa_parse_stdin(text, size, &req);
        if (r == -EINVAL && req.n_errors == 0)
                abort(); /* refused without saying why */
        if (r == 0 && req.n_errors != 0)
                abort();
        for (size_t i = 0; i < req.n_errors; i++)
                if (!req.errors[i].text || (req.errors[i].line == 0 && size <= FA_INPUT_MAX))
                        abort(); /* a stdin error names its line */
        if (r == 0) {
                if (fa_action_to_string(req.action) == NULL)
                        abort();
                if ((req.n_devices == 0) != (req.devices == NULL) || (req.devices && req.devices[req.n_devices]))
                        abort();
                (void) fa_request_check(&req);
        }
        fa_request_done(&req);
        free(text);
        return 0;
}
