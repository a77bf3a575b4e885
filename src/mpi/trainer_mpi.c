// SPDX-License-Identifier: MIT
// Data-parallel training on MPI: the bp_combiner (bp_internal.h) that the
// trainer calls from its step, over a duplicate of the caller's
// communicator. Compiled only with -DBP_WITH_MPI=ON.
//
// Chained mode (deterministic). Gradient chunk i (the trainer's chunk
// table: the last layer's weight rows in blocks, its bias, then the layer
// before...) travels rank 0 -> 1 -> ... -> R-1 on `part`: each rank
// receives the partial sums, continues them with its rows and sends them
// on, so the last rank holds the single-process value. The last rank then
// sends each finished chunk round the ring on `fin`: R-1 -> 0 -> 1 -> ...
// -> R-2, every rank forwarding to the next. Sends are non-blocking: a rank
// passes a chunk on and goes on computing; the chunk's buffer (its slice of
// the gradient block) is not written again before the send completes
// (finish() waits for every send of the step). Each rank sends and
// receives about 2P floats per step for P parameters, whatever the number
// of ranks. The batch's loss sum and hit count travel the same way (tag
// n_chunks), summed in row order like one process does.
//
// Chained mode on one machine (every rank on the same node, the usual case
// under `mpirun -np N` on one host): the same chain without messages. The
// gradient block itself lives in memory the ranks share (an MPI-3
// shared-memory window): rank r waits until chunk i's flag says rank r-1
// is done with it, continues the sums in place, and raises the flag; the
// last rank's sums are then the finished gradient every rank reads, so no
// rank copies anything (the messages above copy 2P floats per step on some
// rank's critical path). Two blocks alternate by step: rank 0 writes step
// s+1's block while the others may still read step s's for their update,
// and it can reach step s+2 only after every rank has finished step s+1's
// chunks, so after their update of step s. BP_MPI_SHM=0 in the environment
// keeps the messages (to test them on one machine).
//
// Allreduce mode: each rank sums its own rows from zero; finish() adds the
// ranks' gradients and loss sums with MPI_Allreduce.
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "backprop_mpi.h"
#include "bp_internal.h"

typedef struct {
    bp_combiner c;       // handed to the trainer; c.ctx points back here
    bp_mpi_reduction reduction;
    MPI_Comm part;       // partial sums, rank r -> r+1 (chained mode)
    MPI_Comm fin;        // finished chunks round the ring (chained mode)
    MPI_Comm all;        // allreduce mode
    int rank, ranks;
    size_t n_chunks;     // the trainer's chunk table
    const bp_grad_chunk *chunks;
    MPI_Request *reqs;   // this step's outstanding sends (at most 2 per chunk + 2)
    int n_reqs;
    double loss_buf[2];  // the loss sums being sent (must outlive the send)
    double loss_fwd[2];  // the finished loss sums being forwarded
    double seconds;      // time inside MPI calls
    // Shared-memory chain (NULL shm: messages).
    MPI_Win win;         // the shared-memory window (MPI_WIN_NULL: none)
    unsigned char *shm;  // its memory: flags, loss sums, two gradient blocks
    uint64_t *flags;     // chunk i's flag at flags[FLAG_STRIDE * i], the loss sums' at n_chunks
    double *loss_slot;   // [2 * (step & 1) + k]: the loss sums on their way
    float *block[2];     // the gradient blocks, by step parity
    uint64_t seq;        // steps combined so far
} mpi_ctx;

// One flag per cache line: a rank polling one flag does not slow the
// writes of the next.
#define FLAG_STRIDE 8

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bp_status mpi_status(int rc, const char *what) {
    if (rc == MPI_SUCCESS) return BP_STATUS_OK;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return bp_fail(BP_STATUS_IO_ERROR, "MPI %s failed: %s", what, msg);
}

// Waits for a request: polls (MPI moves the data inside MPI_Test) for
// WAIT_SPIN_S, then yields the core between polls. Open MPI's blocking calls
// spin without end: on a machine whose cores are shared, a rank waiting for
// another then takes the time slices the other needs to send.
#define WAIT_SPIN_S 50e-6
static void wait_pause(unsigned polls, double *t0) {
    if (polls == 16) *t0 = now_s();
    else if (polls > 16 && now_s() - *t0 > WAIT_SPIN_S) sched_yield();
}

