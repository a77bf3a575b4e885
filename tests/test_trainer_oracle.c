// SPDX-License-Identifier: MIT
// The trainer against independent references: a double-precision oracle of
// the gradient (backpropagation written out in plain loops, with the
// dropout mask recomputed from its documented hash), a double-precision
// oracle of every optimizer fed the trainer's own float gradients, the
// schedules' formulas, the shuffle's distribution, the partial batch's
// scale, early stopping's restored weights, the validation split's rows and
// the checkpoint's optimizer check. The other trainer tests mostly compare a
// run with itself; these catch a wrong formula applied consistently.
#include <unistd.h>

#include "bp_internal.h"
#include "bp_test.h"
#include "oracle/mlp.h"

#define U 0x1p-24 // unit roundoff of float
#define PI 3.14159265358979323846

// ------------------------------------------------------------------ oracle

// Dropout as documented in trainer.c: element (row, col) of hidden layer l
// is kept, and scaled by 1/(1-p), unless the counter-based hash of (seed,
// step, layer, row, col) falls below p.
typedef struct {
    float p;       // 0: no dropout
    uint64_t seed; // the trainer's seed
    uint64_t step; // steps taken before this one
} oracle_dropout;

static double oracle_keep(const oracle_dropout *d, size_t l, size_t r, size_t c) {
    if (!d || d->p == 0.0f) return 1.0;
    uint64_t s = bp_hash64(d->seed ^ bp_hash64(d->step * 0x100000001b3ull + l));
    double u = (double)(bp_hash64(s + ((uint64_t)r << 32) + c) >> 40) * 0x1p-24;
    return u < d->p ? 0.0 : 1.0 / (1.0 - (double)d->p);
}

static double oracle_act_grad(bp_act act, double z, double a, double alpha) {
    switch (act) {
    case BP_ACT_IDENTITY:
    case BP_ACT_STEP: return 1.0; // straight-through (backprop.h)
    case BP_ACT_SIGMOID: return a * (1.0 - a);
    case BP_ACT_TANH: return 1.0 - a * a;
    case BP_ACT_RELU: return z > 0 ? 1.0 : 0.0;
    case BP_ACT_LEAKY_RELU: return z > 0 ? 1.0 : alpha;
    case BP_ACT_GELU: return 0.5 * (1.0 + erf(z / sqrt(2.0))) + z * exp(-0.5 * z * z) / sqrt(2.0 * PI);
    default: return NAN;
    }
}

// Mean loss of n rows and its gradient (grad: net->params_floats doubles in
// the parameter block's layout), by backpropagation in double from the
// network's float weights. *kept (optional) counts the kept hidden units.
static double oracle_grad(const bp_net *net, bp_loss loss, const float *x, const float *y, size_t n,
                          const oracle_dropout *dr, double *grad, size_t *kept) {
    size_t L = net->n_layers, W = bp_net_max_width(net);
    double alpha = bp_net_leaky_alpha(net);
    double *z = calloc(L * W, sizeof(double)), *a = calloc(L * W, sizeof(double));
    double *in = calloc((L + 1) * W, sizeof(double)), *dz = calloc(W, sizeof(double)),
           *da = calloc(W, sizeof(double));
    memset(grad, 0, net->params_floats * sizeof(double));
    double total = 0.0;
    if (kept) *kept = 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t n_in = net->layers[0].n_in, n_out = net->layers[L - 1].n_out;
        for (uint32_t j = 0; j < n_in; j++) in[j] = x[r * n_in + j];
        for (size_t l = 0; l < L; l++) {
            const struct bp_layer *Ly = &net->layers[l];
            int last = l + 1 == L;
            for (uint32_t o = 0; o < Ly->n_out; o++) {
                double s = Ly->b[o];
                for (uint32_t i = 0; i < Ly->n_in; i++) s += (double)Ly->w[o * Ly->n_in + i] * in[l * W + i];
                z[l * W + o] = s;
                a[l * W + o] = last && loss != BP_LOSS_MSE ? s : oracle_act(Ly->act, s, alpha);
                if (!last) {
                    double k = oracle_keep(dr, l, r, o);
                    if (kept) *kept += k != 0.0;
                    in[(l + 1) * W + o] = a[l * W + o] * k;
                }
            }
        }
        // The loss of the row and dL/dz of the output layer, divided by n.
        const double *zo = z + (L - 1) * W, *ao = a + (L - 1) * W;
        const float *yr = y + r * n_out;
        double row = 0.0;
        if (loss == BP_LOSS_SOFTMAX_XENT) {
            double m = zo[0], s = 0.0;
            for (uint32_t o = 1; o < n_out; o++) m = zo[o] > m ? zo[o] : m;
            for (uint32_t o = 0; o < n_out; o++) s += exp(zo[o] - m);
            double lse = m + log(s);
            for (uint32_t o = 0; o < n_out; o++) {
                row += yr[o] * (lse - zo[o]);
                dz[o] = (exp(zo[o] - lse) - yr[o]) / (double)n;
            }
        } else if (loss == BP_LOSS_SIGMOID_BCE) {
            for (uint32_t o = 0; o < n_out; o++) {
                double zz = zo[o];
                row += (zz > 0 ? zz : 0) - zz * yr[o] + log1p(exp(-fabs(zz)));
                dz[o] = (1.0 / (1.0 + exp(-zz)) - yr[o]) / (double)n;
            }
        } else {
            bp_act act = net->layers[L - 1].act;
            for (uint32_t o = 0; o < n_out; o++) {
                double d = ao[o] - yr[o];
                row += d * d / n_out;
                dz[o] = 2.0 * d / n_out / (double)n * oracle_act_grad(act, zo[o], ao[o], alpha);
            }
        }
        total += row;
        for (size_t l = L; l-- > 0;) {
            const struct bp_layer *Ly = &net->layers[l];
            double *gw = grad + (Ly->w - net->params), *gb = grad + (Ly->b - net->params);
            for (uint32_t o = 0; o < Ly->n_out; o++) {
                gb[o] += dz[o];
                for (uint32_t i = 0; i < Ly->n_in; i++) gw[o * Ly->n_in + i] += dz[o] * in[l * W + i];
            }
            if (l == 0) break;
            const struct bp_layer *P = &net->layers[l - 1];
            for (uint32_t i = 0; i < Ly->n_in; i++) {
                double s = 0.0;
                for (uint32_t o = 0; o < Ly->n_out; o++) s += dz[o] * Ly->w[o * Ly->n_in + i];
                da[i] = s * oracle_keep(dr, l - 1, r, i);
            }
            for (uint32_t i = 0; i < Ly->n_in; i++)
                dz[i] = da[i] * oracle_act_grad(P->act, z[(l - 1) * W + i], a[(l - 1) * W + i], alpha);
        }
    }
    free(z);
    free(a);
    free(in);
    free(dz);
    free(da);
    return total / (double)n;
}

