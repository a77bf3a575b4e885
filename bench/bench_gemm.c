// SPDX-License-Identifier: MIT
// Benchmark cases of the matrix-product family: the three products of a
// training step (forward Z = X·Wᵀ + b, data gradient dX = dZ·W, weight
// gradient dW = dZᵀ·X) for every ISA at MLP shapes, the dot product, the
// FMA peak loops the fraction-of-peak figures divide by, and, when oneDNN is
// found, its inner product (forward, backward data, backward weights) on the
// same shapes and the same plain row-major layouts.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backprop_kernels.h"
#include "bench_cases.h"
#include "fma-peak.h"

#ifdef BP_HAVE_DNNL
#include <dnnl.h>
#endif

// The peak loops exist only where their ISA was compiled in; weak
// references read as NULL otherwise (see the note in the gemm kernels).
#pragma weak bp_fma_peak_flops__avx512
#pragma weak bp_fma_peak_flops__avx2
#pragma weak bp_bf16_dot_peak_flops__avx512bf16

// Until bench/bench_elementwise.c exists, the binary links with no
// elementwise cases; its definition overrides this one.
__attribute__((weak)) size_t bp_bench_cases_elementwise(bp_bench_case *out, size_t cap) {
    (void)out;
    (void)cap;
    return 0;
}

enum { KIND_GEMM, KIND_DOT, KIND_PEAK, KIND_DNNL };
enum { OR_FWD, OR_BWD_DATA, OR_BWD_WEIGHTS };
static const char *const or_name[] = {"fwd", "bwd_data", "bwd_weights"};

static float *alloc_floats(size_t n) {
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    return p;
}

static void fill(float *x, size_t n, uint64_t seed) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = (float)(s >> 40) * 0x1.0p-23f - 1.0f; // uniform in [-1, 1)
    }
}

// ------------------------------------------------------------------ our gemm
typedef struct {
    const bp_kernel_table *t;
    size_t m, n, k, a_rs, a_cs, b_rs, b_cs, c_rs;
    float *a, *b, *c, *bias, *ws;
    int bf16; // 1: gemm_bf16 (--precision bf16's product) instead of gemm; 2: gemm_bf16_panels
    uint32_t *panels; // bf16 == 2: W's panels for this orientation (packed once, as a training step does)
} gemm_ctx;

static void gemm_teardown(void *p) {
    gemm_ctx *g = p;
    if (!g) return;
    free(g->a);
    free(g->b);
    free(g->c);
    free(g->bias);
    free(g->ws);
    free(g->panels);
    free(g);
}

// arg: kind, orientation, batch, in, out.
static void *gemm_setup(const bp_bench_case *c, const char **why) {
    gemm_ctx *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->t = bp_kernel_table_get(c->isa);
    if (!g->t) {
        *why = "no kernel table for this ISA";
        free(g);
        return NULL;
    }
    g->bf16 = (int)c->arg[5];
    if (g->bf16 == 2 && !g->t->gemm_bf16_panels) {
        *why = "no bf16 panels on this CPU (they need AVX512_BF16)";
        free(g);
        return NULL;
    }
    size_t batch = c->arg[2], in = c->arg[3], out = c->arg[4];
    float *x = alloc_floats(batch * in), *w = alloc_floats(out * in);
    float *dz = alloc_floats(batch * out);
    switch (c->arg[1]) {
    case OR_FWD: // Z (batch x out) = X · Wᵀ + b
        g->m = batch, g->n = out, g->k = in;
        g->a = x, g->a_rs = in, g->a_cs = 1;
        g->b = w, g->b_rs = 1, g->b_cs = in;
        g->bias = alloc_floats(out);
        free(dz);
        break;
    case OR_BWD_DATA: // dX (batch x in) = dZ · W
        g->m = batch, g->n = in, g->k = out;
        g->a = dz, g->a_rs = out, g->a_cs = 1;
        g->b = w, g->b_rs = in, g->b_cs = 1;
        free(x);
        break;
    default: // dW (out x in) = dZᵀ · X
        g->m = out, g->n = in, g->k = batch;
        g->a = dz, g->a_rs = 1, g->a_cs = out;
        g->b = x, g->b_rs = in, g->b_cs = 1;
        free(w);
        break;
    }
    g->c_rs = g->n;
    g->c = alloc_floats(g->m * g->n);
    g->ws = alloc_floats(g->t->gemm_ws_floats + 16);
    size_t ea = g->a_cs == 1 ? g->m * g->k : g->k * g->m;
    if (!g->a || !g->b || !g->c || !g->ws || (c->arg[1] == OR_FWD && !g->bias)) {
        *why = "out of memory";
        gemm_teardown(g);
        return NULL;
    }
    fill(g->a, ea, 1);
    fill(g->b, g->k * g->n, 2);
    fill(g->c, g->m * g->n, 3);
    if (g->bias) fill(g->bias, g->n, 4);
    if (g->bf16 == 2) { // W is b: out x in in either orientation
        size_t fwd_words = BP_BF16_PANEL_WORDS(in, out), bwd_words = BP_BF16_PANEL_WORDS(out, in);
        uint32_t *fwd = aligned_alloc(64, (fwd_words * 4 + 63) / 64 * 64), *bwd = aligned_alloc(64, (bwd_words * 4 + 63) / 64 * 64);
        if (!fwd || !bwd) {
            free(fwd);
            free(bwd);
            *why = "out of memory";
            gemm_teardown(g);
            return NULL;
        }
        g->t->bf16_pack_weights(g->b, out, in, 0, out, fwd, bwd);
        g->panels = c->arg[1] == OR_FWD ? fwd : bwd;
        free(c->arg[1] == OR_FWD ? bwd : fwd);
    }
    return g;
}

