// SPDX-License-Identifier: MIT
// backprop: train multi-layer perceptrons by backpropagation on the CPU.
//
// The public API. Every name is prefixed bp_ / BP_. Handles are opaque;
// every call that can fail returns a bp_status and leaves a thread-local
// message in bp_last_error(). The library never prints and never exits.
/** @file backprop.h
 *  The public API of backprop: networks, data sets, training, prediction,
 *  model files. Every name is prefixed bp_ / BP_. Handles (bp_net,
 *  bp_trainer) are opaque. Every call that can fail returns a bp_status and
 *  leaves a message for bp_last_error() on the calling thread; the library
 *  never prints, exits or aborts.
 *
 *  Thread safety, unless a function says otherwise: functions without a
 *  handle are thread-safe; calls on different handles are independent; a
 *  bp_net may be read (predict, evaluate, save, the accessors) by many
 *  threads at once, but nothing may read it while another call changes it
 *  (training, setting scaling or names, writing through bp_net_weights);
 *  a bp_trainer is used by one thread at a time.
 *
 *  Ownership: what a bp_*_create, bp_*_load or bp_*_clone call returns
 *  belongs to the caller and is freed with the matching bp_*_destroy or
 *  bp_dataset_free; pointers a function returns into a handle stay valid
 *  for that handle's life unless it says otherwise; strings returned are
 *  static or owned by the library. */
#ifndef BACKPROP_H
#define BACKPROP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks the library's exported functions (visibility "default" with GCC
 *  and Clang; the library is built with -fvisibility=hidden). */
#if defined(_WIN32)
#define BP_API __declspec(dllexport)
#elif defined(__GNUC__)
#define BP_API __attribute__((visibility("default")))
#else
#define BP_API
#endif

/** Marks functions whose returned status must be checked. */
#if defined(__GNUC__)
#define BP_NODISCARD __attribute__((warn_unused_result))
#else
#define BP_NODISCARD
#endif

/* The three numbers below are the one place the version is written: CMake
   reads them for the project version, the SONAME, backprop.pc and the CMake
   package version. */
/** Major version of these headers. */
#define BP_VERSION_MAJOR 0
/** Minor version (before 1.0 a minor version may break the ABI). */
#define BP_VERSION_MINOR 1
/** Patch version. */
#define BP_VERSION_PATCH 0
/** @cond INTERNAL */
#define BP_STRINGIFY_(x) #x
#define BP_VERSION_JOIN_(a, b, c) BP_STRINGIFY_(a) "." BP_STRINGIFY_(b) "." BP_STRINGIFY_(c)
/** @endcond */
/** "MAJOR.MINOR.PATCH" of these headers; bp_version() gives the library's. */
#define BP_VERSION_STRING BP_VERSION_JOIN_(BP_VERSION_MAJOR, BP_VERSION_MINOR, BP_VERSION_PATCH)

/** Most classes a data file may declare: labels run from 0 to
 *  BP_MAX_CLASSES - 1. Loaders also refuse a largest label that the rows
 *  cannot justify (see bp_data_load_csv). */
#define BP_MAX_CLASSES 65536u

/** Status codes returned by every fallible call. */
typedef enum bp_status {
    BP_STATUS_OK = 0,
    BP_STATUS_INVALID_ARGUMENT, /**< NULL handle, bad size, unknown name … */
    BP_STATUS_INVALID_STATE,    /**< call not valid for the object's state */
    BP_STATUS_OUT_OF_MEMORY,    /**< allocation failed or size overflowed */
    BP_STATUS_INVALID_ISA,      /**< unknown instruction-set name */
    BP_STATUS_UNSUPPORTED_ISA,  /**< ISA not compiled in or not on this CPU */
    BP_STATUS_IO_ERROR,         /**< open/read/write/rename failed */
    BP_STATUS_FORMAT_ERROR,     /**< malformed file or record */
    BP_STATUS_NUMERIC_ERROR,    /**< NaN/Inf in inputs, targets or loss */
    BP_STATUS_STOPPED,          /**< the progress callback asked to stop */
} bp_status;

/** Activations. SOFTMAX is allowed on the output layer only, over 2 or more units.
 *  STEP outputs 1 for x > 0 and 0 otherwise; its derivative is zero almost
 *  everywhere, so training uses the straight-through gradient (derivative
 *  taken as 1). With one STEP layer and MSE this is the perceptron rule:
 *  w += lr * (y - step(w·x + b)) * x. */
typedef enum bp_act {
    BP_ACT_IDENTITY = 0,
    BP_ACT_STEP,
    BP_ACT_SIGMOID,
    BP_ACT_TANH,
    BP_ACT_RELU,
    BP_ACT_LEAKY_RELU, /**< x for x > 0, alpha*x otherwise (alpha 0.01) */
    BP_ACT_GELU,       /**< exact: 0.5 x (1 + erf(x / sqrt 2)) */
    BP_ACT_SOFTMAX,
    BP_ACT_COUNT
} bp_act;

/** Losses. Each is a per-row loss averaged (mean) over the rows of a batch
 *  or data set; how a row's outputs are reduced differs, and matters when
 *  comparing with other libraries:
 *  - MSE: the mean over outputs, (1/n_out) sum_j (a_j - y_j)^2 — the same
 *    as PyTorch's MSELoss(reduction='mean').
 *  - SOFTMAX_XENT: -sum_j y_j log softmax(z)_j, one term per row (y one-hot
 *    for labels) — PyTorch's CrossEntropyLoss(reduction='mean').
 *  - SIGMOID_BCE: the SUM over outputs of the binary cross-entropy,
 *    sum_j [log(1 + e^z_j) - z_j y_j] — n_out times PyTorch's
 *    BCEWithLogitsLoss(reduction='mean'), which averages over outputs too
 *    (equal for one output, the usual case; with several outputs use an
 *    n_out times smaller learning rate to match PyTorch's steps). */
typedef enum bp_loss {
    BP_LOSS_MSE = 0,       /**< mean over rows of sum_j (a_j - y_j)^2 / n_out */
    BP_LOSS_SOFTMAX_XENT,  /**< softmax fused with cross-entropy (takes logits);
                                needs a SOFTMAX output layer */
    BP_LOSS_SIGMOID_BCE,   /**< sigmoid fused with binary cross-entropy, summed
                                over outputs; needs a SIGMOID output layer */
    BP_LOSS_COUNT
} bp_loss;

/** Optimizers (bp_train_options.optimizer); see bp_f32_sgd_fn and
 *  bp_f32_adam_fn in backprop_kernels.h for the exact update formulas. */
typedef enum bp_optimizer {
    BP_OPT_SGD = 0,
    BP_OPT_MOMENTUM,
    BP_OPT_NESTEROV,
    BP_OPT_ADAM,
    BP_OPT_ADAMW, /**< Adam with decoupled weight decay */
    BP_OPT_COUNT
} bp_optimizer;

/** Kernel sets (instruction sets). AUTO picks the best one the CPU has,
 *  or the one named by the BP_ISA environment variable. */
