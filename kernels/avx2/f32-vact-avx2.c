// SPDX-License-Identifier: MIT
// AVX2 + FMA3 activations, forward and backward (8 lanes; masked tails): the generic
// body kernels/generic/vact-body.h on kernels/avx2/vec.h. Transcendentals:
// SLEEF *_u10avx2. Tolerance vs scalar: tests/tolerances.h (identity, step,
// relu, leaky_relu and the sigmoid/tanh derivatives are bit-exact).
#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN avx2
#include "generic/vact-body.h"
