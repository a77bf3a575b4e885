// SPDX-License-Identifier: MIT
// Elementwise, row and optimizer kernels: every SIMD table this CPU runs
// against the scalar reference (sizes, misaligned pointers, in-place calls,
// special values, position/partition invariance), and the scalar reference
// itself against double-precision oracles. Budgets and their derivations:
// tests/tolerances.h. Runs in the default IEEE mode (no FTZ/DAZ).
#include <float.h>

#include "bp_test.h"
#include "tolerances.h"

// ------------------------------------------------------------------ setup

static bp_isa g_simd[BP_ISA_COUNT];
static int g_nsimd;
static const bp_kernel_table *g_ref;

static void setup_isas(void) {
    bp_isa all[BP_ISA_COUNT];
    int n = bp_test_supported_isas(all);
    g_nsimd = 0;
    for (int i = 0; i < n; i++)
        if (all[i] != BP_ISA_SCALAR) g_simd[g_nsimd++] = all[i];
    g_ref = bp_kernel_table_get(BP_ISA_SCALAR);
    cr_assert_not_null(g_ref);
    if (g_nsimd == 0) printf("bp-test: note: no SIMD ISA on this CPU/build; only oracle checks run\n");
}

// Exact-size heap buffers, so AddressSanitizer sees any access past the end.
// off = 1 gives a base one float past the malloc'ed block's start
// (misaligned for every vector width) with the same exact end.
typedef struct {
    float *base, *p;
} buf;
static buf buf_new(size_t n, int off) {
    buf b;
    b.base = malloc((n + (size_t)off) * sizeof(float));
    cr_assert_not_null(b.base);
    b.p = b.base + off;
    return b;
}
static void buf_free(buf b) { free(b.base); }

static const float k_specials[] = {
    0.0f, -0.0f, 0x1p-149f, -0x1p-149f, 1e-40f, -1e-40f, FLT_MIN, -FLT_MIN, 1e-30f, -1e-30f,
    1.0f, -1.0f, 0.5f, -0.5f, 3.0f, -3.0f, 5.0f, -5.0f, 9.0f, -9.0f, 10.0f, -10.0f, 20.0f, -20.0f,
    30.0f, -30.0f, 87.3f, -87.3f, 88.0f, -88.0f, 88.7228f, -88.7228f, 88.72283935546875f,
    -88.72283935546875f, 88.72284f, -88.72284f, 89.0f, -89.0f, 103.0f, -103.0f, 104.0f, -104.0f,
    1e10f, -1e10f, 1e30f, -1e30f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN, -NAN};
#define N_SPECIALS (sizeof k_specials / sizeof k_specials[0])

// Inputs: uniform in [lo, hi) with a special value at every 7th position.
static void fill_mixed(float *x, size_t n, float lo, float hi, uint64_t seed) {
    bp_test_fill(x, n, lo, hi, seed);
    for (size_t i = 3; i < n; i += 7) x[i] = k_specials[(i / 7 + seed) % N_SPECIALS];
}

// A log-spaced sweep of both signs from 1e-40 to 200 (n even).
static void fill_sweep(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double t = (double)(i / 2) / (double)(n / 2);
        double v = exp(log(1e-40) + t * (log(200.0) - log(1e-40)));
        x[i] = (float)((i & 1) ? -v : v);
    }
}

static int same_bits(float a, float b) {
    if (isnan(a) && isnan(b)) return 1;
    return memcmp(&a, &b, sizeof a) == 0;
}

// The size list of the sweeps for a table with `lanes` lanes.
static size_t sizes_for(size_t lanes, size_t *out) {
    size_t n = 0;
    for (size_t s = 1; s <= 2 * lanes + 1; s++) out[n++] = s;
    out[n++] = 4 * lanes;
    out[n++] = 8 * lanes;
    out[n++] = 67;  // prime > 4 * 16
    out[n++] = 131; // prime
    out[n++] = 100003;
    return n;
}

static const char *act_name(int a) { return bp_act_name((bp_act)a); }

// --------------------------------------------------------- activation checks

// Does SIMD result v agree with scalar s for act at input x (fwd)?
// Returns 1 if within budget; *excess gets the distance / budget for reports.
static int act_fwd_ok(int act, float x, float s, float v) {
    switch (act) {
    case BP_ACT_SIGMOID: return bp_ulp_distance(s, v) <= BP_TOL_ULP_SIGMOID_FWD;
    case BP_ACT_TANH: return bp_ulp_distance(s, v) <= BP_TOL_ULP_TANH_FWD;
    case BP_ACT_GELU:
        if (isnan(s) || isnan(v) || isinf(s) || isinf(v)) return same_bits(s, v);
        return fabs((double)s - v) <= bp_tol_gelu_fwd(x, s, 2, 0);
    default: return same_bits(s, v); // identity, step, relu, leaky_relu: exact
    }
}
static int act_bwd_ok(int act, float z, float dy, float s, float v) {
    if (act == BP_ACT_GELU) {
        if (isnan(s) || isnan(v) || isinf(s) || isinf(v)) return same_bits(s, v);
        return fabs((double)s - v) <= bp_tol_gelu_bwd(z, dy, s, 2, 0);
    }
    return same_bits(s, v); // everything else is bit-exact (tolerances.h)
}

// Compare arrays; on the first failure, report and fail the test.
static void check_fwd(const char *isa, int act, size_t n, int off, const float *x,
                      const float *s, const float *v) {
    for (size_t i = 0; i < n; i++)
        if (!act_fwd_ok(act, x[i], s[i], v[i]))
            cr_assert_fail("%s %s_fwd n=%zu off=%d i=%zu x=%a: scalar %a, simd %a (%llu ulp)", isa,
                           act_name(act), n, off, i, x[i], s[i], v[i],
                           (unsigned long long)bp_ulp_distance(s[i], v[i]));
}
static void check_bwd(const char *isa, int act, size_t n, int off, const float *z,
                      const float *dy, const float *s, const float *v) {
    for (size_t i = 0; i < n; i++)
        if (!act_bwd_ok(act, z[i], dy[i], s[i], v[i]))
            cr_assert_fail("%s %s_bwd n=%zu off=%d i=%zu z=%a dy=%a: scalar %a, simd %a", isa,
                           act_name(act), n, off, i, z[i], dy[i], s[i], v[i]);
}

static const bp_act_params k_params = {0.01f};

