// SPDX-License-Identifier: MIT
// backprop summary (a table of the layers) and backprop export-c (a
// dependency-free C header with the weights and an inference function).
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char summary_usage[] =
    "usage: backprop summary MODEL\n"
    "\n"
    "Print a saved model's layers: widths, activations and parameter counts; then\n"
    "what the file holds: whether it is a checkpoint (and its epochs, steps,\n"
    "optimizer and precision), the number of features and classes or targets, the\n"
    "class names and the input and target scaling (kind, column count and the\n"
    "range of its per-column offsets and scales).\n";

static const char export_usage[] =
    "usage: backprop export-c MODEL -o model.h [--name PREFIX]\n"
    "\n"
    "Write a C header holding the model's weights (as exact hexadecimal float\n"
    "literals) and a static inference function, with no dependency but <math.h>:\n"
    "\n"
    "    #include \"model.h\"\n"
    "    float y[MODEL_N_OUTPUTS];\n"
    "    model_predict(x, y);   /* x: MODEL_N_INPUTS floats */\n"
    "\n"
    "The function accumulates in double, so its outputs are at least as accurate\n"
    "as the library's. Softmax outputs are probabilities.\n"
    "\n"
    "  -o, --output PATH     the header to write (default: stdout)\n"
    "  --name PREFIX         prefix of every name in the header (default: model)\n";

static int load(const char *path, bp_net **net) {
    if (bp_net_load(path, NULL, net) != BP_STATUS_OK) {
        char hint[4200];
        cli_error("%s%s", bp_last_error(), cli_file_hint(path, hint, sizeof hint));
        return 0;
    }
    return 1;
}

// One scaling on a line: its kind, the column count and the range of the
// per-column offsets and scales (not every column's numbers: 784 of them
// for an image model).
static void print_scaling(const char *what, bp_scale kind, const float *off, const float *sc, uint32_t n) {
    if (kind == BP_SCALE_NONE) {
        printf("%s none (used as given)", what);
        return;
    }
    float olo = off[0], ohi = off[0], slo = sc[0], shi = sc[0];
    for (uint32_t j = 1; j < n; j++) {
        olo = fminf(olo, off[j]);
        ohi = fmaxf(ohi, off[j]);
        slo = fminf(slo, sc[j]);
        shi = fmaxf(shi, sc[j]);
    }
    int mm = kind == BP_SCALE_MINMAX;
    const char *o = mm ? "min" : "mean", *r = mm ? "range" : "std";
    printf("%s %s, per column (%u column%s): (x - %s) / %s", what, bp_scale_name(kind), n, n == 1 ? "" : "s", o,
           mm ? "(max - min)" : "std");
    if (n == 1) printf(", %s %.4g, %s %.4g", o, (double)olo, r, (double)slo);
    else printf(", %ss %.4g to %.4g, %ss %.4g to %.4g", o, (double)olo, (double)ohi, r, (double)slo, (double)shi);
}

// What the file says about the data and the training, and only that: the
// loss, learning rate, batch size and row count are not stored.
static void print_file_facts(const char *path, const bp_net *net) {
    bp_model_info info;
    if (bp_model_file_info(path, &info) != BP_STATUS_OK) return; // it loaded a moment ago
    size_t L = bp_net_n_layers(net);
    uint32_t n_in = bp_net_size(net, 0), n_out = bp_net_size(net, L);
    putchar('\n');
    if (info.is_checkpoint)
        printf("file:     a checkpoint (format %u): %u epoch%s done, %llu optimizer steps, %s, %s products;\n"
               "          continue it with 'backprop train --resume %s --epochs N'\n",
               info.format_version, info.epochs, info.epochs == 1 ? "" : "s", (unsigned long long)info.steps,
               bp_optimizer_name(info.optimizer), bp_precision_name(info.precision), path);
    else
        printf("file:     a model (format %u) without trainer state: it cannot be resumed\n", info.format_version);
    if (cli_is_classifier(net)) {
        uint32_t k = n_out == 1 ? 2 : n_out;
        printf("data:     %u feature%s in, %u classes out", n_in, n_in == 1 ? "" : "s", k);
        // The first names, as many as fit in about a line.
        size_t names = bp_net_n_class_names(net), used = 0, shown = 0;
        for (; shown < names; shown++) {
            const char *nm = bp_net_class_name(net, shown);
            if (shown && used + strlen(nm) > 60) break;
            printf("%s%s", shown ? ", " : ": ", nm);
            used += strlen(nm) + 2;
        }
        if (shown < names) printf(" and %zu more", names - shown);
        putchar('\n');
    } else {
        printf("data:     %u feature%s in, %u target%s out\n", n_in, n_in == 1 ? "" : "s", n_out, n_out == 1 ? "" : "s");
    }
    const float *off, *sc;
    bp_scale in = bp_net_input_scaling(net, &off, &sc);
    print_scaling("scaling:  inputs", in, off, sc, n_in);
    // The IDX loader divides pixels by 255 and stores no scaling: say so,
    // or a CSV of raw pixels given to predict would be silently wrong.
    if (in == BP_SCALE_NONE) fputs("\n          (a model trained on IDX images takes pixel values / 255)", stdout);
    bp_scale out = bp_net_output_scaling(net, &off, &sc);
    if (out != BP_SCALE_NONE) {
        putchar('\n');
        print_scaling("          targets", out, off, sc, n_out);
        fputs(" (predictions mapped back)", stdout);
    }
    putchar('\n');
    if (info.is_checkpoint) printf("not kept: the loss, learning rate, batch size and the training rows\n");
    else
        printf("not kept: how it was trained (epochs, optimizer, loss, learning rate, batch size) and the\n"
               "          training rows ('train --checkpoint FILE' saves a file that keeps epochs and optimizer)\n");
}

