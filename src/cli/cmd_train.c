// SPDX-License-Identifier: MIT
// backprop train: build a network for a data set, train it, report, save.
//
// cmd_train runs four parts in order, each a function below:
//   parse_args     the command line into checked numbers and names (train_config)
//   load_data      --data/--test/--val into data sets          (train_job)
//   build_network  the network (or the --resume checkpoint's) and the trainer
//   run_training   bp_trainer_fit with the progress display and Ctrl-C
//   report         the summary on stdout, then the model file
// Adding an option: a field in train_args, a line in the table in
// parse_args, a line in usage, and its check beside the others.
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backprop_kernels.h"
#include "cli.h"

#define MAX_LAYERS 64
// CSV data without --epochs: the most epochs early stopping may run.
#define PRESET_TABLE_EPOCHS 1000

// One string per section (ISO C bounds a literal at 4095 bytes).
static const char *const usage[] = {
    "usage: backprop train [options]\n"
    "\n",
    "Train a multi-layer perceptron and save it. With no options it trains on the\n"
    "built-in spirals. Progress goes to stderr, the summary to stdout.\n"
    "\n",
    "data:\n"
    "  --data SPEC           and, or, xor, spirals (default), fashion-mnist, a directory\n"
    "                        of IDX files (train-images-idx3-ubyte[.gz], ...), an IDX\n"
    "                        images file, or a CSV file\n"
    "  --test SPEC           data for the final test evaluation (an IDX directory means\n"
    "                        its t10k-* files; for an IDX --data directory holding t10k-*\n"
    "                        files they are used automatically)\n"
    "  --val-split F         hold out this fraction (0 < F < 1) for validation\n"
    "  --val SPEC            separate validation data (file or IDX directory)\n"
    "  --label-col N         CSV: the label column, 0-based (-1 = last, the default)\n"
    "  --id-col N            CSV: a column to skip (an id), 0-based\n"
    "  --targets N           CSV: the last N columns are regression targets\n"
    "  --header yes|no|auto  CSV: first line is a header (default auto)\n"
    "  --delimiter D         CSV: ',', ';', tab or auto (default: detected from the\n"
    "                        first line). Labels may be numbers (the class numbers)\n"
    "                        or text (classes in sorted order; the names are stored\n"
    "                        in the model). \"-\" as SPEC reads a CSV from stdin\n"
    "  --scale KIND          input scaling stored in the model: standard (mean 0,\n"
    "                        std 1 per column; the default for CSV), minmax ([0, 1])\n"
    "                        or none (the default otherwise; IDX pixels are always\n"
    "                        divided by 255). Regression targets are standardized\n"
    "                        for training unless none; predictions come back in\n"
    "                        the data's units\n"
    "  --samples N           spirals: number of points (default 1000)\n"
    "\n",
    "network:\n"
    "  --layers W,W,...      all widths, input first (e.g. 784,256,128,10)\n"
    "  --hidden W,...        hidden widths; input and output come from the data\n"
    "  --act NAME[,NAME...]  one name for every hidden layer, one per hidden layer, or\n"
    "                        one per layer (the last is the output): identity, step,\n"
    "                        sigmoid, tanh, relu, leaky_relu, gelu, softmax\n"
    "  --isa NAME            kernel set: auto (default), scalar, avx2, avx512, neon\n"
    "  --init NAME           weight initialisation: auto (he for relu/gelu layers,\n"
    "                        glorot otherwise; the default, except torch for CSV\n"
    "                        data), he, glorot, lecun, torch (formulas: backprop.h)\n"
    "\n",
    "training:\n"
    "  --loss NAME           mse, softmax_xent, sigmoid_bce (default: from the output)\n"
    "  --optimizer NAME      sgd, momentum, nesterov, adam (default), adamw\n"
    "  --lr F                learning rate\n"
    "  --momentum F          momentum / nesterov (default 0.9)\n"
    "  --weight-decay F      L2 (decoupled for adamw)\n"
    "  --batch N             mini-batch size\n"
    "  --epochs N            epochs (with --resume: the total, counting those done)\n"
    "  --seed N              weight initialisation and shuffling seed (default 1)\n"
    "  --threads N           OpenMP threads (0 = all cores; default: all cores, or 1\n"
    "                        for networks too small to gain from threads); at most\n"
    "                        N: a step runs on one thread while that is faster\n"
    "                        (busy cores); OMP_DYNAMIC=false keeps all N\n"
    "  --lr-schedule S       constant, step, cosine (default: cosine for IDX images)\n"
    "  --lr-step N           step schedule: epochs per step (default 10)\n"
    "  --lr-gamma F          step schedule: factor per step (default 0.1)\n"
    "  --lr-min F            cosine schedule: final learning rate (default 0)\n"
    "  --warmup N            linear warm-up epochs\n"
    "  --clip F              clip the global gradient norm to F\n"
    "  --strict-ieee         keep denormals (default: flushed to zero) in training and\n"
    "                        in the evaluations after it\n"
    "  --precision P         fp32 (default) or bf16: matrix-product inputs rounded to\n"
    "                        bfloat16, float32 sums; weights and the saved model stay fp32\n"
    "  --dropout P           drop probability on hidden-layer outputs (default 0.2\n"
    "                        for image data, else 0)\n"
    "  --patience N          early stopping on validation loss (needs --val-split\n"
    "                        or --val); the best epoch's weights are kept\n"
    "  --checkpoint PATH     save a resumable checkpoint ...\n"
    "  --checkpoint-every N  ... every N epochs (default 1)\n"
    "  --resume PATH         continue from a checkpoint (its network is used)\n"
    "\n",
    "output:\n"
    "  -o, --output PATH     model file (default backprop.bpm)\n"
    "  --log PATH            write one CSV row per epoch (see backprop plot)\n"
    "  -q, --quiet           no progress output\n"
    "\n",
    "Defaults per data set: and/or/xor 2-4-1 tanh/sigmoid, adam 0.05, batch 4, 500\n"
    "epochs; spirals 2-64-64-2 tanh/softmax, adam 0.01, batch 32, 100 epochs; IDX\n"
    "images 256,128 relu/softmax, adam 0.001 with cosine decay, batch 128, 30 epochs;\n"
    "CSV: standardized inputs, 64 relu, torch init, adam 0.001, batch 32, and\n"
    "early stopping: 20% of the rows held out for validation (unless --val or\n"
    "--val-split is given), up to 1000 epochs, stopping 30 epochs after the best\n"
    "validation loss and keeping that epoch's weights; --epochs N instead trains\n"
    "exactly N epochs\n"
    "(with early stopping only if --patience is given). Classification trains with\n"
    "softmax cross-entropy (or binary cross-entropy for one sigmoid output),\n"
    "regression with mse.\n"
    "Ctrl-C stops training after the current batch and still saves the model.\n"
    "A checkpoint that cannot be written is a warning: training goes on. A failed\n"
    "--log write is an error (exit 1) once the model is saved.\n"
    "Exit status: 0 ok, 1 failure, 2 bad command line, 130 interrupted (model saved).\n",
};

