// SPDX-License-Identifier: MIT
// The training loop: one OpenMP team per mini-batch step runs the gather,
// forward pass, loss, backward pass and optimizer update, separated by
// barriers. Every product is split into output blocks, and a kernel's value
// for one output element does not depend on the block it falls in, so the
// weights are bit-identical for any number of threads. Every buffer is
// allocated once in bp_trainer_create: a step never allocates.
#define _POSIX_C_SOURCE 200809L // clock_gettime
#if defined(__linux__) && !defined(BP_BARRIER_PORTABLE)
#define _DEFAULT_SOURCE // syscall
#define BP_BARRIER_FUTEX 1
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <pthread.h>
#endif
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bp_internal.h"

// A counter of arrivals, and a generation number with the count of threads
// asleep on it, on separate cache lines (see barrier_wait).
typedef struct {
    _Alignas(64) atomic_uint arrived;
    _Alignas(64) atomic_uint generation;
    atomic_uint sleepers;
#ifndef BP_BARRIER_FUTEX
    pthread_mutex_t lock; // the portable way to sleep: a condition variable
    pthread_cond_t wake;
#endif
} step_barrier;

struct bp_trainer {
    bp_net *net;
    bp_train_options opt;
    const bp_kernel_table *k;
    bp_f32_gemm_fn gemm; // k->gemm, or k->gemm_bf16 in bf16 precision
    int team;            // threads per step
    size_t cap;          // batch capacity (rows)
    float *x;            // team x cap x n_in: the gathered batch, a copy per thread
    float *y;            // cap x n_out: targets (one-hot for labels)
    float *z[BP_MAX_LAYERS];  // cap x n_out(l): pre-activations
    float *a[BP_MAX_LAYERS];  // cap x n_out(l): activations
    float *d[BP_MAX_LAYERS];  // cap x n_out(l): dropped-out activations (dropout only)
    float *grad_buf[2];  // cap x max_width: dA / dZ ping-pong
    float *grads;        // gradient block, same layout as net->params
    float *grads_own;    // the trainer's own block (grads points elsewhere only
                         // when a combiner lends one, bp_combiner.grad_block)
    float *state1, *state2; // optimizer state (velocity / Adam m, v)
    float *loss_rows;    // cap
    uint8_t *correct;    // cap: per-row classification hit
    float *gemm_ws;      // team x gemm_ws_floats
    // bf16 mode where the kernels have bf16 panels (bp_kernel_table
    // .gemm_bf16_panels), else NULL: every layer's weights as forward and
    // (but the first layer's) data-gradient panels (see step_body).
    uint32_t *w16;
    uint32_t *w16_fwd[BP_MAX_LAYERS], *w16_bwd[BP_MAX_LAYERS];
    // Layer l's panels hold its weights: set when a step's update converted
    // them (update_layer), cleared whenever the caller may have written the
    // weights since (run_step's keep_panels).
    uint8_t w16_current[BP_MAX_LAYERS];
    int step_team;       // the team of the last step (thread 0 records it)
    size_t *order;       // shuffle permutation, sized on first epoch use
    size_t order_n;
    bp_rng rng;          // shuffling
    uint64_t step;       // steps taken (Adam bias correction, dropout stream)
    uint32_t epoch;      // epochs completed
    float lr;            // learning rate of the current epoch
    // per-step inputs shared with the team
    const float *src_x, *src_y;
    const bp_data *src_data;
    const size_t *src_idx;
    double batch_loss;
    size_t batch_correct;
    int step_failed;
    size_t bad_row;      // first batch row holding a NaN/Inf input, or SIZE_MAX
    bp_adam_params adam; // this step's Adam parameters (bias corrections)
    float clip_scale;    // this step's gradient-clipping factor
    int grads_only;      // this step stops after the backward pass (compute_gradients)
    int grads_ready;     // compute_gradients done, apply_gradients not yet
    step_barrier sync;   // the team's barrier (see barrier())
    double spin_s;       // how long a thread waiting at it spins before sleeping
    int adaptive;        // the team size is chosen per step (bp_team_choose)
    bp_team_chooser chooser;
    uint64_t steps_alone; // steps a team of more than one ran on one thread
    double *phase_s;     // team x n_phases x {work, wait} seconds, or NULL (not timed)
    // Data-parallel training (bp_combiner); NULL / 0 when training alone.
    const bp_combiner *comb;
    bp_grad_chunk *chunks; // the gradient block's chunks, last layer first
    size_t n_chunks;
    size_t row0;         // this process's first row in the global batch
    size_t batch_n;      // rows in the global batch (the loss scale is 1/batch_n)
    double acc[2];       // combined mode: the batch's loss sum and hits
    bp_status comb_status; // the first failed combiner call of the step
};

static double barrier_spin_s(const char *policy);
static int dynamic_off(const char *v);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Phases of a step: gather, one per layer forward, loss, one per layer
// backward, the last update (with gradient clipping: the norm, then the
// updates).
static size_t n_phases(const bp_trainer *tr) { return 2 * tr->net->n_layers + 4; }

static bp_status evaluate(const bp_net *net, bp_loss loss, const bp_data *data, int n_threads,
                          int strict, bp_eval *out);

bp_train_options bp_train_options_default(void) {
    bp_train_options o;
    memset(&o, 0, sizeof o);
    o.loss = BP_LOSS_SOFTMAX_XENT;
    o.optimizer = BP_OPT_MOMENTUM;
    o.learning_rate = 0.05f;
    o.momentum = 0.9f;
    o.beta1 = 0.9f;
    o.beta2 = 0.999f;
    o.epsilon = 1e-8f;
    o.batch_size = 64;
    o.epochs = 10;
    o.seed = 1;
    o.shuffle = 1;
    o.lr_gamma = 0.1f;
    o.lr_step_epochs = 10;
    return o;
}

// A step costs about 6 flops per parameter per row (forward, data and
// weight gradients); below SMALL_STEP_FLOPS the team's start and barriers
// cost more than a second core gives (spirals 2-64-64-2, batch 32: 0.9
// Mflop, 0.05 s on one thread against 0.7-3.4 s on all cores of a busy
// 2-core machine; Fashion-MNIST 784-256-128-10, batch 128: 180 Mflop).
#define SMALL_STEP_FLOPS 4e6

int bp_train_default_threads(const bp_net *net, size_t batch_size) {
    if (!net || 6.0 * (double)net->n_params * (double)batch_size < SMALL_STEP_FLOPS) return 1;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static bp_status check_options(const bp_net *net, const bp_train_options *o) {
    const char *fn = "bp_trainer_create";
    if ((unsigned)o->loss >= BP_LOSS_COUNT)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: unknown loss %d", fn, (int)o->loss);
    if ((unsigned)o->optimizer >= BP_OPT_COUNT)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: unknown optimizer %d", fn, (int)o->optimizer);
    bp_act out = net->layers[net->n_layers - 1].act;
    if (o->loss == BP_LOSS_SOFTMAX_XENT && out != BP_ACT_SOFTMAX)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: softmax cross-entropy needs a softmax output layer", fn);
    if (o->loss == BP_LOSS_SIGMOID_BCE && out != BP_ACT_SIGMOID)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: binary cross-entropy needs a sigmoid output layer", fn);
    if (o->loss == BP_LOSS_MSE && out == BP_ACT_SOFTMAX)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: a softmax output trains with softmax cross-entropy, not mse", fn);
    if (!(o->learning_rate > 0.0f) || !isfinite(o->learning_rate))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: learning rate %g must be > 0", fn,
                       (double)o->learning_rate);
    if (o->batch_size == 0 || o->batch_size > (1u << 24))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: batch size %zu (expected 1 to %u)", fn,
                       o->batch_size, 1u << 24);
    if (o->momentum < 0.0f || o->momentum >= 1.0f)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: momentum %g outside [0, 1)", fn,
                       (double)o->momentum);
    if (!(o->beta1 >= 0.0f && o->beta1 < 1.0f) || !(o->beta2 >= 0.0f && o->beta2 < 1.0f) ||
        !(o->epsilon > 0.0f))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: Adam needs 0 <= beta < 1 and epsilon > 0", fn);
    if (!(o->weight_decay >= 0.0f))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: weight decay %g < 0", fn, (double)o->weight_decay);
    if (!(o->dropout >= 0.0f && o->dropout < 1.0f))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: dropout %g outside [0, 1)", fn, (double)o->dropout);
    if (!(o->clip_norm >= 0.0f))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: clip norm %g < 0", fn, (double)o->clip_norm);
    if (o->n_threads < 0 || o->n_threads > 1024)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %d threads", fn, o->n_threads);
    if (o->lr_schedule == BP_LR_STEP && o->lr_step_epochs == 0)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: step schedule needs lr_step_epochs > 0", fn);
    if ((unsigned)o->precision >= BP_PRECISION_COUNT)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: unknown precision %d (expected 0 fp32 or 1 bf16)",
                       fn, (int)o->precision);
    if ((unsigned)o->lr_schedule > BP_LR_COSINE)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: unknown schedule %d", fn, (int)o->lr_schedule);
    return BP_STATUS_OK;
}

void bp_trainer_destroy(bp_trainer *tr) {
    if (!tr) return;
#ifndef BP_BARRIER_FUTEX
    pthread_mutex_destroy(&tr->sync.lock);
    pthread_cond_destroy(&tr->sync.wake);
#endif
    bp_free(tr->x);
    bp_free(tr->y);
    for (size_t l = 0; l < BP_MAX_LAYERS; l++) {
        bp_free(tr->z[l]);
        bp_free(tr->a[l]);
        bp_free(tr->d[l]);
    }
    bp_free(tr->grad_buf[0]);
    bp_free(tr->grad_buf[1]);
    bp_free(tr->grads_own);
    bp_free(tr->state1);
    bp_free(tr->state2);
    bp_free(tr->loss_rows);
    bp_free(tr->correct);
    bp_free(tr->gemm_ws);
    bp_free(tr->w16);
    bp_free(tr->order);
    bp_free(tr->phase_s);
    bp_free(tr->chunks);
    if (tr->comb && tr->comb->destroy) tr->comb->destroy(tr->comb->ctx);
    bp_free(tr);
}