static void gemm_run(void *p) {
    gemm_ctx *g = p;
    if (g->bf16 == 2) {
        g->t->gemm_bf16_panels(g->m, g->n, g->k, g->a, g->a_rs, g->a_cs, g->panels, g->c, g->c_rs,
                               g->bias, 0, g->ws);
        return;
    }
    (g->bf16 ? g->t->gemm_bf16 : g->t->gemm)(g->m, g->n, g->k, g->a, g->a_rs, g->a_cs, g->b, g->b_rs, g->b_cs, g->c, g->c_rs,
               g->bias, 0, g->ws);
}

// ------------------------------------------------------------------- dot
typedef struct {
    const bp_kernel_table *t;
    size_t n;
    float *x, *y;
    volatile float sink;
} dot_ctx;

static void *dot_setup(const bp_bench_case *c, const char **why) {
    dot_ctx *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->t = bp_kernel_table_get(c->isa);
    d->n = c->arg[5];
    d->x = alloc_floats(d->n);
    d->y = alloc_floats(d->n);
    if (!d->t || !d->x || !d->y) {
        *why = "no table or out of memory";
        free(d->x);
        free(d->y);
        free(d);
        return NULL;
    }
    fill(d->x, d->n, 5);
    fill(d->y, d->n, 6);
    return d;
}

static void dot_run(void *p) {
    dot_ctx *d = p;
    d->sink = d->t->dot(d->n, d->x, d->y);
}

static void dot_teardown(void *p) {
    dot_ctx *d = p;
    free(d->x);
    free(d->y);
    free(d);
}

// --------------------------------------------------------------- FMA peak
typedef struct {
    double (*fn)(size_t);
    size_t iters;
} peak_ctx;

// How the bf16 products of a table multiply (avx512bf16: vdpbf16ps).
static const char *gemm_label(void *p) {
    gemm_ctx *g = p;
    return g->bf16 ? g->t->bf16_kernels : NULL;
}

// arg[1]: 0 the float FMA loop of the case's ISA, 1 the vdpbf16ps loop.
static void *peak_setup(const bp_bench_case *c, const char **why) {
    double (*fn)(size_t) = c->isa == BP_ISA_AVX512 ? bp_fma_peak_flops__avx512
                                                   : bp_fma_peak_flops__avx2;
    if (c->arg[1] == 1) {
        const bp_kernel_table *t = bp_kernel_table_get(BP_ISA_AVX512);
        fn = bp_bf16_dot_peak_flops__avx512bf16;
        if (fn && (!t || strcmp(t->bf16_kernels, "avx512bf16") != 0)) {
            *why = "this CPU lacks AVX512_BF16";
            return NULL;
        }
    }
    if (!fn) {
        *why = "peak loop not compiled in";
        return NULL;
    }
    peak_ctx *p = malloc(sizeof *p);
    if (!p) return NULL;
    p->fn = fn;
    p->iters = c->arg[5];
    return p;
}