Test(elementwise, act_fwd_bwd_sizes_vs_scalar, .init = setup_isas) {
    for (int t = 0; t < g_nsimd; t++) {
        const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
        cr_assert_not_null(K);
        size_t sizes[64], ns = sizes_for(K->f32_lanes, sizes);
        for (int act = 0; act < BP_ACT_COUNT; act++) {
            if (act == BP_ACT_SOFTMAX) continue;
            cr_assert(K->act_fwd[act] != g_ref->act_fwd[act] &&
                          K->act_bwd[act] != g_ref->act_bwd[act],
                      "%s %s is still the scalar kernel", K->name, act_name(act));
            for (size_t si = 0; si < ns; si++)
                for (int off = 0; off <= 1; off++) {
                    size_t n = sizes[si];
                    buf x = buf_new(n, off), ys = buf_new(n, off), yv = buf_new(n, off);
                    buf dy = buf_new(n, off), ds = buf_new(n, off), dv = buf_new(n, off);
                    fill_mixed(x.p, n, -12.0f, 12.0f, n * 31 + (size_t)act);
                    bp_test_fill(dy.p, n, -2.0f, 2.0f, n + 7);
                    g_ref->act_fwd[act](n, x.p, ys.p, &k_params);
                    K->act_fwd[act](n, x.p, yv.p, &k_params);
                    check_fwd(K->name, act, n, off, x.p, ys.p, yv.p);
                    // backward from z = x and the reference's a = act(z)
                    g_ref->act_bwd[act](n, x.p, ys.p, dy.p, ds.p, &k_params);
                    K->act_bwd[act](n, x.p, ys.p, dy.p, dv.p, &k_params);
                    check_bwd(K->name, act, n, off, x.p, dy.p, ds.p, dv.p);
                    buf_free(x), buf_free(ys), buf_free(yv);
                    buf_free(dy), buf_free(ds), buf_free(dv);
                }
        }
    }
}

// Special values and a dense sweep over 1e-40 … 200, both signs.
Test(elementwise, act_special_values_vs_scalar, .init = setup_isas) {
    const size_t n = N_SPECIALS + 200000;
    float *x = malloc(n * 4), *ys = malloc(n * 4), *yv = malloc(n * 4), *dy = malloc(n * 4);
    float *ds = malloc(n * 4), *dv = malloc(n * 4);
    memcpy(x, k_specials, sizeof k_specials);
    fill_sweep(x + N_SPECIALS, n - N_SPECIALS);
    bp_test_fill(dy, n, -2.0f, 2.0f, 5);
    for (int t = 0; t < g_nsimd; t++) {
        const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
        for (int act = 0; act < BP_ACT_COUNT; act++) {
            if (act == BP_ACT_SOFTMAX) continue;
            g_ref->act_fwd[act](n, x, ys, &k_params);
            K->act_fwd[act](n, x, yv, &k_params);
            check_fwd(K->name, act, n, 0, x, ys, yv);
            g_ref->act_bwd[act](n, x, ys, dy, ds, &k_params);
            K->act_bwd[act](n, x, ys, dy, dv, &k_params);
            check_bwd(K->name, act, n, 0, x, dy, ds, dv);
        }
        // Explicit semantics the budgets alone would not pin down.
        for (size_t i = 0; i < N_SPECIALS; i++) {
            float xi = k_specials[i], y;
            K->act_fwd[BP_ACT_RELU](1, &xi, &y, &k_params);
            if (isnan(xi)) cr_expect(isnan(y), "%s relu(NaN) = %a", K->name, y);
            else cr_expect(same_bits(y, xi > 0 ? xi : 0.0f), "%s relu(%a) = %a", K->name, xi, y);
            K->act_fwd[BP_ACT_STEP](1, &xi, &y, &k_params);
            if (isnan(xi)) cr_expect(isnan(y), "%s step(NaN) = %a", K->name, y);
            for (int act = 0; act < BP_ACT_COUNT; act++) {
                if (act == BP_ACT_SOFTMAX || !isnan(xi)) continue;
                K->act_fwd[act](1, &xi, &y, &k_params);
                cr_expect(isnan(y), "%s %s(NaN) = %a", K->name, act_name(act), y);
            }
            // saturation: |x| >= 20 gives exactly +-1 for tanh, 1 for sigmoid(x >= 20)
            if (fabsf(xi) >= 20.0f && !isnan(xi)) {
                K->act_fwd[BP_ACT_TANH](1, &xi, &y, &k_params);
                cr_expect_eq(y, xi > 0 ? 1.0f : -1.0f, "%s tanh(%a) = %a", K->name, xi, y);
                K->act_fwd[BP_ACT_SIGMOID](1, &xi, &y, &k_params);
                if (xi > 0) cr_expect_eq(y, 1.0f, "%s sigmoid(%a) = %a", K->name, xi, y);
                else cr_expect(y >= 0.0f && y < 3e-9f, "%s sigmoid(%a) = %a", K->name, xi, y);
            }
        }
        // exp overflow edge: e^-x overflows for x < -88.7228: sigmoid is +0
        float edge[] = {-88.72283935546875f, -88.72284f, -89.0f, -104.0f, -FLT_MAX, -INFINITY};
        for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
            float y;
            K->act_fwd[BP_ACT_SIGMOID](1, &edge[i], &y, &k_params);
            cr_expect(y >= 0.0f && y < 0x1p-126f, "%s sigmoid(%a) = %a", K->name, edge[i], y);
        }
    }
    free(x), free(ys), free(yv), free(dy), free(ds), free(dv);
}

// y == x and dx == dy give the same bits as out-of-place calls.
Test(elementwise, act_in_place, .init = setup_isas) {
    const size_t n = 1000 + 13;
    float *x = malloc(n * 4), *y = malloc(n * 4), *io = malloc(n * 4), *dy = malloc(n * 4),
          *dx = malloc(n * 4);
    fill_mixed(x, n, -10.0f, 10.0f, 3);
    bp_test_fill(dy, n, -1.0f, 1.0f, 4);
    for (int t = 0; t < g_nsimd; t++) {
        const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
        for (int act = 0; act < BP_ACT_COUNT; act++) {
            if (act == BP_ACT_SOFTMAX) continue;
            K->act_fwd[act](n, x, y, &k_params);
            memcpy(io, x, n * 4);
            K->act_fwd[act](n, io, io, &k_params);
            for (size_t i = 0; i < n; i++)
                cr_assert(same_bits(io[i], y[i]), "%s %s_fwd in place i=%zu", K->name,
                          act_name(act), i);
            K->act_bwd[act](n, x, y, dy, dx, &k_params);
            memcpy(io, dy, n * 4);
            K->act_bwd[act](n, x, y, io, io, &k_params);
            for (size_t i = 0; i < n; i++)
                cr_assert(same_bits(io[i], dx[i]), "%s %s_bwd in place i=%zu", K->name,
                          act_name(act), i);
        }
    }
    free(x), free(y), free(io), free(dy), free(dx);
}

