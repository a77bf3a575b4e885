// SPDX-License-Identifier: MIT
// Matrix product and dot product kernels of every ISA this CPU runs, against
// the scalar reference and a double-precision oracle: shape sweeps over the
// register-tile remainders, the three training orientations and general
// strides, misaligned and page-end operands (guard pages catch over- and
// under-reads), bias / accumulate, blocked sizes (past KC, MC and NC),
// non-finite propagation, and the bitwise partition-invariance the
// multi-threaded trainer relies on.
#define _DEFAULT_SOURCE 1 // MAP_ANONYMOUS
#include <float.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bp_test.h"

#include "avx2/gemm-avx2.h"
#include "avx512/gemm-avx512.h"
#include "generic/bf16-round.h"

// The AVX512-BF16 product (kernels/avx512bf16/) compiled here against
// plain-C stand-ins of its intrinsics (tests/emul/, written from the Intel
// SDM's descriptions): its pair packing, in-place conversion, tiles, edges
// and blocking run on every CPU, against the same bounds as the real
// kernels. On a CPU with AVX512_BF16 the real one runs too (avx512 table).
#define BP_X86_EMULATED 1
#define BP_GEMM_BF16_NAME emulated_gemm_bf16__avx512bf16
#define BP_GEMM_BF16_PANELS_NAME emulated_gemm_bf16_panels__avx512bf16
#define BP_BF16_PACK_WEIGHTS_NAME emulated_bf16_pack_weights__avx512bf16
#include "emul/x86-avx512bf16-emul.h"
#include "avx512bf16/f32-gemm-bf16-8x48-avx512bf16.c"
#undef MR
#undef NR
#undef NVMAX
#undef KC
#undef MC
#undef NC

// ---------------------------------------------------------------- tolerances
//
// Let u = FLT_EPSILON/2 (unit roundoff) and S = |C0|·[accumulate] + |bias_j|
// + Σ_p |a_ip||b_pj|. Both implementations compute one element as a
// sequential sum of k+2 terms (C0, bias, k products):
//  - scalar reference: s = C0 + bias (1 rounding), then k times s += a*b
//    (product and sum each rounded). A term meets at most k+1 roundings
//    (C0/bias: the bias add and k sums; product p: its own rounding and at
//    most k sums), so |s - exact| <= γ_{k+1}·S, γ_n = n·u/(1 - n·u)
//    (Higham, Accuracy and Stability, §3.1, the dot-product bound).
//  - SIMD kernels: acc = C0 + bias, then k fused multiply-adds (one rounding
//    each): again at most k+1 roundings per term, |c - exact| <= γ_{k+1}·S.
// So |c - c_ref| <= 2·γ_{k+1}·S = (k+1)·ε·S/(1 - (k+1)·u), ε = FLT_EPSILON.
// For the k used here (k <= 4096) 1/(1 - (k+1)·u) < 1.0003, so the brief's
// form |c - c_ref| <= γ·(k+2)·ε·S holds with γ = 1.01 (and is no looser than
// needed by more than the (k+2)/(k+1) and 1.01 factors).
// Against the double oracle (exact to ~1e-16 relative, negligible here) the
// one-sided bound is |c - exact| <= γ_{k+1}·S <= 1.01·(k+1)·u·S.
// With inputs uniform in [-1, 1) a dropped or doubled term changes c by about
// S/k, far above (k+2)·ε·S for every k tested, so these bounds catch real bugs.
//
// bf16 products (gemm_bf16, bp_precision): both implementations first round
// every element of A and B to bf16 (generic/bf16-round.h; vcvtne2ps2bf16 on
// AVX512-BF16, the same bit operation elsewhere). The bf16 unit roundoff
// 2^-8 enters only there, and the oracle below rounds its inputs the same
// way, so it plays no part in the bounds: what is left is float
// accumulation. A product of two bf16 values (8 significant bits each) is
// exact in float, so
//  - scalar bf16 reference: s = C0 + bias, then k times s += a*b with a
//    rounding only on the sum, the depths in pairs, odd one first
//    (bp_bf16_depth): at most k+1 roundings per term;
//  - vdpbf16ps: per lane, acc = (acc + a1*b1) + a0*b0 for each bf16 pair,
//    each accumulation rounded to nearest even (Intel SDM): the reference's
//    chain, so bit-identical to it, and checked bitwise (it also flushes a
//    product or a sum below 2^-126 to zero, which these inputs never meet);
//  - float-FMA emulation (every ISA without bf16 hardware): the same chain
//    in the same order (the packed pairs exchanged), each fma rounding
//    once: bit-identical too, and checked bitwise;
// so the fp32 bounds above hold as well, with S and the exact value taken
// over the rounded inputs. A dropped or doubled pair still moves c by about
// S/k, far above the bound.
//  - Arm BFMMLA/BFDOT without FEAT_EBF16 ("neonbf16"): per element and pair
//    of depths, s = BFAdd(s, BFAdd(BFMul(a0,b0), BFMul(a1,b1))) (Arm ARM,
//    BFDotAdd). BFMul is exact unless the product is below 2^-126, which is
//    flushed to zero; each BFAdd rounds to ODD, whose result is one of the
//    two floats around the exact sum, so |δ| < ε = 2u (not u), and flushes
//    a result or addend below 2^-126 to zero. A product meets its pair's
//    BFAdd and the accumulating BFAdd of its own and every later pair step:
//    at most h+1 roundings, h = ⌈k/2⌉ (a zero pair of the depth padding adds
//    exactly 0); C0 + bias meets one IEEE add (u) and h steps. Each step
//    flushes at most two products, the pair sum and the new sum, each less
//    than 2^-126, and the first step a denormal C0 + bias: so
//        |c - exact| <= γ'_{h+1}·S + (4h + 1)·2^-126,  γ'_n = n·ε/(1 - n·ε),
//    ~(k+3)·u·S against fp32's (k+1)·u·S (1.01 covers 1/(1 - n·ε) here).
//    Against the scalar bf16 reference: this bound plus the reference's own
//    (k+1)·u·S. With FEAT_EBF16 and FPCR.EBF = 1 the pair is fused and rounded
//    to nearest, which the same bound covers.
#define GEMM_GAMMA 1.01
static double gemm_tol_vs_ref(size_t k, double s) {
    return GEMM_GAMMA * (double)(k + 2) * FLT_EPSILON * s;
}
static double gemm_tol_vs_exact(size_t k, double s) {
    return GEMM_GAMMA * (double)(k + 1) * (FLT_EPSILON / 2) * s;
}
static double bf16_odd_tol_vs_exact(size_t k, double s) {
    double h = (double)((k + 1) / 2);
    return GEMM_GAMMA * ((h + 1) * FLT_EPSILON * s + (4 * h + 1) * 0x1p-126);
}
// Dot product of length n: any summation order (the SIMD kernels use lane
// partial sums, then a tree) gives |d - exact| <= γ_n·Σ|x_i y_i| (Higham
// §3.1: each product meets at most n roundings, its own included, and fewer
// with FMA), so |d - d_ref| <= 2·γ_n·Σ|x y| <= 1.01·n·ε·Σ|x y|.
static double dot_tol_vs_ref(size_t n, double s) { return GEMM_GAMMA * (double)n * FLT_EPSILON * s; }
static double dot_tol_vs_exact(size_t n, double s) {
    return GEMM_GAMMA * (double)n * (FLT_EPSILON / 2) * s;
}

