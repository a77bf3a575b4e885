// SPDX-License-Identifier: MIT
// CPU feature detection (OS-aware: CPUID + XGETBV on x86, hwcaps on AArch64)
// and the denormal mode of the calling thread.
#include <string.h>

#include "bp_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <xmmintrin.h> // _mm_getcsr/_mm_setcsr: baseline SSE, no ISA flags needed

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

unsigned bp_cpu_detect(void) {
    unsigned a, b, c, d, mask = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    uint64_t xcr0 = xgetbv0();
    int ymm_saved = (xcr0 & 0x6) == 0x6;     // XMM and YMM state
    int zmm_saved = (xcr0 & 0xe6) == 0xe6;   // plus opmask, ZMM_Hi256, Hi16_ZMM
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1;
    unsigned max_sub = a;
    if (avx2 && fma && ymm_saved) mask |= BP_CPU_AVX2;
    if ((mask & BP_CPU_AVX2) && avx512f && zmm_saved) mask |= BP_CPU_AVX512;
    if ((mask & BP_CPU_AVX512) && avx512bw && max_sub >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        if ((a >> 5) & 1) mask |= BP_CPU_AVX512BF16; // AVX512_BF16
    }
    return mask;
}

// MXCSR bits 15 (flush to zero) and 6 (denormals are zero).
unsigned long bp_fpmode_enter(int strict_ieee) {
    unsigned csr = _mm_getcsr();
    _mm_setcsr(strict_ieee ? csr & ~0x8040u : csr | 0x8040u);
    return csr;
}

unsigned long bp_fpmode_enter_ftz(void) { return bp_fpmode_enter(0); }

void bp_fpmode_restore(unsigned long mode) { _mm_setcsr((unsigned)mode); }

#elif defined(__aarch64__)
#include <sys/auxv.h>

#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1ul << 14) // Linux uapi asm/hwcap.h (5.10+); older headers lack it
#endif

unsigned bp_cpu_detect(void) {
    // Advanced SIMD is part of the AArch64 base architecture; FEAT_BF16
    // (BFDOT, BFMMLA, BFCVT) as the kernel reports it.
    unsigned mask = BP_CPU_NEON;
    if (getauxval(AT_HWCAP2) & HWCAP2_BF16) mask |= BP_CPU_NEONBF16;
    return mask;
}

// FPCR bit 24 (FZ) flushes denormal inputs and outputs to zero.
unsigned long bp_fpmode_enter(int strict_ieee) {
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    unsigned long mode = strict_ieee ? fpcr & ~(1ul << 24) : fpcr | (1ul << 24);
    __asm__ volatile("msr fpcr, %0" : : "r"(mode));
    return fpcr;
}

unsigned long bp_fpmode_enter_ftz(void) { return bp_fpmode_enter(0); }

void bp_fpmode_restore(unsigned long mode) { __asm__ volatile("msr fpcr, %0" : : "r"(mode)); }

#else
unsigned bp_cpu_detect(void) { return 0; }
unsigned long bp_fpmode_enter(int strict_ieee) { (void)strict_ieee; return 0; }
unsigned long bp_fpmode_enter_ftz(void) { return 0; }
void bp_fpmode_restore(unsigned long mode) { (void)mode; }
#endif

const char *bp_cpu_features(void) {
    unsigned m = bp_cpu_detect();
    if (m & BP_CPU_AVX512BF16) return "sse2,avx,avx2,fma,avx512f,avx512bw,avx512_bf16";
    if (m & BP_CPU_AVX512) return "sse2,avx,avx2,fma,avx512f";
    if (m & BP_CPU_AVX2) return "sse2,avx,avx2,fma";
    if (m & BP_CPU_NEONBF16) return "asimd,bf16";
    if (m & BP_CPU_NEON) return "asimd";
#if defined(__x86_64__)
    return "sse2";
#else
    return "";
#endif
}
