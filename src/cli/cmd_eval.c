// SPDX-License-Identifier: MIT
// backprop eval (loss, accuracy, confusion matrix) and backprop predict
// (CSV in, CSV out).
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char eval_usage[] =
    "usage: backprop eval MODEL --data SPEC [options]\n"
    "\n"
    "Evaluate a saved model: the loss and, for classifiers, accuracy, a confusion\n"
    "matrix (rows and columns named by the model's class names, long names cut\n"
    "and marked '~'), and precision, recall and F1 per class and macro-averaged\n"
    "(classes that neither occur nor are predicted are left out of the mean); for\n"
    "regression mse, rmse, mae (over all outputs, in the data's units) and r2\n"
    "(the mean over targets).\n"
    "\n"
    "  --data SPEC           and, or, xor, spirals, fashion-mnist, an IDX directory (its\n"
    "                        t10k-* files if present, else train-*), an IDX images file,\n"
    "                        or a CSV file (\"-\" = stdin; text labels are matched to\n"
    "                        the model's class names)\n"
    "  --label-col N         CSV: the label column, 0-based (-1 = last, the default)\n"
    "  --id-col N            CSV: a column to skip (an id), 0-based\n"
    "  --targets N           CSV: the last N columns are regression targets\n"
    "  --header yes|no|auto  CSV: first line is a header (default auto)\n"
    "  --delimiter D         CSV: ',', ';', tab or auto (default: detected)\n"
    "  --samples N           spirals: number of points (default 1000)\n"
    "  --loss NAME           mse, softmax_xent, sigmoid_bce (default: from the output layer)\n"
    "  --threads N           OpenMP threads (0 = all cores)\n"
    "  --isa NAME            kernel set: auto, scalar, avx2, avx512, neon\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 bad command line.\n";

static const char predict_usage[] =
    "usage: backprop predict MODEL --input IN.csv [-o OUT.csv] [options]\n"
    "\n"
    "Run a saved model on the rows of a CSV file of features. Writes one CSV row\n"
    "of outputs per input row (in the data's units: the model's scaling is\n"
    "applied), followed by the predicted class for classifiers (softmax output,\n"
    "or one sigmoid output thresholded at 0.5): its name when the model stores\n"
    "class names, else its number. The output has a header line when the input\n"
    "had one: id, the outputs (a softmax classifier's named after its classes\n"
    "when the model stores their names, else out0, out1, ...) and class.\n"
    "\n"
    "  --input PATH          the features (\"-\" = stdin)\n"
    "  -o, --output PATH     where to write (default: stdout)\n"
    "  --label-col N         drop this column (0-based, -1 = last): a label\n"
    "  --id-col N            copy this column (0-based) to the output's first column\n"
    "  --header yes|no|auto  the input's first line is a header (default auto)\n"
    "  --delimiter D         ',', ';', tab or auto (default: detected)\n"
    "  --threads N           OpenMP threads (0 = all cores)\n"
    "  --isa NAME            kernel set: auto, scalar, avx2, avx512, neon\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 bad command line.\n";

static int load_model(const char *path, const char *isa_name, bp_net **net) {
    bp_net_options no = bp_net_options_default();
    if (!cli_isa("--isa", isa_name, &no.isa)) return CLI_USAGE;
    bp_status st = bp_net_load(path, &no, net);
    if (st != BP_STATUS_OK) {
        char hint[4200];
        cli_error("%s%s", bp_last_error(), cli_file_hint(path, hint, sizeof hint));
        return st == BP_STATUS_INVALID_ISA || st == BP_STATUS_UNSUPPORTED_ISA ? CLI_USAGE : CLI_FAIL;
    }
    return CLI_OK;
}

static int digits(size_t v) {
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

// Columns that UTF-8 text takes: its code points (wide East Asian characters,
// which take two, are not told apart).
static size_t text_width(const char *s) {
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) w += (*p & 0xC0) != 0x80;
    return w;
}

// s fitted to at most w columns (w >= 2) in buf: as it is when it fits, else
// cut to w - 1 columns, trailing blanks dropped, and marked with '~'.
// Returns the columns it takes.
static int cut_text(const char *s, int w, char *buf, size_t len) {
    size_t n = 0;
    int cols = 0, cut = text_width(s) > (size_t)w;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 6 < len; p++) {
        int starts = (*p & 0xC0) != 0x80; // the first byte of a code point
        if (starts && cols == (cut ? w - 1 : w)) break;
        cols += starts;
        buf[n++] = (char)*p;
    }
    if (cut) {
        while (n && buf[n - 1] == ' ') n--, cols--;
        buf[n++] = '~';
        cols++;
    }
    buf[n] = '\0';
    return cols;
}