// An element's bits do not depend on its position or the call's length:
// one whole call, one call per element, and uneven chunks all agree.
Test(elementwise, act_position_invariance, .init = setup_isas) {
    const size_t n = 777;
    float *x = malloc(n * 4), *y = malloc(n * 4), *y1 = malloc(n * 4), *dy = malloc(n * 4),
          *d = malloc(n * 4), *d1 = malloc(n * 4);
    fill_mixed(x, n, -15.0f, 15.0f, 11);
    bp_test_fill(dy, n, -1.0f, 1.0f, 12);
    const size_t cuts[] = {0, 1, 6, 23, 24, 100, 333, 334, 700, 777};
    for (int t = 0; t < g_nsimd; t++) {
        const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
        for (int act = 0; act < BP_ACT_COUNT; act++) {
            if (act == BP_ACT_SOFTMAX) continue;
            K->act_fwd[act](n, x, y, &k_params);
            K->act_bwd[act](n, x, y, dy, d, &k_params);
            for (int mode = 0; mode < 2; mode++) {
                if (mode == 0)
                    for (size_t i = 0; i < n; i++) {
                        K->act_fwd[act](1, x + i, y1 + i, &k_params);
                        K->act_bwd[act](1, x + i, y + i, dy + i, d1 + i, &k_params);
                    }
                else
                    for (size_t c = 0; c + 1 < sizeof cuts / sizeof cuts[0]; c++) {
                        size_t a = cuts[c], b = cuts[c + 1];
                        K->act_fwd[act](b - a, x + a, y1 + a, &k_params);
                        K->act_bwd[act](b - a, x + a, y + a, dy + a, d1 + a, &k_params);
                    }
                for (size_t i = 0; i < n; i++) {
                    cr_assert(same_bits(y[i], y1[i]), "%s %s_fwd mode %d i=%zu x=%a: %a vs %a",
                              K->name, act_name(act), mode, i, x[i], y[i], y1[i]);
                    cr_assert(same_bits(d[i], d1[i]), "%s %s_bwd mode %d i=%zu", K->name,
                              act_name(act), mode, i);
                }
            }
        }
    }
    free(x), free(y), free(y1), free(dy), free(d), free(d1);
}

// ---------------------------------------------- scalar activations vs oracle

static double oracle_fwd(int act, double x, double alpha) {
    switch (act) {
    case BP_ACT_IDENTITY: return x;
    case BP_ACT_STEP: return isnan(x) ? x : (x > 0 ? 1.0 : 0.0);
    case BP_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case BP_ACT_TANH: return tanh(x);
    case BP_ACT_RELU: return isnan(x) ? x : (x > 0 ? x : 0.0);
    case BP_ACT_LEAKY_RELU: return x > 0 ? x : alpha * x;
    case BP_ACT_GELU: return 0.5 * x * (1.0 + erf(x * (double)0.70710678118654752f));
    }
    return NAN;
}
// Derivative with the reference's conventions (from a for sigmoid/tanh).
static double oracle_bwd(int act, double z, double a, double dy, double alpha) {
    switch (act) {
    case BP_ACT_IDENTITY:
    case BP_ACT_STEP: return dy;
    case BP_ACT_SIGMOID: return dy * a * (1.0 - a);
    case BP_ACT_TANH: return dy * (1.0 - a * a);
    case BP_ACT_RELU: return z > 0 ? dy : 0.0;
    case BP_ACT_LEAKY_RELU: return z > 0 ? dy : alpha * dy;
    case BP_ACT_GELU: {
        double cdf = 0.5 * (1.0 + erf(z * (double)0.70710678118654752f));
        double pdf = (double)0.39894228040143268f * exp(-0.5 * z * z);
        return dy * (cdf + z * pdf);
    }
    }
    return NAN;
}

Test(elementwise, scalar_activations_vs_oracle) {
    const size_t n = N_SPECIALS + 100000;
    float *x = malloc(n * 4), *y = malloc(n * 4), *dy = malloc(n * 4), *dx = malloc(n * 4);
    memcpy(x, k_specials, sizeof k_specials);
    fill_sweep(x + N_SPECIALS, n - N_SPECIALS);
    bp_test_fill(dy, n, -2.0f, 2.0f, 9);
    const bp_kernel_table *S = bp_kernel_table_get(BP_ISA_SCALAR);
    for (int act = 0; act < BP_ACT_COUNT; act++) {
        if (act == BP_ACT_SOFTMAX) continue;
        S->act_fwd[act](n, x, y, &k_params);
        S->act_bwd[act](n, x, y, dy, dx, &k_params);
        for (size_t i = 0; i < n; i++) {
            double e = oracle_fwd(act, x[i], k_params.alpha), err = fabs(y[i] - e), tol;
            if (isnan(e) || isinf(e)) {
                cr_assert(same_bits(y[i], (float)e), "scalar %s(%a) = %a, exact %a", act_name(act),
                          x[i], y[i], e);
                continue;
            }
            switch (act) {
            case BP_ACT_SIGMOID:
                // exp(-x) overflows for x < -88.72: the reference gives 0
                // where the exact value is below 2^-127 (tolerances.h).
                tol = BP_TOL_ULP_SIGMOID_ONE * bp_tol_float_ulp(e) + (e < 0x1p-127 ? 0x1p-127 : 0);
                break;
            case BP_ACT_TANH: tol = BP_TOL_ULP_TANH_ONE * bp_tol_float_ulp(e); break;
            case BP_ACT_GELU: tol = bp_tol_gelu_fwd(x[i], e, 1, 1); break;
            case BP_ACT_LEAKY_RELU: tol = 0.5 * bp_tol_float_ulp(e); break; // one product
            default: tol = 0.0; // identity, step, relu are exact
            }
            cr_assert(err <= tol, "scalar %s(%a) = %a, exact %a (err %g > tol %g)", act_name(act),
                      x[i], y[i], e, err, tol);
            // backward, given the reference's own a = y[i]
            double eb = oracle_bwd(act, x[i], y[i], dy[i], k_params.alpha), tb;
            if (isnan(eb) || isinf(eb)) continue;
            switch (act) {
            case BP_ACT_SIGMOID: tb = bp_tol_sigmoid_bwd_one(y[i], dy[i], eb); break;
            case BP_ACT_TANH: tb = bp_tol_tanh_bwd_one(y[i], dy[i], eb); break;
            case BP_ACT_GELU: tb = bp_tol_gelu_bwd(x[i], dy[i], eb, 1, 1); break;
            case BP_ACT_LEAKY_RELU: tb = 0.5 * bp_tol_float_ulp(eb); break;
            default: tb = 0.0;
            }
            cr_assert(fabs(dx[i] - eb) <= tb, "scalar %s_bwd(z=%a, dy=%a) = %a, exact %a (tol %g)",
                      act_name(act), x[i], dy[i], dx[i], eb, tb);
        }
    }
    free(x), free(y), free(dy), free(dx);
}

