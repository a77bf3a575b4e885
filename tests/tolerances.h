// SPDX-License-Identifier: MIT
// Tolerances of the elementwise, row and optimizer kernels: SIMD against the
// scalar reference, and the scalar reference against a double-precision
// oracle. Each budget is derived below from the operations the kernels
// perform (kernels/scalar/*.c, kernels/generic/*-body.h); none is tuned to
// make a test pass.
//
// Notation: u = 2^-24, the unit roundoff of float (a correctly rounded
// operation has relative error <= u; 1 ULP of a normal float y is at most
// 2u|y| and more than u|y|). Transcendental accuracy, in ULPs of the result:
//   SLEEF *_u10 (exp, log, log1p, erf, tanh): <= 1.0 ULP (SLEEF's documented
//     bound for the u10 variants);
//   glibc x86_64 expf, logf, log1pf, erff: <= 1 ULP; tanhf: <= 2 ULP (glibc's
//     published libm-test-ulps maxima for these float functions).
// So one transcendental evaluation has relative error <= 2u (1 ULP), tanhf
// <= 4u.
//
// Two kinds of bound are used:
// - "one": one float implementation against the exact value of the same
//   formula on the same float inputs (the oracle checks of scalar);
// - "diff": the SIMD kernel against the scalar one. Both follow the same
//   operation order (kernels/generic/README.md), so operations whose inputs
//   are bit-identical on both sides round identically and cancel; what
//   remains are the transcendental evaluations (SLEEF vs libm), the row
//   summation order, and every rounding downstream of a value that already
//   differs — each counted once per side (factor k = 2).
// The bound functions take k (sides: 1 or 2) and c (1 if operations common
// to both sides count, i.e. the "one" bound; 0 for "diff").
#ifndef BP_TEST_TOLERANCES_H
#define BP_TEST_TOLERANCES_H

#include <float.h>
#include <math.h>
#include <stddef.h>

#define BP_TOL_U 0x1p-24
#define BP_TOL_DENORM 0x1p-149 // smallest float step; floor for results near 0

// ---------------------------------------------------------------------------
// Bit-exact kernels (0 ULP against scalar). They repeat the reference's
// IEEE operations in the same order on the same inputs with no FMA (the
// kernel folders are compiled with -ffp-contract=off), so every rounding is
// identical:
//   identity, step, relu, leaky_relu (fwd, bwd); step bwd; sigmoid bwd
//   dy*(a*(1-a)) and tanh bwd dy*(1-a*a) (given the same a); colsum (each
//   column summed in row order 0,1,2…, the reference's order); vadd;
//   axpy y+(a*x); mse gradient ((scale*2)*d)*(1/cols); sgd / momentum /
//   Nesterov; adam / adamw (division and square root are correctly rounded
//   in both).
#define BP_TOL_ULP_EXACT 0u

// ---------------------------------------------------------------------------
// Elementwise ULP budgets, SIMD vs scalar (distance via bp_ulp_distance).
//
// sigmoid fwd 1/(1+e^-x): e = exp(-x) has relative error <= 2u; t = 1+e
// inherits at most that (e/(1+e) < 1) plus its rounding u: 3u; 1/t adds u:
// 4u relative per side, i.e. < 4 ULP of the result from the exact value.
// SIMD and scalar each within 4 ULP: 8 ULP apart at most. (exp overflow:
// both sides' exp overflow to +Inf for x < -88.7228 and give +0; checked
// separately at the edge.)
#define BP_TOL_ULP_SIGMOID_FWD 8u
// tanh fwd: SLEEF <= 1 ULP, glibc tanhf <= 2 ULP of the exact value: 3 apart.
#define BP_TOL_ULP_TANH_FWD 3u
// Same formulas for the oracle checks of scalar, one side, measured in the
// exact double value's ULPs: sigmoid 4, tanh 2 (glibc's bound).
#define BP_TOL_ULP_SIGMOID_ONE 4.0
#define BP_TOL_ULP_TANH_ONE 2.0

