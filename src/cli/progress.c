// SPDX-License-Identifier: MIT
// Progress lines for a terminal: every line is cut to fit the terminal's
// width, so a redrawn bar never wraps (a wrapped bar turns each redraw into
// a new line). Fields are dropped from the least useful up, and numbers get
// shorter spellings, until the line fits; a width of 40 keeps the epoch, the
// step count, samples/s, elapsed time and the ETA.
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

int cli_term_width(int fd) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    if (c) {
        char *end;
        long v = strtol(c, &end, 10);
        if (end != c && *end == '\0' && v > 0 && v < 100000) return (int)v;
    }
    return 80;
}

// Seconds as "12.3s", "4:05" or "1:02:03".
void cli_format_duration(double s, char *buf, size_t len) {
    if (!(s >= 0)) s = 0;
    if (s < 60) {
        snprintf(buf, len, "%.1fs", s);
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t < 3600) snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
    else snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
}

// A rate as "950", "12.3k" or "4.56M".
static void format_rate(double r, char *buf, size_t len) {
    if (!(r >= 0)) r = 0;
    if (r < 1e4) snprintf(buf, len, "%.0f", r);
    else if (r < 1e6) snprintf(buf, len, "%.1fk", r / 1e3);
    else snprintf(buf, len, "%.2fM", r / 1e6);
}

// Appends to a fixed buffer; a field that would overflow is left out.
typedef struct line {
    char s[512];
    size_t n;
} line;

static void add(line *l, const char *fmt, ...) CLI_PRINTF(2, 3);
static void add(line *l, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof l->s - l->n) l->s[l->n] = '\0';
    else l->n += (size_t)k;
}

// The layouts, richest first: each row says what a level keeps. The first
// that fits the width wins (the bar takes the room left, 8 to 40 columns);
// a terminal narrower than the last is cut.
typedef struct layout {
    int wide;     // two spaces between fields, "samples/s", accuracy to 0.01%
    int word;     // "epoch" before the count
    int acc;      // accuracies
    int loss;     // the loss (the bar) / the validation loss (epoch lines)
    int speed;    // samples/s and elapsed time
} layout;

static const layout bar_layouts[] = {
    {1, 1, 1, 1, 1}, {0, 1, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 0, 1, 1}, {0, 0, 0, 0, 1},
};
static const layout epoch_layouts[] = {
    {1, 1, 1, 1, 1}, {0, 1, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 1, 1, 0}, {0, 0, 0, 1, 0}, {0, 0, 0, 0, 0},
};
#define N_LAYOUTS(a) (sizeof a / sizeof a[0])

void cli_format_bar(const cli_bar *b, int width, char *buf, size_t len) {
    int room = width - 1; // the last column is left empty: writing it puts
                          // some terminals in a pending-wrap state
    if (room < 1) room = 1;
    double frac = b->batches ? (double)b->batch / (double)b->batches : 1.0;
    double eta = b->batch && b->batches > b->batch
                     ? b->epoch_elapsed_s * (double)(b->batches - b->batch) / (double)b->batch
                     : 0.0;
    char el[32], et[32], rate[32];
    cli_format_duration(b->epoch_elapsed_s, el, sizeof el);
    cli_format_duration(eta, et, sizeof et);
    format_rate(b->samples_per_s, rate, sizeof rate);
    int stw = 1;
    for (size_t v = b->batches; v >= 10; v /= 10) stw++;
    line l;
    for (size_t level = 0; level < N_LAYOUTS(bar_layouts); level++) {
        const layout *y = &bar_layouts[level];
        const char *sp = y->wide ? "  " : " ";
        int last = level + 1 == N_LAYOUTS(bar_layouts);
        // The fields after the bar, measured first.
        line tail = {.n = 0};
        tail.s[0] = '\0';
        add(&tail, "%*zu/%zu", stw, b->batch, b->batches);
        if (y->loss) add(&tail, "%sloss %.4f", sp, b->loss);
        if (y->acc && b->accuracy >= 0)
            add(&tail, y->wide ? "%sacc %6.2f%%" : "%sacc %.1f%%", sp, 100.0 * b->accuracy);
        add(&tail, y->wide ? "%s%s samples/s" : "%s%s/s", sp, rate);
        add(&tail, "%s%s%sETA %s", sp, el, sp, et);
        l.n = 0;
        l.s[0] = '\0';
        add(&l, y->word ? "epoch %*u/%u " : "%*u/%u ", b->epoch_width, b->epoch + 1, b->epochs);
        int bar_w = room - (int)l.n - (int)tail.n - 3; // "[" bar "] "
        if (bar_w > 40) bar_w = 40;
        if (bar_w < 8 && !last) continue;
        if (bar_w >= 4) {
            int fill = (int)(frac * bar_w + 0.5);
            char bar[48];
            for (int i = 0; i < bar_w; i++) bar[i] = i < fill ? '=' : ' ';
            bar[bar_w] = '\0';
            add(&l, "[%s] ", bar);
        }
        add(&l, "%s", tail.s);
        break;
    }
    if ((int)l.n > room) l.s[room] = '\0'; // narrower than any layout: cut
    snprintf(buf, len, "%s", l.s);
}

