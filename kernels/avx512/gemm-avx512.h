// SPDX-License-Identifier: MIT
// Blocking parameters of the AVX-512 matrix product (f32-gemm-8x48-avx512.c),
// shared with src/kernel_table.c's numbers through tests/test_gemm.c, which
// checks that the table's gemm_ws_floats covers BP_GEMM_AVX512_WS_FLOATS.
#ifndef BP_GEMM_AVX512_H
#define BP_GEMM_AVX512_H

#define BP_GEMM_AVX512_MR 8   // rows of the register tile (broadcast A)
#define BP_GEMM_AVX512_NR 48  // columns of the register tile (3 zmm of B)
#define BP_GEMM_AVX512_KC 256 // depth of one packed block
#define BP_GEMM_AVX512_MC 256 // rows of the packed A block (multiple of MR)
#define BP_GEMM_AVX512_NC 240 // columns of the packed B block (multiple of NR)
// Scratch: the A block then the B block, each a multiple of 16 floats.
#define BP_GEMM_AVX512_WS_FLOATS                                                            \
    (BP_GEMM_AVX512_MC * BP_GEMM_AVX512_KC + BP_GEMM_AVX512_KC * BP_GEMM_AVX512_NC)

#endif