// ULP of the float nearest to y (exact float spacing at |y|; 2^-149 below
// FLT_MIN).
static inline double bp_tol_float_ulp(double y) {
    y = fabs(y);
    if (y < FLT_MIN) return BP_TOL_DENORM;
    int e;
    frexp(y, &e); // y = f 2^e, f in [0.5, 1)
    return ldexp(1.0, e - 24);
}

// GELU fwd y = (0.5 x) (1 + erf(x c)), c = float(1/sqrt 2). Absolute bound,
// because 1 + erf cancels for x << 0 (relative error unbounded there):
//  v = fl(x c): common rounding (relative u; c's own rounding is part of the
//    formula both sides share) moves erf by <= (2/sqrt pi) e^(-v^2) u |v|
//    <= 1.128 * 0.4289 u < 0.49u (max of v e^(-v^2) is 1/sqrt(2e));
//  erf evaluation: 1 ULP of a value below 1 in magnitude: <= u per side;
//  t = fl(1 + erf): rounding of a value in [0, 2]: <= u per side;
//  h = 0.5x is exact (or, for denormal x, off by <= 2^-150, common);
//  y = fl(h t): |h| |dt| plus half an ULP of y per side.
// one: |h| (0.49u + u + u) + 0.5 ulp(y) + 2^-150;  diff: 2 |h| (u + u) + ulp(y).
static inline double bp_tol_gelu_fwd(double x, double y, int k, int c) {
    double h = 0.5 * fabs(x);
    return h * (c * 0.49 * BP_TOL_U + k * 2.0 * BP_TOL_U) + k * 0.5 * bp_tol_float_ulp(y) +
           c * 0x1p-150 * 2.0;
}

// GELU bwd dx = dy (cdf + z pdf), cdf = 0.5 (1 + erf(z c)),
// pdf = c2 exp((-0.5 z) z):
//  cdf: half of t's error above: c 0.245u + k u;
//  w = (-0.5 z) z: common rounding, relative u: moves exp by u z^2/2 (c);
//  exp evaluation 2u (k); c2 product rounding u (k): pdf relative error
//    <= c (z^2/2) u + k 3u (c2's own float rounding is part of the shared
//    formula); z pdf: + u (k);
//  s = cdf + z pdf: + half ULP of s <= u (s <= 1.13) (k);
//  dx = dy s: |dy| |ds| + half ULP of dx (k).
// Below FLT_MIN, pdf loses relative precision: + k |dy| (|z| + 1) 2^-149.
static inline double bp_tol_gelu_bwd(double z, double dy, double dx, int k, int c) {
    double pdf = 0.39894228040143268 * exp(-0.5 * z * z);
    double zp = fabs(z) * pdf;
    double ds = c * 0.245 * BP_TOL_U + k * BP_TOL_U + zp * (c * 0.5 * z * z + k * 4.0) * BP_TOL_U +
                k * BP_TOL_U + k * (fabs(z) + 1.0) * BP_TOL_DENORM;
    return fabs(dy) * ds + k * 0.5 * bp_tol_float_ulp(dx);
}

// Oracle (one side) for sigmoid bwd dy (a (1 - a)) and tanh bwd dy (1 - a a):
// sigmoid: three roundings on products/differences of exact inputs: 3u
//   relative (1-a rounds relatively: no cancellation error beyond u).
// tanh: a*a rounds (u a^2 absolute), then 1 - a^2 cancels for a near 1
//   (that error is not relative to the result), then two roundings.
static inline double bp_tol_sigmoid_bwd_one(double a, double dy, double dx) {
    (void)a, (void)dy;
    return 3.0 * BP_TOL_U * fabs(dx) + BP_TOL_DENORM;
}
static inline double bp_tol_tanh_bwd_one(double a, double dy, double dx) {
    return fabs(dy) * BP_TOL_U * (a * a + fabs(1.0 - a * a)) + BP_TOL_U * fabs(dx) +
           BP_TOL_DENORM;
}

