// SPDX-License-Identifier: MIT
// The CLI under mpirun (builds with -DBP_WITH_MPI=ON): MPI starts when the
// environment says an MPI launcher started this process; then `backprop
// train` trains on every process together (include/backprop_mpi.h), rank 0
// alone prints and writes files, and a failure on any rank ends the job.
// Without MPI in the build, or when not launched by mpirun, these do nothing
// and the tool is one process.
#define _DEFAULT_SOURCE // usleep
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifdef BP_WITH_MPI
#include "backprop_mpi.h"

static int mpi_on, mpi_rank, mpi_size = 1;
// Ranks other than 0 hold their stderr here until they fail (see cli_mpi_end).
static char held_stderr[1 << 16];

void cli_mpi_start(int *argc, char ***argv) {
    // Open MPI's launcher sets OMPI_COMM_WORLD_SIZE, PMIx launchers
    // PMIX_RANK, MPICH's and Slurm's PMI_RANK / PMI_SIZE.
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") && !getenv("PMI_RANK") &&
        !getenv("PMI_SIZE"))
        return;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return;
    mpi_on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
    if (mpi_rank > 0) setvbuf(stderr, held_stderr, _IOFBF, sizeof held_stderr);
}

int cli_mpi_end(int rc) {
    if (!mpi_on) return rc;
    if (rc != CLI_OK && rc != CLI_INTERRUPTED && mpi_size > 1) {
        // One message for the job: rank 0's when it failed too (an error
        // every rank meets, such as a bad option, ends the job from rank 0
        // before the others print), else the failing rank's.
        if (mpi_rank > 0) usleep(300000);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, rc);
    }
    fflush(stderr);
    MPI_Finalize();
    return rc;
}

int cli_mpi_rank(void) { return mpi_rank; }
int cli_mpi_size(void) { return mpi_size; }

int cli_mpi_any(int flag) {
    int any = flag;
    if (mpi_size > 1 && MPI_Allreduce(&flag, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
        return flag;
    return any;
}

// FNV-1a over a data set's shape, inputs and labels or targets.
static uint64_t data_fingerprint(const bp_data *d) {
    uint64_t h = 1469598103934665603ull;
    uint64_t shape[] = {d->n, d->n_in, d->n_classes, d->n_targets};
    const void *parts[] = {shape, d->x, d->labels, d->targets};
    size_t bytes[] = {sizeof shape, d->n * d->n_in * sizeof(float),
                      d->n_classes ? d->n * sizeof(int32_t) : 0,
                      d->n_classes ? 0 : d->n * d->n_targets * sizeof(float)};
    for (int p = 0; p < 4; p++) {
        const unsigned char *b = parts[p];
        for (size_t i = 0; b && i < bytes[p]; i++) h = (h ^ b[i]) * 1099511628211ull;
    }
    return h;
}

const char *cli_mpi_path(const char *spec, char *buf, size_t size) {
    const char *pct = strstr(spec, "%d");
    if (!mpi_on || !pct || strlen(spec) >= size) return spec;
    snprintf(buf, size, "%.*s%d%s", (int)(pct - spec), spec, mpi_rank, pct + 2);
    return buf;
}

int cli_mpi_attach(bp_trainer *tr, const bp_data *data) {
    if (mpi_size < 2) return CLI_OK;
    // Every rank takes its rows of each batch from its own copy of the data
    // set, in the one shuffled order: the copies must be the same.
    uint64_t fp = data_fingerprint(data), lo = 0, hi = 0;
    MPI_Allreduce(&fp, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&fp, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    if (lo != hi) {
        cli_error("--data: the ranks' copies of the training data differ (every rank needs the "
                  "whole data set, the same rows in the same order)");
        return CLI_USAGE;
    }
    const char *name = getenv("BP_MPI_REDUCTION");
    bp_mpi_reduction red = BP_MPI_CHAIN;
    if (name && *name && bp_mpi_reduction_from_name(name, &red) != BP_STATUS_OK) {
        cli_error("BP_MPI_REDUCTION: %s", bp_last_error());
        return CLI_USAGE;
    }
    if (bp_trainer_set_mpi(tr, MPI_COMM_WORLD, red) != BP_STATUS_OK) {
        cli_error("%s", bp_last_error());
        return CLI_FAIL;
    }
    if (mpi_rank == 0)
        fprintf(stderr, "  %d MPI processes, %s reduction%s%s\n", mpi_size, name && *name ? name : "chain",
                bp_trainer_mpi_shared(tr) ? " through shared memory" : "",
                red == BP_MPI_CHAIN ? " (weights bit-identical to one process)" : "");
    return CLI_OK;
}
#else
void cli_mpi_start(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
}
int cli_mpi_end(int rc) { return rc; }
int cli_mpi_rank(void) { return 0; }
int cli_mpi_size(void) { return 1; }
int cli_mpi_any(int flag) { return flag; }
int cli_mpi_attach(bp_trainer *tr, const bp_data *data) {
    (void)tr;
    (void)data;
    return CLI_OK;
}
const char *cli_mpi_path(const char *spec, char *buf, size_t size) {
    (void)buf;
    (void)size;
    return spec;
}
#endif
