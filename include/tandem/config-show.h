/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Showing a group's config, for `tandem config` (like nginx -t). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "tandem/config.h"

struct json_object;

/* Prints every key of g with its value on out, noting defaults and derived keys. */
void cfg_group_print(FILE *out, const struct cfg_group *g);
/* Returns g as a new JSON object ({valid, path, cluster, fence, ...}), or NULL on ENOMEM. */
struct json_object *cfg_group_json(const struct cfg_group *g, bool valid);
