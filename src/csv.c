// SPDX-License-Identifier: MIT
// The one CSV reader: data sets (bp_data_read_csv, and bp_data_load_csv on
// top of it) and tables of numbers (bp_csv_read_table) share the line
// reader, the delimiter detection, the cell splitter and the header rule
// below. The rules are in backprop.h; besides them:
// - Lines are at most CSV_MAX_LINE bytes; a longer line or a NUL byte is
//   refused as soon as it is read, so an endless or binary input
//   (/dev/zero) fails at once.
// - An input is at most CSV_MAX_LINES lines and CSV_MAX_BYTES bytes, so an
//   endless stream of short valid lines (`yes 1,2,0 | backprop train
//   --data -`) fails once it passes them instead of growing until memory
//   runs out.
// - A header (when detected) has at least one non-empty cell and none that
//   parses as a number: a first line mixing numbers and text ("1,,0") is a
//   corrupt data row, and its bad cell is reported as such.
// - Numeric labels are bounded: see CSV_FREE_CLASSES below.
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "bp_internal.h"

// Longest line accepted: a longer line (or a NUL byte) is refused as soon
// as it is read, so an endless or binary input fails at once.
#define CSV_MAX_LINE ((size_t)1 << 30)
// Longest input: 2^26 lines (67 M: Fashion-MNIST's training set is 60000)
// and 4 GiB. What they let a data set hold: a short row ("1,2,0": two
// floats and a label, with the label's text, offset and line number kept
// until the classes are known) costs about 30 bytes while it is read, so
// 2^26 of them about 2 GB, and 4 GiB of numbers at 2 bytes a cell ("1,")
// 8 GiB of floats (16 GiB of doubles for bp_csv_read_table).
#define CSV_MAX_LINES ((size_t)1 << 26)
#define CSV_MAX_BYTES ((uint64_t)1 << 32)
static size_t csv_max_lines = CSV_MAX_LINES;
static uint64_t csv_max_bytes = CSV_MAX_BYTES;

void bp_csv_set_limits(size_t max_lines, uint64_t max_bytes) {
    csv_max_lines = max_lines ? max_lines : CSV_MAX_LINES;
    csv_max_bytes = max_bytes ? max_bytes : CSV_MAX_BYTES;
}
// Largest class number a numeric label may give.
#define CSV_MAX_LABEL ((int32_t)BP_MAX_CLASSES - 1)
// The class count is bounded by what the rows can justify: numeric labels
// below CSV_FREE_CLASSES are always accepted; a larger largest label must
// not exceed CSV_CLASSES_PER_ROW x the number of rows.
#define CSV_FREE_CLASSES 256u
#define CSV_CLASSES_PER_ROW 16u

typedef struct grow {
    void *p;
    size_t n, cap, elem; // n and cap in elements
} grow;

// Room for `extra` more elements (amortised doubling, overflow-checked).
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

// Append a NUL-terminated copy of s to a char buffer; its offset in *at.
static int grow_str(grow *g, const char *s, size_t *at) {
    size_t len = strlen(s) + 1;
    if (!grow_reserve(g, len)) return 0;
    *at = g->n;
    memcpy((char *)g->p + g->n, s, len);
    g->n += len;
    return 1;
}

// ---- reading lines and cells --------------------------------------------------

typedef struct csv_in {
    FILE *f;
    const char *name; // for messages: the path, or "(stdin)"
    char *line;
    size_t cap, lineno;
    uint64_t bytes; // read so far (CSV_MAX_BYTES)
    char delim; // 0 until the first line decides it
    char **cells;
    size_t cells_cap;
} csv_in;

static bp_status csv_open(csv_in *r, const char *path, char delim) {
    memset(r, 0, sizeof *r);
    if (delim != 0 && delim != ',' && delim != ';' && delim != '\t')
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "CSV delimiter '%c' (expected ',', ';' or tab)", delim);
    r->delim = delim;
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
        r->name = "(stdin)";
        return BP_STATUS_OK;
    }
    r->name = path;
    r->f = fopen(path, "rb");
    if (!r->f) return bp_fail(BP_STATUS_IO_ERROR, "%s: cannot open: %s", path, strerror(errno));
    return BP_STATUS_OK;
}

static void csv_close(csv_in *r) {
    if (r->f && r->f != stdin) fclose(r->f);
    bp_free(r->line);
    bp_free(r->cells);
    r->f = NULL;
}