// ----------------------------------------------------------- guarded buffers
// A mapping with an inaccessible page on each side: operands placed flush
// against the end fault on any over-read, flush against the start on any
// under-read.
typedef struct {
    unsigned char *map;
    size_t map_len;
    float *lo, *hi; // usable floats [lo, hi)
} guard_buf;

static void guard_alloc(guard_buf *g, size_t floats) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (floats * sizeof(float) + 64 + page - 1) / page * page;
    g->map_len = data + 2 * page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(g->map != MAP_FAILED, "mmap");
    cr_assert_eq(mprotect(g->map, page, PROT_NONE), 0);
    cr_assert_eq(mprotect(g->map + page + data, page, PROT_NONE), 0);
    g->lo = (float *)(void *)(g->map + page);
    g->hi = (float *)(void *)(g->map + page + data);
}

static void guard_free(guard_buf *g) { munmap(g->map, g->map_len); }

// Placement of an operand of `extent` floats: 0 flush with the end, 1 at
// the (page-aligned) start, 2 one float past the start (misaligned).
static float *guard_place(const guard_buf *g, size_t extent, int where) {
    if (where == 0) return g->hi - extent;
    return g->lo + (where == 2);
}

// --------------------------------------------------------------- the setups
enum { OR_FWD, OR_BWD_DATA, OR_BWD_WEIGHTS, OR_GENERAL, OR_COUNT };
static const char *const or_name[OR_COUNT] = {"fwd", "bwd_data", "bwd_weights", "general"};

typedef struct {
    size_t m, n, k;
    size_t a_rs, a_cs, b_rs, b_cs, c_rs;
} layout;

// Strides of the three orientations the trainer uses (with optional padded
// leading dimensions) and of a general layout with no unit stride.
static layout make_layout(int o, size_t m, size_t n, size_t k, size_t pad) {
    layout L = {m, n, k, 0, 0, 0, 0, n + pad};
    switch (o) {
    case OR_FWD: // A = X (m x k), B = Wᵀ with W n x k row-major
        L.a_rs = k + pad, L.a_cs = 1, L.b_rs = 1, L.b_cs = k + pad;
        break;
    case OR_BWD_DATA: // A = dZ (m x k), B = W (k x n) row-major
        L.a_rs = k + pad, L.a_cs = 1, L.b_rs = n + pad, L.b_cs = 1;
        break;
    case OR_BWD_WEIGHTS: // A = dZᵀ with dZ k x m row-major, B = X (k x n)
        L.a_rs = 1, L.a_cs = m + pad, L.b_rs = n + pad, L.b_cs = 1;
        break;
    default: // no unit stride anywhere
        L.a_rs = 3, L.a_cs = 3 * m + 2 + pad, L.b_rs = 2 * n + 1 + pad, L.b_cs = 2;
        break;
    }
    return L;
}

static size_t extent2(size_t r, size_t c, size_t rs, size_t cs) {
    return r && c ? (r - 1) * rs + (c - 1) * cs + 1 : 0;
}

typedef struct {
    guard_buf a, b, bias, c;
    float *c0, *cref;
    float *ws;
    size_t ws_floats;
} arena;

static void arena_init(arena *ar, size_t floats) {
    guard_alloc(&ar->a, floats);
    guard_alloc(&ar->b, floats);
    guard_alloc(&ar->bias, floats);
    guard_alloc(&ar->c, floats);
    ar->c0 = malloc(floats * sizeof(float));
    ar->cref = malloc(floats * sizeof(float));
    size_t ws = BP_GEMM_AVX2_WS_FLOATS > BP_GEMM_AVX512_WS_FLOATS ? BP_GEMM_AVX2_WS_FLOATS
                                                                  : BP_GEMM_AVX512_WS_FLOATS;
    ar->ws_floats = (ws + 15) / 16 * 16;
    ar->ws = aligned_alloc(64, ar->ws_floats * sizeof(float));
    cr_assert(ar->c0 && ar->cref && ar->ws);
}

static void arena_free(arena *ar) {
    guard_free(&ar->a);
    guard_free(&ar->b);
    guard_free(&ar->bias);
    guard_free(&ar->c);
    free(ar->c0);
    free(ar->cref);
    free(ar->ws);
}

static uint32_t bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

// Runs one product on table t and the scalar reference and checks every
// element against both bounds and every padding float of C for writes.
// Returns 0 and fills msg on the first failure.
// The product a test runs: the table's fp32 gemm or its bf16 one.
static bp_f32_gemm_fn product(const bp_kernel_table *t, int bf16) {
    return bf16 ? t->gemm_bf16 : t->gemm;
}

// The value the oracle multiplies: the input itself, or its bf16 rounding.
static double oracle_in(float x, int bf16) { return bf16 ? (double)bp_bf16_round(x) : (double)x; }

