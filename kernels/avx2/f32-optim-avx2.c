// SPDX-License-Identifier: MIT
// AVX2 + FMA3 optimizer updates: SGD / momentum / Nesterov, Adam / AdamW (8 lanes;
// masked tails): the generic body kernels/generic/optim-body.h on
// kernels/avx2/vec.h. Bit-identical to the scalar reference.
#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN avx2
#include "generic/optim-body.h"