// -------------------------------------------------------------- row kernels

typedef struct {
    size_t rows, cols;
} shape;

static size_t row_shapes(size_t lanes, shape *out) {
    size_t n = 0;
    for (size_t c = 1; c <= 2 * lanes + 1; c++) out[n++] = (shape){2, c};
    out[n++] = (shape){3, 4 * lanes};
    out[n++] = (shape){2, 67};
    out[n++] = (shape){1, 1000};
    out[n++] = (shape){1, 4099};
    out[n++] = (shape){40, 10};
    return n;
}

// Targets: one-hot for even rows, a soft distribution summing to 1 for odd.
static void fill_targets_xent(float *y, size_t rows, size_t cols, uint64_t seed) {
    for (size_t i = 0; i < rows; i++) {
        float *yi = y + i * cols;
        if (i % 2 == 0) {
            memset(yi, 0, cols * 4);
            yi[(seed + i * 7) % cols] = 1.0f;
        } else {
            bp_test_fill(yi, cols, 0.0f, 1.0f, seed + i);
            float s = 0.0f;
            for (size_t j = 0; j < cols; j++) s += yi[j];
            for (size_t j = 0; j < cols; j++) yi[j] /= s;
        }
    }
}

static void expect_close(const char *what, const char *isa, size_t rows, size_t cols, size_t i,
                         double got, double ref, double tol) {
    if (isnan(got) || isnan(ref) || isinf(got) || isinf(ref)) {
        cr_assert(same_bits((float)got, (float)ref), "%s %s %zux%zu [%zu]: %a vs %a", isa, what,
                  rows, cols, i, got, ref);
        return;
    }
    cr_assert(fabs(got - ref) <= tol, "%s %s %zux%zu [%zu]: %a vs %a (|d| %g > tol %g)", isa, what,
              rows, cols, i, got, ref, fabs(got - ref), tol);
}

// Exact softmax of a float row, in double.
static void softmax_exact(size_t n, const float *x, double *y) {
    double m = -INFINITY, s = 0.0;
    for (size_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
    for (size_t j = 0; j < n; j++) s += exp((double)x[j] - m);
    for (size_t j = 0; j < n; j++) y[j] = exp((double)x[j] - m) / s;
}

Test(elementwise, softmax_vs_scalar_and_oracle, .init = setup_isas) {
    shape sh[64];
    size_t nsh = row_shapes(16, sh);
    for (size_t si = 0; si < nsh; si++)
        for (int off = 0; off <= 1; off++) {
            size_t R = sh[si].rows, C = sh[si].cols, n = R * C;
            buf x = buf_new(n, off), ys = buf_new(n, off), yv = buf_new(n, off);
            double *ye = malloc(C * sizeof(double)), *tol = malloc(C * sizeof(double));
            bp_test_fill(x.p, n, -30.0f, 30.0f, n + 1);
            g_ref->softmax(R, C, x.p, ys.p);
            for (size_t i = 0; i < R; i++) { // scalar vs exact
                softmax_exact(C, x.p + i * C, ye);
                bp_tol_softmax_row(C, x.p + i * C, ye, tol, 1, 1);
                for (size_t j = 0; j < C; j++)
                    expect_close("scalar softmax vs exact", "scalar", R, C, i * C + j,
                                 ys.p[i * C + j], ye[j], tol[j]);
            }
            for (int t = 0; t < g_nsimd; t++) {
                const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
                K->softmax(R, C, x.p, yv.p);
                for (size_t i = 0; i < R; i++) {
                    softmax_exact(C, x.p + i * C, ye);
                    bp_tol_softmax_row(C, x.p + i * C, ye, tol, 2, 0);
                    for (size_t j = 0; j < C; j++)
                        expect_close("softmax", K->name, R, C, i * C + j, yv.p[i * C + j],
                                     ys.p[i * C + j], tol[j]);
                }
                memcpy(yv.p, x.p, n * 4); // in place: same bits
                K->softmax(R, C, yv.p, yv.p);
                float *oop = malloc(n * 4);
                K->softmax(R, C, x.p, oop);
                for (size_t k = 0; k < n; k++)
                    cr_assert(same_bits(oop[k], yv.p[k]), "%s softmax in place [%zu]", K->name, k);
                free(oop);
            }
            free(ye), free(tol);
            buf_free(x), buf_free(ys), buf_free(yv);
        }
}

// Rows of huge, infinite and NaN values: exact expected results.
Test(elementwise, softmax_special_rows, .init = setup_isas) {
    const float rows[][5] = {
        {1e30f, -1e30f, 0.0f, 1e30f, -1e30f},      // two maxima: 0.5 each
        {-1e30f, -1e30f, -1e30f, -1e30f, -1e30f},  // uniform
        {88.0f, 0.0f, -88.0f, 1e-40f, -1e-40f},    // denormal inputs
        {1.0f, NAN, 2.0f, 3.0f, 4.0f},             // NaN: all NaN
        {1.0f, INFINITY, 2.0f, 3.0f, 4.0f},        // +Inf: all NaN (Inf - Inf)
        {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY}, // all NaN
        {-INFINITY, 0.0f, -INFINITY, 0.0f, -INFINITY}, // -Inf entries: exact 0
    };
    const int nrows = (int)(sizeof rows / sizeof rows[0]);
    for (int t = -1; t < g_nsimd; t++) {
        const bp_kernel_table *K = t < 0 ? g_ref : bp_kernel_table_get(g_simd[t]);
        for (int r = 0; r < nrows; r++) {
            float y[5];
            K->softmax(1, 5, rows[r], y);
            switch (r) {
            case 0:
                for (int j = 0; j < 5; j++)
                    cr_expect_eq(y[j], (j == 0 || j == 3) ? 0.5f : 0.0f, "%s row0[%d]=%a", K->name, j, y[j]);
                break;
            case 1:
                for (int j = 0; j < 5; j++) cr_expect_eq(y[j], 0.2f, "%s row1[%d]=%a", K->name, j, y[j]);
                break;
            case 2: cr_expect(y[0] > 0.999999f && y[2] == 0.0f && y[1] > 0.0f && y[1] == y[3] && y[3] == y[4], "%s row2 %a %a %a", K->name, y[0], y[1], y[2]); break;
            case 3:
            case 4:
            case 5:
                for (int j = 0; j < 5; j++) cr_expect(isnan(y[j]), "%s row%d[%d]=%a", K->name, r, j, y[j]);
                break;
            case 6:
                for (int j = 0; j < 5; j++)
                    cr_expect_eq(y[j], (j == 1 || j == 3) ? 0.5f : 0.0f, "%s row6[%d]=%a", K->name, j, y[j]);
                break;
            }
        }
    }
}

// ------------------------------------------------------------------ losses

// Exact loss (and gradient) of one row, in double.
static double xent_exact(size_t n, const float *z, const float *y, float scale, double *g) {
    double m = -INFINITY, s = 0.0, loss = 0.0;
    for (size_t j = 0; j < n; j++) m = z[j] > m ? z[j] : m;
    for (size_t j = 0; j < n; j++) s += exp((double)z[j] - m);
    double lse = m + log(s);
    for (size_t j = 0; j < n; j++) {
        if (y[j] != 0.0f) loss += (double)y[j] * (lse - z[j]);
        g[j] = (double)scale * (exp((double)z[j] - lse) - y[j]);
    }
    return loss;
}
static double bce_exact(size_t n, const float *z, const float *y, float scale, double *g) {
    double loss = 0.0;
    for (size_t j = 0; j < n; j++) {
        double zj = z[j];
        loss += (zj > 0 ? zj : 0.0) - zj * y[j] + log1p(exp(-fabs(zj)));
        g[j] = (double)scale * (1.0 / (1.0 + exp(-zj)) - y[j]);
    }
    return loss;
}
static double mse_exact(size_t n, const float *a, const float *y, float scale, double *g) {
    double loss = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = (double)a[j] - y[j];
        loss += d * d;
        g[j] = (double)scale * 2.0 * d / (double)n;
    }
    return loss / (double)n;
}

