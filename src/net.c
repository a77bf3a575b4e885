// SPDX-License-Identifier: MIT
// The network: layer shapes, parameter storage, initialisation and the
// inference forward pass.
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bp_internal.h"

// Floats before a pooled scratch block's pointer: its capacity (see
// bp_scratch_take), padded to keep the block 64-byte aligned.
#define SCRATCH_HEADER 16

bp_net_options bp_net_options_default(void) {
    bp_net_options o;
    memset(&o, 0, sizeof o);
    o.isa = BP_ISA_AUTO;
    o.seed = 42;
    o.leaky_alpha = 0.01f;
    return o;
}

bp_status bp_net_alloc(size_t n_layers, const uint32_t *sizes, const bp_act *acts,
                       const bp_net_options *opt, bp_net **out) {
    if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_create: out is NULL");
    *out = NULL;
    if (!sizes || !acts) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_create: sizes or acts is NULL");
    if (n_layers == 0 || n_layers > BP_MAX_LAYERS)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_create: %zu layers (expected 1 to %d)",
                       n_layers, BP_MAX_LAYERS);
    for (size_t i = 0; i <= n_layers; i++) {
        if (sizes[i] == 0) {
            if (i == 0) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "input: 0 units");
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "layer %zu: 0 units", i);
        }
        if (sizes[i] > BP_MAX_WIDTH)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "layer %zu: %u units (at most %u)", i,
                           sizes[i], BP_MAX_WIDTH);
    }
    for (size_t l = 0; l < n_layers; l++) {
        if ((unsigned)acts[l] >= BP_ACT_COUNT)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "layer %zu: unknown activation %d", l + 1,
                           (int)acts[l]);
        if (acts[l] == BP_ACT_SOFTMAX && l + 1 != n_layers)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                           "layer %zu: softmax is only allowed on the output layer", l + 1);
        // A softmax over one unit is always 1: nothing to learn, loss 0.
        if (acts[l] == BP_ACT_SOFTMAX && sizes[l + 1] < 2)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                           "layer %zu: softmax over %u unit (softmax needs at least 2 outputs; "
                           "for two classes use 1 sigmoid output or 2 softmax outputs)",
                           l + 1, sizes[l + 1]);
    }
    bp_net_options defaults = bp_net_options_default();
    if (!opt) opt = &defaults;
    const bp_kernel_table *k;
    bp_status st = bp_table_for(opt->isa, &k);
    if (st != BP_STATUS_OK) return st;

    // Parameter count, overflow-checked; each layer's block starts on a
    // 64-byte boundary so kernels see aligned rows where widths allow.
    size_t total = 0;
    int ok = 1;
    for (size_t l = 0; l < n_layers; l++) {
        size_t w = bp_mul_size(sizes[l], sizes[l + 1], &ok);
        size_t blk = ((w + 15) & ~(size_t)15) + ((sizes[l + 1] + 15u) & ~15u);
        if (!ok || total > SIZE_MAX / 8 - blk)
            return bp_fail(BP_STATUS_OUT_OF_MEMORY, "layer %zu: parameter count overflows", l + 1);
        total += blk;
    }
    bp_net *net = bp_alloc(1, sizeof *net);
    float *params = net ? bp_alloc_hot(total, sizeof(float)) : NULL;
    if (!params) {
        bp_free(net);
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_net_create: cannot allocate %zu parameters", total);
    }
    net->n_layers = n_layers;
    net->params = params;
    net->k = k;
    net->act_params.alpha = opt->leaky_alpha;
    net->strict_ieee = opt->strict_ieee != 0;
    size_t off = 0, count = 0;
    for (size_t l = 0; l < n_layers; l++) {
        struct bp_layer *L = &net->layers[l];
        L->n_in = sizes[l];
        L->n_out = sizes[l + 1];
        L->act = acts[l];
        L->w = params + off;
        off += ((size_t)L->n_in * L->n_out + 15) & ~(size_t)15;
        L->b = params + off;
        off += (L->n_out + 15u) & ~15u;
        count += (size_t)L->n_in * L->n_out + L->n_out;
    }
    net->n_params = count;
    net->params_floats = total;
    *out = net;
    return BP_STATUS_OK;
}

// The bound b of the uniform [-b, b] the weights of layer L are drawn from
// (formulas in backprop.h). AUTO: He-uniform for the ReLU family (keeps the
// activation variance through half-rectified units), Glorot otherwise.
static double init_bound(bp_init init, const struct bp_layer *L) {
    double fan_in = L->n_in, fan_out = L->n_out;
    if (init == BP_INIT_AUTO) {
        int relu_like = L->act == BP_ACT_RELU || L->act == BP_ACT_LEAKY_RELU || L->act == BP_ACT_GELU;
        init = relu_like ? BP_INIT_HE : BP_INIT_GLOROT;
    }
    switch (init) {
    case BP_INIT_HE: return sqrt(6.0 / fan_in);
    case BP_INIT_LECUN: return sqrt(3.0 / fan_in);
    case BP_INIT_TORCH: return 1.0 / sqrt(fan_in);
    default: return sqrt(6.0 / (fan_in + fan_out));
    }
}

