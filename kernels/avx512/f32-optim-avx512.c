// SPDX-License-Identifier: MIT
// AVX-512F optimizer updates: SGD / momentum / Nesterov, Adam / AdamW (16 lanes;
// masked tails): the generic body kernels/generic/optim-body.h on
// kernels/avx512/vec.h. Bit-identical to the scalar reference.
#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN avx512
#include "generic/optim-body.h"