// s in exactly w columns: cut (cut_text), then padded on the left (right =
// 1, for columns of numbers) or on the right.
static void put_cell(const char *s, int w, int right) {
    char buf[160];
    int pad = w - cut_text(s, w, buf, sizeof buf);
    if (right) printf("%*s%s", pad, "", buf);
    else printf("%s%*s", buf, pad, "");
}

// Class i's name, or its number (in num) when the model has no names.
static const char *class_text(const bp_net *net, uint32_t i, char *num, size_t len) {
    const char *nm = bp_net_class_name(net, i);
    if (nm) return nm;
    snprintf(num, len, "%u", i);
    return num;
}

// The confusion matrix of K <= 30 classes. With class names the rows and
// columns carry them: row names cut to 24 columns, column names to the
// widest cut (12 down to 4 columns) that keeps a line within 100 columns and
// the cut names distinct. Otherwise the columns are numbered, and with names
// a line below says which number is which.
static void print_confusion(const bp_net *net, const size_t *confusion, uint32_t K) {
    enum { ROW_MAX = 24, LINE_MAX = 100, CUT_MAX = 12, CUT_MIN = 4 };
    size_t most = 0;
    for (size_t i = 0; i < (size_t)K * K; i++)
        if (confusion[i] > most) most = confusion[i];
    int named = bp_net_n_class_names(net) == K, name_max = 0;
    for (uint32_t i = 0; named && i < K; i++) {
        int nw = (int)text_width(bp_net_class_name(net, i));
        if (nw > name_max) name_max = nw;
    }
    int rw = !named ? 5 : name_max > ROW_MAX ? ROW_MAX : name_max < 5 ? 5 : name_max; // the row names' column
    int w = 0; // the columns' width; 0: numbered
    for (int cap = CUT_MAX; named && cap >= CUT_MIN && !w; cap--) {
        int cw = name_max < cap ? name_max : cap;
        if (digits(most) > cw) cw = digits(most);
        if (rw + (int)K * (cw + 1) <= LINE_MAX) w = cw;
    }
    char cut[30][64];
    for (uint32_t j = 0; w && j < K; j++) cut_text(bp_net_class_name(net, j), w, cut[j], sizeof cut[j]);
    for (uint32_t i = 0; w && i < K; i++)
        for (uint32_t j = i + 1; w && j < K; j++)
            if (strcmp(cut[i], cut[j]) == 0) w = 0; // two names cut alike
    int numbered = !w;
    if (numbered) w = digits(most) > digits(K) ? digits(most) : digits(K);
    printf("\nconfusion matrix (rows: true class, columns: predicted class)\n%*s", rw, "");
    for (uint32_t j = 0; j < K; j++) {
        char num[16];
        snprintf(num, sizeof num, "%u", j);
        putchar(' ');
        put_cell(numbered ? num : cut[j], w, 1);
    }
    putchar('\n');
    for (uint32_t i = 0; i < K; i++) {
        char num[16];
        snprintf(num, sizeof num, "%u", i);
        put_cell(named ? bp_net_class_name(net, i) : num, rw, !named);
        for (uint32_t j = 0; j < K; j++) printf(" %*zu", w, confusion[(size_t)i * K + j]);
        putchar('\n');
    }
    if (named && numbered) {
        fputs("columns:", stdout);
        for (uint32_t j = 0; j < K; j++) printf("%s %u %s", j ? "," : "", j, bp_net_class_name(net, j));
        putchar('\n');
    }
}