// One line without its \n (and \r) into r->line; -1 at the end of input.
static bp_status read_line(csv_in *r, ssize_t *len_out) {
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
        if (c == '\0')
            return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: contains a NUL byte (not a text file?)", r->name,
                           r->lineno + 1);
        if (n + 1 >= r->cap) {
            if (r->cap >= CSV_MAX_LINE)
                return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: longer than %zu bytes (not a CSV file?)",
                               r->name, r->lineno + 1, CSV_MAX_LINE);
            size_t ncap = r->cap ? 2 * r->cap : 4096;
            char *q = bp_alloc(ncap, 1); // not realloc: every allocation is counted and hookable
            if (!q) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s line %zu: no memory for the line", r->name, r->lineno + 1);
            if (n) memcpy(q, r->line, n);
            bp_free(r->line);
            r->line = q;
            r->cap = ncap;
        }
        r->line[n++] = (char)c;
    }
    if (ferror(r->f)) return bp_fail(BP_STATUS_IO_ERROR, "%s: read error: %s", r->name, strerror(errno ? errno : EIO));
    if (c == EOF && n == 0) {
        *len_out = -1;
        return BP_STATUS_OK;
    }
    if (!r->line) {
        r->line = bp_alloc(1, 1);
        if (!r->line) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r->name);
        r->cap = 1;
    }
    r->bytes += n + (c != EOF);
    if (r->bytes > csv_max_bytes)
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: more than %llu bytes of input (the CSV limit)",
                       r->name, r->lineno + 1, (unsigned long long)csv_max_bytes);
    if (r->lineno >= csv_max_lines)
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: more than %zu lines (the CSV limit)", r->name,
                       csv_max_lines);
    while (n > 0 && r->line[n - 1] == '\r') n--;
    r->line[n] = '\0';
    r->lineno++;
    *len_out = (ssize_t)n;
    return BP_STATUS_OK;
}

static int is_blank(char c, char delim) { return (c == ' ' || c == '\t') && c != delim; }

// The delimiter a first line uses: the most frequent of ',', ';' and tab
// outside quotes (',' when none, or on a tie).
static char detect_delimiter(const char *s) {
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;
    for (; *s; s++) {
        if (*s == '"') quoted = !quoted;
        else if (!quoted) comma += *s == ',', semi += *s == ';', tab += *s == '\t';
    }
    if (semi > comma && semi >= tab) return ';';
    if (tab > comma && tab > semi) return '\t';
    return ',';
}

// Split s in place into r->cells; *n = the count.
static bp_status split_cells(csv_in *r, char *s, size_t *n) {
    char d = r->delim;
    size_t k = 0;
    for (;;) {
        while (is_blank(*s, d)) s++;
        char *cell = s, *end, *next;
        if (*s == '"') { // quoted: "" is a quote; the delimiter is text inside
            char *w = s, *p = s + 1;
            for (;;) {
                if (!*p)
                    return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: a quote is not closed", r->name,
                                   r->lineno, k + 1);
                if (*p == '"') {
                    if (p[1] != '"') break;
                    p++;
                }
                *w++ = *p++;
            }
            end = w;
            p++;
            while (is_blank(*p, d)) p++;
            if (*p && *p != d)
                return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: text after the closing quote",
                               r->name, r->lineno, k + 1);
            next = *p ? p + 1 : NULL;
        } else {
            char *at = strchr(s, d);
            end = at ? at : s + strlen(s);
            next = at ? at + 1 : NULL;
            while (end > s && is_blank(end[-1], d)) end--;
        }
        *end = '\0';
        if (k == r->cells_cap) {
            size_t ncap = r->cells_cap ? 2 * r->cells_cap : 64;
            char **q = bp_alloc(ncap, sizeof *q);
            if (!q) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r->name);
            if (k) memcpy(q, r->cells, k * sizeof *q);
            bp_free(r->cells);
            r->cells = q;
            r->cells_cap = ncap;
        }
        r->cells[k++] = cell;
        if (!next) break;
        s = next;
    }
    *n = k;
    return BP_STATUS_OK;
}

