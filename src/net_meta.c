// SPDX-License-Identifier: MIT
// What a model carries besides its weights: the input and output scaling
// and the class names (see backprop.h), and computing a scaling from data.
#include <math.h>
#include <string.h>

#include "bp_internal.h"

void bp_scale_rows(const float *src, float *dst, size_t n, size_t width, const float *offset,
                   const float *scale) {
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < width; j++) dst[r * width + j] = (src[r * width + j] - offset[j]) / scale[j];
}

void bp_unscale_rows(float *y, size_t n, size_t width, const float *offset, const float *scale) {
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < width; j++) y[r * width + j] = y[r * width + j] * scale[j] + offset[j];
}

bp_status bp_scaling_fit(bp_scale kind, const float *x, size_t n, size_t width, float *offset,
                         float *scale) {
    if (!x || !offset || !scale) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_scaling_fit: NULL argument");
    if (n == 0 || width == 0) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_scaling_fit: no data (%zu x %zu)", n, width);
    if ((unsigned)kind >= BP_SCALE_COUNT)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_scaling_fit: unknown scaling %d", (int)kind);
    for (size_t j = 0; j < width; j++) {
        double off = 0.0, spread = 1.0;
        if (kind == BP_SCALE_STANDARD) {
            // Two passes in double: the mean, then the mean squared deviation
            // (no cancellation for columns far from 0, such as values ~1e5).
            double sum = 0.0, ss = 0.0;
            for (size_t r = 0; r < n; r++) sum += x[r * width + j];
            off = sum / (double)n;
            for (size_t r = 0; r < n; r++) {
                double d = x[r * width + j] - off;
                ss += d * d;
            }
            spread = sqrt(ss / (double)n);
        } else if (kind == BP_SCALE_MINMAX) {
            double lo = x[j], hi = x[j];
            for (size_t r = 1; r < n; r++) {
                double v = x[r * width + j];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            off = lo;
            spread = hi - lo;
        }
        if (!isfinite(off) || !isfinite(spread) || fabs(off) > 3.4e38 || spread > 3.4e38)
            return bp_fail(BP_STATUS_NUMERIC_ERROR, "bp_scaling_fit: column %zu: the values are not finite "
                           "or their spread overflows a float", j);
        // A constant column (or one whose spread rounds to 0 in float)
        // keeps scale 1: it only gets centred.
        if ((float)spread == 0.0f) spread = 1.0;
        offset[j] = (float)off;
        scale[j] = (float)spread;
    }
    return BP_STATUS_OK;
}

// Validate and copy one scaling into a fresh block (*block: offset then scale).
static bp_status set_scaling(const char *what, uint32_t n, bp_scale kind, const float *offset,
                             const float *scale, bp_scale *kind_out, float **off_out, float **sc_out) {
    if ((unsigned)kind >= BP_SCALE_COUNT)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s scaling: unknown kind %d", what, (int)kind);
    float *block = NULL;
    if (kind != BP_SCALE_NONE) {
        if (!offset || !scale) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s scaling: NULL offset or scale", what);
        for (uint32_t j = 0; j < n; j++) {
            if (!isfinite(offset[j]))
                return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s scaling: column %u: offset %g is not finite", what,
                               j, (double)offset[j]);
            if (!(scale[j] > 0.0f) || !isfinite(scale[j]))
                return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                               "%s scaling: column %u: scale %g (expected a finite number > 0)", what, j,
                               (double)scale[j]);
        }
        block = bp_alloc(2 * (size_t)n, sizeof(float));
        if (!block) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s scaling: no memory", what);
        memcpy(block, offset, n * sizeof(float));
        memcpy(block + n, scale, n * sizeof(float));
    }
    bp_free(*off_out);
    *off_out = block;
    *sc_out = block ? block + n : NULL;
    *kind_out = kind;
    return BP_STATUS_OK;
}

bp_status bp_net_set_input_scaling(bp_net *net, bp_scale kind, const float *offset, const float *scale) {
    if (!net) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_set_input_scaling: NULL network");
    return set_scaling("input", net->layers[0].n_in, kind, offset, scale, &net->in_kind, &net->in_offset,
                       &net->in_scale);
}

