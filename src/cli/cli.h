// SPDX-License-Identifier: MIT
// The backprop command-line tool: shared declarations. The tool uses only
// the public API (backprop.h).
#ifndef BP_CLI_H
#define BP_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backprop.h"

// Exit statuses.
enum {
    CLI_OK = 0,
    CLI_FAIL = 1,  // the work failed: I/O, bad file, numeric trouble
    CLI_USAGE = 2, // bad command line
    CLI_INTERRUPTED = 130, // Ctrl-C: stopped early, the model so far saved
};

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

// The running command's name ("backprop train") for messages.
extern const char *cli_prog;

// One line on stderr: "<cli_prog>: <message>".
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
// Run a command line: argv[1] names the command (dispatch.c). Returns the
// exit status.
int cli_dispatch(int argc, char **argv);
// Non-zero (tests/fuzz/fuzz_cli.c only): every command checks its options,
// then returns before reading a file or doing work, and cli_error formats
// its message without writing it, so a fuzzer can run argv lines in-process
// by the million.
extern int cli_parse_only;
// Signal handler (train_progress.c): removes the temporary files of saves in flight,
// then ends the process by sig as if it had not been caught.
void cli_signal_exit(int sig);

// ---- MPI (cli_mpi.c; no-ops unless built with MPI and run by mpirun) ----
void cli_mpi_start(int *argc, char ***argv);
// Returns rc; under MPI, a failure (rc != 0) on any rank ends every rank,
// except CLI_INTERRUPTED, which every rank returns together (cli_mpi_any).
int cli_mpi_end(int rc);
// Under MPI: whether flag is set on any rank (collective: every rank calls
// it at the same point); flag itself otherwise.
int cli_mpi_any(int flag);
int cli_mpi_rank(void); // 0 when not under MPI
int cli_mpi_size(void); // 1 when not under MPI
// Make the trainer one of the MPI processes (BP_MPI_REDUCTION picks the
// reduction) after checking that every rank has the same training data;
// CLI_OK, or an exit status after printing the problem.
int cli_mpi_attach(bp_trainer *tr, const bp_data *data);
// spec with its "%d" replaced by the MPI rank (a per-rank copy of a data
// set), in buf; spec itself when it has no "%d" or not under MPI.
const char *cli_mpi_path(const char *spec, char *buf, size_t size);

// ---- option parsing (args.c) -------------------------------------------
typedef enum cli_opt_kind {
    CLI_OPT_VALUE, // takes a value: --name V, --name=V, -x V
    CLI_OPT_FLAG,  // no value; sets *flag = 1
} cli_opt_kind;

typedef struct cli_opt {
    const char *name; // long name without the dashes
    char short_name;  // 0 if none
    cli_opt_kind kind;
    const char **value; // CLI_OPT_VALUE: receives the value (last one wins)
    int *flag;          // CLI_OPT_FLAG
} cli_opt;

// Parse argv[0..argc) (the words after the command name) against opts.
// Positional words go to pos[] (at most max_pos). "-h"/"--help" sets *help.
// Returns CLI_OK, or CLI_USAGE after printing the problem.
int cli_parse(int argc, char **argv, const cli_opt *opts, size_t n_opts, const char **pos,
              size_t max_pos, size_t *n_pos, int *help);

// The candidate a mistyped word most likely meant (edit distance, case and
// '-'/'_' ignored), or NULL when none is close.
const char *cli_closest(const char *word, const char *const *cands, size_t n);

// Number options: on error print "<opt>: ..." and return 0. s may be NULL
// (option absent): *out is left alone and 1 returned.
int cli_float(const char *opt, const char *s, double lo, double hi, int lo_open, double *out);
int cli_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int cli_int(const char *opt, const char *s, long lo, long hi, long *out);
// A comma-separated list of positive integers (layer widths).
int cli_uint_list(const char *opt, const char *s, uint32_t *out, size_t max, size_t *n);
// Split a comma-separated list in place into at most max words.
int cli_words(const char *opt, char *s, char **out, size_t max, size_t *n);
// --isa NAME (bp_isa_from_name), with a "did you mean" for a typo.
int cli_isa(const char *opt, const char *s, bp_isa *out);
// yes/no/auto (also 1/0/-1, true/false) -> 1/0/-1.
int cli_tristate(const char *opt, const char *s, int *out);

