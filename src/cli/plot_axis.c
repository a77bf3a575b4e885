// SPDX-License-Identifier: MIT
// Axes for backprop plot: tick values that are round numbers (multiples of
// 1, 2 or 5 times a power of ten), axis ends on ticks, and log-scale decades.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

// Steps 1, 2, 5, 10, 20, 50, ... times 10^e, in order; k indexes that list.
static double step_at(int e, int k) {
    static const double m[3] = {1, 2, 5};
    int q = k >= 0 ? k / 3 : -((-k + 2) / 3), r = k - 3 * q;
    return m[r] * pow(10.0, e + q);
}

void cli_axis_linear(double lo, double hi, double min_lo, double max_hi, double min_step, int max_ticks,
                     cli_axis *a) {
    memset(a, 0, sizeof *a);
    if (max_ticks < 2) max_ticks = 2;
    if (max_ticks > CLI_AXIS_MAX_TICKS) max_ticks = CLI_AXIS_MAX_TICKS;
    if (!(hi > lo)) { // one value: a range around it, inside the limits
        double pad = lo != 0 ? 0.1 * fabs(lo) : 1.0;
        if (pad < min_step) pad = min_step;
        lo -= pad;
        hi += pad;
    }
    if (lo < min_lo) lo = min_lo;
    if (hi > max_hi) hi = max_hi;
    double range = hi - lo;
    int e = (int)floor(log10(range / (max_ticks - 1)));
    double step = 0;
    long first = 0, last = 0;
    for (int k = 0; k < 64; k++) {
        step = step_at(e, k);
        if (step < min_step) continue;
        first = (long)floor(lo / step + 1e-9);
        last = (long)ceil(hi / step - 1e-9);
        if (last - first + 1 <= max_ticks) break;
    }
    a->step = step;
    a->lo = (double)first * step;
    a->hi = (double)last * step;
    if (a->lo < min_lo) a->lo = min_lo; // min_lo/max_hi are themselves multiples of any step
    if (a->hi > max_hi) a->hi = max_hi; // used here (0 and 100)
    for (long t = first; t <= last && a->n_ticks < CLI_AXIS_MAX_TICKS; t++) a->ticks[a->n_ticks++] = (double)t * step;
    int d = (int)-floor(log10(step) + 1e-9);
    a->decimals = d > 0 ? d : 0;
}

void cli_axis_log(double lo, double hi, cli_axis *a) {
    memset(a, 0, sizeof *a);
    a->log = 1;
    int d0 = (int)floor(log10(lo) + 1e-9), d1 = (int)ceil(log10(hi) - 1e-9);
    if (d1 <= d0) d1 = d0 + 1;
    a->lo = pow(10.0, d0);
    a->hi = pow(10.0, d1);
    // Few decades: 1, 2, 5 in each; many: every decade, or every few.
    int decades = d1 - d0;
    int every = 1;
    while (decades / every + 1 > CLI_AXIS_MAX_TICKS / 2) every++;
    for (int d = d0; d <= d1 && a->n_ticks < CLI_AXIS_MAX_TICKS; d++) {
        if (decades <= 3) {
            static const double m[3] = {1, 2, 5};
            for (int k = 0; k < 3 && (d < d1 || k == 0); k++) a->ticks[a->n_ticks++] = m[k] * pow(10.0, d);
        } else if ((d - d0) % every == 0) {
            a->ticks[a->n_ticks++] = pow(10.0, d);
        }
    }
}

double cli_axis_frac(const cli_axis *a, double v) {
    if (a->log) return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

void cli_axis_label(const cli_axis *a, double v, char *buf, size_t len) {
    if (a->log) {
        double e = log10(v);
        if (e >= -3 && e < 5) snprintf(buf, len, "%.*f", e < 0 ? (int)ceil(-e - 1e-9) : 0, v);
        else snprintf(buf, len, "%.0e", v);
        return;
    }
    if (fabs(v) < 0.5 * a->step) v = 0; // no "-0"
    snprintf(buf, len, "%.*f", a->decimals, v);
}
