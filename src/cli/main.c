// SPDX-License-Identifier: MIT
// backprop: the command-line tool. Dispatches to the commands in cmd_*.c.
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
    "\n"
    "'backprop COMMAND --help' describes a command's options.\n"
    "  --version  print the version\n"
    "\n"
    "Environment: BP_ISA=scalar|avx2|avx512|neon forces a kernel set;\n"
    "OMP_NUM_THREADS sets the default thread count.\n";

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
};

int main(int argc, char **argv) {
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
    cli_error("unknown command '%s' (expected train, eval, predict, info, summary, export-c or plot;"
              " see 'backprop --help')", cmd);
    return CLI_USAGE;
}
