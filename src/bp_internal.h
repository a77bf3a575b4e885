// SPDX-License-Identifier: MIT
// Internal declarations shared by the library's translation units.
#ifndef BP_INTERNAL_H
#define BP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "backprop.h"
#include "backprop_kernels.h"

#if defined(__GNUC__)
#define BP_INTERNAL __attribute__((visibility("hidden")))
#define BP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BP_INTERNAL
#define BP_PRINTF(a, b)
#endif

// Maximum number of dense layers in one network.
#define BP_MAX_LAYERS 64
// Maximum width of one layer (keeps every size product far from overflow).
#define BP_MAX_WIDTH (1u << 24)

// Forward-scratch blocks a network keeps for reuse: as many threads as this
// can predict at once without allocating (more still work, and allocate).
#define BP_SCRATCH_SLOTS 16

struct bp_layer {
    uint32_t n_in, n_out;
    bp_act act;
    float *w; // n_out x n_in, row-major
    float *b; // n_out
};

struct bp_net {
    size_t n_layers;
    struct bp_layer layers[BP_MAX_LAYERS];
    float *params;      // all weights and biases, one 64-byte aligned block
    size_t params_floats; // length of that block (layer blocks padded to 16 floats)
    size_t n_params;    // weights and biases proper
    bp_act_params act_params;
    const bp_kernel_table *k;
    // Scaling and class names (net_meta.c): NULL / 0 when absent. Each
    // scaling is one bp_alloc block: offset[n] then scale[n].
    bp_scale in_kind, out_kind;
    float *in_offset, *in_scale;   // n_in each
    float *out_offset, *out_scale; // n_out each
    char **class_names;            // n_class_names strings, each bp_alloc'ed
    size_t n_class_names;
    int strict_ieee;               // predict/evaluate keep denormals (bp_net_options)
    // Forward scratch kept between predict/evaluate calls (net.c,
    // bp_scratch_take): a call takes a block and puts it back, so a steady
    // loop of calls allocates nothing. Mutable through a const network.
    _Atomic(float *) scratch_pool[BP_SCRATCH_SLOTS];
};

// ---- errors (error.c) -----------------------------------------------------
// Record a message for bp_last_error() and return status.
BP_INTERNAL bp_status bp_fail(bp_status status, const char *fmt, ...) BP_PRINTF(2, 3);
BP_INTERNAL void bp_clear_error(void);

// ---- memory (alloc.c) -----------------------------------------------------
// 64-byte aligned, zeroed; NULL on overflow or failure. count*size checked.
BP_INTERNAL void *bp_alloc(size_t count, size_t size);
// The same, for memory every training step streams through: large pages
// from a smaller size on (see alloc.c). Freed with bp_free.
BP_INTERNAL void *bp_alloc_hot(size_t count, size_t size);
BP_INTERNAL void bp_free(void *p);
// a*b without overflow, or 0 (and *ok = 0).
BP_INTERNAL size_t bp_mul_size(size_t a, size_t b, int *ok);
// Allocation hooks for tests: bp_alloc_count counts every bp_alloc and
// bp_alloc_hot call, bp_alloc_live the blocks not yet freed (both atomic:
// read them with a plain load).
BP_INTERNAL extern _Atomic size_t bp_alloc_count;
BP_INTERNAL extern _Atomic size_t bp_alloc_live;
// Fault injection for tests: the n-th allocation from now (1 = the next
// one) returns NULL as if memory were exhausted; 0 turns the hook off. It
// fires once and then allocations succeed again. Process-wide and atomic,
// so it counts allocations of every thread. bp_alloc_injected counts the
// failures it caused.
BP_INTERNAL void bp_alloc_fail_after(size_t n);
BP_INTERNAL extern _Atomic size_t bp_alloc_injected;

