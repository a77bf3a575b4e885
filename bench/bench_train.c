// SPDX-License-Identifier: MIT
// End-to-end training benchmark on Fashion-MNIST: samples/s (median of
// several timed epochs, data loading excluded) and GFLOP/s of the matrix
// work, as a fraction of this machine's FMA peak measured in the same run.
//
//   bp_bench_train [--data DIR] [--workload W1|W2|all] [--batch N] [--threads N]
//                  [--epochs N] [--samples N] [--isa NAME] [--phases 1] [--default-team 1]
//       --default-team 1: instead of 1 and 2 threads, one case with the
//       library's default thread count (n_threads 0: all cores, the team
//       size chosen per step), reported as threads=0
//                  [--precision fp32|bf16|both]
//       --precision both: each row in fp32, then in bf16 (interleaved, same
//       run), and a RATIO line bf16/fp32 of the two medians
//       --phases 1: also print each thread's time per phase of a step (work,
//       then waiting at the barrier that ends it), microseconds per step
//   bp_bench_train --trace-steps N --dump-init FILE --batch B [--workload W1]
//       (for bench/compare_pytorch.py: saves the initial model, then prints
//        the loss of each of the first N steps on unshuffled batches)
//
// Workloads (issue 4): W1 = 784-256-128-10 ReLU, W2 = 784-1024-1024-10 ReLU;
// softmax cross-entropy, SGD with momentum 0.9, learning rate 0.01.
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "backprop.h"
#include "bp_internal.h"
#include "fma-peak.h"

// The FMA loops exist only in x86 builds with those kernel sets.
#pragma weak bp_fma_peak_flops__avx512
#pragma weak bp_fma_peak_flops__avx2

typedef struct {
    const char *name;
    size_t n_layers;
    uint32_t sizes[4];
} workload;

static const workload workloads[] = {
    {"W1", 3, {784, 256, 128, 10}},
    {"W2", 3, {784, 1024, 1024, 10}},
};

// Matrix FLOPs per training sample: forward and weight gradient 2·in·out
// per layer, data gradient 2·in·out for every layer but the first.
static double flops_per_sample(const workload *w) {
    double f = 0.0;
    for (size_t l = 0; l < w->n_layers; l++) {
        double mn = 2.0 * w->sizes[l] * w->sizes[l + 1];
        f += 2.0 * mn + (l > 0 ? mn : 0.0);
    }
    return f;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what) {
    fprintf(stderr, "bp_bench_train: %s: %s\n", what, bp_last_error());
    exit(1);
}

// One core's FMA peak for the ISA's widest vectors, GFLOP/s: the median of
// five timed runs of independent FMA chains (0 when not measurable), with
// `threads` cores running them at once (per core: two vCPUs that share one
// physical core show half).
static double fma_peak_gflops(bp_isa isa, int threads) {
    double (*loop)(size_t) = NULL;
    if (isa == BP_ISA_AVX512 && bp_fma_peak_flops__avx512) loop = bp_fma_peak_flops__avx512;
    if (isa == BP_ISA_AVX2 && bp_fma_peak_flops__avx2) loop = bp_fma_peak_flops__avx2;
    if (!loop) return 0.0;
    double rates[5];
    loop(1000000); // warm up the core's clock
    for (int i = 0; i < 5; i++) {
        double t0 = now_s(), flops = 0.0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : flops)
#endif
        flops += loop(20000000);
        rates[i] = flops / (now_s() - t0) * 1e-9 / threads;
    }
    qsort(rates, 5, sizeof rates[0], cmp_double);
    return rates[2];
}

