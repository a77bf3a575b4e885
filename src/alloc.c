// SPDX-License-Identifier: MIT
// Checked-size, 64-byte aligned allocation; the one place the library
// allocates, so tests can count allocations across training steps, count
// the blocks still live, and make the N-th allocation fail. The counters
// are C11 atomics: threads without OpenMP (or outside its teams) allocate
// too, and a plain increment would lose counts.
#define _DEFAULT_SOURCE 1 // madvise(MADV_HUGEPAGE) under -std=c11
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "bp_internal.h"

_Atomic size_t bp_alloc_count;
_Atomic size_t bp_alloc_live;
_Atomic size_t bp_alloc_injected;
// Allocations left before the one that fails (0: none fails).
static _Atomic size_t fail_countdown;

void bp_alloc_fail_after(size_t n) { atomic_store(&fail_countdown, n); }

// 1 when the hook says this allocation fails (then the hook is off).
static int injected_failure(void) {
    size_t left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (left != 0)
        if (atomic_compare_exchange_weak(&fail_countdown, &left, left - 1)) {
            if (left != 1) return 0;
            atomic_fetch_add(&bp_alloc_injected, 1);
            return 1;
        }
    return 0;
}

size_t bp_mul_size(size_t a, size_t b, int *ok) {
    if (a != 0 && b > SIZE_MAX / a) {
        *ok = 0;
        return 0;
    }
    return a * b;
}

// Blocks from `huge_from` bytes up go on 2 MiB pages where the kernel
// offers them (rounded up to whole pages; only the bytes asked for are
// zeroed here, the kernel zeroes fresh pages).
static void *alloc_zeroed(size_t count, size_t size, size_t huge_from) {
    int ok = 1;
    size_t bytes = bp_mul_size(count, size, &ok);
    if (!ok || bytes > SIZE_MAX - 64) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    atomic_fetch_add_explicit(&bp_alloc_count, 1, memory_order_relaxed);
    if (injected_failure()) return NULL;
    size_t align = 64, block = bytes;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge_from && bytes <= SIZE_MAX - huge) {
        align = huge;
        block = (bytes + huge - 1) & ~(huge - 1);
    }
#else
    (void)huge_from;
#endif
    void *p = aligned_alloc(align, block);
    if (!p) return NULL;
    atomic_fetch_add_explicit(&bp_alloc_live, 1, memory_order_relaxed);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align > 64) (void)madvise(p, block, MADV_HUGEPAGE); // advice only: failure is harmless
#endif
    memset(p, 0, bytes);
    return p;
}

// A megabyte and more: data sets and big workspaces. A training step reads
// batch rows at random from the data set, and with 4 KiB pages nearly every
// row costs a TLB miss, which in a virtual machine (two-level page walk)
// made the gather 3x slower.
void *bp_alloc(size_t count, size_t size) { return alloc_zeroed(count, size, (size_t)1 << 20); }

// From 256 KiB: weights, gradients, optimizer state and activations, which
// every step streams through (W1's 940 KB blocks on 4 KiB pages made the
// last update of a batch-32 step on two threads take twice as long).
void *bp_alloc_hot(size_t count, size_t size) { return alloc_zeroed(count, size, (size_t)1 << 18); }

void bp_free(void *p) {
    if (!p) return;
    atomic_fetch_sub_explicit(&bp_alloc_live, 1, memory_order_relaxed);
    free(p);
}