// ---- random numbers (rng.c) -----------------------------------------------
typedef struct bp_rng {
    uint64_t s[4];
} bp_rng;
BP_INTERNAL void bp_rng_seed(bp_rng *r, uint64_t seed);
BP_INTERNAL uint64_t bp_rng_next(bp_rng *r);
// Uniform in [0, 1) with 24 random bits.
BP_INTERNAL float bp_rng_uniform(bp_rng *r);
// Uniform integer in [0, n).
BP_INTERNAL uint64_t bp_rng_below(bp_rng *r, uint64_t n);
// Stateless hash for counter-based randomness (dropout masks): the
// splitmix64 finaliser of x + the golden-ratio increment. Inline: dropout
// calls it once per element.
static inline uint64_t bp_hash64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// ---- CPU and ISA (cpu.c, isa.c, kernel_table.c) ---------------------------
enum {
    BP_CPU_AVX2 = 1u << 0,  // AVX2 + FMA3 + OS saves YMM
    BP_CPU_AVX512 = 1u << 1, // AVX-512F + OS saves ZMM/opmask
    BP_CPU_NEON = 1u << 2,
    BP_CPU_AVX512BF16 = 1u << 3, // BP_CPU_AVX512 + AVX512BW + AVX512_BF16
    BP_CPU_NEONBF16 = 1u << 4,   // BP_CPU_NEON + FEAT_BF16 (HWCAP2_BF16: BFDOT, BFMMLA)
};
BP_INTERNAL unsigned bp_cpu_detect(void);
// Flush denormals to zero (FTZ+DAZ / FZ); returns the previous mode.
BP_INTERNAL unsigned long bp_fpmode_enter_ftz(void);
// The mode the library computes in, set explicitly (a worker thread's
// inherited mode is not trusted): IEEE denormals when strict, else flushed
// to zero. Returns the previous mode for bp_fpmode_restore.
BP_INTERNAL unsigned long bp_fpmode_enter(int strict_ieee);
BP_INTERNAL void bp_fpmode_restore(unsigned long mode);
BP_INTERNAL void bp_kernel_table_init_scalar(bp_kernel_table *t);
BP_INTERNAL void bp_kernel_table_init_avx2(bp_kernel_table *t);
BP_INTERNAL void bp_kernel_table_init_avx512(bp_kernel_table *t);
BP_INTERNAL void bp_kernel_table_init_neon(bp_kernel_table *t);
// Table for a resolved ISA (never AUTO); status + message when unavailable.
BP_INTERNAL bp_status bp_table_for(bp_isa requested, const bp_kernel_table **out);

// ---- network internals (net.c) --------------------------------------------
BP_INTERNAL bp_status bp_net_alloc(size_t n_layers, const uint32_t *sizes, const bp_act *acts,
                                   const bp_net_options *opt, bp_net **out);
// ---- scaling and class names (net_meta.c) ---------------------------------
// dst = (src - offset) / scale per column over n rows of width (dst may be src).
BP_INTERNAL void bp_scale_rows(const float *src, float *dst, size_t n, size_t width,
                               const float *offset, const float *scale);
// y = y * scale + offset per column (the inverse).
BP_INTERNAL void bp_unscale_rows(float *y, size_t n, size_t width, const float *offset,
                                 const float *scale);
// Copy src's scaling and class names onto dst (same shape); frees dst's old ones.
BP_INTERNAL bp_status bp_net_copy_meta(bp_net *dst, const bp_net *src);
BP_INTERNAL void bp_net_free_meta(bp_net *net);
// Longest class name accepted (bytes).
#define BP_MAX_CLASS_NAME 255

// Largest layer width (input included).
BP_INTERNAL uint32_t bp_net_max_width(const bp_net *net);
// Check x (n rows of width) for NaN/Inf; message names row and column.
BP_INTERNAL bp_status bp_check_finite(const float *x, size_t n, size_t width, const char *what);
// Copy n floats (dst may be NULL: only check); 1 when all are finite.
BP_INTERNAL int bp_copy_finite(float *dst, const float *src, size_t n);
// The error for row i (of width floats) that failed bp_copy_finite.
BP_INTERNAL bp_status bp_row_not_finite(const float *row, size_t width, size_t i, const char *what);

// Per-thread scratch for a forward pass over up to `rows` rows.
typedef struct bp_fwd_scratch {
    float *buf[2]; // ping-pong activations, rows x max_width
    float *gemm_ws;
} bp_fwd_scratch;
// A forward-scratch block of at least `floats` floats (64-byte aligned)
// from the network's pool, or a new one; NULL when out of memory. Give it
// back with bp_scratch_give, from any thread.
BP_INTERNAL float *bp_scratch_take(const bp_net *net, size_t floats);
BP_INTERNAL void bp_scratch_give(const bp_net *net, float *block);
// Floats of forward scratch for `rows` rows on one thread (bp_fwd_scratch).
BP_INTERNAL size_t bp_fwd_scratch_floats(const bp_net *net, size_t rows);
// Lay a bp_fwd_scratch for `rows` rows out on `base`.
BP_INTERNAL bp_fwd_scratch bp_fwd_scratch_at(const bp_net *net, float *base, size_t rows);
// Rows per forward chunk of predict and evaluate: fixed, so results never
// depend on the thread count; scratch is sized by min(n, this).
#define BP_FORWARD_CHUNK 256
// Forward rows [0, n) of x through the net into y using scratch sized for n.
// Applies the input scaling; outputs stay in the scaled target space (the
// caller undoes an output scaling).
// logits != 0 leaves the output layer's activation unapplied (for the fused
// losses, which take logits).
BP_INTERNAL void bp_net_forward_rows(const bp_net *net, const float *x, size_t n, float *y,
                                     const bp_fwd_scratch *s, int logits);