// ---- data sets (dataspec.c) ----------------------------------------------
typedef struct cli_data_opts {
    int label_col;      // CSV: label column (-1 = last)
    int header;         // CSV: 1/0/-1
    uint32_t n_targets; // CSV: > 0 = regression targets
    size_t samples;     // spirals: points (0 = default)
    char delimiter;     // CSV: ',', ';', '\t', 0 = detect
    int id_col;         // CSV: a column to skip (an id), -1 = none
    const char *const *class_names; // CSV: map labels through these (a model's or the training set's)
    size_t n_class_names;
} cli_data_opts;
// --delimiter: ",", ";", "tab" (or "\t"), "auto". On error prints and returns 0.
int cli_delimiter(const char *opt, const char *s, char *out);

typedef enum cli_data_kind {
    CLI_DATA_BUILTIN,
    CLI_DATA_IDX, // a directory of IDX files
    CLI_DATA_CSV,
} cli_data_kind;

typedef struct cli_data {
    bp_dataset set;
    cli_data_kind kind;
    char name[64];      // short name for the summary (spirals, fashion-mnist, file name)
    char source[4096];  // what was read (the images file, the CSV path, the built-in name)
    char dir[4096];     // IDX: the directory
    const char *const *class_names; // the classes' names (CSV text labels, Fashion-MNIST), else NULL
    size_t n_class_names;
} cli_data;

// Load a data set named by spec: a built-in name (and, or, xor, spirals),
// "fashion-mnist", a directory holding IDX files, or a CSV file ("-" = a
// CSV on stdin). Fashion-MNIST (the name, or a directory whose path holds
// "fashion") gets its class names in out->set.class_names.
// which: "train" or "t10k" (the IDX file prefix to read from a directory).
// On failure prints the message and returns 0.
int cli_data_load(const char *opt, const char *spec, const char *which, const cli_data_opts *o,
                  cli_data *out);
// Whether a directory holds IDX files with this prefix ("t10k").
int cli_idx_has(const char *dir, const char *which);
// Resolve the shortcut names to directories; other specs are returned as is.
const char *cli_data_resolve(const char *spec);
// "; did you mean 'train.csv'?" when path does not exist and a file in its
// directory has a close name; else "".
const char *cli_file_hint(const char *path, char *buf, size_t len);
// The 0-based column of a CSV cell that bp_data_read_csv found "is not a
// number" (a text column), from its message; -1 for any other message.
long cli_text_column(const char *msg);
// "784 features, 10 classes, 60000 rows".
void cli_data_describe(const bp_data *d, char *buf, size_t len);

// ---- backprop train's progress display (train_progress.c) -----------------------
typedef struct train_progress {
    int tty, quiet;
    int classify;    // show accuracies (the library thresholds 1-output regression too)
    int epoch_width; // digits of the epoch count
    FILE *log;       // --log CSV, or NULL
    uint32_t stride; // keep a line for every stride-th epoch
    double last_draw;
    int bar_on_screen;
    uint32_t epochs_done; // in this run (a resumed run starts past epoch 0)
    const char *log_path;
    int log_failed;          // a --log write failed (reported; the log stopped)
    uint32_t ckpt_failures;  // checkpoints that could not be written (warned)
    double epoch_start;      // elapsed_s when the current epoch began
    size_t steps_done;       // steps of the current epoch done (at the last call)
    size_t steps;            // steps per epoch
} train_progress;
void train_progress_init(train_progress *r, int quiet, int classify, uint32_t epochs, FILE *log);
// The bp_progress_fn: draws, logs, and asks to stop after Ctrl-C.
int train_progress_cb(const bp_progress *p, void *user);
// Ctrl-C sets a flag that train_progress_cb turns into a stop request; a
// second Ctrl-C ends the program (cli_signal_exit).
void train_sigint_catch(void);
void train_sigint_restore(void);

// ---- helpers ------------------------------------------------------------------
// Net shape as "784-256-10" and activations as "relu,softmax".
void cli_net_shape(const bp_net *net, char *buf, size_t len);
void cli_net_acts(const bp_net *net, char *buf, size_t len);
// The loss that matches a network's output layer for evaluation.
bp_loss cli_default_loss(const bp_net *net, const bp_data *d);
// Whether a network classifies (softmax output, or one sigmoid output).
int cli_is_classifier(const bp_net *net);
// Predicted class of one output row.
uint32_t cli_class_of(const float *y, uint32_t n_out);
double cli_now(void);
int cli_default_threads(void);
// Does the directory that would hold `path` exist and accept new files?
int cli_check_writable(const char *opt, const char *path);

