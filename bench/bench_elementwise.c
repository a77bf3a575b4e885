// SPDX-License-Identifier: MIT
// Benchmark cases of the elementwise family: every activation forward and
// backward, row softmax, fused softmax cross-entropy, SGD with momentum and
// Adam, for every ISA (scalar included), on 4 KiB, 256 KiB and 16 MiB of
// floats (1 Ki, 64 Ki and 4 Mi elements: L1-, L2- and DRAM-resident inputs).
// Rates: elements/s and GB/s, the bytes each kernel must read and write once
// (fwd: x, y; bwd: one of z/a, dy, dx; sgd: w, g, v read + w, v written;
// adam: w, g, m, v read + w, m, v written).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backprop_kernels.h"
#include "bench_cases.h"

enum { K_FWD, K_BWD, K_SOFTMAX, K_XENT, K_SGD, K_ADAM };

// Softmax/xent rows: 128 classes per row (rows = elements / 128).
#define BENCH_ROW_COLS 128

typedef struct {
    const bp_kernel_table *t;
    int kind, act;
    size_t n;
    float *a, *b, *c, *d, *e; // up to five arrays of n floats
    float loss[1];
    float *loss_rows;
    bp_act_params ap;
    bp_sgd_params sp;
    bp_adam_params adp;
} ew_ctx;

static float *ew_alloc(size_t n) {
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

static void ew_fill(float *x, size_t n, float lo, float hi, uint64_t seed) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = lo + (hi - lo) * (float)(s >> 40) * 0x1.0p-24f;
    }
}

static void ew_teardown(void *p) {
    ew_ctx *c = p;
    if (!c) return;
    free(c->a), free(c->b), free(c->c), free(c->d), free(c->e), free(c->loss_rows);
    free(c);
}

// arg: kind, act, n
static void *ew_setup(const bp_bench_case *bc, const char **why) {
    ew_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->t = bp_kernel_table_get(bc->isa);
    if (!c->t) {
        *why = "no kernel table for this ISA";
        free(c);
        return NULL;
    }
    c->kind = (int)bc->arg[0];
    c->act = (int)bc->arg[1];
    c->n = bc->arg[2];
    c->ap.alpha = 0.01f;
    size_t n = c->n;
    int narrays = c->kind == K_ADAM || c->kind == K_BWD ? 4 : c->kind == K_FWD ? 2 : 3;
    float **arr[5] = {&c->a, &c->b, &c->c, &c->d, &c->e};
    for (int i = 0; i < narrays; i++) {
        *arr[i] = ew_alloc(n);
        if (!*arr[i]) {
            *why = "out of memory";
            ew_teardown(c);
            return NULL;
        }
    }
    switch (c->kind) {
    case K_FWD: ew_fill(c->a, n, -4.0f, 4.0f, 1); break;
    case K_BWD: // a: z, b: act(z), c: dy, d: dx (separate, so values never decay to denormals)
        ew_fill(c->a, n, -4.0f, 4.0f, 1);
        c->t->act_fwd[c->act](n, c->a, c->b, &c->ap);
        ew_fill(c->c, n, -1.0f, 1.0f, 2);
        break;
    case K_SOFTMAX:
    case K_XENT: {
        size_t rows = n / BENCH_ROW_COLS;
        ew_fill(c->a, n, -8.0f, 8.0f, 1);
        memset(c->b, 0, n * sizeof(float));
        for (size_t r = 0; r < rows; r++) c->b[r * BENCH_ROW_COLS + (r * 7) % BENCH_ROW_COLS] = 1.0f;
        c->loss_rows = ew_alloc(rows);
        if (!c->loss_rows) {
            *why = "out of memory";
            ew_teardown(c);
            return NULL;
        }
        break;
    }
    case K_SGD:
        ew_fill(c->a, n, -1.0f, 1.0f, 1);
        ew_fill(c->b, n, -1e-3f, 1e-3f, 2);
        memset(c->c, 0, n * sizeof(float));
        c->sp = (bp_sgd_params){1e-2f, 0.9f, 5e-4f, 0};
        break;
    case K_ADAM:
        ew_fill(c->a, n, -1.0f, 1.0f, 1);
        ew_fill(c->b, n, -1e-3f, 1e-3f, 2);
        memset(c->c, 0, n * sizeof(float));
        memset(c->d, 0, n * sizeof(float));
        c->adp = (bp_adam_params){1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, 1, 0.1f, 0.001f};
        break;
    }
    return c;
}