// Round trip of one cache line between two threads of the team, ns: the
// median of 5 runs of 20000 ping-pongs on one atomic. Two-thread training
// hands data between the cores every phase, so its speed follows this
// figure, which on a virtual machine changes when the host moves the vCPUs
// (bench/README.md). 0 without OpenMP or a second core.
static double core_round_trip_ns(void) {
#ifdef _OPENMP
    if (omp_get_max_threads() < 2) return 0.0;
    enum { TRIPS = 20000 };
    static _Atomic int ball;
    double ns[5];
    for (int run = 0; run < 5; run++) {
        double t0 = 0.0, t1 = 0.0;
        int alone = 0;
        atomic_store(&ball, 0);
#pragma omp parallel num_threads(2)
        {
            int me = omp_get_thread_num();
            // OMP_DYNAMIC=true lets the runtime give one thread: no partner.
            if (omp_get_num_threads() < 2) alone = 1;
#pragma omp barrier
            if (alone) me = -1;
            if (me == 0) t0 = now_s();
            for (int i = 0; me >= 0 && i < TRIPS; i++) {
                while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + me) {
                }
                atomic_store_explicit(&ball, 2 * i + me + 1, memory_order_release);
            }
            if (me == 0) {
                while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * TRIPS) {
                }
                t1 = now_s();
            }
        }
        if (alone) return 0.0;
        ns[run] = (t1 - t0) / TRIPS * 1e9;
    }
    qsort(ns, 5, sizeof ns[0], cmp_double);
    return ns[2];
#else
    return 0.0;
#endif
}

static bp_net *make_net(const workload *w, bp_isa isa) {
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.isa = isa;
    no.seed = 1;
    bp_net *net;
    if (bp_net_create(w->n_layers, w->sizes, acts, &no, &net) != BP_STATUS_OK) die("network");
    return net;
}

static bp_precision precision_now; // the precision of the rows being run

static bp_train_options options(size_t batch, int threads) {
    bp_train_options o = bp_train_options_default();
    o.precision = precision_now;
    o.loss = BP_LOSS_SOFTMAX_XENT;
    o.optimizer = BP_OPT_MOMENTUM;
    o.momentum = 0.9f;
    o.learning_rate = 0.01f;
    o.batch_size = batch;
    o.n_threads = threads;
    return o;
}

static int show_phases;

// The phases of bp_trainer_phase_times, named for a net of L layers.
static void phase_name(size_t i, size_t L, char *out, size_t len) {
    if (i == 0) snprintf(out, len, "gather");
    else if (i <= L) snprintf(out, len, "fwd %zu", i);
    else if (i == L + 1) snprintf(out, len, "loss");
    else if (i <= 2 * L + 1) snprintf(out, len, "bwd %zu", 2 * L + 2 - i);
    else if (i == 2 * L + 2) snprintf(out, len, "update");
    else snprintf(out, len, "clipped");
}

static void print_phases(const bp_trainer *tr, const workload *w, int threads, double steps) {
    double work[2 * BP_MAX_LAYERS + 4], wait[2 * BP_MAX_LAYERS + 4];
    printf("# phases, us per step (work+wait):");
    size_t np = bp_trainer_phase_times(tr, 0, work, wait);
    for (size_t i = 0; i + 1 < np; i++) {
        char name[32];
        phase_name(i, w->n_layers, name, sizeof name);
        printf(" | %s", name);
    }
    printf("\n");
    for (int t = 0; t < threads; t++) {
        bp_trainer_phase_times(tr, t, work, wait);
        printf("#   thread %d:", t);
        for (size_t i = 0; i + 1 < np; i++)
            printf(" | %.1f+%.1f", 1e6 * work[i] / steps, 1e6 * wait[i] / steps);
        printf("\n");
    }
}

// Steps the last run_case's timed epochs ran on one thread out of a larger
// team (the adaptive team, see bp_team_choose in src/trainer.c).
static uint64_t alone_steps;

