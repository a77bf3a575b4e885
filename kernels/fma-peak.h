// SPDX-License-Identifier: MIT
// FMA peak loops for the benchmarks' fraction-of-peak figures: independent
// chains of vector fused multiply-adds, as many as the ISA's register file
// holds (enough to cover FMA latency x throughput on current cores). Each
// runs `iters` rounds and returns the floating-point operations done
// (2 per lane per FMA). Not part of the kernel table.
#ifndef BP_FMA_PEAK_H
#define BP_FMA_PEAK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

double bp_fma_peak_flops__avx512(size_t iters); // zmm, 24 chains
double bp_fma_peak_flops__avx2(size_t iters);   // ymm, 12 chains
// vdpbf16ps, zmm, 24 chains: 4 flops per lane (two bf16 products, two adds)
double bp_bf16_dot_peak_flops__avx512bf16(size_t iters);

#ifdef __cplusplus
}
#endif
#endif
