// SPDX-License-Identifier: MIT
// Blocking parameters of the NEON matrix product (f32-gemm-neon.c); the
// kernel table's gemm_ws_floats must equal BP_GEMM_NEON_WS_FLOATS.
#ifndef BP_GEMM_NEON_H
#define BP_GEMM_NEON_H

#define BP_GEMM_NEON_MR 8   // rows of the register tile (2 A vectors, by lane)
#define BP_GEMM_NEON_NR 12  // columns of the register tile (3 B vectors)
#define BP_GEMM_NEON_KC 256 // depth of one packed block
#define BP_GEMM_NEON_MC 128 // rows of the packed A block (multiple of MR): 128 KiB
#define BP_GEMM_NEON_NC 240 // columns of the packed B block (multiple of NR): 240 KiB
// Packed A block, then packed B block; a multiple of 16 floats, so the
// trainer's per-thread slices stay 64-byte aligned.
#define BP_GEMM_NEON_WS_FLOATS                                                              \
    (BP_GEMM_NEON_MC * BP_GEMM_NEON_KC + BP_GEMM_NEON_KC * BP_GEMM_NEON_NC)

#endif
