// SPDX-License-Identifier: MIT
// What the user sees: plot axes and layout, the progress bar on a terminal
// (a pseudo-terminal of 80 and 40 columns), eval's metrics against values
// worked out by hand, draw's picture, and "did you mean" hints.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bp_test.h"
#include "cli/cli.h"

extern char **environ;

#define BP_TMPDIR_NAME "view"
#include "bp_tmpdir.h"

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
    int rc;
    char *out, *err;
} result;

static void result_free(result *r) {
    free(r->out);
    free(r->err);
}

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

// ---- plot axes ----------------------------------------------------------------

// v is k * step for an integer k, to the rounding of a double product.
static int on_grid(double v, double step) {
    double k = v / step;
    return fabs(k - round(k)) < 1e-6;
}

// A step is nice when it is 1, 2 or 5 times a power of ten.
static int nice_step(double step) {
    double e = floor(log10(step) + 1e-12), m = step / pow(10.0, e);
    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9 || fabs(m - 10) < 1e-9;
}

static void check_axis(double lo, double hi, double min_lo, double max_hi, double min_step, int max_ticks) {
    cli_axis a;
    cli_axis_linear(lo, hi, min_lo, max_hi, min_step, max_ticks, &a);
    cr_assert(nice_step(a.step), "[%g, %g]: step %g is not 1, 2 or 5 x 10^k", lo, hi, a.step);
    cr_expect(a.step >= min_step, "[%g, %g]: step %g below %g", lo, hi, a.step, min_step);
    cr_expect(a.n_ticks >= 2 && a.n_ticks <= (size_t)max_ticks, "[%g, %g]: %zu ticks", lo, hi, a.n_ticks);
    for (size_t i = 0; i < a.n_ticks; i++) {
        cr_expect(on_grid(a.ticks[i], a.step), "[%g, %g]: tick %.17g is not a multiple of %g", lo, hi, a.ticks[i], a.step);
        if (i) cr_expect(fabs(a.ticks[i] - a.ticks[i - 1] - a.step) < 1e-9 * fabs(a.step) * 10, "uneven ticks");
        // The label shows the tick exactly: parsing it back gives the tick.
        char lab[64];
        cli_axis_label(&a, a.ticks[i], lab, sizeof lab);
        cr_expect(fabs(strtod(lab, NULL) - a.ticks[i]) <= 1e-9 * fmax(1.0, fabs(a.ticks[i])),
                  "[%g, %g]: label '%s' for tick %.17g", lo, hi, lab, a.ticks[i]);
    }
    double dlo = lo < min_lo ? min_lo : lo, dhi = hi > max_hi ? max_hi : hi;
    if (hi > lo) { // the data lies inside the axis
        cr_expect(a.lo <= dlo + 1e-12 && a.hi >= dhi - 1e-12, "[%g, %g] not inside axis [%g, %g]", lo, hi, a.lo, a.hi);
        cr_expect(a.ticks[0] <= dlo + 1e-12 && a.ticks[a.n_ticks - 1] >= dhi - 1e-12, "[%g, %g]: ticks do not cover", lo, hi);
    }
    cr_expect(a.lo >= min_lo && a.hi <= max_hi, "[%g, %g]: axis [%g, %g] outside the limits [%g, %g]", lo, hi,
              a.lo, a.hi, min_lo, max_hi);
}

Test(view, axis_ticks_are_nice_and_cover_the_data) {
    // The cases of the issue (1.432, 50.75: old labels; accuracy to 1.007;
    // a loss below 0), edges, and a sweep over magnitudes.
    check_axis(0.0213, 1.432, 0, HUGE_VAL, 0, 7);
    check_axis(50.75, 99.2, 0, 100, 0, 7);
    check_axis(54.5, 100, 0, 100, 0, 7);
    check_axis(100, 100, 0, 100, 0, 7);
    check_axis(0, 0, 0, HUGE_VAL, 0, 7);
    check_axis(-3.7, 12.2, -HUGE_VAL, HUGE_VAL, 0, 7);
    check_axis(1, 30, 0, HUGE_VAL, 1, 7); // epochs
    check_axis(1, 1, 0, HUGE_VAL, 1, 7);
    check_axis(1, 3, 0, HUGE_VAL, 1, 7);
    check_axis(1e-7, 3e-7, 0, HUGE_VAL, 0, 5);
    check_axis(12345, 98765, 0, HUGE_VAL, 0, 7);
    uint64_t s = 12345;
    for (int i = 0; i < 2000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double e = (double)((s >> 33) % 16) - 8, u = (double)(s >> 11) / 9007199254740992.0;
        double lo = u * pow(10, e), hi = lo + (double)((s >> 20) % 1000 + 1) / 100.0 * pow(10, e);
        check_axis(lo, hi, 0, HUGE_VAL, 0, 2 + (int)((s >> 40) % 10));
    }
    // A loss axis never starts below 0; an accuracy axis never ends past 100.
    cli_axis a;
    cli_axis_linear(0.02, 0.7, 0, HUGE_VAL, 0, 7, &a);
    cr_expect_eq(a.lo, 0.0);
    cli_axis_linear(91.3, 100, 0, 100, 0, 7, &a);
    cr_expect_eq(a.hi, 100.0);
    cr_expect(a.lo <= 91.3 && a.lo >= 80, "accuracy axis from %g", a.lo);
    // Log axes: decades, with 2 and 5 between them when there are few.
    cli_axis_log(3e-4, 0.7, &a);
    cr_expect_eq(a.lo, 1e-4);
    cr_expect_eq(a.hi, 1.0);
    for (size_t i = 0; i < a.n_ticks; i++) {
        double e = floor(log10(a.ticks[i]) + 1e-12), m = a.ticks[i] / pow(10, e);
        cr_expect(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9, "log tick %g", a.ticks[i]);
    }
    cli_axis_log(1e-9, 10, &a);
    for (size_t i = 0; i < a.n_ticks; i++)
        cr_expect(fabs(log10(a.ticks[i]) - round(log10(a.ticks[i]))) < 1e-9, "many decades: tick %g", a.ticks[i]);
}

