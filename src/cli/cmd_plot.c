// SPDX-License-Identifier: MIT
// backprop plot: training curves from a --log CSV as a standalone SVG, one
// <path> per curve (loss and accuracy panels), no plotting dependency.
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli.h"

static const char usage[] =
    "usage: backprop plot RUN.csv [-o curves.svg]\n"
    "\n"
    "Draw the curves of a training log (backprop train --log RUN.csv) as SVG: a\n"
    "loss panel (every column whose name contains \"loss\") and an accuracy panel\n"
    "(every column containing \"acc\"), against the epoch column.\n"
    "\n"
    "Accuracy is drawn in percent, as train prints it. With 40 epochs or fewer\n"
    "every epoch is marked with a point.\n"
    "\n"
    "  -o, --output PATH     the SVG to write (default: stdout)\n"
    "  --log-y               loss on a log scale (losses that fall by decades);\n"
    "                        losses of 0 are left out\n";

#define MAX_COLS 32

typedef struct table {
    size_t n_cols, n_rows, cap;
    char *names[MAX_COLS];
    double *col[MAX_COLS]; // NaN for an empty cell
} table;

static void table_free(table *t) {
    for (size_t c = 0; c < t->n_cols; c++) {
        free(t->names[c]);
        free(t->col[c]);
    }
}

// The log through the library's CSV reader (delimiter detected, header
// required), into columns.
static int read_table(const char *path, table *t) {
    memset(t, 0, sizeof *t);
    bp_csv_table ct;
    if (bp_csv_read_table(path, 0, 1, &ct) != BP_STATUS_OK) {
        char hint[4200];
        cli_error("%s%s", bp_last_error(), cli_file_hint(path, hint, sizeof hint));
        return 0;
    }
    int ok = 0;
    if (ct.n_cols > MAX_COLS) {
        cli_error("%s: %zu columns (at most %d)", path, ct.n_cols, MAX_COLS);
        goto done;
    }
    t->n_cols = ct.n_cols;
    t->n_rows = t->cap = ct.n_rows;
    for (size_t c = 0; c < ct.n_cols; c++) {
        t->names[c] = malloc(strlen(ct.names[c]) + 1);
        t->col[c] = malloc(ct.n_rows * sizeof(double));
        if (!t->names[c] || !t->col[c]) {
            cli_error("%s: out of memory", path);
            goto done;
        }
        strcpy(t->names[c], ct.names[c]);
        for (size_t r = 0; r < ct.n_rows; r++) t->col[c][r] = ct.values[r * ct.n_cols + c];
    }
    ok = 1;
done:
    bp_csv_table_free(&ct);
    if (!ok) table_free(t);
    return ok;
}

static void xml_text(FILE *o, const char *s) {
    for (; *s; s++) switch (*s) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, o);
            else fputc('?', o);
        }
}

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

typedef struct panel {
    const char *title;
    size_t cols[MAX_COLS], n;
    double scale;  // 100 for accuracy: the log holds fractions, the CLI prints percent
    int log_y;     // --log-y (loss panel only)
    int is_loss;   // a loss is never below 0
} panel;

// Sizes in SVG pixels. Tick labels are 11 px sans-serif: about 6.5 px per
// character is a safe width for digits and lower-case names.
enum { PLOT_W = 380, PLOT_H = 260, MARGIN_L = 64, MARGIN_T = 32, MARGIN_B = 46, LEGEND_GAP = 16,
       MARGIN_R = 12, MARKER_MAX_POINTS = 40 };
static const double CHAR_W = 6.5;

static double legend_width(const table *t, const panel *p) {
    size_t most = 0;
    for (size_t k = 0; k < p->n; k++)
        if (strlen(t->names[p->cols[k]]) > most) most = strlen(t->names[p->cols[k]]);
    return 8 + 24 + 6 + CHAR_W * (double)most + 8;
}

static double panel_width(const table *t, const panel *p) {
    return MARGIN_L + PLOT_W + LEGEND_GAP + legend_width(t, p) + MARGIN_R;
}