// One block for every layer's two sets of panels; 0 if out of memory.
static int alloc_weight_panels(bp_trainer *tr) {
    const bp_net *net = tr->net;
    size_t total = 0; // the first layer has no data gradient, so no such panels
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct bp_layer *Ly = &net->layers[l];
        total += BP_BF16_PANEL_WORDS(Ly->n_in, Ly->n_out);
        total += l > 0 ? BP_BF16_PANEL_WORDS(Ly->n_out, Ly->n_in) : 0;
    }
    tr->w16 = bp_alloc_hot(total, sizeof(uint32_t));
    if (!tr->w16) return 0;
    uint32_t *p = tr->w16;
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct bp_layer *Ly = &net->layers[l];
        tr->w16_fwd[l] = p;
        p += BP_BF16_PANEL_WORDS(Ly->n_in, Ly->n_out);
        tr->w16_bwd[l] = l > 0 ? p : NULL;
        p += l > 0 ? BP_BF16_PANEL_WORDS(Ly->n_out, Ly->n_in) : 0;
    }
    return 1;
}

bp_status bp_trainer_create(bp_net *net, const bp_train_options *opt, bp_trainer **out) {
    if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_create: out is NULL");
    *out = NULL;
    if (!net || !opt) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_create: NULL net or options");
    bp_status st = check_options(net, opt);
    if (st != BP_STATUS_OK) return st;
    bp_trainer *tr = bp_alloc(1, sizeof *tr);
    if (!tr) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_trainer_create: no memory");
#ifndef BP_BARRIER_FUTEX
    if (pthread_mutex_init(&tr->sync.lock, NULL) != 0) {
        bp_free(tr);
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_trainer_create: cannot create a mutex");
    }
    if (pthread_cond_init(&tr->sync.wake, NULL) != 0) {
        pthread_mutex_destroy(&tr->sync.lock);
        bp_free(tr);
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_trainer_create: cannot create a condition variable");
    }
#endif
    tr->spin_s = barrier_spin_s(getenv("OMP_WAIT_POLICY"));
    tr->net = net;
    tr->opt = *opt;
    tr->k = net->k;
    tr->gemm = opt->precision == BP_PRECISION_BF16 ? net->k->gemm_bf16 : net->k->gemm;
    tr->team = 1;
#ifdef _OPENMP
    tr->team = opt->n_threads > 0 ? opt->n_threads : bp_train_default_threads(net, opt->batch_size);
#endif
    bp_rng_seed(&tr->rng, opt->seed);
    tr->lr = opt->learning_rate;
    tr->adaptive = tr->team > 1 && !dynamic_off(getenv("OMP_DYNAMIC"));
    bp_team_init(&tr->chooser, tr->team);

    // The per-row buffers wait for the first step, epoch or fit, which
    // know how many rows a batch can really have (reserve_rows).
    int ok = 1;
    tr->grads = tr->grads_own = bp_alloc_hot(net->params_floats, sizeof(float));
    int adam = opt->optimizer == BP_OPT_ADAM || opt->optimizer == BP_OPT_ADAMW;
    int momentum = opt->optimizer == BP_OPT_MOMENTUM || opt->optimizer == BP_OPT_NESTEROV;
    if (adam || momentum) tr->state1 = bp_alloc_hot(net->params_floats, sizeof(float));
    if (adam) tr->state2 = bp_alloc_hot(net->params_floats, sizeof(float));
    tr->gemm_ws = bp_alloc_hot(bp_mul_size((size_t)tr->team, tr->k->gemm_ws_floats + 16, &ok), sizeof(float));
    // The panels start every 16 columns; the products split columns at
    // multiples of f32_lanes (split_2d).
    int panels = opt->precision == BP_PRECISION_BF16 && tr->k->gemm_bf16_panels && tr->k->f32_lanes % 16 == 0;
    if (panels) ok &= alloc_weight_panels(tr);
    if (!ok || !tr->grads || ((adam || momentum) && !tr->state1) || (adam && !tr->state2) || !tr->gemm_ws) {
        bp_trainer_destroy(tr);
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_trainer_create: cannot allocate the optimizer's memory");
    }
    *out = tr;
    return BP_STATUS_OK;
}

static void free_rows(bp_trainer *tr) {
    bp_free(tr->x);
    bp_free(tr->y);
    for (size_t l = 0; l < BP_MAX_LAYERS; l++) {
        bp_free(tr->z[l]);
        bp_free(tr->a[l]);
        bp_free(tr->d[l]);
        tr->z[l] = tr->a[l] = tr->d[l] = NULL;
    }
    bp_free(tr->grad_buf[0]);
    bp_free(tr->grad_buf[1]);
    bp_free(tr->loss_rows);
    bp_free(tr->correct);
    tr->x = tr->y = tr->grad_buf[0] = tr->grad_buf[1] = tr->loss_rows = NULL;
    tr->correct = NULL;
    tr->cap = 0;
}

// Size the per-row workspace for batches of up to `rows` rows: the batch
// size, or fewer when the data set is smaller (300 rows with batch 10^6
// need 300 rows of workspace, not 10^6). Called before steps, never inside
// one; it allocates only when a batch can be larger than any before.
static bp_status reserve_rows(bp_trainer *tr, size_t rows) {
    if (rows <= tr->cap) return BP_STATUS_OK;
    free_rows(tr);
    const bp_net *net = tr->net;
    size_t L = net->n_layers, width = bp_net_max_width(net);
    size_t n_in = net->layers[0].n_in, n_out = net->layers[L - 1].n_out;
    int ok = 1, dropout = tr->opt.dropout > 0.0f;
    tr->x = bp_alloc_hot(bp_mul_size((size_t)tr->team, bp_mul_size(rows, n_in, &ok), &ok), sizeof(float));
    tr->y = bp_alloc(bp_mul_size(rows, n_out, &ok), sizeof(float));
    for (size_t l = 0; l < L; l++) {
        size_t elems = bp_mul_size(rows, net->layers[l].n_out, &ok);
        tr->z[l] = bp_alloc_hot(elems, sizeof(float));
        tr->a[l] = bp_alloc_hot(elems, sizeof(float));
        if (dropout && l + 1 < L) tr->d[l] = bp_alloc_hot(elems, sizeof(float));
        if (!tr->z[l] || !tr->a[l] || (dropout && l + 1 < L && !tr->d[l])) ok = 0;
    }
    tr->grad_buf[0] = bp_alloc_hot(bp_mul_size(rows, width, &ok), sizeof(float));
    tr->grad_buf[1] = bp_alloc_hot(bp_mul_size(rows, width, &ok), sizeof(float));
    tr->loss_rows = bp_alloc(rows, sizeof(float));
    tr->correct = bp_alloc(rows, 1);
    if (!ok || !tr->x || !tr->y || !tr->grad_buf[0] || !tr->grad_buf[1] || !tr->loss_rows || !tr->correct) {
        free_rows(tr);
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "cannot allocate the training workspace for batches of %zu rows",
                       rows);
    }
    tr->cap = rows;
    return BP_STATUS_OK;
}

// Rows of the largest batch an epoch over n rows takes.
static size_t batch_rows(const bp_trainer *tr, size_t n) {
    return n < tr->opt.batch_size ? n : tr->opt.batch_size;
}

uint32_t bp_trainer_epoch(const bp_trainer *tr) { return tr ? tr->epoch : 0; }

bp_status bp_trainer_time_phases(bp_trainer *tr) {
    size_t floats = (size_t)tr->team * n_phases(tr) * 2;
    if (!tr->phase_s) tr->phase_s = bp_alloc(floats, sizeof(double));
    if (!tr->phase_s) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "no memory for phase times");
    memset(tr->phase_s, 0, floats * sizeof(double));
    return BP_STATUS_OK;
}

size_t bp_trainer_phase_times(const bp_trainer *tr, int t, double *work, double *wait) {
    size_t np = n_phases(tr);
    for (size_t i = 0; i < np; i++) {
        const double *p = tr->phase_s && t < tr->team ? tr->phase_s + ((size_t)t * np + i) * 2 : NULL;
        work[i] = p ? p[0] : 0.0;
        wait[i] = p ? p[1] : 0.0;
    }
    return np;
}

const float *bp_trainer_gradients(const bp_trainer *tr) { return tr->grads; }
uint64_t bp_trainer_steps_alone(const bp_trainer *tr) { return tr->steps_alone; }

bp_net *bp_trainer_net(const bp_trainer *tr) { return tr->net; }

const bp_combiner *bp_trainer_combiner(const bp_trainer *tr) { return tr->comb; }

const bp_train_options *bp_trainer_options(const bp_trainer *tr) { return &tr->opt; }

int bp_trainer_team(const bp_trainer *tr) { return tr->team; }

const bp_grad_chunk *bp_trainer_chunks(const bp_trainer *tr, size_t *n_chunks) {
    *n_chunks = tr->n_chunks;
    return tr->chunks;
}

bp_status bp_trainer_set_combiner(bp_trainer *tr, const bp_combiner *c, size_t chunk_floats) {
    if (!tr) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_set_combiner: NULL trainer");
    bp_free(tr->chunks);
    tr->chunks = NULL;
    tr->n_chunks = 0;
    if (tr->comb && tr->comb->destroy) tr->comb->destroy(tr->comb->ctx);
    tr->comb = NULL;
    tr->grads = tr->grads_own;
    if (!c) return BP_STATUS_OK;
    if (c->ranks < 1 || c->rank < 0 || c->rank >= c->ranks)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_set_combiner: rank %d of %d", c->rank,
                       c->ranks);
    const bp_net *net = tr->net;
    // Weight chunks: whole rows, a multiple of the register tile's height
    // (so the threads' splits stay on tile boundaries), about chunk_floats
    // floats each; then the layer's bias as one chunk.
    size_t total = 0, mr = tr->k->gemm_mr;
    for (int pass = 0; pass < 2; pass++) {
        size_t i = 0;
        for (size_t l = net->n_layers; l-- > 0;) {
            const struct bp_layer *Ly = &net->layers[l];
            size_t rows = chunk_floats / Ly->n_in;
            rows = rows < mr ? mr : rows - rows % mr;
            for (size_t m0 = 0; m0 < Ly->n_out; m0 += rows, i++) {
                size_t m1 = Ly->n_out - m0 < rows ? Ly->n_out : m0 + rows;
                if (pass)
                    tr->chunks[i] = (bp_grad_chunk){l, m0, m1, 0,
                                                    (size_t)(Ly->w - net->params) + m0 * Ly->n_in,
                                                    (m1 - m0) * Ly->n_in};
            }
            if (pass)
                tr->chunks[i] = (bp_grad_chunk){l, 0, Ly->n_out, 1, (size_t)(Ly->b - net->params),
                                                Ly->n_out};
            i++;
        }
        if (!pass) {
            total = i;
            tr->chunks = bp_alloc(total, sizeof *tr->chunks);
            if (!tr->chunks) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_trainer_set_combiner: no memory");
        }
    }
    tr->n_chunks = total;
    tr->comb = c;
    return BP_STATUS_OK;
}