bp_status bp_net_create(size_t n_layers, const uint32_t *sizes, const bp_act *acts,
                        const bp_net_options *opt, bp_net **out) {
    bp_net_options defaults = bp_net_options_default();
    if (!opt) opt = &defaults;
    if ((unsigned)opt->init >= BP_INIT_COUNT) {
        if (out) *out = NULL;
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_create: unknown initialisation %d", (int)opt->init);
    }
    bp_status st = bp_net_alloc(n_layers, sizes, acts, opt, out);
    if (st != BP_STATUS_OK) return st;
    bp_net *net = *out;
    bp_rng rng;
    bp_rng_seed(&rng, opt->seed);
    for (size_t l = 0; l < n_layers; l++) {
        struct bp_layer *L = &net->layers[l];
        double limit = init_bound(opt->init, L);
        size_t nw = (size_t)L->n_in * L->n_out;
        for (size_t i = 0; i < nw; i++)
            L->w[i] = (float)((2.0 * bp_rng_uniform(&rng) - 1.0) * limit);
        // Biases uniform in ±1/sqrt(fan_in), not zero: zero biases keep a
        // net of odd activations odd, and on point-symmetric data (spirals)
        // symmetry then keeps their gradients zero and training stalls.
        double blimit = 1.0 / sqrt((double)L->n_in);
        for (size_t i = 0; i < L->n_out; i++)
            L->b[i] = (float)((2.0 * bp_rng_uniform(&rng) - 1.0) * blimit);
    }
    return BP_STATUS_OK;
}

void bp_net_destroy(bp_net *net) {
    if (!net) return;
    for (int i = 0; i < BP_SCRATCH_SLOTS; i++) {
        float *block = atomic_load(&net->scratch_pool[i]);
        if (block) bp_free(block - SCRATCH_HEADER);
    }
    bp_net_free_meta(net);
    bp_free(net->params);
    bp_free(net);
}

bp_status bp_net_clone(const bp_net *net, bp_net **out) {
    if (!net || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_clone: NULL argument");
    uint32_t sizes[BP_MAX_LAYERS + 1];
    bp_act acts[BP_MAX_LAYERS];
    for (size_t l = 0; l < net->n_layers; l++) {
        sizes[l] = net->layers[l].n_in;
        acts[l] = net->layers[l].act;
    }
    sizes[net->n_layers] = net->layers[net->n_layers - 1].n_out;
    bp_net_options o = bp_net_options_default();
    o.isa = net->k->isa;
    o.leaky_alpha = net->act_params.alpha;
    o.strict_ieee = net->strict_ieee;
    bp_status st = bp_net_alloc(net->n_layers, sizes, acts, &o, out);
    if (st != BP_STATUS_OK) return st;
    bp_net *c = *out;
    memcpy(c->params, net->params, net->params_floats * sizeof(float));
    st = bp_net_copy_meta(c, net);
    if (st != BP_STATUS_OK) {
        bp_net_destroy(c);
        *out = NULL;
    }
    return st;
}

size_t bp_net_n_layers(const bp_net *net) { return net ? net->n_layers : 0; }

uint32_t bp_net_size(const bp_net *net, size_t i) {
    if (!net || i > net->n_layers) return 0;
    return i == net->n_layers ? net->layers[i - 1].n_out : net->layers[i].n_in;
}

bp_act bp_net_activation(const bp_net *net, size_t layer) {
    if (!net || layer >= net->n_layers) return BP_ACT_COUNT;
    return net->layers[layer].act;
}

size_t bp_net_n_params(const bp_net *net) { return net ? net->n_params : 0; }
bp_isa bp_net_isa(const bp_net *net) { return net ? net->k->isa : BP_ISA_AUTO; }
float bp_net_leaky_alpha(const bp_net *net) { return net ? net->act_params.alpha : 0.0f; }
float *bp_net_weights(bp_net *net, size_t l) { return net && l < net->n_layers ? net->layers[l].w : NULL; }
float *bp_net_bias(bp_net *net, size_t l) { return net && l < net->n_layers ? net->layers[l].b : NULL; }

uint32_t bp_net_max_width(const bp_net *net) {
    uint32_t m = net->layers[0].n_in;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].n_out > m) m = net->layers[l].n_out;
    return m;
}

