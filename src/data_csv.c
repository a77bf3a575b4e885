// SPDX-License-Identifier: MIT
// CSV loader: comma-separated numbers, one row per line.
//
// - Lines end in \n or \r\n, up to CSV_MAX_LINE bytes; a longer line or a
//   NUL byte is refused as soon as it is read, so an endless or binary
//   input (/dev/zero) fails at once. Blank lines are skipped; a UTF-8
//   byte-order mark at the start is ignored.
// - Cells may be padded with spaces/tabs and wrapped in double quotes (a
//   quoted cell cannot hold a comma: every comma separates cells).
// - The first non-blank line fixes the column count; every later row must
//   match it ("train.csv line 17: 785 columns, expected 794").
// - Every data cell must be a finite number that fits a float; labels must be
//   integers in [0, BP_MAX_CLASSES). Errors name the line and the 1-based
//   column.
// - The class count (largest label + 1) is bounded by what the rows can
//   justify: a largest label of CSV_FREE_CLASSES or more must not exceed
//   CSV_CLASSES_PER_ROW x the number of rows.
// - header: 1 skips the first non-blank line, 0 reads it as data, -1 skips it
//   when it looks like a header: at least one non-empty cell and none that
//   parses as a number. A first line mixing numbers and text ("1,,0") is a
//   corrupt data row, not a header, and its bad cell is reported.
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "bp_internal.h"

// Largest class label accepted.
#define CSV_MAX_LABEL ((int32_t)BP_MAX_CLASSES - 1)
// Labels below this need no justification by the row count; a larger
// largest label must not exceed CSV_CLASSES_PER_ROW x rows.
#define CSV_FREE_CLASSES 256u
#define CSV_CLASSES_PER_ROW 16u
// Longest line accepted (16M columns of up to 63 characters each).
#define CSV_MAX_LINE ((size_t)1 << 30)

typedef struct grow {
    void *p;
    size_t n, cap, elem; // n and cap in elements
} grow;

// Make room for `extra` more elements (amortised doubling, overflow-checked).
static int grow_reserve(grow *g, size_t extra) {
    if (extra <= g->cap - g->n) return 1;
    if (g->n > SIZE_MAX - extra) return 0;
    size_t need = g->n + extra, cap = g->cap ? g->cap : 1024;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return 0;
        cap *= 2;
    }
    void *q = bp_alloc(cap, g->elem);
    if (!q) return 0;
    if (g->n) memcpy(q, g->p, g->n * g->elem);
    bp_free(g->p);
    g->p = q;
    g->cap = cap;
    return 1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

// Trim blanks and one pair of surrounding double quotes, in place.
static char *trim_cell(char *s, char *end) {
    while (s < end && is_blank(*s)) s++;
    while (end > s && is_blank(end[-1])) end--;
    if (end - s >= 2 && s[0] == '"' && end[-1] == '"') {
        s++;
        end--;
    }
    *end = '\0';
    return s;
}

// Split line (NUL-terminated, no newline) at commas into cells; returns the
// number of cells, storing up to max pointers.
static size_t split_cells(char *line, char **cells, size_t max) {
    size_t n = 0;
    char *s = line;
    for (;;) {
        char *comma = strchr(s, ',');
        char *end = comma ? comma : s + strlen(s);
        if (n < max) cells[n] = trim_cell(s, end);
        n++;
        if (!comma) break;
        s = comma + 1;
    }
    return n;
}

// Parse a whole cell as a number (strtod syntax). 0 if it is not one.
static int parse_number(const char *s, double *v) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

// Read one line (without its \n) into *buf, growing it up to CSV_MAX_LINE
// bytes. Returns the length, -1 at end of file, -2 for a line over the
// limit and -3 for a NUL byte (both found while reading, before the line
// ends) and -4 for no memory.
static ssize_t read_line(FILE *f, char **buf, size_t *cap) {
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (c == '\0') return -3;
        if (n + 1 >= *cap) {
            if (*cap >= CSV_MAX_LINE) return -2;
            size_t ncap = *cap ? 2 * *cap : 4096;
            char *q = bp_alloc(ncap, 1); // bp_alloc, not realloc: every allocation is counted and hookable
            if (!q) return -4;
            if (n) memcpy(q, *buf, n);
            bp_free(*buf);
            *buf = q;
            *cap = ncap;
        }
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0) return -1;
    if (!*buf) { // an empty last line before EOF
        *buf = bp_alloc(1, 1);
        if (!*buf) return -4;
        *cap = 1;
    }
    (*buf)[n] = '\0';
    return (ssize_t)n;
}

