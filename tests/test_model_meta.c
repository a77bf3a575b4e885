// SPDX-License-Identifier: MIT
// What a model carries besides weights: input/output scaling and class
// names (set, saved, loaded, applied by predict, evaluate and the trainer),
// the version-2 file's sections, version-1 files, and the weight
// initialisations' moments.
#include <unistd.h>
#include <zlib.h>

#include "bp_internal.h"
#include "bp_test.h"

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-meta-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void cleanup(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) cr_expect_eq(system(cmd), 0);
}

static const char *tpath(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) & 3;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static size_t slurp(const char *path, unsigned char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void spit(const char *path, const unsigned char *buf, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(buf, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

// Re-seal a model file after editing it: a new CRC over all but the last 4 bytes.
static void reseal(unsigned char *buf, size_t n) {
    put32(buf + n - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(n - 4)));
}

static bp_net *small_net(uint32_t n_in, uint32_t n_out, bp_act out_act, uint64_t seed) {
    uint32_t sizes[] = {n_in, 8, n_out};
    bp_act acts[] = {BP_ACT_TANH, out_act};
    bp_net_options o = bp_net_options_default();
    o.isa = bp_test_isa();
    o.seed = seed;
    bp_net *net;
    cr_assert_eq(bp_net_create(2, sizes, acts, &o, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

Test(scaling, fit_standard_minmax_and_constant_columns) {
    // Column 0: 1e5 + {0, 2, 4, 6}: mean 100003, population std sqrt(5).
    // Column 1: constant 40: std 0 -> scale 1 (only centred).
    const float x[] = {100000, 40, 100002, 40, 100004, 40, 100006, 40};
    float off[2], sc[2];
    cr_assert_eq(bp_scaling_fit(BP_SCALE_STANDARD, x, 4, 2, off, sc), BP_STATUS_OK);
    cr_expect_eq(off[0], 100003.0f);
    cr_expect_eq(sc[0], (float)sqrt(5.0));
    cr_expect_eq(off[1], 40.0f);
    cr_expect_eq(sc[1], 1.0f);
    cr_assert_eq(bp_scaling_fit(BP_SCALE_MINMAX, x, 4, 2, off, sc), BP_STATUS_OK);
    cr_expect_eq(off[0], 100000.0f);
    cr_expect_eq(sc[0], 6.0f);
    cr_expect_eq(sc[1], 1.0f);
    cr_assert_eq(bp_scaling_fit(BP_SCALE_NONE, x, 4, 2, off, sc), BP_STATUS_OK);
    cr_expect(off[0] == 0.0f && sc[0] == 1.0f);
    cr_expect_eq(bp_scaling_fit(BP_SCALE_STANDARD, x, 0, 2, off, sc), BP_STATUS_INVALID_ARGUMENT);
}

Test(scaling, bad_values_refused) {
    bp_net *net = small_net(2, 1, BP_ACT_IDENTITY, 1);
    const float off[] = {0, 0}, zero[] = {1, 0}, neg[] = {-1, 1}, inf_off[] = {INFINITY, 0}, one[] = {1, 1};
    cr_expect_eq(bp_net_set_input_scaling(net, BP_SCALE_STANDARD, off, zero), BP_STATUS_INVALID_ARGUMENT);
    cr_expect(strstr(bp_last_error(), "column 1") != NULL, "%s", bp_last_error());
    cr_expect_eq(bp_net_set_input_scaling(net, BP_SCALE_STANDARD, off, neg), BP_STATUS_INVALID_ARGUMENT);
    cr_expect_eq(bp_net_set_input_scaling(net, BP_SCALE_STANDARD, inf_off, one), BP_STATUS_INVALID_ARGUMENT);
    cr_expect_eq(bp_net_input_scaling(net, NULL, NULL), BP_SCALE_NONE);
    const char *names3[] = {"a", "b", "c"}, *names_empty[] = {"a", ""};
    cr_expect_eq(bp_net_set_class_names(net, 3, names3), BP_STATUS_INVALID_ARGUMENT); // 1 output = 2 classes
    cr_expect_eq(bp_net_set_class_names(net, 2, names_empty), BP_STATUS_INVALID_ARGUMENT);
    cr_expect_eq(bp_net_class_name(net, 0), NULL);
    bp_net_destroy(net);
}

// Predict with input and output scaling equals predict without them on
// inputs scaled by hand, outputs mapped back by hand: the same float
// operations in the same order, so the results are bit-identical.
Test(scaling, predict_applies_both_scalings) {
    bp_net *plain = small_net(3, 2, BP_ACT_IDENTITY, 7), *scaled;
    cr_assert_eq(bp_net_clone(plain, &scaled), BP_STATUS_OK);
    const float ioff[] = {1e5f, 40.0f, -3.0f}, isc[] = {250.0f, 12.0f, 0.5f};
    const float ooff[] = {10.0f, -2.0f}, osc[] = {3.0f, 0.25f};
    cr_assert_eq(bp_net_set_input_scaling(scaled, BP_SCALE_STANDARD, ioff, isc), BP_STATUS_OK);
    cr_assert_eq(bp_net_set_output_scaling(scaled, BP_SCALE_STANDARD, ooff, osc), BP_STATUS_OK);
    // 300 rows: more than one 256-row predict chunk; 3 rows: the few-row
    // (dot product) path.
    for (size_t N = 300; N >= 3; N = N == 300 ? 3 : 0) {
    float *x = malloc(N * 3 * sizeof *x), *xs = malloc(N * 3 * sizeof *xs);
    float *y = malloc(N * 2 * sizeof *y), *ys = malloc(N * 2 * sizeof *ys);
    for (size_t i = 0; i < N; i++) {
        x[i * 3] = 1e5f + (float)(i % 17) * 31.0f;
        x[i * 3 + 1] = 40.0f + (float)(i % 5);
        x[i * 3 + 2] = (float)i / 100.0f;
        for (int j = 0; j < 3; j++) xs[i * 3 + j] = (x[i * 3 + j] - ioff[j]) / isc[j];
    }
    cr_assert_eq(bp_net_predict(plain, xs, N, y), BP_STATUS_OK);
    cr_assert_eq(bp_net_predict_mt(scaled, x, N, ys, 2), BP_STATUS_OK);
    for (size_t i = 0; i < N * 2; i++) {
        float want = y[i] * osc[i % 2] + ooff[i % 2];
        cr_assert_eq(ys[i], want, "row %zu: %.9g vs %.9g", i / 2, (double)ys[i], (double)want);
    }
    free(x), free(xs), free(y), free(ys);
    }
    bp_net_destroy(plain);
    bp_net_destroy(scaled);
}

// Training on raw data with scaling set gives bit-identical weights to
// training without scaling on data scaled by hand (the trainer maps inputs
// and targets as it gathers a batch), and evaluate's loss is the loss on
// the scaled targets.
Test(scaling, trainer_and_evaluate_apply_scaling) {
    enum { N = 96 };
    float x[N * 2], xs[N * 2], t[N], ts[N];
    for (int i = 0; i < N; i++) {
        x[i * 2] = 1e5f + (float)(i * 37 % 101);
        x[i * 2 + 1] = 40.0f + (float)(i % 7);
        t[i] = 5000.0f + 3.0f * (x[i * 2] - 1e5f) - 20.0f * (float)(i % 7);
    }
    float ioff[2], isc[2], ooff[1], osc[1];
    cr_assert_eq(bp_scaling_fit(BP_SCALE_STANDARD, x, N, 2, ioff, isc), BP_STATUS_OK);
    cr_assert_eq(bp_scaling_fit(BP_SCALE_STANDARD, t, N, 1, ooff, osc), BP_STATUS_OK);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 2; j++) xs[i * 2 + j] = (x[i * 2 + j] - ioff[j]) / isc[j];
        ts[i] = (t[i] - ooff[0]) / osc[0];
    }
    bp_net *a = small_net(2, 1, BP_ACT_IDENTITY, 3), *b = small_net(2, 1, BP_ACT_IDENTITY, 3);
    cr_assert_eq(bp_net_set_input_scaling(a, BP_SCALE_STANDARD, ioff, isc), BP_STATUS_OK);
    cr_assert_eq(bp_net_set_output_scaling(a, BP_SCALE_STANDARD, ooff, osc), BP_STATUS_OK);
    bp_data raw = {N, 2, x, 0, NULL, 1, t}, pre = {N, 2, xs, 0, NULL, 1, ts};
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE;
    o.learning_rate = 0.01f;
    o.batch_size = 16;
    o.epochs = 5;
    o.n_threads = 1;
    cr_assert_eq(bp_train(a, &raw, &o), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_train(b, &pre, &o), BP_STATUS_OK, "%s", bp_last_error());
    for (size_t l = 0; l < 2; l++)
        cr_assert_eq(memcmp(bp_net_weights(a, l), bp_net_weights(b, l),
                            bp_net_size(a, l) * bp_net_size(a, l + 1) * sizeof(float)), 0, "layer %zu", l);
    bp_eval ea, eb;
    cr_assert_eq(bp_net_evaluate(a, BP_LOSS_MSE, &raw, 1, &ea), BP_STATUS_OK);
    cr_assert_eq(bp_net_evaluate(b, BP_LOSS_MSE, &pre, 1, &eb), BP_STATUS_OK);
    cr_expect_eq(ea.loss, eb.loss);
    cr_expect(ea.loss < 1.0, "standardized-target MSE %g", ea.loss); // below the variance of the targets
    bp_net_destroy(a);
    bp_net_destroy(b);
}

static void expect_same_meta(const bp_net *a, const bp_net *b) {
    const float *ao, *as, *bo, *bs;
    cr_assert_eq(bp_net_input_scaling(a, &ao, &as), bp_net_input_scaling(b, &bo, &bs));
    if (bp_net_input_scaling(a, NULL, NULL) != BP_SCALE_NONE) {
        cr_expect_eq(memcmp(ao, bo, bp_net_size(a, 0) * sizeof(float)), 0);
        cr_expect_eq(memcmp(as, bs, bp_net_size(a, 0) * sizeof(float)), 0);
    }
    size_t L = bp_net_n_layers(a);
    cr_assert_eq(bp_net_output_scaling(a, &ao, &as), bp_net_output_scaling(b, &bo, &bs));
    if (bp_net_output_scaling(a, NULL, NULL) != BP_SCALE_NONE) {
        cr_expect_eq(memcmp(ao, bo, bp_net_size(a, L) * sizeof(float)), 0);
        cr_expect_eq(memcmp(as, bs, bp_net_size(a, L) * sizeof(float)), 0);
    }
    cr_assert_eq(bp_net_n_class_names(a), bp_net_n_class_names(b));
    for (size_t i = 0; i < bp_net_n_class_names(a); i++)
        cr_expect_str_eq(bp_net_class_name(a, i), bp_net_class_name(b, i));
}

Test(model_file, scaling_and_names_round_trip, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = small_net(2, 3, BP_ACT_SOFTMAX, 5), *back, *copy;
    const float off[] = {1e5f, 40.0f}, sc[] = {1234.5f, 7.25f};
    const char *names[] = {"setosa", "versicolor", "virginica"};
    cr_assert_eq(bp_net_set_input_scaling(net, BP_SCALE_MINMAX, off, sc), BP_STATUS_OK);
    cr_assert_eq(bp_net_set_class_names(net, 3, names), BP_STATUS_OK);
    cr_assert_eq(bp_net_save(net, tpath("m.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_load(tpath("m.bpm"), NULL, &back), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(bp_net_input_scaling(back, NULL, NULL), BP_SCALE_MINMAX);
    cr_expect_str_eq(bp_net_class_name(back, 2), "virginica");
    cr_expect_eq(bp_net_class_name(back, 3), NULL);
    expect_same_meta(net, back);
    cr_assert_eq(bp_net_clone(back, &copy), BP_STATUS_OK);
    expect_same_meta(net, copy);
    // Removing: kind NONE and n = 0.
    cr_assert_eq(bp_net_set_input_scaling(copy, BP_SCALE_NONE, NULL, NULL), BP_STATUS_OK);
    cr_assert_eq(bp_net_set_class_names(copy, 0, NULL), BP_STATUS_OK);
    cr_expect_eq(bp_net_input_scaling(copy, NULL, NULL), BP_SCALE_NONE);
    cr_expect_eq(bp_net_n_class_names(copy), 0);
    bp_net_destroy(net);
    bp_net_destroy(back);
    bp_net_destroy(copy);
}

// A version-1 file is a version-2 file without the section list: write a
// model without scaling or names (its section list is the 4-byte count 0
// just before the CRC), cut the count out, set version 1, re-seal, load.
Test(model_file, version_1_files_still_load, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = small_net(4, 2, BP_ACT_SOFTMAX, 9), *back;
    cr_assert_eq(bp_net_save(net, tpath("v2.bpm")), BP_STATUS_OK);
    static unsigned char buf[1 << 16];
    size_t n = slurp(tpath("v2.bpm"), buf, sizeof buf);
    cr_assert_eq(buf[4], 2);
    cr_assert_eq(memcmp(buf + n - 8, "\0\0\0\0", 4), 0, "empty section list before the CRC");
    buf[4] = 1;
    memmove(buf + n - 8, buf + n - 4, 4);
    n -= 4;
    reseal(buf, n);
    spit(tpath("v1.bpm"), buf, n);
    cr_assert_eq(bp_net_load(tpath("v1.bpm"), NULL, &back), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(bp_net_n_params(back), bp_net_n_params(net));
    for (size_t l = 0; l < 2; l++)
        cr_expect_eq(memcmp(bp_net_weights(back, l), bp_net_weights(net, l),
                            bp_net_size(net, l) * bp_net_size(net, l + 1) * sizeof(float)), 0);
    cr_expect_eq(bp_net_input_scaling(back, NULL, NULL), BP_SCALE_NONE);
    cr_expect_eq(bp_net_n_class_names(back), 0);
    // Version 3 is refused with a message naming both versions.
    buf[4] = 3;
    reseal(buf, n);
    spit(tpath("v3.bpm"), buf, n);
    bp_net *bad = NULL;
    cr_expect_eq(bp_net_load(tpath("v3.bpm"), NULL, &bad), BP_STATUS_FORMAT_ERROR);
    cr_expect(strstr(bp_last_error(), "version 3") != NULL, "%s", bp_last_error());
    bp_net_destroy(net);
    bp_net_destroy(back);
}

// Sections a build does not know: optional ones (bit 31 clear) are skipped,
// required ones refused; a section cannot claim more bytes than remain.
Test(model_file, unknown_sections, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = small_net(2, 2, BP_ACT_SOFTMAX, 4), *back;
    const char *names[] = {"no", "yes"};
    cr_assert_eq(bp_net_set_class_names(net, 2, names), BP_STATUS_OK);
    cr_assert_eq(bp_net_save(net, tpath("m.bpm")), BP_STATUS_OK);
    static unsigned char buf[1 << 16], out[1 << 16];
    size_t n = slurp(tpath("m.bpm"), buf, sizeof buf);
    // The names section: tag 3, length 8 (u64), count 2, "no", "yes".
    size_t names_bytes = 4 + 8 + 4 + (4 + 2) + (4 + 3);
    size_t count_at = n - 4 - names_bytes - 4;
    cr_assert_eq(buf[count_at], 1, "one section");
    for (int required = 0; required < 2; required++) {
        // Append a 5-byte section with tag 77 (| bit 31 when required).
        memcpy(out, buf, n - 4);
        size_t m = n - 4;
        out[count_at] = 2;
        put32(out + m, 77u | (required ? 0x80000000u : 0u));
        memset(out + m + 4, 0, 8);
        out[m + 4] = 5;
        memcpy(out + m + 12, "hello", 5);
        m += 17 + 4;
        reseal(out, m);
        spit(tpath("x.bpm"), out, m);
        bp_status st = bp_net_load(tpath("x.bpm"), NULL, &back);
        if (required) {
            cr_expect_eq(st, BP_STATUS_FORMAT_ERROR);
            cr_expect(strstr(bp_last_error(), "0x8000004d") != NULL, "%s", bp_last_error());
        } else {
            cr_assert_eq(st, BP_STATUS_OK, "%s", bp_last_error());
            expect_same_meta(net, back);
            bp_net_destroy(back);
        }
    }
    // A length past the end of the file.
    memcpy(out, buf, n);
    out[count_at + 4 + 4] = 0xff;
    reseal(out, n);
    spit(tpath("y.bpm"), out, n);
    cr_expect_eq(bp_net_load(tpath("y.bpm"), NULL, &back), BP_STATUS_FORMAT_ERROR);
    bp_net_destroy(net);
}

// Each initialisation draws weights uniform in [-b, b] with the bound its
// formula in backprop.h gives: mean 0 and variance b^2/3. With m weights
// the sample mean has std b/sqrt(3m) and the sample variance has std
// sqrt(Var(w^2)/m) = b^2 sqrt(1/5 - 1/9)/sqrt(m) = b^2 * 0.298/sqrt(m)
// (E w^4 = b^4/5). A 400x300 layer gives m = 120000: we accept 5 such stds
// (a false failure about once in 1.7 million runs per check).
// Every weight also lies within [-b, b]; the biases within +-1/sqrt(fan_in).
Test(init, moments_match_each_formula) {
    const uint32_t fan_in = 400, fan_out = 300;
    const double m = (double)fan_in * fan_out;
    const struct {
        bp_init init;
        bp_act act;
        double bound;
    } cases[] = {
        {BP_INIT_HE, BP_ACT_TANH, sqrt(6.0 / fan_in)},
        {BP_INIT_GLOROT, BP_ACT_RELU, sqrt(6.0 / (fan_in + fan_out))},
        {BP_INIT_LECUN, BP_ACT_RELU, sqrt(3.0 / fan_in)},
        {BP_INIT_TORCH, BP_ACT_RELU, 1.0 / sqrt(fan_in)},
        {BP_INIT_AUTO, BP_ACT_RELU, sqrt(6.0 / fan_in)},
        {BP_INIT_AUTO, BP_ACT_TANH, sqrt(6.0 / (fan_in + fan_out))},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint32_t sizes[] = {fan_in, fan_out};
        bp_act acts[] = {cases[c].act};
        bp_net_options o = bp_net_options_default();
        o.init = cases[c].init;
        o.seed = 1000 + c;
        bp_net *net;
        cr_assert_eq(bp_net_create(1, sizes, acts, &o, &net), BP_STATUS_OK);
        const float *w = bp_net_weights(net, 0), *bias = bp_net_bias(net, 0);
        double b = cases[c].bound, sum = 0, sq = 0;
        for (size_t i = 0; i < (size_t)m; i++) {
            cr_assert(fabs(w[i]) <= b, "%s: |w| %g > bound %g", bp_init_name(cases[c].init), (double)w[i], b);
            sum += w[i];
            sq += (double)w[i] * w[i];
        }
        double mean = sum / m, var = sq / m - mean * mean;
        double mean_tol = 5.0 * b / sqrt(3.0 * m), var_tol = 5.0 * b * b * sqrt(1.0 / 5 - 1.0 / 9) / sqrt(m);
        cr_expect(fabs(mean) < mean_tol, "%s: mean %g (tolerance %g)", bp_init_name(cases[c].init), mean, mean_tol);
        cr_expect(fabs(var - b * b / 3) < var_tol, "%s: variance %g, expected %g +- %g",
                  bp_init_name(cases[c].init), var, b * b / 3, var_tol);
        for (size_t i = 0; i < fan_out; i++) cr_assert(fabs(bias[i]) <= 1.0 / sqrt(fan_in));
        bp_net_destroy(net);
    }
    bp_net_options o = bp_net_options_default();
    o.init = BP_INIT_COUNT;
    uint32_t sizes[] = {2, 2};
    bp_act acts[] = {BP_ACT_TANH};
    bp_net *net = NULL;
    cr_expect_eq(bp_net_create(1, sizes, acts, &o, &net), BP_STATUS_INVALID_ARGUMENT);
    bp_init parsed;
    cr_expect_eq(bp_init_from_name("PyTorch", &parsed), BP_STATUS_OK);
    cr_expect_eq(parsed, BP_INIT_TORCH);
}