// The next non-blank line, split: *n cells (0 at the end of input). The
// first line decides an undetected delimiter.
static bp_status csv_next(csv_in *r, size_t *n) {
    for (;;) {
        ssize_t len = -1;
        bp_status st = read_line(r, &len);
        if (st != BP_STATUS_OK) return st;
        if (len < 0) {
            *n = 0;
            return BP_STATUS_OK;
        }
        char *s = r->line;
        if (r->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3;
        const char *t = s;
        while (*t == ' ' || *t == '\t') t++;
        if (!*t) continue; // blank line
        if (!r->delim) r->delim = detect_delimiter(s);
        return split_cells(r, s, n);
    }
}

// Parse a whole cell as a number (strtod syntax); 0 if it is not one.
static int parse_number(const char *s, double *v) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

// A header line: at least one non-empty cell, and no cell that is a number.
static int looks_like_header(char **cells, size_t n) {
    int text = 0;
    for (size_t c = 0; c < n; c++) {
        double v;
        if (!cells[c][0]) continue;
        if (parse_number(cells[c], &v)) return 0;
        text = 1;
    }
    return text;
}

// The message for a cell that should be a finite float.
// why: "" or why the row was not taken for a header.
static bp_status bad_number(const csv_in *r, size_t col, const char *cell, double v, int parsed, const char *why) {
    if (!cell[0])
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: empty cell%s", r->name, r->lineno, col + 1, why);
    if (!parsed) {
        // A decimal comma in a ';' file ("1,5") is the usual culprit.
        if (r->delim == ';' && strchr(cell, ','))
            return bp_fail(BP_STATUS_FORMAT_ERROR,
                           "%s line %zu, column %zu: '%.40s' is not a number (decimal commas are not read: "
                           "write 1.5, not 1,5)", r->name, r->lineno, col + 1, cell);
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: '%.40s' is not a number%s", r->name,
                       r->lineno, col + 1, cell, why);
    }
    if (!isfinite(v))
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: '%.40s' is not a finite number", r->name,
                       r->lineno, col + 1, cell);
    return bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: '%.40s' is out of float range", r->name,
                   r->lineno, col + 1, cell);
}

// "1 column" on a first line: name the delimiter in use and what to try.
static bp_status one_column(const csv_in *r, const char *need) {
    const char *d = r->delim == '\t' ? "tab" : r->delim == ';' ? "';'" : "','";
    return bp_fail(BP_STATUS_FORMAT_ERROR,
                   "%s line %zu: 1 column with the delimiter %s; a data set needs features and %s "
                   "(the delimiter is detected among ',', ';' and tab, or set with --delimiter)",
                   r->name, r->lineno, d, need);
}

// ---- data sets -----------------------------------------------------------------

bp_csv_options bp_csv_options_default(void) {
    bp_csv_options o;
    memset(&o, 0, sizeof o);
    o.label_col = -1;
    o.header = -1;
    o.id_col = -1;
    o.drop_col = BP_CSV_NO_LABEL;
    return o;
}

enum { ROLE_X, ROLE_LABEL, ROLE_TARGET, ROLE_ID, ROLE_DROP };

