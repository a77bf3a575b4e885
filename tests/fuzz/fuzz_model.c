// SPDX-License-Identifier: MIT
// libFuzzer harness: the model loader. Each input is a mode byte and a model
// file (fuzz_file_set_model: the mode can fix the CRC up); the file goes
// through bp_model_file_info and bp_net_load, and a network that loads is
// used (its sizes, class names, scaling, and one prediction on a row of
// zeros), so a file the loader accepts must also be safe to run.
#define _GNU_SOURCE
#include <stdlib.h>

#include "backprop.h"
#include "fuzz_util.h"

static fuzz_file model;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_file_open(&model, "model");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_file_set_model(&model, data, size);
    bp_model_info info;
    bp_status info_st = bp_model_file_info(model.path, &info);
    bp_net *net = NULL;
    bp_status st = bp_net_load(model.path, NULL, &net);
    // bp_model_file_info checks what bp_net_load checks, and the trainer
    // state besides: a file it accepts must load.
    if (info_st == BP_STATUS_OK && st != BP_STATUS_OK) abort();
    if (st != BP_STATUS_OK) return 0;
    size_t L = bp_net_n_layers(net);
    uint32_t n_in = bp_net_size(net, 0), n_out = bp_net_size(net, L);
    for (size_t i = 0; i < bp_net_n_class_names(net); i++)
        if (!bp_net_class_name(net, i)) abort();
    const float *off, *scale;
    (void)bp_net_input_scaling(net, &off, &scale);
    (void)bp_net_output_scaling(net, &off, &scale);
    float *x = calloc(n_in, sizeof *x), *y = malloc((size_t)n_out * sizeof *y);
    if (x && y) st = bp_net_predict(net, x, 1, y); // may refuse (non-finite scaled input); must not crash
    free(x);
    free(y);
    bp_net_destroy(net);
    return 0;
}