// Times `epochs` passes over data; returns the median samples/s.
static double run_case(const workload *w, const bp_data *data, size_t batch, int threads,
                       int epochs, bp_isa isa) {
    bp_net *net = make_net(w, isa);
    bp_train_options o = options(batch, threads);
    bp_trainer *tr;
    if (bp_trainer_create(net, &o, &tr) != BP_STATUS_OK) die("trainer");
    double loss, rates[32];
    if (bp_trainer_run_epoch(tr, data, &loss) != BP_STATUS_OK) die("warm-up epoch");
    if (show_phases && bp_trainer_time_phases(tr) != BP_STATUS_OK) die("phase timing");
    uint64_t alone0 = bp_trainer_steps_alone(tr);
    for (int e = 0; e < epochs; e++) {
        double t0 = now_s();
        if (bp_trainer_run_epoch(tr, data, &loss) != BP_STATUS_OK) die("epoch");
        rates[e] = (double)data->n / (now_s() - t0);
    }
    alone_steps = bp_trainer_steps_alone(tr) - alone0;
    qsort(rates, (size_t)epochs, sizeof rates[0], cmp_double);
    if (show_phases) print_phases(tr, w, threads, (double)epochs * (double)((data->n + batch - 1) / batch));
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
    return rates[epochs / 2];
}