// Whether a table's bf16 product emulates bf16 with float FMAs.
static int bf16_emulated(const bp_kernel_table *t) { return strcmp(t->bf16_kernels, "float fma") == 0; }
// Whether it rounds its pair sums to odd (Arm BFMMLA; bound above). Every
// other bf16 product must equal the scalar bf16 reference bit for bit.
static int bf16_round_odd(const bp_kernel_table *t) { return strcmp(t->bf16_kernels, "neonbf16") == 0; }

static int check_one(const bp_kernel_table *t, const bp_kernel_table *ref, arena *ar, int o,
                     size_t m, size_t n, size_t k, size_t pad, int use_bias, int accumulate,
                     int where, uint64_t seed, int bf16, char *msg, size_t msg_len) {
    layout L = make_layout(o, m, n, k, pad);
    size_t ea = extent2(m, k, L.a_rs, L.a_cs), eb = extent2(k, n, L.b_rs, L.b_cs);
    size_t ec = extent2(m, n, L.c_rs, 1);
    float *a = guard_place(&ar->a, ea, where);
    float *b = guard_place(&ar->b, eb, (where + 1) % 3);
    float *bias = use_bias ? guard_place(&ar->bias, n, (where + 2) % 3) : NULL;
    float *c = guard_place(&ar->c, ec, 0);
    bp_test_fill(a, ea, -1.0f, 1.0f, seed);
    bp_test_fill(b, eb, -1.0f, 1.0f, seed + 1);
    if (bias) bp_test_fill(bias, n, -1.0f, 1.0f, seed + 2);
    bp_test_fill(ar->c0, ec, -1.0f, 1.0f, seed + 3);
    // Padding floats between rows of C hold a sentinel that must survive.
    for (size_t i = 0; i + 1 < m; i++)
        for (size_t j = n; j < L.c_rs; j++) ar->c0[i * L.c_rs + j] = 1234.5f;
    memcpy(c, ar->c0, ec * sizeof(float));
    memcpy(ar->cref, ar->c0, ec * sizeof(float));

    product(t, bf16)(m, n, k, a, L.a_rs, L.a_cs, b, L.b_rs, L.b_cs, c, L.c_rs, bias, accumulate,
                     ar->ws);
    product(ref, bf16)(m, n, k, a, L.a_rs, L.a_cs, b, L.b_rs, L.b_cs, ar->cref, L.c_rs, bias,
                       accumulate, ar->ws);
    int odd = bf16 && bf16_round_odd(t), bitwise = bf16 && !odd;

    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double ex = accumulate ? (double)ar->c0[i * L.c_rs + j] : 0.0;
            double s = fabs(ex);
            if (bias) {
                ex += bias[j];
                s += fabs((double)bias[j]);
            }
            for (size_t p = 0; p < k; p++) {
                double x = oracle_in(a[i * L.a_rs + p * L.a_cs], bf16) *
                           oracle_in(b[p * L.b_rs + j * L.b_cs], bf16);
                ex += x;
                s += fabs(x);
            }
            double got = c[i * L.c_rs + j], want = ar->cref[i * L.c_rs + j];
            double tr = gemm_tol_vs_ref(k, s), te = gemm_tol_vs_exact(k, s), tg = te;
            if (odd) tg = bf16_odd_tol_vs_exact(k, s), tr = tg + te;
            if (!(fabs(got - want) <= tr) || !(fabs(got - ex) <= tg) || !(fabs(want - ex) <= te) ||
                (bitwise && bits((float)got) != bits((float)want))) {
                snprintf(msg, msg_len,
                         "%s%s %s m=%zu n=%zu k=%zu pad=%zu bias=%d acc=%d where=%d: C(%zu,%zu) = "
                         "%.9g, scalar %.9g, exact %.9g (bounds %.3g vs scalar%s, %.3g vs exact)",
                         t->name, bf16 ? " bf16" : "", or_name[o], m, n, k, pad, use_bias,
                         accumulate, where, i, j, got, want, ex, tr,
                         bitwise ? " and bitwise" : "", tg);
                return 0;
            }
        }
        if (i + 1 < m)
            for (size_t j = n; j < L.c_rs; j++)
                if (bits(c[i * L.c_rs + j]) != bits(1234.5f)) {
                    snprintf(msg, msg_len, "%s %s m=%zu n=%zu k=%zu: padding C(%zu,%zu) written",
                             t->name, or_name[o], m, n, k, i, j);
                    return 0;
                }
    }
    return 1;
}

// The widths worth testing up to 2*nr+1: everything small, and each
// residue next to a vector (8, 16) or tile (nr) boundary.
static int interesting_n(size_t n, size_t nr) {
    if (n <= 18) return 1;
    size_t r8 = n % 8, rt = n % nr;
    return r8 == 0 || r8 == 1 || r8 == 7 || rt == 0 || rt == 1 || rt == nr - 1;
}

static void run_sweep(const bp_kernel_table *t, const bp_kernel_table *ref, arena *ar, int bf16) {
    static const size_t ks[] = {0, 1, 2, 3, 7, 16, 17, 64, 257};
    char msg[512];
    size_t mr = t->gemm_mr > 1 ? t->gemm_mr : 8, nr = t->gemm_nr > 1 ? t->gemm_nr : 16;
    unsigned count = 0;
    for (size_t m = 1; m <= 2 * mr + 1; m++)
        for (size_t n = 1; n <= 2 * nr + 1; n++) {
            if (!interesting_n(n, nr)) continue;
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++, count++) {
                // Rotate the orientation and the options over the sweep so
                // that each meets every m, n and k without a full product.
                int o = (int)((m + n + ki) % OR_COUNT);
                int opts = (int)((count * 7 + m) % 8);
                size_t pad = (count % 3 == 0) ? 3 : 0;
                int ok = check_one(t, ref, ar, o, m, n, ks[ki], pad, opts & 1, (opts >> 1) & 1,
                                   (int)(count % 3), 1000 + count, bf16, msg, sizeof msg);
                cr_assert(ok, "%s", msg);
            }
        }
    // One large depth on a few shapes, every orientation.
    static const size_t big[][2] = {{1, 1}, {5, 33}, {17, 97}};
    for (size_t s = 0; s < 3; s++)
        for (int o = 0; o < OR_COUNT; o++) {
            int ok = check_one(t, ref, ar, o, big[s][0], big[s][1], 1024, 1, o & 1, (o >> 1) & 1,
                               o % 3, 77 + s, bf16, msg, sizeof msg);
            cr_assert(ok, "%s", msg);
        }
    // Widths past one column block (NC 240 on AVX-512 and NEON, 256 on AVX2), with a
    // depth past one KC block: the layer widths of the benchmarks and the
    // block edges.
    static const size_t wide[] = {240, 241, 256, 257, 784, 1024};
    for (size_t s = 0; s < sizeof wide / sizeof wide[0]; s++)
        for (int o = 0; o < OR_COUNT; o++) {
            int ok = check_one(t, ref, ar, o, 9, wide[s], 300, 0, (o + 1) & 1, o == 1, o % 3,
                               91 + s, bf16, msg, sizeof msg);
            cr_assert(ok, "%s", msg);
        }
}