void cli_format_epoch(const cli_epoch_line *e, int width, char *buf, size_t len) {
    char el[32], et[32], rate[32];
    cli_format_duration(e->elapsed_s, el, sizeof el);
    cli_format_duration(e->eta_s, et, sizeof et);
    format_rate(e->samples_per_s, rate, sizeof rate);
    line l;
    // Without a width (not a terminal) the full line of old, as log readers
    // expect; on a terminal the first layout that fits.
    size_t levels = width > 0 ? N_LAYOUTS(epoch_layouts) : 1;
    for (size_t level = 0; level < levels; level++) {
        const layout *y = &epoch_layouts[level];
        const char *sp = y->wide ? "  " : " ";
        l.n = 0;
        l.s[0] = '\0';
        add(&l, y->word ? "epoch %*u/%u" : "%*u/%u", e->epoch_width, e->epoch + 1, e->epochs);
        add(&l, "%sloss %.4f", sp, e->loss);
        if (y->acc && e->accuracy >= 0)
            add(&l, y->wide || level == 1 ? "%sacc %6.2f%%" : "%sacc %.1f%%", sp, 100.0 * e->accuracy);
        if (y->loss && e->val_loss >= 0) add(&l, "%sval_loss %.4f", sp, e->val_loss);
        if (y->acc && e->val_accuracy >= 0)
            add(&l, y->wide || level == 1 ? "%sval_acc %6.2f%%" : "%sval_acc %.1f%%", sp, 100.0 * e->val_accuracy);
        if (level == 0)
            add(&l, "  lr %.3g  %.0f samples/s  %.2f s  ETA %.1f s", e->lr, e->samples_per_s, e->elapsed_s, e->eta_s);
        else if (y->speed) add(&l, "%s%s/s%s%s%sETA %s", sp, rate, sp, el, sp, et);
        else add(&l, " ETA %s", et);
        if (width <= 0 || (int)l.n <= width - 1) break;
    }
    if (width > 0 && (int)l.n > width - 1) l.s[width > 1 ? width - 1 : 1] = '\0';
    snprintf(buf, len, "%s", l.s);
}

void cli_print_wrapped(FILE *f, int width, const char *indent, const char *text) {
    if (width <= 0) {
        fprintf(f, "%s\n", text);
        return;
    }
    int room = width - 1, ind = (int)strlen(indent);
    if (ind >= room / 2) { // an indent that leaves no room is dropped
        indent = "";
        ind = 0;
    }
    // Leading spaces are kept (an indented first line).
    int col = 0, line_empty = 1;
    const char *p = text;
    for (; *p == ' ' && col < room / 2; p++, col++) fputc(' ', f);
    while (*p) {
        int gap = 0; // the spaces before the word, kept unless the line breaks there
        for (; *p == ' '; p++) gap++;
        if (!*p) break;
        int w = (int)strcspn(p, " ");
        if (!line_empty && col + gap + w > room) {
            fprintf(f, "\n%s", indent);
            col = ind;
            line_empty = 1;
        } else if (!line_empty) {
            fprintf(f, "%*s", gap, "");
            col += gap;
        }
        while (col + w > room) { // a word longer than a line is cut
            int take = room - col;
            fwrite(p, 1, (size_t)take, f);
            fprintf(f, "\n%s", indent);
            col = ind;
            p += take;
            w -= take;
        }
        fwrite(p, 1, (size_t)w, f);
        col += w;
        p += w;
        line_empty = 0;
    }
    fputc('\n', f);
}
