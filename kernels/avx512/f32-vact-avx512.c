// SPDX-License-Identifier: MIT
// AVX-512F activations, forward and backward (16 lanes; masked tails): the generic
// body kernels/generic/vact-body.h on kernels/avx512/vec.h. Transcendentals:
// SLEEF *_u10avx512f. Tolerance vs scalar: tests/tolerances.h (identity, step,
// relu, leaky_relu and the sigmoid/tanh derivatives are bit-exact).
#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN avx512
#include "generic/vact-body.h"
