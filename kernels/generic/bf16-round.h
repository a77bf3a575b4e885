// SPDX-License-Identifier: MIT
// float -> bfloat16 -> float, exactly as AVX512-BF16's VCVTNE2PS2BF16 does
// it (Intel SDM, convert_fp32_to_bfloat16): round to nearest even on the
// upper 16 bits; zero and denormal inputs become a zero of the same sign
// (the instruction always treats denormals as zero, whatever MXCSR says);
// infinities are kept; a NaN keeps its sign and upper payload and is made
// quiet. The result is returned as a float whose low 16 bits are zero, so
// the product of two rounded values (8 + 8 significant bits) is exact in
// float. Used by the scalar bf16 reference and by every product that
// emulates bf16 with float FMAs, so that they all round the same way (and,
// with bp_bf16_depth below, sum in the same order).
// Static inline only: included by differently-flagged translation units.
#ifndef BP_BF16_ROUND_H
#define BP_BF16_ROUND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t bp_bf16_round_bits(uint32_t u) {
    uint32_t mag = u & 0x7FFFFFFFu;
    uint32_t rne = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    uint32_t nan = (u | 0x00400000u) & 0xFFFF0000u;
    uint32_t zero = u & 0x80000000u;
    // Branch-free selects, so that the array loop below vectorises.
    uint32_t r = mag > 0x7F800000u ? nan : rne;
    return mag < 0x00800000u ? zero : r;
}

static inline float bp_bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = bp_bf16_round_bits(u);
    memcpy(&x, &u, sizeof x);
    return x;
}

// Rounds x[0, n) in place.
static inline void bp_bf16_round_array(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = bp_bf16_round(x[i]);
}

// The order in which every bf16 product adds the terms of a dot of length
// k: depths in pairs (0,1), (2,3), ..., the odd one of each pair first,
// then the even one, and a last unpaired depth on its own. That is
// VDPBF16PS's order (Intel SDM: per lane, acc += odd product, then acc +=
// even product, each add rounded to nearest even), so a float-FMA chain in
// this order gives the instruction's bits (the products of bf16 values are
// exact in float). Step p of the chain adds depth bp_bf16_depth(p, k).
static inline size_t bp_bf16_depth(size_t p, size_t k) {
    size_t q = p ^ 1u;
    return q < k ? q : p;
}

// A packed block of depth kc (row p, of w floats, at x + p*stride) made
// ready for a float-FMA chain that walks p upwards: every element rounded
// to bf16, and rows 2i and 2i+1 exchanged (bp_bf16_depth). The driver's
// depth blocks start at even depths, so the pairs are the product's own.
static inline void bp_bf16_round_depth_pairs(float *x, size_t kc, size_t w, size_t stride) {
    size_t p = 0;
    for (; p + 1 < kc; p += 2) {
        float *even = x + p * stride, *odd = even + stride;
        for (size_t j = 0; j < w; j++) {
            float e = bp_bf16_round(even[j]);
            even[j] = bp_bf16_round(odd[j]);
            odd[j] = e;
        }
    }
    if (p < kc) bp_bf16_round_array(x + p * stride, w);
}

#endif