typedef struct preset {
    const char *what;
    uint32_t hidden[4];
    size_t n_hidden;
    bp_act hidden_act;
    int binary_one_output; // 2 classes -> one sigmoid output
    float lr;               // Adam learning rate
    size_t batch;
    uint32_t epochs;
    bp_lr_schedule schedule;
    float dropout;          // on hidden-layer outputs
    // Early stopping by default: unless --epochs is given, hold out
    // val_split of the data (when no --val/--val-split is given) and stop
    // after `patience` epochs without a better validation loss, keeping the
    // best epoch's weights. 0: off.
    float val_split;
    uint32_t patience;
    bp_init init; // weight initialisation unless --init is given
} preset;

// Tuned on this project's 2-core Zen 4 test machine: xor/and/or reach 100%
// for every seed tried (1-8); spirals reach 100% by about epoch 40 for seeds
// 1-20, in well under a second; Fashion-MNIST reaches about 89% test
// accuracy in 10 epochs (the cosine decay adds about 0.7 points) and about
// 90.2-90.5% in 30 epochs with dropout 0.2 (about 12 s on 2 cores).
static const preset preset_logic = {"logic", {4}, 1, BP_ACT_TANH, 1, 0.05f, 4, 500, BP_LR_CONSTANT, 0.0f, 0, 0, BP_INIT_AUTO};
static const preset preset_spirals = {"spirals", {64, 64}, 2, BP_ACT_TANH, 0, 0.01f, 32, 100, BP_LR_CONSTANT, 0.0f, 0, 0, BP_INIT_AUTO};
static const preset preset_images = {"images", {256, 128}, 2, BP_ACT_RELU, 0, 0.001f, 128, 30, BP_LR_COSINE, 0.2f, 0, 0, BP_INIT_AUTO};
// CSV tables: see README "Your own CSV data" for the measurements
// (bench/tabular_compare.py, bench/init_compare.py): PyTorch's nn.Linear
// initialisation gave the best test figures on all four classification
// sets and on diabetes regression; images keep He/Glorot (0.7 points
// better on Fashion-MNIST after 2 epochs).
static const preset preset_table = {"table", {64}, 1, BP_ACT_RELU, 0, 0.001f, 32, PRESET_TABLE_EPOCHS, BP_LR_CONSTANT,
                                    0.0f, 0.2f, 30, BP_INIT_TORCH};

// ---- parsing ----------------------------------------------------------------

// The option values as given (NULL: absent).
typedef struct train_args {
    const char *data, *test, *val, *val_split, *label_col, *id_col, *targets, *header, *delimiter, *samples;
    const char *layers, *hidden, *act, *isa, *init, *scale;
    const char *loss, *optimizer, *lr, *momentum, *weight_decay, *batch, *epochs, *seed, *threads;
    const char *lr_schedule, *lr_step, *lr_gamma, *lr_min, *warmup, *clip, *dropout, *patience;
    const char *checkpoint, *checkpoint_every, *resume, *output, *log;
    const char *precision;
    int quiet, strict_ieee;
} train_args;

// The options checked and converted; the defaults where absent.
typedef struct train_config {
    train_args a;
    double lr, momentum, weight_decay, val_split, lr_gamma, lr_min, clip, dropout;
    uint64_t batch, epochs, seed, threads, targets, samples, lr_step, warmup, patience, ckpt_every;
    long label_col, id_col;
    int header;
    char delimiter;
    int loss_given;
    bp_loss loss;
    bp_optimizer optimizer;
    bp_isa isa;
    bp_precision precision;
    bp_lr_schedule schedule;
    bp_init init;
    bp_scale scale;
    bp_act act_list[MAX_LAYERS];
    size_t n_act;
    uint32_t widths[MAX_LAYERS + 1]; // --layers or --hidden
    size_t n_widths;
    const char *output;
} train_config;