// ---------------------------------------------------------------- the step

// Inverted dropout: element (row, col) of layer l's output is kept (and
// scaled by 1/(1-p)) unless a counter-based hash of (seed, step, layer, row,
// col) falls below p, so the mask is the same whichever thread computes it,
// and the backward pass recomputes it instead of storing it.
static uint64_t dropout_seed(const bp_trainer *tr, size_t l) {
    return bp_hash64(tr->opt.seed ^ bp_hash64(tr->step * 0x100000001b3ull + l));
}

static void dropout_row(const bp_trainer *tr, uint64_t seed, size_t row, size_t c0, size_t c1,
                        const float *src, float *dst) {
    float p = tr->opt.dropout, keep_scale = 1.0f / (1.0f - p);
    uint64_t row_seed = seed + ((uint64_t)row << 32);
    for (size_t c = c0; c < c1; c++) {
        float u = (float)(bp_hash64(row_seed + c) >> 40) * 0x1.0p-24f;
        dst[c] = u < p ? 0.0f : src[c] * keep_scale;
    }
}

// Row of targets for sample src: one-hot of the label (or the label itself
// for a single output), or the target values mapped by the network's
// output scaling (the space the network is trained in).
static void fill_target(float *yr, const bp_net *net, const bp_data *d, size_t src, size_t n_out) {
    if (d->n_classes) {
        if (n_out == 1) {
            yr[0] = (float)d->labels[src];
        } else {
            memset(yr, 0, n_out * sizeof(float));
            yr[d->labels[src]] = 1.0f;
        }
    } else if (net->out_offset) {
        bp_scale_rows(d->targets + src * n_out, yr, 1, n_out, net->out_offset, net->out_scale);
    } else {
        memcpy(yr, d->targets + src * n_out, n_out * sizeof(float));
    }
}

// Whether an output row classifies its target right: argmax for several
// outputs, the threshold for one (targets are judged at 0.5).
static int row_correct(const float *o, const float *y, size_t n_out, float thr) {
    if (n_out > 1) return bp_argmax(o, n_out) == bp_argmax(y, n_out);
    return (o[0] > thr) == (y[0] > 0.5f);
}

// Apply a layer's activation to rows [r0,r1) x cols [c0,c1) of Z into A.
static void act_block(const bp_trainer *tr, size_t l, size_t r0, size_t r1, size_t c0, size_t c1) {
    const struct bp_layer *L = &tr->net->layers[l];
    size_t w = L->n_out;
    if (L->act == BP_ACT_SOFTMAX || c0 >= c1) return; // fused into the loss
    if (c0 == 0 && c1 == w) {
        tr->k->act_fwd[L->act]((r1 - r0) * w, tr->z[l] + r0 * w, tr->a[l] + r0 * w,
                               &tr->net->act_params);
    } else {
        for (size_t r = r0; r < r1; r++)
            tr->k->act_fwd[L->act](c1 - c0, tr->z[l] + r * w + c0, tr->a[l] + r * w + c0,
                                   &tr->net->act_params);
    }
    if (tr->d[l]) {
        uint64_t seed = dropout_seed(tr, l);
        for (size_t r = r0; r < r1; r++)
            dropout_row(tr, seed, tr->row0 + r, c0, c1, tr->a[l] + r * w, tr->d[l] + r * w);
    }
}

// The input a layer reads: the batch, or the previous layer's (dropped) output.
static const float *layer_input(const bp_trainer *tr, size_t l, int t) {
    if (l == 0) return tr->x + (size_t)t * tr->cap * tr->net->layers[0].n_in;
    return tr->d[l - 1] ? tr->d[l - 1] : tr->a[l - 1];
}

// The optimizer over parameters [off, off+len) of the parameter block.
static void optimizer_run(bp_trainer *tr, size_t off, size_t len, float scale) {
    const bp_kernel_table *k = tr->k;
    float *w = tr->net->params + off, *g = tr->grads + off;
    float *s1 = tr->state1 ? tr->state1 + off : NULL, *s2 = tr->state2 ? tr->state2 + off : NULL;
    if (scale != 1.0f) {
        // Scaled into the trainer's own block: a block a combiner lends
        // (bp_combiner.grad_block) is read by the other processes too.
        float *own = tr->grads_own + off;
        for (size_t i = 0; i < len; i++) own[i] = g[i] * scale;
        g = own;
    }
    if (tr->opt.optimizer <= BP_OPT_NESTEROV) {
        bp_sgd_params p = {tr->lr, tr->opt.optimizer == BP_OPT_SGD ? 0.0f : tr->opt.momentum,
                           tr->opt.weight_decay, tr->opt.optimizer == BP_OPT_NESTEROV};
        k->sgd(len, w, g, s1, &p);
    } else {
        k->adam(len, w, g, s1, s2, &tr->adam);
    }
}

// Split an m x n product among the team: by columns when each thread gets
// at least min_cols of them and there are no more rows than columns (each
// thread then packs only its own weights, plus the whole of the smaller
// activation block), else by rows. Column blocks are cut at vector, not
// tile, boundaries: with 48-wide tiles 256 columns would otherwise split
// 144/112.
static void split_2d(const bp_trainer *tr, size_t m, size_t n, size_t min_cols, int t, int team,
                     size_t *r0, size_t *r1, size_t *c0, size_t *c1) {
    size_t mr = tr->k->gemm_mr;
    if ((n >= (size_t)team * min_cols && n >= m) || m < (size_t)team * mr) {
        *r0 = 0;
        *r1 = m;
        bp_split(n, tr->k->f32_lanes, team, t, c0, c1);
    } else {
        *c0 = 0;
        *c1 = n;
        bp_split(m, mr, team, t, r0, r1);
    }
}

// The weight-gradient product dW (out x in) splits by rows of W when it
// can, so each thread owns whole rows: its share of the optimizer update is
// then one contiguous run, in its own cache. With the bf16 panels the rows
// go in sixteens, whole forward panels, so that the thread converts the rows
// it updated while they are in its cache (update_layer).
static size_t dw_rows(const bp_trainer *tr) { return tr->w16 ? 16 : tr->k->gemm_mr; }

static void split_dw(const bp_trainer *tr, size_t m, size_t n, int t, int team, size_t *r0,
                     size_t *r1, size_t *c0, size_t *c1) {
    if (m >= (size_t)team * 2 * dw_rows(tr)) {
        *c0 = 0;
        *c1 = n;
        bp_split(m, dw_rows(tr), team, t, r0, r1);
    } else {
        split_2d(tr, m, n, 2 * tr->k->gemm_nr, t, team, r0, r1, c0, c1);
    }
}

// The team's barrier. On the benchmark machine a cache line's round trip
// between the two cores is 110-500 ns (the host moves the vCPUs) and
// OpenMP's barrier took 1.2-1.7 us: nine per step were up to a tenth of a
// batch-32 step on two threads. This one costs a round trip on one counter
// and one on the generation word while the team is on its cores.
//
// A waiting thread spins for spin_s, then sleeps (a futex on Linux, else a
// condition variable) until the last thread to arrive wakes it. Spinning
// covers the usual wait inside a step (the threads' shares differ by a few
// microseconds) without a system call; sleeping matters when the machine is
// overloaded: a thread that spins or yields keeps competing for the core
// that its partner, descheduled, needs to arrive, and a waiting step then
// lasts a scheduler time slice (W1 batch 128 on two threads with a busy
// process on each core ran at 0.2-0.3x its one-thread speed with the old
// spin-then-yield loop). A thread woken from a sleep is usually given its
// core back promptly (schedulers favour tasks that slept), so a woken step
// resumes after a wake-up latency instead. Under heavier load even that is
// not enough, and the team size adapts (see bp_team_choose).
//
// OMP_WAIT_POLICY as OpenMP defines it: "active" spins (for up to a second
// here, then sleeps anyway), "passive" sleeps almost at once (a few
// microseconds of spinning: a sleep and a wake-up cost more than that).
// The default: a W1 batch-128 step on two threads has phases of ~100 us
// whose waits are a few microseconds on a quiet machine, so 50 us covers
// them without a sleep. (Chosen from those phase times, not yet tuned on a
// quiet machine: bench/contention.sh measures it.)
#define SPIN_DEFAULT_S 50e-6
#define SPIN_ACTIVE_S 1.0
#define SPIN_PASSIVE_S 2e-6
static double barrier_spin_s(const char *policy) {
    if (policy && (policy[0] == 'a' || policy[0] == 'A')) return SPIN_ACTIVE_S;
    if (policy && (policy[0] == 'p' || policy[0] == 'P')) return SPIN_PASSIVE_S;
    return SPIN_DEFAULT_S;
}

