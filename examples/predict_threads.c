// SPDX-License-Identifier: MIT
// Many threads predicting with one shared, const network: every thread's
// outputs must equal the single-thread ones bit for bit. (Calls of up to 4
// rows take a dot-product path whose last bits may differ from a batch's,
// so each thread is compared with the single-thread call of the same size.)
//   predict_threads [THREADS]
#define _POSIX_C_SOURCE 200809L
#include <backprop.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_IN = 64, N_OUT = 10, ROWS = 300, ROUNDS = 20 };

typedef struct job {
    const bp_net *net; // shared: bp_net_predict only reads it
    const float *x;
    const float *expect, *expect_one; // single-thread: whole batch, one row per call
    int mismatches, failed;
} job;

static void *worker(void *arg) {
    job *j = arg;
    float *y = malloc(sizeof(float) * ROWS * N_OUT);
    if (!y) { j->failed = 1; return NULL; }
    for (int r = 0; r < ROUNDS; r++) {
        // One row at a time and whole batches: both must match.
        size_t n = r % 2 ? 1 : ROWS;
        for (size_t i = 0; i < ROWS; i += n) {
            if (bp_net_predict(j->net, j->x + i * N_IN, n, y + i * N_OUT)) { j->failed = 1; break; }
        }
        j->mismatches += memcmp(y, n == 1 ? j->expect_one : j->expect, sizeof(float) * ROWS * N_OUT) != 0;
    }
    free(y);
    return NULL;
}

int main(int argc, char **argv) {
    int n_threads = argc > 1 ? atoi(argv[1]) : 8;
    if (n_threads < 1 || n_threads > 256) n_threads = 8;
    uint32_t sizes[] = {N_IN, 128, 64, N_OUT};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    static float x[ROWS * N_IN], expect[ROWS * N_OUT], expect_one[ROWS * N_OUT];
    for (size_t i = 0; i < ROWS * N_IN; i++) x[i] = (float)((i * 7919) % 101) / 50.0f - 1.0f;
    int failed = bp_net_create(3, sizes, acts, NULL, &net) || bp_net_predict(net, x, ROWS, expect);
    for (size_t i = 0; i < ROWS && !failed; i++)
        failed = bp_net_predict(net, x + i * N_IN, 1, expect_one + i * N_OUT);
    if (failed) {
        fprintf(stderr, "predict_threads: %s\n", bp_last_error());
        bp_net_destroy(net);
        return 1;
    }
    pthread_t tid[256];
    job jobs[256];
    int started = 0, bad = 0;
    for (int t = 0; t < n_threads; t++) {
        jobs[t] = (job){net, x, expect, expect_one, 0, 0};
        if (pthread_create(&tid[t], NULL, worker, &jobs[t]) != 0) break;
        started++;
    }
    for (int t = 0; t < started; t++) {
        pthread_join(tid[t], NULL);
        bad += jobs[t].mismatches + jobs[t].failed;
    }
    printf("%d threads x %d rounds of %d rows: %d mismatches%s\n", started, ROUNDS, ROWS, bad,
           bad ? "" : " (all equal to the single-thread outputs)");
    bp_net_destroy(net);
    return bad != 0 || started != n_threads;
}
