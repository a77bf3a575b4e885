// SPDX-License-Identifier: MIT
// The kernel tables. Compiled with baseline flags (never ISA flags: a
// vectorised struct copy here could fault before any CPU check ran).
// Every ISA table starts as the scalar table and overrides what it has,
// so a partly ported ISA is always complete.
#include "bp_internal.h"
#include "ukernels.h"
// Tile and scratch sizes of each gemm (macros only; no intrinsics).
#include "avx2/gemm-avx2.h"
#include "avx512/gemm-avx512.h"
#include "neon/gemm-neon.h"

// The matrix-product entries of an ISA: kernel, scratch and register tile.
#define SET_GEMM(t, isa, ISA)                                                                \
    do {                                                                                     \
        (t)->gemm = bp_f32_gemm__##isa;                                                      \
        (t)->gemm_ws_floats = BP_GEMM_##ISA##_WS_FLOATS;                                     \
        (t)->gemm_mr = BP_GEMM_##ISA##_MR;                                                   \
        (t)->gemm_nr = BP_GEMM_##ISA##_NR;                                                   \
        (t)->dot = bp_f32_dot__##isa;                                                        \
        (t)->gemm_bf16 = bp_f32_gemm_bf16__##isa;                                            \
    } while (0)

// Every elementwise, row and optimizer entry of an ISA (kernels/<isa>/
// f32-vact, f32-rows, f32-optim; the scalar ones in kernels/scalar/).
#define SET_ELEMENTWISE(t, isa)                                                              \
    do {                                                                                     \
        BP_FOREACH_ELEMENTWISE_ACT(SET_ACT_##isa)                                            \
        (t)->softmax = bp_f32_softmax__##isa;                                                \
        (t)->loss[BP_LOSS_MSE] = bp_f32_mse__##isa;                                          \
        (t)->loss[BP_LOSS_SOFTMAX_XENT] = bp_f32_softmax_xent__##isa;                        \
        (t)->loss[BP_LOSS_SIGMOID_BCE] = bp_f32_sigmoid_bce__##isa;                          \
        (t)->colsum = bp_f32_colsum__##isa;                                                  \
        (t)->vadd = bp_f32_vadd__##isa;                                                      \
        (t)->axpy = bp_f32_axpy__##isa;                                                      \
        (t)->sgd = bp_f32_sgd__##isa;                                                        \
        (t)->adam = bp_f32_adam__##isa;                                                      \
    } while (0)
#define SET_ACT(isa, name, e)                                                                \
    t->act_fwd[e] = bp_f32_##name##_fwd__##isa;                                              \
    t->act_bwd[e] = bp_f32_##name##_bwd__##isa;
#define SET_ACT_scalar(name, e) SET_ACT(scalar, name, e)
#define SET_ACT_avx2(name, e) SET_ACT(avx2, name, e)
#define SET_ACT_avx512(name, e) SET_ACT(avx512, name, e)
#define SET_ACT_neon(name, e) SET_ACT(neon, name, e)

void bp_kernel_table_init_scalar(bp_kernel_table *t) {
    t->isa = BP_ISA_SCALAR;
    t->name = "scalar";
    t->f32_lanes = 1;
    t->gemm = bp_f32_gemm__scalar;
    t->gemm_ws_floats = 0;
    t->gemm_mr = 1;
    t->gemm_nr = 1;
    t->dot = bp_f32_dot__scalar;
    t->gemm_bf16 = bp_f32_gemm_bf16__scalar;
    t->bf16_kernels = "float fma";
    t->bf16_pack_weights = NULL; // gemm_bf16 converts W itself
    t->gemm_bf16_panels = NULL;
    SET_ELEMENTWISE(t, scalar);
    t->act_fwd[BP_ACT_SOFTMAX] = NULL; // a row kernel (softmax), fused in the losses
    t->act_bwd[BP_ACT_SOFTMAX] = NULL;
}

void bp_kernel_table_init_avx2(bp_kernel_table *t) {
    bp_kernel_table_init_scalar(t);
    t->isa = BP_ISA_AVX2;
    t->name = "avx2";
    t->f32_lanes = 8;
#if BP_HAVE_AVX2
    SET_GEMM(t, avx2, AVX2);
    SET_ELEMENTWISE(t, avx2);
#endif
}

void bp_kernel_table_init_avx512(bp_kernel_table *t) {
    bp_kernel_table_init_scalar(t);
    t->isa = BP_ISA_AVX512;
    t->name = "avx512";
    t->f32_lanes = 16;
#if BP_HAVE_AVX512
    SET_GEMM(t, avx512, AVX512);
    SET_ELEMENTWISE(t, avx512);
#endif
#if BP_HAVE_AVX512 && BP_HAVE_AVX512BF16
    // Same tile, blocks and scratch as the float32 product it is built on.
    if (bp_cpu_detect() & BP_CPU_AVX512BF16) {
        t->gemm_bf16 = bp_f32_gemm_bf16__avx512bf16;
        t->bf16_kernels = "avx512bf16";
        t->bf16_pack_weights = bp_bf16_pack_weights__avx512bf16;
        t->gemm_bf16_panels = bp_f32_gemm_bf16_panels__avx512bf16;
    }
#endif
}

void bp_kernel_table_init_neon(bp_kernel_table *t) {
    bp_kernel_table_init_scalar(t);
    t->isa = BP_ISA_NEON;
    t->name = "neon";
    t->f32_lanes = 4;
#if BP_HAVE_NEON
    SET_GEMM(t, neon, NEON);
    SET_ELEMENTWISE(t, neon);
#endif
#if BP_HAVE_NEON && BP_HAVE_NEONBF16
    // BFMMLA; its bf16 blocks fit the neon gemm's scratch (static assert there).
    if (bp_cpu_detect() & BP_CPU_NEONBF16) {
        t->gemm_bf16 = bp_f32_gemm_bf16__neonbf16;
        t->bf16_kernels = "neonbf16";
    }
#endif
}