typedef enum bp_isa {
    BP_ISA_AUTO = 0,
    BP_ISA_SCALAR,
    BP_ISA_AVX2, /**< AVX2 and FMA3 */
    BP_ISA_AVX512, /**< AVX-512F */
    BP_ISA_NEON, /**< AArch64 Advanced SIMD */
    BP_ISA_COUNT
} bp_isa;

/** Learning-rate schedules (bp_train_options.lr_schedule), applied per
 *  epoch after the warm-up epochs. */
typedef enum bp_lr_schedule {
    BP_LR_CONSTANT = 0,
    BP_LR_STEP,   /**< multiply by lr_gamma every lr_step_epochs epochs */
    BP_LR_COSINE, /**< cosine decay from lr to lr_min over all epochs */
} bp_lr_schedule;

/** Weight initialisation (bp_net_options.init). Every scheme draws weights
 *  uniformly from [-b, b]; fan_in and fan_out are the layer's input and
 *  output widths. A uniform in [-b, b] has mean 0 and variance b^2/3.
 *  Biases are uniform in +-1/sqrt(fan_in) under every scheme (zero biases
 *  keep a net of odd activations odd, and on point-symmetric data training
 *  then stalls). */
typedef enum bp_init {
    BP_INIT_AUTO = 0, /**< HE for relu/leaky_relu/gelu layers, GLOROT otherwise */
    BP_INIT_HE,       /**< b = sqrt(6 / fan_in)             (variance 2/fan_in) */
    BP_INIT_GLOROT,   /**< b = sqrt(6 / (fan_in + fan_out)) (variance 2/(fan_in+fan_out)) */
    BP_INIT_LECUN,    /**< b = sqrt(3 / fan_in)             (variance 1/fan_in) */
    BP_INIT_TORCH,    /**< b = 1 / sqrt(fan_in): PyTorch's nn.Linear default
                           for weights and biases (variance 1/(3 fan_in)) */
    BP_INIT_COUNT
} bp_init;

/** Per-column scaling kinds (bp_scaling_fit, bp_net_set_input_scaling).
 *  Every kind maps a value v of column j to (v - offset[j]) / scale[j]. */
typedef enum bp_scale {
    BP_SCALE_NONE = 0, /**< offset 0, scale 1 */
    BP_SCALE_STANDARD, /**< offset = mean, scale = population std (std 0 -> 1) */
    BP_SCALE_MINMAX,   /**< offset = min, scale = max - min (0 -> 1): maps to [0, 1] */
    BP_SCALE_COUNT
} bp_scale;

/** Arithmetic of training's matrix products (bp_train_options.precision).
 *  BP_PRECISION_BF16: the inputs of every matrix product of a training step
 *  (activations, weights, output gradients; forward, data gradient and
 *  weight gradient) are rounded to bfloat16 (round to nearest even; zero
 *  and denormal inputs become zero, as AVX512-BF16's conversion does) and
 *  the products are accumulated in float32, each pair of depths (0,1),
 *  (2,3), ... adding its odd term first, as vdpbf16ps does. Master weights, optimizer
 *  state, biases, losses, activation functions and their derivatives stay
 *  float32, as do saved models and prediction/evaluation. Runs on
 *  AVX512-BF16's vdpbf16ps or Arm FEAT_BF16's BFMMLA where the CPU has
 *  it (bp_kernel_table's bf16_kernels says which), elsewhere as the same rounding followed by
 *  float32 FMAs (the same semantics, at float32 speed). The products are
 *  bit-identical on every kernel set but BFMMLA's (which rounds to odd),
 *  vdpbf16ps included (bar sums below 2^-126, which it flushes to zero).
 *  Weights are bit-identical for any thread count in either precision. */
typedef enum bp_precision {
    BP_PRECISION_FP32 = 0, /**< default: float32 products */
    BP_PRECISION_BF16,     /**< bfloat16 inputs, float32 accumulation */
    BP_PRECISION_COUNT
} bp_precision;

/** A network: layer shapes, activations, weights, scaling, class names.
 *  Opaque; created by bp_net_create / bp_net_load / bp_net_clone, freed by
 *  bp_net_destroy. */
typedef struct bp_net bp_net;
/** A trainer: options, optimizer state and the workspace of one network.
 *  Opaque; created by bp_trainer_create, freed by bp_trainer_destroy. */
typedef struct bp_trainer bp_trainer;

/* ---------------------------------------------------------------- status */

/** A constant English phrase for a status ("invalid argument").
 *  @param status any value
 *  @return a static string ("unknown status" for values outside the enum).
 *  Thread-safe. */
BP_API const char *bp_status_string(bp_status status);
/** The message of the last failed call on this thread.
 *  @return a thread-local string ("" if no call has failed), valid until
 *  the next failing call on the thread; do not free it. */
BP_API const char *bp_last_error(void);
/** The library's version, "MAJOR.MINOR.PATCH" (BP_VERSION_STRING of the
 *  headers it was built with). Compare with BP_VERSION_STRING to detect a
 *  header/library mismatch.
 *  @return a static string. Thread-safe. */
BP_API const char *bp_version(void);

/* ----------------------------------------------------------------- names */

/** The lower-case name of a value ("relu"), as the *_from_name parser takes it.
 *  @param act the value
 *  @return a static string; "?" when out of range. Thread-safe. */
BP_API const char *bp_act_name(bp_act act);
/** The lower-case name of a value ("softmax_xent"), as the *_from_name parser takes it.
 *  @param loss the value
 *  @return a static string; "?" when out of range. Thread-safe. */
BP_API const char *bp_loss_name(bp_loss loss);
/** The lower-case name of a value ("adamw"), as the *_from_name parser takes it.
 *  @param opt the value
 *  @return a static string; "?" when out of range. Thread-safe. */
BP_API const char *bp_optimizer_name(bp_optimizer opt);
/** The lower-case name of a value ("bf16"), as the *_from_name parser takes it.
 *  @param precision the value
 *  @return a static string; "?" when out of range. Thread-safe. */
BP_API const char *bp_precision_name(bp_precision precision);
/** Parse a bp_act name (identity, step, sigmoid, tanh, relu, leaky_relu, gelu, softmax); case-insensitive, '-' and '_' alike.
 *  @param name the name (NULL is an unknown name)
 *  @param out receives the value on success
 *  @retval BP_STATUS_OK parsed
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists the
 *          valid ones and the nearest) or NULL out
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_act_from_name(const char *name, bp_act *out);
/** Parse a bp_loss name (mse, softmax_xent, sigmoid_bce); case-insensitive, '-' and '_' alike.
 *  @param name the name (NULL is an unknown name)
 *  @param out receives the value on success
 *  @retval BP_STATUS_OK parsed
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists the
 *          valid ones and the nearest) or NULL out
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_loss_from_name(const char *name, bp_loss *out);
/** Parse a bp_optimizer name (sgd, momentum, nesterov, adam, adamw); case-insensitive, '-' and '_' alike.
 *  @param name the name (NULL is an unknown name)
 *  @param out receives the value on success
 *  @retval BP_STATUS_OK parsed
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists the
 *          valid ones and the nearest) or NULL out
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_optimizer_from_name(const char *name, bp_optimizer *out);
/** The lower-case name of a value ("glorot"), as the *_from_name parser takes it.
 *  @param init the value
 *  @return a static string; "?" when out of range. Thread-safe. */
