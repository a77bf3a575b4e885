// SPDX-License-Identifier: MIT
// backprop kernels: the dispatch table, for people who benchmark or call
// the kernels directly. One table per instruction set; every table is
// complete (ISA tables start from the scalar one and override).
//
// Kernel contract (all families):
// - single-threaded, allocation-free, never print, never read or write past
//   the sizes given (no over-reads: AddressSanitizer runs every kernel);
// - sizes are in elements; pointers need no particular alignment;
// - a kernel's result for one output element must not depend on where that
//   element falls in the call (its row/column block, remainders), so that
//   splitting a product into blocks across threads gives bit-identical
//   results whatever the split.
/** @file backprop_kernels.h
 *  The kernel dispatch table, for benchmarks and direct kernel callers: one
 *  table per instruction set (bp_kernel_table_get), each complete.
 *
 *  Kernel contract (all families): single-threaded, allocation-free, never
 *  print, never read or write past the sizes given; sizes are in elements,
 *  pointers need no particular alignment (except gemm's scratch); a
 *  kernel's result for one output element does not depend on where that
 *  element falls in the call, so a product split into blocks gives the same
 *  bits whatever the split. Every kernel is thread-safe on distinct outputs
 *  (each thread with its own scratch). */
#ifndef BACKPROP_KERNELS_H
#define BACKPROP_KERNELS_H

#include <stddef.h>

#include "backprop.h"

