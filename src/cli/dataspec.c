// SPDX-License-Identifier: MIT
// --data / --test: built-in data sets, IDX directories, IDX files, CSV files.
#include <errno.h>
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
    const char *path = cli_data_resolve(spec);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (path != spec)
            cli_error("%s: %s: %s (install Debian's dataset-fashion-mnist package)", opt, path, strerror(errno));
        else {
            // A name without a path or an extension is likely a mistyped built-in.
            static const char *const names[] = {"and", "or", "xor", "spirals", "fashion-mnist"};
            const char *hint = strchr(spec, '/') || strchr(spec, '.') ? NULL : cli_closest(spec, names, 5);
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
        snprintf(out->source, sizeof out->source, "%s", path);
        snprintf(out->name, sizeof out->name, "%s", base_name(path));
        return 1;
    }
    st = bp_data_load_csv(path, o->label_col, o->header, o->n_targets, &out->set);
    if (st != BP_STATUS_OK) {
        cli_error("%s: %s", opt, bp_last_error());
        return 0;
    }
    out->kind = CLI_DATA_CSV;
    snprintf(out->source, sizeof out->source, "%s", path);
    snprintf(out->name, sizeof out->name, "%s", base_name(path));
    return 1;
}

void cli_data_describe(const bp_data *d, char *buf, size_t len) {
    if (d->n_classes)
        snprintf(buf, len, "%zu rows, %u features, %u classes", d->n, d->n_in, d->n_classes);
    else
        snprintf(buf, len, "%zu rows, %u features, %u targets", d->n, d->n_in, d->n_targets);
}