// n strings at offsets `at` in `chars` as one block: n pointers, then the text.
static char **string_block(const char *chars, const size_t *at, size_t n) {
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += strlen(chars + at[i]) + 1;
    char **p = bp_alloc(1, n * sizeof(char *) + bytes);
    if (!p) return NULL;
    char *w = (char *)(p + n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(chars + at[i]) + 1;
        memcpy(w, chars + at[i], len);
        p[i] = w;
        w += len;
    }
    return p;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

typedef struct named {
    const char *name;
    size_t index;
} named;

static int cmp_named(const void *a, const void *b) { return strcmp(((const named *)a)->name, ((const named *)b)->name); }

// Labels (one text per row at offsets lab_at in lab_chars) to class numbers.
static bp_status map_labels(const csv_in *r, const bp_csv_options *o, size_t lab_col, const char *lab_chars,
                            const size_t *lab_at, const size_t *lab_line, size_t n, bp_dataset *out, int32_t *labels,
                            uint32_t *n_classes) {
    bp_status st = BP_STATUS_OK;
    if (o->class_names) {
        // The given names, sorted for lookup; a miss may still be a number.
        named *by = bp_alloc(o->n_class_names, sizeof *by);
        if (!by) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r->name);
        for (size_t i = 0; i < o->n_class_names; i++) by[i] = (named){o->class_names[i], i};
        qsort(by, o->n_class_names, sizeof *by, cmp_named);
        for (size_t i = 0; i < n && st == BP_STATUS_OK; i++) {
            named key = {lab_chars + lab_at[i], 0};
            const named *hit = bsearch(&key, by, o->n_class_names, sizeof *by, cmp_named);
            double v;
            if (hit) labels[i] = (int32_t)hit->index;
            else if (parse_number(key.name, &v) && v >= 0 && v == floor(v) && v < (double)o->n_class_names)
                labels[i] = (int32_t)v;
            else
                st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: label '%.40s' is none of the model's %zu classes "
                             "('%s', ...)", r->name, lab_line[i], key.name, o->n_class_names, o->class_names[0]);
        }
        bp_free(by);
        if (st != BP_STATUS_OK) return st;
        *n_classes = (uint32_t)(o->n_class_names < 2 ? 2 : o->n_class_names);
        size_t *at = bp_alloc(o->n_class_names, sizeof *at);
        grow g = {NULL, 0, 0, 1};
        int ok = at != NULL;
        for (size_t i = 0; ok && i < o->n_class_names; i++) ok = grow_str(&g, o->class_names[i], &at[i]);
        if (ok) out->class_names = string_block(g.p, at, o->n_class_names);
        bp_free(at);
        bp_free(g.p);
        return out->class_names ? BP_STATUS_OK : bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r->name);
    }
    // Numbers when every label is a number; they must then be class
    // numbers (a stray "1.5" among integers is an error, not a new class).
    int numeric = 1;
    for (size_t i = 0; i < n && numeric; i++) {
        double v;
        numeric = parse_number(lab_chars + lab_at[i], &v);
    }
    if (numeric) {
        int32_t max_label = 0;
        size_t max_line = 0;
        for (size_t i = 0; i < n; i++) {
            double v = 0.0;
            const char *s = lab_chars + lab_at[i];
            parse_number(s, &v);
            if (!(v >= 0.0) || v != floor(v) || v > (double)CSV_MAX_LABEL)
                return bp_fail(BP_STATUS_FORMAT_ERROR,
                               "%s line %zu, column %zu: label '%.40s' is not an integer in [0, %d] (at most %u classes)",
                               r->name, lab_line[i], lab_col + 1, s, (int)CSV_MAX_LABEL, BP_MAX_CLASSES);
            labels[i] = (int32_t)v;
            if (labels[i] > max_label) max_label = labels[i], max_line = lab_line[i];
        }
        *n_classes = max_label < 1 ? 2 : (uint32_t)max_label + 1;
        if (*n_classes > CSV_FREE_CLASSES && (uint64_t)max_label > (uint64_t)CSV_CLASSES_PER_ROW * n)
            return bp_fail(BP_STATUS_FORMAT_ERROR,
                           "%s line %zu: label %d would make %u classes, but %zu rows justify labels up to %llu "
                           "(%u per row; labels below %u are always accepted)",
                           r->name, max_line, (int)max_label, *n_classes, n,
                           (unsigned long long)CSV_CLASSES_PER_ROW * n, CSV_CLASSES_PER_ROW, CSV_FREE_CLASSES);
        return BP_STATUS_OK;
    }
    // Names: the distinct texts in sorted order.
    const char **sorted = bp_alloc(n, sizeof *sorted);
    if (!sorted) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r->name);
    for (size_t i = 0; i < n; i++) sorted[i] = lab_chars + lab_at[i];
    qsort(sorted, n, sizeof *sorted, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || strcmp(sorted[i], sorted[k - 1]) != 0) sorted[k++] = sorted[i];
    for (size_t i = 0; i < k; i++) {
        size_t len = strlen(sorted[i]);
        if (len == 0 || len > BP_MAX_CLASS_NAME) {
            bp_free(sorted);
            return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: a label is %s (class names are 1 to %d bytes)", r->name,
                           len ? "too long" : "empty", BP_MAX_CLASS_NAME);
        }
    }
    if (k > BP_MAX_CLASSES) {
        bp_free(sorted);
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %zu distinct labels (at most %u classes)", r->name, k, BP_MAX_CLASSES);
    }
    for (size_t i = 0; i < n; i++) {
        const char *key = lab_chars + lab_at[i];
        const char **hit = bsearch(&key, sorted, k, sizeof *sorted, cmp_str);
        labels[i] = (int32_t)(hit - sorted);
    }
    size_t *at = bp_alloc(k, sizeof *at);
    if (at)
        for (size_t i = 0; i < k; i++) at[i] = (size_t)(sorted[i] - lab_chars);
    out->class_names = at ? string_block(lab_chars, at, k) : NULL;
    bp_free(at);
    bp_free(sorted);
    *n_classes = k < 2 ? 2 : (uint32_t)k;
    if (!out->class_names) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r->name);
    if (k < 2) { // one class seen: name a second so the names match n_classes
        bp_free(out->class_names);
        out->class_names = NULL;
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: every row has the label '%.40s': a classifier needs two classes",
                       r->name, lab_chars + lab_at[0]);
    }
    return BP_STATUS_OK;
}

