// SPDX-License-Identifier: MIT
// --data / --test: built-in data sets, IDX directories, IDX files, CSV files.
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

// Debian's dataset-fashion-mnist package.
#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

static const char *const builtins[] = {"and", "or", "xor", "spirals"};

const char *cli_data_resolve(const char *spec) {
    if (strcasecmp(spec, "fashion-mnist") == 0 || strcasecmp(spec, "fashion_mnist") == 0 ||
        strcasecmp(spec, "fashionmnist") == 0)
        return FASHION_MNIST_DIR;
    return spec;
}

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

// Find "<dir>/<which>-<kind>" with or without .gz (and the dotted
// "<which>-images.idx3-ubyte" spelling some mirrors use).
static int idx_find(const char *dir, const char *which, const char *kind, char *out, size_t len) {
    static const char *const seps[] = {"-", "."};
    static const char *const exts[] = {"", ".gz"};
    const char *tail = strcmp(kind, "images") == 0 ? "idx3-ubyte" : "idx1-ubyte";
    for (size_t s = 0; s < 2; s++)
        for (size_t e = 0; e < 2; e++) {
            int k = snprintf(out, len, "%s/%s-%s%s%s%s", dir, which, kind, seps[s], tail, exts[e]);
            if (k > 0 && (size_t)k < len && is_file(out)) return 1;
        }
    return 0;
}

int cli_idx_has(const char *dir, const char *which) {
    char a[4096], b[4096];
    return idx_find(dir, which, "images", a, sizeof a) && idx_find(dir, which, "labels", b, sizeof b);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

// A file in path's directory whose name is close to path's (a typo:
// "trian.csv" for "train.csv"), as the path to give; NULL when none is.
static const char *near_file(const char *path, char *buf, size_t len) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    const char *base = slash ? slash + 1 : path;
    DIR *d = opendir(dir);
    if (!d || !*base) {
        if (d) closedir(d);
        return NULL;
    }
    enum { MAX_NAMES = 512 }; // a large directory: the first entries only
    char *names[MAX_NAMES];
    size_t n = 0;
    for (struct dirent *e; n < MAX_NAMES && (e = readdir(d));)
        if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name))) n++;
    closedir(d);
    const char *hint = cli_closest(base, (const char *const *)names, n);
    if (hint) snprintf(buf, len, "%.*s%s", slash ? (int)(slash - path) + 1 : 0, path, hint);
    for (size_t i = 0; i < n; i++) free(names[i]);
    return hint ? buf : NULL;
}

const char *cli_file_hint(const char *path, char *buf, size_t len) {
    struct stat sb;
    char near[4096];
    if (!path || strcmp(path, "-") == 0 || stat(path, &sb) == 0 || errno != ENOENT ||
        !near_file(path, near, sizeof near))
        return "";
    snprintf(buf, len, "; did you mean '%s'?", near);
    return buf;
}

long cli_text_column(const char *msg) {
    if (!strstr(msg, "is not a number") || strstr(msg, "decimal comma")) return -1;
    for (const char *p = strstr(msg, ", column "); p; p = strstr(p + 1, ", column ")) {
        unsigned long col;
        int end = 0;
        if (sscanf(p, ", column %lu: '%n", &col, &end) == 1 && end > 0 && col >= 1) return (long)col - 1;
    }
    return -1;
}

static int load_csv(const char *opt, const char *path, const cli_data_opts *o, cli_data *out) {
    bp_csv_options co = bp_csv_options_default();
    co.label_col = o->label_col;
    co.header = o->header;
    co.n_targets = o->n_targets;
    co.delimiter = o->delimiter;
    co.drop_col = o->id_col >= 0 ? o->id_col : BP_CSV_NO_LABEL;
    co.class_names = o->class_names;
    co.n_class_names = o->n_class_names;
    if (bp_data_read_csv(path, &co, &out->set) != BP_STATUS_OK) {
        long col = cli_text_column(bp_last_error());
        if (col >= 0 && o->n_targets == 0)
            cli_error("%s: %s (a text column: the label? --label-col %ld; an id? skip it with --id-col %ld)", opt,
                      bp_last_error(), col, col);
        else cli_error("%s: %s", opt, bp_last_error());
        return 0;
    }
    out->kind = CLI_DATA_CSV;
    if (out->set.class_names) {
        out->class_names = (const char *const *)out->set.class_names;
        out->n_class_names = out->set.d.n_classes;
    }
    snprintf(out->source, sizeof out->source, "%s", strcmp(path, "-") == 0 ? "(stdin)" : path);
    snprintf(out->name, sizeof out->name, "%s", strcmp(path, "-") == 0 ? "stdin" : base_name(path));
    return 1;
}

// Fashion-MNIST's classes, by label (from the data set's documentation).
static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

// Give an IDX data set Fashion-MNIST's names when its path says it is one
// (the labels carry no names, and MNIST digits are named by their numbers).
static void name_fashion(const char *path, cli_data *out) {
    int found = 0;
    for (const char *p = path; *p && !found; p++) {
        size_t k = 0;
        while (k < 7 && p[k] && tolower((unsigned char)p[k]) == "fashion"[k]) k++;
        found = k == 7;
    }
    if (found && out->set.d.n_classes == 10) {
        out->class_names = fashion_names;
        out->n_class_names = 10;
    }
}