// Returns CLI_OK (with *help set for --help), or the exit status after
// printing the problem. Every check that needs no data happens here.
static int parse_args(int argc, char **argv, train_config *c, int *help) {
    memset(c, 0, sizeof *c);
    train_args *a = &c->a;
    const cli_opt opts[] = {
        {"data", 0, CLI_OPT_VALUE, &a->data, NULL},
        {"test", 0, CLI_OPT_VALUE, &a->test, NULL},
        {"val-split", 0, CLI_OPT_VALUE, &a->val_split, NULL},
        {"val", 0, CLI_OPT_VALUE, &a->val, NULL},
        {"label-col", 0, CLI_OPT_VALUE, &a->label_col, NULL},
        {"targets", 0, CLI_OPT_VALUE, &a->targets, NULL},
        {"header", 0, CLI_OPT_VALUE, &a->header, NULL},
        {"delimiter", 0, CLI_OPT_VALUE, &a->delimiter, NULL},
        {"id-col", 0, CLI_OPT_VALUE, &a->id_col, NULL},
        {"samples", 0, CLI_OPT_VALUE, &a->samples, NULL},
        {"layers", 0, CLI_OPT_VALUE, &a->layers, NULL},
        {"hidden", 0, CLI_OPT_VALUE, &a->hidden, NULL},
        {"act", 0, CLI_OPT_VALUE, &a->act, NULL},
        {"isa", 0, CLI_OPT_VALUE, &a->isa, NULL},
        {"init", 0, CLI_OPT_VALUE, &a->init, NULL},
        {"scale", 0, CLI_OPT_VALUE, &a->scale, NULL},
        {"loss", 0, CLI_OPT_VALUE, &a->loss, NULL},
        {"optimizer", 0, CLI_OPT_VALUE, &a->optimizer, NULL},
        {"lr", 0, CLI_OPT_VALUE, &a->lr, NULL},
        {"momentum", 0, CLI_OPT_VALUE, &a->momentum, NULL},
        {"weight-decay", 0, CLI_OPT_VALUE, &a->weight_decay, NULL},
        {"batch", 0, CLI_OPT_VALUE, &a->batch, NULL},
        {"epochs", 0, CLI_OPT_VALUE, &a->epochs, NULL},
        {"seed", 0, CLI_OPT_VALUE, &a->seed, NULL},
        {"threads", 0, CLI_OPT_VALUE, &a->threads, NULL},
        {"lr-schedule", 0, CLI_OPT_VALUE, &a->lr_schedule, NULL},
        {"lr-step", 0, CLI_OPT_VALUE, &a->lr_step, NULL},
        {"lr-gamma", 0, CLI_OPT_VALUE, &a->lr_gamma, NULL},
        {"lr-min", 0, CLI_OPT_VALUE, &a->lr_min, NULL},
        {"warmup", 0, CLI_OPT_VALUE, &a->warmup, NULL},
        {"clip", 0, CLI_OPT_VALUE, &a->clip, NULL},
        {"dropout", 0, CLI_OPT_VALUE, &a->dropout, NULL},
        {"patience", 0, CLI_OPT_VALUE, &a->patience, NULL},
        {"checkpoint", 0, CLI_OPT_VALUE, &a->checkpoint, NULL},
        {"checkpoint-every", 0, CLI_OPT_VALUE, &a->checkpoint_every, NULL},
        {"resume", 0, CLI_OPT_VALUE, &a->resume, NULL},
        {"output", 'o', CLI_OPT_VALUE, &a->output, NULL},
        {"log", 0, CLI_OPT_VALUE, &a->log, NULL},
        {"quiet", 'q', CLI_OPT_FLAG, NULL, &a->quiet},
        {"strict-ieee", 0, CLI_OPT_FLAG, NULL, &a->strict_ieee},
        {"precision", 0, CLI_OPT_VALUE, &a->precision, NULL},
    };
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &n_pos, help);
    if (rc != CLI_OK || *help) return rc;

    c->momentum = 0.9;
    c->lr_gamma = 0.1;
    c->seed = 1;
    c->lr_step = 10;
    c->ckpt_every = 1;
    c->label_col = -1;
    c->id_col = -1;
    c->header = -1;
    if (!cli_float("--lr", a->lr, 0, HUGE_VAL, 1, &c->lr) ||
        !cli_float("--momentum", a->momentum, 0, 0.999999, 0, &c->momentum) ||
        !cli_float("--weight-decay", a->weight_decay, 0, HUGE_VAL, 0, &c->weight_decay) ||
        !cli_float("--val-split", a->val_split, 0, 0.99, 1, &c->val_split) ||
        !cli_float("--lr-gamma", a->lr_gamma, 0, 1, 1, &c->lr_gamma) ||
        !cli_float("--lr-min", a->lr_min, 0, HUGE_VAL, 0, &c->lr_min) ||
        !cli_float("--clip", a->clip, 0, HUGE_VAL, 1, &c->clip) ||
        !cli_float("--dropout", a->dropout, 0, 0.99, 0, &c->dropout) ||
        !cli_uint("--batch", a->batch, 1, 1u << 24, &c->batch) ||
        !cli_uint("--epochs", a->epochs, 1, 100000000, &c->epochs) ||
        !cli_uint("--seed", a->seed, 0, UINT64_MAX, &c->seed) ||
        !cli_uint("--threads", a->threads, 0, 4096, &c->threads) ||
        !cli_uint("--targets", a->targets, 1, 1u << 24, &c->targets) ||
        !cli_uint("--samples", a->samples, 2, 1u << 26, &c->samples) ||
        !cli_uint("--lr-step", a->lr_step, 1, 100000000, &c->lr_step) ||
        !cli_uint("--warmup", a->warmup, 0, 100000000, &c->warmup) ||
        !cli_uint("--patience", a->patience, 1, 100000000, &c->patience) ||
        !cli_uint("--checkpoint-every", a->checkpoint_every, 1, 100000000, &c->ckpt_every) ||
        !cli_int("--label-col", a->label_col, -1, 1L << 24, &c->label_col) ||
        !cli_int("--id-col", a->id_col, 0, 1L << 24, &c->id_col) ||
        !cli_tristate("--header", a->header, &c->header) || !cli_delimiter("--delimiter", a->delimiter, &c->delimiter))
        return CLI_USAGE;
    if (a->layers && a->hidden) {
        cli_error("--layers and --hidden both given; use one");
        return CLI_USAGE;
    }
    if (a->resume && (a->layers || a->hidden || a->act)) {
        cli_error("--resume takes the network from the checkpoint; drop --layers/--hidden/--act");
        return CLI_USAGE;
    }
    if (a->val && a->val_split) {
        cli_error("--val and --val-split both name validation data: use one");
        return CLI_USAGE;
    }
    int from_stdin = (a->data && strcmp(a->data, "-") == 0) + (a->test && strcmp(a->test, "-") == 0) +
                     (a->val && strcmp(a->val, "-") == 0);
    if (from_stdin > 1) {
        cli_error("stdin ('-') can be read once: give --data, --test and --val different sources");
        return CLI_USAGE;
    }
    if (a->patience && !a->val_split && !a->val) {
        cli_error("--patience needs validation data: add --val-split F or --val SPEC");
        return CLI_USAGE;
    }
    c->loss_given = a->loss != NULL;
    c->loss = BP_LOSS_MSE;
    c->optimizer = BP_OPT_ADAM;
    c->isa = BP_ISA_AUTO;
    c->schedule = BP_LR_CONSTANT;
    if (a->loss && bp_loss_from_name(a->loss, &c->loss) != BP_STATUS_OK) {
        cli_error("--loss: %s", bp_last_error());
        return CLI_USAGE;
    }
    if (a->optimizer && bp_optimizer_from_name(a->optimizer, &c->optimizer) != BP_STATUS_OK) {
        cli_error("--optimizer: %s", bp_last_error());
        return CLI_USAGE;
    }
    if (a->precision && bp_precision_from_name(a->precision, &c->precision) != BP_STATUS_OK) {
        cli_error("--precision: %s", bp_last_error());
        return CLI_USAGE;
    }
    if (!cli_isa("--isa", a->isa, &c->isa)) return CLI_USAGE;
    if (a->init && bp_init_from_name(a->init, &c->init) != BP_STATUS_OK) {
        cli_error("--init: %s", bp_last_error());
        return CLI_USAGE;
    }
    if (a->scale && bp_scale_from_name(a->scale, &c->scale) != BP_STATUS_OK) {
        cli_error("--scale: %s", bp_last_error());
        return CLI_USAGE;
    }
    if (a->resume && (a->init || a->scale)) {
        cli_error("--resume takes the network, its scaling included, from the checkpoint; drop --init/--scale");
        return CLI_USAGE;
    }
    if (a->lr_schedule) {
        static const char *const schedules[] = {"constant", "step", "cosine"};
        static const bp_lr_schedule kinds[] = {BP_LR_CONSTANT, BP_LR_STEP, BP_LR_COSINE};
        size_t i = 0;
        while (i < 3 && strcasecmp(a->lr_schedule, schedules[i]) != 0) i++;
        if (i == 3) {
            const char *hint = cli_closest(a->lr_schedule, schedules, 3);
            cli_error("--lr-schedule: unknown schedule '%s'%s%s%s (expected constant, step or cosine)",
                      a->lr_schedule, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            return CLI_USAGE;
        }
        c->schedule = kinds[i];
    }
    if (a->act) {
        char act_buf[1024];
        char *act_words[MAX_LAYERS];
        if (strlen(a->act) >= sizeof act_buf) {
            cli_error("--act: list too long");
            return CLI_USAGE;
        }
        strcpy(act_buf, a->act);
        if (!cli_words("--act", act_buf, act_words, MAX_LAYERS, &c->n_act)) return CLI_USAGE;
        for (size_t i = 0; i < c->n_act; i++)
            if (bp_act_from_name(act_words[i], &c->act_list[i]) != BP_STATUS_OK) {
                cli_error("--act: %s", bp_last_error());
                return CLI_USAGE;
            }
    }
    if (a->layers) {
        if (!cli_uint_list("--layers", a->layers, c->widths, MAX_LAYERS + 1, &c->n_widths)) return CLI_USAGE;
        if (c->n_widths < 2) {
            cli_error("--layers: give at least an input and an output width (e.g. 2,1)");
            return CLI_USAGE;
        }
    } else if (a->hidden) {
        if (!cli_uint_list("--hidden", a->hidden, c->widths, MAX_LAYERS - 1, &c->n_widths)) return CLI_USAGE;
    }
    c->output = a->output ? a->output : "backprop.bpm";
    if (!cli_check_writable("--output", c->output)) return CLI_FAIL;
    if (a->checkpoint && !cli_check_writable("--checkpoint", a->checkpoint)) return CLI_FAIL;
    return CLI_OK;
}

