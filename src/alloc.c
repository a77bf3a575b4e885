// SPDX-License-Identifier: MIT
// Checked-size, 64-byte aligned allocation; the one place the library
// allocates, so tests can count allocations across training steps.
#define _DEFAULT_SOURCE 1 // madvise(MADV_HUGEPAGE) under -std=c11
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

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
    // Blocks of a megabyte and more (data sets, workspaces of big batches)
    // go on 2 MiB pages where the kernel offers them: a training step reads
    // batch rows at random from the data set, and with 4 KiB pages nearly
    // every row costs a TLB miss, which in a virtual machine (two-level
    // page walk) made the gather 3x slower.
    size_t align = 64;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge / 2 && bytes <= SIZE_MAX - huge) {
        align = huge;
        bytes = (bytes + huge - 1) & ~(huge - 1);
    }
#endif
    void *p = aligned_alloc(align, bytes);
    if (!p) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align > 64) (void)madvise(p, bytes, MADV_HUGEPAGE); // advice only: failure is harmless
#endif
    memset(p, 0, bytes);
    return p;
}

void bp_free(void *p) { free(p); }