BP_API const char *bp_init_name(bp_init init);
/** The lower-case name of a value ("minmax"), as the *_from_name parser takes it.
 *  @param scale the value
 *  @return a static string; "?" when out of range. Thread-safe. */
BP_API const char *bp_scale_name(bp_scale scale);
/** Parse a bp_init name (auto, he, glorot, lecun, torch); case-insensitive, '-' and '_' alike.
 *  @param name the name (NULL is an unknown name)
 *  @param out receives the value on success
 *  @retval BP_STATUS_OK parsed
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists the
 *          valid ones and the nearest) or NULL out
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_init_from_name(const char *name, bp_init *out);
/** Parse a bp_scale name (none, standard, minmax); case-insensitive, '-' and '_' alike.
 *  @param name the name (NULL is an unknown name)
 *  @param out receives the value on success
 *  @retval BP_STATUS_OK parsed
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists the
 *          valid ones and the nearest) or NULL out
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_scale_from_name(const char *name, bp_scale *out);
/** Parse "fp32" (also "float32", "f32") or "bf16" ("bfloat16"), case-insensitive.
 *  @param name the name (NULL is an unknown name)
 *  @param out receives the precision on success
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists the valid ones)
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_precision_from_name(const char *name, bp_precision *out);

/* -------------------------------------------------------------- ISA info */

/** The lower-case name of a value ("avx2"), as the *_from_name parser takes it.
 *  @param isa the value
 *  @return a static string; "?" when out of range. Thread-safe. */
BP_API const char *bp_isa_name(bp_isa isa);
/** Parse "scalar", "avx2", "avx512", "neon" or "auto" (case-insensitive).
 *  @param name the name
 *  @param out receives the ISA on success
 *  @retval BP_STATUS_OK parsed
 *  @retval BP_STATUS_INVALID_ISA unknown name
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_isa_from_name(const char *name, bp_isa *out);
/** Whether a kernel set was compiled into this build.
 *  @param isa the set
 *  @return 1 if compiled in, else 0. Thread-safe. */
BP_API int bp_isa_compiled(bp_isa isa);
/** Whether a kernel set is compiled in and this CPU (and OS) can run it.
 *  @param isa the set
 *  @return 1 if usable here, else 0. Thread-safe. */
BP_API int bp_isa_supported(bp_isa isa);
/** The ISA a request resolves to: AUTO gives the BP_ISA environment
 *  variable's choice if set, else the best supported set; any other value
 *  must be compiled in and supported.
 *  @param requested the set asked for
 *  @param out receives the resolved set (never AUTO)
 *  @retval BP_STATUS_OK resolved
 *  @retval BP_STATUS_INVALID_ISA BP_ISA names no ISA, or requested is out of range
 *  @retval BP_STATUS_UNSUPPORTED_ISA the set is not compiled in or this CPU lacks it
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_isa_resolve(bp_isa requested, bp_isa *out);
/** The CPU features the kernels care about, comma-separated
 *  ("sse2,avx,avx2,fma").
 *  @return a static string. Thread-safe. */
BP_API const char *bp_cpu_features(void);

/* --------------------------------------------------------------- network */

/** Options of bp_net_create and bp_net_load; start from
 *  bp_net_options_default(). */
typedef struct bp_net_options {
    bp_isa isa;          /**< kernel set; AUTO by default */
    uint64_t seed;       /**< weight-initialisation seed */
    float leaky_alpha;   /**< slope of LEAKY_RELU for x < 0 (default 0.01) */
    bp_init init;        /**< weight initialisation (default BP_INIT_AUTO) */
    int strict_ieee;     /**< 1: bp_net_predict and bp_net_evaluate keep IEEE
                              denormals (default 0 flushes them to zero, as
                              training does unless bp_train_options.strict_ieee) */
} bp_net_options;

/** Default network options: AUTO ISA, seed 42, leaky_alpha 0.01,
 *  BP_INIT_AUTO, strict_ieee 0.
 *  @return the options by value. Thread-safe. */
BP_API bp_net_options bp_net_options_default(void);

/** Create a network of n_layers dense layers. Weights are initialised
 *  from opt->seed by opt->init (see bp_init; AUTO: Glorot-uniform for
 *  sigmoid/tanh/softmax/identity/step, He-uniform for the ReLU family and
 *  GELU); biases uniform in +-1/sqrt(fan_in). No scaling, no class names.
 *  @param n_layers 1 to 64
 *  @param sizes n_layers + 1 widths, input first, each 1 to 2^24
 *  @param acts n_layers activations; SOFTMAX only on the last layer
 *  @param opt options, or NULL for bp_net_options_default()
 *  @param out receives the new network (the caller's; bp_net_destroy), or
 *         NULL on failure
 *  @retval BP_STATUS_OK created
 *  @retval BP_STATUS_INVALID_ARGUMENT bad sizes/activations (the message names the layer)
 *  @retval BP_STATUS_INVALID_ISA, BP_STATUS_UNSUPPORTED_ISA see bp_isa_resolve
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory for the parameters */
BP_NODISCARD BP_API bp_status bp_net_create(size_t n_layers, const uint32_t *sizes,
                                            const bp_act *acts, const bp_net_options *opt,
                                            bp_net **out);
/** Free a network and everything it owns (pointers from bp_net_weights,
 *  bp_net_bias, bp_net_class_name ... become invalid). No trainer may still
 *  use it. NULL is ignored.
 *  @param net the network */
BP_API void bp_net_destroy(bp_net *net);
/** Deep copy: the same layers, weights, kernel set, scaling, class names
 *  and strict_ieee setting.
 *  @param net the network to copy (only read)
 *  @param out receives the copy (the caller's; bp_net_destroy)
 *  @retval BP_STATUS_OK copied
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL argument
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_net_clone(const bp_net *net, bp_net **out);

/** Number of dense layers.
 *  @param net the network
 *  @return the count; 0 for NULL. */
BP_API size_t bp_net_n_layers(const bp_net *net);
/** Width of layer boundary i (0 = input, n_layers = output).
 *  @param net the network
 *  @param i boundary, 0 to n_layers
 *  @return the width; 0 for NULL or i out of range. */
BP_API uint32_t bp_net_size(const bp_net *net, size_t i);
/** Activation of a layer.
 *  @param net the network
 *  @param layer 0 to n_layers - 1
 *  @return the activation; BP_ACT_COUNT for NULL or layer out of range. */
BP_API bp_act bp_net_activation(const bp_net *net, size_t layer);
/** Number of weights and biases.
 *  @param net the network
 *  @return the count; 0 for NULL. */
