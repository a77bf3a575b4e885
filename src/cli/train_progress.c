// SPDX-License-Identifier: MIT
// backprop train: what the user sees while training runs (the progress
// bar, one line per kept epoch, the --log CSV) and the Ctrl-C handler.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bp_internal.h" // bp_save_discard_temps
#include "cli.h"

void cli_signal_exit(int sig) {
    bp_save_discard_temps();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    raise(sig); // delivered when the handler returns: the usual death by sig
}

static volatile sig_atomic_t interrupted;
static struct sigaction old_sigint, old_sigterm;

static void on_sigint(int sig) {
    if (interrupted) cli_signal_exit(sig);
    interrupted = 1;
}

// Under mpirun, SIGTERM too: Open MPI's mpirun does not pass a Ctrl-C on to
// the ranks (they run in process groups of their own) but sends them
// SIGTERM, then SIGKILL a second later (Open MPI 4.1: odls_base_sigkill_
// timeout). So SIGTERM there is the user's Ctrl-C, with a second to stop at
// a step boundary and save the model on rank 0 (cmd_train.c, report).
void train_sigint_catch(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sigint);
    if (cli_mpi_size() > 1) {
        struct sigaction cur;
        if (sigaction(SIGTERM, NULL, &cur) == 0 && cur.sa_handler != SIG_IGN)
            sigaction(SIGTERM, &sa, &old_sigterm);
        else
            old_sigterm = cur;
    }
}

void train_sigint_restore(void) {
    sigaction(SIGINT, &old_sigint, NULL);
    if (cli_mpi_size() > 1) sigaction(SIGTERM, &old_sigterm, NULL);
}

void train_progress_init(train_progress *r, int quiet, int classify, uint32_t epochs, FILE *log) {
    memset(r, 0, sizeof *r);
    r->tty = isatty(STDERR_FILENO);
    r->quiet = quiet;
    r->classify = classify;
    r->epoch_width = 1;
    r->log = log;
    r->stride = epochs > 25 ? (epochs + 24) / 25 : 1;
    r->last_draw = -1.0;
    for (uint32_t e = epochs; e >= 10; e /= 10) r->epoch_width++;
}

// The bar, redrawn in place: cut to the terminal's width (asked at every
// draw, so a resized window is followed) so that it never wraps.
static void draw_bar(train_progress *r, const bp_progress *p) {
    cli_bar b = {p->epoch, p->epochs, r->epoch_width, p->batch, p->batches, p->loss,
                 r->classify ? p->accuracy : -1.0, p->samples_per_s, p->elapsed_s - r->epoch_start};
    char line[512];
    cli_format_bar(&b, cli_term_width(STDERR_FILENO), line, sizeof line);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    r->bar_on_screen = 1;
}

int train_progress_cb(const bp_progress *p, void *user) {
    train_progress *r = user;
    r->steps = p->batches;
    if (p->epoch_end) {
        r->epochs_done++;
        r->steps_done = 0;
        if (r->log) {
            fprintf(r->log, "%u,%.9g,", p->epoch + 1, p->loss);
            if (r->classify && p->accuracy >= 0) fprintf(r->log, "%.9g", p->accuracy);
            fputc(',', r->log);
            if (p->val_loss >= 0) fprintf(r->log, "%.9g", p->val_loss);
            fputc(',', r->log);
            if (r->classify && p->val_accuracy >= 0) fprintf(r->log, "%.9g", p->val_accuracy);
            fprintf(r->log, ",%.9g,%.6f,%.1f\n", p->lr, p->elapsed_s, p->samples_per_s);
            // A full disk shows at the flush (or in the error flag, when an
            // earlier buffered write failed): stop logging, say so, and let
            // cmd_train fail once the model is saved.
            if (fflush(r->log) != 0 || ferror(r->log)) {
                if (r->bar_on_screen) fputc('\n', stderr);
                r->bar_on_screen = 0;
                cli_error("--log: writing '%s' failed at epoch %u: %s; training goes on, the log stops here",
                          r->log_path, p->epoch + 1, strerror(errno));
                r->log = NULL;
                r->log_failed = 1;
            }
        }
        if (p->checkpoint_status != BP_STATUS_OK) {
            if (r->bar_on_screen) fputc('\n', stderr);
            r->bar_on_screen = 0;
            r->ckpt_failures++;
            fprintf(stderr, "%s: warning: checkpoint after epoch %u not saved: %s; training goes on\n", cli_prog,
                    p->epoch + 1, p->checkpoint_error ? p->checkpoint_error : bp_status_string(p->checkpoint_status));
        }
        if (!r->quiet) {
            int keep = p->epoch == 0 || p->epoch + 1 == p->epochs || (p->epoch + 1) % r->stride == 0;
            if (keep) {
                // ETA from the mean epoch time of this run so far.
                double eta = p->elapsed_s / r->epochs_done * (double)(p->epochs - p->epoch - 1);
                cli_epoch_line e = {p->epoch, p->epochs, r->epoch_width, p->loss,
                                    r->classify ? p->accuracy : -1.0, p->val_loss,
                                    r->classify ? p->val_accuracy : -1.0, p->lr, p->samples_per_s,
                                    p->elapsed_s, eta};
                char line[512];
                cli_format_epoch(&e, r->tty ? cli_term_width(STDERR_FILENO) : 0, line, sizeof line);
                fprintf(stderr, "%s%s%s\n", r->tty ? "\r" : "", line, r->tty ? "\033[K" : "");
                r->bar_on_screen = 0;
            } else if (r->tty) {
                draw_bar(r, p);
            }
            r->last_draw = p->elapsed_s;
        }
        r->epoch_start = p->elapsed_s; // the next epoch's bar counts from here
    } else {
        r->steps_done = p->batch;
    }
    if (!p->epoch_end && r->tty && !r->quiet && p->elapsed_s - r->last_draw >= 0.1) {
        draw_bar(r, p);
        r->last_draw = p->elapsed_s;
    }
    // Every rank stops at the same step, whichever ranks the signal reached
    // (the progress calls come at the same steps on every rank).
    return cli_mpi_any(interrupted != 0);
}