int cmd_summary(int argc, char **argv) {
    cli_prog = "backprop summary";
    int help = 0;
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, NULL, 0, pos, 1, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(summary_usage, stdout);
        return CLI_OK;
    }
    if (n_pos != 1) {
        cli_error("which model? (usage: backprop summary MODEL)");
        return CLI_USAGE;
    }
    if (cli_parse_only) return CLI_OK;
    bp_net *net = NULL;
    if (!load(pos[0], &net)) return CLI_FAIL;
    char shape[512], acts[512];
    cli_net_shape(net, shape, sizeof shape);
    cli_net_acts(net, acts, sizeof acts);
    size_t L = bp_net_n_layers(net);
    printf("model:  %s\n", pos[0]);
    printf("shape:  %s (%s)\n\n", shape, acts);
    printf("%5s  %8s  %8s  %-10s  %12s  %8s  %12s\n", "layer", "inputs", "outputs", "activation",
           "weights", "biases", "parameters");
    size_t tw = 0, tb = 0;
    for (size_t l = 0; l < L; l++) {
        size_t in = bp_net_size(net, l), out = bp_net_size(net, l + 1);
        size_t w = in * out;
        tw += w;
        tb += out;
        printf("%5zu  %8zu  %8zu  %-10s  %12zu  %8zu  %12zu\n", l + 1, in, out,
               bp_act_name(bp_net_activation(net, l)), w, out, w + out);
    }
    printf("%5s  %8s  %8s  %-10s  %12zu  %8zu  %12zu\n", "total", "", "", "", tw, tb, tw + tb);
    printf("\n%zu parameters, %.1f KiB as float32\n", bp_net_n_params(net),
           (double)bp_net_n_params(net) * 4.0 / 1024.0);
    print_file_facts(pos[0], net);
    bp_net_destroy(net);
    return CLI_OK;
}

// The activation codes of the generated header (listed in its comment).
static int act_code(bp_act a) {
    switch (a) {
    case BP_ACT_IDENTITY: return 0;
    case BP_ACT_STEP: return 1;
    case BP_ACT_SIGMOID: return 2;
    case BP_ACT_TANH: return 3;
    case BP_ACT_RELU: return 4;
    case BP_ACT_LEAKY_RELU: return 5;
    case BP_ACT_GELU: return 6;
    case BP_ACT_SOFTMAX: return 7;
    default: return -1;
    }
}

static int valid_name(const char *s) {
    if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_')) return 0;
    return strlen(s) < 64;
}

// A C string literal of s: printable ASCII as is, quotes and backslashes
// escaped, anything else as a three-digit octal escape (UTF-8 bytes too).
static void put_c_string(FILE *o, const char *s) {
    fputc('"', o);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(o, "\\%c", *p);
        else if (*p >= 0x20 && *p < 0x7f && *p != '?') fputc(*p, o); // '?': no trigraphs
        else fprintf(o, "\\%03o", *p);
    }
    fputc('"', o);
}

// The scaling arrays "<prefix>_<what>_offset" and "_scale" (n floats each).
static void put_scaling(FILE *o, const char *prefix, const char *what, const float *off, const float *sc, size_t n) {
    const float *v[2] = {off, sc};
    const char *part[2] = {"offset", "scale"};
    for (int k = 0; k < 2; k++) {
        fprintf(o, "static const float %s_%s_%s[%zu] = {", prefix, what, part[k], n);
        for (size_t i = 0; i < n; i++) fprintf(o, "%s %af,", i % 6 == 0 ? "\n   " : "", (double)v[k][i]);
        fputs("\n};\n", o);
    }
}