bp_status bp_net_set_output_scaling(bp_net *net, bp_scale kind, const float *offset, const float *scale) {
    if (!net) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_set_output_scaling: NULL network");
    return set_scaling("output", net->layers[net->n_layers - 1].n_out, kind, offset, scale, &net->out_kind,
                       &net->out_offset, &net->out_scale);
}

static bp_scale get_scaling(bp_scale kind, const float *off, const float *sc, const float **o, const float **s) {
    if (!off) return BP_SCALE_NONE;
    if (o) *o = off;
    if (s) *s = sc;
    return kind;
}

bp_scale bp_net_input_scaling(const bp_net *net, const float **offset, const float **scale) {
    return net ? get_scaling(net->in_kind, net->in_offset, net->in_scale, offset, scale) : BP_SCALE_NONE;
}

bp_scale bp_net_output_scaling(const bp_net *net, const float **offset, const float **scale) {
    return net ? get_scaling(net->out_kind, net->out_offset, net->out_scale, offset, scale) : BP_SCALE_NONE;
}

static void free_names(bp_net *net) {
    for (size_t i = 0; i < net->n_class_names; i++) bp_free(net->class_names[i]);
    bp_free(net->class_names);
    net->class_names = NULL;
    net->n_class_names = 0;
}

bp_status bp_net_set_class_names(bp_net *net, size_t n, const char *const *names) {
    if (!net) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_set_class_names: NULL network");
    uint32_t n_out = net->layers[net->n_layers - 1].n_out;
    size_t classes = n_out == 1 ? 2 : n_out;
    if (n && n != classes)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "class names: %zu names for a network of %zu classes", n, classes);
    if (n && !names) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "class names: NULL list");
    for (size_t i = 0; i < n; i++) {
        size_t len = names[i] ? strlen(names[i]) : 0;
        if (len == 0 || len > BP_MAX_CLASS_NAME || strchr(names[i], '\n') || strchr(names[i], '\r'))
            return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                           "class names: name %zu is empty, longer than %d bytes or holds a line break", i,
                           BP_MAX_CLASS_NAME);
    }
    char **copy = n ? bp_alloc(n, sizeof *copy) : NULL;
    if (n && !copy) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "class names: no memory");
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        copy[i] = bp_alloc(len + 1, 1);
        if (!copy[i]) {
            for (size_t k = 0; k < i; k++) bp_free(copy[k]);
            bp_free(copy);
            return bp_fail(BP_STATUS_OUT_OF_MEMORY, "class names: no memory");
        }
        memcpy(copy[i], names[i], len + 1);
    }
    free_names(net);
    net->class_names = copy;
    net->n_class_names = n;
    return BP_STATUS_OK;
}

size_t bp_net_n_class_names(const bp_net *net) { return net ? net->n_class_names : 0; }

const char *bp_net_class_name(const bp_net *net, size_t i) {
    return net && i < net->n_class_names ? net->class_names[i] : NULL;
}

void bp_net_free_meta(bp_net *net) {
    bp_free(net->in_offset);
    bp_free(net->out_offset);
    net->in_offset = net->in_scale = net->out_offset = net->out_scale = NULL;
    net->in_kind = net->out_kind = BP_SCALE_NONE;
    free_names(net);
}

bp_status bp_net_copy_meta(bp_net *dst, const bp_net *src) {
    bp_status st = bp_net_set_input_scaling(dst, src->in_offset ? src->in_kind : BP_SCALE_NONE, src->in_offset,
                                            src->in_scale);
    if (st == BP_STATUS_OK)
        st = bp_net_set_output_scaling(dst, src->out_offset ? src->out_kind : BP_SCALE_NONE, src->out_offset,
                                       src->out_scale);
    if (st == BP_STATUS_OK)
        st = bp_net_set_class_names(dst, src->n_class_names, (const char *const *)src->class_names);
    return st;
}
