/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fence_tandem's metadata for Pacemaker (the fence-agent API). */
#pragma once

#include <stdio.h>

/* Writes the agent's XML metadata (parameters, actions) to f. */
void fa_print_metadata(FILE *f);