#define ARENA_FLOATS ((size_t)1 << 20)

Test(gemm, table_fields) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    for (int i = 0; i < n; i++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[i]);
        cr_assert(t && t->gemm && t->dot && t->gemm_mr >= 1 && t->gemm_nr >= 1, "%s",
                  bp_isa_name(isas[i]));
        // The trainer slices its scratch per thread at gemm_ws_floats + 16:
        // a multiple of 16 floats keeps every slice 64-byte aligned.
        cr_assert_eq(t->gemm_ws_floats % 16, 0, "%s: gemm_ws_floats %zu", t->name,
                     t->gemm_ws_floats);
        if (isas[i] == BP_ISA_AVX2) {
            cr_assert_geq(t->gemm_ws_floats, (size_t)BP_GEMM_AVX2_WS_FLOATS);
            cr_assert_eq(t->gemm_mr, (size_t)BP_GEMM_AVX2_MR);
            cr_assert_eq(t->gemm_nr, (size_t)BP_GEMM_AVX2_NR);
        }
        if (isas[i] == BP_ISA_AVX512) {
            cr_assert_geq(t->gemm_ws_floats, (size_t)BP_GEMM_AVX512_WS_FLOATS);
            cr_assert_eq(t->gemm_mr, (size_t)BP_GEMM_AVX512_MR);
            cr_assert_eq(t->gemm_nr, (size_t)BP_GEMM_AVX512_NR);
        }
    }
}

Test(gemm, sweep_vs_scalar_and_oracle) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    const bp_kernel_table *ref = bp_kernel_table_get(BP_ISA_SCALAR);
    arena ar;
    arena_init(&ar, ARENA_FLOATS);
    for (int i = 0; i < n; i++) run_sweep(bp_kernel_table_get(isas[i]), ref, &ar, 0);
    arena_free(&ar);
}

// The bf16 products of every ISA against the scalar bf16 reference and the
// oracle on bf16-rounded inputs (bounds above; bitwise but for Arm BFMMLA).
Test(gemm, bf16_sweep_vs_scalar_and_oracle) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    const bp_kernel_table *ref = bp_kernel_table_get(BP_ISA_SCALAR);
    arena ar;
    arena_init(&ar, ARENA_FLOATS);
    for (int i = 0; i < n; i++) run_sweep(bp_kernel_table_get(isas[i]), ref, &ar, 1);
    arena_free(&ar);
}

// The bf16 product the best ISA's table picked. ctest's emulated aarch64
// runs name the one each emulated CPU must get in BP_TEST_BF16_KERNELS
// (tests/CMakeLists.txt), so a run meant to test BFMMLA cannot silently
// test the float-FMA fallback instead, nor the reverse.
Test(gemm, bf16_kernels_dispatch) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    const bp_kernel_table *t = bp_kernel_table_get(isas[n - 1]);
    const char *want = getenv("BP_TEST_BF16_KERNELS");
    if (want && *want)
        cr_assert_str_eq(t->bf16_kernels, want, "%s table: bf16 products %s, expected %s", t->name,
                         t->bf16_kernels, want);
    cr_assert(bf16_emulated(t) || bf16_round_odd(t) || strcmp(t->bf16_kernels, "avx512bf16") == 0,
              "%s: unknown bf16 kernel set %s", t->name, t->bf16_kernels);
}

// The rounding the bound above assumes, on one element: C = 1 + 2^-15·2^-15
// (k = 1, both factors exact in bf16). Round to nearest (float FMA,
// vdpbf16ps) gives 1; BFMMLA's round to odd gives 1 + 2^-23, an error of
// nearly a whole ulp, which is why its bound counts ε per rounding, not u.
Test(gemm, bf16_rounding_mode) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    for (int i = 0; i < n; i++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[i]);
        float *ws = aligned_alloc(64, (t->gemm_ws_floats + 16) * sizeof(float));
        cr_assert(ws);
        float a = 0x1p-15f, b = 0x1p-15f, c = 1.0f;
        t->gemm_bf16(1, 1, 1, &a, 1, 1, &b, 1, 1, &c, 1, NULL, 1, ws);
        float want = bf16_round_odd(t) ? 0x1.000002p+0f : 1.0f;
        cr_assert_eq(bits(c), bits(want), "%s (%s): 1 + 2^-30 gave %a, expected %a", t->name,
                     t->bf16_kernels, (double)c, (double)want);
        free(ws);
    }
}

// The emulated AVX512-BF16 product as a table: the avx512 table's tile
// and scratch, its bf16 entry replaced.
static bp_kernel_table emulated_bf16_table(void) {
    bp_kernel_table t = *bp_kernel_table_get(BP_ISA_SCALAR);
    t.name = "avx512bf16 (emulated)";
    t.bf16_kernels = "avx512bf16";
    t.gemm_bf16 = emulated_gemm_bf16__avx512bf16;
    t.bf16_pack_weights = emulated_bf16_pack_weights__avx512bf16;
    t.gemm_bf16_panels = emulated_gemm_bf16_panels__avx512bf16;
    t.gemm_mr = BP_GEMM_AVX512_MR;
    t.gemm_nr = BP_GEMM_AVX512_NR;
    t.gemm_ws_floats = (BP_GEMM_AVX512_WS_FLOATS + 15) / 16 * 16;
    return t;
}