bp_status bp_data_read_csv(const char *path, const bp_csv_options *opt, bp_dataset *out) {
    if (!path || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_read_csv: NULL argument");
    memset(out, 0, sizeof *out);
    bp_csv_options o = opt ? *opt : bp_csv_options_default();
    if (o.header < -1 || o.header > 1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "CSV header %d (expected 1, 0 or -1)", o.header);
    int want_label = o.n_targets == 0 && o.label_col != BP_CSV_NO_LABEL;
    if (want_label && o.label_col < -1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "label column %d (expected >= 0, or -1 for the last)", o.label_col);
    if (o.drop_col < BP_CSV_NO_LABEL)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "dropped column %d (expected >= 0, or -1 for the last)", o.drop_col);
    if (o.id_col < -1) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "id column %d (expected >= 0, or -1 for none)", o.id_col);
    if (o.class_names && o.n_class_names == 0)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "class_names given with n_class_names 0");
    csv_in r;
    bp_status st = csv_open(&r, path, o.delimiter);
    if (st != BP_STATUS_OK) return st;
    unsigned char *role = NULL;
    size_t n_cols = 0, n_rows = 0, n, lab_col = 0;
    uint32_t n_in = 0;
    grow gx = {NULL, 0, 0, sizeof(float)}, gt = {NULL, 0, 0, sizeof(float)};
    grow lab_chars = {NULL, 0, 0, 1}, lab_at = {NULL, 0, 0, sizeof(size_t)}, lab_line = {NULL, 0, 0, sizeof(size_t)};
    grow id_chars = {NULL, 0, 0, 1}, id_at = {NULL, 0, 0, sizeof(size_t)};
    int32_t *labels = NULL;
    int had_header = 0;
