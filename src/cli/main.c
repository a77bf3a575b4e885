// SPDX-License-Identifier: MIT
// backprop: the command-line tool: signals and MPI around cli_dispatch
// (dispatch.c), which runs the commands in cmd_*.c.
#include <signal.h>
#include <string.h>

#include "cli.h"

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

int main(int argc, char **argv) {
    catch_signals();
    cli_mpi_start(&argc, &argv);
    return cli_mpi_end(cli_dispatch(argc, argv));
}
