// SPDX-License-Identifier: MIT
// Row kernels (softmax, the fused losses) and the reductions (colsum, vadd,
// axpy), written once against the vec.h vocabulary (kernels/generic/README.md)
// and instantiated per ISA by kernels/<isa>/f32-rows-<isa>.c. Never compiled
// alone.
//
// Reduction order, for reproducibility: a row sum (softmax denominator,
// loss) accumulates lane-wise in column order into one vector — lane l
// holds the columns j ≡ l (mod BPV_LANES), the masked tail adding zeros
// to its inactive lanes — and then reduces that vector with bpv_hsum's
// halving tree. It depends on the row's contents and length only (rows
// are independent; no alignment peeling), so splitting a batch by rows
// across threads cannot change a row's result. colsum vectorises across
// columns and adds rows in order 0, 1, 2… per column, the scalar order,
// so it is bit-identical to the reference and partition-invariant.
// The elementwise parts repeat the scalar formulas' operation order; only
// the transcendentals and the summation order differ (tests/tolerances.h).
#include "generic/names.h"

// Row maximum. NaN handling need not be exact here: a NaN element makes
// its own exp(x - m) NaN, so the sum, and with it every output of the
// row, is NaN whatever bpv_max did with it (as in the reference).
static inline float bp_row_max_(size_t cols, const float *x) {
    const bpv_f32 ninf = bpv_set1(-INFINITY);
    bpv_f32 acc = ninf;
    size_t j = 0;
    for (; j + BPV_LANES <= cols; j += BPV_LANES) acc = bpv_max(acc, bpv_load(x + j));
    if (j < cols) {
        const bpv_tail t = bpv_tail_make(cols - j);
        acc = bpv_max(acc, bpv_tail_select(t, bpv_load_tail(x + j, t), ninf));
    }
    return bpv_hmax(acc);
}

// sum_j exp(x_j - m); with e != NULL the exponentials are also stored.
static inline float bp_row_expsum_(size_t cols, const float *x, float m, float *e) {
    const bpv_f32 vm = bpv_set1(m);
    bpv_f32 acc = bpv_zero();
    size_t j = 0;
    for (; j + BPV_LANES <= cols; j += BPV_LANES) {
        bpv_f32 v = bpv_exp(bpv_sub(bpv_load(x + j), vm));
        if (e) bpv_store(e + j, v);
        acc = bpv_add(acc, v);
    }
    if (j < cols) {
        const bpv_tail t = bpv_tail_make(cols - j);
        bpv_f32 v = bpv_exp(bpv_sub(bpv_load_tail(x + j, t), vm));
        if (e) bpv_store_tail(e + j, t, v);
        acc = bpv_add(acc, bpv_tail_select(t, v, bpv_zero()));
    }
    return bpv_hsum(acc);
}

// log of a scalar through the vector function (no libm in kernels).
static inline float bp_logf_(float s) { return bpv_first(bpv_log(bpv_set1(s))); }

void BP_FN(softmax)(size_t rows, size_t cols, const float *x, float *y) {
    for (size_t i = 0; i < rows; i++) {
        const float *xi = x + i * cols;
        float *yi = y + i * cols;
        const float m = bp_row_max_(cols, xi);
        const float s = bp_row_expsum_(cols, xi, m, yi);
        const bpv_f32 inv = bpv_set1(1.0f / s);
        size_t j = 0;
        for (; j + BPV_LANES <= cols; j += BPV_LANES) bpv_store(yi + j, bpv_mul(bpv_load(yi + j), inv));
        if (j < cols) {
            const bpv_tail t = bpv_tail_make(cols - j);
            bpv_store_tail(yi + j, t, bpv_mul(bpv_load_tail(yi + j, t), inv));
        }
    }
}

// loss = sum_{y != 0} y (lse - z) (skipping y == 0 avoids 0 * Inf);
// g = scale (exp(z - lse) - y). One fused pass over the row after lse.
static inline bpv_f32 bp_xent_term_(bpv_f32 z, bpv_f32 y, bpv_f32 lse) {
    return bpv_select(bpv_ne(y, bpv_zero()), bpv_mul(y, bpv_sub(lse, z)), bpv_zero());
}
static inline bpv_f32 bp_xent_grad_(bpv_f32 z, bpv_f32 y, bpv_f32 lse, bpv_f32 scale) {
    return bpv_mul(scale, bpv_sub(bpv_exp(bpv_sub(z, lse)), y));
}