// ---- the SVG of backprop plot ---------------------------------------------------------

typedef struct box {
    double x, y, w, h;
} box;

// The value of attribute name in the element starting at tag.
static double attr(const char *tag, const char *name) {
    char key[32];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *end = strchr(tag, '>');
    const char *p = strstr(tag, key);
    cr_assert(p && p < end, "no %s in %.80s", name, tag);
    return strtod(p + strlen(key), NULL);
}

// Every point of every curve: the path vertices and the markers.
static size_t curve_points(const char *svg, double *xy, size_t max) {
    size_t n = 0;
    for (const char *p = svg; (p = strstr(p, "<path class=\"curve\"")); p++) {
        const char *d = strstr(p, " d=\"") + 4;
        while (*d != '"') {
            while (*d == ' ' || *d == 'M' || *d == 'L') d++;
            if (*d == '"') break;
            char *e;
            double x = strtod(d, &e), y = strtod(e, &e);
            cr_assert(e != d, "bad path data");
            if (n < max) {
                xy[2 * n] = x;
                xy[2 * n + 1] = y;
            }
            n++;
            d = e;
        }
    }
    for (const char *p = svg; (p = strstr(p, "<circle class=\"marker\"")); p++) {
        if (n < max) {
            xy[2 * n] = attr(p, "cx");
            xy[2 * n + 1] = attr(p, "cy");
        }
        n++;
    }
    return n;
}

// The y-axis tick labels of the panel whose title starts with `title`.
static size_t y_labels(const char *svg, const char *title, double *v, size_t max) {
    char key[64];
    snprintf(key, sizeof key, ">%s", title);
    const char *p = strstr(svg, key);
    cr_assert_not_null(p, "no panel '%s'", title);
    const char *end = strstr(p, "</g>");
    size_t n = 0;
    while ((p = strstr(p, "text-anchor=\"end\">")) && p < end) {
        p += strlen("text-anchor=\"end\">");
        if (n < max) v[n] = strtod(p, NULL);
        n++;
    }
    return n;
}

static void check_plot(const char *svg, int log_y, size_t want_points) {
    static double xy[2 * 4096];
    size_t n = curve_points(svg, xy, 4096);
    cr_assert_eq(n, want_points, "%zu curve points, expected %zu", n, want_points);
    size_t legends = 0;
    for (const char *p = svg; (p = strstr(p, "<rect class=\"legend\"")); p++) {
        box b = {attr(p, "x"), attr(p, "y"), attr(p, "width"), attr(p, "height")};
        legends++;
        for (size_t i = 0; i < n; i++) { // a marker is 2.5 px wide around its point
            int inside = xy[2 * i] > b.x - 3 && xy[2 * i] < b.x + b.w + 3 && xy[2 * i + 1] > b.y - 3 &&
                         xy[2 * i + 1] < b.y + b.h + 3;
            cr_expect(!inside, "curve point (%g, %g) under the legend box at (%g, %g) %gx%g", xy[2 * i],
                      xy[2 * i + 1], b.x, b.y, b.w, b.h);
        }
    }
    cr_expect_eq(legends, 2, "%zu legends", legends);
    double v[64];
    size_t nl = y_labels(svg, "loss", v, 64);
    cr_expect(nl >= 2 && nl <= 24, "%zu loss ticks", nl);
    for (size_t i = 0; i < nl; i++) {
        cr_expect(v[i] >= 0, "loss tick %g below 0", v[i]);
        if (log_y) {
            double e = floor(log10(v[i]) + 1e-12), m = v[i] / pow(10, e);
            cr_expect(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9, "log tick %g", v[i]);
        } else if (i) {
            cr_expect(nice_step(v[i] - v[i - 1]) || nice_step(v[i - 1] - v[i]), "loss tick step %g",
                      fabs(v[i] - v[i - 1]));
        }
    }
    nl = y_labels(svg, "accuracy", v, 64);
    cr_expect(nl >= 2, "%zu accuracy ticks", nl);
    for (size_t i = 0; i < nl; i++) {
        cr_expect(v[i] >= 0 && v[i] <= 100, "accuracy tick %g outside 0-100%%", v[i]);
        if (i) cr_expect(nice_step(fabs(v[i] - v[i - 1])), "accuracy tick step %g", fabs(v[i] - v[i - 1]));
    }
}