// NaN and Inf are the floats whose exponent bits are all ones.
static inline uint32_t not_finite(float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return (u & 0x7f800000u) == 0x7f800000u;
}

int bp_copy_finite(float *dst, const float *src, size_t n) {
    // The copy is memcpy's (its wide loads matter when src is far away in
    // memory); the check then reads dst from the cache, branch-free so that
    // the compiler vectorizes it.
    if (dst) {
        memcpy(dst, src, n * sizeof *src);
        src = dst;
    }
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) bad |= not_finite(src[i]);
    return bad == 0;
}

bp_status bp_row_not_finite(const float *row, size_t width, size_t i, const char *what) {
    for (size_t j = 0; j < width; j++)
        if (!isfinite(row[j]))
            return bp_fail(BP_STATUS_NUMERIC_ERROR, "%s: row %zu, column %zu is %s", what, i, j,
                           isnan(row[j]) ? "NaN" : "infinite");
    return BP_STATUS_OK;
}

bp_status bp_check_finite(const float *x, size_t n, size_t width, const char *what) {
    for (size_t i = 0; i < n; i++)
        if (!bp_copy_finite(NULL, x + i * width, width))
            return bp_row_not_finite(x + i * width, width, i, what);
    return BP_STATUS_OK;
}

void bp_net_forward_rows(const bp_net *net, const float *x, size_t n, float *y,
                         const bp_fwd_scratch *s, int logits) {
    const bp_kernel_table *k = net->k;
    const float *cur = x;
    if (net->in_offset) {
        // Layer 0 writes buf[0] (or y), so buf[1] holds the scaled input.
        bp_scale_rows(x, s->buf[1], n, net->layers[0].n_in, net->in_offset, net->in_scale);
        cur = s->buf[1];
    }
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct bp_layer *L = &net->layers[l];
        float *dst = l + 1 == net->n_layers ? y : s->buf[l & 1];
        k->gemm(n, L->n_out, L->n_in, cur, L->n_in, 1, L->w, 1, L->n_in, dst, L->n_out, L->b, 0,
                s->gemm_ws);
        if (logits && l + 1 == net->n_layers)
            ; // the fused loss applies the output activation itself
        else if (L->act == BP_ACT_SOFTMAX)
            k->softmax(n, L->n_out, dst, dst);
        else
            k->act_fwd[L->act]((size_t)n * L->n_out, dst, dst, &net->act_params);
        cur = dst;
    }
}

// ------------------------------------------------------- forward scratch
// A predict call used to allocate (and zero) scratch for 256 rows on every
// call: ~470 us for one row of 784-256-128-10, against ~5 us per row in a
// batch. Now scratch is sized by min(n, BP_FORWARD_CHUNK) rows and kept in
// the network's pool between calls. A block's first 64 bytes hold its
// capacity in floats; the pointer handed out is past them (SCRATCH_HEADER).

size_t bp_fwd_scratch_floats(const bp_net *net, size_t rows) {
    size_t floats = 2 * rows * (size_t)bp_net_max_width(net) + net->k->gemm_ws_floats + 32;
    return (floats + 15) & ~(size_t)15;
}

bp_fwd_scratch bp_fwd_scratch_at(const bp_net *net, float *base, size_t rows) {
    size_t act = ((rows * (size_t)bp_net_max_width(net)) + 15) & ~(size_t)15;
    bp_fwd_scratch s = {{base, base + act}, base + 2 * act};
    return s;
}

// Lock-free: a slot holds a block or NULL; taking swaps NULL in, giving
// back swaps the block into an empty slot (or frees it when all are full).
float *bp_scratch_take(const bp_net *net, size_t floats) {
    bp_net *pool = (bp_net *)net; // the pool is the mutable part of a const network
    for (int i = 0; i < BP_SCRATCH_SLOTS; i++) {
        if (!atomic_load_explicit(&pool->scratch_pool[i], memory_order_relaxed)) continue;
        float *block = atomic_exchange(&pool->scratch_pool[i], NULL);
        if (!block) continue;
        size_t cap;
        memcpy(&cap, block - SCRATCH_HEADER, sizeof cap);
        if (cap >= floats) return block;
        bp_free(block - SCRATCH_HEADER); // too small: replaced by a larger one
        break;
    }
    if (floats > SIZE_MAX / sizeof(float) - SCRATCH_HEADER) return NULL;
    float *raw = bp_alloc(floats + SCRATCH_HEADER, sizeof(float));
    if (!raw) return NULL;
    memcpy(raw, &floats, sizeof floats);
    return raw + SCRATCH_HEADER;
}

void bp_scratch_give(const bp_net *net, float *block) {
    if (!block) return;
    bp_net *pool = (bp_net *)net;
    for (int i = 0; i < BP_SCRATCH_SLOTS; i++) {
        float *expected = NULL;
        if (atomic_compare_exchange_strong(&pool->scratch_pool[i], &expected, block)) return;
    }
    bp_free(block - SCRATCH_HEADER);
}