static void ew_run(void *p) {
    ew_ctx *c = p;
    const bp_kernel_table *t = c->t;
    size_t n = c->n;
    switch (c->kind) {
    case K_FWD: t->act_fwd[c->act](n, c->a, c->b, &c->ap); break;
    case K_BWD: t->act_bwd[c->act](n, c->a, c->b, c->c, c->d, &c->ap); break;
    case K_SOFTMAX: t->softmax(n / BENCH_ROW_COLS, BENCH_ROW_COLS, c->a, c->c); break;
    case K_XENT:
        t->loss[BP_LOSS_SOFTMAX_XENT](n / BENCH_ROW_COLS, BENCH_ROW_COLS, c->a, c->b, c->c,
                                      c->loss_rows, 1.0f / (float)(n / BENCH_ROW_COLS));
        break;
    case K_SGD: t->sgd(n, c->a, c->b, c->c, &c->sp); break;
    case K_ADAM: t->adam(n, c->a, c->b, c->c, c->d, &c->adp); break;
    }
}

static const char *size_label(size_t n) {
    return n == 1024 ? "4KiB" : n == 65536 ? "256KiB" : n == 4194304 ? "16MiB" : "?";
}

size_t bp_bench_cases_elementwise(bp_bench_case *out, size_t cap) {
    static const size_t sizes[] = {1024, 65536, 4194304}; // 4 KiB, 256 KiB, 16 MiB of floats
    size_t count = 0;
    for (int isa = BP_ISA_SCALAR; isa < BP_ISA_COUNT; isa++) {
        if (!bp_isa_compiled((bp_isa)isa)) continue;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            for (int kind = K_FWD; kind <= K_ADAM; kind++) {
                int nacts = kind <= K_BWD ? BP_ACT_COUNT : 1;
                for (int act = 0; act < nacts; act++) {
                    if (kind <= K_BWD && act == BP_ACT_SOFTMAX) continue;
                    if (count < cap) {
                        bp_bench_case c;
                        memset(&c, 0, sizeof c);
                        const char *isa_name = bp_isa_name((bp_isa)isa);
                        switch (kind) {
                        case K_FWD:
                        case K_BWD:
                            snprintf(c.name, sizeof c.name, "f32_%s_%s/%s__%s", bp_act_name((bp_act)act),
                                     kind == K_FWD ? "fwd" : "bwd", size_label(n), isa_name);
                            break;
                        case K_SOFTMAX:
                        case K_XENT:
                            snprintf(c.name, sizeof c.name, "f32_%s/%s/%zux%d__%s",
                                     kind == K_SOFTMAX ? "softmax" : "softmax_xent", size_label(n),
                                     n / BENCH_ROW_COLS, BENCH_ROW_COLS, isa_name);
                            break;
                        case K_SGD:
                            snprintf(c.name, sizeof c.name, "f32_sgd_momentum/%s__%s", size_label(n),
                                     isa_name);
                            break;
                        case K_ADAM:
                            snprintf(c.name, sizeof c.name, "f32_adamw/%s__%s", size_label(n), isa_name);
                            break;
                        }
                        c.isa = (bp_isa)isa;
                        c.setup = ew_setup;
                        c.run = ew_run;
                        c.teardown = ew_teardown;
                        double streams = kind == K_FWD || kind == K_SOFTMAX ? 2
                                         : kind == K_BWD ? (act == BP_ACT_IDENTITY || act == BP_ACT_STEP ? 2 : 3)
                                         : kind == K_XENT ? 3
                                         : kind == K_SGD ? 5
                                                         : 7;
                        c.bytes = streams * sizeof(float) * (double)n;
                        c.elements = (double)n;
                        c.arg[0] = (size_t)kind;
                        c.arg[1] = (size_t)act;
                        c.arg[2] = n;
                        out[count] = c;
                    }
                    count++;
                }
            }
        }
    }
    return count;
}
