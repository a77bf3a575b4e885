// SPDX-License-Identifier: MIT
// The command table and cli_dispatch: argv[1] picks the command. Apart from
// main.c so that tests/fuzz/fuzz_cli.c can call it without a main().
#include <string.h>

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

int cli_dispatch(int argc, char **argv) {
    if (argc < 2) {
        if (!cli_parse_only) fputs(usage, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            char *help_argv[] = {(char *)"--help", NULL};
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[2], commands[i].name) == 0) return commands[i].run(1, help_argv);
        }
        if (!cli_parse_only) fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        if (!cli_parse_only) printf("backprop %s\n", bp_version());
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