#define FAIL(...)                                                                                \
    do {                                                                                         \
        st = __VA_ARGS__;                                                                        \
        goto done;                                                                               \
    } while (0)
    for (int first = 1;; first = 0) {
        st = csv_next(&r, &n);
        if (st != BP_STATUS_OK) goto done;
        if (n == 0) break;
        if (first) {
            // The first line fixes the shape and the columns' roles.
            n_cols = n;
            size_t need = 1 + (o.id_col >= 0) + (o.drop_col != BP_CSV_NO_LABEL) + (want_label || o.n_targets ? 1 : 0);
            if (n_cols < need) {
                if (n_cols == 1)
                    FAIL(one_column(&r, o.n_targets ? "targets" : want_label ? "a label" : "an id"));
                FAIL(bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: %zu columns; features%s%s need %zu", r.name,
                             r.lineno, n_cols, o.id_col >= 0 ? ", an id" : "",
                             o.n_targets ? " and targets" : want_label ? " and a label" : "", need));
            }
            if (n_cols > (size_t)BP_MAX_WIDTH)
                FAIL(bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: %zu columns (at most %u)", r.name, r.lineno, n_cols,
                             BP_MAX_WIDTH));
            role = bp_alloc(n_cols, 1);
            if (!role) FAIL(bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name));
            if (o.id_col >= 0) {
                if ((size_t)o.id_col >= n_cols)
                    FAIL(bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: id column %d, but the file has %zu columns (0 to %zu)",
                                 r.name, o.id_col, n_cols, n_cols - 1));
                role[o.id_col] = ROLE_ID;
            }
            if (o.drop_col != BP_CSV_NO_LABEL) {
                size_t dc = o.drop_col < 0 ? n_cols - 1 : (size_t)o.drop_col;
                if (dc >= n_cols)
                    FAIL(bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: column %d to drop: the file has %zu columns (0 to %zu)",
                                 r.name, o.drop_col, n_cols, n_cols - 1));
                if (role[dc] == ROLE_ID) // -1 named as the column it is
                    FAIL(bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: column %zu to drop%s is the id column", r.name, dc,
                                 o.drop_col < 0 ? " (the last)" : ""));
                role[dc] = ROLE_DROP;
            }
            if (o.n_targets) {
                size_t left = o.n_targets;
                for (size_t c = n_cols; c-- > 0 && left;)
                    if (role[c] == ROLE_X) role[c] = ROLE_TARGET, left--;
                if (left || o.n_targets >= n_cols - (o.id_col >= 0) - (o.drop_col != BP_CSV_NO_LABEL))
                    FAIL(bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %u target columns leave no feature among its %zu columns",
                                 r.name, o.n_targets, n_cols));
            } else if (want_label) {
                size_t lab = o.label_col < 0 ? n_cols - 1 : (size_t)o.label_col;
                if (o.label_col >= 0 && lab >= n_cols)
                    FAIL(bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: label column %d, but the file has %zu columns (0 to %zu)",
                                 r.name, o.label_col, n_cols, n_cols - 1));
                if (role[lab] != ROLE_X)
                    FAIL(bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: column %zu is both the label and the id or dropped column",
                                 r.name, lab));
                role[lab] = ROLE_LABEL;
                lab_col = lab;
            }
            for (size_t c = 0; c < n_cols; c++) n_in += role[c] == ROLE_X;
            had_header = o.header == 1 || (o.header == -1 && looks_like_header(r.cells, n));
            if (had_header) continue;
        }
        if (n != n_cols)
            FAIL(bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: %zu columns, expected %zu", r.name, r.lineno, n, n_cols));
        if (!grow_reserve(&gx, n_in) || !grow_reserve(&gt, o.n_targets) || !grow_reserve(&lab_at, 1) ||
            !grow_reserve(&lab_line, 1) || !grow_reserve(&id_at, 1))
            FAIL(bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s line %zu: no memory for the data", r.name, r.lineno));
        for (size_t c = 0; c < n_cols; c++) {
            const char *cell = r.cells[c];
            if (role[c] == ROLE_LABEL) {
                if (!cell[0]) FAIL(bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu, column %zu: empty cell (a label is needed)", r.name, r.lineno, c + 1));
                size_t *at = (size_t *)lab_at.p + lab_at.n;
                if (!grow_str(&lab_chars, cell, at)) FAIL(bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name));
                ((size_t *)lab_line.p)[lab_line.n++] = r.lineno;
                lab_at.n++;
                continue;
            }
            if (role[c] == ROLE_DROP) continue;
            if (role[c] == ROLE_ID) {
                size_t *at = (size_t *)id_at.p + id_at.n;
                if (!grow_str(&id_chars, cell, at)) FAIL(bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name));
                id_at.n++;
                continue;
            }
            double v = 0.0;
            int parsed = parse_number(cell, &v);
            // A bad cell in the first row, when the header was to be
            // detected: say why the row was not taken for a header.
            const char *why = o.header == -1 && !had_header && n_rows == 0
                                  ? " (the first line is read as data: a header has no number in it)" : "";
            if (!parsed || !isfinite(v) || fabs(v) > FLT_MAX) FAIL(bad_number(&r, c, cell, v, parsed, why));
            if (role[c] == ROLE_X) ((float *)gx.p)[gx.n++] = (float)v;
            else ((float *)gt.p)[gt.n++] = (float)v;
        }
        n_rows++;
    }
    if (n_rows == 0)
        FAIL(bp_fail(BP_STATUS_FORMAT_ERROR, "%s: no data rows%s", r.name, n_cols ? "" : " (the file is empty)"));
    uint32_t n_classes = 0;
    if (want_label) {
        labels = bp_alloc(n_rows, sizeof *labels);
        if (!labels) FAIL(bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name));
        st = map_labels(&r, &o, lab_col, lab_chars.p, lab_at.p, lab_line.p, n_rows, out, labels, &n_classes);
        if (st != BP_STATUS_OK) goto done;
    }
    {
        char **names = out->class_names;
        out->class_names = NULL;
        st = bp_dataset_alloc(out, n_rows, n_in, n_classes, o.n_targets);
        out->class_names = names;
        if (st != BP_STATUS_OK) goto done;
    }
    out->had_header = had_header;
    memcpy(out->x_mem, gx.p, gx.n * sizeof(float));
    if (o.n_targets) memcpy(out->targets_mem, gt.p, gt.n * sizeof(float));
    if (want_label) memcpy(out->labels_mem, labels, n_rows * sizeof *labels);
    if (o.id_col >= 0) {
        out->ids = string_block(id_chars.p, id_at.p, n_rows);
        if (!out->ids) FAIL(bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name));
    }
