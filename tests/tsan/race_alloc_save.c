// SPDX-License-Identifier: MIT
// Run under ThreadSanitizer in a build without OpenMP
// (scripts/test-tsan.sh): threads that are not OpenMP's allocate and save
// at once. TSan must report no data race: the allocation counters are C11
// atomics (issue 9, item 16: a plain increment, which `#pragma omp atomic`
// leaves without OpenMP, raced), and concurrent saves of one path share
// only atomics. The counts must also come out exact. A standalone program:
// Criterion's runner cannot start under TSan.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bp_internal.h"

enum { THREADS = 4, ALLOCS = 20000, SAVES = 10 };

static const char *path;
static bp_net *nets[THREADS];
static int save_failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg) {
    size_t t = (size_t)arg;
    for (int i = 0; i < ALLOCS; i++) bp_free(bp_alloc(1, 16));
    for (int i = 0; i < SAVES; i++)
        if (bp_net_save(nets[t], path) != BP_STATUS_OK) {
            pthread_mutex_lock(&lock);
            fprintf(stderr, "save failed: %s\n", bp_last_error());
            save_failures++;
            pthread_mutex_unlock(&lock);
        }
    return NULL;
}

int main(void) {
    char dir[] = "/tmp/bp-tsan-XXXXXX", file[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(file, sizeof file, "%s/m.bpm", dir);
    path = file;
    uint32_t sizes[] = {4, 32, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    for (int t = 0; t < THREADS; t++) {
        bp_net_options o = bp_net_options_default();
        o.seed = (uint64_t)t + 1;
        if (bp_net_create(2, sizes, acts, &o, &nets[t]) != BP_STATUS_OK) return 1;
    }
    size_t before = bp_alloc_count, live = bp_alloc_live;
    pthread_t th[THREADS];
    for (size_t t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, work, (void *)t);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    // Every save allocates exactly one buffer.
    size_t want = (size_t)THREADS * (ALLOCS + SAVES), got = bp_alloc_count - before;
    int bad = got != want || bp_alloc_live != live || save_failures;
    printf("race_alloc_save: %zu allocations counted (expected %zu), %d failed saves\n", got, want, save_failures);
    for (int t = 0; t < THREADS; t++) bp_net_destroy(nets[t]);
    unlink(file);
    rmdir(dir);
    return bad;
}