// ---- progress lines (progress.c) ----------------------------------------------
// Columns of the terminal on fd: TIOCGWINSZ, else $COLUMNS, else 80.
int cli_term_width(int fd);
// Seconds as "12.3s", "4:05" or "1:02:03".
void cli_format_duration(double s, char *buf, size_t len);

// The state shown by the in-epoch bar.
typedef struct cli_bar {
    uint32_t epoch, epochs; // epoch is 0-based
    int epoch_width;        // digits of the epoch count
    size_t batch, batches;  // steps done in this epoch, steps per epoch
    double loss;            // running mean loss of the epoch
    double accuracy;        // < 0: not shown
    double samples_per_s;
    double epoch_elapsed_s; // since the epoch began (the ETA is the epoch's rest)
} cli_bar;
// The bar as one line of at most width-1 characters (no newline, no escape
// codes): fields are shortened or dropped until it fits.
void cli_format_bar(const cli_bar *b, int width, char *buf, size_t len);

// The line kept at the end of an epoch.
typedef struct cli_epoch_line {
    uint32_t epoch, epochs;
    int epoch_width;
    double loss, accuracy, val_loss, val_accuracy; // < 0: not shown
    double lr, samples_per_s, elapsed_s, eta_s;
} cli_epoch_line;
// width <= 0 (not a terminal): the full line; else at most width-1 characters.
void cli_format_epoch(const cli_epoch_line *e, int width, char *buf, size_t len);
// text (words separated by spaces) on lines of at most width-1 characters,
// continuation lines starting with indent; width <= 0: one line.
void cli_print_wrapped(FILE *f, int width, const char *indent, const char *text);

// ---- plot axes (plot_axis.c) ----------------------------------------------------
#define CLI_AXIS_MAX_TICKS 24
typedef struct cli_axis {
    double lo, hi;  // the axis ends (ticks themselves on a linear axis)
    double step;    // linear: the tick spacing, 1, 2 or 5 times a power of ten
    int log;        // 1: log10 scale
    int decimals;   // linear: digits after the point that the labels need
    size_t n_ticks;
    double ticks[CLI_AXIS_MAX_TICKS];
} cli_axis;
// A linear axis covering [lo, hi], clamped to [min_lo, max_hi] (use 0 for a
// loss, 100 for a percentage; +-HUGE_VAL for none), with a step no smaller
// than min_step and at most max_ticks ticks.
void cli_axis_linear(double lo, double hi, double min_lo, double max_hi, double min_step, int max_ticks,
                     cli_axis *a);
// A log10 axis from the decade at or below lo to the one at or above hi
// (0 < lo <= hi).
void cli_axis_log(double lo, double hi, cli_axis *a);
// Where v lies on the axis: 0 at lo, 1 at hi.
double cli_axis_frac(const cli_axis *a, double v);
// The tick label for v ("0.25", "40", "0.001", "1e-05").
void cli_axis_label(const cli_axis *a, double v, char *buf, size_t len);

// ---- metrics (metrics.c) ------------------------------------------------------
typedef struct cli_reg_metrics {
    double mse, rmse, mae; // over all n x k outputs
    double r2;             // mean over targets of 1 - SS_res/SS_tot; NaN if every target is constant
    uint32_t r2_targets;   // targets that entered r2 (those that are not constant)
} cli_reg_metrics;
// pred and target: n x k, row-major. Returns 0 when n or k is 0.
int cli_regression_metrics(const float *pred, const float *target, size_t n, uint32_t k,
                           cli_reg_metrics *m);

typedef struct cli_class_metric {
    double precision, recall, f1;
    size_t support;   // rows of the class (true)
    size_t predicted; // rows predicted as the class
    uint32_t classes; // macro: classes averaged (those seen or predicted at least once)
} cli_class_metric;
// From a K x K confusion matrix (rows: true class, columns: predicted):
// per[K] per class, macro the unweighted mean over the classes that occur
// as a true or predicted class. An empty denominator counts as 0.
void cli_class_metrics(const size_t *confusion, uint32_t K, cli_class_metric *per, cli_class_metric *macro);

// ---- commands -----------------------------------------------------------------
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_export_c(int argc, char **argv);
int cmd_draw(int argc, char **argv);

#endif