// A call on at most this many rows takes forward_rows_dot.
#define PREDICT_DOT_ROWS 4

// The forward pass of a few rows as dot products of each row with each
// weight row (contiguous in W). The matrix product would first pack Wᵀ, a
// transposing copy of every weight that, for one row, cost twice the
// product itself; here each weight is read once per row and nothing is
// copied. The dot kernel sums in another order than the product, so these
// outputs may differ from a batched call's in the last bits (both are
// deterministic).
static void forward_rows_dot(const bp_net *net, const float *x, size_t n, float *y,
                             const bp_fwd_scratch *s) {
    const bp_kernel_table *k = net->k;
    const float *cur = x;
    if (net->in_offset) {
        bp_scale_rows(x, s->buf[1], n, net->layers[0].n_in, net->in_offset, net->in_scale);
        cur = s->buf[1];
    }
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct bp_layer *L = &net->layers[l];
        float *dst = l + 1 == net->n_layers ? y : s->buf[l & 1];
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < L->n_out; j++)
                dst[r * L->n_out + j] = k->dot(L->n_in, cur + r * L->n_in, L->w + j * L->n_in) + L->b[j];
        if (L->act == BP_ACT_SOFTMAX)
            k->softmax(n, L->n_out, dst, dst);
        else
            k->act_fwd[L->act](n * L->n_out, dst, dst, &net->act_params);
        cur = dst;
    }
}

bp_status bp_net_predict_mt(const bp_net *net, const float *x, size_t n, float *y,
                            int n_threads) {
    if (!net || (!x && n) || (!y && n))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_predict: NULL argument");
    if (n_threads < 0) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_predict: %d threads", n_threads);
    if (n == 0) return BP_STATUS_OK;
    bp_status st = bp_check_finite(x, n, net->layers[0].n_in, "input");
    if (st != BP_STATUS_OK) return st;
    size_t n_chunks = (n + BP_FORWARD_CHUNK - 1) / BP_FORWARD_CHUNK;
    size_t rows_max = n < BP_FORWARD_CHUNK ? n : BP_FORWARD_CHUNK;
    int team = 1;
    (void)team; // unused when built without OpenMP (the pragma is ignored)
#ifdef _OPENMP
    team = n_threads > 0 ? n_threads : omp_get_max_threads();
    if ((size_t)team > n_chunks) team = (int)n_chunks;
#endif
    size_t floats = bp_fwd_scratch_floats(net, rows_max);
    int failed = 0;
#pragma omp parallel num_threads(team) if (team > 1) reduction(| : failed)
    {
        // Every thread sets the mode itself: an OpenMP worker's inherited
        // floating-point state is whatever it last ran.
        unsigned long m = bp_fpmode_enter(net->strict_ieee);
        float *base = bp_scratch_take(net, floats);
        failed = base == NULL;
        bp_fwd_scratch s = bp_fwd_scratch_at(net, base, rows_max);
#pragma omp for schedule(static)
        for (size_t c = 0; c < n_chunks; c++) {
            if (!base) continue;
            size_t r0 = c * BP_FORWARD_CHUNK, rows = n - r0 < BP_FORWARD_CHUNK ? n - r0 : BP_FORWARD_CHUNK;
            size_t n_out = net->layers[net->n_layers - 1].n_out;
            if (n <= PREDICT_DOT_ROWS)
                forward_rows_dot(net, x, n, y, &s);
            else
                bp_net_forward_rows(net, x + r0 * net->layers[0].n_in, rows, y + r0 * n_out, &s, 0);
            if (net->out_offset) bp_unscale_rows(y + r0 * n_out, rows, n_out, net->out_offset, net->out_scale);
        }
        bp_scratch_give(net, base);
        bp_fpmode_restore(m);
    }
    if (failed)
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_net_predict: no memory for %zu floats of scratch",
                       floats);
    return BP_STATUS_OK;
}

bp_status bp_net_predict(const bp_net *net, const float *x, size_t n, float *y) {
    return bp_net_predict_mt(net, x, n, y, 1);
}

void bp_split(size_t n, size_t align, int parts, int t, size_t *lo, size_t *hi) {
    size_t blocks = (n + align - 1) / align;
    size_t b0 = blocks * (size_t)t / (size_t)parts, b1 = blocks * (size_t)(t + 1) / (size_t)parts;
    *lo = b0 * align < n ? b0 * align : n;
    *hi = b1 * align < n ? b1 * align : n;
}

size_t bp_argmax(const float *x, size_t n) {
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (x[j] > x[best]) best = j;
    return best;
}
