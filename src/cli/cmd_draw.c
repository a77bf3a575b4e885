// SPDX-License-Identifier: MIT
// backprop draw: a picture of a saved network, as SVG or as Graphviz dot.
// Layers are columns of units; a layer wider than the picture can hold is
// drawn as its first and last units around a gap marked with the count.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: backprop draw MODEL [-o net.svg] [--format svg|dot] [--units N]\n"
    "\n"
    "Draw a saved network: one column of units per layer (input first), each\n"
    "layer's activation and parameter count, and the input scaling and class\n"
    "names when the model holds them. A layer of more than N units (default 10)\n"
    "is drawn as a sample of its units with the count in the gap.\n"
    "\n"
    "  -o, --output PATH     the file to write (default: stdout)\n"
    "  --format svg|dot      SVG picture, or a Graphviz graph (render with\n"
    "                        'dot -Tsvg'); default: dot for a .dot or .gv output,\n"
    "                        else svg\n"
    "  --units N             most units drawn per layer, 3 to 64 (default 10)\n";

// Which units of a layer of width n are drawn when at most max fit: all of
// them, or the first max-1-(max-1)/2... units, a gap, and the last ones.
typedef struct column {
    uint32_t n;         // units in the layer
    uint32_t shown;     // units drawn
    uint32_t head;      // the first `head` units are drawn, then a gap, then the last shown-head
    int gap;            // 1 when units are left out
} column;

static column column_of(uint32_t n, uint32_t max) {
    column c = {n, n, n, 0};
    if (n > max) {
        c.shown = max - 1; // one slot goes to the gap
        c.head = (c.shown + 1) / 2;
        c.gap = 1;
    }
    return c;
}

// The index of the k-th drawn unit.
static uint32_t unit_at(const column *c, uint32_t k) {
    return k < c->head ? k : c->n - (c->shown - k);
}

// 1234567 -> "1,234,567".
static void thousands(size_t v, char *buf, size_t len) {
    char raw[32];
    snprintf(raw, sizeof raw, "%zu", v);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n && o + 2 < len; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
}

static void xml_text(FILE *o, const char *s) {
    for (; *s; s++) switch (*s) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        default:
            if ((unsigned char)*s >= 0x20) fputc(*s, o);
            else fputc('?', o);
        }
}

// A dot string literal's body.
static void dot_text(FILE *o, const char *s) {
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', o);
        fputc((unsigned char)*s >= 0x20 ? *s : '?', o);
    }
}

// The name shown beside output unit i: the model's class name, else none.
// One sigmoid output is the probability of class 1 against class 0.
static const char *class_label(const bp_net *net, uint32_t i, char *buf, size_t len) {
    size_t L = bp_net_n_layers(net);
    if (bp_net_n_class_names(net) == 0) return NULL;
    if (bp_net_size(net, L) == 1 && bp_net_n_class_names(net) == 2) {
        snprintf(buf, len, "%s (vs %s)", bp_net_class_name(net, 1), bp_net_class_name(net, 0));
        return buf;
    }
    const char *nm = bp_net_class_name(net, i);
    if (!nm) return NULL;
    snprintf(buf, len, "%s", nm);
    return buf;
}

// A line about the input scaling, or NULL when the model has none.
static const char *input_note(const bp_net *net) {
    switch (bp_net_input_scaling(net, NULL, NULL)) {
    case BP_SCALE_STANDARD: return "standardized (mean, std)";
    case BP_SCALE_MINMAX: return "min-max scaled to [0, 1]";
    default: return NULL;
    }
}

// A line about the output scaling (regression), or NULL.
static const char *output_note(const bp_net *net) {
    switch (bp_net_output_scaling(net, NULL, NULL)) {
    case BP_SCALE_STANDARD: return "targets standardized, mapped back";
    case BP_SCALE_MINMAX: return "targets min-max scaled, mapped back";
    default: return NULL;
    }
}

// Geometry of the SVG, in pixels.
enum { COL_W = 190, UNIT_DY = 34, RADIUS = 11, TOP = 70, SIDE = 120, BOTTOM = 96 };

static double unit_y(const column *c, uint32_t k, double mid) {
    // slots: shown units plus one for the gap
    uint32_t slots = c->shown + (uint32_t)c->gap;
    uint32_t slot = k < c->head ? k : k + (uint32_t)c->gap;
    return mid + ((double)slot - (double)(slots - 1) / 2.0) * UNIT_DY;
}