// One loss kernel checked on one shape: SIMD vs scalar (diff bounds), scalar
// vs exact (one bounds), g == NULL gives the same loss, rows are independent.
static void check_loss(bp_loss which, size_t R, size_t C, int off, const float *zin,
                       const float *yin, float scale) {
    size_t n = R * C;
    buf z = buf_new(n, off), y = buf_new(n, off), gs = buf_new(n, off), gv = buf_new(n, off);
    buf ls = buf_new(R, off), lv = buf_new(R, off), l0 = buf_new(R, off);
    memcpy(z.p, zin, n * 4);
    memcpy(y.p, yin, n * 4);
    double *ge = malloc(C * sizeof(double)), *gtol = malloc(C * sizeof(double));
    static const char *names[] = {"mse", "softmax_xent", "sigmoid_bce"};
    const char *nm = names[which];
    g_ref->loss[which](R, C, z.p, y.p, gs.p, ls.p, scale);
    for (int pass = -1; pass < g_nsimd; pass++) {
        const bp_kernel_table *K = pass < 0 ? g_ref : bp_kernel_table_get(g_simd[pass]);
        int k = pass < 0 ? 1 : 2, c = pass < 0 ? 1 : 0;
        if (pass >= 0) K->loss[which](R, C, z.p, y.p, gv.p, lv.p, scale);
        const float *g_got = pass < 0 ? gs.p : gv.p, *l_got = pass < 0 ? ls.p : lv.p;
        for (size_t i = 0; i < R; i++) {
            const float *zi = z.p + i * C, *yi = y.p + i * C;
            double le, lt;
            if (which == BP_LOSS_SOFTMAX_XENT) {
                le = xent_exact(C, zi, yi, scale, ge);
                lt = bp_tol_xent_row(C, zi, yi, scale, gtol, k, c);
            } else if (which == BP_LOSS_SIGMOID_BCE) {
                le = bce_exact(C, zi, yi, scale, ge);
                lt = bp_tol_bce_row(C, zi, yi, scale, gtol, k, c);
            } else {
                le = mse_exact(C, zi, yi, scale, ge);
                lt = bp_tol_mse_row(C, zi, yi, k, c);
                for (size_t j = 0; j < C; j++) gtol[j] = pass < 0 ? bp_tol_mse_grad_one(ge[j]) : 0.0;
            }
            // SIMD is compared with scalar's values, scalar with exact ones
            double lref = pass < 0 ? le : ls.p[i];
            char what[64];
            snprintf(what, sizeof what, "%s loss%s", nm, pass < 0 ? " vs exact" : "");
            expect_close(what, K->name, R, C, i, l_got[i], lref, lt);
            snprintf(what, sizeof what, "%s grad%s", nm, pass < 0 ? " vs exact" : "");
            for (size_t j = 0; j < C; j++) {
                double gref = pass < 0 ? ge[j] : gs.p[i * C + j];
                if (gtol[j] == 0.0)
                    cr_assert(same_bits(g_got[i * C + j], (float)gref), "%s %s %zux%zu [%zu,%zu]: %a vs %a",
                              K->name, what, R, C, i, j, g_got[i * C + j], gref);
                else
                    expect_close(what, K->name, R, C, i * C + j, g_got[i * C + j], gref, gtol[j]);
            }
        }
        if (pass < 0) continue;
        // g == NULL: same loss bits, nothing written
        K->loss[which](R, C, z.p, y.p, NULL, l0.p, scale);
        for (size_t i = 0; i < R; i++)
            cr_assert(same_bits(l0.p[i], lv.p[i]), "%s %s g=NULL loss row %zu", K->name, nm, i);
        // rows independent: one row at a time gives the same bits
        for (size_t i = 0; i < R; i++) {
            float l1, *g1 = malloc(C * 4);
            K->loss[which](1, C, z.p + i * C, y.p + i * C, g1, &l1, scale);
            cr_assert(same_bits(l1, lv.p[i]), "%s %s row %zu alone", K->name, nm, i);
            for (size_t j = 0; j < C; j++)
                cr_assert(same_bits(g1[j], gv.p[i * C + j]), "%s %s grad row %zu alone", K->name, nm, i);
            free(g1);
        }
    }
    free(ge), free(gtol);
    buf_free(z), buf_free(y), buf_free(gs), buf_free(gv), buf_free(ls), buf_free(lv), buf_free(l0);
}

