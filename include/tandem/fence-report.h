/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How the programs show what a fence operation did: one place for
 * tandem-fence, tandem and fence_tandem. */
#pragma once

#include <stdbool.h>

#include "tandem/fence.h"
#include "tandem/log.h"

/* Prints the report on stdout: a line per step (ok, WARNING, FAILED), or
 * with json one object {command, ok, error, steps[]}. */
void fence_report_print(const struct fence *f, const char *cmd, int r, bool json);
/* Logs each step with MESSAGE_ID and the fields TANDEM_COMMAND,
 * TANDEM_DEVICE, TANDEM_KEY plus extra: to the journal only, or, with
 * console, wherever the log goes (for fence_tandem, whose stdout is not for
 * people). */
void fence_report_log(const struct fence *f, const char *cmd, const struct log_field *extra, size_t n_extra,
                      bool console);

struct cfg_group;
struct json_object;

/* Whose key k is: the node's name from the config (self: this node, peer:
 * the peer's), "this node" or "peer" without a config, or NULL when it is
 * neither. g may be NULL. */
const char *fence_key_owner(const struct cfg_group *g, uint64_t self, uint64_t peer, uint64_t k);
/* "0x… (db1, this node)", "0x… (db2, peer)" or "0x…" into buf; returns buf. */
char *fence_key_describe(const struct cfg_group *g, uint64_t self, uint64_t peer, uint64_t k, char *buf, size_t n);
/* How many times keys lists the key at index i, counted at its first copy;
 * 0 for a later copy (one per I_T nexus registered with it). */
unsigned fence_key_registrations(const struct pr_keys *keys, uint32_t i);

/* One fence device as read, in the one JSON schema every command prints:
 * {device, identity, error, generation, keys: [{key, node, self,
 * registrations}], holder, type, registered, we_hold, holder_node}; with
 * error set (a string: reason, else strerror), nothing after it. Returns a
 * new object, or NULL on ENOMEM. */
struct json_object *fence_dev_json(const char *device, const char *identity, int error, const char *reason,
                                   const struct pr_keys *keys, const struct pr_reservation *res, bool registered,
                                   bool holder, const struct cfg_group *g, uint64_t self, uint64_t peer);

/* Prints what fence_status() read (st, f->n entries; r its return) on out
 * for people: each device's generation, keys, holder, type, and a verdict. */
void fence_status_print(FILE *out, const struct fence *f, const struct fence_dev_status *st, int r,
                        const struct cfg_group *g, uint64_t peer);
/* Asks d whether it does persistent reservations of type (REPORT
 * CAPABILITIES), for `tandem-fence check`. Returns true when it does; verdict
 * gets the answer in words either way. */
bool fence_check_device(struct pr_dev *d, enum pr_type type, char *verdict, size_t n);
