// SPDX-License-Identifier: MIT
// NEON activations, forward and backward (4 lanes; partial-load tails): the
// generic body kernels/generic/vact-body.h on kernels/neon/vec.h.
// Transcendentals: SLEEF *_u10advsimd. Tolerance vs scalar: tests/tolerances.h
// (identity, step, relu, leaky_relu and the sigmoid/tanh derivatives are
// bit-exact).
#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN neon
#include "generic/vact-body.h"