// Calls f(offset) for every weight and bias of the network (not the padding
// between layer blocks).
#define FOR_EACH_PARAM(net, off, ...)                                                       \
    for (size_t l_ = 0; l_ < (net)->n_layers; l_++) {                                        \
        const struct bp_layer *ly_ = &(net)->layers[l_];                                     \
        size_t w0_ = (size_t)(ly_->w - (net)->params), b0_ = (size_t)(ly_->b - (net)->params); \
        for (size_t k_ = 0; k_ < (size_t)ly_->n_out * ly_->n_in + ly_->n_out; k_++) {        \
            size_t off = k_ < (size_t)ly_->n_out * ly_->n_in ? w0_ + k_                      \
                                                              : b0_ + k_ - (size_t)ly_->n_out * ly_->n_in; \
            __VA_ARGS__                                                                      \
        }                                                                                    \
    }

// Gradient tolerance (as tests/test_gradcheck.c derives it): every gradient
// entry of these networks (widths <= 16, batch <= 8, two or three layers) is
// a chain of fewer than 64 rounded float operations on any path (sums of at
// most 17 terms per product, one activation or loss evaluation of <= 4 ULP
// per layer, the loss gradient, the 1/n scale), each with relative error
// <= u. First order: |g - g_exact| <= 64 u S, S bounding the sum of the
// absolute values of the terms. Inputs, weights and targets are O(1) and
// dropout scales by at most 2 (p <= 0.5), so S = 2 (max |g| + 1).
static double grad_tol(const bp_net *net, const double *gd) {
    double gmax = 0.0;
    FOR_EACH_PARAM(net, i, { gmax = fabs(gd[i]) > gmax ? fabs(gd[i]) : gmax; })
    return 64.0 * U * 2.0 * (gmax + 1.0);
}

// The float gradient against the oracle's, every entry.
static void expect_grad(const bp_net *net, const float *g, const double *gd, double scale,
                        double tol, const char *what) {
    int bad = 0;
    FOR_EACH_PARAM(net, i, {
        double want = gd[i] * scale;
        if (!(fabs(g[i] - want) <= tol) && bad++ < 5)
            cr_expect(0, "%s: gradient[%zu] = %.9g, oracle %.9g (tolerance %.3g)", what, i,
                      (double)g[i], want, tol);
    })
    cr_expect_eq(bad, 0, "%s: %d gradient entries off", what, bad);
}

// ------------------------------------------------------- optimizer oracle

// Double-precision optimizer state of every parameter, with a first-order
// bound on how far the float trainer may be from it. The oracle is fed the
// trainer's float gradient, so the bound counts only the optimizer's own
// roundings: each rounded float operation adds u |result| (relative error
// <= u), and an error already present is carried through the formula's
// partial derivatives. The checks allow 1% on top for the second-order
// terms (the bounds are ~1e-7 of the values, their squares negligible).
typedef struct {
    double *w, *m, *v;    // weights, first / second moment (velocity in m)
    double *ew, *em, *ev; // error bounds
} optim_oracle;

static void optim_oracle_init(optim_oracle *s, const bp_net *net) {
    size_t P = net->params_floats;
    double **all[] = {&s->w, &s->m, &s->v, &s->ew, &s->em, &s->ev};
    for (int i = 0; i < 6; i++) *all[i] = calloc(P, sizeof(double));
    for (size_t i = 0; i < P; i++) s->w[i] = net->params[i];
}

static void optim_oracle_free(optim_oracle *s) {
    free(s->w), free(s->m), free(s->v), free(s->ew), free(s->em), free(s->ev);
}