Test(elementwise, losses_vs_scalar_and_oracle, .init = setup_isas) {
    shape sh[64];
    size_t nsh = row_shapes(16, sh);
    for (size_t si = 0; si < nsh; si++)
        for (int off = 0; off <= 1; off++) {
            size_t R = sh[si].rows, C = sh[si].cols, n = R * C;
            float *z = malloc(n * 4), *y = malloc(n * 4);
            float scale = 1.0f / (float)R;
            bp_test_fill(z, n, -20.0f, 20.0f, n + 3);
            fill_targets_xent(y, R, C, n);
            check_loss(BP_LOSS_SOFTMAX_XENT, R, C, off, z, y, scale);
            bp_test_fill(y, n, 0.0f, 1.0f, n + 5);
            for (size_t k = 0; k < n; k += 3) y[k] = (float)(k & 1); // hard labels too
            check_loss(BP_LOSS_SIGMOID_BCE, R, C, off, z, y, scale);
            bp_test_fill(z, n, -3.0f, 3.0f, n + 6);
            bp_test_fill(y, n, -1.0f, 1.0f, n + 7);
            check_loss(BP_LOSS_MSE, R, C, off, z, y, scale);
            free(z), free(y);
        }
}

// Extreme logits: 1e30-sized rows, BCE at +-100 and +-1e30, denormals.
Test(elementwise, losses_special_values, .init = setup_isas) {
    enum { C = 21 };
    float z[3 * C], y[3 * C];
    for (int j = 0; j < 3 * C; j++) {
        static const float v[] = {100.0f, -100.0f, 1e30f, -1e30f, 0.0f, -0.0f, 1e-40f, 30.0f, -30.0f, 88.0f, -88.0f};
        z[j] = v[j % 11];
        y[j] = (j % 3 == 0) ? 1.0f : 0.0f;
    }
    check_loss(BP_LOSS_SIGMOID_BCE, 3, C, 0, z, y, 0.5f);
    // BCE at +-100 with the matching/mismatching label: exact small values
    for (int t = -1; t < g_nsimd; t++) {
        const bp_kernel_table *K = t < 0 ? g_ref : bp_kernel_table_get(g_simd[t]);
        float zz[4] = {100.0f, -100.0f, 100.0f, -100.0f}, yy[4] = {1.0f, 0.0f, 0.0f, 1.0f}, g[4], l;
        K->loss[BP_LOSS_SIGMOID_BCE](1, 4, zz, yy, g, &l, 1.0f);
        cr_expect(fabs(l - 200.0) <= 200.0 * 4 * BP_TOL_U, "%s bce(+-100) loss %a", K->name, l);
        cr_expect(g[0] == 0.0f && g[1] >= 0.0f && g[1] < 1e-40f && g[2] == 1.0f && g[3] == -1.0f,
                  "%s bce(+-100) grads %a %a %a %a", K->name, g[0], g[1], g[2], g[3]);
        // softmax-xent with a 1e30 logit: loss 0 for the right class, 2e30 for a wrong one
        float z2[6] = {1e30f, -1e30f, 0.0f, 1e30f, -1e30f, 0.0f}, y2[6] = {1, 0, 0, 0, 1, 0}, g2[6], l2[2];
        K->loss[BP_LOSS_SOFTMAX_XENT](2, 3, z2, y2, g2, l2, 1.0f);
        cr_expect(l2[0] == 0.0f && l2[1] == 2e30f, "%s xent(1e30) losses %a %a", K->name, l2[0], l2[1]);
        cr_expect(g2[0] == 0.0f && g2[1] == 0.0f && g2[2] == 0.0f && g2[3] == 1.0f &&
                      g2[4] == -1.0f && g2[5] == 0.0f,
                  "%s xent(1e30) grads", K->name);
        // NaN logits make the row's loss NaN
        float z3[3] = {1.0f, NAN, 0.0f}, y3[3] = {1, 0, 0}, l3;
        K->loss[BP_LOSS_SOFTMAX_XENT](1, 3, z3, y3, NULL, &l3, 1.0f);
        cr_expect(isnan(l3), "%s xent(NaN) loss %a", K->name, l3);
    }
    for (int j = 0; j < 3 * C; j++) y[j] = (j % 7 == 0) ? 1.0f : 0.0f;
    float zx[3 * C];
    for (int j = 0; j < 3 * C; j++) zx[j] = (j % 5 == 0) ? 1e30f : (j % 5 == 1 ? -1e30f : (float)j);
    check_loss(BP_LOSS_SOFTMAX_XENT, 3, C, 1, zx, y, 1.0f / 3.0f);
}

// ----------------------------------------------------- colsum, vadd, axpy