// Split [0, n) into `parts` contiguous pieces whose boundaries are multiples
// of align (except the end); piece t is [*lo, *hi).
BP_INTERNAL void bp_split(size_t n, size_t align, int parts, int t, size_t *lo, size_t *hi);
// Index of the largest of n values (first on ties).
BP_INTERNAL size_t bp_argmax(const float *x, size_t n);

// ---- data (data.c) ---------------------------------------------------------
// Allocate an owned, zeroed data set of n rows with labels (n_classes > 0)
// or targets (n_targets > 0).
BP_INTERNAL bp_status bp_dataset_alloc(bp_dataset *ds, size_t n, uint32_t n_in,
                                       uint32_t n_classes, uint32_t n_targets);

// The CSV reader's input limits (csv.c: 2^26 lines, 4 GiB), lowered by the
// tests to reach them quickly; 0 restores a default. Not thread-safe.
BP_INTERNAL void bp_csv_set_limits(size_t max_lines, uint64_t max_bytes);

// ---- the adaptive team (trainer.c) ------------------------------------------
// Chooses, step by step, whether a team of threads runs the step on all of
// them or on one, from the steps' measured times (why and how: trainer.c).
#define BP_TEAM_HISTORY 5
typedef struct bp_team_chooser {
    int team;             // the team's size (more than one)
    // The last steps' seconds per row, one thread [0] and the team [1] (rings).
    double row_s[2][BP_TEAM_HISTORY];
    unsigned n_timed[2];  // times recorded per size since its ring was last emptied
    int last_team;        // the previous step's team size
    int alone;            // the size measured faster: one thread (1) or the team (0)
    int probe_alone;      // the size the current probe runs
    unsigned probe_left;  // steps left in the current probe
    unsigned probe_every; // steps from the end of a probe to the next
    uint64_t probe_at;    // the step at which the next probe starts
} bp_team_chooser;
BP_INTERNAL void bp_team_init(bp_team_chooser *c, int team);
// The number of threads to run step `step` on: c->team or 1.
BP_INTERNAL int bp_team_choose(bp_team_chooser *c, uint64_t step);
// Step `step` ran `rows` rows on `team` threads in `seconds`.
BP_INTERNAL void bp_team_timed(bp_team_chooser *c, uint64_t step, int team, size_t rows, double seconds);

// ---- trainer internals (trainer.c), for tests ------------------------------
// The gradient block of the last step (same layout as net->params).
BP_INTERNAL const float *bp_trainer_gradients(const bp_trainer *tr);
// Steps that a team of more than one thread ran on one thread (the trainer
// adapts its team size per step unless OMP_DYNAMIC=false; bp_team_choose).
BP_INTERNAL uint64_t bp_trainer_steps_alone(const bp_trainer *tr);
// Phase timing, for the benchmark: from this call on (it allocates, and
// zeroes the sums), every step adds each thread's seconds per phase (work
// up to the barrier, then the wait in it). Phases: 0 gather, 1..L forward
// layer by layer, L+1 loss, L+2..2L+1 backward from the last layer, 2L+2
// the last update (with clipping: the norm), 2L+3 the updates after
// clipping.
BP_INTERNAL bp_status bp_trainer_time_phases(bp_trainer *tr);
// Thread t's sums into work[] and wait[] (2L+4 each); returns 2L+4.
BP_INTERNAL size_t bp_trainer_phase_times(const bp_trainer *tr, int t, double *work, double *wait);

// ---- saving files (save.c) ------------------------------------------------
// Replace path with len bytes of data, atomically: a temporary file of this
// call's own in path's directory (mode: the replaced file's, or 0666 less the
// umask), written, fsync'ed, renamed over path; then the directory is
// fsync'ed and temporaries of path left by dead processes are removed.
// Refuses (IO_ERROR) to replace anything but a regular file: a directory,
// symbolic link, FIFO, socket or device. On failure the temporary file is
// removed and path is unchanged. Thread-safe: concurrent saves of one path
// both succeed, the last rename wins.
BP_INTERNAL bp_status bp_save_file(const char *path, const void *data, size_t len);
// Unlink the temporary files of the saves in flight in this process.
// Async-signal-safe (no locks, no allocation; errno is kept): for a signal
// handler that then ends the process. The saves in flight fail, their
// targets unchanged. The library installs no handler itself.
BP_INTERNAL void bp_save_discard_temps(void);