BP_API size_t bp_net_n_params(const bp_net *net);
/** The kernel set the network runs on.
 *  @param net the network
 *  @return the ISA (never AUTO for a network); BP_ISA_AUTO for NULL. */
BP_API bp_isa bp_net_isa(const bp_net *net);
/** Negative slope of the LEAKY_RELU layers of this network.
 *  @param net the network
 *  @return the slope; 0 for NULL. */
BP_API float bp_net_leaky_alpha(const bp_net *net);

/** Weights of a layer: n_out x n_in floats, row-major (PyTorch's
 *  nn.Linear layout). Writing through the pointer is allowed between
 *  training steps and while no other thread uses the network.
 *  @param net the network
 *  @param layer 0 to n_layers - 1
 *  @return the network's array (valid for its life); NULL for NULL or
 *          layer out of range. */
BP_API float *bp_net_weights(bp_net *net, size_t layer);
/** Biases of a layer (n_out floats); as bp_net_weights.
 *  @param net the network
 *  @param layer 0 to n_layers - 1
 *  @return the network's array; NULL for NULL or layer out of range. */
BP_API float *bp_net_bias(bp_net *net, size_t layer);

/* Scaling that is part of the model. Input scaling maps every input
 * column j to (x_j - offset[j]) / scale[j] before the first layer; output
 * scaling (regression) means the network is trained on targets mapped the
 * same way and bp_net_predict maps its outputs back: y_j = y'_j * scale[j] +
 * offset[j]. Both are applied inside the library: by bp_net_predict(_mt),
 * bp_net_evaluate and the trainer (bp_trainer_step, _run_epoch, _fit), so
 * data and targets are always passed in their own units. Losses (training,
 * validation, bp_net_evaluate) are measured on the scaled targets — the
 * quantity training minimizes; with standardized targets the MSE is in units
 * of each target's variance. Both are saved in the model file. Setting them
 * is not thread-safe against other calls on the same network. */

/** Compute per-column scaling of n rows x width (row-major) into offset
 *  and scale (see bp_scale). STANDARD uses the population std; a constant
 *  column gets scale 1 under every kind. Thread-safe.
 *  @param kind the scaling kind
 *  @param x n x width values
 *  @param n rows, at least 1
 *  @param width columns
 *  @param offset receives width offsets (caller's array)
 *  @param scale receives width scales (caller's array)
 *  @retval BP_STATUS_OK computed
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL pointer, n == 0, unknown kind
 *  @retval BP_STATUS_NUMERIC_ERROR a non-finite value or spread (names the column) */
BP_NODISCARD BP_API bp_status bp_scaling_fit(bp_scale kind, const float *x, size_t n, size_t width,
                                             float *offset, float *scale);
/** Set (copying offset and scale, n_in floats each) or, with kind NONE,
 *  remove the input scaling; kind only records how the values were made.
 *  Not thread-safe against other calls on the network.
 *  @param net the network
 *  @param kind how the values were made; NONE removes the scaling
 *  @param offset n_in offsets (ignored for NONE)
 *  @param scale n_in scales, each finite and > 0 (ignored for NONE)
 *  @retval BP_STATUS_OK set
 *  @retval BP_STATUS_INVALID_ARGUMENT a NULL array, a non-finite offset or a
 *          scale that is not finite and > 0 (the message names the column)
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_net_set_input_scaling(bp_net *net, bp_scale kind, const float *offset,
                                                       const float *scale);
/** The input scaling.
 *  @param net the network
 *  @param offset if not NULL and a scaling is set, receives the network's
 *         offsets (n_in floats, valid until the scaling changes or the
 *         network is destroyed)
 *  @param scale likewise for the scales
 *  @return its kind; BP_SCALE_NONE if unset. */
BP_API bp_scale bp_net_input_scaling(const bp_net *net, const float **offset, const float **scale);
/** Set or remove the output scaling (regression networks); as
 *  bp_net_set_input_scaling with n_out floats each.
 *  @param net the network
 *  @param kind how the values were made; NONE removes the scaling
 *  @param offset n_out offsets
 *  @param scale n_out scales, each finite and > 0
 *  @retval BP_STATUS_OK set
 *  @retval BP_STATUS_INVALID_ARGUMENT a NULL array or a bad value (names the column)
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_net_set_output_scaling(bp_net *net, bp_scale kind, const float *offset,
                                                        const float *scale);
/** The output scaling; as bp_net_input_scaling with n_out floats.
 *  @param net the network
 *  @param offset receives the offsets when set (may be NULL)
 *  @param scale receives the scales when set (may be NULL)
 *  @return its kind; BP_SCALE_NONE if unset. */
BP_API bp_scale bp_net_output_scaling(const bp_net *net, const float **offset, const float **scale);

/** Set the class names stored in the model file (copied), or remove them
 *  with n = 0. Not thread-safe against other calls on the network.
 *  @param net the network
 *  @param n the network's class count (n_out, or 2 for one sigmoid output), or 0
 *  @param names n strings, each 1 to 255 bytes, no NUL or newline
 *  @retval BP_STATUS_OK set
 *  @retval BP_STATUS_INVALID_ARGUMENT wrong count, empty or too long a name
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_net_set_class_names(bp_net *net, size_t n, const char *const *names);
/** Number of class names stored.
 *  @param net the network
 *  @return the count; 0 if none or NULL. */
BP_API size_t bp_net_n_class_names(const bp_net *net);
/** Name of class i.
 *  @param net the network
 *  @param i class number
 *  @return the network's string (valid until the names change or the
 *          network is destroyed), or NULL when the network has no names or
 *          i is out of range (callers then show the number). */
BP_API const char *bp_net_class_name(const bp_net *net, size_t i);

/** Forward pass on n rows of x (n x n_in, row-major) into y (n x n_out),
 *  on the calling thread. Softmax output layers produce probabilities; the
 *  network's input/output scaling is applied. Denormals are flushed to zero
 *  unless the network was created or loaded with strict_ieee.
 *
 *  Thread-safe: any number of threads may predict with one network at once
 *  (nothing may write its weights meanwhile). Scratch (for min(n, 256) rows)
 *  comes from a small pool the network keeps, so a steady loop of calls
 *  allocates nothing once the first calls have filled it (up to 16 threads
 *  at once; more still work, allocating per call). Calls of at most 4 rows
 *  take dot products instead of the blocked matrix product (each weight read
 *  once, nothing packed): their outputs may differ from a larger call's in
 *  the last bits; every call is deterministic for a given n.
 *  @param net the network (not modified)
 *  @param x n x n_in inputs; may be NULL when n is 0
 *  @param n rows (0 does nothing)
 *  @param y n x n_out outputs, written by the call
 *  @retval BP_STATUS_OK done
 *  @retval BP_STATUS_INVALID_ARGUMENT a NULL pointer
 *  @retval BP_STATUS_NUMERIC_ERROR a NaN/Inf in x (message names the row)
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory for the scratch */
BP_NODISCARD BP_API bp_status bp_net_predict(const bp_net *net, const float *x, size_t n,
                                             float *y);

