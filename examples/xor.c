// SPDX-License-Identifier: MIT
// XOR with a 2-8-1 network: train, then print the four predictions.
#include <backprop.h>
#include <stdio.h>

int main(void) {
    const float x[] = {0, 0, 0, 1, 1, 0, 1, 1}, y[] = {0, 1, 1, 0};
    bp_data d = {.n = 4, .n_in = 2, .x = x, .n_targets = 1, .targets = y};
    uint32_t sizes[] = {2, 8, 1};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_SIGMOID_BCE;
    o.optimizer = BP_OPT_ADAM;
    o.learning_rate = 0.05f;
    o.batch_size = 4;
    o.epochs = 500;
    bp_net *net = NULL;
    float p[4];
    if (bp_net_create(2, sizes, acts, NULL, &net) || bp_train(net, &d, &o) ||
        bp_net_predict(net, x, 4, p)) {
        fprintf(stderr, "xor: %s\n", bp_last_error());
        bp_net_destroy(net);
        return 1;
    }
    int wrong = 0;
    for (int i = 0; i < 4; i++) {
        printf("%g xor %g -> %.3f\n", x[2 * i], x[2 * i + 1], p[i]);
        wrong += (p[i] > 0.5f) != (y[i] > 0.5f);
    }
    bp_net_destroy(net);
    return wrong != 0;
}