static void write_svg(FILE *o, const bp_net *net, const char *model, const column *cols, size_t L) {
    uint32_t most = 0;
    for (size_t i = 0; i <= L; i++) {
        uint32_t slots = cols[i].shown + (uint32_t)cols[i].gap;
        if (slots > most) most = slots;
    }
    // Room on the right for class names.
    size_t longest = 0;
    for (uint32_t k = 0; k < cols[L].shown; k++) {
        char nb[600];
        const char *nm = class_label(net, unit_at(&cols[L], k), nb, sizeof nb);
        if (nm && strlen(nm) > longest) longest = strlen(nm);
    }
    double right = SIDE + 7.0 * (double)longest;
    double width = SIDE + (double)L * COL_W + right, height = TOP + (double)most * UNIT_DY + BOTTOM;
    double mid = TOP + (double)(most * UNIT_DY) / 2.0;
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n  <title>",
            width, height, width, height);
    xml_text(o, model);
    fputs("</title>\n  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", o);
    char shape[512], params[32];
    cli_net_shape(net, shape, sizeof shape);
    thousands(bp_net_n_params(net), params, sizeof params);
    fprintf(o, "  <text x=\"%.1f\" y=\"26\" font-size=\"15\" text-anchor=\"middle\">", width / 2);
    xml_text(o, model);
    fprintf(o, ": %s, %s parameters</text>\n", shape, params);
    // Edges first, so the units are drawn over them.
    fputs("  <g stroke=\"#9aa5b1\" stroke-width=\"0.8\" stroke-opacity=\"0.55\">\n", o);
    for (size_t l = 0; l < L; l++) {
        double x0 = SIDE + (double)l * COL_W, x1 = x0 + COL_W;
        for (uint32_t a = 0; a < cols[l].shown; a++)
            for (uint32_t b = 0; b < cols[l + 1].shown; b++)
                fprintf(o, "    <line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0 + RADIUS,
                        unit_y(&cols[l], a, mid), x1 - RADIUS, unit_y(&cols[l + 1], b, mid));
    }
    fputs("  </g>\n", o);
    for (size_t l = 0; l <= L; l++) {
        const column *c = &cols[l];
        double x = SIDE + (double)l * COL_W;
        const char *fill = l == 0 ? "#e8f1fa" : l == L ? "#fdebd3" : "#e9f5e9";
        const char *stroke = l == 0 ? "#1f77b4" : l == L ? "#e07b00" : "#2ca02c";
        for (uint32_t k = 0; k < c->shown; k++) {
            double y = unit_y(c, k, mid);
            fprintf(o, "  <circle class=\"unit\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                    x, y, RADIUS, fill, stroke);
            char nb[600];
            const char *nm = l == L ? class_label(net, unit_at(c, k), nb, sizeof nb) : NULL;
            if (nm) {
                fprintf(o, "  <text class=\"class\" x=\"%.1f\" y=\"%.1f\">", x + RADIUS + 8, y + 4);
                xml_text(o, nm);
                fputs("</text>\n", o);
            }
        }
        if (c->gap) { // the left-out units: a dotted run and their count
            double y = unit_y(c, c->head - 1, mid) + UNIT_DY;
            fprintf(o, "  <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"16\" fill=\"#555\">&#8942;</text>\n",
                    x, y + 5);
            fprintf(o, "  <text class=\"count\" x=\"%.1f\" y=\"%.1f\" fill=\"#222\" stroke=\"white\" stroke-width=\"5\" "
                    "paint-order=\"stroke\">%u units (%u shown)</text>\n", x + RADIUS + 6,
                    y + 4, c->n, c->shown);
        }
        // Caption under the column: what the layer is.
        double cy = mid + (double)(most * UNIT_DY) / 2.0 + 22;
        char line1[128], line2[128] = "", line3[128] = "", line4[128] = "";
        if (l == 0) {
            snprintf(line1, sizeof line1, "input");
            snprintf(line2, sizeof line2, "%u feature%s", c->n, c->n == 1 ? "" : "s");
            const char *note = input_note(net);
            if (note) snprintf(line3, sizeof line3, "%s", note);
        } else {
            size_t in = bp_net_size(net, l - 1);
            char p[32];
            thousands(in * c->n + c->n, p, sizeof p);
            snprintf(line1, sizeof line1, "%s %u", l == L ? "output" : "hidden", c->n);
            snprintf(line2, sizeof line2, "%s", bp_act_name(bp_net_activation(net, l - 1)));
            snprintf(line3, sizeof line3, "%s parameters", p);
            const char *note = l == L ? output_note(net) : NULL;
            if (note) snprintf(line4, sizeof line4, "%s", note);
        }
        const char *lines[4] = {line1, line2, line3, line4};
        for (int i = 0; i < 4; i++) {
            if (!lines[i][0]) continue;
            fprintf(o, "  <text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"%s>", x, cy + 16.0 * i,
                    i == 0 ? " font-weight=\"bold\"" : " fill=\"#444\"");
            xml_text(o, lines[i]);
            fputs("</text>\n", o);
        }
    }
    fputs("</svg>\n", o);
}

