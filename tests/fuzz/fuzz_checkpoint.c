// SPDX-License-Identifier: MIT
// libFuzzer harness: checkpoint resume. Each input is a mode byte and a
// checkpoint file (fuzz_file_set_model: the mode can fix the CRC up).
// The network comes from the file itself (bp_net_load) and the trainer is
// created with the optimizer and precision the file names, so a fuzzed file
// can reach every check of bp_trainer_resume; a file that resumes must then
// train one step on a row of zeros.
#define _GNU_SOURCE
#include <stdlib.h>

#include "backprop.h"
#include "fuzz_util.h"

static fuzz_file ckpt;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_file_open(&ckpt, "checkpoint");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_file_set_model(&ckpt, data, size);
    bp_model_info info;
    if (bp_model_file_info(ckpt.path, &info) != BP_STATUS_OK) return 0;
    bp_net *net = NULL;
    if (bp_net_load(ckpt.path, NULL, &net) != BP_STATUS_OK) return 0;
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE; // suits every output layer
    o.batch_size = 1;
    o.n_threads = 1; // deterministic and cheap: one input at a time
    if (info.is_checkpoint) {
        o.optimizer = info.optimizer;
        o.precision = info.precision;
    }
    bp_trainer *tr = NULL;
    if (bp_trainer_create(net, &o, &tr) == BP_STATUS_OK) {
        if (bp_trainer_resume(tr, ckpt.path) == BP_STATUS_OK) {
            size_t L = bp_net_n_layers(net);
            uint32_t n_in = bp_net_size(net, 0), n_out = bp_net_size(net, L);
            float *x = calloc(n_in, sizeof *x), *y = calloc(n_out, sizeof *y);
            float loss;
            // May refuse (a finite but huge weight overflows the loss); must not crash.
            bp_status st = x && y ? bp_trainer_step(tr, x, y, 1, &loss) : BP_STATUS_OK;
            (void)st;
            (void)bp_trainer_epoch(tr);
            free(x);
            free(y);
        }
        bp_trainer_destroy(tr);
    }
    bp_net_destroy(net);
    return 0;
}