#undef FAIL
done:
    csv_close(&r);
    bp_free(role);
    bp_free(gx.p);
    bp_free(gt.p);
    bp_free(lab_chars.p);
    bp_free(lab_at.p);
    bp_free(lab_line.p);
    bp_free(id_chars.p);
    bp_free(id_at.p);
    bp_free(labels);
    if (st != BP_STATUS_OK) bp_dataset_free(out);
    return st;
}

// ---- tables of numbers -----------------------------------------------------------

void bp_csv_table_free(bp_csv_table *t) {
    if (!t) return;
    bp_free(t->names);
    bp_free(t->values);
    memset(t, 0, sizeof *t);
}

bp_status bp_csv_read_table(const char *path, char delimiter, int header, bp_csv_table *out) {
    if (!path || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_csv_read_table: NULL argument");
    memset(out, 0, sizeof *out);
    if (header < -1 || header > 1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "CSV header %d (expected 1, 0 or -1)", header);
    csv_in r;
    bp_status st = csv_open(&r, path, delimiter);
    if (st != BP_STATUS_OK) return st;
    grow gv = {NULL, 0, 0, sizeof(double)}, names = {NULL, 0, 0, 1};
    size_t *name_at = NULL, n_cols = 0, n;
    for (int first = 1;; first = 0) {
        st = csv_next(&r, &n);
        if (st != BP_STATUS_OK || n == 0) break;
        if (first) {
            n_cols = n;
            if (header == 1 || (header == -1 && looks_like_header(r.cells, n))) {
                name_at = bp_alloc(n, sizeof *name_at);
                if (!name_at) {
                    st = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name);
                    break;
                }
                for (size_t c = 0; c < n && st == BP_STATUS_OK; c++)
                    if (!grow_str(&names, r.cells[c], &name_at[c])) st = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name);
                if (st != BP_STATUS_OK) break;
                continue;
            }
        }
        if (n != n_cols) {
            st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s line %zu: %zu columns, expected %zu", r.name, r.lineno, n, n_cols);
            break;
        }
        if (!grow_reserve(&gv, n_cols)) {
            st = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s line %zu: no memory", r.name, r.lineno);
            break;
        }
        for (size_t c = 0; c < n_cols && st == BP_STATUS_OK; c++) {
            double v = NAN;
            int parsed = 1;
            if (r.cells[c][0]) parsed = parse_number(r.cells[c], &v);
            if (!parsed || (r.cells[c][0] && !isfinite(v))) st = bad_number(&r, c, r.cells[c], v, parsed, "");
            ((double *)gv.p)[gv.n++] = v;
        }
        if (st != BP_STATUS_OK) break;
        out->n_rows++;
    }
    if (st == BP_STATUS_OK && out->n_rows == 0)
        st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: no data rows%s", r.name, n_cols ? "" : " (the file is empty)");
    if (st == BP_STATUS_OK) {
        out->n_cols = n_cols;
        out->values = gv.p;
        gv.p = NULL;
        if (name_at) {
            out->names = string_block(names.p, name_at, n_cols);
            if (!out->names) st = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", r.name);
        }
    }
    csv_close(&r);
    bp_free(gv.p);
    bp_free(names.p);
    bp_free(name_at);
    if (st != BP_STATUS_OK) bp_csv_table_free(out);
    return st;
}

bp_status bp_data_load_csv(const char *path, int label_col, int header, uint32_t n_targets, bp_dataset *out) {
    if (!path || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_load_csv: NULL argument");
    memset(out, 0, sizeof *out);
    if (header < -1 || header > 1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_load_csv: header %d (expected 1, 0 or -1)", header);
    if (n_targets == 0 && label_col < -1)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_load_csv: label column %d (expected >= 0, or -1 for the last)",
                       label_col);
    bp_csv_options o = bp_csv_options_default();
    o.label_col = label_col;
    o.header = header;
    o.n_targets = n_targets;
    return bp_data_read_csv(path, &o, out);
}
