/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* journal MESSAGE_IDs of tandem's events, for `journalctl MESSAGE_ID=…`.
 * Never change one: admins' alerting matches on them. */
#pragma once

#define MSGID_FENCE_ACTION "8c1f5b0e2a6d4e7f9b3c1d2e4f5a6b7c" /* a fence step done */
#define MSGID_FENCE_FAILED "9d2a6c1f3b7e4f80ac4d2e3f5a6b7c8d" /* a fence step failed */
#define MSGID_KEY_LOST "5e0b7a3c9d1f4b26a8c4e2d0f6b9a1c3"     /* watch: our key is gone: self-fence */