void BP_FN(softmax_xent)(size_t rows, size_t cols, const float *z, const float *y, float *g,
                         float *loss_rows, float scale) {
    const bpv_f32 vscale = bpv_set1(scale);
    for (size_t i = 0; i < rows; i++) {
        const float *zi = z + i * cols, *yi = y + i * cols;
        float *gi = g ? g + i * cols : NULL;
        const float m = bp_row_max_(cols, zi);
        const float lse = m + bp_logf_(bp_row_expsum_(cols, zi, m, NULL));
        const bpv_f32 vlse = bpv_set1(lse);
        bpv_f32 acc = bpv_zero();
        size_t j = 0;
        for (; j + BPV_LANES <= cols; j += BPV_LANES) {
            const bpv_f32 vz = bpv_load(zi + j), vy = bpv_load(yi + j);
            acc = bpv_add(acc, bp_xent_term_(vz, vy, vlse));
            if (gi) bpv_store(gi + j, bp_xent_grad_(vz, vy, vlse, vscale));
        }
        if (j < cols) {
            const bpv_tail t = bpv_tail_make(cols - j);
            const bpv_f32 vz = bpv_load_tail(zi + j, t), vy = bpv_load_tail(yi + j, t);
            // inactive lanes have y = 0: their term is already 0
            acc = bpv_add(acc, bp_xent_term_(vz, vy, vlse));
            if (gi) bpv_store_tail(gi + j, t, bp_xent_grad_(vz, vy, vlse, vscale));
        }
        loss_rows[i] = bpv_hsum(acc);
    }
}

// loss term (max(z, 0) - z y) + log1p(exp(-|z|)); g = scale (1 / (1 + exp(-z)) - y).
static inline bpv_f32 bp_bce_term_(bpv_f32 z, bpv_f32 y) {
    const bpv_f32 lin = bpv_sub(bpv_max(z, bpv_zero()), bpv_mul(z, y));
    return bpv_add(lin, bpv_log1p(bpv_exp(bpv_neg(bpv_abs(z)))));
}
static inline bpv_f32 bp_bce_grad_(bpv_f32 z, bpv_f32 y, bpv_f32 scale) {
    const bpv_f32 one = bpv_set1(1.0f);
    const bpv_f32 s = bpv_div(one, bpv_add(one, bpv_exp(bpv_neg(z))));
    return bpv_mul(scale, bpv_sub(s, y));
}

void BP_FN(sigmoid_bce)(size_t rows, size_t cols, const float *z, const float *y, float *g,
                        float *loss_rows, float scale) {
    const bpv_f32 vscale = bpv_set1(scale);
    for (size_t i = 0; i < rows; i++) {
        const float *zi = z + i * cols, *yi = y + i * cols;
        float *gi = g ? g + i * cols : NULL;
        bpv_f32 acc = bpv_zero();
        size_t j = 0;
        for (; j + BPV_LANES <= cols; j += BPV_LANES) {
            const bpv_f32 vz = bpv_load(zi + j), vy = bpv_load(yi + j);
            acc = bpv_add(acc, bp_bce_term_(vz, vy));
            if (gi) bpv_store(gi + j, bp_bce_grad_(vz, vy, vscale));
        }
        if (j < cols) {
            const bpv_tail t = bpv_tail_make(cols - j);
            const bpv_f32 vz = bpv_load_tail(zi + j, t), vy = bpv_load_tail(yi + j, t);
            // inactive lanes (z = 0) would add log 2: drop them
            acc = bpv_add(acc, bpv_tail_select(t, bp_bce_term_(vz, vy), bpv_zero()));
            if (gi) bpv_store_tail(gi + j, t, bp_bce_grad_(vz, vy, vscale));
        }
        loss_rows[i] = bpv_hsum(acc);
    }
}

