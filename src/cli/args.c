// SPDX-License-Identifier: MIT
// Command-line parsing: options, numbers and lists, each checked with a
// message that names the option and the bad value.
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"

const char *cli_prog = "backprop";
int cli_parse_only = 0;

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (cli_parse_only) { // still formatted: the fuzzer checks the arguments
        char line[1024];
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        return;
    }
    fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

// Edit distance (insert, delete, substitute, swap neighbours; case and
// '-'/'_' ignored). The library has its own for its names: the CLI uses the
// public API only.
static int edit_distance(const char *a, const char *b) {
    enum { M = 48 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= M || m >= M) return M;
    int d[M][M];
    char x[M], y[M];
    for (size_t i = 0; i < n; i++) x[i] = a[i] == '-' ? '_' : (char)tolower((unsigned char)a[i]);
    for (size_t j = 0; j < m; j++) y[j] = b[j] == '-' ? '_' : (char)tolower((unsigned char)b[j]);
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int v = d[i - 1][j - 1] + (x[i - 1] != y[j - 1]);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

const char *cli_closest(const char *word, const char *const *cands, size_t n) {
    const char *best = NULL;
    int best_d = 0;
    for (size_t i = 0; i < n; i++) {
        int d = edit_distance(word, cands[i]);
        if (!best || d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    if (!best) return NULL;
    // A typo changes a third of the letters at most (at least one), and not
    // everything that was typed.
    size_t len = strlen(best);
    int limit = len >= 6 ? (int)len / 3 : 1;
    return best_d <= limit && (size_t)best_d < strlen(word) ? best : NULL;
}

static const cli_opt *find_long(const cli_opt *opts, size_t n, const char *name, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
    return NULL;
}

int cli_parse(int argc, char **argv, const cli_opt *opts, size_t n_opts, const char **pos,
              size_t max_pos, size_t *n_pos, int *help) {
    *n_pos = 0;
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') { // "-" alone is a positional (stdin/stdout)
            if (*n_pos >= max_pos) {
                cli_error("unexpected argument '%s'", a);
                return CLI_USAGE;
            }
            pos[(*n_pos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            *help = 1;
            continue;
        }
        const cli_opt *o = NULL;
        const char *inline_value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, n_opts, name, len);
            if (o && eq) inline_value = eq + 1;
        } else if (a[2] == '\0') {
            for (size_t k = 0; k < n_opts && !o; k++)
                if (opts[k].short_name == a[1]) o = &opts[k];
        }
        if (!o) {
            const char *names[128];
            size_t n = 0;
            for (size_t k = 0; k < n_opts && n < 127; k++) names[n++] = opts[k].name;
            names[n++] = "help";
            char word[64];
            const char *w = a + (a[1] == '-' ? 2 : 1);
            snprintf(word, sizeof word, "%.*s", (int)strcspn(w, "="), w);
            const char *hint = cli_closest(word, names, n);
            if (hint) cli_error("unknown option '%s'; did you mean '--%s'? (see '%s --help')", a, hint, cli_prog);
            else cli_error("unknown option '%s' (see '%s --help')", a, cli_prog);
            return CLI_USAGE;
        }
        if (o->kind == CLI_OPT_FLAG) {
            if (inline_value) {
                cli_error("option --%s takes no value", o->name);
                return CLI_USAGE;
            }
            *o->flag = 1;
            continue;
        }
        if (!inline_value) {
            // "--lr --batch 4": the next word is an option, not the value
            // (negative numbers like "-1" stay values).
            int next_is_opt = 0;
            if (i + 1 < argc) {
                const char *nx = argv[i + 1];
                if (nx[0] == '-' && nx[1] == '-' && nx[2]) next_is_opt = 1;
                for (size_t k = 0; k < n_opts && !next_is_opt; k++)
                    if (opts[k].short_name && nx[0] == '-' && nx[1] == opts[k].short_name && !nx[2])
                        next_is_opt = 1;
            }
            if (i + 1 >= argc || next_is_opt) {
                cli_error("option %s needs a value", a);
                return CLI_USAGE;
            }
            inline_value = argv[++i];
        }
        *o->value = inline_value;
    }
    return CLI_OK;
}

int cli_float(const char *opt, const char *s, double lo, double hi, int lo_open, double *out) {
    if (!s) return 1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') {
        cli_error("%s: '%s' is not a number", opt, s);
        return 0;
    }
    if (!isfinite(v)) {
        cli_error("%s: '%s' is not a finite number", opt, s);
        return 0;
    }
    if ((lo_open ? !(v > lo) : !(v >= lo)) || v > hi) {
        if (hi == HUGE_VAL)
            cli_error("%s: %s is out of range (expected a number %s %g)", opt, s, lo_open ? ">" : ">=", lo);
        else
            cli_error("%s: %s is out of range (expected a number in %s%g, %g])", opt, s,
                      lo_open ? "(" : "[", lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
    if (!s) return 1;
    const char *p = s;
    if (*p == '+') p++;
    if (*p < '0' || *p > '9') {
        if (*p == '-' && p[1] >= '0' && p[1] <= '9')
            cli_error("%s: %s is out of range (expected an integer from %llu to %llu)", opt, s,
                      (unsigned long long)lo, (unsigned long long)hi);
        else
            cli_error("%s: '%s' is not a number", opt, s);
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (*end != '\0') {
        cli_error("%s: '%s' is not %s", opt, s,
                  strchr(s, '.') || strchr(s, 'e') ? "an integer" : "a number");
        return 0;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        cli_error("%s: %s is out of range (expected an integer from %llu to %llu)", opt, s,
                  (unsigned long long)lo, (unsigned long long)hi);
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

int cli_int(const char *opt, const char *s, long lo, long hi, long *out) {
    if (!s) return 1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0') {
        cli_error("%s: '%s' is not an integer", opt, s);
        return 0;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        cli_error("%s: %s is out of range (expected an integer from %ld to %ld)", opt, s, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_uint_list(const char *opt, const char *s, uint32_t *out, size_t max, size_t *n) {
    *n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char word[32];
        if (len == 0 || len >= sizeof word) {
            cli_error("%s: '%s' is not a comma-separated list of widths", opt, s);
            return 0;
        }
        memcpy(word, p, len);
        word[len] = '\0';
        if (*n >= max) {
            cli_error("%s: more than %zu entries", opt, max);
            return 0;
        }
        uint64_t v;
        char what[64];
        snprintf(what, sizeof what, "%s entry %zu", opt, *n + 1);
        if (!cli_uint(what, word, 1, 1u << 24, &v)) return 0;
        out[(*n)++] = (uint32_t)v;
        if (!comma) break;
        p = comma + 1;
    }
    return 1;
}

int cli_words(const char *opt, char *s, char **out, size_t max, size_t *n) {
    *n = 0;
    char *p = s;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (!*p) {
            cli_error("%s: empty entry in the list", opt);
            return 0;
        }
        if (*n >= max) {
            cli_error("%s: more than %zu entries", opt, max);
            return 0;
        }
        out[(*n)++] = p;
        if (!comma) break;
        p = comma + 1;
    }
    return 1;
}

int cli_tristate(const char *opt, const char *s, int *out) {
    if (!s) return 1;
    static const struct {
        const char *word;
        int v;
    } w[] = {{"yes", 1}, {"1", 1}, {"true", 1}, {"on", 1},   {"no", 0},    {"0", 0},
             {"false", 0}, {"off", 0}, {"auto", -1}, {"-1", -1}, {"detect", -1}};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcasecmp(s, w[i].word) == 0) {
            *out = w[i].v;
            return 1;
        }
    cli_error("%s: '%s' is not one of yes, no, auto", opt, s);
    return 0;
}

int cli_isa(const char *opt, const char *s, bp_isa *out) {
    if (!s || bp_isa_from_name(s, out) == BP_STATUS_OK) return 1;
    const char *names[BP_ISA_COUNT];
    for (int i = 0; i < BP_ISA_COUNT; i++) names[i] = bp_isa_name((bp_isa)i);
    const char *hint = cli_closest(s, names, BP_ISA_COUNT);
    if (hint) cli_error("%s: unknown ISA '%s'; did you mean '%s'? (expected auto, scalar, avx2, avx512 or neon)", opt, s, hint);
    else cli_error("%s: %s", opt, bp_last_error());
    return 0;
}

// ---- small helpers shared by the commands -----------------------------------

void cli_net_shape(const bp_net *net, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i <= bp_net_n_layers(net) && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%u", i ? "-" : "", bp_net_size(net, i));
        if (k < 0) break;
        used += (size_t)k;
    }
}

void cli_net_acts(const bp_net *net, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t l = 0; l < bp_net_n_layers(net) && used < len; l++) {
        int k = snprintf(buf + used, len - used, "%s%s", l ? "," : "", bp_act_name(bp_net_activation(net, l)));
        if (k < 0) break;
        used += (size_t)k;
    }
}

int cli_is_classifier(const bp_net *net) {
    size_t L = bp_net_n_layers(net);
    bp_act out = bp_net_activation(net, L - 1);
    return out == BP_ACT_SOFTMAX || (out == BP_ACT_SIGMOID && bp_net_size(net, L) == 1);
}

bp_loss cli_default_loss(const bp_net *net, const bp_data *d) {
    bp_act out = bp_net_activation(net, bp_net_n_layers(net) - 1);
    if (out == BP_ACT_SOFTMAX) return BP_LOSS_SOFTMAX_XENT;
    if (out == BP_ACT_SIGMOID && (!d || d->n_classes)) return BP_LOSS_SIGMOID_BCE;
    return BP_LOSS_MSE;
}

uint32_t cli_class_of(const float *y, uint32_t n_out) {
    if (n_out == 1) return y[0] > 0.5f ? 1u : 0u;
    uint32_t best = 0;
    for (uint32_t j = 1; j < n_out; j++)
        if (y[j] > y[best]) best = j;
    return best;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_default_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int cli_check_writable(const char *opt, const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t len = (size_t)(slash - path);
        if (len >= sizeof dir) {
            cli_error("%s: path too long", opt);
            return 0;
        }
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    if (access(dir, W_OK | X_OK) != 0) {
        cli_error("%s: cannot write '%s': directory '%s': %s", opt, path, dir, strerror(errno));
        return 0;
    }
    // Saves replace regular files only (a directory, link, FIFO or device
    // would be refused at the end of training: say so before it starts).
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        cli_error("%s: '%s' is %s, not a regular file; give a file path", opt, path,
                  S_ISDIR(st.st_mode) ? "a directory" : S_ISLNK(st.st_mode) ? "a symbolic link"
                  : S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                  : "a special file");
        return 0;
    }
    return 1;
}