// OMP_DYNAMIC as OpenMP defines it: "true" or "false", any case, blanks
// around it allowed. Only "false" pins the team: unset (OpenMP leaves the
// default to the implementation) or "true" lets the trainer adapt it.
static int dynamic_off(const char *v) {
    if (!v) return 0;
    while (*v == ' ' || *v == '\t') v++;
    const char *f = "false";
    while (*f && (*v | 0x20) == *f) v++, f++;
    if (*f) return 0;
    while (*v == ' ' || *v == '\t') v++;
    return *v == '\0';
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Sleep while b->generation == gen (returns at once if it already moved).
static void barrier_sleep(step_barrier *b, unsigned gen) {
#ifdef BP_BARRIER_FUTEX
    // The kernel compares the word with gen and sleeps only if they are
    // equal, atomically with the waker's FUTEX_WAKE: no lost wake-up.
    syscall(SYS_futex, (unsigned *)&b->generation, FUTEX_WAIT_PRIVATE, gen, NULL, NULL, 0);
#else
    pthread_mutex_lock(&b->lock);
    while (atomic_load(&b->generation) == gen) pthread_cond_wait(&b->wake, &b->lock);
    pthread_mutex_unlock(&b->lock);
#endif
}

static void barrier_wake(step_barrier *b) {
#ifdef BP_BARRIER_FUTEX
    syscall(SYS_futex, (unsigned *)&b->generation, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
#else
    pthread_mutex_lock(&b->lock);
    pthread_cond_broadcast(&b->wake);
    pthread_mutex_unlock(&b->lock);
#endif
}

static void barrier_wait(bp_trainer *tr, int team) {
    if (team == 1) return;
    step_barrier *b = &tr->sync;
    unsigned gen = atomic_load_explicit(&b->generation, memory_order_relaxed);
    // acq_rel: the release publishes this thread's writes; the last arriver's
    // acquire collects everyone's, and its release on generation hands them on.
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) + 1 == (unsigned)team) {
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        // seq_cst store, then seq_cst load of sleepers: with the sleeper's
        // seq_cst increment, then load of generation, one of the two sees
        // the other's write (no sleeper misses the new generation unwoken).
        atomic_store(&b->generation, gen + 1);
        if (atomic_load(&b->sleepers) != 0) barrier_wake(b);
        return;
    }
    // Spin, reading the clock only every 64 polls (a poll is a load and a
    // pause instruction: tens of nanoseconds).
    double deadline = 0.0;
    for (unsigned polls = 1;; polls++) {
        if (atomic_load_explicit(&b->generation, memory_order_acquire) != gen) return;
        cpu_relax();
        if (polls % 64 == 0) {
            double t = now_s();
            if (deadline == 0.0) deadline = t + tr->spin_s;
            else if (t >= deadline) break;
        }
    }
    atomic_fetch_add(&b->sleepers, 1);
    while (atomic_load(&b->generation) == gen) barrier_sleep(b, gen);
    atomic_fetch_sub(&b->sleepers, 1); // the seq_cst load that saw the new generation acquired
}

// A thread's place in the step, for the optional phase timing.
typedef struct {
    int t;        // thread
    size_t phase; // phases completed
    double since; // when the current phase began
} phase_clock;

// Adds the time since the last mark to the thread's current phase: slot 0
// is its work, slot 1 its wait at the barrier that ends the phase.
static void phase_add(bp_trainer *tr, phase_clock *pc, int slot) {
    if (!tr->phase_s) return;
    double now = now_s();
    tr->phase_s[((size_t)pc->t * n_phases(tr) + pc->phase) * 2 + (size_t)slot] += now - pc->since;
    pc->since = now;
}

static void barrier(bp_trainer *tr, int team, phase_clock *pc) {
    phase_add(tr, pc, 0);
    barrier_wait(tr, team);
    phase_add(tr, pc, 1);
    pc->phase++;
}

// Whether update_layer converts layer l's weights to its panels, on a
// team of `team` threads: when split_dw gives every thread whole rows in
// sixteens (whole forward panels). Smaller layers split otherwise, and
// their panels are converted at the next step's start.
static int update_packs(const bp_trainer *tr, size_t l, int team) {
    return tr->w16 && tr->net->layers[l].n_out >= (size_t)team * 2 * dw_rows(tr);
}

// The optimizer on thread t's share of layer l: the same blocks of W and b
// whose gradients the thread computed in the backward pass (see step_body).
// g is scaled by `scale` first (gradient clipping). Skipped after a
// non-finite loss, so the weights stay as they were.
static void update_layer(bp_trainer *tr, size_t l, int t, int team, float scale) {
    if (tr->step_failed || tr->grads_only) return;
    const bp_net *net = tr->net;
    const struct bp_layer *Ly = &net->layers[l];
    size_t r0, r1, c0, c1, in = Ly->n_in;
    split_dw(tr, Ly->n_out, in, t, team, &r0, &r1, &c0, &c1);
    size_t w_off = (size_t)(Ly->w - net->params), b_off = (size_t)(Ly->b - net->params);
    if (c0 == 0 && c1 == in) {
        // Whole rows: one run, or, where this thread's rows are whole
        // panels, sixteen rows at a time, each converted to the bf16 panels
        // right after its update (64 KiB of a 1024-wide layer: still in
        // L1/L2).
        int pack = update_packs(tr, l, team);
        size_t piece = pack ? 16 : r1 - r0;
        for (size_t r = r0; r < r1; r += piece) {
            size_t re = r1 - r < piece ? r1 : r + piece;
            optimizer_run(tr, w_off + r * in, (re - r) * in, scale);
            if (pack) tr->k->bf16_pack_weights(Ly->w, Ly->n_out, in, r, re, tr->w16_fwd[l], tr->w16_bwd[l]);
        }
    } else {
        for (size_t r = r0; r < r1; r++)
            if (c1 > c0) optimizer_run(tr, w_off + r * in + c0, c1 - c0, scale);
    }
    size_t b0, b1; // the bias share
    bp_split(Ly->n_out, 16, team, t, &b0, &b1);
    if (b1 > b0) optimizer_run(tr, b_off + b0, b1 - b0, scale);
}

// dW for weight rows [m0, m1) of layer l, thread t's share: the rows of W
// split as split_dw splits the whole layer when [m0, m1) is all of it.
// accumulate: continue the sums already in the gradient block.
static void layer_weight_grad(bp_trainer *tr, size_t l, size_t n, const float *dz, size_t m0,
                              size_t m1, int accumulate, int t, int team, float *ws) {
    const bp_net *net = tr->net;
    const struct bp_layer *Ly = &net->layers[l];
    float *gw = tr->grads + (Ly->w - net->params);
    const float *in = layer_input(tr, l, t);
    size_t r0, r1, c0, c1;
    split_dw(tr, m1 - m0, Ly->n_in, t, team, &r0, &r1, &c0, &c1);
    r0 += m0;
    r1 += m0;
    if (r0 < r1 && c0 < c1)
        tr->gemm(r1 - r0, c1 - c0, n, dz + r0, 1, Ly->n_out, in + c0, Ly->n_in, 1,
                    gw + r0 * Ly->n_in + c0, Ly->n_in, NULL, accumulate, ws);
}

// db for bias entries [m0, m1) of layer l, thread t's share.
static void layer_bias_grad(bp_trainer *tr, size_t l, size_t n, const float *dz, size_t m0,
                            size_t m1, int accumulate, int t, int team) {
    const struct bp_layer *Ly = &tr->net->layers[l];
    float *gb = tr->grads + (Ly->b - tr->net->params);
    size_t c0, c1;
    bp_split(m1 - m0, 16, team, t, &c0, &c1);
    c0 += m0;
    c1 += m0;
    if (c0 < c1) tr->k->colsum(n, c1 - c0, dz + c0, Ly->n_out, gb + c0, accumulate);
}

// dA_{l-1} = dZ_l W_l on thread t's block, then dZ_{l-1} = dA_{l-1} ⊙
// act'(Z_{l-1}) in place (dropout's mask first), for l > 0.
static void layer_data_grad(bp_trainer *tr, size_t l, size_t n, const float *dz, float *da, int t,
                            int team, float *ws) {
    const bp_net *net = tr->net;
    const bp_kernel_table *k = tr->k;
    const struct bp_layer *Ly = &net->layers[l];
    size_t r0, r1, c0, c1;
    split_2d(tr, n, Ly->n_in, 2 * k->gemm_nr, t, team, &r0, &r1, &c0, &c1);
    if (r0 < r1 && c0 < c1) {
        if (tr->w16) // c0: a multiple of 16, as in the forward pass
            k->gemm_bf16_panels(r1 - r0, c1 - c0, Ly->n_out, dz + r0 * Ly->n_out, Ly->n_out, 1,
                                tr->w16_bwd[l] + BP_BF16_PANEL_WORDS(Ly->n_out, c0),
                                da + r0 * Ly->n_in + c0, Ly->n_in, NULL, 0, ws);
        else
            tr->gemm(r1 - r0, c1 - c0, Ly->n_out, dz + r0 * Ly->n_out, Ly->n_out, 1, Ly->w + c0,
                     Ly->n_in, 1, da + r0 * Ly->n_in + c0, Ly->n_in, NULL, 0, ws);
        size_t w = Ly->n_in;
        const struct bp_layer *P = &net->layers[l - 1];
        uint64_t seed = tr->d[l - 1] ? dropout_seed(tr, l - 1) : 0;
        for (size_t r = r0; r < r1; r++) {
            float *row = da + r * w;
            if (tr->d[l - 1]) dropout_row(tr, seed, tr->row0 + r, c0, c1, row, row);
            k->act_bwd[P->act](c1 - c0, tr->z[l - 1] + r * w + c0, tr->a[l - 1] + r * w + c0,
                               row + c0, row + c0, &net->act_params);
        }
    }
}

// Records the first failed combiner call of a step (thread 0 only).
static void comb_call(bp_trainer *tr, bp_status st) {
    if (st != BP_STATUS_OK && tr->comb_status == BP_STATUS_OK) tr->comb_status = st;
}

// The loss sum and hits of this process's rows, added in row order to
// those of the ranks before it (chained mode), into tr->acc: the same
// additions, in the same order, as one process's sum over the batch.
static void loss_rows_sum(bp_trainer *tr, size_t n) {
    const bp_combiner *c = tr->comb;
    double acc[2] = {0.0, 0.0};
    int chained = c->recv_partial != NULL;
    if (chained && c->rank > 0) comb_call(tr, c->recv_loss(c->ctx, acc));
    double sum = acc[0];
    size_t hits = 0;
    for (size_t r = 0; r < n; r++) {
        sum += tr->loss_rows[r];
        hits += tr->correct[r];
    }
    tr->acc[0] = sum;
    tr->acc[1] = acc[1] + (double)hits;
    if (chained) comb_call(tr, c->send_loss(c->ctx, tr->acc));
}