static int wait_req(MPI_Request *req) {
    double t0 = 0.0;
    for (unsigned polls = 0;; polls++) {
        int done = 0, rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done) return rc;
        wait_pause(polls, &t0);
    }
}

static int recv_wait(void *buf, int count, MPI_Datatype type, int src, int tag, MPI_Comm comm) {
    MPI_Request req;
    int rc = MPI_Irecv(buf, count, type, src, tag, comm, &req);
    return rc == MPI_SUCCESS ? wait_req(&req) : rc;
}

// Rank that sends this rank the finished chunks, and the one it forwards
// them to (-1: none): the ring R-1 -> 0 -> 1 -> ... -> R-2.
static int ring_prev(const mpi_ctx *m) { return m->rank == 0 ? m->ranks - 1 : m->rank - 1; }
static int ring_next(const mpi_ctx *m) { return m->rank + 1 < m->ranks - 1 ? m->rank + 1 : -1; }

static bp_status recv_partial(void *ctx, size_t i, float *dst, size_t len) {
    mpi_ctx *m = ctx;
    double t0 = now_s();
    int rc = recv_wait(dst, (int)len, MPI_FLOAT, m->rank - 1, (int)i, m->part);
    m->seconds += now_s() - t0;
    return mpi_status(rc, "receive of partial gradient sums");
}

static bp_status send_partial(void *ctx, size_t i, const float *src, size_t len) {
    mpi_ctx *m = ctx;
    if (m->ranks == 1) return BP_STATUS_OK;
    double t0 = now_s();
    int last = m->rank == m->ranks - 1;
    int rc = MPI_Isend(src, (int)len, MPI_FLOAT, last ? 0 : m->rank + 1, (int)i,
                       last ? m->fin : m->part, &m->reqs[m->n_reqs++]);
    m->seconds += now_s() - t0;
    return mpi_status(rc, "send of gradient sums");
}

static bp_status recv_loss(void *ctx, double acc[2]) {
    mpi_ctx *m = ctx;
    double t0 = now_s();
    int rc = recv_wait(acc, 2, MPI_DOUBLE, m->rank - 1, (int)m->n_chunks, m->part);
    m->seconds += now_s() - t0;
    return mpi_status(rc, "receive of loss sums");
}

static bp_status send_loss(void *ctx, const double acc[2]) {
    mpi_ctx *m = ctx;
    if (m->ranks == 1) return BP_STATUS_OK;
    double t0 = now_s();
    int last = m->rank == m->ranks - 1;
    memcpy(m->loss_buf, acc, sizeof m->loss_buf);
    int rc = MPI_Isend(m->loss_buf, 2, MPI_DOUBLE, last ? 0 : m->rank + 1, (int)m->n_chunks,
                       last ? m->fin : m->part, &m->reqs[m->n_reqs++]);
    m->seconds += now_s() - t0;
    return mpi_status(rc, "send of loss sums");
}

// ---- the chain through shared memory (see the top of the file) ----
// Flag values: rank r has finished its part of chunk i in step s when the
// flag is at least s * R + r + 1 (flags only grow).
static void flag_wait(const mpi_ctx *m, size_t i, uint64_t want) {
    const uint64_t *f = m->flags + FLAG_STRIDE * i;
    double t0 = 0.0;
    for (unsigned polls = 0; __atomic_load_n(f, __ATOMIC_ACQUIRE) < want; polls++)
        wait_pause(polls, &t0);
}

static void flag_raise(mpi_ctx *m, size_t i) {
    __atomic_store_n(m->flags + FLAG_STRIDE * i, m->seq * (uint64_t)m->ranks + (uint64_t)m->rank + 1,
                     __ATOMIC_RELEASE);
}

static float *shm_block(void *ctx) {
    mpi_ctx *m = ctx;
    return m->block[m->seq & 1];
}

// The partial sums are already in place (dst lies in the shared block).
static bp_status shm_recv_partial(void *ctx, size_t i, float *dst, size_t len) {
    mpi_ctx *m = ctx;
    (void)dst;
    (void)len;
    double t0 = now_s();
    flag_wait(m, i, m->seq * (uint64_t)m->ranks + (uint64_t)m->rank);
    m->seconds += now_s() - t0;
    return BP_STATUS_OK;
}