// The order bitwise equality rests on, on one element: C = 1 + sum of
// a_p*1 with a_p exact in bf16. The odd depth of each pair first
// (bp_bf16_depth, VDPBF16PS), depth 0 first, and a pair summed exactly
// before the add give, for
//   a = (2^-30, -1):          (1 - 1) + 2^-30 = 2^-30,  (1 + 2^-30) - 1 = 0,  2^-30;
//   a = (-1, 2^-30):          (1 + 2^-30) - 1 = 0,       (1 - 1) + 2^-30 = 2^-30, 2^-30;
//   a = (2^-30, -1, 2^-30):   2^-30 + 2^-30 = 2^-29 (the unpaired depth last), 2^-30, 2^-29
// (1 + 2^-30 rounds to 1). BFMMLA (round to odd, pair first) is not checked.
static void check_pair_order(const bp_kernel_table *t) {
    static const struct {
        size_t k;
        float a[3], want;
    } cases[] = {{2, {0x1p-30f, -1.0f, 0}, 0x1p-30f}, {2, {-1.0f, 0x1p-30f, 0}, 0.0f},
                 {3, {0x1p-30f, -1.0f, 0x1p-30f}, 0x1p-29f}};
    float *ws = aligned_alloc(64, (t->gemm_ws_floats + 16) * sizeof(float));
    cr_assert(ws);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float b[3] = {1.0f, 1.0f, 1.0f}, c = 1.0f;
        t->gemm_bf16(1, 1, cases[i].k, cases[i].a, 1, 1, b, 1, 1, &c, 1, NULL, 1, ws);
        cr_assert_eq(bits(c), bits(cases[i].want),
                     "%s (%s): 1 + %a + %a (+ %a) gave %a, expected %a", t->name, t->bf16_kernels,
                     (double)cases[i].a[0], (double)cases[i].a[1], (double)cases[i].a[2], (double)c,
                     (double)cases[i].want);
    }
    free(ws);
}

Test(gemm, bf16_pair_order) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    for (int i = 0; i < n; i++)
        if (!bf16_round_odd(bp_kernel_table_get(isas[i]))) check_pair_order(bp_kernel_table_get(isas[i]));
    bp_kernel_table t = emulated_bf16_table();
    check_pair_order(&t);
}

Test(gemm, bf16_avx512bf16_emulated_vs_scalar_and_oracle) {
    const bp_kernel_table *ref = bp_kernel_table_get(BP_ISA_SCALAR);
    bp_kernel_table t = emulated_bf16_table();
    arena ar;
    arena_init(&ar, ARENA_FLOATS);
    run_sweep(&t, ref, &ar, 1);
    char msg[512];
    for (int o = 0; o < OR_COUNT; o++) {
        int ok = check_one(&t, ref, &ar, o, 270, 261, 521, o == OR_GENERAL ? 0 : 2, 1, o & 1,
                           o % 3, 4242 + (uint64_t)o, 1, msg, sizeof msg);
        cr_assert(ok, "%s", msg);
    }
    arena_free(&ar);
}

// Sizes past every blocking parameter (KC 256, MC 256/264, NC 240/256):
// several KC blocks per element, several row and column blocks.
Test(gemm, blocked_sizes) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    const bp_kernel_table *ref = bp_kernel_table_get(BP_ISA_SCALAR);
    arena ar;
    arena_init(&ar, ARENA_FLOATS);
    char msg[512];
    for (int i = 0; i < n; i++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[i]);
        for (int o = 0; o < OR_COUNT; o++) {
            for (int bf16 = 0; bf16 < 2; bf16++) {
                int ok = check_one(t, ref, &ar, o, 270, 261, 520, o == OR_GENERAL ? 0 : 2, 1,
                                   o & 1, o % 3, 4242 + (uint64_t)o, bf16, msg, sizeof msg);
                cr_assert(ok, "%s", msg);
            }
        }
    }
    arena_free(&ar);
}

// The trainer splits a product among threads into row or column blocks and
// users rely on bit-identical results for any split: compute the whole
// product, then the same product as blocks with odd offsets and sizes, and
// compare bits. Depth 300 crosses a KC block; bias and accumulate both on
// and off.
static void partition_case(const bp_kernel_table *t, int o, int use_bias, int accumulate,
                           int bf16) {
    const bp_f32_gemm_fn gemm = product(t, bf16);
    const size_t m = 45, n = 131, k = 300;
    layout L = make_layout(o, m, n, k, 1);
    size_t ea = extent2(m, k, L.a_rs, L.a_cs), eb = extent2(k, n, L.b_rs, L.b_cs);
    size_t ec = extent2(m, n, L.c_rs, 1);
    float *a = malloc(ea * sizeof(float)), *b = malloc(eb * sizeof(float));
    float *bias = malloc(n * sizeof(float)), *c0 = malloc(ec * sizeof(float));
    float *full = malloc(ec * sizeof(float)), *part = malloc(ec * sizeof(float));
    float *ws = aligned_alloc(64, (t->gemm_ws_floats + 16) * sizeof(float));
    cr_assert(a && b && bias && c0 && full && part && ws);
    bp_test_fill(a, ea, -1.0f, 1.0f, 5);
    bp_test_fill(b, eb, -1.0f, 1.0f, 6);
    bp_test_fill(bias, n, -1.0f, 1.0f, 7);
    bp_test_fill(c0, ec, -1.0f, 1.0f, 8);
    const float *bi = use_bias ? bias : NULL;
    memcpy(full, c0, ec * sizeof(float));
    gemm(m, n, k, a, L.a_rs, L.a_cs, b, L.b_rs, L.b_cs, full, L.c_rs, bi, accumulate, ws);

    // Row cuts and column cuts, odd and tile-straddling; every pair of
    // (row block, column block) is one call.
    static const size_t rcut[] = {0, 1, 4, 13, 30, 45};
    static const size_t ccut[] = {0, 7, 8, 55, 64, 97, 130, 131};
    memcpy(part, c0, ec * sizeof(float));
    for (size_t ri = 0; ri + 1 < sizeof rcut / sizeof rcut[0]; ri++)
        for (size_t ci = 0; ci + 1 < sizeof ccut / sizeof ccut[0]; ci++) {
            size_t r0 = rcut[ri], r1 = rcut[ri + 1], c0j = ccut[ci], c1j = ccut[ci + 1];
            gemm(r1 - r0, c1j - c0j, k, a + r0 * L.a_rs, L.a_rs, L.a_cs, b + c0j * L.b_cs,
                    L.b_rs, L.b_cs, part + r0 * L.c_rs + c0j, L.c_rs, bi ? bi + c0j : NULL,
                    accumulate, ws);
        }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            cr_assert_eq(bits(full[i * L.c_rs + j]), bits(part[i * L.c_rs + j]),
                         "%s%s %s bias=%d acc=%d: C(%zu,%zu) whole %a, in blocks %a", t->name,
                         bf16 ? " bf16" : "", or_name[o], use_bias, accumulate, i, j, (double)full[i * L.c_rs + j],
                         (double)part[i * L.c_rs + j]);
    // Single rows and single columns, the finest split.
    memcpy(part, c0, ec * sizeof(float));
    for (size_t i = 0; i < m; i++)
        gemm(1, n, k, a + i * L.a_rs, L.a_rs, L.a_cs, b, L.b_rs, L.b_cs, part + i * L.c_rs,
                L.c_rs, bi, accumulate, ws);
    cr_assert_eq(memcmp(full, part, ec * sizeof(float)), 0, "%s %s: row-by-row differs", t->name,
                 or_name[o]);
    memcpy(part, c0, ec * sizeof(float));
    for (size_t j = 0; j < n; j++)
        gemm(m, 1, k, a, L.a_rs, L.a_cs, b + j * L.b_cs, L.b_rs, L.b_cs, part + j, L.c_rs,
                bi ? bi + j : NULL, accumulate, ws);
    cr_assert_eq(memcmp(full, part, ec * sizeof(float)), 0, "%s %s: column-by-column differs",
                 t->name, or_name[o]);
    free(a);
    free(b);
    free(bias);
    free(c0);
    free(full);
    free(part);
    free(ws);
}

