// SPDX-License-Identifier: MIT
// Benchmark cases in C. Each family file (bench_*.c) fills an array of
// cases; bench_main.cc, the only C++ file, registers them all with Google
// Benchmark. Cases whose ISA this CPU lacks are registered and skipped.
#ifndef BP_BENCH_CASES_H
#define BP_BENCH_CASES_H

#include <stddef.h>

#include "backprop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bp_bench_case {
    char name[128];   // "family/shape/...__isa": the ISA token after "__"
    bp_isa isa;       // BP_ISA_AUTO: not tied to one of our ISAs (peers, peak)
    // Prepare buffers; return NULL and set *why to skip the case.
    void *(*setup)(const struct bp_bench_case *c, const char **why);
    void (*run)(void *ctx);            // one timed iteration
    void (*teardown)(void *ctx);
    double flops;     // floating-point operations per iteration (0: none)
    double bytes;     // bytes moved per iteration (0: none)
    double elements;  // elements processed per iteration (0: none)
    size_t arg[6];    // shape parameters for setup
    int fraction_of_peak; // 1: also report FLOPS as a fraction of the FMA peak
    // Optional: a short note shown next to the ISA in the output (e.g. the
    // implementation a peer library picked), from the setup's context.
    const char *(*label)(void *ctx);
} bp_bench_case;

// Each family appends its cases to out (at most cap) and returns how many.
size_t bp_bench_cases_gemm(bp_bench_case *out, size_t cap);
size_t bp_bench_cases_elementwise(bp_bench_case *out, size_t cap);

// The FMA peak of one core measured in this run, GFLOP/s, for the widest
// vector this CPU runs (set by the peak cases before the others run; 0 if
// not measured). Used for the fraction-of-peak counters.
double bp_bench_fma_peak_gflops(bp_isa isa);

#ifdef __cplusplus
}
#endif
#endif
