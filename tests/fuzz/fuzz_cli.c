// SPDX-License-Identifier: MIT
// libFuzzer harness: the command-line parser. Each input is one command
// line, its words separated by newlines (argv[0] "backprop" is implied:
// "train\n--lr\n0.1"). It runs in-process through cli_dispatch with
// cli_parse_only set, so every command checks its options and returns
// before it reads a file or trains; messages are formatted, not written.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_util.h"

enum { MAX_WORDS = 64 };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    cli_parse_only = 1;
    // --help and the like still print their usage to stdout: discard it.
    if (!freopen("/dev/null", "w", stdout)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // One buffer per word (not one shared buffer) so that ASan sees a read
    // past any word's end.
    char *words[MAX_WORDS + 1];
    int argc = 0;
    words[argc++] = strdup("backprop");
    size_t i = 0;
    while (i <= size && argc < MAX_WORDS) {
        size_t j = i;
        while (j < size && data[j] != '\n') j++;
        char *w = malloc(j - i + 1);
        if (!w) break;
        memcpy(w, data + i, j - i);
        w[j - i] = '\0';
        words[argc++] = w;
        i = j + 1;
    }
    words[argc] = NULL;
    cli_prog = "backprop";
    (void)cli_dispatch(argc, words);
    for (int k = 0; k < argc; k++) free(words[k]);
    return 0;
}