static void peak_run(void *p) {
    peak_ctx *q = p;
    q->fn(q->iters);
}

static void peak_teardown(void *p) { free(p); }

// ------------------------------------------------------------------ oneDNN
#ifdef BP_HAVE_DNNL
// One inner-product primitive on plain row-major f32 buffers (src nc,
// weights oi, dst nc: the layouts the trainer holds), single thread (run
// with OMP_NUM_THREADS=1: this oneDNN uses the OpenMP runtime).
typedef struct {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t prim;
    dnnl_memory_t mem[4];
    dnnl_exec_arg_t args[4];
    int nargs;
    float *buf[4];
    char impl[64];
} dnnl_ctx;

static void dnnl_teardown(void *p) {
    dnnl_ctx *d = p;
    if (!d) return;
    for (int i = 0; i < 4; i++) {
        if (d->mem[i]) dnnl_memory_destroy(d->mem[i]);
        free(d->buf[i]);
    }
    if (d->prim) dnnl_primitive_destroy(d->prim);
    if (d->stream) dnnl_stream_destroy(d->stream);
    if (d->engine) dnnl_engine_destroy(d->engine);
    free(d);
}

static int dnnl_add_arg(dnnl_ctx *d, int arg, const dnnl_memory_desc_t *md, size_t floats,
                        uint64_t seed) {
    int i = d->nargs;
    d->buf[i] = alloc_floats(floats);
    if (!d->buf[i]) return 0;
    fill(d->buf[i], floats, seed);
    if (dnnl_memory_create(&d->mem[i], md, d->engine, d->buf[i]) != dnnl_success) return 0;
    d->args[i].arg = arg;
    d->args[i].memory = d->mem[i];
    d->nargs++;
    return 1;
}

static void *dnnl_setup(const bp_bench_case *c, const char **why) {
    dnnl_ctx *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    *why = "oneDNN setup failed";
    dnnl_dim_t batch = (dnnl_dim_t)c->arg[2], in = (dnnl_dim_t)c->arg[3],
               out = (dnnl_dim_t)c->arg[4];
    dnnl_dims_t dsrc = {batch, in}, dw = {out, in}, db = {out}, ddst = {batch, out};
    dnnl_memory_desc_t src, w, b, dst;
    dnnl_primitive_desc_t fwd_pd = NULL, pd = NULL;
    dnnl_inner_product_desc_t desc;
    int ok = dnnl_engine_create(&d->engine, dnnl_cpu, 0) == dnnl_success &&
             dnnl_stream_create(&d->stream, d->engine, dnnl_stream_default_flags) == dnnl_success &&
             dnnl_memory_desc_init_by_tag(&src, 2, dsrc, dnnl_f32, dnnl_nc) == dnnl_success &&
             dnnl_memory_desc_init_by_tag(&w, 2, dw, dnnl_f32, dnnl_oi) == dnnl_success &&
             dnnl_memory_desc_init_by_tag(&b, 1, db, dnnl_f32, dnnl_x) == dnnl_success &&
             dnnl_memory_desc_init_by_tag(&dst, 2, ddst, dnnl_f32, dnnl_nc) == dnnl_success &&
             dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_training, &src, &w, &b,
                                                  &dst) == dnnl_success &&
             dnnl_primitive_desc_create(&fwd_pd, &desc, NULL, d->engine, NULL) == dnnl_success;
    if (ok) {
        switch (c->arg[1]) {
        case OR_FWD:
            pd = fwd_pd, fwd_pd = NULL;
            ok = dnnl_add_arg(d, DNNL_ARG_SRC, &src, (size_t)(batch * in), 1) &&
                 dnnl_add_arg(d, DNNL_ARG_WEIGHTS, &w, (size_t)(out * in), 2) &&
                 dnnl_add_arg(d, DNNL_ARG_BIAS, &b, (size_t)out, 4) &&
                 dnnl_add_arg(d, DNNL_ARG_DST, &dst, (size_t)(batch * out), 3);
            break;
        case OR_BWD_DATA:
            ok = dnnl_inner_product_backward_data_desc_init(&desc, &src, &w, &dst) == dnnl_success &&
                 dnnl_primitive_desc_create(&pd, &desc, NULL, d->engine, fwd_pd) == dnnl_success &&
                 dnnl_add_arg(d, DNNL_ARG_DIFF_DST, &dst, (size_t)(batch * out), 1) &&
                 dnnl_add_arg(d, DNNL_ARG_WEIGHTS, &w, (size_t)(out * in), 2) &&
                 dnnl_add_arg(d, DNNL_ARG_DIFF_SRC, &src, (size_t)(batch * in), 3);
            break;
        default: // no bias gradient: ours is a separate column sum
            ok = dnnl_inner_product_backward_weights_desc_init(&desc, &src, &w, NULL, &dst) ==
                     dnnl_success &&
                 dnnl_primitive_desc_create(&pd, &desc, NULL, d->engine, fwd_pd) == dnnl_success &&
                 dnnl_add_arg(d, DNNL_ARG_SRC, &src, (size_t)(batch * in), 1) &&
                 dnnl_add_arg(d, DNNL_ARG_DIFF_DST, &dst, (size_t)(batch * out), 2) &&
                 dnnl_add_arg(d, DNNL_ARG_DIFF_WEIGHTS, &w, (size_t)(out * in), 3);
            break;
        }
    }
    if (ok && pd) {
        const char *impl = NULL;
        if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, (void *)&impl) ==
                dnnl_success &&
            impl)
            snprintf(d->impl, sizeof d->impl, "%s", impl);
        ok = dnnl_primitive_create(&d->prim, pd) == dnnl_success;
    }
    if (fwd_pd) dnnl_primitive_desc_destroy(fwd_pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (!ok) {
        dnnl_teardown(d);
        return NULL;
    }
    return d;
}

