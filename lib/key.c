/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key derivation and formatting. Pure. The scheme is in tandem/key.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tandem/key.h"

#define FNV1A64_PRIME UINT64_C(0x00000100000001b3)

uint64_t fnv1a64(uint64_t h, const void *p, size_t n) {
        const uint8_t *b = p;
        for (size_t i = 0; i < n; i++) {
                h ^= b[i];
                h *= FNV1A64_PRIME;
        }
        return h;
}

uint64_t fmix64(uint64_t k) {
        k ^= k >> 33;
        k *= UINT64_C(0xff51afd7ed558ccd);
        k ^= k >> 33;
        k *= UINT64_C(0xc4ceb9fe1a85ec53);
        k ^= k >> 33;
        return k;
}

uint64_t key_derive(const char *cluster, const char *node) {
        static const char prefix[] = "tandem-key-v1";
        uint64_t h = FNV1A64_OFFSET;

        /* sizeof includes the NUL: each part is followed by its terminator. */
        h = fnv1a64(h, prefix, sizeof prefix);
        h = fnv1a64(h, cluster, strlen(cluster) + 1);
        h = fnv1a64(h, node, strlen(node));
        return h != 0 ? fmix64(h) : FNV1A64_OFFSET;
}

int key_parse(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        size_t n;

        if (!s || !ret)
                return -EINVAL;
        if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
                return -EINVAL;
        s += 2;
        n = strlen(s);
        if (n == 0 || n > 16)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                int c = (unsigned char) s[i], d;
                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return -EINVAL;
                v = (v << 4) | (uint64_t) d;
        }
        if (v == 0)
                return -ERANGE;
        *ret = v;
        return 0;
}

char *key_format(uint64_t k, char buf[static KEY_STRING_MAX]) {
        snprintf(buf, KEY_STRING_MAX, "0x%016" PRIx64, k);
        return buf;
}