// The panel's y axis: from the data, a loss never below 0, accuracy within
// 0-100%. On a log axis values <= 0 cannot be drawn and are left out.
static void y_axis(const table *t, const panel *p, cli_axis *ax) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < p->n; k++)
        for (size_t r = 0; r < t->n_rows; r++) {
            double v = t->col[p->cols[k]][r] * p->scale;
            if (isnan(v) || (p->log_y && !(v > 0))) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    if (p->log_y) {
        cli_axis_log(lo, hi, ax);
        return;
    }
    int nonneg = lo >= 0 && (p->is_loss || p->scale == 100);
    cli_axis_linear(lo, hi, nonneg ? 0 : -HUGE_VAL, p->scale == 100 && hi <= 100 ? 100 : HUGE_VAL, 0, 7, ax);
}

// Draw one panel with its top-left corner at x0.
static void draw_panel(FILE *o, const table *t, const double *x, const cli_axis *xa, const panel *p, double x0) {
    double px0 = x0 + MARGIN_L, px1 = px0 + PLOT_W, py0 = MARGIN_T, py1 = MARGIN_T + PLOT_H;
    cli_axis ya;
    y_axis(t, p, &ya);
#define SX(v) (px0 + cli_axis_frac(xa, (v)) * PLOT_W)
#define SY(v) (py1 - cli_axis_frac(&ya, (v)) * PLOT_H)
    fprintf(o, "  <g font-family=\"sans-serif\" font-size=\"11\">\n");
    fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">", (px0 + px1) / 2, 20.0);
    xml_text(o, p->title);
    fputs(p->scale == 100 ? " (%)" : p->log_y ? " (log scale)" : "", o);
    fputs("</text>\n", o);
    char lab[64];
    for (size_t i = 0; i < ya.n_ticks; i++) {
        double yy = SY(ya.ticks[i]);
        cli_axis_label(&ya, ya.ticks[i], lab, sizeof lab);
        fprintf(o, "    <line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", px0, yy, px1, yy);
        fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", px0 - 5, yy + 4, lab);
    }
    for (size_t i = 0; i < xa->n_ticks; i++) {
        double xx = SX(xa->ticks[i]);
        cli_axis_label(xa, xa->ticks[i], lab, sizeof lab);
        fprintf(o, "    <line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", xx, py1, xx, py1 + 4);
        fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", xx, py1 + 16, lab);
    }
    fprintf(o, "    <rect class=\"plot-area\" x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n",
            px0, py0, PLOT_W, PLOT_H);
    fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n", (px0 + px1) / 2, py1 + 34);
    int markers = t->n_rows <= MARKER_MAX_POINTS;
    for (size_t k = 0; k < p->n; k++) {
        size_t c = p->cols[k];
        const char *color = colors[k % (sizeof colors / sizeof colors[0])];
        int dashed = strncmp(t->names[c], "val", 3) == 0;
        fprintf(o, "    <path class=\"curve\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s d=\"", color,
                dashed ? " stroke-dasharray=\"5,3\"" : "");
        int pen = 0;
        for (size_t r = 0; r < t->n_rows; r++) {
            double v = t->col[c][r] * p->scale;
            if (isnan(v) || (p->log_y && !(v > 0))) {
                pen = 0;
                continue;
            }
            fprintf(o, "%s%.2f %.2f", pen ? " L" : " M", SX(x[r]), SY(v));
            pen = 1;
        }
        fputs("\"/>\n", o);
        if (markers) // few epochs: each one is a point that can be read
            for (size_t r = 0; r < t->n_rows; r++) {
                double v = t->col[c][r] * p->scale;
                if (isnan(v) || (p->log_y && !(v > 0))) continue;
                fprintf(o, "    <circle class=\"marker\" cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\" stroke=\"%s\"/>\n",
                        SX(x[r]), SY(v), dashed ? "white" : color, color);
            }
    }
    // The legend sits right of the plot area, where no curve can run.
    double lx = px1 + LEGEND_GAP, lw = legend_width(t, p), lh = 8 + 16.0 * (double)p->n;
    fprintf(o, "    <rect class=\"legend\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" stroke=\"#bbb\"/>\n",
            lx, py0, lw, lh);
    for (size_t k = 0; k < p->n; k++) {
        size_t c = p->cols[k];
        const char *color = colors[k % (sizeof colors / sizeof colors[0])];
        int dashed = strncmp(t->names[c], "val", 3) == 0;
        double ly = py0 + 4 + 16.0 * (double)k + 8;
        fprintf(o, "    <line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                lx + 8, ly, lx + 32, ly, color, dashed ? " stroke-dasharray=\"5,3\"" : "");
        fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\">", lx + 38, ly + 4);
        xml_text(o, t->names[c]);
        fputs("</text>\n", o);
    }
    fputs("  </g>\n", o);