// A header line: at least one non-empty cell, and no cell that is a number.
static int looks_like_header(char *copy, char **cells, size_t n_cols) {
    split_cells(copy, cells, n_cols);
    int text = 0;
    for (size_t c = 0; c < n_cols; c++) {
        double v;
        if (!cells[c][0]) continue;
        if (parse_number(cells[c], &v)) return 0;
        text = 1;
    }
    return text;
}

static size_t count_cells(const char *line) {
    size_t n = 1;
    for (const char *p = line; *p; p++) n += *p == ',';
    return n;
}

bp_status bp_data_load_csv(const char *path, int label_col, int header, uint32_t n_targets,
                           bp_dataset *out) {
    if (!path || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_load_csv: NULL argument");
    memset(out, 0, sizeof *out);
    if (header < -1 || header > 1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_load_csv: header %d (expected 1, 0 or -1)", header);
    if (n_targets == 0 && label_col < -1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_load_csv: label column %d (expected >= 0, or -1 for the last)",
                       label_col);
    FILE *f = fopen(path, "rb");
    if (!f) return bp_fail(BP_STATUS_IO_ERROR, "%s: cannot open: %s", path, strerror(errno));

    bp_status st = BP_STATUS_OK;
    char *line = NULL, **cells = NULL;
    size_t line_cap = 0, n_cols = 0, lab = 0, n_rows = 0, lineno = 0;
    uint32_t n_in = 0;
    int32_t max_label = 0;
    size_t max_label_line = 0;
    int first = 1;
    grow gx = {NULL, 0, 0, sizeof(float)}, gy = {NULL, 0, 0, n_targets ? sizeof(float) : sizeof(int32_t)};
#define FAIL(code, ...)                                                                          \
    do {                                                                                         \
        st = bp_fail(code, __VA_ARGS__);                                                         \
        goto done;                                                                               \
    } while (0)
    for (;;) {
        errno = 0;
        ssize_t len = read_line(f, &line, &line_cap);
        if (len == -1) break;
        lineno++;
        if (len == -2)
            FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu: longer than %zu bytes (not a CSV file?)", path,
                 lineno, CSV_MAX_LINE);
        if (len == -3)
            FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu: contains a NUL byte (not a text file?)", path, lineno);
        if (len < 0) FAIL(BP_STATUS_OUT_OF_MEMORY, "%s line %zu: no memory for the line", path, lineno);
        while (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        char *s = line;
        if (lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3;
        const char *t = s;
        while (is_blank(*t)) t++;
        if (!*t) continue; // blank line

        if (first) {
            // The first non-blank line fixes the shape and may be a header.
            first = 0;
            n_cols = count_cells(s);
            if (n_cols < 2)
                FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu: 1 column; a data set needs features and a %s",
                     path, lineno, n_targets ? "target" : "label");
            if (n_cols > (size_t)BP_MAX_WIDTH)
                FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu: %zu columns (at most %u)", path, lineno,
                     n_cols, BP_MAX_WIDTH);
            if (n_targets) {
                if (n_targets >= n_cols)
                    FAIL(BP_STATUS_INVALID_ARGUMENT, "%s: %u target columns leave no feature among its %zu columns",
                         path, n_targets, n_cols);
                n_in = (uint32_t)(n_cols - n_targets);
            } else {
                if (label_col >= 0 && (size_t)label_col >= n_cols)
                    FAIL(BP_STATUS_INVALID_ARGUMENT, "%s: label column %d, but the file has %zu columns (0 to %zu)",
                         path, label_col, n_cols, n_cols - 1);
                lab = label_col < 0 ? n_cols - 1 : (size_t)label_col;
                n_in = (uint32_t)(n_cols - 1);
            }
            cells = bp_alloc(n_cols, sizeof(char *));
            if (!cells) FAIL(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", path);
            int skip = header == 1;
            if (header == -1) {
                size_t l = strlen(s);
                char *copy = bp_alloc(l + 1, 1);
                if (!copy) FAIL(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", path);
                memcpy(copy, s, l + 1);
                skip = looks_like_header(copy, cells, n_cols);
                bp_free(copy);
            }
            if (skip) continue;
        }

        size_t nc = split_cells(s, cells, n_cols);
        if (nc != n_cols)
            FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu: %zu columns, expected %zu", path, lineno, nc, n_cols);
        if (!grow_reserve(&gx, n_in) || !grow_reserve(&gy, n_targets ? n_targets : 1))
            FAIL(BP_STATUS_OUT_OF_MEMORY, "%s line %zu: no memory for the data", path, lineno);
        float *xr = (float *)gx.p + gx.n;
        size_t xi = 0;
        // A bad cell in the first row, when the header was to be detected:
        // say why the row was not taken for a header.
        const char *why = header == -1 && n_rows == 0
                              ? " (the first line is read as data: a header has no number in it)"
                              : "";
        for (size_t c = 0; c < n_cols; c++) {
            double v;
            if (!parse_number(cells[c], &v)) {
                if (!cells[c][0])
                    FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: empty cell%s", path, lineno,
                         c + 1, why);
                FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: '%.40s' is not a number%s", path,
                     lineno, c + 1, cells[c], why);
            }
            if (!isfinite(v))
                FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: '%.40s' is not a finite number",
                     path, lineno, c + 1, cells[c]);
            if (fabs(v) > FLT_MAX)
                FAIL(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: '%.40s' is out of float range",
                     path, lineno, c + 1, cells[c]);
            if (n_targets == 0 && c == lab) {
                if (!(v >= 0.0) || v != floor(v) || v > (double)CSV_MAX_LABEL)
                    FAIL(BP_STATUS_FORMAT_ERROR,
                         "%s line %zu, column %zu: label '%.40s' is not an integer in [0, %d] "
                         "(at most %u classes)",
                         path, lineno, c + 1, cells[c], (int)CSV_MAX_LABEL, BP_MAX_CLASSES);
                int32_t y = (int32_t)v;
                ((int32_t *)gy.p)[gy.n] = y;
                if (y > max_label) {
                    max_label = y;
                    max_label_line = lineno;
                }
            } else if (n_targets && c >= n_in) {
                ((float *)gy.p)[gy.n + (c - n_in)] = (float)v;
            } else {
                xr[xi++] = (float)v;
            }
        }
        gx.n += n_in;
        gy.n += n_targets ? n_targets : 1;
        n_rows++;
    }
    if (ferror(f)) FAIL(BP_STATUS_IO_ERROR, "%s: read error: %s", path, strerror(errno ? errno : EIO));
    if (n_rows == 0)
        FAIL(BP_STATUS_FORMAT_ERROR, "%s: no data rows%s", path, first ? " (the file is empty)" : "");
    uint32_t n_classes = 0;
    if (!n_targets) n_classes = max_label < 1 ? 2 : (uint32_t)max_label + 1;
    if (n_classes > CSV_FREE_CLASSES && (uint64_t)max_label > (uint64_t)CSV_CLASSES_PER_ROW * n_rows)
        FAIL(BP_STATUS_FORMAT_ERROR,
             "%s line %zu: label %d would make %u classes, but %zu rows justify labels up to %llu "
             "(%u per row; labels below %u are always accepted)",
             path, max_label_line, (int)max_label, n_classes, n_rows,
             (unsigned long long)CSV_CLASSES_PER_ROW * n_rows, CSV_CLASSES_PER_ROW, CSV_FREE_CLASSES);
    st = bp_dataset_alloc(out, n_rows, n_in, n_classes, n_targets);
    if (st != BP_STATUS_OK) goto done;
    memcpy(out->x_mem, gx.p, gx.n * sizeof(float));
    if (n_targets) memcpy(out->targets_mem, gy.p, gy.n * sizeof(float));
    else memcpy(out->labels_mem, gy.p, gy.n * sizeof(int32_t));
#undef FAIL
done:
    bp_free(line);
    bp_free(cells);
    bp_free(gx.p);
    bp_free(gy.p);
    fclose(f);
    if (st != BP_STATUS_OK) bp_dataset_free(out);
    return st;
}