// One step (t counts from 1) of optimizer o on every parameter, with the
// documented formulas (backprop.h, README): L2 decay adds wd w to the
// gradient (SGD family, Adam); AdamW shrinks w by (1 - lr wd) instead;
// momentum v = mu v + g, w -= lr v; Nesterov w -= lr (g + mu v); Adam with
// bias-corrected moments.
static void optim_oracle_step(optim_oracle *s, const bp_net *net, const bp_train_options *o,
                              const float *gf, unsigned t) {
    double lr = o->learning_rate, wd = o->weight_decay, mu = o->momentum;
    double b1 = o->beta1, b2 = o->beta2, eps = o->epsilon;
    FOR_EACH_PARAM(net, i, {
        double w = s->w[i], ew = s->ew[i], g = gf[i];
        if (o->optimizer <= BP_OPT_NESTEROV) {
            double gi = g + wd * w, egi = wd * ew + U * (fabs(wd * w) + fabs(gi)), step = gi, es = egi;
            if (o->optimizer != BP_OPT_SGD) {
                double v = mu * s->m[i] + gi;
                s->em[i] = mu * s->em[i] + egi + U * (fabs(mu * s->m[i]) + fabs(v));
                s->m[i] = v;
                if (o->optimizer == BP_OPT_NESTEROV) {
                    step = gi + mu * v;
                    es = egi + mu * s->em[i] + U * (fabs(mu * v) + fabs(step));
                } else {
                    step = v;
                    es = s->em[i];
                }
            }
            double wn = w - lr * step;
            s->ew[i] = ew + lr * es + U * (fabs(lr * step) + fabs(wn));
            s->w[i] = wn;
        } else {
            int decoupled = o->optimizer == BP_OPT_ADAMW;
            double l2 = decoupled ? 0.0 : wd;
            double gi = g + l2 * w, egi = l2 * ew + U * (fabs(l2 * w) + fabs(gi));
            // 1 - beta is exact in float for these betas (checked below).
            double c1 = 1.0 - b1, c2 = 1.0 - b2;
            double m = b1 * s->m[i] + c1 * gi;
            s->em[i] = b1 * s->em[i] + c1 * egi + U * (fabs(b1 * s->m[i]) + fabs(c1 * gi) + fabs(m));
            double v = b2 * s->v[i] + c2 * gi * gi;
            s->ev[i] = b2 * s->ev[i] + c2 * 2.0 * fabs(gi) * egi +
                       U * (fabs(b2 * s->v[i]) + 2.0 * c2 * gi * gi + v);
            s->m[i] = m;
            s->v[i] = v;
            // Bias corrections: the trainer rounds them to float (u), then divides (u).
            double bc1 = 1.0 - pow(b1, t), bc2 = 1.0 - pow(b2, t);
            double mh = m / bc1, emh = s->em[i] / bc1 + 2.0 * U * fabs(mh);
            double vh = v / bc2, evh = s->ev[i] / bc2 + 2.0 * U * vh;
            double sq = sqrt(vh), esq = (sq > 0 ? evh / (2.0 * sq) : sqrt(evh)) + U * sq;
            double den = sq + eps, eden = esq + U * den;
            double num = lr * mh, enum_ = lr * emh + U * fabs(num);
            double step = num / den, es = enum_ / den + fabs(num) * eden / (den * den) + U * fabs(step);
            // shrink = fl(1 - fl(lr wd)): u lr wd + u.
            double shrink = decoupled ? 1.0 - lr * wd : 1.0;
            double esh = decoupled ? U * (lr * wd) + U * shrink : 0.0;
            double wn = w * shrink - step;
            s->ew[i] = ew * shrink + fabs(w) * esh + U * fabs(w * shrink) + es + U * fabs(wn);
            s->w[i] = wn;
        }
    })
}

static void expect_weights(const bp_net *net, const optim_oracle *s, const char *what) {
    int bad = 0;
    FOR_EACH_PARAM(net, i, {
        double tol = s->ew[i] * 1.01 + 0x1p-149;
        if (!(fabs(net->params[i] - s->w[i]) <= tol) && bad++ < 5)
            cr_expect(0, "%s: parameter %zu = %.9g, oracle %.9g (tolerance %.3g)", what, i,
                      (double)net->params[i], s->w[i], tol);
    })
    cr_expect_eq(bad, 0, "%s: %d parameters off", what, bad);
}

// ---------------------------------------------------------------- helpers