Test(gemm, bf16_avx512bf16_emulated_partition_invariance_bitwise) {
    bp_kernel_table t = emulated_bf16_table();
    for (int o = 0; o < OR_COUNT; o++)
        for (int opt = 0; opt < 4; opt++) partition_case(&t, o, opt & 1, opt >> 1, 1);
}

// The weights' bf16 panels (bf16_pack_weights, gemm_bf16_panels): the
// product on them is gemm_bf16's on W, bit for bit, in the forward (B = Wᵀ)
// and data-gradient (B = W) orientations, from any panel a thread's columns
// start at, with W packed in row pieces as the trainer's threads pack it;
// the padding words are zero as the contract says. Shapes: odd and even
// depths, widths that are no multiple of 16, depth past KC (two blocks),
// rows past MC.
static void panels_case(const bp_kernel_table *t, size_t n_out, size_t n_in, size_t m,
                        size_t piece, uint64_t seed) {
    size_t kf = (n_in + 1) / 2, kb = (n_out + 1) / 2;
    size_t fwd_words = (n_out + 15) / 16 * 16 * kf, bwd_words = (n_in + 15) / 16 * 16 * kb;
    size_t wide = n_in > n_out ? n_in : n_out;
    float *w = malloc(n_out * n_in * sizeof(float)), *a = malloc(m * wide * sizeof(float));
    float *bias = malloc(n_out * sizeof(float)), *c0 = malloc(m * wide * sizeof(float));
    float *c1 = malloc(m * wide * sizeof(float)), *c2 = malloc(m * wide * sizeof(float));
    uint32_t *fwd = malloc(fwd_words * sizeof(uint32_t)), *bwd = malloc(bwd_words * sizeof(uint32_t));
    float *ws = aligned_alloc(64, (t->gemm_ws_floats + 16) * sizeof(float));
    cr_assert(w && a && bias && c0 && c1 && c2 && fwd && bwd && ws);
    bp_test_fill(w, n_out * n_in, -1.0f, 1.0f, seed);
    bp_test_fill(a, m * wide, -1.0f, 1.0f, seed + 1);
    bp_test_fill(bias, n_out, -1.0f, 1.0f, seed + 2);
    bp_test_fill(c0, m * wide, -1.0f, 1.0f, seed + 3);
    memset(fwd, 0xA5, fwd_words * sizeof(uint32_t)); // every word must be written
    memset(bwd, 0xA5, bwd_words * sizeof(uint32_t));
    for (size_t r = 0; r < n_out; r += piece) t->bf16_pack_weights(w, n_out, n_in, r, r + piece, fwd, bwd);
    for (size_t p = 0; p < fwd_words; p++) {
        size_t j = p / (16 * kf) * 16 + p % 16;
        if (j >= n_out) cr_assert_eq(fwd[p], 0, "%s: forward panel word %zu (row %zu) not zero", t->name, p, j);
    }
    for (size_t p = 0; p < bwd_words; p++) {
        size_t j = p / (16 * kb) * 16 + p % 16, q = p / 16 % kb;
        if (j >= n_in) cr_assert_eq(bwd[p], 0, "%s: data-gradient panel word %zu (column %zu) not zero", t->name, p, j);
        else if (2 * q + 1 >= n_out) cr_assert_eq(bwd[p] >> 16, 0, "%s: word %zu: no row 2q+1, high half not zero", t->name, p);
    }
    for (size_t j0 = 0; j0 < n_out; j0 += 16 * (1 + n_out / 64)) // the forward product from column j0
        for (int acc = 0; acc < 2; acc++) {
            size_t n = n_out - j0;
            memcpy(c1, c0, m * n_out * sizeof(float));
            memcpy(c2, c0, m * n_out * sizeof(float));
            t->gemm_bf16(m, n, n_in, a, n_in, 1, w + j0 * n_in, 1, n_in, c1 + j0, n_out, bias + j0, acc, ws);
            t->gemm_bf16_panels(m, n, n_in, a, n_in, 1, fwd + j0 / 16 * 16 * kf, c2 + j0, n_out,
                                bias + j0, acc, ws);
            cr_assert_eq(memcmp(c1, c2, m * n_out * sizeof(float)), 0,
                         "%s: forward %zux%zu, batch %zu, from column %zu%s: differs from gemm_bf16",
                         t->name, n_out, n_in, m, j0, acc ? ", accumulating" : "");
        }
    for (size_t j0 = 0; j0 < n_in; j0 += 16 * (1 + n_in / 64)) { // the data gradient from column j0
        size_t n = n_in - j0;
        memcpy(c1, c0, m * n_in * sizeof(float));
        memcpy(c2, c0, m * n_in * sizeof(float));
        t->gemm_bf16(m, n, n_out, a, n_out, 1, w + j0, n_in, 1, c1 + j0, n_in, NULL, 0, ws);
        t->gemm_bf16_panels(m, n, n_out, a, n_out, 1, bwd + j0 / 16 * 16 * kb, c2 + j0, n_in, NULL, 0, ws);
        cr_assert_eq(memcmp(c1, c2, m * n_in * sizeof(float)), 0,
                     "%s: data gradient %zux%zu, batch %zu, from column %zu: differs from gemm_bf16",
                     t->name, n_out, n_in, m, j0);
    }
    free(w);
    free(a);
    free(bias);
    free(c0);
    free(c1);
    free(c2);
    free(fwd);
    free(bwd);
    free(ws);
}