// ---- data -----------------------------------------------------------------------

// Everything one training run holds; train_job_free releases it.
typedef struct train_job {
    cli_data train, test, valfile;
    bp_dataset fit_part, val_part;  // --val-split's halves
    const bp_data *all, *fit, *val; // all = --data; fit = what is trained on
    int have_test;
    int auto_stop; // the preset's early stopping is on
    const preset *ps;
    int classify;
    bp_net *net;
    bp_trainer *tr;
    bp_train_options o;
    FILE *log;
    uint32_t start_epoch;
    train_progress progress;
    bp_status fit_status; // bp_trainer_fit's: OK or STOPPED
    double wall_s;
    char shape[512], actnames[512], desc[128];
    int n_threads;
} train_job;

static void train_job_free(train_job *j) {
    if (j->log) fclose(j->log);
    bp_trainer_destroy(j->tr);
    bp_net_destroy(j->net);
    bp_dataset_free(&j->fit_part);
    bp_dataset_free(&j->val_part);
    bp_dataset_free(&j->train.set);
    bp_dataset_free(&j->test.set);
    bp_dataset_free(&j->valfile.set);
}

// Numeric labels are the class numbers, so labels that skip a number
// (1, 2, 3) leave a class without rows. The network keeps the user's
// numbering (predictions then read the same), and we say so.
static void warn_empty_classes(const train_job *j) {
    const bp_data *d = j->all;
    if (!d->n_classes || j->train.class_names || d->n_classes > 100000) return;
    size_t *count = calloc(d->n_classes, sizeof *count);
    if (!count) return;
    for (size_t i = 0; i < d->n; i++) count[d->labels[i]]++;
    char list[256] = "";
    size_t empty = 0;
    for (uint32_t k = 0; k < d->n_classes; k++) {
        if (count[k]) continue;
        if (empty++ < 8) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%u", used ? ", " : "", k);
        }
    }
    free(count);
    if (empty)
        fprintf(stderr, "%s: warning: %s: no rows have label%s %s%s of 0 to %u; %s kept as %s the network can "
                "predict but never learns (number the labels from 0 without gaps to avoid this)\n",
                cli_prog, j->train.name, empty == 1 ? "" : "s", list, empty > 8 ? ", ..." : "", d->n_classes - 1,
                empty == 1 ? "it is" : "they are", empty == 1 ? "a class" : "classes");
}

