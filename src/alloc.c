// SPDX-License-Identifier: MIT
// Checked-size, 64-byte aligned allocation; the one place the library
// allocates, so tests can count allocations across training steps.
#include <stdlib.h>
#include <string.h>

#include "bp_internal.h"

size_t bp_alloc_count;

size_t bp_mul_size(size_t a, size_t b, int *ok) {
    if (a != 0 && b > SIZE_MAX / a) {
        *ok = 0;
        return 0;
    }
    return a * b;
}

void *bp_alloc(size_t count, size_t size) {
    int ok = 1;
    size_t bytes = bp_mul_size(count, size, &ok);
    if (!ok || bytes > SIZE_MAX - 64) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
#pragma omp atomic
    bp_alloc_count++;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void bp_free(void *p) { free(p); }
