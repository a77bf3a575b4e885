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
    "  -o, --output PATH     the SVG to write (default: stdout)\n";

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

static size_t split(char *s, char **cells, size_t max) {
    size_t n = 0;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma) *comma = '\0';
        if (n < max) cells[n] = s;
        n++;
        if (!comma) return n;
        s = comma + 1;
    }
}

static int read_table(const char *path, table *t) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return 0;
    }
    char *line = NULL, *cells[MAX_COLS];
    size_t cap = 0, lineno = 0;
    int ok = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        size_t n = split(line, cells, MAX_COLS);
        if (t->n_cols == 0) {
            if (n > MAX_COLS) {
                cli_error("%s line %zu: %zu columns (at most %d)", path, lineno, n, MAX_COLS);
                goto done;
            }
            t->n_cols = n;
            for (size_t c = 0; c < n; c++) {
                t->names[c] = malloc(strlen(cells[c]) + 1);
                if (!t->names[c]) goto oom;
                strcpy(t->names[c], cells[c]);
            }
            continue;
        }
        if (n != t->n_cols) {
            cli_error("%s line %zu: %zu columns, expected %zu", path, lineno, n, t->n_cols);
            goto done;
        }
        if (t->n_rows == t->cap) {
            size_t ncap = t->cap ? 2 * t->cap : 64;
            for (size_t c = 0; c < t->n_cols; c++) {
                double *p = realloc(t->col[c], ncap * sizeof(double));
                if (!p) goto oom;
                t->col[c] = p;
            }
            t->cap = ncap;
        }
        for (size_t c = 0; c < n; c++) {
            double v = NAN;
            if (cells[c][0]) {
                char *end;
                v = strtod(cells[c], &end);
                if (*end || !isfinite(v)) {
                    cli_error("%s line %zu, column %zu: '%.40s' is not a finite number", path, lineno,
                              c + 1, cells[c]);
                    goto done;
                }
            }
            t->col[c][t->n_rows] = v;
        }
        t->n_rows++;
    }
    if (t->n_cols == 0 || t->n_rows == 0) {
        cli_error("%s: no data rows (expected a header line and one row per epoch)", path);
        goto done;
    }
    ok = 1;
    goto done;
oom:
    cli_error("%s: out of memory", path);
done:
    free(line);
    fclose(f);
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
} panel;

// Draw one panel at (x0, y0) of size w x h; returns the number of paths.
static size_t draw_panel(FILE *o, const table *t, const double *x, const panel *p, double x0, double y0,
                         double w, double h) {
    const double ml = 64, mr = 16, mt = 28, mb = 40;
    double px0 = x0 + ml, px1 = x0 + w - mr, py0 = y0 + mt, py1 = y0 + h - mb;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (x[r] < xmin) xmin = x[r];
        if (x[r] > xmax) xmax = x[r];
        for (size_t k = 0; k < p->n; k++) {
            double v = t->col[p->cols[k]][r];
            if (isnan(v)) continue;
            if (v < ymin) ymin = v;
            if (v > ymax) ymax = v;
        }
    }
    if (xmax <= xmin) {
        xmin -= 0.5;
        xmax += 0.5;
    }
    if (ymax <= ymin) {
        double pad = fabs(ymin) > 0 ? 0.5 * fabs(ymin) : 0.5;
        ymin -= pad;
        ymax += pad;
    }
    double span = ymax - ymin;
    ymin -= 0.05 * span;
    ymax += 0.05 * span;
#define SX(v) (px0 + ((v) - xmin) / (xmax - xmin) * (px1 - px0))
#define SY(v) (py1 - ((v) - ymin) / (ymax - ymin) * (py1 - py0))
    fprintf(o, "  <g font-family=\"sans-serif\" font-size=\"11\">\n");
    fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">", (px0 + px1) / 2, y0 + 18);
    xml_text(o, p->title);
    fputs("</text>\n", o);
    fprintf(o, "    <rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n",
            px0, py0, px1 - px0, py1 - py0);
    for (int i = 0; i <= 4; i++) {
        double v = ymin + (ymax - ymin) * i / 4.0, yy = SY(v);
        fprintf(o, "    <line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px0, yy, px1, yy);
        fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", px0 - 4, yy + 4, v);
        double xv = xmin + (xmax - xmin) * i / 4.0;
        fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.4g</text>\n", SX(xv), py1 + 14, xv);
    }
    fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n", (px0 + px1) / 2, py1 + 30);
    size_t paths = 0;
    for (size_t k = 0; k < p->n; k++) {
        size_t c = p->cols[k];
        const char *color = colors[k % (sizeof colors / sizeof colors[0])];
        int dashed = strncmp(t->names[c], "val", 3) == 0;
        fprintf(o, "    <path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s d=\"", color,
                dashed ? " stroke-dasharray=\"5,3\"" : "");
        int pen = 0;
        for (size_t r = 0; r < t->n_rows; r++) {
            double v = t->col[c][r];
            if (isnan(v)) {
                pen = 0;
                continue;
            }
            fprintf(o, "%s%.2f %.2f", pen ? " L" : " M", SX(x[r]), SY(v));
            pen = 1;
        }
        fputs("\"/>\n", o);
        paths++;
        double ly = py0 + 14 + 14.0 * (double)k;
        fprintf(o, "    <line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                px1 - 110, ly - 4, px1 - 90, ly - 4, color, dashed ? " stroke-dasharray=\"5,3\"" : "");
        fprintf(o, "    <text x=\"%.1f\" y=\"%.1f\">", px1 - 86, ly);
        xml_text(o, t->names[c]);
        fputs("</text>\n", o);
    }
    fputs("  </g>\n", o);
#undef SX
#undef SY
    return paths;
}

int cmd_plot(int argc, char **argv) {
    cli_prog = "backprop plot";
    const char *output = NULL;
    int help = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_OPT_VALUE, &output, NULL}};
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, opts, 1, pos, 1, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (n_pos != 1) {
        cli_error("which log? (usage: backprop plot RUN.csv -o curves.svg)");
        return CLI_USAGE;
    }
    table t;
    if (!read_table(pos[0], &t)) return CLI_FAIL;
    panel loss = {"loss", {0}, 0}, acc = {"accuracy", {0}, 0};
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
    int to_stdout = !output || strcmp(output, "-") == 0;
    o = to_stdout ? stdout : fopen(output, "w");
    if (!o) {
        cli_error("-o: cannot create '%s': %s", output, strerror(errno));
        goto out;
    }
    int panels = (loss.n > 0) + (acc.n > 0);
    double pw = 460, ph = 340;
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\">\n  <title>",
            pw * panels, ph, pw * panels, ph);
    xml_text(o, pos[0]);
    fputs("</title>\n  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", o);
    double x0 = 0;
    if (loss.n) {
        draw_panel(o, &t, x, &loss, x0, 0, pw, ph);
        x0 += pw;
    }
    if (acc.n) draw_panel(o, &t, x, &acc, x0, 0, pw, ph);
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
