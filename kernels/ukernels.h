// SPDX-License-Identifier: MIT
// Prototypes of every kernel symbol, per ISA. Symbols follow
// bp_f32_<op>[_<dir>]__<isa>: everything right of "__" says where/how.
// Contract: see include/backprop_kernels.h.
#ifndef BP_UKERNELS_H
#define BP_UKERNELS_H

#include "backprop_kernels.h"

// The activations, in bp_act order (SOFTMAX is a row kernel, not listed).
#define BP_FOREACH_ELEMENTWISE_ACT(X)                                                       \
    X(identity, BP_ACT_IDENTITY)                                                            \
    X(step, BP_ACT_STEP)                                                                    \
    X(sigmoid, BP_ACT_SIGMOID)                                                              \
    X(tanh, BP_ACT_TANH)                                                                    \
    X(relu, BP_ACT_RELU)                                                                    \
    X(leaky_relu, BP_ACT_LEAKY_RELU)                                                        \
    X(gelu, BP_ACT_GELU)

// Declares the full kernel set of one ISA; an ISA that implements only part
// of it declares (and the table uses) only what exists.
#define BP_DECLARE_ACT(isa, name)                                                           \
    void bp_f32_##name##_fwd__##isa(size_t n, const float *x, float *y,                    \
                                    const bp_act_params *p);                               \
    void bp_f32_##name##_bwd__##isa(size_t n, const float *z, const float *a,             \
                                    const float *dy, float *dx, const bp_act_params *p);

#define BP_DECLARE_GEMM(isa)                                                                \
    void bp_f32_gemm__##isa(size_t m, size_t n, size_t k, const float *a, size_t a_rs,      \
                            size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c, \
                            size_t c_rs, const float *bias, int accumulate, float *ws);     \
    void bp_f32_gemm_bf16__##isa(size_t m, size_t n, size_t k, const float *a, size_t a_rs, \
                                 size_t a_cs, const float *b, size_t b_rs, size_t b_cs,      \
                                 float *c, size_t c_rs, const float *bias, int accumulate,  \
                                 float *ws);                                                \
    float bp_f32_dot__##isa(size_t n, const float *x, const float *y);

#define BP_DECLARE_ROWS(isa)                                                                \
    void bp_f32_softmax__##isa(size_t rows, size_t cols, const float *x, float *y);        \
    void bp_f32_softmax_xent__##isa(size_t rows, size_t cols, const float *z, const float *y, \
                                    float *g, float *loss_rows, float scale);              \
    void bp_f32_sigmoid_bce__##isa(size_t rows, size_t cols, const float *z, const float *y, \
                                   float *g, float *loss_rows, float scale);               \
    void bp_f32_mse__##isa(size_t rows, size_t cols, const float *a, const float *y, float *g, \
                           float *loss_rows, float scale);                                 \
    void bp_f32_colsum__##isa(size_t rows, size_t cols, const float *x, size_t x_rs, float *y, \
                              int accumulate);                                              \
    void bp_f32_vadd__##isa(size_t n, const float *x, float *y);                           \
    void bp_f32_axpy__##isa(size_t n, float a, const float *x, float *y);                  \
    void bp_f32_sgd__##isa(size_t n, float *w, const float *g, float *v,                   \
                           const bp_sgd_params *p);                                        \
    void bp_f32_adam__##isa(size_t n, float *w, const float *g, float *m, float *v,        \
                            const bp_adam_params *p);

#define BP_DECLARE_ACT_SCALAR(name, e) BP_DECLARE_ACT(scalar, name)
BP_FOREACH_ELEMENTWISE_ACT(BP_DECLARE_ACT_SCALAR)
BP_DECLARE_GEMM(scalar)
BP_DECLARE_ROWS(scalar)

// SIMD sets: declared in full; each ISA's table uses what its folder defines.
#define BP_DECLARE_ACT_AVX2(name, e) BP_DECLARE_ACT(avx2, name)
#define BP_DECLARE_ACT_AVX512(name, e) BP_DECLARE_ACT(avx512, name)
#define BP_DECLARE_ACT_NEON(name, e) BP_DECLARE_ACT(neon, name)
BP_FOREACH_ELEMENTWISE_ACT(BP_DECLARE_ACT_AVX2)
BP_FOREACH_ELEMENTWISE_ACT(BP_DECLARE_ACT_AVX512)
BP_FOREACH_ELEMENTWISE_ACT(BP_DECLARE_ACT_NEON)
BP_DECLARE_GEMM(avx2)
BP_DECLARE_GEMM(avx512)
BP_DECLARE_GEMM(neon)
// The AVX512-BF16 product (kernels/avx512bf16/): gemm_bf16 of the avx512
// table on CPUs with AVX512_BF16.
void bp_f32_gemm_bf16__avx512bf16(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                                  size_t a_cs, const float *b, size_t b_rs, size_t b_cs,
                                  float *c, size_t c_rs, const float *bias, int accumulate,
                                  float *ws);
// ... and its product on the weights' bf16 panels, with their packer
// (bf16_pack_weights and gemm_bf16_panels of that table).
void bp_bf16_pack_weights__avx512bf16(const float *w, size_t n_out, size_t n_in, size_t r0,
                                      size_t r1, uint32_t *fwd, uint32_t *bwd);
void bp_f32_gemm_bf16_panels__avx512bf16(size_t m, size_t n, size_t k, const float *a,
                                         size_t a_rs, size_t a_cs, const uint32_t *b_panels,
                                         float *c, size_t c_rs, const float *bias,
                                         int accumulate, float *ws);
// The Arm FEAT_BF16 product (kernels/neonbf16/, BFMMLA): gemm_bf16 of the
// neon table on CPUs with HWCAP2_BF16.
void bp_f32_gemm_bf16__neonbf16(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                                size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                                size_t c_rs, const float *bias, int accumulate, float *ws);
BP_DECLARE_ROWS(avx2)
BP_DECLARE_ROWS(avx512)
BP_DECLARE_ROWS(neon)

#endif