/** Same as bp_net_predict, splitting the rows in fixed chunks of 256 among
 *  up to n_threads OpenMP threads; the outputs do not depend on the thread
 *  count. Each worker sets the floating-point mode itself. Thread-safe as
 *  bp_net_predict.
 *  @param net the network (not modified)
 *  @param x n x n_in inputs
 *  @param n rows
 *  @param y n x n_out outputs
 *  @param n_threads threads, 0 = all cores
 *  @retval BP_STATUS_OK done
 *  @retval BP_STATUS_INVALID_ARGUMENT a NULL pointer or n_threads < 0
 *  @retval BP_STATUS_NUMERIC_ERROR a NaN/Inf in x (the message names the row)
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory for the scratch */
BP_NODISCARD BP_API bp_status bp_net_predict_mt(const bp_net *net, const float *x, size_t n,
                                                float *y, int n_threads);

/** Save a model: versioned little-endian format with a CRC-32, written to
 *  a temporary file of this call's own in path's directory, fsync'ed and
 *  renamed over path (then the directory is fsync'ed), so an existing file
 *  survives a crash or a full disk. The new file keeps the mode of the one
 *  it replaces (new files: 0666 less the umask). Thread-safe; concurrent
 *  saves of one path all succeed and the last rename wins.
 *  @param net the network (only read)
 *  @param path the file to write
 *  @retval BP_STATUS_OK saved
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL network or empty path
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory for the file image
 *  @retval BP_STATUS_IO_ERROR path is a directory, symbolic link, FIFO,
 *          socket or device (never replaced), or creating, writing,
 *          flushing or renaming failed (the temporary file is removed) */
BP_NODISCARD BP_API bp_status bp_net_save(const bp_net *net, const char *path);
/** Load a model written by bp_net_save (or a checkpoint: its trainer
 *  state is ignored). Every field is checked against the file's size and
 *  limits before anything is allocated. Thread-safe.
 *  @param path the file
 *  @param opt isa and strict_ieee are taken from it (the rest comes from the
 *         file); NULL for the defaults
 *  @param out receives the network (the caller's; bp_net_destroy)
 *  @retval BP_STATUS_OK loaded
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL argument
 *  @retval BP_STATUS_IO_ERROR the file cannot be opened or read
 *  @retval BP_STATUS_FORMAT_ERROR truncated, corrupted (CRC), unknown
 *          version or out-of-range field (the message names it)
 *  @retval BP_STATUS_INVALID_ISA, BP_STATUS_UNSUPPORTED_ISA see bp_isa_resolve
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_net_load(const char *path, const bp_net_options *opt,
                                          bp_net **out);

/** What a model file holds besides the network (backprop summary). A file
 *  written by bp_trainer_save_checkpoint also holds the trainer state; the
 *  loss, learning rate, batch size and data are not stored. */
typedef struct bp_model_info {
    uint32_t format_version; /**< 1 or 2 */
    int is_checkpoint;       /**< 1: trainer state follows; the fields below are set */
    bp_optimizer optimizer;  /**< the optimizer whose state the file holds */
    bp_precision precision;  /**< the training's product precision */
    uint32_t epochs;         /**< epochs completed when it was written */
    uint64_t steps;          /**< optimizer steps taken */
    size_t n_state;          /**< floats of optimizer state (momentum, Adam's m and v) */
} bp_model_info;
/** Read path (checked as bp_net_load does) and describe it in *out.
 *  Thread-safe; allocates while reading and frees before it returns.
 *  @param path  the model or checkpoint file
 *  @param out   receives the description (zeroed first; caller-owned)
 *  @retval BP_STATUS_OK
 *  @retval BP_STATUS_INVALID_ARGUMENT out is NULL
 *  @retval BP_STATUS_IO_ERROR as bp_net_load
 *  @retval BP_STATUS_FORMAT_ERROR as bp_net_load */
BP_NODISCARD BP_API bp_status bp_model_file_info(const char *path, bp_model_info *out);

/* ------------------------------------------------------------------ data */

/** A data set: n rows of n_in floats and either class labels (n_classes > 0,
 *  labels in [0, n_classes)) or float targets (n_targets per row). The
 *  struct owns nothing; fill it to point at your arrays. */
typedef struct bp_data {
    size_t n;                /**< rows */
    uint32_t n_in;           /**< inputs per row */
    const float *x;          /**< n x n_in */
    uint32_t n_classes;      /**< > 0: classification with labels */
    const int32_t *labels;   /**< n labels, when n_classes > 0 */
    uint32_t n_targets;      /**< > 0: targets (regression / multi-label) */
    const float *targets;    /**< n x n_targets, when n_classes == 0 */
} bp_data;

/** An owned data set returned by the loaders; free with bp_dataset_free. */
typedef struct bp_dataset {
    bp_data d;           /**< the data, pointing into the arrays below */
    float *x_mem;        /**< owned inputs (d.x) */
    int32_t *labels_mem; /**< owned labels (d.labels), or NULL */
    float *targets_mem;  /**< owned targets (d.targets), or NULL */
    char **class_names; /**< bp_data_read_csv: d.n_classes names when the labels
                             were text (or names were given), else NULL */
    char **ids;         /**< bp_data_read_csv with id_col: d.n row ids, else NULL */
    int had_header;     /**< bp_data_read_csv: 1 when the first line was a header */
} bp_dataset;

/** Free what a loader put in a bp_dataset and zero it. NULL and an
 *  already-freed (zeroed) data set are ignored.
 *  @param ds the data set */
BP_API void bp_dataset_free(bp_dataset *ds);
/** Load an IDX images file and its labels file (MNIST layout, plain or
 *  gzip with its CRC checked). Pixels are scaled to [0, 1]; n_classes is
 *  the largest label + 1 (at least 2). Thread-safe.
 *  @param images_path the images file (idx3)
 *  @param labels_path the labels file (idx1)
 *  @param out receives the data set (the caller's; bp_dataset_free)
 *  @retval BP_STATUS_OK loaded
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL argument
 *  @retval BP_STATUS_IO_ERROR a file cannot be opened or read
 *  @retval BP_STATUS_FORMAT_ERROR bad magic, sizes, count mismatch, corrupt gzip
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_data_load_idx(const char *images_path, const char *labels_path,
                                               bp_dataset *out);
/** Load a CSV file of numbers. label_col selects the class-label column
 *  (0-based; -1 = last column); header: 1 = skip the first line, 0 = none,
 *  -1 = detect: the first line is a header when none of its non-empty
 *  cells is a number (a line mixing numbers and text, like "1,,0", is read
 *  as data and its bad cell reported). If n_targets > 0, the last n_targets
 *  columns are float targets instead of a label. Labels are integers in
 *  [0, BP_MAX_CLASSES); n_classes is the largest label + 1 (at least 2),
 *  and a largest label of 256 or more must not exceed 16 x the number of
 *  rows (a file of 3 rows cannot justify a 100000-way softmax). A line
 *  longer than 1 GiB, or one holding a NUL byte, is refused as it is read,
 *  so an endless or binary input (/dev/zero) fails at once; so is an input
 *  of more than 2^26 lines (67108864) or 4 GiB (an endless pipe of valid
 *  rows fails there instead of exhausting memory).
 *  @retval BP_STATUS_FORMAT_ERROR bad cell, label, line or column count;
 *          the message names the line, the column, the value and the limit
 *  @retval BP_STATUS_IO_ERROR the file cannot be opened or read
 *  @param path the file
 *  @param label_col label column, 0-based; -1 = the last
 *  @param header 1 = skip the first line, 0 = none, -1 = detect
 *  @param n_targets > 0: the last n_targets columns are float targets
 *  @param out receives the data set (the caller's; bp_dataset_free)
 *  @retval BP_STATUS_OK loaded
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory
 *  Thread-safe. */