// loss = sum (a - y)^2 / cols; g = ((scale 2) d) / cols as (scale*2*d)*inv.
void BP_FN(mse)(size_t rows, size_t cols, const float *a, const float *y, float *g,
                float *loss_rows, float scale) {
    const float inv_cols = 1.0f / (float)cols;
    const bpv_f32 vinv = bpv_set1(inv_cols), vs2 = bpv_set1(scale * 2.0f);
    for (size_t i = 0; i < rows; i++) {
        const float *ai = a + i * cols, *yi = y + i * cols;
        float *gi = g ? g + i * cols : NULL;
        bpv_f32 acc = bpv_zero();
        size_t j = 0;
        for (; j + BPV_LANES <= cols; j += BPV_LANES) {
            const bpv_f32 d = bpv_sub(bpv_load(ai + j), bpv_load(yi + j));
            acc = bpv_add(acc, bpv_mul(d, d));
            if (gi) bpv_store(gi + j, bpv_mul(bpv_mul(vs2, d), vinv));
        }
        if (j < cols) {
            const bpv_tail t = bpv_tail_make(cols - j);
            // inactive lanes load 0 - 0: they add +0
            const bpv_f32 d = bpv_sub(bpv_load_tail(ai + j, t), bpv_load_tail(yi + j, t));
            acc = bpv_add(acc, bpv_mul(d, d));
            if (gi) bpv_store_tail(gi + j, t, bpv_mul(bpv_mul(vs2, d), vinv));
        }
        loss_rows[i] = bpv_hsum(acc) * inv_cols;
    }
}

// Column sums, BP_COLSUM_U vectors of columns at a time so the row loop
// (a dependency chain per column) has independent chains to overlap.
#define BP_COLSUM_U 4
void BP_FN(colsum)(size_t rows, size_t cols, const float *x, size_t x_rs, float *y,
                   int accumulate) {
    size_t j = 0;
    for (; j + BP_COLSUM_U * BPV_LANES <= cols; j += BP_COLSUM_U * BPV_LANES) {
        bpv_f32 acc[BP_COLSUM_U];
        for (int u = 0; u < BP_COLSUM_U; u++)
            acc[u] = accumulate ? bpv_load(y + j + (size_t)u * BPV_LANES) : bpv_zero();
        for (size_t i = 0; i < rows; i++) {
            const float *xi = x + i * x_rs + j;
            for (int u = 0; u < BP_COLSUM_U; u++)
                acc[u] = bpv_add(acc[u], bpv_load(xi + (size_t)u * BPV_LANES));
        }
        for (int u = 0; u < BP_COLSUM_U; u++) bpv_store(y + j + (size_t)u * BPV_LANES, acc[u]);
    }
    for (; j + BPV_LANES <= cols; j += BPV_LANES) {
        bpv_f32 acc = accumulate ? bpv_load(y + j) : bpv_zero();
        for (size_t i = 0; i < rows; i++) acc = bpv_add(acc, bpv_load(x + i * x_rs + j));
        bpv_store(y + j, acc);
    }
    if (j < cols) {
        const bpv_tail t = bpv_tail_make(cols - j);
        bpv_f32 acc = accumulate ? bpv_load_tail(y + j, t) : bpv_zero();
        for (size_t i = 0; i < rows; i++) acc = bpv_add(acc, bpv_load_tail(x + i * x_rs + j, t));
        bpv_store_tail(y + j, t, acc);
    }
}
#undef BP_COLSUM_U

void BP_FN(vadd)(size_t n, const float *x, float *y) {
    size_t i = 0;
    for (; i + BPV_LANES <= n; i += BPV_LANES)
        bpv_store(y + i, bpv_add(bpv_load(y + i), bpv_load(x + i)));
    if (i < n) {
        const bpv_tail t = bpv_tail_make(n - i);
        bpv_store_tail(y + i, t, bpv_add(bpv_load_tail(y + i, t), bpv_load_tail(x + i, t)));
    }
}

// y + (a x), two roundings like the reference (no FMA).
void BP_FN(axpy)(size_t n, float a, const float *x, float *y) {
    const bpv_f32 va = bpv_set1(a);
    size_t i = 0;
    for (; i + BPV_LANES <= n; i += BPV_LANES)
        bpv_store(y + i, bpv_add(bpv_load(y + i), bpv_mul(va, bpv_load(x + i))));
    if (i < n) {
        const bpv_tail t = bpv_tail_make(n - i);
        bpv_store_tail(y + i, t,
                       bpv_add(bpv_load_tail(y + i, t), bpv_mul(va, bpv_load_tail(x + i, t))));
    }
}