// The backward pass of one process among several (see bp_combiner): the
// same products as the single-process pass, with each layer's weight
// gradient in the chunks of tr->chunks. In the chained mode a rank after the
// first receives each chunk's partial sums, continues them with its rows
// (accumulate) and passes the chunk on; it computes the layer's data
// gradient before its weight gradient, so that the partial sums arrive
// while it works, and the first rank the other way round, so that it sends
// them as early as it can. Every update waits for finish().
static void backward_combined(bp_trainer *tr, size_t n, int t, int team, phase_clock *pc,
                              float *ws) {
    const bp_combiner *c = tr->comb;
    size_t ci = 0;
    int chained = c->recv_partial != NULL, continues = chained && c->rank > 0, cur = 0;
    if (!chained && t == 0) loss_rows_sum(tr, n);
    for (size_t l = tr->net->n_layers; l-- > 0;) {
        const float *dz = tr->grad_buf[cur];
        float *da = tr->grad_buf[cur ^ 1];
        if (continues && l > 0) layer_data_grad(tr, l, n, dz, da, t, team, ws);
        for (; ci < tr->n_chunks && tr->chunks[ci].layer == l; ci++) {
            const bp_grad_chunk *ch = &tr->chunks[ci];
            float *g = tr->grads + ch->off;
            if (chained && t == 0) {
                if (ci == 0) loss_rows_sum(tr, n);
                if (continues) comb_call(tr, c->recv_partial(c->ctx, ci, g, ch->len));
            }
            if (continues) barrier_wait(tr, team);
            if (ch->bias)
                layer_bias_grad(tr, l, n, dz, ch->m0, ch->m1, continues, t, team);
            else
                layer_weight_grad(tr, l, n, dz, ch->m0, ch->m1, continues, t, team, ws);
            if (chained) {
                barrier_wait(tr, team);
                if (t == 0) comb_call(tr, c->send_partial(c->ctx, ci, g, ch->len));
            }
        }
        if (!continues && l > 0) layer_data_grad(tr, l, n, dz, da, t, team, ws);
        cur ^= 1;
        barrier(tr, team, pc);
    }
    if (t == 0) {
        comb_call(tr, c->finish(c->ctx, tr->grads, tr->net->params_floats, tr->acc));
        tr->batch_loss = tr->acc[0] / (double)tr->batch_n;
        tr->batch_correct = (size_t)tr->acc[1];
        tr->step_failed = tr->comb_status != BP_STATUS_OK || !isfinite(tr->batch_loss);
    }
    barrier_wait(tr, team);
}

// Rows the batch gather prefetches ahead of the one it copies.
#define GATHER_AHEAD 4

// Runs on every thread of the team.
static void step_body(bp_trainer *tr, size_t n, int t, int team) {
    const bp_net *net = tr->net;
    const bp_kernel_table *k = tr->k;
    phase_clock pc = {t, 0, tr->phase_s ? now_s() : 0.0};
    size_t L = net->n_layers, n_in = net->layers[0].n_in, n_out = net->layers[L - 1].n_out;
    float *ws = tr->gemm_ws + (size_t)t * (k->gemm_ws_floats + 16);
    size_t r0, r1, c0, c1;

    // 1. Gather the batch. Every thread copies all rows into its own copy:
    //    the first layer's products read every row, and a row the partner
    //    thread wrote has to cross between cores, which on the benchmark
    //    machine cost more than reading it again from the data set (+1% to
    //    +4% on two threads). The rows are checked for NaN/Inf on the way
    //    (the copy is memory-bound, so the check is free and an epoch never
    //    scans the whole data set). Targets are split by rows.
    float *x = tr->x + (size_t)t * tr->cap * n_in;
    for (size_t r = 0; r < n; r++) {
        // Rows come from anywhere in a large data set: fetch the row
        // GATHER_AHEAD ahead now, so that its memory latency overlaps the
        // copies in between (1.5x faster gather on the benchmark machine).
        if (tr->src_data && r + GATHER_AHEAD < n) {
            size_t next = tr->src_idx ? tr->src_idx[r + GATHER_AHEAD] : r + GATHER_AHEAD;
            const char *p = (const char *)(tr->src_data->x + next * n_in);
            for (size_t b = 0; b < n_in * sizeof(float); b += 64) __builtin_prefetch(p + b);
        }
        size_t src = tr->src_idx ? tr->src_idx[r] : r;
        const float *xs = tr->src_data ? tr->src_data->x + src * n_in : tr->src_x + r * n_in;
        if (!bp_copy_finite(x + r * n_in, xs, n_in)) {
#pragma omp critical(bp_bad_row)
            if (r < tr->bad_row) tr->bad_row = r;
            break;
        }
        if (net->in_offset) bp_scale_rows(x + r * n_in, x + r * n_in, 1, n_in, net->in_offset, net->in_scale);
    }
    // In bf16 mode each thread converts its share of the weights to the
    // panels the products read, for every layer the last step's update did
    // not convert (or the caller may have written since: bp_net_weights).
    if (t == 0) tr->step_team = team;
    if (tr->w16)
        for (size_t l = 0; l < L; l++) {
            if (tr->w16_current[l]) continue;
            const struct bp_layer *Ly = &net->layers[l];
            bp_split(Ly->n_out, 16, team, t, &r0, &r1);
            k->bf16_pack_weights(Ly->w, Ly->n_out, Ly->n_in, r0, r1, tr->w16_fwd[l], tr->w16_bwd[l]);
        }
    bp_split(n, 1, team, t, &r0, &r1);
    for (size_t r = r0; r < r1; r++) {
        if (tr->src_data)
            fill_target(tr->y + r * n_out, net, tr->src_data, tr->src_idx ? tr->src_idx[r] : r, n_out);
        else if (net->out_offset)
            bp_scale_rows(tr->src_y + r * n_out, tr->y + r * n_out, 1, n_out, net->out_offset, net->out_scale);
        else
            memcpy(tr->y + r * n_out, tr->src_y + r * n_out, n_out * sizeof(float));
    }
    barrier(tr, team, &pc);
    if (tr->bad_row != SIZE_MAX) return; // every thread sees it after the barrier

    // 2. Forward: Z_l = A_{l-1} W_lᵀ + b_l, A_l = act(Z_l), block by block.
    for (size_t l = 0; l < L; l++) {
        const struct bp_layer *Ly = &net->layers[l];
        // The forward product packs Wᵀ by transposing W, which costs more
        // than narrow tiles do: columns as soon as each thread gets two
        // vectors (batch 32, 128-unit layer: 11-13 instead of 15-17 us).
        split_2d(tr, n, Ly->n_out, 2 * k->f32_lanes, t, team, &r0, &r1, &c0, &c1);
        if (r0 < r1 && c0 < c1) {
            const float *in = layer_input(tr, l, t) + r0 * Ly->n_in;
            float *z = tr->z[l] + r0 * Ly->n_out + c0;
            if (tr->w16) // c0: a multiple of f32_lanes (16), as the panels need
                k->gemm_bf16_panels(r1 - r0, c1 - c0, Ly->n_in, in, Ly->n_in, 1,
                                    tr->w16_fwd[l] + BP_BF16_PANEL_WORDS(Ly->n_in, c0), z, Ly->n_out,
                                    Ly->b + c0, 0, ws);
            else
                tr->gemm(r1 - r0, c1 - c0, Ly->n_in, in, Ly->n_in, 1, Ly->w + c0 * Ly->n_in, 1,
                         Ly->n_in, z, Ly->n_out, Ly->b + c0, 0, ws);
            act_block(tr, l, r0, r1, c0, c1);
        }
        barrier(tr, team, &pc);
    }

    // 3. Loss and its gradient dZ_L (fused losses take logits; mse takes
    //    outputs and goes through the activation's derivative).
    const struct bp_layer *Lo = &net->layers[L - 1];
    float *dz = tr->grad_buf[0];
    bp_split(n, 1, team, t, &r0, &r1);
    if (r0 < r1) {
        float scale = 1.0f / (float)tr->batch_n;
        const float *in = tr->opt.loss == BP_LOSS_MSE ? tr->a[L - 1] : tr->z[L - 1];
        k->loss[tr->opt.loss](r1 - r0, n_out, in + r0 * n_out, tr->y + r0 * n_out,
                              dz + r0 * n_out, tr->loss_rows + r0, scale);
        if (tr->opt.loss == BP_LOSS_MSE)
            k->act_bwd[Lo->act]((r1 - r0) * n_out, tr->z[L - 1] + r0 * n_out,
                                tr->a[L - 1] + r0 * n_out, dz + r0 * n_out, dz + r0 * n_out,
                                &net->act_params);
        // Softmax/BCE outputs are judged on logits (argmax, or z > 0), the
        // others on activations.
        const float *judged = tr->opt.loss == BP_LOSS_MSE ? tr->a[L - 1] : tr->z[L - 1];
        float thr = tr->opt.loss == BP_LOSS_MSE ? 0.5f : 0.0f;
        for (size_t r = r0; r < r1; r++)
            tr->correct[r] = (uint8_t)row_correct(judged + r * n_out, tr->y + r * n_out, n_out, thr);
    }
    barrier(tr, team, &pc);
    if (t == 0 && !tr->comb) {
        double sum = 0.0;
        size_t hits = 0;
        for (size_t r = 0; r < n; r++) {
            sum += tr->loss_rows[r];
            hits += tr->correct[r];
        }
        tr->batch_loss = sum / (double)n;
        tr->batch_correct = hits;
        tr->step_failed = !isfinite(tr->batch_loss);
    }

    // 4. Backward, layer by layer: dW = dZᵀ A_{l-1}, db = Σ_rows dZ,
    //    dA_{l-1} = dZ W, then dZ_{l-1} = dA_{l-1} ⊙ act'(Z_{l-1}).
    // Each thread updates exactly the weights whose gradients it computed
    // (they are still in its cache), one layer behind: layer l+1's weights
    // are updated in layer l's phase, once every thread has finished reading
    // them for dA_l. Clipping needs all gradients first, so it updates after,
    // and so does training on several processes (the gradient is complete
    // only after the combiner's finish()).
    int fused = !(tr->opt.clip_norm > 0.0f) && !tr->comb;
    int cur = 0;
    if (tr->comb) backward_combined(tr, n, t, team, &pc, ws);
    else for (size_t l = L; l-- > 0;) {
        if (fused && l + 1 < L) update_layer(tr, l + 1, t, team, 1.0f);
        const struct bp_layer *Ly = &net->layers[l];
        dz = tr->grad_buf[cur];
        layer_weight_grad(tr, l, n, dz, 0, Ly->n_out, 0, t, team, ws);
        layer_bias_grad(tr, l, n, dz, 0, Ly->n_out, 0, t, team);
        if (l > 0) layer_data_grad(tr, l, n, dz, tr->grad_buf[cur ^ 1], t, team, ws);
        cur ^= 1;
        barrier(tr, team, &pc);
    }

    // 5. Clipping needs the global gradient norm before any update: one
    //    thread sums in a fixed order, then every thread updates its blocks.
    if (tr->grads_only) {
        // bp_trainer_compute_gradients: no clipping, no update.
    } else if (!fused) {
        float scale = 1.0f;
        if (tr->opt.clip_norm > 0.0f) {
            if (t == 0) {
                double total = 0.0;
                for (size_t i = 0; i < net->params_floats; i++)
                    total += (double)tr->grads[i] * tr->grads[i];
                double norm = sqrt(total);
                tr->clip_scale = norm > tr->opt.clip_norm ? (float)(tr->opt.clip_norm / norm) : 1.0f;
            }
            barrier(tr, team, &pc);
            scale = tr->clip_scale;
        }
        for (size_t l = 0; l < L; l++) update_layer(tr, l, t, team, scale);
    } else {
        update_layer(tr, 0, t, team, 1.0f);
    }
    phase_add(tr, &pc, 0);
}