Test(elementwise, colsum_exact_and_partition_invariant, .init = setup_isas) {
    const size_t shapes[][3] = {{1, 1, 1}, {5, 3, 7}, {64, 17, 17}, {33, 100, 128}, {7, 129, 131}, {0, 9, 9}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        size_t R = shapes[si][0], C = shapes[si][1], RS = shapes[si][2], n = R ? (R - 1) * RS + C : 0;
        float *x = malloc(n * 4 + 4), *ys = malloc(C * 4), *yv = malloc(C * 4), *yp = malloc(C * 4);
        bp_test_fill(x, n, -100.0f, 100.0f, si);
        for (int acc = 0; acc <= 1; acc++) {
            bp_test_fill(ys, C, -1.0f, 1.0f, 77);
            memcpy(yv, ys, C * 4);
            g_ref->colsum(R, C, x, RS, ys, acc);
            // scalar vs exact (sequential float sum; tolerances.h)
            float *y0 = malloc(C * 4);
            bp_test_fill(y0, C, -1.0f, 1.0f, 77);
            for (size_t j = 0; j < C; j++) {
                double s = acc ? y0[j] : 0.0, sa = acc ? fabs(y0[j]) : 0.0;
                for (size_t i = 0; i < R; i++) s += x[i * RS + j], sa += fabs(x[i * RS + j]);
                double tol = bp_tol_colsum_one(R + (size_t)acc, sa);
                cr_assert(fabs(ys[j] - s) <= tol, "scalar colsum [%zu] %a vs %a", j, ys[j], s);
            }
            for (int t = 0; t < g_nsimd; t++) {
                const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
                memcpy(yv, y0, C * 4);
                K->colsum(R, C, x, RS, yv, acc);
                for (size_t j = 0; j < C; j++)
                    cr_assert(same_bits(ys[j], yv[j]), "%s colsum %zux%zu acc=%d [%zu]: %a vs %a",
                              K->name, R, C, acc, j, yv[j], ys[j]);
                // column partition [0,c1), [c1,C): same bits
                memcpy(yp, y0, C * 4);
                size_t c1 = C / 3;
                K->colsum(R, c1, x, RS, yp, acc);
                K->colsum(R, C - c1, x + c1, RS, yp + c1, acc);
                for (size_t j = 0; j < C; j++)
                    cr_assert(same_bits(yp[j], yv[j]), "%s colsum partition [%zu]", K->name, j);
            }
            free(y0);
        }
        free(x), free(ys), free(yv), free(yp);
    }
}

Test(elementwise, vadd_axpy_exact, .init = setup_isas) {
    for (int t = 0; t < g_nsimd; t++) {
        const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
        size_t sizes[64], ns = sizes_for(K->f32_lanes, sizes);
        for (size_t si = 0; si < ns; si++)
            for (int off = 0; off <= 1; off++) {
                size_t n = sizes[si];
                buf x = buf_new(n, off), ys = buf_new(n, off), yv = buf_new(n, off);
                fill_mixed(x.p, n, -5.0f, 5.0f, n);
                bp_test_fill(ys.p, n, -5.0f, 5.0f, n + 1);
                memcpy(yv.p, ys.p, n * 4);
                g_ref->vadd(n, x.p, ys.p);
                K->vadd(n, x.p, yv.p);
                for (size_t i = 0; i < n; i++)
                    cr_assert(same_bits(ys.p[i], yv.p[i]), "%s vadd n=%zu [%zu]", K->name, n, i);
                g_ref->axpy(n, -0.37f, x.p, ys.p);
                K->axpy(n, -0.37f, x.p, yv.p);
                for (size_t i = 0; i < n; i++)
                    cr_assert(same_bits(ys.p[i], yv.p[i]), "%s axpy n=%zu [%zu]: %a vs %a", K->name,
                              n, i, yv.p[i], ys.p[i]);
                buf_free(x), buf_free(ys), buf_free(yv);
            }
    }
}

// -------------------------------------------------------------- optimizers

static const bp_sgd_params k_sgd[] = {
    {0.1f, 0.0f, 0.0f, 0}, {0.05f, 0.0f, 1e-3f, 0}, {0.01f, 0.9f, 0.0f, 0},
    {0.01f, 0.9f, 5e-4f, 0}, {0.01f, 0.9f, 5e-4f, 1}, {0.3f, 0.5f, 0.0f, 1}};

Test(elementwise, sgd_adam_exact_vs_scalar, .init = setup_isas) {
    for (int t = 0; t < g_nsimd; t++) {
        const bp_kernel_table *K = bp_kernel_table_get(g_simd[t]);
        size_t sizes[64], ns = sizes_for(K->f32_lanes, sizes);
        for (size_t si = 0; si < ns; si++)
            for (int off = 0; off <= 1; off++) {
                size_t n = sizes[si];
                buf w1 = buf_new(n, off), w2 = buf_new(n, off), g = buf_new(n, off);
                buf m1 = buf_new(n, off), m2 = buf_new(n, off), v1 = buf_new(n, off), v2 = buf_new(n, off);
                for (size_t pi = 0; pi < sizeof k_sgd / sizeof k_sgd[0]; pi++) {
                    const bp_sgd_params *p = &k_sgd[pi];
                    bp_test_fill(w1.p, n, -1.0f, 1.0f, n + pi);
                    bp_test_fill(v1.p, n, -0.1f, 0.1f, n + 2);
                    memcpy(w2.p, w1.p, n * 4), memcpy(v2.p, v1.p, n * 4);
                    for (int step = 0; step < 3; step++) {
                        fill_mixed(g.p, n, -1.0f, 1.0f, (uint64_t)step);
                        if (step < 2) // finite gradients first, specials on the last step
                            bp_test_fill(g.p, n, -1.0f, 1.0f, (uint64_t)step + 40);
                        // plain SGD must not touch v: pass NULL
                        float *vv1 = p->momentum != 0.0f ? v1.p : NULL, *vv2 = p->momentum != 0.0f ? v2.p : NULL;
                        g_ref->sgd(n, w1.p, g.p, vv1, p);
                        K->sgd(n, w2.p, g.p, vv2, p);
                        for (size_t i = 0; i < n; i++)
                            cr_assert(same_bits(w1.p[i], w2.p[i]) && same_bits(v1.p[i], v2.p[i]),
                                      "%s sgd params %zu n=%zu step %d [%zu]: w %a vs %a", K->name,
                                      pi, n, step, i, w2.p[i], w1.p[i]);
                    }
                }
                for (int dec = 0; dec <= 1; dec++) {
                    bp_adam_params p = {1e-3f, 0.9f, 0.999f, 1e-8f, dec ? 1e-2f : 1e-4f, dec, 0, 0};
                    bp_test_fill(w1.p, n, -1.0f, 1.0f, n + 9);
                    memcpy(w2.p, w1.p, n * 4);
                    memset(m1.p, 0, n * 4), memset(m2.p, 0, n * 4), memset(v1.p, 0, n * 4), memset(v2.p, 0, n * 4);
                    for (int step = 1; step <= 3; step++) {
                        p.bc1 = 1.0f - powf(p.beta1, (float)step);
                        p.bc2 = 1.0f - powf(p.beta2, (float)step);
                        bp_test_fill(g.p, n, -1.0f, 1.0f, (uint64_t)step);
                        if (step == 3) fill_mixed(g.p, n, -1.0f, 1.0f, 99);
                        g_ref->adam(n, w1.p, g.p, m1.p, v1.p, &p);
                        K->adam(n, w2.p, g.p, m2.p, v2.p, &p);
                        for (size_t i = 0; i < n; i++)
                            cr_assert(same_bits(w1.p[i], w2.p[i]) && same_bits(m1.p[i], m2.p[i]) &&
                                          same_bits(v1.p[i], v2.p[i]),
                                      "%s adam dec=%d n=%zu step %d [%zu] g=%a: w %a vs %a", K->name,
                                      dec, n, step, i, g.p[i], w2.p[i], w1.p[i]);
                    }
                }
                buf_free(w1), buf_free(w2), buf_free(g), buf_free(m1), buf_free(m2), buf_free(v1), buf_free(v2);
            }
    }
}