BP_NODISCARD BP_API bp_status bp_data_load_csv(const char *path, int label_col, int header,
                                               uint32_t n_targets, bp_dataset *out);
/** Options of bp_data_read_csv; start from bp_csv_options_default(). */
typedef struct bp_csv_options {
    int label_col;      /**< class-label column, 0-based; -1 = the last (default);
                             BP_CSV_NO_LABEL = none (features only) */
    uint32_t n_targets; /**< > 0: the last n_targets columns (id column aside) are
                             float regression targets; label_col is ignored */
    int header;         /**< 1 = the first line is a header, 0 = data, -1 = detect
                             (default): a header has a non-empty cell and no
                             cell that is a number */
    char delimiter;     /**< ',', ';' or tab; 0 = detect (default): the one of
                             the three the first line holds most of (',' if none) */
    int id_col;         /**< a column kept as text in bp_dataset.ids, not a
                             feature; -1 = none (default) */
    int drop_col;       /**< a column skipped unread (0-based; -1 = the last;
                             BP_CSV_NO_LABEL = none, the default) */
    const char *const *class_names; /**< map labels through these names (a
                             model's): a label equal to name i is class i; a
                             label that is no name but an integer in range is
                             that class. NULL: see bp_data_read_csv */
    size_t n_class_names; /**< entries in class_names */
} bp_csv_options;
/** bp_csv_options.label_col / drop_col: no such column. */
#define BP_CSV_NO_LABEL (-2)

/** Default CSV options: label in the last column, no targets, header
 *  detected, delimiter detected, no id or dropped column, no class names.
 *  @return the options by value. Thread-safe. */
BP_API bp_csv_options bp_csv_options_default(void);
/** Read a CSV data set. path "-" reads stdin. Rules: lines end in LF or
 *  CR LF, blank lines are skipped, a UTF-8 byte-order mark is ignored; cells
 *  are trimmed of blanks and may be quoted ("a;b", "say ""hi"""); every row
 *  has as many cells as the first; feature and target cells are finite
 *  numbers within float range. Labels: without class_names, labels that
 *  are all non-negative integers are the class numbers (n_classes = largest
 *  + 1, so a class may have no rows: check with the counts); otherwise
 *  every distinct label text is a class, numbered in sorted (byte) order,
 *  and the names are returned in out->class_names. Errors name the line and
 *  the 1-based column.
 *  @retval BP_STATUS_IO_ERROR cannot open or read
 *  @retval BP_STATUS_FORMAT_ERROR bad cell, ragged row, no data, unknown label name
 *  @retval BP_STATUS_INVALID_ARGUMENT bad options (column out of range, ...)
 *  @param path the file ("-": stdin)
 *  @param opt options, or NULL for bp_csv_options_default()
 *  @param out receives the data set (the caller's; bp_dataset_free), with
 *         class_names and ids when they apply
 *  @retval BP_STATUS_OK read
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory
 *  Thread-safe (reading stdin from several threads at once is not). */
BP_NODISCARD BP_API bp_status bp_data_read_csv(const char *path, const bp_csv_options *opt,
                                               bp_dataset *out);

/** A CSV file of numbers with column names, read by bp_csv_read_table. */
typedef struct bp_csv_table {
    size_t n_rows;  /**< data rows */
    size_t n_cols;  /**< columns */
    char **names;   /**< n_cols header names; NULL when the file has no header */
    double *values; /**< n_rows x n_cols, row-major; an empty cell is NaN */
} bp_csv_table;
/** Read a table of numbers (the rules of bp_data_read_csv); empty cells
 *  are allowed and read as NaN. Thread-safe.
 *  @param path the file ("-": stdin)
 *  @param delimiter ',', ';' or tab; 0 = detect
 *  @param header 1 = first line is a header, 0 = data, -1 = detect
 *  @param out receives the table (the caller's; bp_csv_table_free)
 *  @retval BP_STATUS_OK read
 *  @retval BP_STATUS_IO_ERROR cannot open or read
 *  @retval BP_STATUS_FORMAT_ERROR bad cell or ragged row (names line and column)
 *  @retval BP_STATUS_INVALID_ARGUMENT bad arguments
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_csv_read_table(const char *path, char delimiter, int header,
                                                bp_csv_table *out);
/** Free a table read by bp_csv_read_table and zero it (NULL is ignored).
 *  @param t the table */
BP_API void bp_csv_table_free(bp_csv_table *t);

/** Built-in data sets: "and", "or", "xor" (4 rows, n ignored), "spirals"
 *  (two interleaved spirals, n rows (0: 1000), 2 classes). Deterministic.
 *  Thread-safe.
 *  @param name the data set
 *  @param n rows for "spirals" (0: 1000)
 *  @param out receives the data set (the caller's; bp_dataset_free)
 *  @retval BP_STATUS_OK made
 *  @retval BP_STATUS_INVALID_ARGUMENT unknown name (the message lists them)
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_data_builtin(const char *name, size_t n, bp_dataset *out);
/** Split off the last `fraction` of a data set (after a shuffle seeded by
 *  seed) as validation; both halves own copies. Thread-safe.
 *  @param all the data (only read)
 *  @param fraction in (0, 1); both parts must get at least one row
 *  @param seed shuffle seed
 *  @param train receives the rest (the caller's; bp_dataset_free)
 *  @param valid receives the validation part (the caller's; bp_dataset_free)
 *  @retval BP_STATUS_OK split
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL argument, fraction out of range or an empty part
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_data_split(const bp_data *all, float fraction, uint64_t seed,
                                            bp_dataset *train, bp_dataset *valid);

/* ------------------------------------------------------------- training */

