// SPDX-License-Identifier: MIT
// The backprop command-line tool, run as a child process: exit statuses,
// one-line messages on bad input, and results checked against the library.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "bp_test.h"

extern char **environ;

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp failed");
}

static void cleanup(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) cr_expect_eq(system(cmd), 0);
}

static const char *tpath(const char *name) {
    static char buf[8][512];
    static int k;
    k = (k + 1) & 7;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

typedef struct result {
    int rc;    // exit status, or -signal when killed
    char *out; // stdout
    char *err; // stderr
} result;

static void result_free(result *r) {
    free(r->out);
    free(r->err);
}

// Run the CLI with the given arguments (NULL-terminated), capturing output.
static result run_v(const char *const *args) {
    const char *argv[64];
    size_t n = 0;
    argv[n++] = BP_CLI_PATH;
    while (args[n - 1] && n < 63) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, tpath("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, tpath("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int e = posix_spawn(&pid, BP_CLI_PATH, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(e, 0, "posix_spawn %s: %s", BP_CLI_PATH, strerror(e));
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    result r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.out = slurp(tpath("stdout.txt"));
    r.err = slurp(tpath("stderr.txt"));
    return r;
}

#define RUN(...) run_v((const char *const[]){__VA_ARGS__, NULL})

static size_t count_char(const char *s, char c) {
    size_t n = 0;
    for (; *s; s++) n += *s == c;
    return n;
}

// Exit status `rc`, exactly one line on stderr, holding `fragment`.
static void expect_error(result r, int rc, const char *fragment, const char *what) {
    cr_expect_eq(r.rc, rc, "%s: exit %d, stderr: %s", what, r.rc, r.err);
    cr_expect(strstr(r.err, fragment) != NULL, "%s: stderr '%s' lacks '%s'", what, r.err, fragment);
    cr_expect_eq(count_char(r.err, '\n'), 1, "%s: expected one line, got '%s'", what, r.err);
    cr_expect(strncmp(r.err, "backprop", 8) == 0, "%s: message not prefixed: %s", what, r.err);
}

// The accuracy on a summary line starting with `label` ("train:"), or -1.
static double summary_accuracy(const char *out, const char *label) {
    const char *line = strstr(out, label);
    if (!line) return -1.0;
    const char *acc = strstr(line, "accuracy ");
    const char *eol = strchr(line, '\n');
    if (!acc || (eol && acc > eol)) return -1.0;
    return strtod(acc + 9, NULL);
}

Test(cli, version_help_and_unknown_command, .init = make_tmpdir, .fini = cleanup) {
    result r = RUN("--version");
    cr_expect_eq(r.rc, 0);
    cr_expect(strstr(r.out, bp_version()) != NULL, "%s", r.out);
    result_free(&r);
    r = RUN("--help");
    cr_expect_eq(r.rc, 0);
    cr_expect(strstr(r.out, "train") && strstr(r.out, "predict") && strstr(r.out, "info"), "%s", r.out);
    result_free(&r);
    const char *cmds[] = {"train", "eval", "predict", "info"};
    for (int i = 0; i < 4; i++) {
        r = RUN(cmds[i], "--help");
        cr_expect_eq(r.rc, 0, "%s --help: %d", cmds[i], r.rc);
        cr_expect(strstr(r.out, "usage: backprop") != NULL, "%s --help: %s", cmds[i], r.out);
        result_free(&r);
    }
    r = RUN("train", "--help");
    cr_expect(strstr(r.out, "--layers") && strstr(r.out, "--val-split"), "%s", r.out);
    result_free(&r);
    r = RUN("frobnicate");
    expect_error(r, 2, "unknown command 'frobnicate'", "unknown command");
    result_free(&r);
    r = RUN("train", "--frobnicate");
    expect_error(r, 2, "unknown option '--frobnicate'", "unknown option");
    result_free(&r);
    r = RUN("train", "--lr");
    expect_error(r, 2, "--lr needs a value", "missing value");
    result_free(&r);
}

Test(cli, unknown_names, .init = make_tmpdir, .fini = cleanup) {
    char model[512];
    snprintf(model, sizeof model, "%s", tpath("never.bpm"));
    struct {
        const char *opt, *fragment;
    } cases[] = {
        {"--act", "unknown activation 'bogus'"},
        {"--loss", "unknown loss 'bogus'"},
        {"--optimizer", "unknown optimizer 'bogus'"},
        {"--isa", "unknown ISA 'bogus'"},
        {"--lr-schedule", "unknown schedule 'bogus'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = RUN("train", "-q", cases[i].opt, "bogus", "-o", model);
        expect_error(r, 2, cases[i].fragment, cases[i].opt);
        cr_expect(strstr(r.err, cases[i].opt) != NULL, "the message names the option: %s", r.err);
        result_free(&r);
    }
    cr_expect_neq(access(model, F_OK), 0, "a failed run wrote a model");
    // An ISA this build or CPU lacks.
    bp_isa want = BP_ISA_NEON;
    for (int i = BP_ISA_SCALAR; i < BP_ISA_COUNT; i++)
        if (!bp_isa_supported((bp_isa)i)) want = (bp_isa)i;
    if (!bp_isa_supported(want)) {
        result r = RUN("train", "-q", "--isa", bp_isa_name(want), "-o", model);
        expect_error(r, 2, bp_isa_name(want), "unsupported ISA");
        cr_expect(strstr(r.err, "not compiled") || strstr(r.err, "not supported"), "%s", r.err);
        result_free(&r);
    }
    // Incompatible activation and loss: reported by the trainer, still one line.
    result r = RUN("train", "-q", "--act", "tanh,tanh,sigmoid", "--loss", "softmax_xent", "-o", model);
    expect_error(r, 2, "softmax", "loss/activation mismatch");
    result_free(&r);
}

Test(cli, bad_numbers, .init = make_tmpdir, .fini = cleanup) {
    char model[512];
    snprintf(model, sizeof model, "%s", tpath("never.bpm"));
    struct {
        const char *opt, *value, *fragment;
    } cases[] = {
        {"--lr", "abc", "--lr: 'abc' is not a number"},
        {"--lr", "0", "--lr: 0 is out of range"},
        {"--lr", "nan", "--lr: 'nan' is not a finite number"},
        {"--batch", "0", "--batch: 0 is out of range"},
        {"--batch", "1.5", "--batch: '1.5' is not an integer"},
        {"--batch", "99999999999999999999999", "--batch: 99999999999999999999999 is out of range"},
        {"--epochs", "-2", "--epochs: -2 is out of range"},
        {"--epochs", "ten", "--epochs: 'ten' is not a number"},
        {"--momentum", "1.5", "--momentum: 1.5 is out of range"},
        {"--val-split", "1", "--val-split: 1 is out of range"},
        {"--threads", "-1", "--threads: -1 is out of range"},
        {"--layers", "2,x,2", "--layers entry 2: 'x' is not a number"},
        {"--layers", "2,0,2", "--layers entry 2: 0 is out of range"},
        {"--hidden", "", "--hidden: '' is not a comma-separated list"},
        {"--header", "maybe", "--header: 'maybe' is not one of yes, no, auto"},
        {"--dropout", "1", "--dropout: 1 is out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = RUN("train", "-q", cases[i].opt, cases[i].value, "-o", model);
        expect_error(r, 2, cases[i].fragment, cases[i].opt);
        result_free(&r);
    }
    cr_expect_neq(access(model, F_OK), 0, "a failed run wrote a model");
}

Test(cli, shapes_and_missing_files, .init = make_tmpdir, .fini = cleanup) {
    char model[512];
    snprintf(model, sizeof model, "%s", tpath("never.bpm"));
    result r = RUN("train", "-q", "--data", tpath("nope.csv"), "-o", model);
    expect_error(r, 1, "nope.csv", "missing data");
    cr_expect(strstr(r.err, "No such file") != NULL, "%s", r.err);
    result_free(&r);
    r = RUN("train", "-q", "--layers", "3,8,2", "-o", model);
    expect_error(r, 2, "input width 3, but the data has 2 features", "wrong input width");
    result_free(&r);
    write_text(tpath("bad.csv"), "a,b,y\n1,2,0\n3,1\n");
    r = RUN("train", "-q", "--data", tpath("bad.csv"), "-o", model);
    expect_error(r, 1, "bad.csv line 3: 2 columns, expected 3", "bad csv");
    result_free(&r);
    write_text(tpath("nan.csv"), "1,2,0\n3,nan,1\n");
    r = RUN("train", "-q", "--data", tpath("nan.csv"), "-o", model);
    expect_error(r, 1, "line 2, column 2: 'nan' is not a finite number", "nan csv");
    result_free(&r);
    r = RUN("train", "-q", "-o", tpath("no/such/dir/m.bpm"));
    expect_error(r, 1, "cannot write", "unwritable output");
    result_free(&r);
    r = RUN("eval", tpath("missing.bpm"), "--data", "xor");
    expect_error(r, 1, "missing.bpm: cannot open", "missing model");
    result_free(&r);
    r = RUN("eval", "--data", "xor");
    expect_error(r, 2, "which model?", "no model");
    result_free(&r);
    r = RUN("predict", tpath("m.bpm"));
    expect_error(r, 2, "--input is required", "no input");
    result_free(&r);
    cr_expect_neq(access(model, F_OK), 0, "a failed run wrote a model");
}

Test(cli, info_names_the_active_isa, .init = make_tmpdir, .fini = cleanup) {
    unsetenv("BP_ISA");
    bp_isa active;
    cr_assert_eq(bp_isa_resolve(BP_ISA_AUTO, &active), BP_STATUS_OK, "%s", bp_last_error());
    char want[64];
    snprintf(want, sizeof want, "active ISA:     %s\n", bp_isa_name(active));
    result r = RUN("info");
    cr_expect_eq(r.rc, 0);
    cr_expect(strstr(r.out, want) != NULL, "info lacks '%s':\n%s", want, r.out);
    cr_expect(strstr(r.out, "cpu features:") && strstr(r.out, "compiled ISAs:  scalar") &&
                  strstr(r.out, "threads:"), "%s", r.out);
    result_free(&r);
    setenv("BP_ISA", "scalar", 1);
    r = RUN("info");
    cr_expect_eq(r.rc, 0);
    cr_expect(strstr(r.out, "active ISA:     scalar\n") != NULL, "%s", r.out);
    result_free(&r);
    setenv("BP_ISA", "bogus", 1);
    r = RUN("info");
    cr_expect_eq(r.rc, 1, "BP_ISA=bogus: exit %d", r.rc);
    cr_expect(strstr(r.err, "BP_ISA='bogus'") != NULL, "%s", r.err);
    result_free(&r);
    unsetenv("BP_ISA");
}

// Train on a logic gate and check the saved model with the library.
static void train_gate(const char *gate) {
    char model[512];
    snprintf(model, sizeof model, "%s", tpath("gate.bpm"));
    result r = RUN("train", "-q", "--data", gate, "-o", model);
    cr_assert_eq(r.rc, 0, "%s: exit %d: %s", gate, r.rc, r.err);
    cr_expect_eq(summary_accuracy(r.out, "train:"), 100.0, "%s summary:\n%s", gate, r.out);
    cr_expect(strstr(r.out, "network:   2-4-1 tanh,sigmoid") != NULL, "%s", r.out);
    result_free(&r);
    bp_net *net = NULL;
    cr_assert_eq(bp_net_load(model, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin(gate, 0, &ds), BP_STATUS_OK);
    float y[4];
    cr_assert_eq(bp_net_predict(net, ds.d.x, 4, y), BP_STATUS_OK);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(y[i] > 0.5f, ds.d.labels[i] == 1, "%s row %d: output %g, label %d", gate, i,
                     (double)y[i], ds.d.labels[i]);
    bp_dataset_free(&ds);
    bp_net_destroy(net);
}

Test(cli, train_xor, .init = make_tmpdir, .fini = cleanup) { train_gate("xor"); }
Test(cli, train_and, .init = make_tmpdir, .fini = cleanup) { train_gate("and"); }
Test(cli, train_or, .init = make_tmpdir, .fini = cleanup) { train_gate("or"); }

Test(cli, train_default_spirals_reaches_98, .init = make_tmpdir, .fini = cleanup) {
    char model[512];
    snprintf(model, sizeof model, "%s", tpath("spirals.bpm"));
    result r = RUN("train", "-o", model); // progress on, to a file: plain lines
    cr_assert_eq(r.rc, 0, "exit %d: %s", r.rc, r.err);
    double acc = summary_accuracy(r.out, "train:");
    cr_expect_geq(acc, 98.0, "spirals training accuracy %g%%:\n%s", acc, r.out);
    cr_expect(strstr(r.out, "data:      spirals (1000 rows") != NULL, "%s", r.out);
    // Not a terminal: per-epoch lines, no carriage returns or escapes.
    cr_expect(strstr(r.err, "epoch   1/100") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "epoch 100/100") != NULL, "%s", r.err);
    cr_expect_null(strchr(r.err, '\r'), "progress bar drawn into a file");
    cr_expect_null(strchr(r.err, '\033'), "escape codes written into a file");
    result_free(&r);
    // The saved model agrees with the summary.
    bp_net *net = NULL;
    cr_assert_eq(bp_net_load(model, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("spirals", 1000, &ds), BP_STATUS_OK);
    bp_eval ev;
    cr_assert_eq(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &ds.d, 0, &ev), BP_STATUS_OK);
    cr_expect(fabs(100.0 * ev.accuracy - acc) < 0.006, "library %g%%, CLI %g%%", 100.0 * ev.accuracy, acc);
    bp_dataset_free(&ds);
    bp_net_destroy(net);
}

// A fixed model built through the library, for predict and eval.
static bp_net *fixed_model(const char *path) {
    uint32_t sizes[] = {3, 6, 4};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.seed = 11;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, &no, &net), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_save(net, path), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

Test(cli, predict_matches_library, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = fixed_model(tpath("m.bpm"));
    const float x[5][3] = {{0.5f, -1.0f, 2.0f}, {0, 0, 0}, {1e-3f, 3.25f, -0.125f}, {-2, -2, 1}, {0.1f, 0.2f, 0.3f}};
    FILE *f = fopen(tpath("in.csv"), "w");
    fprintf(f, "a,b,c\r\n");
    for (int i = 0; i < 5; i++) fprintf(f, "%.9g,%.9g,%.9g\r\n", (double)x[i][0], (double)x[i][1], (double)x[i][2]);
    fclose(f);
    result r = RUN("predict", tpath("m.bpm"), "--input", tpath("in.csv"), "-o", tpath("out.csv"));
    cr_assert_eq(r.rc, 0, "exit %d: %s", r.rc, r.err);
    result_free(&r);
    float y[5 * 4];
    cr_assert_eq(bp_net_predict(net, &x[0][0], 5, y), BP_STATUS_OK);
    char *out = slurp(tpath("out.csv"));
    cr_expect(strncmp(out, "out0,out1,out2,out3,class\n", 26) == 0, "header: %s", out);
    char *p = strchr(out, '\n') + 1;
    for (int i = 0; i < 5; i++) {
        // %.9g round-trips a float exactly, so the values must be identical.
        for (int j = 0; j < 4; j++) {
            char *end;
            float v = strtof(p, &end);
            cr_assert(end != p && *end == ',', "row %d col %d: %s", i, j, p);
            cr_expect_eq(v, y[i * 4 + j], "row %d col %d: CLI %.9g, library %.9g", i, j, (double)v,
                         (double)y[i * 4 + j]);
            p = end + 1;
        }
        long cls = strtol(p, &p, 10);
        size_t best = 0;
        for (size_t j = 1; j < 4; j++)
            if (y[i * 4 + j] > y[i * 4 + best]) best = j;
        cr_expect_eq(cls, (long)best, "row %d: class %ld, argmax %zu", i, cls, best);
        cr_assert_eq(*p, '\n');
        p++;
    }
    cr_expect_eq(*p, '\0', "extra output: %s", p);
    free(out);
    // Without a header in, none out; stdout by default.
    write_text(tpath("in2.csv"), "1,2,3\n");
    r = RUN("predict", tpath("m.bpm"), "--input", tpath("in2.csv"));
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(count_char(r.out, '\n'), 1, "%s", r.out);
    cr_expect_eq(count_char(r.out, ','), 4, "%s", r.out);
    result_free(&r);
    // Wrong width and a bad cell.
    write_text(tpath("wide.csv"), "1,2,3,4\n");
    r = RUN("predict", tpath("m.bpm"), "--input", tpath("wide.csv"));
    expect_error(r, 1, "4 columns, but the model takes 3 features", "wide input");
    result_free(&r);
    write_text(tpath("bad.csv"), "1,2,3\n1,zz,3\n");
    r = RUN("predict", tpath("m.bpm"), "--input", tpath("bad.csv"));
    expect_error(r, 1, "bad.csv line 2, column 2: 'zz' is not a number", "bad cell");
    result_free(&r);
    bp_net_destroy(net);
}

Test(cli, eval_matches_library, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = fixed_model(tpath("m.bpm"));
    // 40 rows with labels in 0..3.
    enum { N = 40 };
    float x[N * 3];
    int32_t labels[N];
    bp_test_fill(x, N * 3, -2.0f, 2.0f, 5);
    FILE *f = fopen(tpath("d.csv"), "w");
    for (int i = 0; i < N; i++) {
        labels[i] = (i * 7) % 4;
        fprintf(f, "%.9g,%.9g,%.9g,%d\n", (double)x[3 * i], (double)x[3 * i + 1], (double)x[3 * i + 2], labels[i]);
    }
    fclose(f);
    bp_data d = {N, 3, x, 4, labels, 0, NULL};
    bp_eval ev;
    cr_assert_eq(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &d, 1, &ev), BP_STATUS_OK);
    result r = RUN("eval", tpath("m.bpm"), "--data", tpath("d.csv"));
    cr_assert_eq(r.rc, 0, "exit %d: %s", r.rc, r.err);
    char want[128];
    snprintf(want, sizeof want, "accuracy:  %.2f%% (%zu of %d)", 100.0 * ev.accuracy,
             (size_t)(ev.accuracy * N + 0.5), N);
    cr_expect(strstr(r.out, want) != NULL, "lacks '%s':\n%s", want, r.out);
    snprintf(want, sizeof want, "loss:      %.6f (softmax_xent)", ev.loss);
    cr_expect(strstr(r.out, want) != NULL, "lacks '%s':\n%s", want, r.out);
    cr_expect(strstr(r.out, "confusion matrix") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "per-class accuracy") != NULL, "%s", r.out);
    // The confusion matrix rows sum to the class counts (10 each).
    const char *m = strstr(r.out, "predicted class)\n");
    cr_assert_not_null(m);
    m = strchr(m, '\n') + 1;
    m = strchr(m, '\n') + 1; // column header
    for (int i = 0; i < 4; i++) {
        char *p;
        long row = strtol(m, &p, 10);
        cr_expect_eq(row, i);
        long sum = 0;
        for (int j = 0; j < 4; j++) sum += strtol(p, &p, 10);
        cr_expect_eq(sum, 10, "class %d row sums to %ld", i, sum);
        m = strchr(p, '\n') + 1;
    }
    result_free(&r);
    // A corrupted model is refused.
    FILE *g = fopen(tpath("m.bpm"), "r+b");
    fseek(g, 40, SEEK_SET);
    fputc(0x5a, g);
    fclose(g);
    r = RUN("eval", tpath("m.bpm"), "--data", tpath("d.csv"));
    expect_error(r, 1, "checksum mismatch", "corrupt model");
    result_free(&r);
    bp_net_destroy(net);
}

// Tiny IDX files: a train set and a t10k set in one directory.
static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void write_idx_pair(const char *dir, const char *which, uint32_t n) {
    char path[600];
    unsigned char *img = malloc(16 + (size_t)n * 16), lab[8 + 64];
    put_be32(img, 0x803);
    put_be32(img + 4, n);
    put_be32(img + 8, 4);
    put_be32(img + 12, 4);
    put_be32(lab, 0x801);
    put_be32(lab + 4, n);
    for (uint32_t i = 0; i < n; i++) {
        lab[8 + i] = (unsigned char)(i % 3);
        for (int p = 0; p < 16; p++) img[16 + i * 16 + p] = (unsigned char)(p % 3 == (int)(i % 3) ? 250 : 10);
    }
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, which);
    gzFile f = gzopen(path, "wb");
    gzwrite(f, img, 16 + n * 16);
    gzclose(f);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", dir, which);
    FILE *g = fopen(path, "wb");
    fwrite(lab, 1, 8 + n, g);
    fclose(g);
    free(img);
}

Test(cli, train_on_idx_directory_uses_t10k, .init = make_tmpdir, .fini = cleanup) {
    write_idx_pair(tmpdir, "train", 60);
    write_idx_pair(tmpdir, "t10k", 30);
    result r = RUN("train", "-q", "--data", tmpdir, "--hidden", "8", "--epochs", "30", "--lr", "0.01",
                   "-o", tpath("idx.bpm"));
    cr_assert_eq(r.rc, 0, "exit %d: %s", r.rc, r.err);
    cr_expect(strstr(r.out, "network:   16-8-3 relu,softmax") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "(60 rows)") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "test:") != NULL && strstr(r.out, "(30 rows)") != NULL, "%s", r.out);
    // The classes are separable by construction: the test set is learned too.
    cr_expect_eq(summary_accuracy(r.out, "test:"), 100.0, "%s", r.out);
    result_free(&r);
    // eval on the directory reads its t10k files.
    r = RUN("eval", tpath("idx.bpm"), "--data", tmpdir);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "t10k-images-idx3-ubyte.gz (30 rows") != NULL, "%s", r.out);
    result_free(&r);
    // A directory without IDX files.
    mkdir(tpath("empty"), 0700);
    r = RUN("train", "-q", "--data", tpath("empty"), "-o", tpath("x.bpm"));
    expect_error(r, 1, "holds no train-images-idx3-ubyte", "empty directory");
    result_free(&r);
}

Test(cli, regression_csv_and_validation, .init = make_tmpdir, .fini = cleanup) {
    FILE *f = fopen(tpath("r.csv"), "w");
    fprintf(f, "x1,x2,y\n");
    for (int i = 0; i < 200; i++) {
        double a = (i % 20) / 10.0 - 1.0, b = (i / 20) / 5.0 - 1.0;
        fprintf(f, "%g,%g,%g\n", a, b, 0.5 * a - 0.25 * b);
    }
    fclose(f);
    result r = RUN("train", "-q", "--data", tpath("r.csv"), "--targets", "1", "--val-split", "0.2",
                   "--epochs", "5", "-o", tpath("r.bpm"));
    cr_assert_eq(r.rc, 0, "exit %d: %s", r.rc, r.err);
    cr_expect(strstr(r.out, "network:   2-64-1 relu,identity") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "train:     loss") != NULL && strstr(r.out, "(160 rows)") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "val:       loss") != NULL && strstr(r.out, "(40 rows)") != NULL, "%s", r.out);
    cr_expect_eq(summary_accuracy(r.out, "train:"), -1.0, "regression shows no accuracy: %s", r.out);
    result_free(&r);
}