static int load_data(const train_config *c, train_job *j) {
    const train_args *a = &c->a;
    cli_data_opts dopt = {.label_col = (int)c->label_col, .header = c->header, .n_targets = (uint32_t)c->targets,
                          .samples = (size_t)c->samples, .delimiter = c->delimiter, .id_col = (int)c->id_col};
    char data_path[4096]; // under MPI, "%d" in --data names this rank's copy
    const char *data = cli_mpi_path(a->data ? a->data : "spirals", data_path, sizeof data_path);
    if (!cli_data_load("--data", data, "train", &dopt, &j->train)) return CLI_FAIL;
    // Test and validation labels are matched to the training data's classes.
    dopt.class_names = j->train.class_names;
    dopt.n_class_names = j->train.n_class_names;
    if (a->test) {
        j->have_test = cli_data_load("--test", a->test, "t10k", &dopt, &j->test);
        if (!j->have_test) return CLI_FAIL;
    } else if (j->train.kind == CLI_DATA_IDX && j->train.dir[0] && cli_idx_has(j->train.dir, "t10k")) {
        j->have_test = cli_data_load("--test", j->train.dir, "t10k", &dopt, &j->test);
        if (!j->have_test) return CLI_FAIL;
    }
    j->all = j->fit = &j->train.set.d;
    j->ps = &preset_table;
    if (j->train.kind == CLI_DATA_BUILTIN)
        j->ps = strcmp(j->train.name, "spirals") == 0 ? &preset_spirals : &preset_logic;
    else if (j->train.kind == CLI_DATA_IDX)
        j->ps = &preset_images;
    j->classify = j->all->n_classes > 0;
    warn_empty_classes(j);
    // The preset's early stopping: its own validation split when the user
    // named no validation data and no epoch count.
    j->auto_stop = !a->epochs && j->ps->patience > 0;
    double val_split = c->val_split;
    if (j->auto_stop && !a->val && !a->val_split) val_split = j->ps->val_split;
    if (a->val) { // a separate validation file (an IDX directory: its t10k files)
        if (!cli_data_load("--val", a->val, "t10k", &dopt, &j->valfile)) return CLI_FAIL;
        j->val = &j->valfile.set.d;
    } else if (val_split > 0) {
        if (bp_data_split(j->all, (float)val_split, c->seed, &j->fit_part, &j->val_part) != BP_STATUS_OK) {
            cli_error("--val-split: %s", bp_last_error());
            return CLI_USAGE;
        }
        j->fit = &j->fit_part.d;
        j->val = &j->val_part.d;
    }
    if (!j->val) j->auto_stop = 0;
    return CLI_OK;
}

// ---- network ----------------------------------------------------------------------

// A new network shaped by --layers/--hidden/--act, the preset and the data.
static int create_network(const train_config *c, train_job *j, const bp_net_options *nopt) {
    const train_args *a = &c->a;
    const bp_data *all = j->all;
    const preset *ps = j->ps;
    uint32_t sizes[MAX_LAYERS + 1];
    bp_act acts[MAX_LAYERS];
    size_t L;
    bp_act out_act = BP_ACT_IDENTITY;
    int out_explicit = 0;
    if (a->layers) {
        L = c->n_widths - 1;
        memcpy(sizes, c->widths, c->n_widths * sizeof c->widths[0]);
    } else {
        const uint32_t *hid = a->hidden ? c->widths : ps->hidden;
        size_t nh = a->hidden ? c->n_widths : ps->n_hidden;
        L = nh + 1;
        sizes[0] = all->n_in;
        memcpy(sizes + 1, hid, nh * sizeof hid[0]);
        sizes[L] = 0; // set below
    }
    // Activations: one per layer, one per hidden layer, or one for all hidden.
    size_t n_act = c->n_act;
    if (n_act == L) {
        for (size_t l = 0; l < L; l++) acts[l] = c->act_list[l];
        out_explicit = 1;
        out_act = c->act_list[L - 1];
    } else if (n_act == 1 || (n_act > 0 && n_act == L - 1)) {
        for (size_t l = 0; l + 1 < L; l++) acts[l] = n_act == 1 ? c->act_list[0] : c->act_list[l];
    } else if (n_act > 0) {
        if (L <= 2) cli_error("--act: %zu names for %zu layers (give 1 or %zu)", n_act, L, L);
        else cli_error("--act: %zu names for %zu layers (give 1, %zu or %zu)", n_act, L, L - 1, L);
        return CLI_USAGE;
    } else {
        for (size_t l = 0; l + 1 < L; l++) acts[l] = ps->hidden_act;
    }
    bp_loss loss = c->loss;
    int loss_given = c->loss_given, classify = j->classify;
    if (!a->layers) {
        if (!classify) sizes[L] = all->n_targets;
        else {
            int want_softmax = (loss_given && loss == BP_LOSS_SOFTMAX_XENT) ||
                               (out_explicit && out_act == BP_ACT_SOFTMAX);
            int want_one = (loss_given && loss == BP_LOSS_SIGMOID_BCE) || ps->binary_one_output;
            sizes[L] = all->n_classes == 2 && want_one && !want_softmax ? 1 : all->n_classes;
        }
    }
    if (!out_explicit) {
        if (loss_given) out_act = loss == BP_LOSS_SOFTMAX_XENT  ? BP_ACT_SOFTMAX
                                  : loss == BP_LOSS_SIGMOID_BCE ? BP_ACT_SIGMOID
                                  : classify                    ? BP_ACT_SIGMOID
                                                                : BP_ACT_IDENTITY;
        else out_act = !classify ? BP_ACT_IDENTITY : sizes[L] == 1 ? BP_ACT_SIGMOID : BP_ACT_SOFTMAX;
        acts[L - 1] = out_act;
    }
    // Shape checks against the data, with messages in the options' terms.
    if (sizes[0] != all->n_in) {
        cli_error("--layers: input width %u, but the data has %u features", sizes[0], all->n_in);
        return CLI_USAGE;
    }
    if (classify && all->n_classes > (sizes[L] == 1 ? 2u : sizes[L])) {
        cli_error("--layers: %u output%s cannot hold the data's %u classes", sizes[L],
                  sizes[L] == 1 ? "" : "s", all->n_classes);
        return CLI_USAGE;
    }
    if (!classify && sizes[L] != all->n_targets) {
        cli_error("--layers: %u outputs, but the data has %u targets", sizes[L], all->n_targets);
        return CLI_USAGE;
    }
    bp_status st = bp_net_create(L, sizes, acts, nopt, &j->net);
    if (st != BP_STATUS_OK) {
        cli_error("%s: %s", st == BP_STATUS_INVALID_ISA || st == BP_STATUS_UNSUPPORTED_ISA ? "--isa" : "network",
                  bp_last_error());
        return st == BP_STATUS_OUT_OF_MEMORY ? CLI_FAIL : CLI_USAGE;
    }
    return CLI_OK;
}

