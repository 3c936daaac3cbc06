/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tandem/health.h"
#include "tandem/macro.h"

const char *health_to_string(enum health h) {
        static const char *const t[_HEALTH_MAX] = { "ok", "degraded", "failed", "unknown" };
        return h >= 0 && h < _HEALTH_MAX ? t[h] : NULL;
}

enum health health_worst(enum health a, enum health b) {
        static const int rank[_HEALTH_MAX] = {
                [HEALTH_OK] = 0, [HEALTH_DEGRADED] = 1, [HEALTH_UNKNOWN] = 2, [HEALTH_FAILED] = 3,
        };
        if (a < 0 || a >= _HEALTH_MAX)
                return b;
        if (b < 0 || b >= _HEALTH_MAX)
                return a;
        return rank[a] >= rank[b] ? a : b;
}