// How many threads the next step uses: the whole team or one thread,
// whichever has been measured faster, whether the team is the default (all
// cores) or an explicit n_threads, which is an upper bound as in OpenMP's
// dynamic adjustment; OMP_DYNAMIC=false pins the team (see dynamic_off).
// The weights do not depend on the choice (see the top of this file), only
// the speed does. On a machine where other processes hold the cores, a step
// on two threads waits at each of its barriers for both threads to be
// scheduled, and can be several times slower than the same step on one
// thread; elsewhere the team is faster. So the trainer times its steps,
// runs on the faster size, and now and then tries the other size for
// PROBE_STEPS steps (the first of which is not counted: the threads are
// waking up) to see whether the machine changed.
// A size's time is the median of its last BP_TEAM_HISTORY steps (seconds
// per row), not a running mean: on an idle machine a step now and then
// takes 3-15 times as long (the host takes a core away), and a mean moved by
// one such step sent W1's team of two to one thread for the next 170 steps
// (bench/README.md, "Contention"). A probe's steps replace what was known of
// that size, since the machine may have changed. Probes come PROBE_FIRST
// steps after the start and after each change of choice, then 4 times as
// far apart each time up to PROBE_EVERY (8, 32, 128, 512): a switch caused
// by a passing burst is undone within a few steps, and a steady machine
// pays 3 steps in 512 (W1 on an idle machine: 3 x 0.7 / 512 = 0.4% of a
// step's time).
// Why not only a better barrier: with a busy process on each core, exactly
// two threads with the sleeping barrier reached 0.33x one thread's speed
// (bench/README.md, "Contention"); no barrier makes a step fast whose
// partner thread is not running.
#define PROBE_FIRST 8
#define PROBE_EVERY 512
#define PROBE_STEPS 3

void bp_team_init(bp_team_chooser *c, int team) {
    memset(c, 0, sizeof *c);
    c->team = c->last_team = team;
    c->probe_at = PROBE_FIRST;
    c->probe_every = 4 * PROBE_FIRST; // from the end of the first probe to the second
}

// The median of a size's recorded times (at least one).
static double team_row_s(const bp_team_chooser *c, int k) {
    unsigned n = c->n_timed[k] < BP_TEAM_HISTORY ? c->n_timed[k] : BP_TEAM_HISTORY;
    double v[BP_TEAM_HISTORY];
    for (unsigned i = 0; i < n; i++) { // insertion sort of at most 5
        unsigned j = i;
        for (; j > 0 && v[j - 1] > c->row_s[k][i]; j--) v[j] = v[j - 1];
        v[j] = c->row_s[k][i];
    }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int bp_team_choose(bp_team_chooser *c, uint64_t step) {
    if (c->probe_left == 0 && step >= c->probe_at) {
        c->probe_left = PROBE_STEPS;
        c->probe_alone = !c->alone;
        c->n_timed[!c->probe_alone] = 0; // only the probe's times count
    }
    int one = c->probe_left ? c->probe_alone : c->alone;
    return one ? 1 : c->team;
}

void bp_team_timed(bp_team_chooser *c, uint64_t step, int team, size_t rows, double seconds) {
    int k = team > 1;
    if (team == c->last_team) // the first step on a size is not typical
        c->row_s[k][c->n_timed[k]++ % BP_TEAM_HISTORY] = seconds / (double)(rows ? rows : 1);
    c->last_team = team;
    if (c->n_timed[0] && c->n_timed[1]) {
        int alone = team_row_s(c, 0) < team_row_s(c, 1);
        if (alone != c->alone) { // the machine changed: look again soon
            c->alone = alone;
            c->probe_every = PROBE_FIRST; // after the probe under way, if any
            if (!c->probe_left) {
                c->probe_at = step + PROBE_FIRST;
                c->probe_every = 4 * PROBE_FIRST;
            }
        }
    }
    if (c->probe_left && --c->probe_left == 0) {
        c->probe_at = step + c->probe_every;
        c->probe_every = c->probe_every * 4 < PROBE_EVERY ? c->probe_every * 4 : PROBE_EVERY;
    }
}

// Adam's parameters for the coming update (bias corrections of step + 1).
static void set_adam(bp_trainer *tr) {
    double t_step = (double)(tr->step + 1);
    bp_adam_params ap = {tr->lr, tr->opt.beta1, tr->opt.beta2, tr->opt.epsilon,
                         tr->opt.weight_decay, tr->opt.optimizer == BP_OPT_ADAMW,
                         (float)(1.0 - pow(tr->opt.beta1, t_step)),
                         (float)(1.0 - pow(tr->opt.beta2, t_step))};
    tr->adam = ap;
}

// One step over n rows, from x/y arrays or (data, idx). Returns status.
// On several processes (tr->comb) the step runs on this process's rows
// of the batch only. keep_panels: no caller code has run since the last
// step (epoch_run's loop), so the bf16 panels its update wrote are current.
static bp_status run_step(bp_trainer *tr, size_t n, int keep_panels) {
    if (!keep_panels) memset(tr->w16_current, 0, sizeof tr->w16_current);
    tr->step_failed = 0;
    tr->bad_row = SIZE_MAX;
    tr->batch_n = n;
    tr->comb_status = BP_STATUS_OK;
    size_t lo = 0, hi = n, w = tr->net->layers[0].n_in;
    size_t n_out = tr->net->layers[tr->net->n_layers - 1].n_out;
    if (tr->comb) bp_split(n, 1, tr->comb->ranks, tr->comb->rank, &lo, &hi);
    if (tr->comb && tr->comb->grad_block) tr->grads = tr->comb->grad_block(tr->comb->ctx);
    tr->row0 = lo;
    const size_t *batch_idx = tr->src_idx;
    const float *batch_x = tr->src_x, *batch_y = tr->src_y;
    if (batch_idx) tr->src_idx = batch_idx + lo;
    if (batch_x) tr->src_x = batch_x + lo * w;
    if (batch_y) tr->src_y = batch_y + lo * n_out;
    set_adam(tr);
    int strict = tr->opt.strict_ieee || tr->net->strict_ieee;
    int team_now = tr->adaptive ? bp_team_choose(&tr->chooser, tr->step) : tr->team;
    if (team_now == 1 && tr->team > 1) tr->steps_alone++;
    double t0 = now_s();
#pragma omp parallel num_threads(team_now) if (team_now > 1)
    {
        // The team OpenMP gave (fewer threads than asked inside another
        // parallel region, say): the split follows it, and the weights do
        // not depend on it.
        int t = 0, team = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        team = omp_get_num_threads();
#endif
        // Each OpenMP thread has its own floating-point control state.
        unsigned long mode = bp_fpmode_enter(strict); // explicitly: not the inherited mode
        step_body(tr, hi - lo, t, team);
        bp_fpmode_restore(mode);
    }
    if (tr->adaptive) bp_team_timed(&tr->chooser, tr->step, team_now, hi - lo, now_s() - t0);
    int updated = tr->bad_row == SIZE_MAX && !tr->step_failed && !tr->grads_only;
    for (size_t l = 0; l < tr->net->n_layers; l++)
        tr->w16_current[l] = (uint8_t)(updated && update_packs(tr, l, tr->step_team));
    tr->src_idx = batch_idx;
    tr->src_x = batch_x;
    tr->src_y = batch_y;
    if (tr->bad_row != SIZE_MAX) {
        size_t r = lo + tr->bad_row, src = batch_idx ? batch_idx[r] : r;
        const float *row = tr->src_data ? tr->src_data->x + src * w : batch_x + r * w;
        return bp_row_not_finite(row, w, src, tr->src_data ? "training data" : "input");
    }
    if (tr->comb_status != BP_STATUS_OK) return tr->comb_status;
    if (tr->step_failed)
        return bp_fail(BP_STATUS_NUMERIC_ERROR,
                       "step %llu (epoch %u): the loss is %s; weights left unchanged",
                       (unsigned long long)tr->step, tr->epoch,
                       isnan(tr->batch_loss) ? "NaN" : "infinite");
    if (!tr->grads_only) tr->step++;
    return BP_STATUS_OK;
}

bp_status bp_trainer_step(bp_trainer *tr, const float *x, const float *y, size_t n,
                          float *loss_out) {
    if (!tr || !x || !y) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_step: NULL argument");
    if (n == 0 || n > tr->opt.batch_size)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_step: %zu rows (expected 1 to %zu)",
                       n, tr->opt.batch_size);
    const bp_net *net = tr->net;
    // The inputs are checked as the step gathers them.
    bp_status st = bp_check_finite(y, n, net->layers[net->n_layers - 1].n_out, "target");
    if (st == BP_STATUS_OK) st = reserve_rows(tr, tr->opt.batch_size); // rows unknown: the whole batch
    if (st != BP_STATUS_OK) return st;
    tr->src_x = x;
    tr->src_y = y;
    tr->src_data = NULL;
    tr->src_idx = NULL;
    tr->grads_ready = 0;
    st = run_step(tr, n, 0);
    if (loss_out) *loss_out = (float)tr->batch_loss;
    return st;
}

// ------------------------------------------------- gradients without update

bp_status bp_trainer_compute_gradients(bp_trainer *tr, const float *x, const float *y, size_t n,
                                       float *loss_out) {
    if (!tr || !x || !y)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_compute_gradients: NULL argument");
    tr->grads_only = 1;
    bp_status st = bp_trainer_step(tr, x, y, n, loss_out);
    tr->grads_only = 0;
    tr->grads_ready = st == BP_STATUS_OK;
    return st;
}

