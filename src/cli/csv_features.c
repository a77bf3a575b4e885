// SPDX-License-Identifier: MIT
// A features-only CSV reader for `backprop predict` (the library's loader
// always takes a label or target column). Same rules: comma-separated,
// \n or \r\n, blank lines skipped, optional header, every cell a finite
// number, every row as wide as the first; messages name line and column.
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli.h"

static int blank(char c) { return c == ' ' || c == '\t'; }

// Split s at commas into trimmed cells (quotes stripped); returns the count.
static size_t split(char *s, char **cells, size_t max) {
    size_t n = 0;
    for (;;) {
        char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s), *b = s;
        while (b < end && blank(*b)) b++;
        while (end > b && blank(end[-1])) end--;
        if (end - b >= 2 && *b == '"' && end[-1] == '"') {
            b++;
            end--;
        }
        *end = '\0';
        if (n < max) cells[n] = b;
        n++;
        if (!comma) return n;
        s = comma + 1;
    }
}

static int number(const char *s, double *v) {
    if (!*s) return 0;
    char *end;
    *v = strtod(s, &end);
    return *end == '\0';
}

int cli_csv_features(const char *path, int header, float **x_out, size_t *n_out, size_t *width_out,
                     int *had_header) {
    int from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return 0;
    }
    const char *name = from_stdin ? "(stdin)" : path;
    char *line = NULL, *copy = NULL, **cells = NULL;
    size_t cap = 0, lineno = 0, width = 0, n = 0, xcap = 0;
    float *x = NULL;
    int ok = 0, first = 1;
    *had_header = 0;
    for (;;) {
        errno = 0;
        ssize_t len = getline(&line, &cap, f);
        if (len < 0) break;
        lineno++;
        if (memchr(line, '\0', (size_t)len)) {
            cli_error("%s line %zu: contains a NUL byte (not a text file?)", name, lineno);
            goto done;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        char *s = line;
        if (lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3;
        const char *t = s;
        while (blank(*t)) t++;
        if (!*t) continue;
        if (first) {
            first = 0;
            width = 1;
            for (const char *p = s; *p; p++) width += *p == ',';
            cells = malloc(width * sizeof *cells);
            copy = malloc(strlen(s) + 1);
            if (!cells || !copy) {
                cli_error("%s: out of memory", name);
                goto done;
            }
            int skip = header == 1;
            if (header == -1) {
                strcpy(copy, s);
                split(copy, cells, width);
                for (size_t c = 0; c < width && !skip; c++) {
                    double v;
                    skip = !number(cells[c], &v);
                }
            }
            if (skip) {
                *had_header = 1;
                continue;
            }
        }
        size_t nc = split(s, cells, width);
        if (nc != width) {
            cli_error("%s line %zu: %zu columns, expected %zu", name, lineno, nc, width);
            goto done;
        }
        if (n == xcap) {
            size_t ncap = xcap ? 2 * xcap : 256;
            if (ncap > SIZE_MAX / sizeof(float) / width) {
                cli_error("%s: too many rows", name);
                goto done;
            }
            float *nx = realloc(x, ncap * width * sizeof(float));
            if (!nx) {
                cli_error("%s: out of memory at line %zu", name, lineno);
                goto done;
            }
            x = nx;
            xcap = ncap;
        }
        for (size_t c = 0; c < width; c++) {
            double v;
            if (!number(cells[c], &v)) {
                if (!cells[c][0]) cli_error("%s line %zu, column %zu: empty cell", name, lineno, c + 1);
                else cli_error("%s line %zu, column %zu: '%.40s' is not a number", name, lineno, c + 1, cells[c]);
                goto done;
            }
            if (!isfinite(v) || fabs(v) > FLT_MAX) {
                cli_error("%s line %zu, column %zu: '%.40s' is not a finite float", name, lineno, c + 1, cells[c]);
                goto done;
            }
            x[n * width + c] = (float)v;
        }
        n++;
    }
    if (ferror(f)) {
        cli_error("%s: read error: %s", name, strerror(errno ? errno : EIO));
        goto done;
    }
    if (n == 0) {
        cli_error("%s: no data rows", name);
        goto done;
    }
    ok = 1;
done:
    free(line);
    free(copy);
    free(cells);
    if (!from_stdin) fclose(f);
    if (!ok) {
        free(x);
        return 0;
    }
    *x_out = x;
    *n_out = n;
    *width_out = width;
    return 1;
}
