// SPDX-License-Identifier: MIT
// backprop on MPI: data-parallel training across processes and machines.
// Available in builds configured with -DBP_WITH_MPI=ON; include after (or
// instead of) backprop.h, with MPI's mpi.h on the include path.
//
// Every process of a communicator holds the same network (create it from
// the same seed, or load the same file) and the same training data, and
// calls the same trainer functions with the same options. Each global
// mini-batch (the single-process shuffle) is split by rows across the
// processes; each runs the ordinary multithreaded step on its rows; the
// gradients are combined; every process applies the same update.
#ifndef BACKPROP_MPI_H
#define BACKPROP_MPI_H

#include <mpi.h>

#include "backprop.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the processes combine their gradients. */
typedef enum bp_mpi_reduction {
    /** Deterministic: rank r continues every gradient sum from the partial
     *  sums rank r-1 sends (pipelined in chunks of the gradient), so each
     *  gradient element is the single-process FMA chain over the batch rows
     *  in order, and the weights are bit-identical to one process's for any
     *  number of processes x threads. The default. When every process runs
     *  on one machine the sums stay in an MPI-3 shared-memory window and
     *  are continued in place, without messages; BP_MPI_SHM=0 in the
     *  environment of any process keeps the messages. */
    BP_MPI_CHAIN = 0,
    /** MPI_Allreduce of each process's own sums: the order of the additions
     *  depends on the process count, so the weights drift from the
     *  single-process run by rounding (README: measured drift). */
    BP_MPI_ALLREDUCE,
    BP_MPI_REDUCTION_COUNT
} bp_mpi_reduction;

/** Make trainer tr one of the processes of comm. Collective: every process
 *  of comm calls it, after bp_trainer_create and before the first step,
 *  with the same reduction. It checks that every process has the same
 *  network shape, initial weights and options (batch size, optimizer,
 *  seed...). The trainer keeps a duplicate of comm until it is destroyed;
 *  destroy it before MPI_Finalize. MPI must be initialised with at least
 *  MPI_THREAD_FUNNELED when the trainer uses more than one thread (only the
 *  thread that calls the trainer makes MPI calls).
 *
 *  bp_trainer_step: every process passes the whole batch (x, y, n) and
 *  computes on its rows of it; bp_trainer_run_epoch and bp_trainer_fit take
 *  the whole data set on every process.
 *
 *  During bp_trainer_fit only the process of rank 0 writes checkpoints;
 *  call bp_net_save and print progress on rank 0 only. A checkpoint resumes
 *  bit-identically on any number of processes.
 *
 *  Errors: a failure on one process (a NaN in its rows, say) returns the
 *  error there while the others wait for its data: end the job with
 *  MPI_Abort on any error (the CLI does), as MPI programs do.
 *
 *  @param tr the trainer (not NULL)
 *  @param comm the processes that train together; one process trains alone
 *  @param reduction BP_MPI_CHAIN (deterministic) or BP_MPI_ALLREDUCE
 *  @retval BP_STATUS_OK
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL trainer, unknown reduction, or
 *          the processes disagree (the message says on what)
 *  @retval BP_STATUS_INVALID_STATE MPI not initialised, or initialised
 *          without MPI_THREAD_FUNNELED for a multithreaded trainer
 *  @retval BP_STATUS_OUT_OF_MEMORY */
BP_NODISCARD BP_API bp_status bp_trainer_set_mpi(bp_trainer *tr, MPI_Comm comm,
                                                 bp_mpi_reduction reduction);

/** Seconds this process spent inside MPI calls during training steps
 *  (sending, receiving, and waiting for another process's data, also in
 *  shared memory) since
 *  bp_trainer_set_mpi; 0 for a trainer without MPI. Not thread-safe
 *  against a running step. */
BP_API double bp_trainer_mpi_seconds(const bp_trainer *tr);

/** 1 when tr's chained sums go through shared memory (BP_MPI_CHAIN, every
 *  process on one machine, BP_MPI_SHM not 0, the segment could be made),
 *  0 otherwise (messages, allreduce, one process, or no MPI). */
BP_API int bp_trainer_mpi_shared(const bp_trainer *tr);

/** Parse "chain" or "allreduce" (case-insensitive).
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists both) */
BP_NODISCARD BP_API bp_status bp_mpi_reduction_from_name(const char *name,
                                                         bp_mpi_reduction *out);

#ifdef __cplusplus
}
#endif
#endif