Test(view, plot_ticks_nice_and_legend_clear_of_curves, .init = make_tmpdir, .fini = cleanup) {
    // Curves that run through the top-right corner, where a legend inside
    // the plot area would sit: the loss rises at the end, accuracy reaches 1.
    FILE *f = fopen(tpath("run.csv"), "w");
    fputs("epoch,loss,accuracy,val_loss,val_accuracy,lr,elapsed_s,samples_per_s\n", f);
    enum { E = 30 };
    for (int e = 1; e <= E; e++) {
        double loss = e < E - 2 ? 1.432 * exp(-0.3 * e) + 0.0213 : 1.432, acc = e < E - 2 ? 1 - 0.5 * exp(-0.2 * e) : 1.0;
        fprintf(f, "%d,%.9g,%.9g,%.9g,%.9g,0.001,%d,1000\n", e, loss, acc, loss * 1.1, acc * 0.99, e);
    }
    fclose(f);
    result r = RUN("plot", tpath("run.csv"), "-o", tpath("p.svg"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    result_free(&r);
    char *svg = slurp(tpath("p.svg"));
    // 4 curves x 30 epochs, each a path vertex and (30 <= 40 epochs) a marker.
    check_plot(svg, 0, 4 * E * 2);
    free(svg);
    r = RUN("plot", "--log-y", tpath("run.csv"), "-o", tpath("log.svg"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    result_free(&r);
    svg = slurp(tpath("log.svg"));
    check_plot(svg, 1, 4 * E * 2);
    cr_expect(strstr(svg, "loss (log scale)") != NULL);
    free(svg);
    // Many epochs: no markers, one vertex per epoch.
    f = fopen(tpath("long.csv"), "w");
    fputs("epoch,loss,accuracy,val_loss,val_accuracy\n", f);
    for (int e = 1; e <= 200; e++) fprintf(f, "%d,%g,%g,%g,%g\n", e, 5.0 / e, 0.5 + e / 400.0, 5.5 / e, 0.5 + e / 500.0);
    fclose(f);
    r = RUN("plot", tpath("long.csv"), "-o", tpath("long.svg"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    result_free(&r);
    svg = slurp(tpath("long.svg"));
    check_plot(svg, 0, 4 * 200);
    free(svg);
    // A log scale needs a positive loss.
    write_text(tpath("zero.csv"), "epoch,loss\n1,0\n2,0\n");
    r = RUN("plot", "--log-y", tpath("zero.csv"));
    cr_expect_eq(r.rc, 1);
    cr_expect(strstr(r.err, "no loss above 0") != NULL, "%s", r.err);
    result_free(&r);
}

// ---- the progress bar on a terminal ------------------------------------------------

// Run the CLI on a pseudo-terminal of `cols` columns (stdin, stdout and
// stderr all on it, as in an interactive shell) and return all it wrote.
// COLUMNS is set wider than the terminal: the window size must win.
static char *run_on_pty(int cols, const char *const *args, int *rc) {
    struct winsize ws = {.ws_row = 24, .ws_col = (unsigned short)cols};
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    cr_assert(pid >= 0, "forkpty: %s", strerror(errno));
    if (pid == 0) {
        const char *argv[64];
        size_t n = 0;
        argv[n++] = BP_CLI_PATH;
        while (args[n - 1] && n < 63) {
            argv[n] = args[n - 1];
            n++;
        }
        argv[n] = NULL;
        setenv("COLUMNS", "250", 1);
        execv(BP_CLI_PATH, (char *const *)argv);
        _exit(127);
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        ssize_t k = read(master, buf + len, 4096);
        if (k > 0) len += (size_t)k;
        else if (k < 0 && errno == EINTR) continue;
        else break; // EIO once the child has exited and closed its side
    }
    buf[len] = '\0';
    close(master);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return buf;
}

// Split on \r and \n, drop ANSI escape sequences (ESC [ ... letter), and
// check every piece fits: at most cols-1 characters (the CLI leaves the
// last column empty). Returns the number of bar redraws seen (pieces with a
// step count "k/STEPS", samples/s and an ETA, and with a drawn bar "[==  ]"
// when want_bar is set: 40 columns leave no room for it).
static int check_width(const char *out, int cols, const char *steps, int want_bar) {
    int bars = 0;
    char line[4096];
    size_t n = 0;
    for (const char *p = out;; p++) {
        if (*p == '\033' && p[1] == '[') {
            p += 2;
            while (*p && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) p++;
            if (!*p) break;
            continue;
        }
        if (*p == '\r' || *p == '\n' || *p == '\0') {
            line[n] = '\0';
            cr_expect(n <= (size_t)cols - 1, "%d columns: a line of %zu characters: '%s'", cols, n, line);
            if (strstr(line, steps) && strstr(line, "ETA") && strstr(line, "/s") &&
                (!want_bar || strchr(line, '[')))
                bars++;
            n = 0;
            if (!*p) break;
            continue;
        }
        if (n + 1 < sizeof line) line[n++] = *p;
    }
    return bars;
}

Test(view, progress_fits_80_and_40_column_terminals, .init = make_tmpdir, .fini = cleanup) {
    // 40000 spirals, 32000 after the validation split: 1000 steps of 32 per
    // epoch, drawn about every 0.1 s; 4 epochs take about a second or more.
    for (int k = 0; k < 2; k++) {
        int cols = k == 0 ? 80 : 40, rc;
        char *out = run_on_pty(cols,
                               (const char *const[]){"train", "--samples", "40000", "--epochs", "4", "--val-split",
                                                     "0.2", "--threads", "1", "-o", tpath("m.bpm"), NULL},
                               &rc);
        cr_assert_eq(rc, 0, "exit %d: %s", rc, out);
        int bars = check_width(out, cols, "/1000", cols >= 80);
        // Epoch lines are kept for all 4 epochs; the bar was drawn within them.
        cr_expect(bars >= 1, "%d columns: no progress bar with step count, samples/s and ETA in:\n%s", cols, out);
        cr_expect(strstr(out, "4/4") != NULL, "%s", out);
        cr_expect(strstr(out, "model:") != NULL, "%s", out);
        free(out);
    }
}

// ---- eval's metrics, against values worked out by hand ----------------------------

// A line of `out` starting with `key`, parsed as the number after it.
static double value_after(const char *out, const char *key) {
    const char *p = strstr(out, key);
    cr_assert_not_null(p, "no '%s' in:\n%s", key, out);
    return strtod(p + strlen(key), NULL);
}

// The row of the per-class table whose first word is `name`: precision,
// recall, F1, rows.
static void class_row(const char *out, const char *name, double v[4]) {
    const char *t = strstr(out, "precision");
    cr_assert_not_null(t, "no metrics table:\n%s", out);
    char key[32];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(t, key);
    cr_assert_not_null(p, "no row '%s' in:\n%s", name, t);
    char *e = (char *)p + strlen(key);
    for (int i = 0; i < 4; i++) v[i] = strtod(e, &e);
}

Test(view, eval_metrics_match_hand_computed_values, .init = make_tmpdir, .fini = cleanup) {
    // Regression: y = 2x on x = 1..4 against targets 2, 5, 5, 9. Errors 0, -1,
    // 1, -1: MSE 3/4, RMSE sqrt(0.75) = 0.866025, MAE 3/4; the targets' mean
    // is 5.25, SS_tot = 3.25^2 + 0.25^2 + 0.25^2 + 3.75^2 = 24.75, so
    // R^2 = 1 - 3/24.75 = 0.878788. The printed values carry 6 digits.
    uint32_t rs[] = {1, 1};
    bp_act ra[] = {BP_ACT_IDENTITY};
    bp_net *net;
    cr_assert_eq(bp_net_create(1, rs, ra, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_weights(net, 0)[0] = 2.0f;
    bp_net_bias(net, 0)[0] = 0.0f;
    cr_assert_eq(bp_net_save(net, tpath("reg.bpm")), BP_STATUS_OK);
    bp_net_destroy(net);
    write_text(tpath("reg.csv"), "x,t\n1,2\n2,5\n3,5\n4,9\n");
    result r = RUN("eval", tpath("reg.bpm"), "--data", tpath("reg.csv"), "--targets", "1");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect_float_eq(value_after(r.out, "mse:"), 0.75, 1e-6, "%s", r.out);
    cr_expect_float_eq(value_after(r.out, "rmse:"), 0.866025, 1e-6, "%s", r.out);
    cr_expect_float_eq(value_after(r.out, "mae:"), 0.75, 1e-6, "%s", r.out);
    cr_expect_float_eq(value_after(r.out, "r2:"), 0.878788, 1e-6, "%s", r.out);
    result_free(&r);

    // Classification: softmax of the identity, so the predicted class is the
    // input's largest column. True 0,0,0,1,1,2 against predicted 0,0,1,1,2,2:
    // confusion rows [2 1 0] [0 1 1] [0 0 1].
    //   class 0: P 2/2 = 1,   R 2/3 = 0.6667, F1 2(1)(2/3)/(5/3) = 0.8
    //   class 1: P 1/2,       R 1/2,          F1 0.5
    //   class 2: P 1/2,       R 1/1,          F1 2(1/2)(1)/(3/2) = 0.6667
    //   macro:   P 2/3 = 0.6667, R 13/18 = 0.7222, F1 (0.8 + 0.5 + 2/3)/3 = 0.6556
    // (the table prints 4 decimals: tolerance 5e-5).
    uint32_t cs[] = {3, 3};
    bp_act ca[] = {BP_ACT_SOFTMAX};
    cr_assert_eq(bp_net_create(1, cs, ca, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    float *w = bp_net_weights(net, 0);
    for (int i = 0; i < 9; i++) w[i] = i % 4 == 0 ? 1.0f : 0.0f;
    for (int i = 0; i < 3; i++) bp_net_bias(net, 0)[i] = 0.0f;
    cr_assert_eq(bp_net_save(net, tpath("cls.bpm")), BP_STATUS_OK);
    bp_net_destroy(net);
    write_text(tpath("cls.csv"), "a,b,c,label\n1,0,0,0\n1,0,0,0\n0,1,0,0\n0,1,0,1\n0,0,1,1\n0,0,1,2\n");
    r = RUN("eval", tpath("cls.bpm"), "--data", tpath("cls.csv"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "accuracy:  66.67% (4 of 6)") != NULL, "%s", r.out);
    const double want[4][4] = {{1.0, 2.0 / 3, 0.8, 3}, {0.5, 0.5, 0.5, 2}, {0.5, 1.0, 2.0 / 3, 1},
                               {2.0 / 3, 13.0 / 18, (0.8 + 0.5 + 2.0 / 3) / 3, 6}};
    const char *rows[4] = {"0", "1", "2", "macro"};
    for (int k = 0; k < 4; k++) {
        double v[4];
        class_row(r.out, rows[k], v);
        for (int i = 0; i < 4; i++)
            cr_expect(fabs(v[i] - want[k][i]) <= 5e-5, "row %s column %d: %g, expected %g\n%s", rows[k], i, v[i],
                      want[k][i], r.out);
    }
    result_free(&r);
}

// Columns a UTF-8 string takes up to byte `end` (code points; the names
// below hold no wide characters).
static size_t cols_to(const char *s, size_t end) {
    size_t c = 0;
    for (size_t i = 0; i < end; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

// The confusion matrix of `out` (K classes): its header and rows, with the
// column where each of the last K words of each line ends; all lines'
// words must end in the same columns (right-aligned under their headers).
// Returns the header line (malloc'd).
static char *check_matrix_aligned(const char *out, int K) {
    const char *p = strstr(out, "predicted class)\n");
    cr_assert_not_null(p, "%s", out);
    p += 17;
    size_t want[32];
    char *header = NULL;
    for (int line = 0; line <= K; line++) {
        const char *eol = strchr(p, '\n');
        cr_assert_not_null(eol);
        size_t len = (size_t)(eol - p), ends[32];
        int n = 0;
        for (size_t i = len; i > 0 && n < K;) { // words from the right
            while (i > 0 && p[i - 1] == ' ') i--;
            ends[n++] = cols_to(p, i);
            while (i > 0 && p[i - 1] != ' ') i--;
        }
        cr_assert_eq(n, K, "line %d: %.*s", line, (int)len, p);
        for (int j = 0; j < K; j++) {
            if (line == 0) want[j] = ends[j];
            else cr_expect_eq(ends[j], want[j], "line %d, column %d ends at %zu, its header at %zu:\n%s", line,
                              K - 1 - j, ends[j], want[j], out);
        }
        if (line == 0) header = strndup(p, len);
        p = eol + 1;
    }
    return header;
}

Test(view, eval_confusion_matrix_names_rows_and_columns, .init = make_tmpdir, .fini = cleanup) {
    // The softmax-of-identity model of the test above, with class names.
    uint32_t cs[] = {3, 3};
    bp_act ca[] = {BP_ACT_SOFTMAX};
    static const char *const sets[3][3] = {
        {"café", "versicolor", "virginica_long_class_name"}, // fits: named columns, the long one cut
        {"x", "long_prefix_same_a", "long_prefix_same_b"},   // cut alike: numbered columns
        {"a", "b", "c"},
    };
    write_text(tpath("cls.csv"), "a,b,c,label\n1,0,0,0\n1,0,0,0\n0,1,0,0\n0,1,0,1\n0,0,1,1\n0,0,1,2\n");
    for (int k = 0; k < 3; k++) {
        bp_net *net;
        cr_assert_eq(bp_net_create(1, cs, ca, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
        float *w = bp_net_weights(net, 0);
        for (int i = 0; i < 9; i++) w[i] = i % 4 == 0 ? 1.0f : 0.0f;
        for (int i = 0; i < 3; i++) bp_net_bias(net, 0)[i] = 0.0f;
        cr_assert_eq(bp_net_set_class_names(net, 3, (const char **)sets[k]), BP_STATUS_OK, "%s", bp_last_error());
        cr_assert_eq(bp_net_save(net, tpath("cls.bpm")), BP_STATUS_OK);
        bp_net_destroy(net);
        result r = RUN("eval", tpath("cls.bpm"), "--data", tpath("cls.csv"));
        cr_assert_eq(r.rc, 0, "%s", r.err);
        char *header = check_matrix_aligned(r.out, 3);
        if (k == 0) {
            // 12 columns at most per name: "virginica_long_class_name" is cut
            // to 11 and a '~'; row names keep 24 columns.
            cr_expect(strstr(header, " café ") && strstr(header, " versicolor ") && strstr(header, " virginica_l~"),
                      "'%s'", header);
            cr_expect(strstr(r.out, "\ncafé ") && strstr(r.out, "\nvirginica_long_class_na~ "), "%s", r.out);
            cr_expect(strstr(r.out, "\ncolumns:") == NULL, "names in the header need no key: %s", r.out);
        } else if (k == 1) {
            cr_expect(strstr(header, "long_prefix") == NULL && strstr(header, " 0 ") && strstr(header, " 2"),
                      "'%s'", header);
            cr_expect(strstr(r.out, "columns: 0 x, 1 long_prefix_same_a, 2 long_prefix_same_b\n") != NULL, "%s",
                      r.out);
        } else {
            cr_expect_str_eq(header, "      a b c"); // row names padded to 5 columns, then 1-wide columns
        }
        // The per-class table is by name too (up to 32 columns: no cut here).
        double v[4];
        class_row(r.out, sets[k][2], v);
        cr_expect(fabs(v[0] - 0.5) <= 5e-5 && fabs(v[1] - 1.0) <= 5e-5, "%s", r.out);
        free(header);
        result_free(&r);
    }
}

Test(view, metric_functions_edge_cases) {
    // A class that is neither true nor predicted stays out of the macro mean;
    // one predicted but never true counts with precision 0 and recall 0.
    const size_t conf[4 * 4] = {3, 0, 1, 0, //
                                0, 2, 0, 0, //
                                0, 0, 0, 0, //
                                0, 0, 0, 0};
    cli_class_metric per[4], macro;
    cli_class_metrics(conf, 4, per, &macro);
    cr_expect_eq(macro.classes, 3);
    cr_expect_float_eq(per[0].recall, 0.75, 1e-15);
    cr_expect_float_eq(per[2].precision, 0.0, 1e-15);
    cr_expect_float_eq(macro.precision, (1.0 + 1.0 + 0.0) / 3, 1e-15);
    cr_expect_float_eq(macro.recall, (0.75 + 1.0 + 0.0) / 3, 1e-15);
    // A constant target has no R^2; two targets average theirs.
    const float t[3 * 2] = {1, 0, 1, 2, 1, 4}, y[3 * 2] = {1, 0, 2, 2, 1, 3};
    cli_reg_metrics m;
    cr_assert(cli_regression_metrics(y, t, 3, 2, &m));
    // Target 0 is constant (1, 1, 1); target 1: 0, 2, 4 against 0, 2, 3:
    // SS_res 1, SS_tot 8, R^2 7/8. Errors overall 0,0,1,0,0,1: MSE 2/6.
    cr_expect_eq(m.r2_targets, 1);
    cr_expect_float_eq(m.r2, 0.875, 1e-12);
    cr_expect_float_eq(m.mse, 2.0 / 6, 1e-12);
    cr_expect_float_eq(m.mae, 2.0 / 6, 1e-12);
}

// ---- backprop draw -------------------------------------------------------------------

static size_t count_str(const char *s, const char *what) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

Test(view, draw_samples_wide_layers_and_counts_parameters, .init = make_tmpdir, .fini = cleanup) {
    uint32_t sizes[] = {20, 300, 3};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net;
    cr_assert_eq(bp_net_create(2, sizes, acts, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_save(net, tpath("m.bpm")), BP_STATUS_OK);
    bp_net_destroy(net);
    result r = RUN("draw", tpath("m.bpm"), "-o", tpath("net.svg"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    result_free(&r);
    char *svg = slurp(tpath("net.svg"));
    // --units 10: 20 and 300 units are drawn as 9 (one slot marks the gap), 3 as 3.
    cr_expect_eq(count_str(svg, "<circle class=\"unit\""), 9 + 9 + 3, "%s", svg);
    cr_expect(strstr(svg, "20 units (9 shown)") && strstr(svg, "300 units (9 shown)"), "%s", svg);
    cr_expect(strstr(svg, "6,300 parameters") && strstr(svg, "903 parameters") && strstr(svg, "7,203 parameters"),
              "parameter counts: 20*300+300, 300*3+3, total");
    cr_expect(strstr(svg, ">relu<") && strstr(svg, ">softmax<"), "activations");
    cr_expect_eq(count_str(svg, "<line "), 9 * 9 + 9 * 3, "edges between the drawn units");
    cr_expect(strstr(svg, "</svg>") != NULL);
    free(svg);
    r = RUN("draw", tpath("m.bpm"), "--format", "dot", "--units", "5");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(strncmp(r.out, "digraph network {", 17), 0, "%s", r.out);
    cr_expect_eq(count_str(r.out, "{"), count_str(r.out, "}"), "unbalanced braces");
    cr_expect_eq(count_str(r.out, " -> "), 4 * 4 + 4 * 3, "%s", r.out);
    cr_expect(strstr(r.out, "300 units") != NULL);
    result_free(&r);
    // Class names beside the outputs, the input scaling under the inputs.
    uint32_t s2[] = {2, 4, 3};
    cr_assert_eq(bp_net_create(2, s2, acts, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    const char *names[] = {"setosa", "versicolor", "virginica & co"};
    cr_assert_eq(bp_net_set_class_names(net, 3, names), BP_STATUS_OK, "%s", bp_last_error());
    const float off[2] = {1, 2}, sc[2] = {3, 4};
    cr_assert_eq(bp_net_set_input_scaling(net, BP_SCALE_STANDARD, off, sc), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_save(net, tpath("iris.bpm")), BP_STATUS_OK);
    bp_net_destroy(net);
    r = RUN("draw", tpath("iris.bpm"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, ">setosa<") && strstr(r.out, ">versicolor<") && strstr(r.out, ">virginica &amp; co<"),
              "%s", r.out);
    cr_expect(strstr(r.out, "standardized") != NULL, "%s", r.out);
    result_free(&r);
    r = RUN("draw", tpath("iris.bpm"), "--format", "dot");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "xlabel=\"virginica & co\"") && strstr(r.out, "standardized"), "%s", r.out);
    result_free(&r);
    r = RUN("draw", tpath("m.bpm"), "--format", "png");
    cr_expect_eq(r.rc, 2);
    cr_expect(strstr(r.err, "'png' is not svg or dot") != NULL, "%s", r.err);
    result_free(&r);
}

// ---- small things ---------------------------------------------------------------------

// A 2-4-1 model saved to path (0 on success).
static int save_stub_model(const char *path) {
    uint32_t sizes[] = {2, 4, 1};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net;
    if (bp_net_create(2, sizes, acts, NULL, &net) != BP_STATUS_OK) return -1;
    int rc = bp_net_save(net, path) == BP_STATUS_OK ? 0 : -1;
    bp_net_destroy(net);
    return rc;
}

Test(view, did_you_mean, .init = make_tmpdir, .fini = cleanup) {
    static const struct {
        const char *args[4], *hint;
    } cases[] = {
        {{"train", "--epoch", "3"}, "did you mean '--epochs'?"},
        {{"train", "--lr-shedule", "cosine"}, "did you mean '--lr-schedule'?"},
        {{"train", "--act", "rleu"}, "did you mean 'relu'?"},
        {{"train", "--optimizer", "adma"}, "did you mean 'adam'?"},
        {{"train", "--loss", "sofmax_xent"}, "did you mean 'softmax_xent'?"},
        {{"train", "--data", "spiral"}, "did you mean 'spirals'?"},
        {{"eval", "--dat", "xor"}, "did you mean '--data'?"},
        {{"trian"}, "did you mean 'train'?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const *a = cases[i].args;
        result r = a[1] ? RUN(a[0], a[1], a[2]) : RUN(a[0]);
        cr_expect_eq(r.rc, a[1] && strcmp(a[1], "--data") == 0 ? 1 : 2, "%s: exit %d", a[1] ? a[1] : a[0], r.rc);
        cr_expect(strstr(r.err, cases[i].hint) != NULL, "'%s' lacks \"%s\"", r.err, cases[i].hint);
        result_free(&r);
    }
    // Nothing close: no guess.
    result r = RUN("train", "--loss", "x");
    cr_expect(strstr(r.err, "did you mean") == NULL, "%s", r.err);
    result_free(&r);
    r = RUN("train", "--zzzzzz", "1");
    cr_expect(strstr(r.err, "did you mean") == NULL, "%s", r.err);
    result_free(&r);
    // Value names the library does not spell out, and file names: a file in
    // the same directory with a close name.
    r = RUN("train", "--isa", "avx");
    cr_expect(r.rc == 2 && strstr(r.err, "did you mean 'avx2'?"), "%s", r.err);
    result_free(&r);
    r = RUN("train", "--lr-schedule", "cosin");
    cr_expect(r.rc == 2 && strstr(r.err, "did you mean 'cosine'?"), "%s", r.err);
    result_free(&r);
    write_text(tpath("train.csv"), "a,b,y\n1,2,0\n2,1,1\n");
    cr_assert_eq(save_stub_model(tpath("model.bpm")), 0);
    char want[600];
    snprintf(want, sizeof want, "did you mean '%s'?", tpath("train.csv"));
    r = RUN("train", "--data", tpath("trian.csv"));
    cr_expect(r.rc == 1 && strstr(r.err, want), "%s", r.err);
    result_free(&r);
    r = RUN("predict", tpath("model.bpm"), "--input", tpath("train.cvs"));
    cr_expect(r.rc == 1 && strstr(r.err, want), "%s", r.err);
    result_free(&r);
    snprintf(want, sizeof want, "did you mean '%s'?", tpath("model.bpm"));
    r = RUN("eval", tpath("modle.bpm"), "--data", "xor");
    cr_expect(r.rc == 1 && strstr(r.err, want), "%s", r.err);
    result_free(&r);
    r = RUN("summary", tpath("zzzzzzzz.bpm"));
    cr_expect(r.rc == 1 && strstr(r.err, "did you mean") == NULL, "%s", r.err);
    result_free(&r);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

Test(view, interrupted_run_counts_its_last_partial_epoch, .init = make_tmpdir, .fini = cleanup) {
    // 200000 spirals at batch 32: 6250 steps per epoch, about a second each.
    // Ctrl-C after the first epoch line lands inside a later epoch.
    const char *argv[] = {BP_CLI_PATH, "train", "--samples", "200000", "--epochs", "100", "--threads", "1",
                          "-o", tpath("m.bpm"), NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, tpath("out.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, tpath("err.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, BP_CLI_PATH, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int t = 0; t < 600; t++) { // up to 60 s
        sleep_ms(100);
        char *e = slurp(tpath("err.txt"));
        int started = strstr(e, "epoch   1/100") != NULL;
        free(e);
        if (started) break;
    }
    sleep_ms(300);
    kill(pid, SIGINT);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    char *out = slurp(tpath("out.txt")), *err = slurp(tpath("err.txt"));
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d: %s", status, err);
    const char *m = strstr(err, "interrupted in epoch ");
    cr_assert_not_null(m, "%s", err);
    unsigned epoch, complete;
    size_t k, steps;
    cr_assert_eq(sscanf(m, "interrupted in epoch %u after %zu of %zu steps (%u", &epoch, &k, &steps, &complete), 4,
                 "%s", m);
    cr_expect_eq(steps, 6250);
    cr_expect_eq(epoch, complete + 1);
    unsigned e2;
    double secs, rate;
    const char *tl = strstr(out, "training:");
    cr_assert_not_null(tl, "%s", out);
    size_t rows = (size_t)complete * 200000 + (k * 32 < 200000 ? k * 32 : 200000);
    cr_assert_eq(sscanf(tl, "training: %u", &e2), 1, "%s", tl);
    if (k) {
        size_t k2, s2;
        const char *a = strstr(tl, " and ");
        cr_assert(a && sscanf(a, " and %zu of %zu steps in %lf s, %lf samples/s", &k2, &s2, &secs, &rate) == 4,
                  "%s", tl);
        cr_expect_eq(k2, k);
        cr_expect_eq(s2, steps);
    } else {
        const char *a = strstr(tl, " in ");
        cr_assert(a && sscanf(a, " in %lf s, %lf samples/s", &secs, &rate) == 2, "%s", tl);
    }
    cr_expect_eq(e2, complete);
    // samples/s counts the partial epoch: rate x time gives the rows trained,
    // to the printing (time to 0.005 s, rate to 0.5).
    cr_expect(fabs(rate * secs - (double)rows) <= rate * 0.005 + secs * 0.5 + 1, "%g x %g vs %zu rows", rate, secs,
              rows);
    free(out);
    free(err);
}

Test(view, summary_tells_checkpoint_from_model, .init = make_tmpdir, .fini = cleanup) {
    // xor: 4 rows at batch 4, one step per epoch.
    result r = RUN("train", "-q", "--data", "xor", "--epochs", "20", "--optimizer", "momentum", "--checkpoint",
                   tpath("ck.bpm"), "-o", tpath("m.bpm"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    result_free(&r);
    r = RUN("summary", tpath("ck.bpm"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "a checkpoint (format 2): 20 epochs done, 20 optimizer steps, momentum, fp32") != NULL,
              "%s", r.out);
    cr_expect(strstr(r.out, "2 features in, 2 classes out") != NULL, "%s", r.out);
    result_free(&r);
    r = RUN("summary", tpath("m.bpm"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "without trainer state") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "a checkpoint") == NULL, "%s", r.out);
    result_free(&r);
    bp_model_info info;
    cr_assert_eq(bp_model_file_info(tpath("ck.bpm"), &info), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(info.is_checkpoint && info.epochs == 20 && info.steps == 20 && info.optimizer == BP_OPT_MOMENTUM);
    cr_assert_eq(bp_model_file_info(tpath("m.bpm"), &info), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(!info.is_checkpoint && info.format_version == 2);
    cr_expect_eq(bp_model_file_info(tpath("none.bpm"), &info), BP_STATUS_IO_ERROR);
    r = RUN("summary", tpath("m.bpm"));
    cr_expect(strstr(r.out, "not kept: how it was trained (epochs, optimizer") != NULL, "%s", r.out);
    result_free(&r);
}

// summary sums up a wide scaling in one line (kind, column count, ranges)
// and the class names as the first few and a count.
Test(view, summary_scaling_and_many_class_names, .init = make_tmpdir, .fini = cleanup) {
    enum { N_IN = 784, N_OUT = 40 };
    uint32_t sizes[] = {N_IN, N_OUT};
    bp_act acts[] = {BP_ACT_SOFTMAX};
    bp_net *net;
    cr_assert_eq(bp_net_create(1, sizes, acts, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    static float off[N_IN], sc[N_IN];
    for (int j = 0; j < N_IN; j++) {
        off[j] = 0.5f * (float)j; // 0 to 391.5, exact in float
        sc[j] = 1.0f + (float)j;  // 1 to 784
    }
    cr_assert_eq(bp_net_set_input_scaling(net, BP_SCALE_STANDARD, off, sc), BP_STATUS_OK, "%s", bp_last_error());
    char buf[N_OUT][16];
    const char *names[N_OUT];
    for (int i = 0; i < N_OUT; i++) {
        snprintf(buf[i], sizeof buf[i], "class_%02d", i);
        names[i] = buf[i];
    }
    cr_assert_eq(bp_net_set_class_names(net, N_OUT, names), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_save(net, tpath("wide.bpm")), BP_STATUS_OK);
    bp_net_destroy(net);
    result r = RUN("summary", tpath("wide.bpm"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "scaling:  inputs standard, per column (784 columns): (x - mean) / std, means 0 to 391.5, "
                            "stds 1 to 784\n") != NULL, "%s", r.out);
    // "class_00, " is 10 characters: 6 names fill the 60 allowed, the 7th
    // would pass them.
    cr_expect(strstr(r.out, "40 classes out: class_00, class_01, class_02, class_03, class_04, class_05 and "
                            "34 more\n") != NULL, "%s", r.out);
    // No line runs long (no list of 784 numbers or 40 names).
    for (const char *p = r.out, *e; (e = strchr(p, '\n')); p = e + 1)
        cr_expect_leq(e - p, 120, "a line of %td characters: %.*s", e - p, (int)(e - p), p);
    result_free(&r);
}