// ---- data-parallel training (trainer.c; implemented by src/mpi/) ----------
// A trainer with a combiner is one of `ranks` processes training one network:
// every process holds the same weights and data order; process `rank` takes
// rows [lo, hi) = bp_split(batch, 1, ranks, rank) of each global batch. The
// gradient block is cut into chunks (bp_grad_chunk, last layer first). In the
// chained mode (recv_partial != NULL) rank r continues each chunk's sums from
// the partial sums rank r-1 sends, so every gradient element is the one FMA
// chain over the batch rows in order that a single process computes, and
// the last rank holds the single-process gradient; finish() gives it to
// every rank. Without recv_partial each rank sums its own rows from zero and
// finish() adds the ranks' sums (MPI_Allreduce: faster, not bit-identical).
// The trainer calls these on OpenMP thread 0 only, chunks in table order.
typedef struct bp_grad_chunk {
    size_t layer;  // layer index
    size_t m0, m1; // weight rows [m0, m1) of the layer, or its bias entries
    int bias;      // 1: the chunk is the layer's bias entries [m0, m1)
    size_t off, len; // floats [off, off + len) of the gradient block
} bp_grad_chunk;

typedef struct bp_combiner {
    void *ctx;
    int rank, ranks;
    // Chained mode: receive chunk i's partial sums from rank-1 into dst.
    bp_status (*recv_partial)(void *ctx, size_t i, float *dst, size_t len);
    // Chained mode: pass chunk i on (the last rank: the finished chunk).
    // src must stay untouched until finish() returns.
    bp_status (*send_partial)(void *ctx, size_t i, const float *src, size_t len);
    // Chained mode: the loss sum and hit count of the rows before this
    // rank's (acc[0], acc[1]); then pass on the sums including its rows.
    bp_status (*recv_loss)(void *ctx, double acc[2]);
    bp_status (*send_loss)(void *ctx, const double acc[2]);
    // After the backward pass: grads (the whole block) and acc become the
    // batch's, the same on every rank.
    bp_status (*finish)(void *ctx, float *grads, size_t floats, double acc[2]);
    // Optional (may be NULL): the gradient block the coming step computes
    // into, instead of the trainer's own: memory the processes share, so
    // that the chained sums need no copies. It stays valid and unchanged
    // until the step after the coming one has started on every process.
    float *(*grad_block)(void *ctx);
    // Frees ctx (and the combiner, which may live in it); may be NULL.
    void (*destroy)(void *ctx);
} bp_combiner;
// Make tr one of c->ranks processes (NULL: train alone). The trainer owns c
// from then on: it calls c->destroy when destroyed or given another one.
// Builds the chunk table (chunk_floats: target floats per weight chunk).
BP_INTERNAL bp_status bp_trainer_set_combiner(bp_trainer *tr, const bp_combiner *c,
                                              size_t chunk_floats);
// The chunk table set by bp_trainer_set_combiner.
BP_INTERNAL const bp_grad_chunk *bp_trainer_chunks(const bp_trainer *tr, size_t *n_chunks);
BP_INTERNAL bp_net *bp_trainer_net(const bp_trainer *tr);
// The trainer's options and team size (threads per step).
BP_INTERNAL const bp_train_options *bp_trainer_options(const bp_trainer *tr);
BP_INTERNAL int bp_trainer_team(const bp_trainer *tr);
// The combiner set on tr, or NULL.
BP_INTERNAL const bp_combiner *bp_trainer_combiner(const bp_trainer *tr);

// ---- model files (model_file.c) --------------------------------------------
// Optional trainer state stored after the parameters.
typedef struct bp_ckpt_state {
    uint32_t optimizer;  // bp_optimizer in bits 0-15, bp_precision in bits 16-23
                         // (0 in files from before bf16: fp32)
    uint32_t epoch;
    uint64_t step;
    uint64_t rng[4];
    size_t n_state;      // floats of optimizer state (0 if none)
    float *state;        // optimizer state (velocity / m, v)
} bp_ckpt_state;
BP_INTERNAL bp_status bp_model_write(const bp_net *net, const bp_ckpt_state *st, const char *path);
// Reads a model; if st != NULL and the file holds trainer state, fills it
// (st->state allocated with bp_alloc; caller frees).
BP_INTERNAL bp_status bp_model_read(const char *path, const bp_net_options *opt, bp_net **out,
                                    bp_ckpt_state *st);

#endif