// ---------------------------------------------------------------------------
// Row kernels. A row sum of n floats in any order has error <= (n-1) u
// sum|terms| (first order); the two implementations add in different orders
// (sequential vs lanes + halving tree, kernels/generic/README.md), so each
// side contributes its own (n-1) u sum|terms|: the bound grows with the row
// length. Inputs are the float inputs; all quantities below are evaluated in
// double by the test (bp_tol_row_* fill a caller-provided array per element).

// Softmax of one row x (n) against exact values y_exact; writes each
// element's absolute bound to tol[]. m = max x is exact on both sides;
// d_j = fl(x_j - m) is common (relative u: moves e^d by u|d|, c);
// e_j = exp(d_j): 2u per side (k); s = sum e_j: (n-1)u s per side plus
// the e_j errors; 1/s: + u; e_j * (1/s): + u.
static inline void bp_tol_softmax_row(size_t n, const float *x, const double *y_exact,
                                      double *tol, int k, int c) {
    double m = -INFINITY;
    for (size_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
    double s = 0.0, ds = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = (double)x[j] - m, e = exp(d);
        s += e;
        ds += e * (c * fabs(d) + k * 2.0) * BP_TOL_U;
    }
    double rel_s = ds / s + k * (double)(n - 1) * BP_TOL_U;
    for (size_t j = 0; j < n; j++) {
        double d = (double)x[j] - m;
        double rel = (c * fabs(d) + k * 2.0) * BP_TOL_U + rel_s + k * 2.0 * BP_TOL_U;
        tol[j] = fabs(y_exact[j]) * rel * (1.0 + 1e-3) + k * 2.0 * BP_TOL_DENORM;
    }
}

// Softmax cross-entropy of one row (logits z, targets y, n) with gradient
// scale: the loss bound is returned, per-element gradient bounds go to
// gtol[] (may be NULL). With m = max z (exact), s, L = log s, lse = m + L:
//  s as in softmax; log: |ds|/s plus 1 ULP of L (2u|L|, k);
//  lse = fl(m + L): + u|lse| (k);
//  loss terms y_j fl(lse - z_j): |y_j| (|dlse| + u|lse - z_j| (k)) + u|term| (k);
//  loss sum: (n-1) u sum|term| per side (k);
//  gradient: q = fl(z_j - lse): |dlse| + u|q| (k); p = e^q: p (|dq| + 2u (k));
//    h = fl(p - y_j): + u|h| (k); g = fl(scale h): |scale| |dh| + u|g| (k).
// A slack factor 1.001 covers the second-order terms.
static inline double bp_tol_xent_row(size_t n, const float *z, const float *y, float scale,
                                     double *gtol, int k, int c) {
    double m = -INFINITY;
    for (size_t j = 0; j < n; j++) m = z[j] > m ? z[j] : m;
    double s = 0.0, ds = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = (double)z[j] - m, e = exp(d);
        s += e;
        ds += e * (c * fabs(d) + k * 2.0) * BP_TOL_U;
    }
    ds += k * (double)(n - 1) * BP_TOL_U * s;
    double L = log(s), lse = m + L;
    double dlse = ds / s + k * 2.0 * BP_TOL_U * fabs(L) + k * BP_TOL_U * fabs(lse) + BP_TOL_DENORM;
    double dloss = 0.0, sum_terms = 0.0;
    for (size_t j = 0; j < n; j++) {
        if (y[j] == 0.0f) continue;
        double diff = lse - (double)z[j], term = fabs((double)y[j] * diff);
        dloss += fabs((double)y[j]) * (dlse + k * BP_TOL_U * fabs(diff)) + k * BP_TOL_U * term;
        sum_terms += term;
    }
    dloss += k * (double)(n > 0 ? n - 1 : 0) * BP_TOL_U * sum_terms;
    if (gtol)
        for (size_t j = 0; j < n; j++) {
            double q = (double)z[j] - lse, p = exp(q);
            double dp = p * (dlse + k * BP_TOL_U * fabs(q) + k * 2.0 * BP_TOL_U) + BP_TOL_DENORM;
            double h = p - (double)y[j];
            double dh = dp + k * BP_TOL_U * fabs(h);
            gtol[j] = (fabs((double)scale) * dh + k * BP_TOL_U * fabs(scale * h)) * 1.001 +
                      k * BP_TOL_DENORM;
        }
    return dloss * 1.001 + k * BP_TOL_DENORM;
}