int cmd_eval(int argc, char **argv) {
    cli_prog = "backprop eval";
    const char *data = NULL, *label_col_s = NULL, *id_col_s = NULL, *targets_s = NULL, *header_s = NULL,
               *samples_s = NULL, *loss_s = NULL, *threads_s = NULL, *isa_s = NULL, *delim_s = NULL;
    int help = 0;
    const cli_opt opts[] = {
        {"data", 0, CLI_OPT_VALUE, &data, NULL},
        {"label-col", 0, CLI_OPT_VALUE, &label_col_s, NULL},
        {"id-col", 0, CLI_OPT_VALUE, &id_col_s, NULL},
        {"targets", 0, CLI_OPT_VALUE, &targets_s, NULL},
        {"header", 0, CLI_OPT_VALUE, &header_s, NULL},
        {"delimiter", 0, CLI_OPT_VALUE, &delim_s, NULL},
        {"samples", 0, CLI_OPT_VALUE, &samples_s, NULL},
        {"loss", 0, CLI_OPT_VALUE, &loss_s, NULL},
        {"threads", 0, CLI_OPT_VALUE, &threads_s, NULL},
        {"isa", 0, CLI_OPT_VALUE, &isa_s, NULL},
    };
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(eval_usage, stdout);
        return CLI_OK;
    }
    if (n_pos != 1) {
        cli_error("which model? (usage: backprop eval MODEL --data SPEC)");
        return CLI_USAGE;
    }
    if (!data) {
        cli_error("--data is required (see 'backprop eval --help')");
        return CLI_USAGE;
    }
    long label_col = -1, id_col = -1;
    uint64_t targets = 0, samples = 0, threads = 0;
    int header = -1;
    char delimiter = 0;
    bp_loss loss = BP_LOSS_MSE;
    if (!cli_int("--label-col", label_col_s, -1, 1L << 24, &label_col) ||
        !cli_int("--id-col", id_col_s, 0, 1L << 24, &id_col) ||
        !cli_uint("--targets", targets_s, 1, 1u << 24, &targets) ||
        !cli_uint("--samples", samples_s, 2, 1u << 26, &samples) ||
        !cli_uint("--threads", threads_s, 0, 4096, &threads) || !cli_tristate("--header", header_s, &header) ||
        !cli_delimiter("--delimiter", delim_s, &delimiter))
        return CLI_USAGE;
    if (loss_s && bp_loss_from_name(loss_s, &loss) != BP_STATUS_OK) {
        cli_error("--loss: %s", bp_last_error());
        return CLI_USAGE;
    }
    if (cli_parse_only) return CLI_OK;
    bp_net *net = NULL;
    rc = load_model(pos[0], isa_s, &net);
    if (rc != CLI_OK) return rc;
    // Text labels are mapped through the model's class names.
    size_t n_names = bp_net_n_class_names(net);
    const char *class_names[256];
    if (n_names > 256) n_names = 0; // too many to map by name: numbers only
    for (size_t i = 0; i < n_names; i++) class_names[i] = bp_net_class_name(net, i);
    cli_data_opts dopt = {.label_col = (int)label_col, .header = header, .n_targets = (uint32_t)targets,
                          .samples = (size_t)samples, .delimiter = delimiter, .id_col = (int)id_col,
                          .class_names = n_names ? (const char *const *)class_names : NULL, .n_class_names = n_names};
    cli_data ds;
    const char *dir = cli_data_resolve(data);
    const char *which = cli_idx_has(dir, "t10k") ? "t10k" : "train";
    float *y = NULL;
    size_t *confusion = NULL;
    rc = CLI_FAIL;
    if (!cli_data_load("--data", data, which, &dopt, &ds)) {
        bp_net_destroy(net);
        return CLI_FAIL;
    }
    const bp_data *d = &ds.set.d;
    size_t L = bp_net_n_layers(net);
    uint32_t n_out = bp_net_size(net, L);
    if (d->n_in != bp_net_size(net, 0)) {
        cli_error("--data: %u features, but the model takes %u", d->n_in, bp_net_size(net, 0));
        rc = CLI_USAGE;
        goto out;
    }
    if (d->n_classes && d->n_classes > (n_out == 1 ? 2u : n_out)) {
        cli_error("--data: %u classes, but the model has %u output%s", d->n_classes, n_out, n_out == 1 ? "" : "s");
        rc = CLI_USAGE;
        goto out;
    }
    if (!d->n_classes && d->n_targets != n_out) {
        cli_error("--data: %u targets, but the model has %u outputs", d->n_targets, n_out);
        rc = CLI_USAGE;
        goto out;
    }
    if (!loss_s) loss = cli_default_loss(net, d);
    bp_eval ev;
    if (bp_net_evaluate(net, loss, d, (int)threads, &ev) != BP_STATUS_OK) {
        cli_error("%s", bp_last_error());
        goto out;
    }
    char shape[512], acts[512], desc[128];
    cli_net_shape(net, shape, sizeof shape);
    cli_net_acts(net, acts, sizeof acts);
    cli_data_describe(d, desc, sizeof desc);
    printf("model:     %s: %s %s\n", pos[0], shape, acts);
    printf("data:      %s (%s)\n", ds.source, desc);
    // The loss is measured on the targets as scaled for training (what
    // training minimized); the metrics below are in the data's units.
    printf("loss:      %.6f (%s%s)\n", ev.loss, bp_loss_name(loss),
           bp_net_output_scaling(net, NULL, NULL) != BP_SCALE_NONE ? " on the targets scaled as in training" : "");
    if (d->n_classes) {
        uint32_t K = n_out == 1 ? 2 : n_out;
        y = malloc(d->n * (size_t)n_out * sizeof(float));
        confusion = calloc((size_t)K * K, sizeof(size_t));
        if (!y || !confusion) {
            cli_error("out of memory for %zu predictions", d->n);
            goto out;
        }
        if (bp_net_predict_mt(net, d->x, d->n, y, (int)threads) != BP_STATUS_OK) {
            cli_error("%s", bp_last_error());
            goto out;
        }
        size_t hits = 0;
        for (size_t i = 0; i < d->n; i++) {
            uint32_t p = cli_class_of(y + i * n_out, n_out), t = (uint32_t)d->labels[i];
            confusion[(size_t)t * K + p]++;
            hits += p == t;
        }
        printf("accuracy:  %.2f%% (%zu of %zu)\n", 100.0 * (double)hits / (double)d->n, hits, d->n);
        if (K <= 30) print_confusion(net, confusion, K);
        else printf("\n(confusion matrix omitted: %u classes)\n", K);
        cli_class_metric *per = malloc((size_t)K * sizeof *per), macro;
        if (!per) {
            cli_error("out of memory for %u classes", K);
            goto out;
        }
        cli_class_metrics(confusion, K, per, &macro);
        // The class column: the model's class names when it has them.
        int cw = 8;
        for (uint32_t i = 0; i < K; i++) {
            char num[16];
            int nw = (int)text_width(class_text(net, i, num, sizeof num));
            if (nw > cw) cw = nw > 32 ? 32 : nw;
        }
        printf("\n%-*s %9s %9s %9s %9s\n", cw, "class", "precision", "recall", "F1", "rows");
        for (uint32_t i = 0; i < K; i++) {
            char num[16];
            put_cell(class_text(net, i, num, sizeof num), cw, 0);
            printf(" %9.4f %9.4f %9.4f %9zu\n", per[i].precision, per[i].recall, per[i].f1, per[i].support);
        }
        printf("%-*s %9.4f %9.4f %9.4f %9zu  (mean over %u classes)\n", cw, "macro", macro.precision,
               macro.recall, macro.f1, macro.support, macro.classes);
        free(per);
    } else {
        y = malloc(d->n * (size_t)n_out * sizeof(float));
        if (!y) {
            cli_error("out of memory for %zu predictions", d->n);
            goto out;
        }
        if (bp_net_predict_mt(net, d->x, d->n, y, (int)threads) != BP_STATUS_OK) {
            cli_error("%s", bp_last_error());
            goto out;
        }
        cli_reg_metrics m;
        cli_regression_metrics(y, d->targets, d->n, n_out, &m);
        printf("mse:       %.6g\nrmse:      %.6g\nmae:       %.6g\n", m.mse, m.rmse, m.mae);
        if (m.r2_targets) printf("r2:        %.6f%s\n", m.r2, n_out > 1 ? " (mean over targets)" : "");
        else printf("r2:        - (every target is constant)\n");
    }
    rc = CLI_OK;