static bp_status shm_send_partial(void *ctx, size_t i, const float *src, size_t len) {
    (void)src;
    (void)len;
    flag_raise(ctx, i);
    return BP_STATUS_OK;
}

static bp_status shm_recv_loss(void *ctx, double acc[2]) {
    mpi_ctx *m = ctx;
    double t0 = now_s();
    flag_wait(m, m->n_chunks, m->seq * (uint64_t)m->ranks + (uint64_t)m->rank);
    m->seconds += now_s() - t0;
    memcpy(acc, m->loss_slot + 2 * (m->seq & 1), 2 * sizeof(double));
    return BP_STATUS_OK;
}

static bp_status shm_send_loss(void *ctx, const double acc[2]) {
    mpi_ctx *m = ctx;
    memcpy(m->loss_slot + 2 * (m->seq & 1), acc, 2 * sizeof(double));
    flag_raise(m, m->n_chunks);
    return BP_STATUS_OK;
}

// Every chunk finished by the last rank: the block is the batch's gradient.
static bp_status shm_finish(mpi_ctx *m, float *grads, double acc[2]) {
    if (grads != m->block[m->seq & 1])
        return bp_fail(BP_STATUS_INVALID_STATE, "MPI: the step computed outside the shared gradient block");
    uint64_t done = (m->seq + 1) * (uint64_t)m->ranks;
    for (size_t i = 0; i <= m->n_chunks; i++) flag_wait(m, i, done);
    memcpy(acc, m->loss_slot + 2 * (m->seq & 1), 2 * sizeof(double));
    m->seq++;
    return BP_STATUS_OK;
}

// Sets up the shared memory when every rank of comm runs on this machine
// and BP_MPI_SHM is not 0; collective. Returns 1 when the ranks use it, 0
// when they keep the messages (the same answer on every rank).
//
// The memory is an MPI-3 shared-memory window (MPI_Win_allocate_shared on
// the node's communicator): MPI makes, maps and removes it, so nothing is
// left behind if the job dies and no transport of our own is involved. The
// ranks then use it by plain loads and stores (MPI's unified memory model,
// inside one passive-target epoch), ordered by the release/acquire flags.
static int shm_setup(mpi_ctx *m, MPI_Comm comm, size_t params_floats) {
    const char *env = getenv("BP_MPI_SHM");
    int ok = !(env && strcmp(env, "0") == 0), node_size = 0, all = 0;
    MPI_Comm node = MPI_COMM_NULL;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS ||
        MPI_Comm_size(node, &node_size) != MPI_SUCCESS || node_size != m->ranks)
        ok = 0;
    if (MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS || !all) {
        if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
        return 0;
    }

    size_t head = ((FLAG_STRIDE * (m->n_chunks + 1) * sizeof(uint64_t) + 64 + 4095) / 4096) * 4096;
    size_t block = ((params_floats * sizeof(float) + 4095) / 4096) * 4096;
    size_t bytes = head + 2 * block;
    // Rank 0 (of comm and of node: split_type keeps the order) holds the
    // whole segment; the others attach with none of their own. A window
    // MPI cannot make (a shared-memory file system too small for it)
    // returns an error instead of ending the job, and the ranks keep the
    // messages.
    MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN);
    void *mine = NULL;
    ok = bytes <= (size_t)PTRDIFF_MAX &&
         MPI_Win_allocate_shared(m->rank == 0 ? (MPI_Aint)bytes : 0, 1, MPI_INFO_NULL, node, &mine, &m->win) ==
             MPI_SUCCESS;
    MPI_Comm_free(&node); // the window keeps its own
    if (MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS || !all) {
        if (ok) MPI_Win_free(&m->win);
        m->win = MPI_WIN_NULL;
        return 0;
    }
    MPI_Aint size = 0;
    int disp = 0;
    void *base = NULL;
    MPI_Win_shared_query(m->win, 0, &size, &disp, &base);
    MPI_Win_lock_all(MPI_MODE_NOCHECK, m->win);
    m->shm = base;
    // The window's memory is not promised to be zero: rank 0 clears the
    // flags (every flag at 0: step 0 not started) before anyone reads them.
    if (m->rank == 0) memset(m->shm, 0, head);
    MPI_Win_sync(m->win);
    MPI_Barrier(comm);
    MPI_Win_sync(m->win);
    m->flags = (uint64_t *)(void *)m->shm;
    m->loss_slot = (double *)(void *)(m->shm + FLAG_STRIDE * (m->n_chunks + 1) * sizeof(uint64_t));
    m->block[0] = (float *)(void *)(m->shm + head);
    m->block[1] = (float *)(void *)(m->shm + head + block);
    return 1;
}