#ifdef __cplusplus
extern "C" {
#endif

/** C (m x n, row stride c_rs) = [C +] [bias] + A·B, where
 *  A(i,p) = a[i*a_rs + p*a_cs] (m x k) and B(p,j) = b[p*b_rs + j*b_cs] (k x n).
 *  The strides express every orientation training needs:
 *    forward   Z  = A·Wᵀ + b : a_rs=in,  a_cs=1,   b_rs=1,  b_cs=in
 *    data grad dA = dZ·W     : a_rs=out, a_cs=1,   b_rs=in, b_cs=1
 *    weight gr dW += dZᵀ·A   : a_rs=1,   a_cs=out, b_rs=in, b_cs=1
 *  bias (length n) may be NULL; accumulate != 0 adds into C.
 *  ws: scratch of gemm_ws_floats floats, 64-byte aligned, owned by the
 *  calling thread. k == 0 gives C = [C +] bias. */
typedef void (*bp_f32_gemm_fn)(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                               size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                               size_t c_rs, const float *bias, int accumulate, float *ws);

/** The bf16 panels of a k x n matrix B, as the bf16 mode's products read
 *  it: ceil(n/16) panels of 16 columns, each ceil(k/2) rows of 16 32-bit
 *  words; word j of row q of panel p, at [(p*ceil(k/2) + q)*16 + j], holds
 *  B(2q, 16p+j) rounded to bfloat16 in its low half and B(2q+1, 16p+j) in
 *  its high half (gemm_bf16's rounding), 0 past k or n. A layer's weights
 *  W (n_out x n_in) have two: "forward" panels of B = Wᵀ (k = n_in,
 *  n = n_out) and "data-gradient" panels of B = W (k = n_out, n = n_in).
 *
 *  Writes both for rows [r0, r1) of W (r0 a multiple of 16; r1 is clamped
 *  to n_out), including the zero padding those rows own: every thread can
 *  pack its own rows at once. bwd may be NULL (the first layer has no
 *  data gradient): then only the forward panels. */
typedef void (*bp_bf16_pack_weights_fn)(const float *w, size_t n_out, size_t n_in, size_t r0,
                                        size_t r1, uint32_t *fwd, uint32_t *bwd);
/** 32-bit words in the bf16 panels of a k x n matrix; with n a multiple
 *  of 16, also the offset of the panel of column n. */
#define BP_BF16_PANEL_WORDS(k, n) (((size_t)(n) + 15) / 16 * 16 * (((size_t)(k) + 1) / 2))

/** gemm_bf16 with B given as bf16 panels (bp_bf16_pack_weights_fn) of a
 *  k x N matrix, b_panels pointing at the panel of its first column (a
 *  multiple of 16) and n <= the columns from there: the same result, bit
 *  for bit, without converting B again. ws as for gemm. */
typedef void (*bp_f32_gemm_bf16_panels_fn)(size_t m, size_t n, size_t k, const float *a,
                                           size_t a_rs, size_t a_cs, const uint32_t *b_panels,
                                           float *c, size_t c_rs, const float *bias,
                                           int accumulate, float *ws);

/** sum_i x[i]*y[i]. */
typedef float (*bp_f32_dot_fn)(size_t n, const float *x, const float *y);

/** Parameters of the activation kernels. */
typedef struct bp_act_params {
    float alpha; /**< LEAKY_RELU negative slope */
} bp_act_params;

/** y = act(x), elementwise; in place (y == x) allowed. */
typedef void (*bp_f32_act_fwd_fn)(size_t n, const float *x, float *y, const bp_act_params *p);
/** dx = dy ⊙ act'(z), given z (pre-activation) and a = act(z); in place
 *  (dx == dy) allowed. STEP uses the straight-through derivative 1. */
typedef void (*bp_f32_act_bwd_fn)(size_t n, const float *z, const float *a, const float *dy,
                                  float *dx, const bp_act_params *p);

/** Row softmax of x (rows x cols, contiguous) into y; stable (subtracts the
 *  row maximum); in place allowed. */
typedef void (*bp_f32_softmax_fn)(size_t rows, size_t cols, const float *x, float *y);

/** Fused loss over rows x cols (contiguous), targets y (same shape):
 *  loss_rows[i] = the row's loss; if g != NULL, g = scale * dLoss/dinput.
 *  softmax_xent: input = logits z; loss = logsumexp(z) - sum y*z (for y
 *               summing to 1), g = scale*(softmax(z) - y).
 *  sigmoid_bce: input = logits z; loss = sum max(z,0) - z*y + log1p(exp(-|z|)),
 *               g = scale*(sigmoid(z) - y).
 *  mse:         input = outputs a; loss = sum (a-y)^2 / cols,
 *               g = scale*2*(a-y)/cols. */
typedef void (*bp_f32_loss_fn)(size_t rows, size_t cols, const float *input, const float *y,
                               float *g, float *loss_rows, float scale);

/** y[j] (+)= sum over rows of x[i*x_rs + j], rows added in order 0,1,2… */
typedef void (*bp_f32_colsum_fn)(size_t rows, size_t cols, const float *x, size_t x_rs,
                                 float *y, int accumulate);
/** y += x. */
typedef void (*bp_f32_vadd_fn)(size_t n, const float *x, float *y);
/** y = a*x + y. */
typedef void (*bp_f32_axpy_fn)(size_t n, float a, const float *x, float *y);

/** Parameters of the SGD-family update (bp_f32_sgd_fn). */
typedef struct bp_sgd_params {
    float lr;           /**< learning rate */
    float momentum;     /**< 0: plain SGD, v unused (may be NULL) */
    float weight_decay; /**< L2: g += wd*w */
    int nesterov;       /**< 1: Nesterov momentum */
} bp_sgd_params;

/** g' = g + wd*w; v = momentum*v + g'; w -= lr * (nesterov ? g' + momentum*v : v)
 *  (plain SGD: w -= lr*g'). */
typedef void (*bp_f32_sgd_fn)(size_t n, float *w, const float *g, float *v,
                              const bp_sgd_params *p);

/** Parameters of the Adam update (bp_f32_adam_fn). */
typedef struct bp_adam_params {
    float lr;           /**< learning rate */
    float beta1;        /**< first-moment decay */
    float beta2;        /**< second-moment decay */
    float eps;          /**< added to sqrt(v / bc2) */
    float weight_decay; /**< L2 (added to g) or decoupled (see decoupled) */
    int decoupled;      /**< 1: AdamW (w -= lr*wd*w), 0: L2 added to g */
    float bc1;          /**< bias correction 1 - beta1^t */
    float bc2;          /**< bias correction 1 - beta2^t */
} bp_adam_params;

/** m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2;
 *  w -= lr * (m/bc1) / (sqrt(v/bc2) + eps) [+ lr*wd*w if decoupled]. */
typedef void (*bp_f32_adam_fn)(size_t n, float *w, const float *g, float *m, float *v,
                               const bp_adam_params *p);

/** The one dispatch table: every kernel of one instruction set. Tables are
 *  static and read-only; any number of threads may use one at once. */
typedef struct bp_kernel_table {
    bp_isa isa;        /**< the instruction set (never BP_ISA_AUTO) */
    const char *name;  /**< its token: "scalar", "avx2", "avx512", "neon" */
    size_t f32_lanes;  /**< floats per vector register (1 for scalar) */

    bp_f32_gemm_fn gemm;   /**< matrix product, see bp_f32_gemm_fn */
    size_t gemm_ws_floats; /**< scratch gemm needs per thread */
    size_t gemm_mr;        /**< register tile rows, for partitioning work */
    size_t gemm_nr;        /**< register tile columns, for partitioning work */
    bp_f32_dot_fn dot;     /**< dot product */
    /** The bf16 mode's product (BP_PRECISION_BF16): gemm's contract, with
     *  every element of A and B rounded to bfloat16 first (round to nearest
     *  even, denormals to zero, as AVX512-BF16's conversion does) and the
     *  products accumulated in float: per element, C [+ bias] first, then
     *  the depths in pairs, each pair's odd product added before its even
     *  one (a last unpaired depth alone), each add rounded, as vdpbf16ps
     *  does (all but "neonbf16" give these bits). Uses the same scratch
     *  (gemm_ws_floats) and tile (gemm_mr, gemm_nr) as gemm. */
    bp_f32_gemm_fn gemm_bf16;
    /** How gemm_bf16 multiplies: "avx512bf16" (vdpbf16ps on bf16 pairs),
     *  "neonbf16" (Arm BFMMLA: pair sums rounded to odd, see
     *  kernels/neonbf16/README.md) or "float fma" (the rounded inputs
     *  multiplied with float FMAs, the same semantics on any CPU). */
    const char *bf16_kernels;

    bp_f32_act_fwd_fn act_fwd[BP_ACT_COUNT]; /**< SOFTMAX entry NULL: use softmax */
    bp_f32_act_bwd_fn act_bwd[BP_ACT_COUNT]; /**< SOFTMAX entry NULL: fused in losses */
    bp_f32_softmax_fn softmax;          /**< row softmax */
    bp_f32_loss_fn loss[BP_LOSS_COUNT]; /**< fused loss and gradient, by bp_loss */

    bp_f32_colsum_fn colsum; /**< column sums (bias gradients) */
    bp_f32_vadd_fn vadd;     /**< y += x */
    bp_f32_axpy_fn axpy;     /**< y += a*x */

    bp_f32_sgd_fn sgd;   /**< SGD / momentum / Nesterov update */
    bp_f32_adam_fn adam; /**< Adam / AdamW update */

    /** The bf16 weights' panels, where gemm_bf16 has a product on them
     *  ("avx512bf16"); NULL elsewhere (the trainer then calls gemm_bf16
     *  on W). */
    bp_bf16_pack_weights_fn bf16_pack_weights;
    /** gemm_bf16 on those panels; NULL where bf16_pack_weights is. */
    bp_f32_gemm_bf16_panels_fn gemm_bf16_panels;
} bp_kernel_table;

/** The kernel table of an instruction set. Thread-safe.
 *  @param isa the set; BP_ISA_AUTO gives the one bp_isa_resolve picks
 *  @return a static table (never freed by the caller), or NULL if the set
 *          is not compiled in, this CPU lacks it, or (AUTO) BP_ISA names
 *          none; bp_last_error() then says why */
BP_API const bp_kernel_table *bp_kernel_table_get(bp_isa isa);

#ifdef __cplusplus
}
#endif
#endif