static void put_floats(FILE *o, const char *prefix, const char *what, size_t layer, const float *v,
                       size_t n) {
    fprintf(o, "static const float %s_%s%zu[%zu] = {", prefix, what, layer, n);
    for (size_t i = 0; i < n; i++) {
        if (i % 6 == 0) fputs("\n   ", o);
        // %a is exact for a float widened to double; the f suffix keeps the
        // literal a float (it is representable, so no rounding happens).
        fprintf(o, " %af,", (double)v[i]);
    }
    fputs("\n};\n", o);
}

int cmd_export_c(int argc, char **argv) {
    cli_prog = "backprop export-c";
    const char *output = NULL, *name = NULL;
    int help = 0;
    const cli_opt opts[] = {
        {"output", 'o', CLI_OPT_VALUE, &output, NULL},
        {"name", 0, CLI_OPT_VALUE, &name, NULL},
    };
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(export_usage, stdout);
        return CLI_OK;
    }
    if (n_pos != 1) {
        cli_error("which model? (usage: backprop export-c MODEL -o model.h)");
        return CLI_USAGE;
    }
    const char *prefix = name ? name : "model";
    if (!valid_name(prefix)) {
        cli_error("--name: '%s' is not a C identifier", prefix);
        return CLI_USAGE;
    }
    char upper[64];
    for (size_t i = 0; i <= strlen(prefix); i++) upper[i] = (char)toupper((unsigned char)prefix[i]);
    if (cli_parse_only) return CLI_OK;
    bp_net *net = NULL;
    if (!load(pos[0], &net)) return CLI_FAIL;
    size_t L = bp_net_n_layers(net);
    float alpha = bp_net_leaky_alpha(net);
    for (size_t l = 0; l < L; l++) {
        size_t in = bp_net_size(net, l), out = bp_net_size(net, l + 1);
        const float *w = bp_net_weights(net, l), *b = bp_net_bias(net, l);
        int finite = act_code(bp_net_activation(net, l)) >= 0;
        for (size_t i = 0; i < in * out && finite; i++) finite = isfinite(w[i]);
        for (size_t i = 0; i < out && finite; i++) finite = isfinite(b[i]);
        if (!finite) {
            cli_error("%s: layer %zu holds non-finite weights or an unknown activation", pos[0], l + 1);
            bp_net_destroy(net);
            return CLI_FAIL;
        }
    }
    int to_stdout = !output || strcmp(output, "-") == 0;
    FILE *o = to_stdout ? stdout : fopen(output, "w");
    if (!o) {
        cli_error("-o: cannot create '%s': %s", output, strerror(errno));
        bp_net_destroy(net);
        return CLI_FAIL;
    }
    uint32_t max_w = 0;
    for (size_t i = 0; i <= L; i++)
        if (bp_net_size(net, i) > max_w) max_w = bp_net_size(net, i);
    char shape[512], acts[512];
    cli_net_shape(net, shape, sizeof shape);
    cli_net_acts(net, acts, sizeof acts);
    fprintf(o, "/* Generated by backprop %s export-c from %s:\n * %s (%s), %zu parameters.\n"
               " * Needs only <math.h> (link with -lm). */\n",
            bp_version(), pos[0], shape, acts, bp_net_n_params(net));
    fprintf(o, "#ifndef %s_H_\n#define %s_H_\n\n#include <math.h>\n\n", upper, upper);
    fprintf(o, "#define %s_N_INPUTS %u\n#define %s_N_OUTPUTS %u\n#define %s_MAX_WIDTH %u\n\n", upper,
            bp_net_size(net, 0), upper, bp_net_size(net, L), upper, max_w);
    const float *in_off, *in_sc, *out_off, *out_sc;
    bp_scale in_kind = bp_net_input_scaling(net, &in_off, &in_sc);
    bp_scale out_kind = bp_net_output_scaling(net, &out_off, &out_sc);
    if (in_kind != BP_SCALE_NONE) {
        fprintf(o, "/* input scaling (%s): %s_predict uses (x[j] - input_offset[j]) / input_scale[j] */\n",
                bp_scale_name(in_kind), prefix);
        put_scaling(o, prefix, "input", in_off, in_sc, bp_net_size(net, 0));
    }
    if (out_kind != BP_SCALE_NONE) {
        fprintf(o, "/* output scaling (%s): %s_predict returns y[j] * output_scale[j] + output_offset[j] */\n",
                bp_scale_name(out_kind), prefix);
        put_scaling(o, prefix, "output", out_off, out_sc, bp_net_size(net, L));
    }
    size_t n_names = bp_net_n_class_names(net);
    if (n_names) {
        fprintf(o, "/* class names, by class number */\n#define %s_N_CLASSES %zu\n"
                   "static const char *const %s_class_names[%zu] = {\n",
                upper, n_names, prefix, n_names);
        for (size_t i = 0; i < n_names; i++) {
            fputs("    ", o);
            put_c_string(o, bp_net_class_name(net, i));
            fputs(",\n", o);
        }
        fputs("};\n", o);
    }
    if (in_kind != BP_SCALE_NONE || out_kind != BP_SCALE_NONE || n_names) fputc('\n', o);
    for (size_t l = 0; l < L; l++) {
        size_t in = bp_net_size(net, l), out = bp_net_size(net, l + 1);
        fprintf(o, "/* layer %zu: %zu -> %zu, %s; weights row-major, out x in */\n", l + 1, in, out,
                bp_act_name(bp_net_activation(net, l)));
        put_floats(o, prefix, "w", l + 1, bp_net_weights(net, l), in * out);
        put_floats(o, prefix, "b", l + 1, bp_net_bias(net, l), out);
    }
    // The dense layer and activations, in double.
    fprintf(o,
            "\n/* out = act(W in + b), accumulated in double. act: 0 identity, 1 step,\n"
            " * 2 sigmoid, 3 tanh, 4 relu, 5 leaky_relu, 6 gelu, 7 softmax. */\n"
            "static inline void %s_layer_(const float *in, int n_in, const float *w, const float *b,\n"
            "                             int n_out, int act, float *out) {\n"
            "    double z[%s_MAX_WIDTH], zmax = 0.0, sum = 0.0;\n"
            "    int i, j;\n"
            "    for (i = 0; i < n_out; i++) {\n"
            "        double s = b[i];\n"
            "        for (j = 0; j < n_in; j++) s += (double)w[(long)i * n_in + j] * (double)in[j];\n"
            "        z[i] = s;\n"
            "        if (i == 0 || s > zmax) zmax = s;\n"
            "    }\n"
            "    for (i = 0; i < n_out; i++) {\n"
            "        double v = z[i];\n"
            "        switch (act) {\n"
            "        case 1: v = v > 0.0 ? 1.0 : 0.0; break;\n"
            "        case 2: v = 1.0 / (1.0 + exp(-v)); break;\n"
            "        case 3: v = tanh(v); break;\n"
            "        case 4: v = v > 0.0 ? v : 0.0; break;\n"
            "        case 5: v = v > 0.0 ? v : (double)%af * v; break;\n"
            "        case 6: v = 0.5 * v * (1.0 + erf(v * 0.70710678118654752440)); break;\n"
            "        case 7: v = exp(v - zmax); sum += v; break;\n"
            "        default: break;\n"
            "        }\n"
            "        z[i] = v;\n"
            "    }\n"
            "    for (i = 0; i < n_out; i++) out[i] = (float)(act == 7 ? z[i] / sum : z[i]);\n"
            "}\n\n",
            prefix, upper, (double)alpha);
    fprintf(o, "/* y (%s_N_OUTPUTS floats) = the model applied to x (%s_N_INPUTS floats). */\n"
               "static inline void %s_predict(const float *x, float *y) {\n"
               "    float buf[2][%s_MAX_WIDTH];\n",
            upper, upper, prefix, upper);
    if (L == 1) fprintf(o, "    (void)buf;\n");
    if (in_kind != BP_SCALE_NONE)
        fprintf(o, "    float xs[%s_N_INPUTS];\n    int j;\n"
                   "    for (j = 0; j < %s_N_INPUTS; j++) xs[j] = (x[j] - %s_input_offset[j]) / %s_input_scale[j];\n",
                upper, upper, prefix, prefix);
    else if (out_kind != BP_SCALE_NONE)
        fprintf(o, "    int j;\n");
    for (size_t l = 0; l < L; l++) {
        char src[32], dst[32];
        if (l == 0) snprintf(src, sizeof src, in_kind != BP_SCALE_NONE ? "xs" : "x");
        else snprintf(src, sizeof src, "buf[%zu]", (l - 1) & 1);
        if (l + 1 == L) snprintf(dst, sizeof dst, "y");
        else snprintf(dst, sizeof dst, "buf[%zu]", l & 1);
        fprintf(o, "    %s_layer_(%s, %u, %s_w%zu, %s_b%zu, %u, %d, %s);\n", prefix, src,
                bp_net_size(net, l), prefix, l + 1, prefix, l + 1, bp_net_size(net, l + 1),
                act_code(bp_net_activation(net, l)), dst);
    }
    if (out_kind != BP_SCALE_NONE)
        fprintf(o, "    for (j = 0; j < %s_N_OUTPUTS; j++) y[j] = y[j] * %s_output_scale[j] + %s_output_offset[j];\n",
                upper, prefix, prefix);
    fprintf(o, "}\n\n#endif /* %s_H_ */\n", upper);
    int bad = ferror(o);
    bad = (to_stdout ? fflush(o) : fclose(o)) != 0 || bad;
    bp_net_destroy(net);
    if (bad) {
        cli_error("writing '%s' failed", to_stdout ? "(stdout)" : output);
        return CLI_FAIL;
    }
    return CLI_OK;
}