static int trace_steps(const workload *w, const bp_data *data, size_t batch, int steps,
                       const char *dump, int threads, bp_isa isa) {
    bp_net *net = make_net(w, isa);
    if (bp_net_save(net, dump) != BP_STATUS_OK) die("saving the initial model");
    bp_train_options o = options(batch, threads);
    bp_trainer *tr;
    if (bp_trainer_create(net, &o, &tr) != BP_STATUS_OK) die("trainer");
    uint32_t n_out = w->sizes[w->n_layers];
    float *y = calloc(batch * n_out, sizeof(float));
    for (int s = 0; s < steps; s++) {
        size_t r0 = (size_t)s * batch % (data->n - batch + 1);
        memset(y, 0, batch * n_out * sizeof(float));
        for (size_t r = 0; r < batch; r++) y[r * n_out + data->labels[r0 + r]] = 1.0f;
        float loss;
        if (bp_trainer_step(tr, data->x + r0 * data->n_in, y, batch, &loss) != BP_STATUS_OK)
            die("step");
        printf("STEP %d %.9g\n", s + 1, (double)loss);
    }
    free(y);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = "/usr/share/datasets/fashion-mnist", *which = "all", *dump = NULL;
    size_t only_batch = 0, samples = 0;
    int only_threads = 0, epochs = 3, trace = 0, default_team = 0;
    bp_isa isa = BP_ISA_AUTO;
    const char *precision = "fp32";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bp_bench_train: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--data")) dir = v;
        else if (!strcmp(a, "--workload")) which = v;
        else if (!strcmp(a, "--batch")) only_batch = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--threads")) only_threads = atoi(v);
        else if (!strcmp(a, "--epochs")) epochs = atoi(v);
        else if (!strcmp(a, "--samples")) samples = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--trace-steps")) trace = atoi(v);
        else if (!strcmp(a, "--dump-init")) dump = v;
        else if (!strcmp(a, "--phases")) show_phases = atoi(v);
        else if (!strcmp(a, "--default-team")) default_team = atoi(v);
        else if (!strcmp(a, "--precision")) precision = v;
        else if (!strcmp(a, "--isa")) {
            if (bp_isa_from_name(v, &isa) != BP_STATUS_OK) die("--isa");
        } else {
            fprintf(stderr, "bp_bench_train: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    // The precisions each row runs in, in order.
    bp_precision precs[2] = {BP_PRECISION_FP32, BP_PRECISION_BF16};
    size_t n_precs = 2;
    if (strcmp(precision, "both") != 0) {
        n_precs = 1;
        if (bp_precision_from_name(precision, &precs[0]) != BP_STATUS_OK) {
            fprintf(stderr, "bp_bench_train: --precision %s: expected fp32, bf16 or both\n", precision);
            return 2;
        }
    }
    if (epochs < 1 || epochs > 32) {
        fprintf(stderr, "bp_bench_train: --epochs must be 1..32\n");
        return 2;
    }
    char img[4096], lab[4096];
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", dir);
    bp_dataset ds;
    if (bp_data_load_idx(img, lab, &ds) != BP_STATUS_OK) die("loading Fashion-MNIST");
    if (samples && samples < ds.d.n) ds.d.n = samples;

    if (trace) {
        if (!dump || !only_batch) {
            fprintf(stderr, "bp_bench_train: --trace-steps needs --dump-init and --batch\n");
            return 2;
        }
        int r = trace_steps(&workloads[strcmp(which, "W2") == 0], &ds.d, only_batch, trace, dump,
                            only_threads ? only_threads : 1, isa);
        bp_dataset_free(&ds);
        return r;
    }

    bp_isa active;
    if (bp_isa_resolve(isa, &active) != BP_STATUS_OK) die("ISA");
    double peak = fma_peak_gflops(active, 1);
    int max_threads = 1;
#ifdef _OPENMP
    max_threads = omp_get_max_threads();
#endif
    printf("# backprop %s, ISA %s, %d cores available, FMA peak per core %.1f GFLOP/s "
           "(measured now), %zu training samples\n",
           bp_version(), bp_isa_name(active), max_threads, peak, ds.d.n);
    if (max_threads > 1)
        printf("# two cores at once: FMA peak %.1f GFLOP/s per core, core-to-core round trip %.0f ns "
               "(measured now; two-thread figures follow both)\n",
               fma_peak_gflops(active, 2), core_round_trip_ns());
    const bp_kernel_table *kt = bp_kernel_table_get(active);
    printf("# bf16 products: %s\n", kt ? kt->bf16_kernels : "?");
    printf("%-4s %6s %7s %5s %12s %9s %9s\n", "work", "batch", "threads", "prec", "samples/s",
           "GFLOP/s", "of peak");
    static const size_t w1_batches[] = {32, 128, 512}, w2_batches[] = {256};
    for (size_t wi = 0; wi < 2; wi++) {
        const workload *w = &workloads[wi];
        if (strcmp(which, "all") != 0 && strcmp(which, w->name) != 0) continue;
        const size_t *batches = wi == 0 ? w1_batches : w2_batches;
        size_t nb = wi == 0 ? 3 : 1;
        for (size_t bi = 0; bi < nb; bi++) {
            size_t batch = batches[bi];
            if (only_batch && batch != only_batch) continue;
            for (int threads = default_team ? 0 : 1; threads <= (default_team ? 0 : 2); threads++) {
                if (only_threads && threads != only_threads) continue;
                double sps_of[2] = {0, 0};
                for (size_t pi = 0; pi < n_precs; pi++) {
                    precision_now = precs[pi];
                    double sps = run_case(w, &ds.d, batch, threads, epochs, isa);
                    double gflops = sps * flops_per_sample(w) * 1e-9;
                    double frac = peak > 0 ? gflops / (peak * (threads ? threads : max_threads)) : 0.0;
                    sps_of[pi] = sps;
                    printf("%-4s %6zu %7d %5s %12.0f %9.1f %8.1f%%\n", w->name, batch, threads,
                           bp_precision_name(precs[pi]), sps, gflops, 100.0 * frac);
                    printf("RESULT workload=%s batch=%zu threads=%d precision=%s samples_per_s=%.1f "
                           "gflops=%.2f peak_frac=%.4f alone_steps=%llu\n",
                           w->name, batch, threads, bp_precision_name(precs[pi]), sps, gflops, frac,
                           (unsigned long long)alone_steps);
                    fflush(stdout);
                }
                if (n_precs == 2)
                    printf("RATIO workload=%s batch=%zu threads=%d bf16/fp32=%.3f\n", w->name,
                           batch, threads, sps_of[1] / sps_of[0]);
            }
        }
    }
    bp_dataset_free(&ds);
    return 0;
}
