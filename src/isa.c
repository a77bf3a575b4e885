// SPDX-License-Identifier: MIT
// ISA resolution: compiled-in ∩ CPU-supported, the BP_ISA override, and the
// kernel tables, built once and immutable afterwards.
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

#include "bp_internal.h"

static const char *const isa_names[BP_ISA_COUNT] = {"auto", "scalar", "avx2", "avx512", "neon"};

const char *bp_isa_name(bp_isa isa) {
    if ((unsigned)isa >= BP_ISA_COUNT) return "none";
    return isa_names[isa];
}

bp_status bp_isa_from_name(const char *name, bp_isa *out) {
    if (!name || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_isa_from_name: NULL argument");
    if (name[0] == '\0') {
        *out = BP_ISA_AUTO;
        return BP_STATUS_OK;
    }
    for (int i = 0; i < BP_ISA_COUNT; i++) {
        if (strcasecmp(name, isa_names[i]) == 0) {
            *out = (bp_isa)i;
            return BP_STATUS_OK;
        }
    }
    return bp_fail(BP_STATUS_INVALID_ISA,
                   "unknown ISA '%s' (expected auto, scalar, avx2, avx512 or neon)", name);
}

int bp_isa_compiled(bp_isa isa) {
    switch (isa) {
    case BP_ISA_SCALAR: return 1;
#if BP_HAVE_AVX2
    case BP_ISA_AVX2: return 1;
#endif
#if BP_HAVE_AVX512
    case BP_ISA_AVX512: return 1;
#endif
#if BP_HAVE_NEON
    case BP_ISA_NEON: return 1;
#endif
    default: return 0;
    }
}

int bp_isa_supported(bp_isa isa) {
    if (!bp_isa_compiled(isa)) return 0;
    unsigned cpu = bp_cpu_detect();
    switch (isa) {
    case BP_ISA_SCALAR: return 1;
    case BP_ISA_AVX2: return (cpu & BP_CPU_AVX2) != 0;
    case BP_ISA_AVX512: return (cpu & BP_CPU_AVX512) != 0;
    case BP_ISA_NEON: return (cpu & BP_CPU_NEON) != 0;
    default: return 0;
    }
}

static bp_kernel_table tables[BP_ISA_COUNT];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_init(void) {
    bp_kernel_table_init_scalar(&tables[BP_ISA_SCALAR]);
    bp_kernel_table_init_avx2(&tables[BP_ISA_AVX2]);
    bp_kernel_table_init_avx512(&tables[BP_ISA_AVX512]);
    bp_kernel_table_init_neon(&tables[BP_ISA_NEON]);
}

static bp_isa best_supported(void) {
    static const bp_isa order[] = {BP_ISA_AVX512, BP_ISA_AVX2, BP_ISA_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (bp_isa_supported(order[i])) return order[i];
    return BP_ISA_SCALAR;
}

bp_status bp_isa_resolve(bp_isa requested, bp_isa *out) {
    if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_isa_resolve: NULL out");
    bp_isa isa = requested;
    const char *source = "requested";
    if (isa == BP_ISA_AUTO) {
        // Read at every resolution (cheap), so tests can change it.
        const char *env = getenv("BP_ISA");
        if (env && env[0] && strcasecmp(env, "auto") != 0) {
            bp_status st = bp_isa_from_name(env, &isa);
            if (st != BP_STATUS_OK)
                return bp_fail(st, "BP_ISA='%s' is not an ISA (expected auto, scalar, avx2, "
                               "avx512 or neon)", env);
            source = "BP_ISA";
        } else {
            isa = best_supported();
        }
    }
    if ((unsigned)isa >= BP_ISA_COUNT || isa == BP_ISA_AUTO)
        return bp_fail(BP_STATUS_INVALID_ISA, "ISA value %d is not valid", (int)isa);
    if (!bp_isa_compiled(isa))
        return bp_fail(BP_STATUS_UNSUPPORTED_ISA, "%s ISA '%s' is not compiled into this build",
                       source, bp_isa_name(isa));
    if (!bp_isa_supported(isa))
        return bp_fail(BP_STATUS_UNSUPPORTED_ISA, "%s ISA '%s' is not supported by this CPU",
                       source, bp_isa_name(isa));
    *out = isa;
    return BP_STATUS_OK;
}

bp_status bp_table_for(bp_isa requested, const bp_kernel_table **out) {
    bp_isa isa = BP_ISA_SCALAR;
    bp_status st = bp_isa_resolve(requested, &isa);
    if (st != BP_STATUS_OK) return st;
    pthread_once(&tables_once, tables_init);
    *out = &tables[isa];
    return BP_STATUS_OK;
}

const bp_kernel_table *bp_kernel_table_get(bp_isa isa) {
    const bp_kernel_table *t = NULL;
    if (bp_table_for(isa, &t) != BP_STATUS_OK) return NULL;
    return t;
}
