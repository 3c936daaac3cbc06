/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy of one service group over fence/ and storage/ (DESIGN.md
 * "Layout and layers"): its fence devices opened in one place, the one-
 * writer check before a mount (I1), and the unmounted check before a
 * release (I5). Nothing here logs: failures come back as -errno with a
 * reason in words. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "tandem/config.h"
#include "tandem/fence.h"

/* Opens every fence device of g into *f (fence_open() with the group's key,
 * type, flags and timeouts). -ENODATA when g has no [fence]. On failure
 * *ret_reason names the device and why (f is left done). Returns 0 or
 * -errno. */
int group_fence_open(const struct cfg_group *g, struct fence *f, char **ret_reason);

/* Every fence device of a group, opened and read. */
struct group_fence_read {
        struct fence f;
        struct fence_dev_status *st;    /* f.n entries */
};
/* Opens and reads every fence device of g. Returns what fence_status()
 * returns (0: we hold it everywhere, 1: not everywhere), or -errno (a
 * device's entry says which). Call group_fence_read_done() after any
 * return. */
int group_fence_read(const struct cfg_group *g, struct group_fence_read *ret, char **ret_reason);
void group_fence_read_done(struct group_fence_read *fr);

/* I1: may this node mount the group's volume read-write? Only while its key
 * holds the reservation on every fence device. Returns 1 when it does (or
 * the group has no [fence]: *ret_unfenced is then set), 0 when it does
 * not (*ret_reason lists the devices and why), or -errno when the devices
 * cannot be used (*ret_reason says why). */
int group_interlock(const struct cfg_group *g, bool *ret_unfenced, size_t *ret_n_devices, char **ret_reason);
/* The same check over devices already opened: returns 1 when our key holds
 * the reservation on every device of f, 0 when not (or f has none), with
 * *ret_reason naming each device that fails and why, or -ENOMEM. */
int group_interlock_fence(struct fence *f, char **ret_reason);

/* I5: is the group's volume confirmed not mounted on this node? Returns 0
 * when it is not mounted (or the group has no [volume]), -EBUSY when it is
 * mounted, elsewhere, or over something else, or its state cannot be read,
 * with *ret_reason. */
int group_volume_unmounted(const struct cfg_group *g, char **ret_reason);

/* What this node's start of the group needs, checked before a move touches
 * the peer: our key registered on every fence device, and the volume's
 * device present. The RAID is left to the RAID gate (tandem-raid@), which
 * reads it as its unit is configured to. Returns 0, or -errno with
 * *ret_reason. */
int group_preflight(const struct cfg_group *g, char **ret_reason);

/* I7: may this node register its key again (unfence)? Never while the
 * group's volume is mounted here: a node fenced with its filesystem still
 * mounted (a failed unmount) would become a writer again. Returns 0 when it
 * may (or g is NULL, or has no [volume]), -EBUSY with *ret_reason when not. */
int group_unfence_allowed(const struct cfg_group *g, char **ret_reason);
