/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registration keys: derivation from (cluster, node), parsing, printing. Pure.
 *
 * The derived key is FNV-1a 64 (the FNV reference, draft-eastlake-fnv) over
 *     "tandem-key-v1" NUL cluster NUL node
 * then mixed by MurmurHash3's 64-bit finaliser fmix64 (so that keys of
 * similar node names, db1 and db2, differ in every hex digit an admin reads).
 * The key is that 64-bit number, sent big-endian as SPC-4 requires. The NUL
 * separators keep ("ab","c") apart from ("a","bc"); the prefix versions the
 * scheme. fmix64 is a bijection with fmix64(0) = 0, so the key is zero only if
 * the FNV hash is; that case, which SPC-4 reserves for "no key", is replaced
 * by the FNV-1a 64 offset basis 0xcbf29ce484222325: a derived key is never zero. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_STRING_MAX sizeof("0x0123456789abcdef")

/* Returns the FNV-1a 64 hash of n bytes at p, continuing from h
 * (start with FNV1A64_OFFSET). */
uint64_t fnv1a64(uint64_t h, const void *p, size_t n);
#define FNV1A64_OFFSET UINT64_C(0xcbf29ce484222325)

/* Returns MurmurHash3's fmix64 finaliser of k. */
uint64_t fmix64(uint64_t k);
/* Returns the key for (cluster, node): never zero. */
uint64_t key_derive(const char *cluster, const char *node);
/* Parses "0x" followed by 1-16 hex digits into *ret. Returns 0, -EINVAL for
 * bad syntax, -ERANGE for zero. *ret is untouched on failure. */
int key_parse(const char *s, uint64_t *ret);
/* Formats k as "0x%016x" into buf; returns buf. */
char *key_format(uint64_t k, char buf[static KEY_STRING_MAX]);
