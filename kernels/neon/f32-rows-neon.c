// SPDX-License-Identifier: MIT
// NEON row kernels: softmax, softmax cross-entropy, sigmoid BCE, MSE, column
// sums, vadd, axpy (4 lanes; partial-load tails): the generic body
// kernels/generic/rows-body.h on kernels/neon/vec.h. Tolerance vs scalar:
// tests/tolerances.h (colsum, vadd, axpy bit-exact; row sums within a bound
// growing with the row length).
#include <math.h>

#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN neon
#include "generic/rows-body.h"