/** What the progress callback sees. */
typedef struct bp_progress {
    uint32_t epoch;        /**< 0-based */
    uint32_t epochs;       /**< bp_train_options.epochs */
    size_t batch;          /**< batches done in this epoch */
    size_t batches;        /**< batches per epoch */
    double loss;           /**< running mean training loss this epoch */
    double accuracy;       /**< running training accuracy (classification), else -1 */
    double samples_per_s;  /**< this epoch so far */
    int epoch_end;         /**< 1 on the call after an epoch's last batch */
    double val_loss;       /**< at epoch end when validation data is given, else -1 */
    double val_accuracy;   /**< likewise */
    double lr;             /**< learning rate in use */
    double elapsed_s;      /**< since training started */
    /** At epoch end: BP_STATUS_OK, or why this epoch's checkpoint
     *  (bp_train_options.checkpoint_path) could not be written. A failed
     *  checkpoint does not stop training: bp_trainer_fit goes on and its
     *  status is not affected, so this is where the failure shows. */
    bp_status checkpoint_status;
    /** The message of that failure (valid during the call), else NULL. */
    const char *checkpoint_error;
} bp_progress;

/** Return non-zero to stop training (the call returns BP_STATUS_STOPPED). */
typedef int (*bp_progress_fn)(const bp_progress *progress, void *user);

/** Options of a trainer; start from bp_train_options_default(), whose
 *  values are given in brackets. */
typedef struct bp_train_options {
    bp_loss loss;            /**< [BP_LOSS_SOFTMAX_XENT]; must suit the output layer */
    bp_optimizer optimizer;  /**< [BP_OPT_MOMENTUM] */
    float learning_rate;     /**< > 0 [0.05] */
    float momentum;      /**< MOMENTUM / NESTEROV (default 0.9) */
    float beta1;         /**< Adam first-moment decay [0.9] */
    float beta2;         /**< Adam second-moment decay [0.999] */
    float epsilon;       /**< Adam (1e-8) */
    float weight_decay;  /**< L2 (SGD family, Adam) or decoupled (AdamW) */
    size_t batch_size;   /**< rows per step, 1 to 2^24 [64] */
    uint32_t epochs;     /**< epochs bp_trainer_fit runs (in all, counting resumed ones) [10] */
    uint64_t seed;       /**< shuffling and dropout */
    int shuffle;         /**< 1 (default): reshuffle every epoch */
    int n_threads;       /**< 0 (default): bp_train_default_threads();
                              > 0: at most that many. Either way the trainer
                              times its steps and runs them on one thread
                              while that is faster (other processes holding
                              the cores), as OpenMP's dynamic adjustment
                              would; OMP_DYNAMIC=false pins the team (every
                              step on all n_threads). The weights do not
                              depend on it. OMP_WAIT_POLICY (active /
                              passive) sets how long threads spin at the
                              step's barriers before they sleep. */
    int strict_ieee;     /**< 1: keep denormals (default flushes them to zero) */
    bp_precision precision; /**< products in fp32 (default) or bf16; see bp_precision */
    bp_lr_schedule lr_schedule; /**< [BP_LR_CONSTANT] */
    uint32_t lr_step_epochs; /**< BP_LR_STEP period */
    float lr_gamma;      /**< BP_LR_STEP factor (0.1) */
    float lr_min;        /**< BP_LR_COSINE floor */
    uint32_t warmup_epochs; /**< linear warm-up: epoch e < w uses lr*(e+1)/(w+1) */
    float clip_norm;     /**< > 0: clip the global gradient norm */
    float dropout;       /**< drop probability on hidden-layer outputs */
    uint32_t patience;   /**< > 0: early stopping on validation loss,
                              restoring the best weights */
    const bp_data *validation; /**< optional, evaluated each epoch */
    bp_progress_fn progress; /**< called during bp_trainer_fit / run_epoch, or NULL */
    void *progress_user;     /**< passed to progress */
    size_t progress_every; /**< call progress every N batches (0 = epoch ends only) */
    const char *checkpoint_path; /**< written every checkpoint_every epochs;
                                      a failure is reported through
                                      bp_progress.checkpoint_status and
                                      training goes on */
    uint32_t checkpoint_every; /**< epochs between checkpoints (0: none) */
} bp_train_options;

/** Default training options (the values in brackets in bp_train_options).
 *  @return the options by value. Thread-safe. */
BP_API bp_train_options bp_train_options_default(void);

/** Result of evaluating a network on a data set. */
typedef struct bp_eval {
    double loss;     /**< mean loss over the rows */
    double accuracy; /**< data with labels (n_classes > 0), else -1 */
    size_t n;        /**< rows evaluated */
} bp_eval;

/** Create a trainer: checks the options against the network and allocates
 *  the optimizer's memory. The per-row workspace is sized by the first
 *  bp_trainer_fit / bp_trainer_run_epoch for min(batch_size, rows) (300 rows
 *  with batch_size 10^6 need 300 rows of it), or by the first
 *  bp_trainer_step for batch_size; it grows only when a later data set
 *  allows larger batches, and no allocation happens in a training step.
 *  The network must outlive the trainer, and only this trainer may change
 *  it while training.
 *  @param net the network to train
 *  @param opt the options (copied; pointers in it must stay valid while
 *         training)
 *  @param out receives the trainer (the caller's; bp_trainer_destroy)
 *  @retval BP_STATUS_OK created
 *  @retval BP_STATUS_INVALID_ARGUMENT a NULL argument or a bad option (the
 *          message names it and its limit)
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory for the optimizer (the
 *          workspace's failure is reported by the first fit, epoch or step) */
BP_NODISCARD BP_API bp_status bp_trainer_create(bp_net *net, const bp_train_options *opt,
                                                bp_trainer **out);
/** Free a trainer (not its network). NULL is ignored.
 *  @param tr the trainer */
BP_API void bp_trainer_destroy(bp_trainer *tr);

/** One step on one mini-batch: forward, loss, backward, update (with
 *  clipping, weight decay, the current learning rate). Allocates nothing.
 *  Not thread-safe (one call at a time per trainer).
 *  @param tr the trainer
 *  @param x n x n_in inputs
 *  @param y n x n_out targets (one-hot for classification)
 *  @param n rows, 1 to batch_size
 *  @param loss_out receives the batch's mean loss (may be NULL)
 *  @retval BP_STATUS_OK the weights were updated
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL pointer or n out of range
 *  @retval BP_STATUS_NUMERIC_ERROR NaN/Inf in x or y, or a non-finite loss;
 *          the weights are not updated */
BP_NODISCARD BP_API bp_status bp_trainer_step(bp_trainer *tr, const float *x, const float *y,
                                              size_t n, float *loss_out);

/** One epoch over a data set in shuffled mini-batches, at the epoch's
 *  scheduled learning rate; counts the epoch. Not thread-safe.
 *  @param tr the trainer
 *  @param data the training data (inputs checked as batches are gathered)
 *  @param loss_out receives the epoch's mean training loss (may be NULL)
 *  @retval BP_STATUS_OK done
 *  @retval BP_STATUS_INVALID_ARGUMENT bad data (shape, labels)
 *  @retval BP_STATUS_NUMERIC_ERROR a NaN/Inf input or loss (names the row/step)
 *  @retval BP_STATUS_STOPPED the progress callback asked to stop
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory for the shuffle order */
BP_NODISCARD BP_API bp_status bp_trainer_run_epoch(bp_trainer *tr, const bp_data *data,
                                                   double *loss_out);