static void dnnl_run(void *p) {
    dnnl_ctx *d = p;
    dnnl_primitive_execute(d->prim, d->stream, d->nargs, d->args);
    dnnl_stream_wait(d->stream);
}

static const char *dnnl_label(void *p) { return ((dnnl_ctx *)p)->impl; }
#endif

// ------------------------------------------------------------------- cases
static const size_t layers[][2] = {{784, 256}, {256, 128}, {128, 10}, {1024, 1024}};
static const size_t batches[] = {32, 128, 256};

static size_t push(bp_bench_case *out, size_t cap, size_t n, const bp_bench_case *c) {
    if (n < cap) out[n] = *c;
    return n + 1;
}

size_t bp_bench_cases_gemm(bp_bench_case *out, size_t cap) {
    size_t n = 0;
    bp_bench_case c;
    // FMA peak references first (bench_main also runs them first).
    static const struct {
        bp_isa isa;
        const char *name;
    } peaks[] = {{BP_ISA_AVX512, "fma_peak/zmm__avx512"}, {BP_ISA_AVX2, "fma_peak/ymm__avx2"}};
    for (size_t i = 0; i < 2; i++) {
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "%s", peaks[i].name);
        c.isa = peaks[i].isa;
        c.setup = peak_setup, c.run = peak_run, c.teardown = peak_teardown;
        c.arg[0] = KIND_PEAK;
        c.arg[5] = 1u << 16;
        c.flops = (double)c.arg[5] * (peaks[i].isa == BP_ISA_AVX512 ? 24 * 16 * 2 : 12 * 8 * 2);
        c.fraction_of_peak = 1;
        n = push(out, cap, n, &c);
    }
    // The vdpbf16ps peak the bf16 products are measured against (4 flops
    // per lane: two products, two adds). Not a peak_frac reference: the
    // bf16 rows' peak_frac is against the float FMA peak (bf16's is ~2x).
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "bf16_dot_peak/zmm__avx512");
    c.isa = BP_ISA_AVX512;
    c.setup = peak_setup, c.run = peak_run, c.teardown = peak_teardown;
    c.arg[0] = KIND_PEAK, c.arg[1] = 1;
    c.arg[5] = 1u << 16;
    c.flops = (double)c.arg[5] * 24 * 16 * 4;
    n = push(out, cap, n, &c);