// The scaling a new network gets, fitted on the rows it trains on (not the
// validation rows): --scale, or standard for CSV data and none otherwise.
// Regression targets are standardized whenever the inputs are scaled.
static int set_scaling(const train_config *c, train_job *j) {
    bp_scale kind = c->a.scale ? c->scale : j->train.kind == CLI_DATA_CSV ? BP_SCALE_STANDARD : BP_SCALE_NONE;
    if (kind == BP_SCALE_NONE) return CLI_OK;
    const bp_data *d = j->fit;
    size_t width = d->n_in > d->n_targets ? d->n_in : d->n_targets;
    float *off = malloc(2 * (size_t)width * sizeof(float)), *sc = off ? off + width : NULL;
    if (!off) {
        cli_error("out of memory for the scaling");
        return CLI_FAIL;
    }
    bp_status st = bp_scaling_fit(kind, d->x, d->n, d->n_in, off, sc);
    if (st == BP_STATUS_OK) st = bp_net_set_input_scaling(j->net, kind, off, sc);
    if (st == BP_STATUS_OK && !j->classify) {
        st = bp_scaling_fit(BP_SCALE_STANDARD, d->targets, d->n, d->n_targets, off, sc);
        if (st == BP_STATUS_OK) st = bp_net_set_output_scaling(j->net, BP_SCALE_STANDARD, off, sc);
    }
    free(off);
    if (st != BP_STATUS_OK) {
        cli_error("--scale: %s", bp_last_error());
        return CLI_FAIL;
    }
    return CLI_OK;
}

