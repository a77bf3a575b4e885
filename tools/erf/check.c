#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#if defined(USE512)
#include "avx512/erf-avx512.h"
#define L 16
static void ev(const float *x, float *y) { _mm512_storeu_ps(y, bp_erf_avx512(_mm512_loadu_ps(x))); }
#else
#include "avx2/erf-avx2.h"
#define L 8
static void ev(const float *x, float *y) { _mm256_storeu_ps(y, bp_erf_avx2(_mm256_loadu_ps(x))); }
#endif
static float b2f(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static double ulpf(double y) { y = fabs(y); if (y < 0x1p-126) return 0x1p-149; int e; frexp(y, &e); return ldexp(1.0, e - 24); }
int main(int argc, char **argv) {
    uint32_t step = argc > 1 ? (uint32_t)atoi(argv[1]) : 1;
    double maxulp = 0, maxabs = 0; float wu = 0, wa = 0;
    float x[L], y[L];
    uint32_t end = 0x7f800000u + 1;  // through +Inf
    for (uint64_t b0 = 0; b0 < end; b0 += (uint64_t)L * step) {
        for (int i = 0; i < L; i++) { uint64_t b = b0 + (uint64_t)i * step; x[i] = b < end ? b2f((uint32_t)b) : 0.0f; }
        ev(x, y);
        for (int i = 0; i < L; i++) {
            double e = erf((double)x[i]);
            double d = fabs((double)y[i] - e);
            double du = d / ulpf(e);
            if (du > maxulp) { maxulp = du; wu = x[i]; }
            if (d > maxabs) { maxabs = d; wa = x[i]; }
            float xn = -x[i], yn;
            float xs[L] = {0}; xs[0] = xn; float ys[L]; ev(xs, ys); yn = ys[0];
            if (memcmp(&yn, &(float){-y[i]}, 4) != 0) { printf("odd fail at %a\n", x[i]); return 1; }
        }
    }
    printf("max ulp %.4f at %a ; max abs %.4f u at %a\n", maxulp, wu, maxabs / 0x1p-24, wa);
    float sp[16] = {NAN, -NAN, -0.0f, 0.0f, INFINITY, -INFINITY, 0x1p-149f, -0x1p-149f, 0x1.f5a888p+1f, 0x1.f5a88ap+1f, 4.0f, 1e30f, 0.25f, 0x1.fffffep-3f, 1e-30f, -3.9f};
    float sy[16]; for (int j = 0; j < 16; j += L) ev(sp + j, sy + j);
    for (int i = 0; i < 16; i++) printf("erf(%a) = %a  (libm erff %a)\n", sp[i], sy[i], erff(sp[i]));
    return 0;
}
