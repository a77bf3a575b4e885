// SPDX-License-Identifier: MIT
// Evaluation metrics beside the loss: R^2, MAE and RMSE for regression;
// precision, recall and F1 per class and macro-averaged for classification.
// All sums in double.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_regression_metrics(const float *pred, const float *target, size_t n, uint32_t k,
                           cli_reg_metrics *m) {
    memset(m, 0, sizeof *m);
    if (n == 0 || k == 0) return 0;
    double se = 0, ae = 0, r2_sum = 0;
    uint32_t r2_count = 0;
    for (uint32_t j = 0; j < k; j++) {
        double mean = 0;
        for (size_t i = 0; i < n; i++) mean += target[i * k + j];
        mean /= (double)n;
        double ss_res = 0, ss_tot = 0;
        for (size_t i = 0; i < n; i++) {
            double t = target[i * k + j], e = (double)pred[i * k + j] - t;
            ss_res += e * e;
            ss_tot += (t - mean) * (t - mean);
            ae += fabs(e);
        }
        se += ss_res;
        if (ss_tot > 0) { // a constant target has no R^2
            r2_sum += 1.0 - ss_res / ss_tot;
            r2_count++;
        }
    }
    double count = (double)n * (double)k;
    m->mse = se / count;
    m->rmse = sqrt(m->mse);
    m->mae = ae / count;
    m->r2 = r2_count ? r2_sum / r2_count : NAN;
    m->r2_targets = r2_count;
    return 1;
}

void cli_class_metrics(const size_t *confusion, uint32_t K, cli_class_metric *per, cli_class_metric *macro) {
    memset(macro, 0, sizeof *macro);
    uint32_t counted = 0;
    for (uint32_t c = 0; c < K; c++) {
        size_t tp = confusion[(size_t)c * K + c], row = 0, col = 0;
        for (uint32_t j = 0; j < K; j++) {
            row += confusion[(size_t)c * K + j]; // rows: true class
            col += confusion[(size_t)j * K + c]; // columns: predicted class
        }
        cli_class_metric *p = &per[c];
        p->support = row;
        p->predicted = col;
        // 0/0 counts as 0, as scikit-learn's default zero_division does.
        p->precision = col ? (double)tp / (double)col : 0.0;
        p->recall = row ? (double)tp / (double)row : 0.0;
        p->f1 = p->precision + p->recall > 0 ? 2 * p->precision * p->recall / (p->precision + p->recall) : 0.0;
        if (row == 0 && col == 0) continue; // a class never seen nor predicted is not averaged
        macro->precision += p->precision;
        macro->recall += p->recall;
        macro->f1 += p->f1;
        macro->support += row;
        macro->predicted += col;
        counted++;
    }
    if (counted) {
        macro->precision /= counted;
        macro->recall /= counted;
        macro->f1 /= counted;
    }
    macro->classes = counted;
}