// Chained mode: every rank but the last receives the finished loss sums and
// chunks in the order the last rank sent them, forwarding each; then every
// send of the step completes.
static bp_status finish_chain(mpi_ctx *m, float *grads, double acc[2]) {
    int rc = MPI_SUCCESS, prev = ring_prev(m), next = ring_next(m);
    if (m->rank != m->ranks - 1 && m->ranks > 1) {
        rc = recv_wait(acc, 2, MPI_DOUBLE, prev, (int)m->n_chunks, m->fin);
        if (rc == MPI_SUCCESS && next >= 0) {
            memcpy(m->loss_fwd, acc, sizeof m->loss_fwd);
            rc = MPI_Isend(m->loss_fwd, 2, MPI_DOUBLE, next, (int)m->n_chunks, m->fin,
                           &m->reqs[m->n_reqs++]);
        }
        // This rank's partial send of chunk i (request i + 1: the loss went
        // first) reads the memory the finished chunk lands in.
        for (size_t i = 0; rc == MPI_SUCCESS && i < m->n_chunks; i++) {
            const bp_grad_chunk *ch = &m->chunks[i];
            rc = wait_req(&m->reqs[i + 1]);
            if (rc == MPI_SUCCESS)
                rc = recv_wait(grads + ch->off, (int)ch->len, MPI_FLOAT, prev, (int)i, m->fin);
            if (rc == MPI_SUCCESS && next >= 0)
                rc = MPI_Isend(grads + ch->off, (int)ch->len, MPI_FLOAT, next, (int)i, m->fin,
                               &m->reqs[m->n_reqs++]);
        }
    }
    for (int i = 0; rc == MPI_SUCCESS && i < m->n_reqs; i++) rc = wait_req(&m->reqs[i]);
    m->n_reqs = 0;
    return mpi_status(rc, "exchange of the finished gradient");
}

static bp_status finish(void *ctx, float *grads, size_t floats, double acc[2]) {
    mpi_ctx *m = ctx;
    double t0 = now_s();
    bp_status st;
    if (m->shm) {
        st = shm_finish(m, grads, acc);
    } else if (m->reduction == BP_MPI_CHAIN) {
        st = finish_chain(m, grads, acc);
    } else {
        int rc = MPI_Allreduce(MPI_IN_PLACE, grads, (int)floats, MPI_FLOAT, MPI_SUM, m->all);
        if (rc == MPI_SUCCESS) rc = MPI_Allreduce(MPI_IN_PLACE, acc, 2, MPI_DOUBLE, MPI_SUM, m->all);
        st = mpi_status(rc, "allreduce of the gradient");
    }
    m->seconds += now_s() - t0;
    return st;
}

static void destroy(void *ctx) {
    mpi_ctx *m = ctx;
    if (!m) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) {
        if (m->part != MPI_COMM_NULL) MPI_Comm_free(&m->part);
        if (m->fin != MPI_COMM_NULL) MPI_Comm_free(&m->fin);
        if (m->all != MPI_COMM_NULL) MPI_Comm_free(&m->all);
    }
    if (!finalized && m->win != MPI_WIN_NULL) {
        MPI_Win_unlock_all(m->win);
        MPI_Win_free(&m->win); // collective, like the MPI_Comm_free above
    }
    bp_free(m->reqs);
    bp_free(m);
}

