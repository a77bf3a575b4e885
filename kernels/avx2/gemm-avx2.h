// SPDX-License-Identifier: MIT
// Blocking parameters of the AVX2+FMA matrix product (f32-gemm-6x16-avx2.c);
// tests/test_gemm.c checks that the kernel table's gemm_ws_floats covers
// BP_GEMM_AVX2_WS_FLOATS.
#ifndef BP_GEMM_AVX2_H
#define BP_GEMM_AVX2_H

#define BP_GEMM_AVX2_MR 6   // rows of the register tile (broadcast A)
#define BP_GEMM_AVX2_NR 16  // columns of the register tile (2 ymm of B)
#define BP_GEMM_AVX2_KC 256 // depth of one packed block
#define BP_GEMM_AVX2_MC 264 // rows of the packed A block (multiple of MR)
#define BP_GEMM_AVX2_NC 256 // columns of the packed B block (multiple of NR)
// The A-packing transposes store 8 floats per 6-float row group, so the A
// block is followed by 16 floats of slack; then the B block.
#define BP_GEMM_AVX2_SLACK 16
#define BP_GEMM_AVX2_WS_FLOATS                                                              \
    (BP_GEMM_AVX2_MC * BP_GEMM_AVX2_KC + BP_GEMM_AVX2_SLACK + BP_GEMM_AVX2_KC * BP_GEMM_AVX2_NC)

#endif
