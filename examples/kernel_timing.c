// SPDX-License-Identifier: MIT
// Time one kernel through the public kernel table: the forward matrix
// product of a 784 -> 256 layer on a 256-row batch, for every ISA this
// machine runs, in GFLOP/s.
//   kernel_timing [REPEATS]
#define _POSIX_C_SOURCE 200809L
#include <backprop_kernels.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 50;
    if (repeats < 1) repeats = 1;
    const size_t m = 256, n = 256, k = 784; // batch, outputs, inputs
    float *a = malloc(m * k * sizeof *a), *w = malloc(n * k * sizeof *w);
    float *bias = calloc(n, sizeof *bias), *c = malloc(m * n * sizeof *c);
    int rc = !a || !w || !bias || !c, timed = 0;
    for (size_t i = 0; !rc && i < m * k; i++) a[i] = (float)(i % 17) / 17.0f;
    for (size_t i = 0; !rc && i < n * k; i++) w[i] = (float)(i % 13) / 13.0f - 0.5f;
    for (int isa = BP_ISA_SCALAR; !rc && isa < BP_ISA_COUNT; isa++) {
        const bp_kernel_table *t = bp_kernel_table_get((bp_isa)isa);
        if (!t) continue; // not compiled in, or this CPU lacks it
        // The kernel's per-thread scratch: gemm_ws_floats floats, 64-byte aligned.
        size_t ws_bytes = (t->gemm_ws_floats * sizeof(float) + 63) / 64 * 64;
        float *ws = aligned_alloc(64, ws_bytes ? ws_bytes : 64);
        if (!ws) { rc = 1; break; }
        // Z = A·Wᵀ + b: the forward orientation (see backprop_kernels.h).
        t->gemm(m, n, k, a, k, 1, w, 1, k, c, n, bias, 0, ws); // warm-up
        double t0 = now();
        for (int r = 0; r < repeats; r++) t->gemm(m, n, k, a, k, 1, w, 1, k, c, n, bias, 0, ws);
        double s = (now() - t0) / repeats;
        printf("%-7s gemm %zux%zux%zu: %8.1f us, %6.1f GFLOP/s (c[0] = %g)\n", t->name, m, n, k,
               s * 1e6, 2.0 * (double)(m * n * k) / s * 1e-9, c[0]);
        free(ws);
        timed++;
    }
    free(a), free(w), free(bias), free(c);
    if (!timed) fprintf(stderr, "kernel_timing: no kernel table available\n");
    return rc || !timed;
}