static void panels_cases(const bp_kernel_table *t) {
    panels_case(t, 10, 64, 37, 16, 11);     // the output layer: one padded panel
    panels_case(t, 67, 33, 9, 32, 12);      // odd n_out (a pair without its second row)
    panels_case(t, 50, 785, 20, 48, 13);    // odd depth past KC: three blocks
    panels_case(t, 300, 70, 270, 300, 14);  // rows past MC, depth past KC backwards
}

Test(gemm, bf16_avx512bf16_emulated_weight_panels_bitwise) {
    bp_kernel_table t = emulated_bf16_table();
    panels_cases(&t);
}

Test(gemm, bf16_weight_panels_bitwise) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas), tested = 0;
    for (int i = 0; i < n; i++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[i]);
        cr_assert_eq(t->bf16_pack_weights == NULL, t->gemm_bf16_panels == NULL,
                     "%s: one of the two panel entries without the other", t->name);
        cr_assert_eq(t->gemm_bf16_panels != NULL, strcmp(t->bf16_kernels, "avx512bf16") == 0,
                     "%s: panels where bf16 products are %s", t->name, t->bf16_kernels);
        if (!t->gemm_bf16_panels) continue;
        panels_cases(t);
        tested++;
    }
    if (!tested) cr_skip_test("no table with bf16 panels on this CPU");
}

Test(gemm, partition_invariance_bitwise) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    for (int i = 0; i < n; i++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[i]);
        for (int o = 0; o < OR_COUNT; o++)
            for (int opt = 0; opt < 8; opt++) partition_case(t, o, opt & 1, (opt >> 1) & 1, opt >> 2);
    }
}

// NaN and infinities reach exactly the outputs they should, and only those:
// tile padding lanes must not leak them into neighbours.
Test(gemm, nonfinite_propagation) {
    bp_isa isas[BP_ISA_COUNT];
    int ni = bp_test_supported_isas(isas);
    const bp_kernel_table *ref = bp_kernel_table_get(BP_ISA_SCALAR);
    const size_t m = 11, n = 53, k = 29;
    for (int ii = 0; ii < ni; ii++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[ii]);
        float *ws = aligned_alloc(64, (t->gemm_ws_floats + 16) * sizeof(float));
        for (int ob = 0; ob < 2 * OR_COUNT; ob++) {
            int o = ob % OR_COUNT, bf16 = ob / OR_COUNT;
            layout L = make_layout(o, m, n, k, 0);
            size_t ea = extent2(m, k, L.a_rs, L.a_cs), eb = extent2(k, n, L.b_rs, L.b_cs);
            size_t ec = extent2(m, n, L.c_rs, 1);
            float *a = malloc(ea * 4), *b = malloc(eb * 4), *bias = malloc(n * 4);
            float *c = malloc(ec * 4), *cr = malloc(ec * 4);
            bp_test_fill(a, ea, 0.5f, 1.0f, 11); // positive: Inf products keep their sign
            bp_test_fill(b, eb, 0.5f, 1.0f, 12);
            bp_test_fill(bias, n, -1.0f, 1.0f, 13);
            a[3 * L.a_rs + 5 * L.a_cs] = NAN;        // row 3 -> NaN
            b[7 * L.b_rs + 20 * L.b_cs] = INFINITY;  // column 20 -> +Inf
            b[8 * L.b_rs + 47 * L.b_cs] = -INFINITY; // column 47 -> -Inf
            bias[50] = INFINITY;                     // column 50 -> +Inf
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) c[i * L.c_rs + j] = cr[i * L.c_rs + j] = 1.0f;
            c[9 * L.c_rs + 2] = cr[9 * L.c_rs + 2] = NAN; // accumulated C(9,2) -> NaN
            product(t, bf16)(m, n, k, a, L.a_rs, L.a_cs, b, L.b_rs, L.b_cs, c, L.c_rs, bias, 1, ws);
            product(ref, bf16)(m, n, k, a, L.a_rs, L.a_cs, b, L.b_rs, L.b_cs, cr, L.c_rs, bias, 1,
                               ws);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    float x = c[i * L.c_rs + j];
                    int want_nan = i == 3 || (i == 9 && j == 2);
                    int want_inf = !want_nan && (j == 20 || j == 47 || j == 50);
                    cr_assert_eq(!!isnan(x), want_nan, "%s %s C(%zu,%zu) = %g", t->name,
                                 or_name[o], i, j, (double)x);
                    cr_assert_eq(!!isinf(x), want_inf, "%s %s C(%zu,%zu) = %g", t->name,
                                 or_name[o], i, j, (double)x);
                    if (want_inf) cr_assert_eq(x > 0, j != 47, "%s: sign of C(%zu,%zu)", t->name, i, j);
                    float xr = cr[i * L.c_rs + j];
                    cr_assert(!!isnan(x) == !!isnan(xr) && !!isinf(x) == !!isinf(xr),
                              "%s %s C(%zu,%zu) = %g, scalar %g", t->name, or_name[o], i, j,
                              (double)x, (double)xr);
                    if (!want_nan && !want_inf) cr_assert(isfinite(x));
                }
            free(a);
            free(b);
            free(bias);
            free(c);
            free(cr);
        }
        free(ws);
    }
}

