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
#include <unistd.h>

#include "bp_test.h"
#include "cli/cli.h"

extern char **environ;

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-view-XXXXXX");
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