/** Run the remaining epochs (schedules, validation, early stopping,
 *  checkpoints), from the trainer's epoch counter (so a resumed trainer
 *  continues). All data are checked before the first step. Not thread-safe.
 *  @param tr the trainer
 *  @param data the training data
 *  @retval BP_STATUS_OK all epochs ran, or early stopping ended training
 *          (the best epoch's weights are restored)
 *  @retval BP_STATUS_INVALID_ARGUMENT bad data or options (patience without validation)
 *  @retval BP_STATUS_NUMERIC_ERROR a NaN/Inf input, target or loss
 *  @retval BP_STATUS_STOPPED the progress callback asked to stop
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_trainer_fit(bp_trainer *tr, const bp_data *data);

/** Epochs completed so far.
 *  @param tr the trainer
 *  @return the count; 0 for NULL. */
BP_API uint32_t bp_trainer_epoch(const bp_trainer *tr);

/** Save the network with the optimizer state, epoch, step and RNG position,
 *  so bp_trainer_resume continues bit-identically; written as bp_net_save
 *  writes (the file also loads with bp_net_load).
 *  @param tr the trainer (only read)
 *  @param path the file
 *  @retval BP_STATUS_OK saved
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL argument
 *  @retval BP_STATUS_IO_ERROR see bp_net_save
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_trainer_save_checkpoint(const bp_trainer *tr,
                                                         const char *path);
/** Load a checkpoint written by bp_trainer_save_checkpoint into a trainer
 *  whose network has the same layers and whose options name the same
 *  optimizer and precision. Not thread-safe.
 *  @param tr the trainer
 *  @param path the checkpoint
 *  @retval BP_STATUS_OK weights, optimizer state and counters restored
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL argument, other layers, or no
 *          matching optimizer state
 *  @retval BP_STATUS_IO_ERROR, BP_STATUS_FORMAT_ERROR see bp_net_load */
BP_NODISCARD BP_API bp_status bp_trainer_resume(bp_trainer *tr, const char *path);

/** The thread count training uses when bp_train_options.n_threads is 0 (the
 *  CLI uses it too): 1 for networks too small to gain from threads (a step
 *  of under about 4 MFLOP: 6 x parameters x batch_size), otherwise all
 *  cores (OpenMP's default team size, OMP_NUM_THREADS). Weights do not
 *  depend on the thread count.
 *  @param net the network to train (NULL gives 1)
 *  @param batch_size rows per training step
 *  @return threads, at least 1. Thread-safe. */
BP_API int bp_train_default_threads(const bp_net *net, size_t batch_size);

/** Forward and backward pass on one mini-batch of n rows (n <= batch_size)
 *  without updating the weights: afterwards bp_trainer_gradient and
 *  bp_trainer_bias_gradient give d(mean loss)/d(parameter) for every layer,
 *  and bp_trainer_apply_gradients applies the optimizer to them. Gradient
 *  clipping (clip_norm) is not applied here but in bp_trainer_apply_gradients;
 *  dropout uses the mask the next step would use.
 *  compute_gradients followed by apply_gradients changes the weights
 *  bit-identically to bp_trainer_step on the same batch.
 *  @param tr trainer; not thread-safe (one call at a time per trainer)
 *  @param x n x n_in inputs, row-major
 *  @param y n x n_out targets (one-hot for classification)
 *  @param n rows, 1 to batch_size
 *  @param loss_out receives the batch's mean loss (may be NULL)
 *  @retval BP_STATUS_OK the gradients are ready
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL pointer or n out of range
 *  @retval BP_STATUS_NUMERIC_ERROR NaN/Inf in x or y, or a non-finite loss
 *          (the gradients are then not ready) */
BP_NODISCARD BP_API bp_status bp_trainer_compute_gradients(bp_trainer *tr, const float *x,
                                                           const float *y, size_t n,
                                                           float *loss_out);

/** The weight gradient of a layer: n_out x n_in, row-major, the layout of
 *  bp_net_weights. It holds the gradients of the last
 *  bp_trainer_compute_gradients (or, after bp_trainer_step, of that step,
 *  clipped when clip_norm is set). The caller may read and write it (to
 *  clip, accumulate or replace gradients) before bp_trainer_apply_gradients.
 *  @param tr the trainer
 *  @param layer 0 to n_layers - 1
 *  @return the trainer's array (valid until bp_trainer_destroy), or NULL
 *          for a NULL trainer or a layer out of range. */
BP_API float *bp_trainer_gradient(bp_trainer *tr, size_t layer);
/** The bias gradient of a layer (n_out floats); as bp_trainer_gradient.
 *  @param tr the trainer
 *  @param layer 0 to n_layers - 1
 *  @return the trainer's array, or NULL for a NULL trainer or a layer out
 *          of range. */
BP_API float *bp_trainer_bias_gradient(bp_trainer *tr, size_t layer);

/** Apply the optimizer (with gradient clipping when clip_norm > 0, weight
 *  decay, the current learning rate, Adam's bias correction) to the gradients
 *  as they are now, then count the step. Allocates nothing.
 *  @param tr trainer; not thread-safe
 *  @retval BP_STATUS_OK weights updated
 *  @retval BP_STATUS_INVALID_ARGUMENT tr is NULL
 *  @retval BP_STATUS_INVALID_STATE no bp_trainer_compute_gradients since the
 *          last update */
BP_NODISCARD BP_API bp_status bp_trainer_apply_gradients(bp_trainer *tr);

/** Loss and accuracy of a network on a data set, in fixed chunks of 256
 *  rows (the result does not depend on the thread count). Denormals are
 *  flushed unless the network has strict_ieee. Thread-safe on a network
 *  nothing changes meanwhile; allocates only per-chunk sums (scratch comes
 *  from the network's pool, as for bp_net_predict).
 *  @param net the network (not modified)
 *  @param loss the loss to measure (on scaled targets, see the scaling notes)
 *  @param data the data, with labels or targets matching the outputs
 *  @param n_threads threads, 0 = all cores
 *  @param out receives loss, accuracy (labelled data, else -1) and rows
 *  @retval BP_STATUS_OK evaluated
 *  @retval BP_STATUS_INVALID_ARGUMENT NULL argument, unknown loss, shapes
 *          or labels that do not fit the network
 *  @retval BP_STATUS_NUMERIC_ERROR a NaN/Inf input, or a non-finite loss
 *  @retval BP_STATUS_OUT_OF_MEMORY no memory */
BP_NODISCARD BP_API bp_status bp_net_evaluate(const bp_net *net, bp_loss loss,
                                              const bp_data *data, int n_threads,
                                              bp_eval *out);

/** Convenience: create a trainer, fit, destroy.
 *  @param net the network to train
 *  @param data the training data
 *  @param opt the options
 *  @return the status of bp_trainer_create or bp_trainer_fit. */
BP_NODISCARD BP_API bp_status bp_train(bp_net *net, const bp_data *data,
                                       const bp_train_options *opt);

#ifdef __cplusplus
}
#endif
#endif