#if defined(__aarch64__)
    // neon's bf16 rows run BFMMLA (kernels/neonbf16/) where HWCAP2_BF16 is
    // set, the float-FMA path elsewhere; the label says which.
    static const bp_isa isas[] = {BP_ISA_SCALAR, BP_ISA_NEON};
#else
    static const bp_isa isas[] = {BP_ISA_SCALAR, BP_ISA_AVX2, BP_ISA_AVX512};
#endif
    for (size_t li = 0; li < sizeof layers / sizeof layers[0]; li++)
        for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++)
            for (int o = 0; o < 3; o++) {
                size_t in = layers[li][0], outw = layers[li][1], batch = batches[bi];
                double flops = 2.0 * (double)batch * (double)in * (double)outw;
                for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
                    // The scalar reference takes ~0.1 s per 1024x1024 product: left out.
                    if (isas[ii] == BP_ISA_SCALAR && in * outw > 1u << 19) continue;
                    memset(&c, 0, sizeof c);
                    snprintf(c.name, sizeof c.name, "f32_gemm/%s/B%zu/%zux%zu__%s", or_name[o],
                             batch, in, outw, bp_isa_name(isas[ii]));
                    c.isa = isas[ii];
                    c.setup = gemm_setup, c.run = gemm_run, c.teardown = gemm_teardown;
                    c.arg[0] = KIND_GEMM, c.arg[1] = (size_t)o, c.arg[2] = batch;
                    c.arg[3] = in, c.arg[4] = outw;
                    c.flops = flops;
                    c.fraction_of_peak = 1;
                    n = push(out, cap, n, &c);
                    // The bf16 product beside it (not for the scalar reference).
                    if (isas[ii] == BP_ISA_SCALAR) continue;
                    snprintf(c.name, sizeof c.name, "bf16_gemm/%s/B%zu/%zux%zu__%s", or_name[o],
                             batch, in, outw, bp_isa_name(isas[ii]));
                    c.arg[5] = 1;
                    c.label = gemm_label;
                    n = push(out, cap, n, &c);
                    // ... and on the weights' bf16 panels, as training multiplies
                    // by W (forward, data gradient) where the CPU has them.
                    if (o == OR_BWD_WEIGHTS || isas[ii] != BP_ISA_AVX512) continue;
                    snprintf(c.name, sizeof c.name, "bf16_panels_gemm/%s/B%zu/%zux%zu__%s",
                             or_name[o], batch, in, outw, bp_isa_name(isas[ii]));
                    c.arg[5] = 2;
                    n = push(out, cap, n, &c);
                }
#ifdef BP_HAVE_DNNL
                memset(&c, 0, sizeof c);
                snprintf(c.name, sizeof c.name, "onednn_ip/%s/B%zu/%zux%zu__onednn", or_name[o],
                         batch, in, outw);
                c.isa = BP_ISA_AUTO;
                c.setup = dnnl_setup, c.run = dnnl_run, c.teardown = dnnl_teardown;
                c.label = dnnl_label;
                c.arg[0] = KIND_DNNL, c.arg[1] = (size_t)o, c.arg[2] = batch;
                c.arg[3] = in, c.arg[4] = outw;
                c.flops = flops;
                c.fraction_of_peak = 1;
                n = push(out, cap, n, &c);
#endif
            }
    static const size_t dot_n[] = {784, 4096};
    for (size_t di = 0; di < 2; di++)
        for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
            memset(&c, 0, sizeof c);
            snprintf(c.name, sizeof c.name, "f32_dot/n%zu__%s", dot_n[di], bp_isa_name(isas[ii]));
            c.isa = isas[ii];
            c.setup = dot_setup, c.run = dot_run, c.teardown = dot_teardown;
            c.arg[0] = KIND_DOT, c.arg[5] = dot_n[di];
            c.flops = 2.0 * (double)dot_n[di];
            c.bytes = 2.0 * sizeof(float) * (double)dot_n[di];
            c.elements = (double)dot_n[di];
            c.fraction_of_peak = 1;
            n = push(out, cap, n, &c);
        }
    return n;
}
