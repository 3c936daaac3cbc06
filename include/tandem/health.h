/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verdict on a RAID or multipath device (DESIGN.md, Storage). */
#pragma once

#include <errno.h>

enum health {
        HEALTH_OK,              /* full redundancy */
        HEALTH_DEGRADED,        /* redundancy lost or rebuilding; data available */
        HEALTH_FAILED,          /* data unavailable */
        HEALTH_UNKNOWN,         /* could not tell */
        _HEALTH_MAX,
        _HEALTH_INVALID = -EINVAL,
};

/* Returns "ok", "degraded", "failed" or "unknown"; NULL for a bad value. */
const char *health_to_string(enum health h);
/* Returns the worse of two verdicts (failed > unknown > degraded > ok). */
enum health health_worst(enum health a, enum health b);