// Fingerprints of what must agree across the processes: [0] shapes and
// options, [1] the initial weights, [2] the kernel set.
static void fingerprints(const bp_trainer *tr, uint64_t fp[3]) {
    const bp_net *net = bp_trainer_net(tr);
    const bp_train_options *o = bp_trainer_options(tr);
    uint64_t h = bp_hash64(net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++)
        h = bp_hash64(h ^ ((uint64_t)net->layers[l].n_in << 32 | net->layers[l].n_out)) ^
            (uint64_t)net->layers[l].act;
    float fl[] = {o->learning_rate, o->momentum, o->beta1, o->beta2, o->epsilon, o->weight_decay,
                  o->lr_gamma, o->lr_min, o->clip_norm, o->dropout, net->act_params.alpha};
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        uint32_t u;
        memcpy(&u, &fl[i], sizeof u);
        h = bp_hash64(h ^ u);
    }
    uint64_t in[] = {(uint64_t)o->loss, (uint64_t)o->optimizer, o->batch_size, o->epochs, o->seed,
                     (uint64_t)o->shuffle, (uint64_t)o->strict_ieee, (uint64_t)o->lr_schedule,
                     o->lr_step_epochs, o->warmup_epochs, o->patience, (uint64_t)o->precision};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) h = bp_hash64(h ^ in[i]);
    fp[0] = h;
    const uint32_t *w = (const uint32_t *)(const void *)net->params;
    uint64_t hw = 0;
    for (size_t i = 0; i < net->params_floats; i++) hw = bp_hash64(hw ^ w[i]);
    fp[1] = hw;
    fp[2] = (uint64_t)net->k->isa;
}

