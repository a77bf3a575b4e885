// SPDX-License-Identifier: MIT
// Data sets: the built-in ones (and, or, xor, spirals), splitting, freeing.
// The file loaders live in data_idx.c and data_csv.c.
#include <math.h>
#include <string.h>
#include <strings.h>

#include "bp_internal.h"

void bp_dataset_free(bp_dataset *ds) {
    if (!ds) return;
    bp_free(ds->x_mem);
    bp_free(ds->labels_mem);
    bp_free(ds->targets_mem);
    bp_free(ds->class_names); // one block: pointers, then the strings
    bp_free(ds->ids);
    memset(ds, 0, sizeof *ds);
}

bp_status bp_dataset_alloc(bp_dataset *ds, size_t n, uint32_t n_in, uint32_t n_classes,
                           uint32_t n_targets) {
    memset(ds, 0, sizeof *ds);
    int ok = 1;
    ds->x_mem = bp_alloc(bp_mul_size(n ? n : 1, n_in, &ok), sizeof(float));
    if (n_classes) ds->labels_mem = bp_alloc(n ? n : 1, sizeof(int32_t));
    if (n_targets) ds->targets_mem = bp_alloc(bp_mul_size(n ? n : 1, n_targets, &ok), sizeof(float));
    if (!ok || !ds->x_mem || (n_classes && !ds->labels_mem) || (n_targets && !ds->targets_mem)) {
        bp_dataset_free(ds);
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "data set of %zu rows x %u columns: no memory", n, n_in);
    }
    ds->d.n = n;
    ds->d.n_in = n_in;
    ds->d.x = ds->x_mem;
    ds->d.n_classes = n_classes;
    ds->d.labels = ds->labels_mem;
    ds->d.n_targets = n_targets;
    ds->d.targets = ds->targets_mem;
    return BP_STATUS_OK;
}

bp_status bp_data_builtin(const char *name, size_t n, bp_dataset *out) {
    if (!name || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_builtin: NULL argument");
    int is_and = strcasecmp(name, "and") == 0, is_or = strcasecmp(name, "or") == 0,
        is_xor = strcasecmp(name, "xor") == 0, is_spirals = strcasecmp(name, "spirals") == 0;
    if (!is_and && !is_or && !is_xor && !is_spirals)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "unknown built-in data set '%s' (expected and, or, xor or spirals)", name);
    if (!is_spirals) {
        bp_status st = bp_dataset_alloc(out, 4, 2, 2, 0);
        if (st != BP_STATUS_OK) return st;
        for (int i = 0; i < 4; i++) {
            int a = i >> 1, b = i & 1;
            out->x_mem[2 * i] = (float)a;
            out->x_mem[2 * i + 1] = (float)b;
            out->labels_mem[i] = is_and ? (a & b) : is_or ? (a | b) : (a ^ b);
        }
        return BP_STATUS_OK;
    }
    if (n < 2) n = 1000;
    if (n > (1u << 26)) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "spirals: %zu points is too many", n);
    bp_status st = bp_dataset_alloc(out, n, 2, 2, 0);
    if (st != BP_STATUS_OK) return st;
    // Two arms of an Archimedean spiral, one the other rotated by pi, each
    // turning 1.75 times around the origin; points alternate between arms.
    for (size_t i = 0; i < n; i++) {
        int arm = (int)(i & 1);
        double t = (double)(i / 2) / (double)((n + 1) / 2);
        double r = 0.1 + 0.9 * t, angle = 1.75 * 2.0 * 3.14159265358979323846 * t + arm * 3.14159265358979323846;
        out->x_mem[2 * i] = (float)(r * cos(angle));
        out->x_mem[2 * i + 1] = (float)(r * sin(angle));
        out->labels_mem[i] = arm;
    }
    return BP_STATUS_OK;
}

bp_status bp_data_split(const bp_data *all, float fraction, uint64_t seed, bp_dataset *train,
                        bp_dataset *valid) {
    if (!all || !train || !valid || !all->x)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_split: NULL argument");
    if (!(fraction > 0.0f && fraction < 1.0f))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "validation fraction %g outside (0, 1)", (double)fraction);
    size_t n_val = (size_t)((double)all->n * fraction);
    if (n_val == 0 || n_val >= all->n)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "validation split of %zu rows leaves an empty part", all->n);
    size_t *order = bp_alloc(all->n, sizeof(size_t));
    if (!order) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_data_split: no memory");
    for (size_t i = 0; i < all->n; i++) order[i] = i;
    bp_rng rng;
    bp_rng_seed(&rng, seed);
    for (size_t i = all->n - 1; i > 0; i--) {
        size_t j = (size_t)bp_rng_below(&rng, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    uint32_t nc = all->n_classes, nt = all->n_classes ? 0 : all->n_targets;
    bp_status st = bp_dataset_alloc(train, all->n - n_val, all->n_in, nc, nt);
    if (st == BP_STATUS_OK) {
        st = bp_dataset_alloc(valid, n_val, all->n_in, nc, nt);
        if (st != BP_STATUS_OK) bp_dataset_free(train);
    }
    if (st != BP_STATUS_OK) {
        bp_free(order);
        return st;
    }
    for (size_t i = 0; i < all->n; i++) {
        bp_dataset *dst = i < all->n - n_val ? train : valid;
        size_t r = i < all->n - n_val ? i : i - (all->n - n_val), src = order[i];
        memcpy(dst->x_mem + r * all->n_in, all->x + src * all->n_in, all->n_in * sizeof(float));
        if (nc) dst->labels_mem[r] = all->labels[src];
        if (nt) memcpy(dst->targets_mem + r * nt, all->targets + src * nt, nt * sizeof(float));
    }
    bp_free(order);
    return BP_STATUS_OK;
}
