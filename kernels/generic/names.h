// SPDX-License-Identifier: MIT
// Kernel symbol names for the generic bodies: BP_FN(sigmoid_fwd) expands to
// bp_f32_sigmoid_fwd__<BP_ISA_TOKEN>. The including kernel file defines
// BP_ISA_TOKEN (avx2, avx512, neon) and includes its vec.h first.
#ifndef BP_KERNELS_GENERIC_NAMES_H
#define BP_KERNELS_GENERIC_NAMES_H

#ifndef BP_ISA_TOKEN
#error "define BP_ISA_TOKEN (the ISA suffix of the kernel symbols) before including a generic body"
#endif
#ifndef BPV_LANES
#error "include the ISA's vec.h before a generic body"
#endif

#define BP_FN_CAT_(name, isa) bp_f32_##name##__##isa
#define BP_FN_CAT(name, isa) BP_FN_CAT_(name, isa)
#define BP_FN(name) BP_FN_CAT(name, BP_ISA_TOKEN)

#endif