out:
    free(y);
    free(confusion);
    bp_dataset_free(&ds.set);
    bp_net_destroy(net);
    return rc;
}

// One CSV cell: quoted (inner quotes doubled) when it holds a comma, a
// quote or a line break, so that ids and class names like "Smith, John"
// read back as one cell.
static void put_csv_cell(FILE *out, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

int cmd_predict(int argc, char **argv) {
    cli_prog = "backprop predict";
    const char *input = NULL, *output = NULL, *header_s = NULL, *threads_s = NULL, *isa_s = NULL,
               *delim_s = NULL, *label_s = NULL, *id_s = NULL;
    int help = 0;
    const cli_opt opts[] = {
        {"input", 'i', CLI_OPT_VALUE, &input, NULL},
        {"output", 'o', CLI_OPT_VALUE, &output, NULL},
        {"header", 0, CLI_OPT_VALUE, &header_s, NULL},
        {"delimiter", 0, CLI_OPT_VALUE, &delim_s, NULL},
        {"label-col", 0, CLI_OPT_VALUE, &label_s, NULL},
        {"id-col", 0, CLI_OPT_VALUE, &id_s, NULL},
        {"threads", 0, CLI_OPT_VALUE, &threads_s, NULL},
        {"isa", 0, CLI_OPT_VALUE, &isa_s, NULL},
    };
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(predict_usage, stdout);
        return CLI_OK;
    }
    if (n_pos != 1) {
        cli_error("which model? (usage: backprop predict MODEL --input IN.csv)");
        return CLI_USAGE;
    }
    if (!input) {
        cli_error("--input is required (see 'backprop predict --help')");
        return CLI_USAGE;
    }
    bp_csv_options co = bp_csv_options_default();
    co.label_col = BP_CSV_NO_LABEL; // features only
    uint64_t threads = 0;
    long label_col = BP_CSV_NO_LABEL, id_col = -1;
    if (!cli_tristate("--header", header_s, &co.header) || !cli_uint("--threads", threads_s, 0, 4096, &threads) ||
        !cli_delimiter("--delimiter", delim_s, &co.delimiter) || !cli_int("--label-col", label_s, -1, 1L << 24, &label_col) ||
        !cli_int("--id-col", id_s, 0, 1L << 24, &id_col))
        return CLI_USAGE;
    if (label_s && id_s && label_col == id_col) {
        cli_error("--label-col and --id-col both name column %ld", id_col);
        return CLI_USAGE;
    }
    if (cli_parse_only) return CLI_OK;
    bp_net *net = NULL;
    rc = load_model(pos[0], isa_s, &net);
    if (rc != CLI_OK) return rc;
    co.drop_col = (int)label_col; // a label column is skipped unread
    co.id_col = (int)id_col;
    uint32_t n_in = bp_net_size(net, 0), n_out = bp_net_size(net, bp_net_n_layers(net));
    int classifier = cli_is_classifier(net);
    bp_dataset ds;
    float *y = NULL;
    FILE *out = NULL;
    rc = CLI_FAIL;
    if (bp_data_read_csv(input, &co, &ds) != BP_STATUS_OK) {
        long col = cli_text_column(bp_last_error());
        if (col >= 0) // a text column is a label or an id, most likely
            cli_error("--input: %s (a label column? drop it with --label-col %ld; an id? pass it through with "
                      "--id-col %ld)", bp_last_error(), col, col);
        else {
            char hint[4200];
            cli_error("--input: %s%s", bp_last_error(), cli_file_hint(input, hint, sizeof hint));
        }
        bp_net_destroy(net);
        return CLI_FAIL;
    }
    size_t n = ds.d.n;
    if (ds.d.n_in != n_in) {
        cli_error("%s: %u columns%s, but the model takes %u features%s", input, ds.d.n_in,
                  label_s || id_s ? " (label and id columns aside)" : "", n_in,
                  ds.d.n_in == n_in + 1 && !label_s ? " (a label column? drop it with --label-col N)" : "");
        goto done;
    }
    y = malloc(n * (size_t)n_out * sizeof(float));
    if (!y) {
        cli_error("out of memory for %zu predictions", n);
        goto done;
    }
    if (bp_net_predict_mt(net, ds.d.x, n, y, (int)threads) != BP_STATUS_OK) {
        cli_error("%s: %s", input, bp_last_error());
        goto done;
    }
    int to_stdout = !output || strcmp(output, "-") == 0;
    out = to_stdout ? stdout : fopen(output, "w");
    if (!out) {
        cli_error("-o: cannot create '%s': %s", output, strerror(errno));
        goto done;
    }
    if (ds.had_header) {
        // A softmax classifier's probability columns are named after its
        // classes when the model has their names, else out0, out1, ...
        int named = classifier && n_out > 1 && bp_net_n_class_names(net) == n_out;
        if (ds.ids) fputs("id,", out);
        for (uint32_t j = 0; j < n_out; j++) {
            if (j) fputc(',', out);
            if (named) put_csv_cell(out, bp_net_class_name(net, j));
            else fprintf(out, "out%u", j);
        }
        fputs(classifier ? ",class\n" : "\n", out);
    }
    for (size_t i = 0; i < n; i++) {
        const float *r = y + i * n_out;
        if (ds.ids) {
            put_csv_cell(out, ds.ids[i]);
            fputc(',', out);
        }
        for (uint32_t j = 0; j < n_out; j++) fprintf(out, "%s%.9g", j ? "," : "", (double)r[j]);
        if (classifier) {
            uint32_t k = cli_class_of(r, n_out);
            const char *name = bp_net_class_name(net, k);
            fputc(',', out);
            if (name) put_csv_cell(out, name);
            else fprintf(out, "%u", k);
        }
        fputc('\n', out);
    }
    int bad = ferror(out);
    if (!to_stdout) bad = fclose(out) != 0 || bad;
    else bad = fflush(out) != 0 || bad;
    out = NULL;
    if (bad) {
        cli_error("writing '%s' failed: %s", to_stdout ? "(stdout)" : output, strerror(errno));
        goto done;
    }
    rc = CLI_OK;
done:
    if (out && out != stdout) fclose(out);
    bp_dataset_free(&ds);
    free(y);
    bp_net_destroy(net);
    return rc;
}