// k = 0 gives C = [C +] bias exactly (no products, one rounded add).
Test(gemm, zero_depth) {
    bp_isa isas[BP_ISA_COUNT];
    int ni = bp_test_supported_isas(isas);
    float a[1] = {0}, b[1] = {0}, bias[19], c[3 * 19];
    bp_test_fill(bias, 19, -1.0f, 1.0f, 3);
    for (int ii = 0; ii < ni; ii++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[ii]);
        float *ws = aligned_alloc(64, (t->gemm_ws_floats + 16) * sizeof(float));
        for (int acc = 0; acc < 2; acc++) {
            bp_test_fill(c, 3 * 19, -1.0f, 1.0f, 4);
            float c0[3 * 19];
            memcpy(c0, c, sizeof c);
            t->gemm(3, 19, 0, a, 1, 1, b, 1, 1, c, 19, bias, acc, ws);
            for (size_t i = 0; i < 3 * 19; i++)
                cr_assert_eq(bits(c[i]), bits((acc ? c0[i] : 0.0f) + bias[i % 19]), "%s", t->name);
            t->gemm(3, 19, 0, a, 1, 1, b, 1, 1, c, 19, NULL, acc, ws);
            for (size_t i = 0; i < 3 * 19; i++)
                cr_assert_eq(bits(c[i]), bits(acc ? (c0[i] + bias[i % 19]) : 0.0f), "%s", t->name);
        }
        free(ws);
    }
}

// The bf16 rounding every bf16 product shares (generic/bf16-round.h), on
// the cases Intel's convert_fp32_to_bfloat16 singles out.
static float from_bits(uint32_t u) {
    float x;
    memcpy(&x, &u, 4);
    return x;
}

Test(bf16, rounding) {
    static const uint32_t cases[][2] = {
        {0x3F800000u, 0x3F800000u}, // 1 is exact
        {0x3F808000u, 0x3F800000u}, // halfway, even below: down
        {0x3F818000u, 0x3F820000u}, // halfway, odd below: up to even
        {0x3F808001u, 0x3F810000u}, // past halfway: up
        {0x3F807FFFu, 0x3F800000u}, // below halfway: down
        {0xBF808001u, 0xBF810000u}, // negative: magnitude rounds the same way
        {0x7F7FFFFFu, 0x7F800000u}, // FLT_MAX rounds to +Inf
        {0x7F800000u, 0x7F800000u}, // +Inf kept
        {0xFF800000u, 0xFF800000u}, // -Inf kept
        {0x7F800001u, 0x7FC00000u}, // signalling NaN: quiet, upper payload
        {0xFFC12345u, 0xFFC10000u}, // quiet NaN: sign and upper payload kept
        {0x00000001u, 0x00000000u}, // denormal to +0
        {0x807FFFFFu, 0x80000000u}, // negative denormal to -0
        {0x00800000u, 0x00800000u}, // FLT_MIN kept
        {0x80000000u, 0x80000000u}, // -0 kept
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(bits(bp_bf16_round(from_bits(cases[i][0]))), cases[i][1],
                     "bf16(0x%08x) = 0x%08x, expected 0x%08x", cases[i][0],
                     bits(bp_bf16_round(from_bits(cases[i][0]))), cases[i][1]);
    // Every result has 8 significant bits and is the nearest such value.
    for (uint32_t u = 0x3F000000u; u < 0x40000000u; u += 0x1357u) {
        float x = from_bits(u), r = bp_bf16_round(x);
        cr_assert_eq(bits(r) & 0xFFFFu, 0u);
        cr_assert(fabsf(r - x) <= 0x1p-9f * 2.0f, "0x%08x", u); // half an ulp of [1, 2) bf16
    }
}

// --------------------------------------------------------------------- dot
Test(dot, lengths_vs_scalar_and_oracle) {
    bp_isa isas[BP_ISA_COUNT];
    int ni = bp_test_supported_isas(isas);
    const bp_kernel_table *ref = bp_kernel_table_get(BP_ISA_SCALAR);
    guard_buf gx, gy;
    guard_alloc(&gx, 5000);
    guard_alloc(&gy, 5000);
    static const size_t extra[] = {255, 256, 257, 1000, 1023, 4099};
    for (int ii = 0; ii < ni; ii++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[ii]);
        for (size_t q = 0; q < 130 + sizeof extra / sizeof extra[0]; q++) {
            size_t n = q < 130 ? q : extra[q - 130];
            for (int where = 0; where < 3; where++) {
                float *x = guard_place(&gx, n, where), *y = guard_place(&gy, n, (where + 1) % 3);
                bp_test_fill(x, n, -1.0f, 1.0f, 100 + q);
                bp_test_fill(y, n, -1.0f, 1.0f, 200 + q);
                double ex = 0.0, s = 0.0;
                for (size_t i = 0; i < n; i++) {
                    ex += (double)x[i] * y[i];
                    s += fabs((double)x[i] * y[i]);
                }
                double got = t->dot(n, x, y), want = ref->dot(n, x, y);
                cr_assert(fabs(got - want) <= dot_tol_vs_ref(n, s),
                          "%s n=%zu: %.9g vs scalar %.9g", t->name, n, got, want);
                cr_assert(fabs(got - ex) <= dot_tol_vs_exact(n, s), "%s n=%zu: %.9g vs exact %.9g",
                          t->name, n, got, ex);
                if (n == 0) cr_assert_eq(got, 0.0);
            }
        }
        // Non-finite inputs propagate.
        float *x = gx.lo, *y = gy.lo;
        bp_test_fill(x, 100, -1.0f, 1.0f, 1);
        bp_test_fill(y, 100, -1.0f, 1.0f, 2);
        x[97] = NAN;
        cr_assert(isnan(t->dot(100, x, y)), "%s: NaN lost", t->name);
        x[97] = 0.5f;
        y[3] = INFINITY;
        x[3] = 2.0f;
        cr_assert(isinf(t->dot(100, x, y)) && t->dot(100, x, y) > 0, "%s: Inf lost", t->name);
    }
    guard_free(&gx);
    guard_free(&gy);
}