bp_status bp_trainer_set_mpi(bp_trainer *tr, MPI_Comm comm, bp_mpi_reduction reduction) {
    const char *fn = "bp_trainer_set_mpi";
    if (!tr) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: NULL trainer", fn);
    if ((unsigned)reduction >= BP_MPI_REDUCTION_COUNT)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: unknown reduction %d", fn, (int)reduction);
    int initialized = 0, level = MPI_THREAD_SINGLE;
    MPI_Initialized(&initialized);
    if (!initialized) return bp_fail(BP_STATUS_INVALID_STATE, "%s: MPI is not initialised", fn);
    MPI_Query_thread(&level);
    if (bp_trainer_team(tr) > 1 && level < MPI_THREAD_FUNNELED)
        return bp_fail(BP_STATUS_INVALID_STATE,
                       "%s: a trainer with %d threads needs MPI initialised with "
                       "MPI_THREAD_FUNNELED or more (MPI_Init_thread)",
                       fn, bp_trainer_team(tr));
    const bp_net *net = bp_trainer_net(tr);
    if (net->params_floats > INT_MAX)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %zu parameters, MPI counts stop at %d", fn,
                       net->params_floats, INT_MAX);
    // The processes must agree, or the run would differ from one process's
    // (or deadlock on different chunk tables): checked collectively, so
    // every process returns the same answer.
    uint64_t fp[3], lo[3], hi[3];
    fingerprints(tr, fp);
    int rc = MPI_Allreduce(fp, lo, 3, MPI_UINT64_T, MPI_MIN, comm);
    if (rc == MPI_SUCCESS) rc = MPI_Allreduce(fp, hi, 3, MPI_UINT64_T, MPI_MAX, comm);
    int red[2] = {(int)reduction, -(int)reduction}, red_max[2];
    if (rc == MPI_SUCCESS) rc = MPI_Allreduce(red, red_max, 2, MPI_INT, MPI_MAX, comm);
    if (rc != MPI_SUCCESS) return mpi_status(rc, "agreement check");
    if (lo[0] != hi[0])
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: the processes have different networks or training options", fn);
    if (lo[2] != hi[2])
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: the processes use different kernel sets (set BP_ISA to one every "
                       "machine has): the results would depend on the machine", fn);
    if (lo[1] != hi[1])
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: the processes start from different weights (use the same --seed or "
                       "model file)", fn);
    if (red_max[0] != -red_max[1])
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: the processes ask for different reductions", fn);

    mpi_ctx *m = bp_alloc(1, sizeof *m);
    if (!m) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", fn);
    m->part = m->fin = m->all = MPI_COMM_NULL;
    m->win = MPI_WIN_NULL;
    m->reduction = reduction;
    MPI_Comm_rank(comm, &m->rank);
    MPI_Comm_size(comm, &m->ranks);
    m->c = (bp_combiner){m, m->rank, m->ranks, NULL, NULL, NULL, NULL, finish, NULL, destroy};
    if (reduction == BP_MPI_CHAIN) {
        m->c.recv_partial = recv_partial;
        m->c.send_partial = send_partial;
        m->c.recv_loss = recv_loss;
        m->c.send_loss = send_loss;
        rc = MPI_Comm_dup(comm, &m->part);
        if (rc == MPI_SUCCESS) rc = MPI_Comm_dup(comm, &m->fin);
    } else {
        rc = MPI_Comm_dup(comm, &m->all);
    }
    if (rc != MPI_SUCCESS) {
        destroy(m);
        return mpi_status(rc, "communicator duplication");
    }
    // Chunk size: rank r starts a chunk only once rank r-1 has finished it,
    // so the last rank runs R-1 chunks' compute behind the first (the
    // pipeline's latency, README "Scaling to many machines"), while each
    // chunk is a message of fixed cost (microseconds). 2^20 / R floats,
    // within 4 Ki..64 Ki: 64 Ki floats (256 KiB) up to 16 ranks, 4 Ki from
    // 256 ranks on. The values do not depend on it (each element is still
    // one chain over the rows in order).
    size_t chunk = ((size_t)1 << 20) / (size_t)m->ranks;
    chunk = chunk > ((size_t)1 << 16) ? (size_t)1 << 16 : chunk < 4096 ? 4096 : chunk;
    bp_status st = bp_trainer_set_combiner(tr, &m->c, chunk);
    int attached = st == BP_STATUS_OK; // the trainer owns m from here on
    if (attached) {
        m->chunks = bp_trainer_chunks(tr, &m->n_chunks);
        if (m->n_chunks + 1 > (size_t)INT_MAX / 2) {
            st = bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: too many gradient chunks", fn);
        } else {
            m->reqs = bp_alloc(2 * m->n_chunks + 4, sizeof(MPI_Request));
            if (!m->reqs) st = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", fn);
        }
    }
    // The shared-memory set-up below is collective: every process goes on
    // only if every process got here.
    int good = st == BP_STATUS_OK, all_good = 0;
    rc = MPI_Allreduce(&good, &all_good, 1, MPI_INT, MPI_MIN, comm);
    if (st == BP_STATUS_OK && (rc != MPI_SUCCESS || !all_good))
        st = bp_fail(BP_STATUS_INVALID_STATE, "%s: another process failed to set up", fn);
    if (st == BP_STATUS_OK && reduction == BP_MPI_CHAIN && m->ranks > 1 &&
        shm_setup(m, comm, net->params_floats)) {
        m->c.recv_partial = shm_recv_partial;
        m->c.send_partial = shm_send_partial;
        m->c.recv_loss = shm_recv_loss;
        m->c.send_loss = shm_send_loss;
        m->c.grad_block = shm_block;
    }
    if (st == BP_STATUS_OK) return BP_STATUS_OK;
    if (attached) (void)bp_trainer_set_combiner(tr, NULL, 0); // destroys m
    else destroy(m);
    return st;
}

double bp_trainer_mpi_seconds(const bp_trainer *tr) {
    const bp_combiner *c = tr ? bp_trainer_combiner(tr) : NULL;
    return c && c->destroy == destroy ? ((const mpi_ctx *)c->ctx)->seconds : 0.0;
}

int bp_trainer_mpi_shared(const bp_trainer *tr) {
    const bp_combiner *c = tr ? bp_trainer_combiner(tr) : NULL;
    return c && c->destroy == destroy && ((const mpi_ctx *)c->ctx)->shm != NULL;
}

bp_status bp_mpi_reduction_from_name(const char *name, bp_mpi_reduction *out) {
    if (name && out && strcasecmp(name, "chain") == 0) {
        *out = BP_MPI_CHAIN;
        return BP_STATUS_OK;
    }
    if (name && out && strcasecmp(name, "allreduce") == 0) {
        *out = BP_MPI_ALLREDUCE;
        return BP_STATUS_OK;
    }
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "unknown reduction '%s' (expected chain or allreduce)",
                   name ? name : "(null)");
}
