// SPDX-License-Identifier: MIT
// backprop train: what the user sees while training runs (the progress
// bar, one line per kept epoch, the --log CSV) and the Ctrl-C handler.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t interrupted;
static struct sigaction old_sigint;

static void on_sigint(int sig) {
    if (interrupted) cli_signal_exit(sig);
    interrupted = 1;
}

void train_sigint_catch(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sigint);
}

void train_sigint_restore(void) { sigaction(SIGINT, &old_sigint, NULL); }

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

static void fmt_acc(char *buf, size_t len, const char *label, double acc) {
    if (acc >= 0) snprintf(buf, len, "  %s %6.2f%%", label, 100.0 * acc);
    else buf[0] = '\0';
}

static void draw_bar(train_progress *r, const bp_progress *p) {
    double shown_acc = r->classify ? p->accuracy : -1.0;
    enum { WIDTH = 24 };
    double frac = p->batches ? (double)p->batch / (double)p->batches : 1.0;
    int fill = (int)(frac * WIDTH + 0.5);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '=' : ' ';
    bar[WIDTH] = '\0';
    char acc[32];
    fmt_acc(acc, sizeof acc, "acc", shown_acc);
    fprintf(stderr, "\repoch %*u/%u [%s] %3d%%  loss %.4f%s  %.0f samples/s\033[K", r->epoch_width, p->epoch + 1,
            p->epochs, bar, (int)(100.0 * frac + 0.5), p->loss, acc, p->samples_per_s);
    fflush(stderr);
    r->bar_on_screen = 1;
}

int train_progress_cb(const bp_progress *p, void *user) {
    train_progress *r = user;
    if (p->epoch_end) {
        r->epochs_done++;
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
                char acc[32], vloss[48] = "", vacc[32];
                fmt_acc(acc, sizeof acc, "acc", r->classify ? p->accuracy : -1.0);
                fmt_acc(vacc, sizeof vacc, "val_acc", r->classify ? p->val_accuracy : -1.0);
                if (p->val_loss >= 0) snprintf(vloss, sizeof vloss, "  val_loss %.4f", p->val_loss);
                // ETA from the mean epoch time of this run so far.
                double eta = p->elapsed_s / r->epochs_done * (double)(p->epochs - p->epoch - 1);
                fprintf(stderr, "%sepoch %*u/%u  loss %.4f%s%s%s  lr %.3g  %.0f samples/s  %.2f s  ETA %.1f s%s\n",
                        r->tty ? "\r" : "", r->epoch_width, p->epoch + 1, p->epochs,
                        p->loss, acc, vloss, vacc, p->lr, p->samples_per_s, p->elapsed_s, eta,
                        r->tty ? "\033[K" : "");
                r->bar_on_screen = 0;
            } else if (r->tty) {
                draw_bar(r, p);
            }
            r->last_draw = p->elapsed_s;
        }
    } else if (r->tty && !r->quiet && p->elapsed_s - r->last_draw >= 0.1) {
        draw_bar(r, p);
        r->last_draw = p->elapsed_s;
    }
    return interrupted != 0;
}