// The network (new, or the checkpoint's), checked against --data and --test.
static int build_network(train_config *c, train_job *j) {
    bp_net_options nopt = bp_net_options_default();
    nopt.isa = c->isa;
    nopt.seed = c->seed;
    nopt.init = c->a.init ? c->init : j->ps->init;
    nopt.strict_ieee = c->a.strict_ieee; // the evaluations after training too
    if (c->a.resume) {
        if (bp_net_load(c->a.resume, &nopt, &j->net) != BP_STATUS_OK) {
            char hint[4200];
            cli_error("--resume: %s%s", bp_last_error(), cli_file_hint(c->a.resume, hint, sizeof hint));
            return CLI_FAIL;
        }
    } else {
        int rc = create_network(c, j, &nopt);
        if (rc == CLI_OK) rc = set_scaling(c, j);
        if (rc != CLI_OK) return rc;
        if (j->classify && j->train.n_class_names &&
            bp_net_set_class_names(j->net, j->train.n_class_names, j->train.class_names) != BP_STATUS_OK) {
            cli_error("class names: %s", bp_last_error());
            return CLI_USAGE;
        }
    }
    if (!c->loss_given) c->loss = cli_default_loss(j->net, j->all);
    const bp_data *all = j->all;
    uint32_t n_out = bp_net_size(j->net, bp_net_n_layers(j->net));
    if (bp_net_size(j->net, 0) != all->n_in) {
        cli_error("--data: %u features, but the network takes %u", all->n_in, bp_net_size(j->net, 0));
        return CLI_USAGE;
    }
    if (j->have_test) {
        const bp_data *t = &j->test.set.d;
        int classify = j->classify;
        if (t->n_in != all->n_in) {
            cli_error("--test: %u features, but the training data has %u", t->n_in, all->n_in);
            return CLI_USAGE;
        }
        if ((t->n_classes > 0) != classify || (classify && t->n_classes > (n_out == 1 ? 2u : n_out)) ||
            (!classify && t->n_targets != n_out)) {
            cli_error("--test: its labels/targets (%u classes, %u targets) do not fit the network's %u outputs",
                      t->n_classes, t->n_targets, n_out);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

// The training options from the command line and the preset, the --log
// file, and the trainer (resumed from --resume).
static int build_trainer(const train_config *c, train_job *j) {
    const train_args *a = &c->a;
    const preset *ps = j->ps;
    bp_train_options *o = &j->o;
    *o = bp_train_options_default();
    o->loss = c->loss;
    o->optimizer = c->optimizer;
    int adam = c->optimizer == BP_OPT_ADAM || c->optimizer == BP_OPT_ADAMW;
    o->learning_rate = a->lr ? (float)c->lr : adam ? ps->lr : 0.05f;
    o->momentum = (float)c->momentum;
    o->weight_decay = (float)c->weight_decay;
    o->batch_size = a->batch ? (size_t)c->batch : ps->batch;
    o->epochs = a->epochs ? (uint32_t)c->epochs : ps->epochs;
    o->seed = c->seed;
    // Threads: the library's default (all cores, unless the network is so
    // small that a step is over before a thread team pays for itself);
    // --threads 0 asks for all cores. Results do not depend on the count.
    if (a->threads) o->n_threads = c->threads ? (int)c->threads : cli_default_threads();
    else o->n_threads = bp_train_default_threads(j->net, o->batch_size);
    o->lr_schedule = a->lr_schedule ? c->schedule : ps->schedule;
    o->lr_step_epochs = (uint32_t)c->lr_step;
    o->lr_gamma = (float)c->lr_gamma;
    o->lr_min = (float)c->lr_min;
    o->warmup_epochs = (uint32_t)c->warmup;
    o->clip_norm = (float)c->clip;
    o->dropout = a->dropout ? (float)c->dropout : ps->dropout;
    o->strict_ieee = a->strict_ieee;
    o->precision = c->precision;
    o->patience = c->a.patience ? (uint32_t)c->patience : j->auto_stop ? j->ps->patience : 0;
    o->validation = j->val;
    o->checkpoint_path = a->checkpoint;
    o->checkpoint_every = a->checkpoint ? (uint32_t)c->ckpt_every : 0;
    if (a->log) {
        j->log = fopen(a->log, "w");
        if (!j->log) {
            cli_error("--log: cannot create '%s': %s", a->log, strerror(errno));
            return CLI_FAIL;
        }
        fputs("epoch,loss,accuracy,val_loss,val_accuracy,lr,elapsed_s,samples_per_s\n", j->log);
        if (fflush(j->log) != 0 || ferror(j->log)) {
            cli_error("--log: cannot write '%s': %s", a->log, strerror(errno));
            return CLI_FAIL;
        }
    }
    train_progress_init(&j->progress, a->quiet, j->classify, o->epochs, j->log);
    j->progress.log_path = a->log;
    o->progress = train_progress_cb;
    o->progress_user = &j->progress;
    size_t batches = (j->fit->n + o->batch_size - 1) / o->batch_size;
    o->progress_every = batches >= 50 ? batches / 50 : 1;
    bp_status st = bp_trainer_create(j->net, o, &j->tr);
    if (st != BP_STATUS_OK) {
        cli_error("%s", bp_last_error());
        return st == BP_STATUS_INVALID_ARGUMENT ? CLI_USAGE : CLI_FAIL;
    }
    int mpi_rc = cli_mpi_attach(j->tr, j->fit);
    if (mpi_rc != CLI_OK) return mpi_rc;
    if (a->resume && bp_trainer_resume(j->tr, a->resume) != BP_STATUS_OK) {
        cli_error("--resume: %s", bp_last_error());
        return CLI_FAIL;
    }
    j->start_epoch = bp_trainer_epoch(j->tr);
    if (j->start_epoch >= o->epochs) {
        cli_error("--resume: the checkpoint has done %u epochs already; ask for more with --epochs",
                  j->start_epoch);
        return CLI_USAGE;
    }
    cli_net_shape(j->net, j->shape, sizeof j->shape);
    cli_net_acts(j->net, j->actnames, sizeof j->actnames);
    cli_data_describe(j->all, j->desc, sizeof j->desc);
    j->n_threads = o->n_threads ? o->n_threads : cli_default_threads();
    return CLI_OK;
}

// ---- running ------------------------------------------------------------------------

// ", bf16 products (KERNELS)" for the run's lines in bf16 precision, with a
// word on speed where the CPU has no bf16 instructions; "" in fp32.
static const char *bf16_note(const bp_net *net, const bp_train_options *o) {
    if (o->precision != BP_PRECISION_BF16) return "";
    const bp_kernel_table *t = bp_kernel_table_get(bp_net_isa(net));
    if (t && strcmp(t->bf16_kernels, "float fma") == 0)
        return ", bf16 products (float fma: the same rounding, no faster than fp32)";
    if (t && strcmp(t->bf16_kernels, "neonbf16") == 0) return ", bf16 products (neonbf16)";
    return t ? ", bf16 products (avx512bf16)" : ", bf16 products";
}

static int run_training(const train_config *c, train_job *j) {
    const bp_train_options *o = &j->o;
    if (!c->a.quiet) { // on a terminal, wrapped at its width
        int width = j->progress.tty ? cli_term_width(STDERR_FILENO) : 0;
        char line[2048];
        snprintf(line, sizeof line, "training %s (%s, %zu parameters) on %s (%s)", j->shape, j->actnames,
                 bp_net_n_params(j->net), j->train.name, j->desc);
        cli_print_wrapped(stderr, width, "  ", line);
        snprintf(line, sizeof line, "  %s, %s, lr %g, batch %zu, %u epochs, isa %s%s, %d thread%s",
                 bp_loss_name(o->loss), bp_optimizer_name(o->optimizer), (double)o->learning_rate,
                 o->batch_size, o->epochs, bp_isa_name(bp_net_isa(j->net)), bf16_note(j->net, o),
                 j->n_threads,
                 j->n_threads == 1 ? "" : "s");
        cli_print_wrapped(stderr, width, "    ", line);
    }
    if (c->a.resume && !c->a.quiet) fprintf(stderr, "  resuming after epoch %u\n", j->start_epoch);
    const float *unused;
    bp_scale in_scale = bp_net_input_scaling(j->net, &unused, NULL);
    if (!c->a.quiet && in_scale != BP_SCALE_NONE)
        fprintf(stderr, "  inputs scaled: %s%s\n", bp_scale_name(in_scale),
                bp_net_output_scaling(j->net, NULL, NULL) != BP_SCALE_NONE ? "; targets standardized" : "");
    if (!c->a.quiet && o->patience)
        fprintf(stderr, "  early stopping: %u epochs without a better validation loss (%zu validation rows)\n",
                o->patience, j->val->n);

    train_sigint_catch();
    double t0 = cli_now();
    bp_status st = bp_trainer_fit(j->tr, j->fit);
    j->wall_s = cli_now() - t0;
    train_sigint_restore();
    if (j->progress.bar_on_screen) fputc('\n', stderr);
    if (st == BP_STATUS_STOPPED) {
        if (cli_mpi_rank() == 0) // under MPI every rank stopped here: one message
            fprintf(stderr, "%s: interrupted in epoch %u after %zu of %zu steps (%u epoch%s complete); keeping the model so far\n",
                    cli_prog, bp_trainer_epoch(j->tr) + 1, j->progress.steps_done, j->progress.steps,
                    bp_trainer_epoch(j->tr), bp_trainer_epoch(j->tr) == 1 ? "" : "s");
    } else if (st != BP_STATUS_OK) {
        cli_error("%s", bp_last_error());
        return CLI_FAIL;
    }
    j->fit_status = st;
    return CLI_OK;
}

// ---- reporting ----------------------------------------------------------------------

static int evaluate(const train_job *j, const char *what, const bp_data *d, bp_eval *ev) {
    if (bp_net_evaluate(j->net, j->o.loss, d, j->o.n_threads, ev) == BP_STATUS_OK) return 1;
    cli_error("evaluating the %s data: %s", what, bp_last_error());
    return 0;
}

// A summary line on stdout; on a terminal, wrapped at its width with the
// continuation under the value column.
static void say(const char *fmt, ...) CLI_PRINTF(1, 2);
static void say(const char *fmt, ...) {
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cli_print_wrapped(stdout, isatty(STDOUT_FILENO) ? cli_term_width(STDOUT_FILENO) : 0, "           ", line);
}

// "train:     loss 0.1234  accuracy 98.00%  (100 rows)". Regression adds
// rmse, mae and r2 in the targets' units (the loss is on the targets as
// scaled for training, which says little to the user), as eval prints them.
static void print_eval(const train_job *j, const char *label, const bp_data *d, const bp_eval *ev) {
    char more[128] = "";
    if (j->classify && ev->accuracy >= 0) snprintf(more, sizeof more, "  accuracy %.2f%%", 100.0 * ev->accuracy);
    uint32_t k = bp_net_size(j->net, bp_net_n_layers(j->net));
    float *y = !j->classify && d->targets && d->n ? malloc(d->n * (size_t)k * sizeof *y) : NULL;
    cli_reg_metrics m;
    if (y && bp_net_predict_mt(j->net, d->x, d->n, y, j->o.n_threads) == BP_STATUS_OK &&
        cli_regression_metrics(y, d->targets, d->n, k, &m)) {
        int n = snprintf(more, sizeof more, "  rmse %.4g  mae %.4g", m.rmse, m.mae);
        if (m.r2_targets) snprintf(more + n, sizeof more - (size_t)n, "  r2 %.4f", m.r2);
    }
    free(y);
    say("%-10s loss %.4f%s  (%zu rows)", label, ev->loss, more, ev->n);
}

// The summary on stdout, then the model file.
static int report(const train_config *c, train_job *j) {
    const bp_train_options *o = &j->o;
    uint32_t done_epochs = bp_trainer_epoch(j->tr) - j->start_epoch;
    double wall = j->wall_s;
    // Interrupted under mpirun, the ranks have about a second before
    // SIGKILL (train_progress.c): the model first, then the evaluations.
    int saved = j->fit_status == BP_STATUS_STOPPED && cli_mpi_size() > 1;
    if (saved && bp_net_save(j->net, c->output) != BP_STATUS_OK) {
        cli_error("-o: %s", bp_last_error());
        return CLI_FAIL;
    }
    bp_eval ev;
    if (!evaluate(j, "training", j->fit, &ev)) return CLI_FAIL;
    say("network:   %s %s (%zu parameters)", j->shape, j->actnames, bp_net_n_params(j->net));
    say("data:      %s (%s)", j->train.name, j->desc);
    // An interrupted run also did part of an epoch: its steps count too.
    size_t part_rows = j->progress.steps_done * o->batch_size;
    if (part_rows > j->fit->n) part_rows = j->fit->n;
    double rows = (double)j->fit->n * done_epochs + (double)part_rows;
    char part[96] = "";
    if (j->progress.steps_done)
        snprintf(part, sizeof part, " and %zu of %zu steps", j->progress.steps_done, j->progress.steps);
    say("training:  %u epoch%s%s in %.2f s, %.0f samples/s (%s, %s, lr %g, batch %zu, isa %s%s, %d thread%s)",
           done_epochs, done_epochs == 1 ? "" : "s", part, wall, wall > 0 ? rows / wall : 0.0, bp_loss_name(o->loss),
           bp_optimizer_name(o->optimizer), (double)o->learning_rate, o->batch_size,
           bp_isa_name(bp_net_isa(j->net)), bf16_note(j->net, o),
           j->n_threads, j->n_threads == 1 ? "" : "s");
    print_eval(j, "train:", j->fit, &ev);
    if (j->val) {
        if (!evaluate(j, "validation", j->val, &ev)) return CLI_FAIL;
        print_eval(j, "val:", j->val, &ev);
    }
    if (j->have_test) {
        if (!evaluate(j, "test", &j->test.set.d, &ev)) return CLI_FAIL;
        print_eval(j, "test:", &j->test.set.d, &ev);
    }
    if (!saved && bp_net_save(j->net, c->output) != BP_STATUS_OK) {
        cli_error("-o: %s", bp_last_error());
        return CLI_FAIL;
    }
    say("model:     %s", c->output);
    fflush(stdout);
    if (j->log) { // every row was flushed; closing can still report a late error
        int closed = fclose(j->log) == 0;
        j->log = NULL;
        if (!closed && !j->progress.log_failed) {
            cli_error("--log: writing '%s' failed: %s", c->a.log, strerror(errno));
            return CLI_FAIL;
        }
    }
    if (j->progress.log_failed) return CLI_FAIL; // reported when it happened; the model is saved
    if (j->progress.ckpt_failures)
        fprintf(stderr, "%s: warning: %u checkpoint%s not saved (see above); the model is saved\n", cli_prog,
                j->progress.ckpt_failures, j->progress.ckpt_failures == 1 ? " was" : "s were");
    return j->fit_status == BP_STATUS_STOPPED ? CLI_INTERRUPTED : CLI_OK;
}

int cmd_train(int argc, char **argv) {
    cli_prog = "backprop train";
    train_config c;
    int help = 0;
    int rc = parse_args(argc, argv, &c, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) fputs(usage[i], stdout);
        return CLI_OK;
    }
    if (cli_parse_only) return CLI_OK;
    // Under MPI every rank trains; rank 0 alone prints, logs and saves.
    int mpi_rank = cli_mpi_rank();
    if (mpi_rank > 0) {
        c.a.quiet = 1;
        c.a.log = NULL;
    }
    if (mpi_rank > 0 && cli_mpi_size() > 1) {
        static char prog[64];
        snprintf(prog, sizeof prog, "backprop train (rank %d)", mpi_rank);
        cli_prog = prog;
    }
    train_job j;
    memset(&j, 0, sizeof j);
    rc = load_data(&c, &j);
    if (rc == CLI_OK) rc = build_network(&c, &j);
    if (rc == CLI_OK) rc = build_trainer(&c, &j);
    if (rc == CLI_OK) rc = run_training(&c, &j);
    if (rc == CLI_OK && mpi_rank == 0) rc = report(&c, &j);
    // The other ranks stopped at the same step (train_progress_cb) and end
    // with the same status, without a report.
    if (rc == CLI_OK && mpi_rank > 0 && j.fit_status == BP_STATUS_STOPPED) rc = CLI_INTERRUPTED;
    train_job_free(&j);
    return rc;
}
