// SPDX-License-Identifier: MIT
// NEON optimizer updates: SGD / momentum / Nesterov, Adam / AdamW (4 lanes;
// partial-load tails): the generic body kernels/generic/optim-body.h on
// kernels/neon/vec.h. Bit-identical to the scalar reference.
#include "ukernels.h"
#include "vec.h"

#define BP_ISA_TOKEN neon
#include "generic/optim-body.h"
