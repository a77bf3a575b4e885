// SPDX-License-Identifier: MIT
// Names of activations, losses and optimizers, both ways.
#include <ctype.h>
#include <string.h>

#include "bp_internal.h"

static const char *const act_names[BP_ACT_COUNT] = {"identity", "step", "sigmoid", "tanh",
                                                    "relu", "leaky_relu", "gelu", "softmax"};
static const char *const loss_names[BP_LOSS_COUNT] = {"mse", "softmax_xent", "sigmoid_bce"};
static const char *const opt_names[BP_OPT_COUNT] = {"sgd", "momentum", "nesterov", "adam", "adamw"};
static const char *const init_names[BP_INIT_COUNT] = {"auto", "he", "glorot", "lecun", "torch"};
static const char *const scale_names[BP_SCALE_COUNT] = {"none", "standard", "minmax"};
static const char *const precision_names[BP_PRECISION_COUNT] = {"fp32", "bf16"};

const char *bp_act_name(bp_act a) { return (unsigned)a < BP_ACT_COUNT ? act_names[a] : "?"; }
const char *bp_loss_name(bp_loss l) { return (unsigned)l < BP_LOSS_COUNT ? loss_names[l] : "?"; }
const char *bp_optimizer_name(bp_optimizer o) { return (unsigned)o < BP_OPT_COUNT ? opt_names[o] : "?"; }
const char *bp_init_name(bp_init i) { return (unsigned)i < BP_INIT_COUNT ? init_names[i] : "?"; }
const char *bp_scale_name(bp_scale s) { return (unsigned)s < BP_SCALE_COUNT ? scale_names[s] : "?"; }
const char *bp_precision_name(bp_precision p) {
    return (unsigned)p < BP_PRECISION_COUNT ? precision_names[p] : "?";
}

// Case-insensitive compare treating '-' as '_'.
static int same_name(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char ca = *a == '-' ? '_' : (char)tolower((unsigned char)*a);
        char cb = *b == '-' ? '_' : (char)tolower((unsigned char)*b);
        if (ca != cb) return 0;
    }
    return *a == *b;
}

static int find(const char *name, const char *const *names, int n) {
    if (!name) return -1;
    for (int i = 0; i < n; i++)
        if (same_name(name, names[i])) return i;
    return -1;
}

// Edit distance between a and b (insertions, deletions, substitutions and
// swaps of neighbours, each 1; case and '-'/'_' ignored), for "did you
// mean". Names longer than 31 characters are never close.
static int distance(const char *a, const char *b) {
    enum { M = 32 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= M || m >= M) return M;
    int d[M][M];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            char x = a[i - 1] == '-' ? '_' : (char)tolower((unsigned char)a[i - 1]);
            char y = b[j - 1] == '-' ? '_' : (char)tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + (x != y);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

static bp_status unknown(const char *what, const char *name, const char *const *names, int n) {
    char list[256] = "";
    int best = -1, best_d = 0;
    for (int i = 0; i < n; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
        int dd = name ? distance(name, names[i]) : 99;
        if (best < 0 || dd < best_d) {
            best = i;
            best_d = dd;
        }
    }
    // Close enough to be a typo: a third of the name's letters, at least one,
    // and not the whole of what was typed ("x" is no typo of "mse").
    size_t len = best >= 0 ? strlen(names[best]) : 0;
    int limit = len >= 6 ? (int)len / 3 : 1;
    if (best >= 0 && best_d <= limit && (size_t)best_d < strlen(name))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "unknown %s '%s'; did you mean '%s'? (expected one of: %s)",
                       what, name, names[best], list);
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "unknown %s '%s' (expected one of: %s)", what,
                   name ? name : "(null)", list);
}

bp_status bp_act_from_name(const char *name, bp_act *out) {
    int i = find(name, act_names, BP_ACT_COUNT);
    if (i < 0 && name && same_name(name, "linear")) i = BP_ACT_IDENTITY;
    if (i < 0 || !out) return unknown("activation", name, act_names, BP_ACT_COUNT);
    *out = (bp_act)i;
    return BP_STATUS_OK;
}

bp_status bp_loss_from_name(const char *name, bp_loss *out) {
    int i = find(name, loss_names, BP_LOSS_COUNT);
    if (i < 0 && name && (same_name(name, "xent") || same_name(name, "cross_entropy"))) i = BP_LOSS_SOFTMAX_XENT;
    if (i < 0 && name && same_name(name, "bce")) i = BP_LOSS_SIGMOID_BCE;
    if (i < 0 || !out) return unknown("loss", name, loss_names, BP_LOSS_COUNT);
    *out = (bp_loss)i;
    return BP_STATUS_OK;
}

bp_status bp_optimizer_from_name(const char *name, bp_optimizer *out) {
    int i = find(name, opt_names, BP_OPT_COUNT);
    if (i < 0 || !out) return unknown("optimizer", name, opt_names, BP_OPT_COUNT);
    *out = (bp_optimizer)i;
    return BP_STATUS_OK;
}

bp_status bp_init_from_name(const char *name, bp_init *out) {
    int i = find(name, init_names, BP_INIT_COUNT);
    if (i < 0 && name && (same_name(name, "kaiming") || same_name(name, "he_uniform"))) i = BP_INIT_HE;
    if (i < 0 && name && (same_name(name, "xavier") || same_name(name, "glorot_uniform"))) i = BP_INIT_GLOROT;
    if (i < 0 && name && same_name(name, "pytorch")) i = BP_INIT_TORCH;
    if (i < 0 || !out) return unknown("initialisation", name, init_names, BP_INIT_COUNT);
    *out = (bp_init)i;
    return BP_STATUS_OK;
}

bp_status bp_scale_from_name(const char *name, bp_scale *out) {
    int i = find(name, scale_names, BP_SCALE_COUNT);
    if (i < 0 && name && (same_name(name, "standardize") || same_name(name, "zscore"))) i = BP_SCALE_STANDARD;
    if (i < 0 && name && same_name(name, "min_max")) i = BP_SCALE_MINMAX;
    if (i < 0 || !out) return unknown("scaling", name, scale_names, BP_SCALE_COUNT);
    *out = (bp_scale)i;
    return BP_STATUS_OK;
}

bp_status bp_precision_from_name(const char *name, bp_precision *out) {
    int i = find(name, precision_names, BP_PRECISION_COUNT);
    if (i < 0 && name && (same_name(name, "float32") || same_name(name, "f32"))) i = BP_PRECISION_FP32;
    if (i < 0 && name && same_name(name, "bfloat16")) i = BP_PRECISION_BF16;
    if (i < 0 || !out) return unknown("precision", name, precision_names, BP_PRECISION_COUNT);
    *out = (bp_precision)i;
    return BP_STATUS_OK;
}