// Sigmoid BCE of one row: term_j = (max(z,0) - z y) + log1p(exp(-|z|)).
//  lin = max(z,0) - fl(z y), rounded: common (c): u|z y| + u|lin|;
//  a = exp(-|z|): 2u a per side (k); l = log1p(a): a's error scaled by
//    a/(1+a) <= a, plus 1 ULP of l (2u l) (k);
//  term = fl(lin + l): + u|term| (k); row sum: (n-1) u sum|term| (k).
//  gradient: s = sigmoid(z) within 4u s per side (as sigmoid fwd, k), or
//    when e^-z overflows (z < -88.72), s is 0 where the exact value is
//    below 2^-127 (c: only against the exact value); h = fl(s - y): + u|h|
//    (k); g = fl(scale h): |scale| |dh| + u|g| (k).
static inline double bp_tol_bce_row(size_t n, const float *z, const float *y, float scale,
                                    double *gtol, int k, int c) {
    double dloss = 0.0, sum_terms = 0.0;
    for (size_t j = 0; j < n; j++) {
        double zj = z[j], yj = y[j];
        double lin = (zj > 0 ? zj : 0.0) - zj * yj;
        double a = exp(-fabs(zj)), l = log1p(a), term = lin + l;
        dloss += c * BP_TOL_U * (fabs(zj * yj) + fabs(lin)) + k * 2.0 * BP_TOL_U * a / (1.0 + a) +
                 k * 2.0 * BP_TOL_U * l + k * BP_TOL_U * fabs(term) + k * BP_TOL_DENORM;
        sum_terms += fabs(term);
        if (gtol) {
            double sg = 1.0 / (1.0 + exp(-zj));
            double dsg = k * 4.0 * BP_TOL_U * sg + k * BP_TOL_DENORM + (sg < 0x1p-127 ? c * 0x1p-127 : 0.0);
            double h = sg - yj, dh = dsg + k * BP_TOL_U * fabs(h);
            gtol[j] = (fabs((double)scale) * dh + k * BP_TOL_U * fabs(scale * h)) * 1.001 +
                      k * BP_TOL_DENORM;
        }
    }
    dloss += k * (double)(n > 0 ? n - 1 : 0) * BP_TOL_U * sum_terms;
    return dloss * 1.001 + k * BP_TOL_DENORM;
}

// MSE of one row: loss = fl(S * fl(1/n)), S = sum fl(d^2), d = fl(a - y).
//  d and d^2 roundings are common (c): 2u d^2 + u d^2 per term (first order);
//  S: (n-1) u S per side (k); 1/n rounding common (c): u; final product:
//  u|loss| (k). Gradient: bit-exact against scalar (k side); against the
//  exact value ((2 scale) d)/n: d's rounding u, (scale*2) exact, two more
//  roundings: 3u|g| + the 1/n rounding u: 4u|g|.
static inline double bp_tol_mse_row(size_t n, const float *a, const float *y, int k, int c) {
    double S = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = (double)a[j] - y[j];
        S += d * d;
    }
    double dS = c * 3.0 * BP_TOL_U * S + k * (double)(n > 0 ? n - 1 : 0) * BP_TOL_U * S;
    double loss = S / (double)n;
    return (dS / (double)n + (c + k) * BP_TOL_U * loss) * 1.001 + k * BP_TOL_DENORM;
}
static inline double bp_tol_mse_grad_one(double g) { return 4.0 * BP_TOL_U * fabs(g) * 1.001 + BP_TOL_DENORM; }

// colsum against the exact sum (scalar's oracle check): sequential float
// sum of rows terms (plus the initial y when accumulating): (terms-1) u
// sum|terms|.
static inline double bp_tol_colsum_one(size_t terms, double sum_abs) {
    return (double)(terms > 0 ? terms - 1 : 0) * BP_TOL_U * sum_abs * 1.001;
}

#endif