float *bp_trainer_gradient(bp_trainer *tr, size_t l) {
    if (!tr || l >= tr->net->n_layers) return NULL;
    return tr->grads + (tr->net->layers[l].w - tr->net->params);
}

float *bp_trainer_bias_gradient(bp_trainer *tr, size_t l) {
    if (!tr || l >= tr->net->n_layers) return NULL;
    return tr->grads + (tr->net->layers[l].b - tr->net->params);
}

// The update of a step, on its own: the same clipping sum and the same
// per-thread blocks (update_layer), so compute + apply gives the bits of
// bp_trainer_step.
bp_status bp_trainer_apply_gradients(bp_trainer *tr) {
    if (!tr) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_apply_gradients: NULL trainer");
    if (!tr->grads_ready)
        return bp_fail(BP_STATUS_INVALID_STATE, "bp_trainer_apply_gradients: no gradients computed "
                       "since the last update (call bp_trainer_compute_gradients first)");
    const bp_net *net = tr->net;
    float scale = 1.0f;
    if (tr->opt.clip_norm > 0.0f) {
        double total = 0.0;
        for (size_t i = 0; i < net->params_floats; i++) total += (double)tr->grads[i] * tr->grads[i];
        double norm = sqrt(total);
        scale = norm > tr->opt.clip_norm ? (float)(tr->opt.clip_norm / norm) : 1.0f;
    }
    set_adam(tr);
    tr->step_failed = 0;
    int strict = tr->opt.strict_ieee || net->strict_ieee;
#pragma omp parallel num_threads(tr->team) if (tr->team > 1)
    {
        int t = 0, team = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        team = omp_get_num_threads();
#endif
        unsigned long mode = bp_fpmode_enter(strict);
        for (size_t l = 0; l < net->n_layers; l++) update_layer(tr, l, t, team, scale);
        bp_fpmode_restore(mode);
    }
    tr->grads_ready = 0;
    tr->step++;
    return BP_STATUS_OK;
}

// ------------------------------------------------------------------ epochs

// Shapes and labels of a data set; its inputs too when scan_inputs (fit
// checks everything before its first step; single epochs rely on the check
// in the gather).
static bp_status check_data(const bp_trainer *tr, const bp_data *d, const char *what,
                            int scan_inputs) {
    const bp_net *net = tr->net;
    uint32_t n_in = net->layers[0].n_in, n_out = net->layers[net->n_layers - 1].n_out;
    if (!d || !d->x || d->n == 0) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: empty data set", what);
    if (d->n_in != n_in)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %u input columns, the network takes %u",
                       what, d->n_in, n_in);
    if (d->n_classes) {
        if (!d->labels) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: labels missing", what);
        uint32_t need = n_out == 1 ? 2 : n_out;
        if (d->n_classes > need)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %u classes, the network has %u outputs",
                           what, d->n_classes, n_out);
        for (size_t i = 0; i < d->n; i++)
            if (d->labels[i] < 0 || (uint32_t)d->labels[i] >= d->n_classes)
                return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: row %zu: label %d outside [0, %u)",
                               what, i, d->labels[i], d->n_classes);
    } else {
        if (!d->targets || d->n_targets != n_out)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %u targets per row, the network has %u outputs",
                           what, d->n_targets, n_out);
        bp_status st = bp_check_finite(d->targets, d->n, d->n_targets, what);
        if (st != BP_STATUS_OK) return st;
        // Binary cross-entropy is a loss for probabilities: a target of 5
        // makes it unbounded below, and training "succeeds" at -inf.
        if (tr->opt.loss == BP_LOSS_SIGMOID_BCE && !net->out_offset)
            for (size_t i = 0; i < d->n * d->n_targets; i++)
                if (!(d->targets[i] >= 0.0f && d->targets[i] <= 1.0f))
                    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                                   "%s: row %zu, target %zu is %g; sigmoid_bce needs targets in [0, 1]", what,
                                   i / d->n_targets, i % d->n_targets, (double)d->targets[i]);
    }
    return scan_inputs ? bp_check_finite(d->x, d->n, d->n_in, what) : BP_STATUS_OK;
}

// Learning rate for an epoch under the schedule (warm-up first).
static float epoch_lr(const bp_train_options *o, uint32_t epoch) {
    double lr = o->learning_rate;
    if (o->warmup_epochs && epoch < o->warmup_epochs)
        return (float)(lr * (epoch + 1) / (o->warmup_epochs + 1));
    uint32_t e = epoch - o->warmup_epochs, span = o->epochs > o->warmup_epochs ? o->epochs - o->warmup_epochs : 1;
    switch (o->lr_schedule) {
    case BP_LR_STEP: lr *= pow(o->lr_gamma, (double)(e / o->lr_step_epochs)); break;
    case BP_LR_COSINE:
        lr = o->lr_min + 0.5 * (lr - o->lr_min) * (1.0 + cos(3.14159265358979323846 * e / span));
        break;
    default: break;
    }
    return (float)lr;
}

// One epoch with progress reports. *stop set when the callback asks.
static bp_status epoch_run(bp_trainer *tr, const bp_data *d, double t_start, double *loss_out,
                           double *acc_out, int *stop) {
    const bp_train_options *o = &tr->opt;
    if (tr->order_n != d->n) {
        bp_free(tr->order);
        tr->order = bp_alloc(d->n, sizeof(size_t));
        if (!tr->order) {
            tr->order_n = 0;
            return bp_fail(BP_STATUS_OUT_OF_MEMORY, "cannot allocate the shuffle order");
        }
        tr->order_n = d->n;
    }
    for (size_t i = 0; i < d->n; i++) tr->order[i] = i;
    if (o->shuffle)
        for (size_t i = d->n - 1; i > 0; i--) {
            size_t j = (size_t)bp_rng_below(&tr->rng, i + 1), tmp = tr->order[i];
            tr->order[i] = tr->order[j];
            tr->order[j] = tmp;
        }
    size_t B = tr->opt.batch_size, batches = (d->n + B - 1) / B, hits = 0, seen = 0;
    double loss_sum = 0.0, t0 = now_s();
    tr->src_data = d;
    int keep_panels = 0; // none before the first step or after a progress call
    for (size_t b = 0; b < batches; b++) {
        size_t r0 = b * B, n = d->n - r0 < B ? d->n - r0 : B;
        tr->src_idx = tr->order + r0;
        bp_status st = run_step(tr, n, keep_panels);
        keep_panels = 1;
        if (st != BP_STATUS_OK) {
            tr->src_data = NULL;
            return bp_fail(st, "epoch %u, batch %zu: %s", tr->epoch + 1, b, bp_last_error());
        }
        loss_sum += tr->batch_loss * (double)n;
        hits += tr->batch_correct;
        seen += n;
        if (o->progress && o->progress_every && (b + 1) % o->progress_every == 0 && b + 1 < batches) {
            double dt = now_s() - t0;
            bp_progress p = {tr->epoch, o->epochs, b + 1, batches, loss_sum / (double)seen,
                             d->n_classes ? (double)hits / (double)seen : -1.0,
                             dt > 0 ? (double)seen / dt : 0.0, 0, -1.0, -1.0, tr->lr,
                             now_s() - t_start, BP_STATUS_OK, NULL};
            keep_panels = 0;
            if (o->progress(&p, o->progress_user)) {
                *stop = 1;
                break;
            }
        }
    }
    tr->src_data = NULL;
    tr->src_idx = NULL;
    *loss_out = loss_sum / (double)(seen ? seen : 1);
    *acc_out = d->n_classes ? (double)hits / (double)(seen ? seen : 1) : -1.0;
    (void)t0;
    return BP_STATUS_OK;
}

bp_status bp_trainer_run_epoch(bp_trainer *tr, const bp_data *data, double *loss_out) {
    if (!tr) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_run_epoch: NULL trainer");
    bp_status st = check_data(tr, data, "training data", 0);
    if (st == BP_STATUS_OK) st = reserve_rows(tr, batch_rows(tr, data->n));
    if (st != BP_STATUS_OK) return st;
    tr->lr = epoch_lr(&tr->opt, tr->epoch);
    double loss, acc;
    int stop = 0;
    st = epoch_run(tr, data, now_s(), &loss, &acc, &stop);
    if (st != BP_STATUS_OK) return st;
    tr->epoch++;
    if (loss_out) *loss_out = loss;
    return stop ? BP_STATUS_STOPPED : BP_STATUS_OK;
}

bp_status bp_trainer_fit(bp_trainer *tr, const bp_data *data) {
    if (!tr) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_fit: NULL trainer");
    const bp_train_options *o = &tr->opt;
    bp_status st = check_data(tr, data, "training data", 1);
    if (st == BP_STATUS_OK && o->validation) st = check_data(tr, o->validation, "validation data", 1);
    if (st == BP_STATUS_OK) st = reserve_rows(tr, batch_rows(tr, data->n));
    if (st != BP_STATUS_OK) return st;
    if (o->patience && !o->validation)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "early stopping (patience %u) needs validation data",
                       o->patience);
    bp_net *best = NULL;
    double best_loss = INFINITY;
    uint32_t since_best = 0;
    double t_start = now_s();
    while (tr->epoch < o->epochs) {
        tr->lr = epoch_lr(o, tr->epoch);
        double loss, acc, t0 = now_s();
        int stop = 0;
        st = epoch_run(tr, data, t_start, &loss, &acc, &stop);
        if (st != BP_STATUS_OK) break;
        if (stop) {
            st = BP_STATUS_STOPPED;
            break;
        }
        tr->epoch++;
        bp_eval ev = {-1.0, -1.0, 0};
        if (o->validation) {
            st = evaluate(tr->net, o->loss, o->validation, tr->team, o->strict_ieee || tr->net->strict_ieee, &ev);
            if (st != BP_STATUS_OK) break;
        }
        // A checkpoint that cannot be written does not end the run: the
        // progress call reports it, and the caller's final save is what
        // must not be lost.
        bp_status ckpt = BP_STATUS_OK;
        // Several processes hold the same state: the first one writes it.
        if (o->checkpoint_path && o->checkpoint_every && tr->epoch % o->checkpoint_every == 0 &&
            (!tr->comb || tr->comb->rank == 0))
            ckpt = bp_trainer_save_checkpoint(tr, o->checkpoint_path);
        if (o->progress) {
            double dt = now_s() - t0;
            bp_progress p = {tr->epoch - 1, o->epochs, (data->n + o->batch_size - 1) / o->batch_size,
                             (data->n + o->batch_size - 1) / o->batch_size, loss, acc,
                             dt > 0 ? (double)data->n / dt : 0.0, 1, ev.loss, ev.accuracy, tr->lr,
                             now_s() - t_start, ckpt, ckpt != BP_STATUS_OK ? bp_last_error() : NULL};
            if (o->progress(&p, o->progress_user)) {
                st = BP_STATUS_STOPPED;
                break;
            }
        }
        if (o->patience) {
            if (ev.loss < best_loss) {
                best_loss = ev.loss;
                since_best = 0;
                if (!best) {
                    st = bp_net_clone(tr->net, &best);
                    if (st != BP_STATUS_OK) break;
                } else {
                    memcpy(best->params, tr->net->params, tr->net->params_floats * sizeof(float));
                }
            } else if (++since_best >= o->patience) {
                break;
            }
        }
    }
    if (best) {
        // Early stopping restores the weights of the best validation epoch.
        memcpy(tr->net->params, best->params, tr->net->params_floats * sizeof(float));
        bp_net_destroy(best);
    }
    return st;
}