#undef SX
#undef SY
}

int cmd_plot(int argc, char **argv) {
    cli_prog = "backprop plot";
    const char *output = NULL;
    int help = 0, log_y = 0;
    const cli_opt opts[] = {
        {"output", 'o', CLI_OPT_VALUE, &output, NULL},
        {"log-y", 0, CLI_OPT_FLAG, NULL, &log_y},
    };
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (n_pos != 1) {
        cli_error("which log? (usage: backprop plot RUN.csv -o curves.svg)");
        return CLI_USAGE;
    }
    if (cli_parse_only) return CLI_OK;
    table t;
    if (!read_table(pos[0], &t)) return CLI_FAIL;
    panel loss = {"loss", {0}, 0, 1.0, log_y, 1}, acc = {"accuracy", {0}, 0, 100.0, 0, 0};
    size_t xcol = SIZE_MAX;
    for (size_t c = 0; c < t.n_cols; c++) {
        int any = 0;
        for (size_t r = 0; r < t.n_rows && !any; r++) any = !isnan(t.col[c][r]);
        if (strcmp(t.names[c], "epoch") == 0) xcol = c;
        else if (!any) continue; // an empty column (no validation data): no curve
        else if (strstr(t.names[c], "loss")) loss.cols[loss.n++] = c;
        else if (strstr(t.names[c], "acc")) acc.cols[acc.n++] = c;
    }
    double *x = malloc(t.n_rows * sizeof(double));
    FILE *o = NULL;
    rc = CLI_FAIL;
    if (!x) {
        cli_error("out of memory");
        goto out;
    }
    for (size_t r = 0; r < t.n_rows; r++) {
        x[r] = xcol != SIZE_MAX ? t.col[xcol][r] : (double)(r + 1);
        if (isnan(x[r])) {
            cli_error("%s: row %zu has no epoch", pos[0], r + 1);
            goto out;
        }
    }
    if (loss.n + acc.n == 0) {
        cli_error("%s: no loss or accuracy columns to plot", pos[0]);
        goto out;
    }
    // train --log writes accuracy as a fraction; a column already in percent
    // (any value above 1) is drawn as it is.
    for (size_t k = 0; k < acc.n; k++)
        for (size_t r = 0; r < t.n_rows; r++)
            if (t.col[acc.cols[k]][r] > 1.0) acc.scale = 1.0;
    if (log_y) {
        size_t positive = 0;
        for (size_t k = 0; k < loss.n; k++)
            for (size_t r = 0; r < t.n_rows; r++) positive += t.col[loss.cols[k]][r] > 0;
        if (!positive) {
            cli_error("--log-y: %s has no loss above 0 to draw on a log scale", pos[0]);
            goto out;
        }
    }
    double xlo = INFINITY, xhi = -INFINITY;
    for (size_t r = 0; r < t.n_rows; r++) {
        if (x[r] < xlo) xlo = x[r];
        if (x[r] > xhi) xhi = x[r];
    }
    cli_axis xa; // epochs are whole numbers: no step below 1
    cli_axis_linear(xlo, xhi, xlo >= 0 ? 0 : -HUGE_VAL, HUGE_VAL, 1, 7, &xa);
    int to_stdout = !output || strcmp(output, "-") == 0;
    o = to_stdout ? stdout : fopen(output, "w");
    if (!o) {
        cli_error("-o: cannot create '%s': %s", output, strerror(errno));
        goto out;
    }
    double w_loss = loss.n ? panel_width(&t, &loss) : 0, w_acc = acc.n ? panel_width(&t, &acc) : 0;
    double sw = w_loss + w_acc, sh = MARGIN_T + PLOT_H + MARGIN_B;
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\">\n  <title>",
            sw, sh, sw, sh);
    xml_text(o, pos[0]);
    fputs("</title>\n  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", o);
    if (loss.n) draw_panel(o, &t, x, &xa, &loss, 0);
    if (acc.n) draw_panel(o, &t, x, &xa, &acc, w_loss);
    fputs("</svg>\n", o);
    int bad = ferror(o);
    bad = (to_stdout ? fflush(o) : fclose(o)) != 0 || bad;
    o = NULL;
    if (bad) {
        cli_error("writing '%s' failed", to_stdout ? "(stdout)" : output);
        goto out;
    }
    rc = CLI_OK;
out:
    free(x);
    table_free(&t);
    return rc;
}