static bp_net *make_net(size_t L, const uint32_t *sizes, const bp_act *acts, uint64_t seed) {
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    no.seed = seed;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(L, sizes, acts, &no, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

// n rows of targets for a loss: one-hot rows (softmax), 0/1 (BCE) or values in [-1, 1) (MSE).
static void fill_targets(float *y, size_t n, uint32_t n_out, bp_loss loss, uint64_t seed) {
    bp_test_fill(y, n * n_out, -1.0f, 1.0f, seed);
    for (size_t r = 0; r < n; r++) {
        float *yr = y + r * n_out;
        if (loss == BP_LOSS_SOFTMAX_XENT) {
            size_t hot = (size_t)((yr[0] + 1.0f) * 0.5f * (float)n_out) % n_out;
            for (uint32_t o = 0; o < n_out; o++) yr[o] = o == hot ? 1.0f : 0.0f;
        } else if (loss == BP_LOSS_SIGMOID_BCE) {
            for (uint32_t o = 0; o < n_out; o++) yr[o] = yr[o] > 0.0f ? 1.0f : 0.0f;
        }
    }
}

// ------------------------------------------------------------- optimizers

#define STEPS 4
#define BATCH 8

// STEPS steps of bp_trainer_step on one batch. At each step: the gradient
// and loss against the gradient oracle at the current float weights, then
// the weights against the optimizer oracle.
static void optimizer_matches(bp_optimizer opt, float wd, bp_act hidden, bp_act out_act,
                              bp_loss loss) {
    uint32_t sizes[] = {4, 6, 3};
    bp_act acts[] = {hidden, out_act};
    bp_net *net = make_net(2, sizes, acts, 11 + (uint64_t)opt);
    float x[BATCH * 4], y[BATCH * 3];
    bp_test_fill(x, BATCH * 4, -1.0f, 1.0f, 21);
    fill_targets(y, BATCH, 3, loss, 22);
    bp_train_options o = bp_train_options_default();
    o.loss = loss;
    o.optimizer = opt;
    o.learning_rate = opt >= BP_OPT_ADAM ? 0.01f : 0.1f;
    o.weight_decay = wd;
    o.batch_size = BATCH;
    cr_assert_eq(1.0f - o.beta1, (float)(1.0 - (double)o.beta1));
    cr_assert_eq(1.0f - o.beta2, (float)(1.0 - (double)o.beta2));
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    optim_oracle s;
    optim_oracle_init(&s, net);
    double *gd = calloc(net->params_floats, sizeof(double));
    char what[96];
    for (unsigned t = 1; t <= STEPS; t++) {
        snprintf(what, sizeof what, "%s wd %g %s/%s step %u", bp_optimizer_name(opt), (double)wd,
                 bp_act_name(hidden), bp_loss_name(loss), t);
        double want = oracle_grad(net, loss, x, y, BATCH, NULL, gd, NULL);
        float got;
        cr_assert_eq(bp_trainer_step(tr, x, y, BATCH, &got), BP_STATUS_OK, "%s", bp_last_error());
        double tol = grad_tol(net, gd);
        cr_expect(fabs(got - want) <= tol, "%s: loss %.9g, oracle %.9g", what, (double)got, want);
        const float *g = bp_trainer_gradients(tr);
        expect_grad(net, g, gd, 1.0, tol, what);
        optim_oracle_step(&s, net, &o, g, t);
        expect_weights(net, &s, what);
    }
    free(gd);
    optim_oracle_free(&s);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

// Weight decay 0.1: its term (lr wd |w| ~ 1e-3 per step) is thousands of times the
// tolerance, so dropping or misplacing it fails.
Test(oracle, sgd) {
    optimizer_matches(BP_OPT_SGD, 0.0f, BP_ACT_TANH, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT);
    optimizer_matches(BP_OPT_SGD, 0.1f, BP_ACT_TANH, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT);
}
Test(oracle, momentum) {
    optimizer_matches(BP_OPT_MOMENTUM, 0.0f, BP_ACT_RELU, BP_ACT_SIGMOID, BP_LOSS_SIGMOID_BCE);
    optimizer_matches(BP_OPT_MOMENTUM, 0.1f, BP_ACT_RELU, BP_ACT_SIGMOID, BP_LOSS_SIGMOID_BCE);
}
Test(oracle, nesterov) {
    optimizer_matches(BP_OPT_NESTEROV, 0.0f, BP_ACT_SIGMOID, BP_ACT_IDENTITY, BP_LOSS_MSE);
    optimizer_matches(BP_OPT_NESTEROV, 0.1f, BP_ACT_SIGMOID, BP_ACT_IDENTITY, BP_LOSS_MSE);
}
Test(oracle, adam) {
    optimizer_matches(BP_OPT_ADAM, 0.0f, BP_ACT_GELU, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT);
    optimizer_matches(BP_OPT_ADAM, 0.1f, BP_ACT_LEAKY_RELU, BP_ACT_TANH, BP_LOSS_MSE);
}
Test(oracle, adamw) {
    optimizer_matches(BP_OPT_ADAMW, 0.0f, BP_ACT_TANH, BP_ACT_SIGMOID, BP_LOSS_MSE);
    optimizer_matches(BP_OPT_ADAMW, 0.1f, BP_ACT_STEP, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT);
}

// ------------------------------------------------------- clipping, dropout

// Clipping scales the whole gradient to norm c when its norm is above c.
// Tolerance: the float gradient is within tol (above) of the oracle's per
// entry, so its norm is within sqrt(P) tol of the oracle's norm N, and the
// factor c/N' within (sqrt(P) tol / N + 2u) relatively (its own rounding to
// float, the product's rounding); the clipped entry g (c/N') is then within
// tol c/N + |g| (c/N) (sqrt(P) tol / N + 2u), first order (x 1.01).
static void clipping_case(float clip, int expect_active) {
    uint32_t sizes[] = {4, 6, 3};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = make_net(2, sizes, acts, 31);
    float x[BATCH * 4], y[BATCH * 3];
    bp_test_fill(x, BATCH * 4, -2.0f, 2.0f, 32);
    fill_targets(y, BATCH, 3, BP_LOSS_SOFTMAX_XENT, 33);
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_SGD;
    o.learning_rate = 0.5f;
    o.clip_norm = clip;
    o.batch_size = BATCH;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    optim_oracle s;
    optim_oracle_init(&s, net);
    double *gd = calloc(net->params_floats, sizeof(double));
    oracle_grad(net, BP_LOSS_SOFTMAX_XENT, x, y, BATCH, NULL, gd, NULL);
    double norm = 0.0, gmax = 0.0;
    size_t P = 0;
    FOR_EACH_PARAM(net, i, {
        norm += gd[i] * gd[i];
        gmax = fabs(gd[i]) > gmax ? fabs(gd[i]) : gmax;
        P++;
    })
    norm = sqrt(norm);
    // The case must be what it claims: clipping by a factor < 1/2, or not at all.
    if (expect_active) cr_assert_gt(norm, 2.0 * clip, "gradient norm %g", norm);
    else cr_assert_lt(norm, 0.5 * clip, "gradient norm %g", norm);
    double scale = norm > clip ? clip / norm : 1.0;
    double tol = grad_tol(net, gd);
    double tol_c = (tol * scale + gmax * scale * (sqrt((double)P) * tol / norm + 2.0 * U)) * 1.01;
    cr_assert_eq(bp_trainer_step(tr, x, y, BATCH, NULL), BP_STATUS_OK, "%s", bp_last_error());
    const float *g = bp_trainer_gradients(tr); // scaled in place by the clipping
    expect_grad(net, g, gd, scale, tol_c, expect_active ? "clipped gradient" : "unclipped gradient");
    optim_oracle_step(&s, net, &o, g, 1);
    expect_weights(net, &s, "update with clipping");
    free(gd);
    optim_oracle_free(&s);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

Test(oracle, gradient_clipping) {
    clipping_case(0.05f, 1);
    clipping_case(1000.0f, 0);
}

// Dropout: the forward pass scales kept units by 1/(1-p) and the backward
// pass applies the same mask; two hidden layers, two steps (the mask
// changes with the step). The oracle takes the mask from the documented
// hash; the loss and every gradient entry must match it (tolerance as for
// any gradient: dropout's scale 2 is in S).
Test(oracle, dropout_mask_and_scale) {
    uint32_t sizes[] = {4, 16, 16, 3};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net = make_net(3, sizes, acts, 41);
    float x[BATCH * 4], y[BATCH * 3];
    bp_test_fill(x, BATCH * 4, -1.0f, 1.0f, 42);
    fill_targets(y, BATCH, 3, BP_LOSS_SOFTMAX_XENT, 43);
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_SGD;
    o.learning_rate = 0.1f;
    o.dropout = 0.5f;
    o.seed = 44;
    o.batch_size = BATCH;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    double *gd = calloc(net->params_floats, sizeof(double));
    for (uint64_t step = 0; step < 2; step++) {
        oracle_dropout dr = {o.dropout, o.seed, step};
        size_t kept;
        double want = oracle_grad(net, BP_LOSS_SOFTMAX_XENT, x, y, BATCH, &dr, gd, &kept);
        // Some units dropped, some kept (2 x 8 x 16 = 256 draws at p = 1/2).
        cr_assert(kept > 64 && kept < 192, "%zu of 256 units kept", kept);
        float got;
        cr_assert_eq(bp_trainer_step(tr, x, y, BATCH, &got), BP_STATUS_OK, "%s", bp_last_error());
        double tol = grad_tol(net, gd);
        cr_expect(fabs(got - want) <= tol, "step %llu: loss %.9g, oracle with dropout %.9g",
                  (unsigned long long)step, (double)got, want);
        expect_grad(net, bp_trainer_gradients(tr), gd, 1.0, tol, "dropout");
    }
    free(gd);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

// ----------------------------------------------------------- partial batch

// 11 rows in batches of 4, unshuffled: the last batch is rows 8-10, and its
// gradient is the mean over those 3 rows (not over 4). The progress
// callback snapshots the weights before each batch; the epoch's loss is the
// row-weighted mean of the three batches' losses.
typedef struct {
    bp_net *net;
    float *snap[3];
} snapshots;

static int snap_weights(const bp_progress *p, void *user) {
    snapshots *s = user;
    if (!p->epoch_end && p->batch < 3)
        memcpy(s->snap[p->batch], s->net->params, s->net->params_floats * sizeof(float));
    return 0;
}

Test(oracle, partial_last_batch) {
    uint32_t sizes[] = {3, 5, 4};
    bp_act acts[] = {BP_ACT_SIGMOID, BP_ACT_SOFTMAX};
    bp_net *net = make_net(2, sizes, acts, 51);
    enum { N = 11 };
    float x[N * 3], y[N * 4];
    int32_t labels[N];
    bp_test_fill(x, N * 3, -1.0f, 1.0f, 52);
    for (int i = 0; i < N; i++) {
        labels[i] = (i * 7) % 4;
        for (int o = 0; o < 4; o++) y[i * 4 + o] = o == labels[i] ? 1.0f : 0.0f;
    }
    bp_data d = {N, 3, x, 4, labels, 0, NULL};
    snapshots s = {net, {NULL}};
    for (int b = 0; b < 3; b++) s.snap[b] = malloc(net->params_floats * sizeof(float));
    memcpy(s.snap[0], net->params, net->params_floats * sizeof(float));
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_SGD;
    o.learning_rate = 0.5f;
    o.batch_size = 4;
    o.shuffle = 0;
    o.progress = snap_weights;
    o.progress_user = &s;
    o.progress_every = 1;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    double loss;
    cr_assert_eq(bp_trainer_run_epoch(tr, &d, &loss), BP_STATUS_OK, "%s", bp_last_error());
    // Oracle of the three batches, each at the weights it started from.
    double *gd = calloc(net->params_floats, sizeof(double)), want = 0.0, tol_loss = 0.0;
    float *final = malloc(net->params_floats * sizeof(float));
    memcpy(final, net->params, net->params_floats * sizeof(float));
    for (int b = 0; b < 3; b++) {
        size_t r0 = 4 * (size_t)b, n = b < 2 ? 4 : 3;
        memcpy(net->params, s.snap[b], net->params_floats * sizeof(float));
        want += oracle_grad(net, BP_LOSS_SOFTMAX_XENT, x + r0 * 3, y + r0 * 4, n, NULL, gd, NULL) * (double)n;
        tol_loss += grad_tol(net, gd) * (double)n;
    }
    want /= N;
    tol_loss /= N;
    cr_expect(fabs(loss - want) <= tol_loss, "epoch loss %.9g, row-weighted oracle %.9g", loss, want);
    // gd now holds the last batch's gradient (rows 8-10, divided by 3).
    expect_grad(net, bp_trainer_gradients(tr), gd, 1.0, grad_tol(net, gd), "last partial batch");
    memcpy(net->params, final, net->params_floats * sizeof(float));
    for (int b = 0; b < 3; b++) free(s.snap[b]);
    free(final);
    free(gd);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

// --------------------------------------------------------------- schedules

typedef struct {
    int n;
    double lr[32], val_loss[32];
    bp_net *net;
    float *weights[32]; // at each epoch end, when net is set
} epoch_trace;

static int trace_epochs(const bp_progress *p, void *user) {
    epoch_trace *t = user;
    if (!p->epoch_end || t->n >= 32) return 0;
    t->lr[t->n] = p->lr;
    t->val_loss[t->n] = p->val_loss;
    if (t->net) {
        t->weights[t->n] = malloc(t->net->params_floats * sizeof(float));
        memcpy(t->weights[t->n], t->net->params, t->net->params_floats * sizeof(float));
    }
    t->n++;
    return 0;
}

static void trace_free(epoch_trace *t) {
    for (int i = 0; i < t->n; i++) free(t->weights[i]);
}

// The documented rates (backprop.h): warm-up epoch e < w uses
// lr (e+1)/(w+1); then, with k = e - w and span = epochs - w, step
// multiplies by gamma every lr_step_epochs, cosine is
// lr_min + (lr - lr_min)(1 + cos(pi k / span))/2.
static double oracle_lr(const bp_train_options *o, uint32_t e) {
    double lr = o->learning_rate;
    if (e < o->warmup_epochs) return lr * (e + 1) / (o->warmup_epochs + 1);
    double k = e - o->warmup_epochs, span = o->epochs - o->warmup_epochs;
    if (o->lr_schedule == BP_LR_STEP) return lr * pow(o->lr_gamma, floor(k / o->lr_step_epochs));
    if (o->lr_schedule == BP_LR_COSINE)
        return o->lr_min + (lr - o->lr_min) * 0.5 * (1.0 + cos(PI * k / span));
    return lr;
}

// The trainer computes each rate in double and rounds it to float once:
// |reported - exact| <= u |exact| (+ 2^-40 relative for the double
// arithmetic, far below).
static void schedule_case(bp_lr_schedule sched, uint32_t epochs, uint32_t warmup, float lr_min,
                          uint32_t step_epochs, float gamma) {
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("xor", 0, &ds), BP_STATUS_OK);
    uint32_t sizes[] = {2, 3, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = make_net(2, sizes, acts, 61);
    bp_train_options o = bp_train_options_default();
    o.learning_rate = 0.1f;
    o.epochs = epochs;
    o.lr_schedule = sched;
    o.warmup_epochs = warmup;
    o.lr_min = lr_min;
    o.lr_step_epochs = step_epochs;
    o.lr_gamma = gamma;
    epoch_trace t = {0};
    o.progress = trace_epochs;
    o.progress_user = &t;
    cr_assert_eq(bp_train(net, &ds.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(t.n, (int)epochs);
    for (uint32_t e = 0; e < epochs; e++) {
        double want = oracle_lr(&o, e);
        cr_expect(fabs(t.lr[e] - want) <= U * want * (1.0 + 0x1p-40),
                  "schedule %d warm-up %u lr_min %g: epoch %u lr %.9g, expected %.9g", (int)sched,
                  warmup, (double)lr_min, e, t.lr[e], want);
    }
    bp_net_destroy(net);
    bp_dataset_free(&ds);
}

Test(oracle, learning_rate_schedules) {
    schedule_case(BP_LR_CONSTANT, 4, 0, 0.0f, 10, 0.1f);
    schedule_case(BP_LR_CONSTANT, 5, 2, 0.0f, 10, 0.1f);
    schedule_case(BP_LR_STEP, 7, 0, 0.0f, 2, 0.5f);
    schedule_case(BP_LR_STEP, 9, 2, 0.0f, 3, 0.3f);
    schedule_case(BP_LR_COSINE, 6, 0, 0.01f, 10, 0.1f);
    schedule_case(BP_LR_COSINE, 9, 3, 0.02f, 10, 0.1f);
}

// ----------------------------------------------------------- early stopping

// Validation data that training provably makes worse: the training rows
// with every label flipped (two classes). Training lowers the training
// loss, i.e. raises the margin of the true class, which is exactly what the
// flipped copy's loss penalises; the test asserts the resulting validation
// curve rather than assuming it.
static void flipped_copy(const bp_dataset *src, bp_dataset *dst, int32_t *labels) {
    *dst = *src;
    for (size_t i = 0; i < src->d.n; i++) labels[i] = 1 - src->d.labels[i];
    dst->d.labels = labels;
}

Test(oracle, early_stopping_restores_best_when_epochs_run_out) {
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("spirals", 200, &ds), BP_STATUS_OK);
    int32_t flipped[200];
    bp_dataset val;
    flipped_copy(&ds, &val, flipped);
    uint32_t sizes[] = {2, 16, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = make_net(2, sizes, acts, 71);
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_ADAM;
    o.learning_rate = 0.01f;
    o.batch_size = 32;
    o.epochs = 6;
    o.patience = 50; // never reached: the epoch limit ends the run
    o.validation = &val.d;
    epoch_trace t = {0};
    t.net = net;
    o.progress = trace_epochs;
    o.progress_user = &t;
    cr_assert_eq(bp_train(net, &ds.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(t.n, 6, "the run must go to the epoch limit");
    int best = 0;
    for (int i = 1; i < t.n; i++)
        if (t.val_loss[i] < t.val_loss[best]) best = i;
    cr_assert_lt(best, t.n - 1, "precondition: the best epoch (%d) is not the last", best + 1);
    cr_expect_eq(memcmp(net->params, t.weights[best], net->params_floats * sizeof(float)), 0,
                 "the weights are not those of the best epoch %d", best + 1);
    cr_expect_neq(memcmp(net->params, t.weights[t.n - 1], net->params_floats * sizeof(float)), 0);
    trace_free(&t);
    bp_net_destroy(net);
    bp_dataset_free(&ds);
}

// --------------------------------------------------------------- shuffling

// The permutation is observable through the progress callback: a 1-1
// identity network with inputs 0, targets y_i = i, batch 1 and a learning
// rate too small to move the weights visibly (each step changes the bias by
// 2e-30 i) has row loss i^2 exactly (in float, for i < 4096), and the
// running mean after b batches gives the b-th row's loss.
typedef struct {
    size_t n, seen;
    double prev_sum;
    size_t *pos; // pos[epoch * n + position] = row
    uint32_t epoch;
    int bad;
} order_trace;

static int record_order(const bp_progress *p, void *user) {
    order_trace *t = user;
    if (p->epoch_end) return 0;
    double sum = p->loss * (double)p->batch; // sum of row losses so far
    double row_loss = nearbyint(sum - t->prev_sum);
    t->prev_sum = nearbyint(sum);
    double r = nearbyint(sqrt(row_loss));
    if (r * r != row_loss || r >= (double)t->n) t->bad++;
    else t->pos[(size_t)t->epoch * t->n + p->batch - 1] = (size_t)r;
    return 0;
}

Test(oracle, shuffle_is_uniform) {
    enum { N = 8, EPOCHS = 2000 };
    uint32_t sizes[] = {1, 1};
    bp_act acts[] = {BP_ACT_IDENTITY};
    bp_net *net = make_net(1, sizes, acts, 81);
    net->params[0] = 0.0f; // the weight (inputs are 0 anyway)
    *bp_net_bias(net, 0) = 0.0f;
    float x[N] = {0}, tg[N];
    for (int i = 0; i < N; i++) tg[i] = (float)i;
    bp_data d = {N, 1, x, 0, NULL, 1, tg};
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE;
    o.optimizer = BP_OPT_SGD;
    o.learning_rate = 1e-30f;
    o.batch_size = 1;
    o.n_threads = 1;
    o.seed = 82;
    order_trace t = {N, 0, 0.0, calloc((size_t)EPOCHS * N, sizeof(size_t)), 0, 0};
    o.progress = record_order;
    o.progress_user = &t;
    o.progress_every = 1;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    static unsigned counts[N][N]; // [row][position]
    memset(counts, 0, sizeof counts);
    for (t.epoch = 0; t.epoch < EPOCHS; t.epoch++) {
        t.prev_sum = 0.0;
        double loss;
        cr_assert_eq(bp_trainer_run_epoch(tr, &d, &loss), BP_STATUS_OK, "%s", bp_last_error());
        // The callback saw the first N-1 rows; the last is the one missing,
        // and the epoch's mean loss confirms it.
        size_t *pos = t.pos + (size_t)t.epoch * N, seen_mask = 0;
        for (int p = 0; p < N - 1; p++) seen_mask |= (size_t)1 << pos[p];
        cr_assert_eq(__builtin_popcountll(seen_mask), N - 1, "epoch %u is not a permutation", t.epoch);
        pos[N - 1] = (size_t)__builtin_ctzll(~seen_mask);
        cr_assert_eq(nearbyint(loss * N), 140.0, "epoch loss %g: rows' losses must sum to 0+1+4+..+49", loss);
        for (int p = 0; p < N; p++) counts[pos[p]][p]++;
    }
    cr_assert_eq(t.bad, 0, "%d batches whose loss is not a row's", t.bad);
    // Pearson's statistic of the row x position table. Under uniform
    // permutations it is asymptotically chi-square with (N-1)^2 = 49 degrees
    // of freedom; the Laurent-Massart bound P(X >= k + 2 sqrt(k x) + 2x) <=
    // e^-x with k = 49, x = 20 gives 49 + 62.6 + 40 = 151.6 at a false-alarm
    // probability of 2e-9. (The run is deterministic: this seed passes or
    // fails always; the bound says a correct shuffle passes for all but a
    // 2e-9 share of seeds.) Biased shuffles are far off: Sattolo's variant
    // (j < i) never leaves a row in place (8 empty diagonal cells add 2000),
    // no shuffle puts everything on the diagonal.
    double expected = (double)EPOCHS / N, chi2 = 0.0;
    for (int r = 0; r < N; r++)
        for (int p = 0; p < N; p++) chi2 += (counts[r][p] - expected) * (counts[r][p] - expected) / expected;
    cr_expect_lt(chi2, 151.6, "row-by-position chi-square %.1f over %d epochs", chi2, EPOCHS);
    // Consecutive epochs differ (the generator is not re-seeded per epoch).
    int same = 0;
    for (int e = 1; e < EPOCHS; e++)
        same += memcmp(t.pos + (size_t)e * N, t.pos + (size_t)(e - 1) * N, N * sizeof(size_t)) == 0;
    cr_expect_lt(same, 5, "%d epochs repeated the previous order", same);
    free(t.pos);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

// -------------------------------------------------------- validation split

// bp_data_split documents: a seeded shuffle (Fisher-Yates with the
// library's generator from `seed`), then the last floor(n fraction) rows of
// the shuffled order are the validation part, in that order.
Test(oracle, validation_split_rows) {
    enum { N = 50 };
    float x[N];
    int32_t labels[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)i;
        labels[i] = i % 3;
    }
    bp_data all = {N, 1, x, 3, labels, 0, NULL};
    bp_dataset tr, va;
    cr_assert_eq(bp_data_split(&all, 0.3f, 7, &tr, &va), BP_STATUS_OK, "%s", bp_last_error());
    size_t n_val = (size_t)floor(N * (double)0.3f);
    cr_assert_eq(va.d.n, n_val);
    cr_assert_eq(tr.d.n, N - n_val);
    size_t order[N];
    for (size_t i = 0; i < N; i++) order[i] = i;
    bp_rng rng;
    bp_rng_seed(&rng, 7);
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = (size_t)bp_rng_below(&rng, i + 1), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (size_t i = 0; i < N; i++) {
        const bp_dataset *part = i < N - n_val ? &tr : &va;
        size_t r = i < N - n_val ? i : i - (N - n_val);
        cr_expect_eq(part->d.x[r], (float)order[i], "%s row %zu is row %g, expected %zu",
                     part == &tr ? "training" : "validation", r, (double)part->d.x[r], order[i]);
        cr_expect_eq(part->d.labels[r], labels[order[i]]);
    }
    bp_dataset_free(&tr);
    bp_dataset_free(&va);
}

// ------------------------------------------------------------- checkpoints

// A checkpoint resumes only into a trainer with the same optimizer, even
// when the state has the same size (momentum/Nesterov, Adam/AdamW), and a
// refused resume leaves the network untouched.
Test(oracle, checkpoint_optimizer_must_match) {
    const bp_optimizer pairs[][2] = {{BP_OPT_MOMENTUM, BP_OPT_NESTEROV}, {BP_OPT_NESTEROV, BP_OPT_MOMENTUM},
                                     {BP_OPT_ADAM, BP_OPT_ADAMW},       {BP_OPT_ADAMW, BP_OPT_ADAM},
                                     {BP_OPT_SGD, BP_OPT_MOMENTUM},     {BP_OPT_ADAM, BP_OPT_SGD}};
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("xor", 0, &ds), BP_STATUS_OK);
    uint32_t sizes[] = {2, 4, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    char path[] = "/tmp/bp_oracle_ckpt_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        bp_net *a = make_net(2, sizes, acts, 91), *b = make_net(2, sizes, acts, 92);
        bp_train_options oa = bp_train_options_default(), ob = oa;
        oa.optimizer = pairs[i][0];
        ob.optimizer = pairs[i][1];
        bp_trainer *ta = NULL, *tb = NULL;
        cr_assert_eq(bp_trainer_create(a, &oa, &ta), BP_STATUS_OK);
        double loss;
        cr_assert_eq(bp_trainer_run_epoch(ta, &ds.d, &loss), BP_STATUS_OK);
        cr_assert_eq(bp_trainer_save_checkpoint(ta, path), BP_STATUS_OK, "%s", bp_last_error());
        cr_assert_eq(bp_trainer_create(b, &ob, &tb), BP_STATUS_OK);
        float before[64];
        cr_assert_leq(b->params_floats, 64u);
        memcpy(before, b->params, b->params_floats * sizeof(float));
        cr_expect_eq(bp_trainer_resume(tb, path), BP_STATUS_INVALID_ARGUMENT, "%s checkpoint into %s",
                     bp_optimizer_name(pairs[i][0]), bp_optimizer_name(pairs[i][1]));
        cr_expect(strstr(bp_last_error(), bp_optimizer_name(pairs[i][0])) &&
                      strstr(bp_last_error(), bp_optimizer_name(pairs[i][1])),
                  "the message names both optimizers: %s", bp_last_error());
        cr_expect_eq(memcmp(before, b->params, b->params_floats * sizeof(float)), 0,
                     "a refused resume changed the weights");
        cr_expect_eq(bp_trainer_epoch(tb), 0);
        bp_trainer_destroy(ta);
        bp_trainer_destroy(tb);
        bp_net_destroy(a);
        bp_net_destroy(b);
    }
    remove(path);
    bp_dataset_free(&ds);
}