// Scalar optimizers against double arithmetic with a running error bound:
// each rounded operation adds u times its result's magnitude, and input
// errors propagate through the exact derivative (first order; slack 1.001).
Test(elementwise, scalar_optimizers_vs_oracle, .init = setup_isas) {
    const double u = BP_TOL_U;
    const size_t n = 4096;
    float *w = malloc(n * 4), *g = malloc(n * 4), *v = malloc(n * 4), *m = malloc(n * 4);
    float *w0 = malloc(n * 4), *v0 = malloc(n * 4), *m0 = malloc(n * 4);
    for (size_t pi = 0; pi < sizeof k_sgd / sizeof k_sgd[0]; pi++) {
        const bp_sgd_params *p = &k_sgd[pi];
        bp_test_fill(w, n, -1.0f, 1.0f, pi), bp_test_fill(g, n, -1.0f, 1.0f, pi + 1);
        bp_test_fill(v, n, -0.1f, 0.1f, pi + 2);
        memcpy(w0, w, n * 4), memcpy(v0, v, n * 4);
        g_ref->sgd(n, w, g, p->momentum != 0.0f ? v : NULL, p);
        for (size_t i = 0; i < n; i++) {
            double lr = p->lr, mo = p->momentum, wd = p->weight_decay;
            double gi = g[i] + wd * w0[i], dgi = u * fabs(wd * w0[i]) + u * fabs(gi), upd = gi, dupd = dgi;
            double vn = v0[i], dv = 0.0;
            if (mo != 0.0) {
                vn = mo * v0[i] + gi;
                dv = u * fabs(mo * v0[i]) + dgi + u * fabs(vn);
                if (p->nesterov) {
                    upd = gi + mo * vn;
                    dupd = dgi + mo * dv + u * fabs(mo * vn) + u * fabs(upd);
                } else upd = vn, dupd = dv;
            }
            double wn = w0[i] - lr * upd;
            double dw = lr * dupd + u * fabs(lr * upd) + u * fabs(wn);
            cr_assert(fabs(w[i] - wn) <= dw * 1.001, "scalar sgd %zu [%zu]: %a vs %a", pi, i, w[i], wn);
            if (mo != 0.0) cr_assert(fabs(v[i] - vn) <= dv * 1.001, "scalar sgd v %zu [%zu]", pi, i);
        }
    }
    for (int dec = 0; dec <= 1; dec++) {
        bp_adam_params p = {1e-3f, 0.9f, 0.999f, 1e-8f, dec ? 1e-2f : 1e-4f, dec, 0, 0};
        p.bc1 = 1.0f - powf(p.beta1, 2.0f), p.bc2 = 1.0f - powf(p.beta2, 2.0f);
        bp_test_fill(w, n, -1.0f, 1.0f, 20), bp_test_fill(g, n, -1.0f, 1.0f, 21);
        bp_test_fill(m, n, -0.1f, 0.1f, 22), bp_test_fill(v, n, 0.0f, 0.01f, 23);
        memcpy(w0, w, n * 4), memcpy(m0, m, n * 4), memcpy(v0, v, n * 4);
        g_ref->adam(n, w, g, m, v, &p);
        double lr = p.lr, wd = p.weight_decay, b1 = p.beta1, b2 = p.beta2;
        double l2 = dec ? 0.0 : wd, shrink = dec ? 1.0 - lr * wd : 1.0;
        // 1-b1, 1-b2 and shrink are rounded once (two roundings for shrink)
        double dshrink = dec ? u * lr * wd + u * shrink : 0.0;
        for (size_t i = 0; i < n; i++) {
            double gi = g[i] + l2 * w0[i], dgi = u * fabs(l2 * w0[i]) + u * fabs(gi);
            double mn = b1 * m0[i] + (1 - b1) * gi;
            double dm = u * fabs(b1 * m0[i]) + (1 - b1) * (dgi + 2 * u * fabs(gi)) + u * fabs(mn);
            double g2 = gi * gi, dg2 = 2 * fabs(gi) * dgi + u * g2;
            double vn = b2 * v0[i] + (1 - b2) * g2;
            double dvv = u * fabs(b2 * v0[i]) + (1 - b2) * (dg2 + 2 * u * g2) + u * fabs(vn);
            double mh = mn / p.bc1, dmh = dm / p.bc1 + u * fabs(mh);
            double vh = vn / p.bc2, dvh = dvv / p.bc2 + u * fabs(vh);
            double r = sqrt(vh), dr = (r > 0 ? fmin(sqrt(dvh), dvh / (2 * r)) : sqrt(dvh)) + u * r;
            double den = r + p.eps, dden = dr + u * den;
            double num = lr * mh, dnum = lr * dmh + u * fabs(num);
            double st = num / den, dst = dnum / den + fabs(num) * dden / (den * den) + u * fabs(st);
            double wn = w0[i] * shrink - st;
            double dw = fabs(w0[i]) * dshrink + u * fabs(w0[i] * shrink) + dst + u * fabs(wn);
            cr_assert(fabs(w[i] - wn) <= dw * 1.001, "scalar adam dec=%d [%zu]: %a vs %a", dec, i, w[i], wn);
            cr_assert(fabs(m[i] - mn) <= dm * 1.001 && fabs(v[i] - vn) <= dvv * 1.001,
                      "scalar adam moments dec=%d [%zu]", dec, i);
        }
    }
    free(w), free(g), free(v), free(m), free(w0), free(v0), free(m0);
}
