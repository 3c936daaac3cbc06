/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "tandem/macro.h"
#include "tandem/pr-type.h"

static const char *const pr_type_names[_PR_TYPE_MAX] = {
        [PR_TYPE_WRITE_EXCLUSIVE] = "write-exclusive",
        [PR_TYPE_EXCLUSIVE_ACCESS] = "exclusive-access",
        [PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY] = "write-exclusive-registrants-only",
        [PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY] = "exclusive-access-registrants-only",
        [PR_TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS] = "write-exclusive-all-registrants",
        [PR_TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS] = "exclusive-access-all-registrants",
};

const char *pr_type_to_string(enum pr_type t) {
        if (t < 0 || t >= _PR_TYPE_MAX)
                return NULL;
        return pr_type_names[t];
}

enum pr_type pr_type_from_string(const char *s) {
        if (!s)
                return _PR_TYPE_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(pr_type_names); i++)
                if (pr_type_names[i] && strcmp(pr_type_names[i], s) == 0)
                        return (enum pr_type) i;
        return _PR_TYPE_INVALID;
}