bp_status bp_train(bp_net *net, const bp_data *data, const bp_train_options *opt) {
    bp_trainer *tr;
    bp_status st = bp_trainer_create(net, opt, &tr);
    if (st != BP_STATUS_OK) return st;
    st = bp_trainer_fit(tr, data);
    bp_trainer_destroy(tr);
    return st;
}

// ------------------------------------------------------------- checkpoints

bp_status bp_trainer_save_checkpoint(const bp_trainer *tr, const char *path) {
    if (!tr || !path) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_save_checkpoint: NULL argument");
    size_t P = tr->net->params_floats;
    size_t n_state = tr->state2 ? 2 * P : tr->state1 ? P : 0;
    float *state = NULL;
    if (n_state) {
        state = bp_alloc(n_state, sizeof(float));
        if (!state) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "checkpoint: no memory");
        memcpy(state, tr->state1, P * sizeof(float));
        if (tr->state2) memcpy(state + P, tr->state2, P * sizeof(float));
    }
    uint32_t opt_word = (uint32_t)tr->opt.optimizer | (uint32_t)tr->opt.precision << 16;
    bp_ckpt_state st = {opt_word, tr->epoch, tr->step,
                        {tr->rng.s[0], tr->rng.s[1], tr->rng.s[2], tr->rng.s[3]}, n_state, state};
    bp_status r = bp_model_write(tr->net, &st, path);
    bp_free(state);
    return r;
}

bp_status bp_trainer_resume(bp_trainer *tr, const char *path) {
    if (!tr || !path) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_trainer_resume: NULL argument");
    bp_net_options o = bp_net_options_default();
    o.isa = tr->net->k->isa;
    bp_net *loaded = NULL;
    bp_ckpt_state st;
    memset(&st, 0, sizeof st);
    bp_status r = bp_model_read(path, &o, &loaded, &st);
    if (r != BP_STATUS_OK) return r;
    size_t P = tr->net->params_floats;
    size_t want = tr->state2 ? 2 * P : tr->state1 ? P : 0;
    const bp_net *net = tr->net;
    int same = loaded->n_layers == net->n_layers && loaded->params_floats == P;
    for (size_t l = 0; same && l < net->n_layers; l++)
        same = loaded->layers[l].n_in == net->layers[l].n_in &&
               loaded->layers[l].n_out == net->layers[l].n_out &&
               loaded->layers[l].act == net->layers[l].act;
    if (!same) r = bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: the checkpoint's layers differ from the network's", path);
    else if (st.n_state != want || (st.optimizer & 0xFFFFu) != (uint32_t)tr->opt.optimizer)
        r = bp_fail(BP_STATUS_INVALID_ARGUMENT,
                    "%s: the checkpoint holds optimizer state for %s (%zu floats), this trainer uses %s",
                    path, bp_optimizer_name((bp_optimizer)(st.optimizer & 0xFFFFu)), st.n_state,
                    bp_optimizer_name(tr->opt.optimizer));
    else if (st.optimizer >> 16 != (uint32_t)tr->opt.precision)
        r = bp_fail(BP_STATUS_INVALID_ARGUMENT,
                    "%s: the checkpoint was trained with %s products, this trainer uses %s "
                    "(set the precision to match)",
                    path, bp_precision_name((bp_precision)(st.optimizer >> 16)),
                    bp_precision_name(tr->opt.precision));
    if (r == BP_STATUS_OK) {
        memcpy(tr->net->params, loaded->params, P * sizeof(float));
        if (tr->state1) memcpy(tr->state1, st.state, P * sizeof(float));
        if (tr->state2) memcpy(tr->state2, st.state + P, P * sizeof(float));
        tr->epoch = st.epoch;
        tr->step = st.step;
        for (int i = 0; i < 4; i++) tr->rng.s[i] = st.rng[i];
    }
    bp_free(st.state);
    bp_net_destroy(loaded);
    return r;
}

// -------------------------------------------------------------- evaluation

bp_status bp_net_evaluate(const bp_net *net, bp_loss loss, const bp_data *data, int n_threads,
                          bp_eval *out) {
    return evaluate(net, loss, data, n_threads, net && net->strict_ieee, out);
}

// bp_net_evaluate in the floating-point mode asked for (strict: IEEE
// denormals), which fit takes from the training options.
static bp_status evaluate(const bp_net *net, bp_loss loss, const bp_data *data, int n_threads,
                          int strict, bp_eval *out) {
    if (!net || !data || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_evaluate: NULL argument");
    if ((unsigned)loss >= BP_LOSS_COUNT) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_net_evaluate: unknown loss");
    uint32_t n_in = net->layers[0].n_in, n_out = net->layers[net->n_layers - 1].n_out;
    if (data->n_in != n_in || !data->x)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "evaluate: %u input columns, the network takes %u",
                       data->n_in, n_in);
    if (!data->n_classes && (data->n_targets != n_out || (!data->targets && data->n)))
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "evaluate: %u targets, the network has %u outputs",
                       data->n_targets, n_out);
    // Labels index the one-hot target row: each must be a class the
    // network has (an unchecked one wrote past the row, or scored 0 loss).
    if (data->n_classes) {
        uint32_t classes = n_out == 1 ? 2 : n_out;
        if (!data->labels && data->n)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "evaluate: labels missing");
        if (data->n_classes > classes)
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "evaluate: %u classes, the network has %u outputs",
                           data->n_classes, n_out);
        for (size_t i = 0; i < data->n; i++)
            if (data->labels[i] < 0 || (uint32_t)data->labels[i] >= data->n_classes)
                return bp_fail(BP_STATUS_INVALID_ARGUMENT, "evaluate: row %zu: label %d outside [0, %u)", i,
                               (int)data->labels[i], data->n_classes);
    }
    bp_status st = bp_check_finite(data->x, data->n, n_in, "evaluate");
    if (st != BP_STATUS_OK) return st;
    enum { CHUNK = BP_FORWARD_CHUNK };
    size_t n = data->n, n_chunks = (n + CHUNK - 1) / CHUNK;
    size_t rows_max = n < CHUNK ? n : CHUNK; // scratch for no more rows than there are
    int team = 1;
    (void)team; // unused when built without OpenMP (the pragma is ignored)
#ifdef _OPENMP
    team = n_threads > 0 ? n_threads : omp_get_max_threads();
    if ((size_t)team > n_chunks) team = n_chunks ? (int)n_chunks : 1;
#endif
    size_t fwd = bp_fwd_scratch_floats(net, rows_max);
    size_t per_thread = fwd + 3 * rows_max * (size_t)n_out + 2 * rows_max;
    per_thread = (per_thread + 15) & ~(size_t)15;
    double *chunk_loss = bp_alloc(n_chunks ? n_chunks : 1, sizeof(double));
    size_t *chunk_hits = bp_alloc(n_chunks ? n_chunks : 1, sizeof(size_t));
    if (!chunk_loss || !chunk_hits) {
        bp_free(chunk_loss);
        bp_free(chunk_hits);
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_net_evaluate: no memory");
    }
    int logits = loss != BP_LOSS_MSE, failed = 0;
#pragma omp parallel num_threads(team) if (team > 1) reduction(| : failed)
    {
        unsigned long mode = bp_fpmode_enter(strict); // explicitly, in every thread
        // Per-thread scratch from the network's pool, as predict takes it.
        float *base = bp_scratch_take(net, per_thread);
        failed = base == NULL;
        bp_fwd_scratch s = bp_fwd_scratch_at(net, base, rows_max);
        float *o = base + fwd;
        float *y = o + rows_max * n_out, *lr = y + rows_max * n_out;
#pragma omp for schedule(static)
        for (size_t c = 0; c < n_chunks; c++) {
            if (!base) continue;
            size_t r0 = c * CHUNK, rows = n - r0 < CHUNK ? n - r0 : CHUNK;
            bp_net_forward_rows(net, data->x + r0 * n_in, rows, o, &s, logits);
            for (size_t r = 0; r < rows; r++) fill_target(y + r * n_out, net, data, r0 + r, n_out);
            net->k->loss[loss](rows, n_out, o, y, NULL, lr, 1.0f);
            double sum = 0.0;
            size_t hits = 0;
            for (size_t r = 0; r < rows; r++) {
                sum += lr[r];
                hits += (size_t)row_correct(o + r * n_out, y + r * n_out, n_out, logits ? 0.0f : 0.5f);
            }
            chunk_loss[c] = sum;
            chunk_hits[c] = hits;
        }
        bp_scratch_give(net, base);
        bp_fpmode_restore(mode);
    }
    double total = 0.0;
    size_t hits = 0;
    for (size_t c = 0; c < n_chunks; c++) {
        total += chunk_loss[c];
        hits += chunk_hits[c];
    }
    bp_free(chunk_loss);
    bp_free(chunk_hits);
    if (failed)
        return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_net_evaluate: no memory for %zu floats of scratch",
                       per_thread);
    out->n = n;
    out->loss = n ? total / (double)n : 0.0;
    out->accuracy = data->n_classes && n ? (double)hits / (double)n : -1.0;
    return isfinite(out->loss) ? BP_STATUS_OK
                               : bp_fail(BP_STATUS_NUMERIC_ERROR, "evaluate: the loss is not finite");
}
