// SPDX-License-Identifier: MIT
// AVX-512F row kernels: softmax, softmax cross-entropy, sigmoid BCE, MSE, column
// sums, vadd, axpy (16 lanes; masked tails): the generic body
// kernels/generic/rows-body.h on kernels/avx512/vec.h. Tolerance vs scalar:
// tests/tolerances.h (colsum, vadd, axpy bit-exact; row sums within a bound
// growing with the row length).
#include <math.h>

#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN avx512
#include "generic/rows-body.h"