int cli_data_load(const char *opt, const char *spec, const char *which, const cli_data_opts *o,
                  cli_data *out) {
    memset(out, 0, sizeof *out);
    bp_status st;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (strcasecmp(spec, builtins[i]) != 0) continue;
        st = bp_data_builtin(builtins[i], o->samples, &out->set);
        if (st != BP_STATUS_OK) {
            cli_error("%s: %s", opt, bp_last_error());
            return 0;
        }
        out->kind = CLI_DATA_BUILTIN;
        snprintf(out->name, sizeof out->name, "%s", builtins[i]);
        snprintf(out->source, sizeof out->source, "%s", builtins[i]);
        return 1;
    }
    if (strcmp(spec, "-") == 0) return load_csv(opt, "-", o, out);
    const char *path = cli_data_resolve(spec);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (path != spec)
            cli_error("%s: %s: %s (install Debian's dataset-fashion-mnist package)", opt, path, strerror(errno));
        else {
            // A name without a path or an extension is likely a mistyped
            // built-in; else a file in the same directory may be meant.
            static const char *const names[] = {"and", "or", "xor", "spirals", "fashion-mnist"};
            char near[4096];
            const char *hint = strchr(spec, '/') || strchr(spec, '.') ? near_file(spec, near, sizeof near)
                                                                      : cli_closest(spec, names, 5);
            if (hint)
                cli_error("%s: '%s': %s; did you mean '%s'? (expected and, or, xor, spirals, fashion-mnist, "
                          "a directory of IDX files or a CSV file)", opt, spec, strerror(errno), hint);
            else
                cli_error("%s: '%s': %s (expected and, or, xor, spirals, fashion-mnist, a directory of "
                          "IDX files or a CSV file)", opt, spec, strerror(errno));
        }
        return 0;
    }
    char images[4096], labels[4096];
    if (S_ISDIR(sb.st_mode)) {
        if (!idx_find(path, which, "images", images, sizeof images) ||
            !idx_find(path, which, "labels", labels, sizeof labels)) {
            cli_error("%s: directory '%s' holds no %s-images-idx3-ubyte[.gz] and "
                      "%s-labels-idx1-ubyte[.gz]", opt, path, which, which);
            return 0;
        }
        st = bp_data_load_idx(images, labels, &out->set);
        if (st != BP_STATUS_OK) {
            cli_error("%s: %s", opt, bp_last_error());
            return 0;
        }
        out->kind = CLI_DATA_IDX;
        name_fashion(path, out);
        snprintf(out->dir, sizeof out->dir, "%s", path);
        snprintf(out->source, sizeof out->source, "%s", images);
        snprintf(out->name, sizeof out->name, "%s", path != spec ? spec : base_name(path));
        return 1;
    }
    // An IDX images file named directly: its labels file sits beside it.
    const char *mark = strstr(base_name(path), "-images-idx3-ubyte");
    if (!mark) mark = strstr(base_name(path), "-images.idx3-ubyte");
    if (mark) {
        // "<prefix>-images-idx3-ubyte<ext>" -> "<prefix>-labels-idx1-ubyte<ext>".
        size_t pre = (size_t)(mark - path);
        if (snprintf(labels, sizeof labels, "%.*s-labels%cidx1-ubyte%s", (int)pre, path, mark[7],
                     mark + strlen("-images-idx3-ubyte")) >= (int)sizeof labels) {
            cli_error("%s: path too long", opt);
            return 0;
        }
        st = bp_data_load_idx(path, labels, &out->set);
        if (st != BP_STATUS_OK) {
            cli_error("%s: %s", opt, bp_last_error());
            return 0;
        }
        out->kind = CLI_DATA_IDX;
        name_fashion(path, out);
        snprintf(out->source, sizeof out->source, "%s", path);
        snprintf(out->name, sizeof out->name, "%s", base_name(path));
        return 1;
    }
    return load_csv(opt, path, o, out);
}

void cli_data_describe(const bp_data *d, char *buf, size_t len) {
    uint32_t k = d->n_classes ? d->n_classes : d->n_targets;
    snprintf(buf, len, "%zu row%s, %u feature%s, %u %s%s", d->n, d->n == 1 ? "" : "s", d->n_in,
             d->n_in == 1 ? "" : "s", k, d->n_classes ? "class" : "target",
             k == 1 ? "" : d->n_classes ? "es" : "s");
}

int cli_delimiter(const char *opt, const char *s, char *out) {
    if (!s) return 1;
    if (strcmp(s, ",") == 0 || strcasecmp(s, "comma") == 0) *out = ',';
    else if (strcmp(s, ";") == 0 || strcasecmp(s, "semicolon") == 0) *out = ';';
    else if (strcmp(s, "\t") == 0 || strcmp(s, "\\t") == 0 || strcasecmp(s, "tab") == 0) *out = '\t';
    else if (strcasecmp(s, "auto") == 0) *out = 0;
    else {
        cli_error("%s: '%s' is not one of ',', ';', tab, auto", opt, s);
        return 0;
    }
    return 1;
}