static void write_dot(FILE *o, const bp_net *net, const char *model, const column *cols, size_t L) {
    char shape[512], params[32];
    cli_net_shape(net, shape, sizeof shape);
    thousands(bp_net_n_params(net), params, sizeof params);
    fputs("digraph network {\n  graph [rankdir=LR, splines=line, nodesep=0.15, ranksep=1.6, label=\"", o);
    dot_text(o, model);
    fprintf(o, ": %s, %s parameters\", labelloc=t, fontname=\"sans-serif\"];\n", shape, params);
    fputs("  node [shape=circle, label=\"\", width=0.3, fixedsize=true, fontname=\"sans-serif\", fontsize=10];\n"
          "  edge [arrowhead=none, color=\"#9aa5b1\", penwidth=0.6];\n", o);
    for (size_t l = 0; l <= L; l++) {
        const column *c = &cols[l];
        fprintf(o, "  subgraph cluster_%zu {\n    color=\"#cccccc\"; fontname=\"sans-serif\"; fontsize=11;\n"
                   "    label=\"",
                l);
        if (l == 0) {
            fprintf(o, "input\\n%u feature%s", c->n, c->n == 1 ? "" : "s");
            const char *note = input_note(net);
            if (note) {
                fputs("\\n", o);
                dot_text(o, note);
            }
        } else {
            char p[32];
            size_t in = bp_net_size(net, l - 1);
            thousands(in * c->n + c->n, p, sizeof p);
            fprintf(o, "%s %u\\n%s\\n%s parameters", l == L ? "output" : "hidden", c->n,
                    bp_act_name(bp_net_activation(net, l - 1)), p);
            const char *note = l == L ? output_note(net) : NULL;
            if (note) {
                fputs("\\n", o);
                dot_text(o, note);
            }
        }
        fputs("\";\n", o);
        for (uint32_t k = 0; k < c->shown; k++) {
            uint32_t u = unit_at(c, k);
            char nb[600];
            const char *nm = l == L ? class_label(net, u, nb, sizeof nb) : NULL;
            fprintf(o, "    u%zu_%u", l, u);
            if (nm) {
                fputs(" [xlabel=\"", o);
                dot_text(o, nm);
                fputs("\"]", o);
            }
            fputs(";\n", o);
            if (c->gap && k + 1 == c->head)
                fprintf(o, "    gap%zu [shape=plaintext, width=0.8, label=\"... %u units\"];\n", l, c->n);
        }
        fputs("  }\n", o);
    }
    for (size_t l = 0; l < L; l++)
        for (uint32_t a = 0; a < cols[l].shown; a++)
            for (uint32_t b = 0; b < cols[l + 1].shown; b++)
                fprintf(o, "  u%zu_%u -> u%zu_%u;\n", l, unit_at(&cols[l], a), l + 1, unit_at(&cols[l + 1], b));
    fputs("}\n", o);
}

int cmd_draw(int argc, char **argv) {
    cli_prog = "backprop draw";
    const char *output = NULL, *format = NULL, *units_s = NULL;
    int help = 0;
    const cli_opt opts[] = {
        {"output", 'o', CLI_OPT_VALUE, &output, NULL},
        {"format", 0, CLI_OPT_VALUE, &format, NULL},
        {"units", 0, CLI_OPT_VALUE, &units_s, NULL},
    };
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (n_pos != 1) {
        cli_error("which model? (usage: backprop draw MODEL -o net.svg)");
        return CLI_USAGE;
    }
    uint64_t units = 10;
    if (!cli_uint("--units", units_s, 3, 64, &units)) return CLI_USAGE;
    int dot = 0;
    if (format) {
        if (strcmp(format, "dot") == 0 || strcmp(format, "gv") == 0) dot = 1;
        else if (strcmp(format, "svg") != 0) {
            cli_error("--format: '%s' is not svg or dot", format);
            return CLI_USAGE;
        }
    } else if (output) {
        const char *ext = strrchr(output, '.');
        dot = ext && (strcmp(ext, ".dot") == 0 || strcmp(ext, ".gv") == 0);
    }
    if (cli_parse_only) return CLI_OK;
    bp_net *net = NULL;
    if (bp_net_load(pos[0], NULL, &net) != BP_STATUS_OK) {
        char hint[4200];
        cli_error("%s%s", bp_last_error(), cli_file_hint(pos[0], hint, sizeof hint));
        return CLI_FAIL;
    }
    size_t L = bp_net_n_layers(net);
    column *cols = malloc((L + 1) * sizeof *cols);
    if (!cols) {
        cli_error("out of memory");
        bp_net_destroy(net);
        return CLI_FAIL;
    }
    for (size_t l = 0; l <= L; l++) cols[l] = column_of(bp_net_size(net, l), (uint32_t)units);
    int to_stdout = !output || strcmp(output, "-") == 0;
    FILE *o = to_stdout ? stdout : fopen(output, "w");
    rc = CLI_FAIL;
    if (!o) {
        cli_error("-o: cannot create '%s': %s", output, strerror(errno));
    } else {
        const char *slash = strrchr(pos[0], '/');
        const char *model = slash && slash[1] ? slash + 1 : pos[0];
        if (dot) write_dot(o, net, model, cols, L);
        else write_svg(o, net, model, cols, L);
        int bad = ferror(o);
        bad = (to_stdout ? fflush(o) : fclose(o)) != 0 || bad;
        if (bad) cli_error("writing '%s' failed", to_stdout ? "(stdout)" : output);
        else rc = CLI_OK;
    }
    free(cols);
    bp_net_destroy(net);
    return rc;
}
