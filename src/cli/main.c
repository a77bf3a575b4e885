// SPDX-License-Identifier: MIT
// backprop: the command-line tool. Dispatches to the commands in cmd_*.c.
#include <signal.h>
#include <string.h>

#include "bp_internal.h" // bp_save_discard_temps
#include "cli.h"

static const char usage[] =
    "usage: backprop COMMAND [options]\n"
    "\n"
    "Train multi-layer perceptrons by backpropagation on the CPU.\n"
    "\n"
    "commands:\n"
    "  train      train a network on a data set and save it\n"
    "  eval       loss, accuracy and confusion matrix of a saved model\n"
    "  predict    run a saved model on the rows of a CSV file\n"
    "  info       version, CPU features, kernel sets, threads\n"
    "  summary    the layers and parameter counts of a saved model\n"
    "  export-c   write a saved model as a dependency-free C header\n"
    "  plot       draw the curves of a training log (train --log) as SVG\n"
    "  draw       a picture of a saved network (SVG or Graphviz dot)\n"
    "\n"
    "'backprop COMMAND --help' describes a command's options.\n"
    "  --version  print the version\n"
    "\n"
    "Environment: BP_ISA=scalar|avx2|avx512|neon forces a kernel set;\n"
    "OMP_NUM_THREADS sets the default thread count. Built with -DBP_WITH_MPI=ON,\n"
    "'mpirun -np N backprop train ...' trains on N processes (bit-identical to\n"
    "one); BP_MPI_REDUCTION=allreduce trades that for MPI_Allreduce.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"train", cmd_train},
    {"eval", cmd_eval},
    {"predict", cmd_predict},
    {"info", cmd_info},
    {"summary", cmd_summary},
    {"export-c", cmd_export_c},
    {"plot", cmd_plot},
    {"draw", cmd_draw},
};

void cli_signal_exit(int sig) {
    bp_save_discard_temps();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    raise(sig); // delivered when the handler returns: the usual death by sig
}

// SIGINT, SIGTERM and SIGHUP end the program as usual, but first remove the
// temporary file of a save in flight (those ignored, as under nohup, stay
// ignored). SIGXFSZ is ignored so that a write past `ulimit -f` fails with
// EFBIG and is reported, instead of killing the program without a word.
static void catch_signals(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &sa, NULL);
    sa.sa_handler = cli_signal_exit;
    const int fatal[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN) sigaction(fatal[i], &sa, NULL);
}

static int dispatch(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            char *help_argv[] = {(char *)"--help", NULL};
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[2], commands[i].name) == 0) return commands[i].run(1, help_argv);
        }
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("backprop %s\n", bp_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2);
    const char *names[sizeof commands / sizeof commands[0]];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) names[i] = commands[i].name;
    const char *hint = cli_closest(cmd, names, sizeof commands / sizeof commands[0]);
    if (hint) {
        cli_error("unknown command '%s'; did you mean '%s'? (see 'backprop --help')", cmd, hint);
        return CLI_USAGE;
    }
    cli_error("unknown command '%s' (expected train, eval, predict, info, summary, export-c, plot or draw;"
              " see 'backprop --help')", cmd);
    return CLI_USAGE;
}

int main(int argc, char **argv) {
    catch_signals();
    cli_mpi_start(&argc, &argv);
    return cli_mpi_end(dispatch(argc, argv));
}
