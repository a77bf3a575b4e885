// SPDX-License-Identifier: MIT
// The kernel tables. Compiled with baseline flags (never ISA flags: a
// vectorised struct copy here could fault before any CPU check ran).
// Every ISA table starts as the scalar table and overrides what it has,
// so a partly ported ISA is always complete.
#include "bp_internal.h"
#include "ukernels.h"

void bp_kernel_table_init_scalar(bp_kernel_table *t) {
    t->isa = BP_ISA_SCALAR;
    t->name = "scalar";
    t->f32_lanes = 1;
    t->gemm = bp_f32_gemm__scalar;
    t->gemm_ws_floats = 0;
    t->gemm_mr = 1;
    t->gemm_nr = 1;
    t->dot = bp_f32_dot__scalar;
#define SET_ACT(name, e)                                                                     \
    t->act_fwd[e] = bp_f32_##name##_fwd__scalar;                                            \
    t->act_bwd[e] = bp_f32_##name##_bwd__scalar;
    BP_FOREACH_ELEMENTWISE_ACT(SET_ACT)
#undef SET_ACT
    t->act_fwd[BP_ACT_SOFTMAX] = NULL;
    t->act_bwd[BP_ACT_SOFTMAX] = NULL;
    t->softmax = bp_f32_softmax__scalar;
    t->loss[BP_LOSS_MSE] = bp_f32_mse__scalar;
    t->loss[BP_LOSS_SOFTMAX_XENT] = bp_f32_softmax_xent__scalar;
    t->loss[BP_LOSS_SIGMOID_BCE] = bp_f32_sigmoid_bce__scalar;
    t->colsum = bp_f32_colsum__scalar;
    t->vadd = bp_f32_vadd__scalar;
    t->axpy = bp_f32_axpy__scalar;
    t->sgd = bp_f32_sgd__scalar;
    t->adam = bp_f32_adam__scalar;
}

void bp_kernel_table_init_avx2(bp_kernel_table *t) {
    bp_kernel_table_init_scalar(t);
    t->isa = BP_ISA_AVX2;
    t->name = "avx2";
    t->f32_lanes = 8;
#if BP_HAVE_AVX2
    // -- gemm/dot overrides (kernels/avx2/f32-gemm*) --
    t->gemm = bp_f32_gemm__avx2;
    t->gemm_ws_floats = 133136; // BP_GEMM_AVX2_WS_FLOATS (kernels/avx2/gemm-avx2.h)
    t->gemm_mr = 6;
    t->gemm_nr = 16;
    t->dot = bp_f32_dot__avx2;
    // -- elementwise/row/optimizer overrides (kernels/avx2/f32-vact*, ...) --
#define SET_ACT(name, e)                                                                     \
    t->act_fwd[e] = bp_f32_##name##_fwd__avx2;                                            \
    t->act_bwd[e] = bp_f32_##name##_bwd__avx2;
    BP_FOREACH_ELEMENTWISE_ACT(SET_ACT)
#undef SET_ACT
    t->softmax = bp_f32_softmax__avx2;
    t->loss[BP_LOSS_MSE] = bp_f32_mse__avx2;
    t->loss[BP_LOSS_SOFTMAX_XENT] = bp_f32_softmax_xent__avx2;
    t->loss[BP_LOSS_SIGMOID_BCE] = bp_f32_sigmoid_bce__avx2;
    t->colsum = bp_f32_colsum__avx2;
    t->vadd = bp_f32_vadd__avx2;
    t->axpy = bp_f32_axpy__avx2;
    t->sgd = bp_f32_sgd__avx2;
    t->adam = bp_f32_adam__avx2;
#endif
}

void bp_kernel_table_init_avx512(bp_kernel_table *t) {
    bp_kernel_table_init_scalar(t);
    t->isa = BP_ISA_AVX512;
    t->name = "avx512";
    t->f32_lanes = 16;
#if BP_HAVE_AVX512
    // -- gemm/dot overrides (kernels/avx512/f32-gemm*) --
    t->gemm = bp_f32_gemm__avx512;
    t->gemm_ws_floats = 126976; // BP_GEMM_AVX512_WS_FLOATS (kernels/avx512/gemm-avx512.h)
    t->gemm_mr = 8;
    t->gemm_nr = 48;
    t->dot = bp_f32_dot__avx512;
    // -- elementwise/row/optimizer overrides (kernels/avx512/f32-vact*, ...) --
#define SET_ACT(name, e)                                                                     \
    t->act_fwd[e] = bp_f32_##name##_fwd__avx512;                                            \
    t->act_bwd[e] = bp_f32_##name##_bwd__avx512;
    BP_FOREACH_ELEMENTWISE_ACT(SET_ACT)
#undef SET_ACT
    t->softmax = bp_f32_softmax__avx512;
    t->loss[BP_LOSS_MSE] = bp_f32_mse__avx512;
    t->loss[BP_LOSS_SOFTMAX_XENT] = bp_f32_softmax_xent__avx512;
    t->loss[BP_LOSS_SIGMOID_BCE] = bp_f32_sigmoid_bce__avx512;
    t->colsum = bp_f32_colsum__avx512;
    t->vadd = bp_f32_vadd__avx512;
    t->axpy = bp_f32_axpy__avx512;
    t->sgd = bp_f32_sgd__avx512;
    t->adam = bp_f32_adam__avx512;
#endif
}

void bp_kernel_table_init_neon(bp_kernel_table *t) {
    bp_kernel_table_init_scalar(t);
    t->isa = BP_ISA_NEON;
    t->name = "neon";
    t->f32_lanes = 4;
#if BP_HAVE_NEON
    // -- gemm/dot overrides (kernels/neon/f32-gemm*) --
    t->gemm = bp_f32_gemm__neon;
    t->gemm_ws_floats = 94208; // BP_GEMM_NEON_WS_FLOATS (kernels/neon/gemm-neon.h)
    t->gemm_mr = 8;
    t->gemm_nr = 12;
    t->dot = bp_f32_dot__neon;
    // -- elementwise/row/optimizer overrides (kernels/neon/f32-vact*, ...) --
#define SET_ACT(name, e)                                                                     \
    t->act_fwd[e] = bp_f32_##name##_fwd__neon;                                              \
    t->act_bwd[e] = bp_f32_##name##_bwd__neon;
    BP_FOREACH_ELEMENTWISE_ACT(SET_ACT)
#undef SET_ACT
    t->softmax = bp_f32_softmax__neon;
    t->loss[BP_LOSS_MSE] = bp_f32_mse__neon;
    t->loss[BP_LOSS_SOFTMAX_XENT] = bp_f32_softmax_xent__neon;
    t->loss[BP_LOSS_SIGMOID_BCE] = bp_f32_sigmoid_bce__neon;
    t->colsum = bp_f32_colsum__neon;
    t->vadd = bp_f32_vadd__neon;
    t->axpy = bp_f32_axpy__neon;
    t->sgd = bp_f32_sgd__neon;
    t->adam = bp_f32_adam__neon;
#endif
}
