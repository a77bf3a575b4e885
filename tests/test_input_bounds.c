// SPDX-License-Identifier: MIT
// Small inputs must not do large damage (issue 9): every size a file claims
// is checked against what the file holds and against the documented limits
// before anything is allocated, endless inputs are refused as they are
// read, and values that cannot be right (labels out of range, NaN weights, a
// one-unit softmax) are refused with a message naming the value and the
// limit. Each test here failed on the main branch before the fix it covers.
#include <fcntl.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "bp_internal.h"
#include "bp_test.h"

#define EXPECT_FAIL(call, status, fragment)                                                 \
    do {                                                                                    \
        bp_status st_ = (call);                                                             \
        cr_expect_eq(st_, status, "%s returned %s (%s)", #call, bp_status_string(st_),      \
                     bp_last_error());                                                      \
        cr_expect(strstr(bp_last_error(), fragment) != NULL, "%s: message '%s' lacks '%s'", \
                  #call, bp_last_error(), fragment);                                        \
    } while (0)

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-bounds-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp failed");
}

static void cleanup(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

static const char *tpath(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) & 3;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "fopen %s", path);
    if (n) cr_assert_eq(fwrite(p, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void write_text(const char *path, const char *s) { write_bytes(path, s, strlen(s)); }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// ---- CSV labels: the class count is bounded (item 3) -------------------------

Test(csv_bounds, huge_label_in_a_tiny_file_is_refused, .init = make_tmpdir, .fini = cleanup) {
    // 1e6 used to make a 1M-way softmax from a 22-byte file.
    write_text(tpath("a.csv"), "0.5,0.25,0\n1,2,1e6\n");
    bp_dataset ds;
    EXPECT_FAIL(bp_data_load_csv(tpath("a.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "a.csv line 2, column 3: label '1e6' is not an integer in [0, 65535] (at most 65536 classes)");
    cr_expect_null(ds.d.x);
}

Test(csv_bounds, labels_must_be_justified_by_the_rows, .init = make_tmpdir, .fini = cleanup) {
    // Under the class limit, but 3 rows cannot justify 60001 classes.
    write_text(tpath("b.csv"), "1,0\n2,60000\n3,1\n");
    bp_dataset ds;
    EXPECT_FAIL(bp_data_load_csv(tpath("b.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "b.csv line 2: label 60000 would make 60001 classes, but 3 rows justify labels up to 48");
    // Labels below 256 need no justification: one row may say 255.
    write_text(tpath("c.csv"), "1,255\n");
    cr_assert_eq(bp_data_load_csv(tpath("c.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n_classes, 256);
    bp_dataset_free(&ds);
    // 63 rows justify a largest label of 16 x 63 = 1008, and not 1009.
    char text[2048] = "";
    for (int i = 0; i < 63; i++) strcat(text, i == 5 ? "1,1008\n" : "1,0\n");
    write_text(tpath("d.csv"), text);
    cr_assert_eq(bp_data_load_csv(tpath("d.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n_classes, 1009);
    bp_dataset_free(&ds);
    char *p = strstr(text, "1,1008");
    cr_assert_not_null(p);
    memcpy(p, "1,1009", 6);
    write_text(tpath("e.csv"), text);
    EXPECT_FAIL(bp_data_load_csv(tpath("e.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "e.csv line 6: label 1009 would make 1010 classes, but 63 rows justify labels up to 1008");
}

// ---- CSV header detection (item 13) ------------------------------------------

Test(csv_bounds, corrupt_first_row_is_not_a_header, .init = make_tmpdir, .fini = cleanup) {
    // "1,,0" used to be taken for a header and silently dropped.
    write_text(tpath("a.csv"), "1,,0\n2,3,1\n4,5,0\n");
    bp_dataset ds;
    EXPECT_FAIL(bp_data_load_csv(tpath("a.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "a.csv line 1, column 2: empty cell (the first line is read as data");
    // Text mixed with numbers is no header either.
    write_text(tpath("b.csv"), "x1,2,label\n2,3,1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("b.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "b.csv line 1, column 1: 'x1' is not a number");
    // A header may leave cells empty (pandas writes ",a,label" for its index).
    write_text(tpath("c.csv"), ",a,label\n7,3,1\n8,5,0\n");
    cr_assert_eq(bp_data_load_csv(tpath("c.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n, 2);
    cr_expect_eq(ds.d.x[0], 7.0f);
    bp_dataset_free(&ds);
    // A line of nothing but separators is no header: it is an empty row.
    write_text(tpath("d.csv"), ",,\n7,3,1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("d.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "d.csv line 1, column 1: empty cell");
}

// ---- endless and binary inputs (item 2) ---------------------------------------

Test(csv_bounds, dev_zero_is_refused_at_once) {
    bp_dataset ds;
    double t0 = now_s();
    EXPECT_FAIL(bp_data_load_csv("/dev/zero", -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "/dev/zero line 1: contains a NUL byte");
    cr_expect_lt(now_s() - t0, 1.0, "took %.2f s", now_s() - t0);
}

// An endless pipe of valid rows ("1,2,0\n" forever, like `yes 1,2,0`): a
// child writes it until the reader closes the pipe. Returns the child; the
// path to read in path ("/dev/fd/N").
static pid_t endless_rows(char *path, size_t len, int *read_fd) {
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fd[0]);
        static const char rows[] = "1,2,0\n1,2,0\n1,2,0\n1,2,0\n";
        while (write(fd[1], rows, sizeof rows - 1) > 0) {
        }
        _exit(0); // EPIPE (or SIGPIPE) once the reader is gone
    }
    close(fd[1]);
    *read_fd = fd[0];
    snprintf(path, len, "/dev/fd/%d", fd[0]);
    return pid;
}

static void end_rows(pid_t pid, int fd) {
    close(fd);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
}

// `yes 1,2,0 | backprop train --data -` read until memory ran out (issue 9).
// The reader stops at its documented limits, 2^26 lines and 4 GiB, with a
// message naming the limit; the limits are lowered here (bp_csv_set_limits)
// so the test reaches them in milliseconds: the counting is the same.
Test(csv_bounds, endless_valid_rows_stop_at_the_limits, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    char path[64];
    int fd;
    bp_csv_set_limits(1000, 0); // lines
    pid_t pid = endless_rows(path, sizeof path, &fd);
    EXPECT_FAIL(bp_data_load_csv(path, -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR, "more than 1000 lines (the CSV limit)");
    end_rows(pid, fd);
    bp_csv_table t;
    pid = endless_rows(path, sizeof path, &fd);
    EXPECT_FAIL(bp_csv_read_table(path, 0, -1, &t), BP_STATUS_FORMAT_ERROR, "more than 1000 lines");
    end_rows(pid, fd);
    bp_csv_set_limits(0, 60000); // bytes: 10000 rows of 6
    pid = endless_rows(path, sizeof path, &fd);
    EXPECT_FAIL(bp_data_load_csv(path, -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "line 10001: more than 60000 bytes of input (the CSV limit)");
    end_rows(pid, fd);
    // The limits are inclusive: exactly 1000 lines (a header and 999 rows)
    // and exactly 60000 bytes load, one more line or byte does not.
    static char text[6 * 10001 + 16];
    size_t n = (size_t)snprintf(text, sizeof text, "a,b,c\n");
    for (int i = 0; i < 999; i++) n += (size_t)snprintf(text + n, sizeof text - n, "1,2,%d\n", i % 2);
    bp_csv_set_limits(1000, 0);
    write_text(tpath("1000.csv"), text);
    cr_expect_eq(bp_data_load_csv(tpath("1000.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n, 999);
    bp_dataset_free(&ds);
    strcpy(text + n, "1,2,0\n");
    write_text(tpath("1001.csv"), text);
    EXPECT_FAIL(bp_data_load_csv(tpath("1001.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR, "more than 1000 lines");
    n = 0;
    for (int i = 0; i < 10000; i++) n += (size_t)snprintf(text + n, sizeof text - n, "1,2,%d\n", i % 2);
    cr_assert_eq(n, 60000);
    bp_csv_set_limits(0, 60000);
    write_text(tpath("60000.csv"), text);
    cr_expect_eq(bp_data_load_csv(tpath("60000.csv"), -1, 0, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    bp_dataset_free(&ds);
    strcpy(text + n, "0"); // byte 60001, a last line without a newline
    write_text(tpath("60000b.csv"), text);
    EXPECT_FAIL(bp_data_load_csv(tpath("60000b.csv"), -1, 0, 0, &ds), BP_STATUS_FORMAT_ERROR, "more than 60000 bytes");
    // 0 restores the defaults: the 1001-line file loads again.
    bp_csv_set_limits(0, 0);
    cr_expect_eq(bp_data_load_csv(tpath("1001.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    bp_dataset_free(&ds);
}

// ---- model files: sizes checked against the file before allocating (item 1) --

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

// Recompute the trailing CRC-32 of a model file held in memory.
static void fix_crc(unsigned char *p, size_t len) {
    put32(p + len - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)(len - 4)));
}

Test(model_bounds, tiny_file_claiming_huge_layers_is_refused_at_once, .init = make_tmpdir, .fini = cleanup) {
    // 40 bytes with a valid CRC: one layer of 2^24 x 2^10 (2^34 parameters,
    // 64 GiB). It used to be allocated (and zeroed) before anything was checked.
    unsigned char f[40];
    memcpy(f, "BPNN", 4);
    put32(f + 4, 2);          // version
    put32(f + 8, 0x01020304); // byte-order mark
    put32(f + 12, 1);         // layers
    put32(f + 16, 1u << 24);  // inputs
    put32(f + 20, 1u << 10);  // outputs
    put32(f + 24, BP_ACT_IDENTITY);
    float alpha = 0.01f;
    memcpy(f + 28, &alpha, 4);
    put32(f + 32, 0); // flags
    fix_crc(f, sizeof f);
    write_bytes(tpath("huge.bpm"), f, sizeof f);
    bp_net *net = NULL;
    size_t allocs = bp_alloc_count;
    double t0 = now_s();
    EXPECT_FAIL(bp_net_load(tpath("huge.bpm"), NULL, &net), BP_STATUS_FORMAT_ERROR,
                "huge.bpm: the layer sizes claim 17179870208 parameters (68719480832 bytes), but only 0 bytes "
                "follow the header");
    cr_expect_lt(now_s() - t0, 1.0);
    // Only the file's 40 bytes were allocated.
    cr_expect_leq(bp_alloc_count - allocs, 1, "%zu allocations", bp_alloc_count - allocs);
    cr_expect_null(net);
}

static int wait_exit(pid_t pid, double limit_s) {
    double t0 = now_s();
    int status;
    while (now_s() - t0 < limit_s) {
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1; // still running after the limit
}

Test(model_bounds, devices_and_fifos_are_refused_without_reading, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = NULL;
    double t0 = now_s();
    EXPECT_FAIL(bp_net_load("/dev/zero", NULL, &net), BP_STATUS_IO_ERROR, "/dev/zero: not a regular file");
    cr_expect_lt(now_s() - t0, 1.0, "took %.2f s", now_s() - t0);
    // A FIFO with no writer: refused, not waited on.
    cr_assert_eq(mkfifo(tpath("fifo"), 0600), 0);
    t0 = now_s();
    EXPECT_FAIL(bp_net_load(tpath("fifo"), NULL, &net), BP_STATUS_IO_ERROR, "fifo: not a regular file");
    cr_expect_lt(now_s() - t0, 1.0, "took %.2f s", now_s() - t0);
    // The CLI: `backprop summary /dev/zero` used to read until it held 16 GiB.
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
#ifndef __SANITIZE_ADDRESS__ // ASan reserves terabytes of shadow address space
        struct rlimit lim = {(rlim_t)1 << 30, (rlim_t)1 << 30}; // 1 GiB of address space is plenty
        setrlimit(RLIMIT_AS, &lim);
#endif
        // execv, not execl: under an emulator the test's preloaded shim
        // (cmake/qemu-execve-shim.c) starts the aarch64 CLI through qemu,
        // and glibc's execl calls execve internally, past the shim.
        char *const argv[] = {BP_CLI_PATH, "summary", "/dev/zero", NULL};
        execv(BP_CLI_PATH, argv);
        _exit(127);
    }
    cr_expect_eq(wait_exit(pid, 10.0), 1, "backprop summary /dev/zero: expected exit 1");
}

// ---- model files: every header field with a valid CRC but a bad value -------

typedef struct {
    const char *field;
    size_t off;           // byte offset of the value in the file
    int bytes;            // 4 or 8 (a u64), or 32 (zero the RNG state)
    uint64_t value;
    int resume;           // load through bp_trainer_resume (the state is read then)
    const char *fragment; // the message must name the problem
} bad_field;

Test(model_bounds, every_field_with_valid_crc_but_bad_value_is_refused, .init = make_tmpdir,
     .fini = cleanup) {
    // 3-4-2 tanh/softmax with class names and momentum state; layout
    // (src/model_file.c): header 0-43, parameters 44-147 (26 floats),
    // sections 148-181 (count, tag, u64 length, count, "cat", "dog"),
    // trainer state 182-237, optimizer state 238-493 (64 floats), CRC.
    uint32_t sizes[] = {3, 4, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    const char *names[] = {"cat", "dog"};
    cr_assert_eq(bp_net_set_class_names(net, 2, names), BP_STATUS_OK, "%s", bp_last_error());
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_MOMENTUM;
    o.batch_size = 4;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    float x[4 * 3] = {0.1f, 0.2f, 0.3f, -0.1f, 0.5f, 0.2f, 0.9f, -0.4f, 0.0f, 0.3f, 0.3f, 0.3f};
    float y[4 * 2] = {1, 0, 0, 1, 1, 0, 0, 1};
    cr_assert_eq(bp_trainer_step(tr, x, y, 4, NULL), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_trainer_save_checkpoint(tr, tpath("good.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    FILE *f = fopen(tpath("good.bpm"), "rb");
    cr_assert_not_null(f);
    unsigned char good[4096];
    size_t len = fread(good, 1, sizeof good, f);
    fclose(f);
    cr_assert_eq(len, 238 + 64 * 4 + 4, "layout changed: %zu bytes", len);
    cr_assert_eq(memcmp(good + 172, "cat", 3), 0, "layout changed");
    // The untouched file loads both ways.
    bp_net *loaded = NULL;
    cr_assert_eq(bp_net_load(tpath("good.bpm"), NULL, &loaded), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_destroy(loaded);
    cr_assert_eq(bp_trainer_resume(tr, tpath("good.bpm")), BP_STATUS_OK, "%s", bp_last_error());

    const uint32_t nan_bits = 0x7fc00000u, inf_bits = 0x7f800000u;
    const bad_field cases[] = {
        {"version 0", 4, 4, 0, 0, "format version 0"},
        {"version 3", 4, 4, 3, 0, "format version 3"},
        {"byte order", 8, 4, 0x04030201u, 0, "wrong byte-order mark 0x04030201"},
        {"no layers", 12, 4, 0, 0, "0 layers (expected 1 to 64)"},
        {"65 layers", 12, 4, 65, 0, "65 layers (expected 1 to 64)"},
        {"max layers", 12, 4, 0xffffffffu, 0, "4294967295 layers"},
        {"3 layers", 12, 4, 3, 0, "bpm: "},
        {"no inputs", 16, 4, 0, 0, "input: 0 units"},
        {"width limit", 16, 4, (1u << 24) + 1, 0, "16777217 units (at most 16777216)"},
        {"wide input", 16, 4, 1u << 24, 0, "the layer sizes claim"},
        {"wide hidden", 20, 4, 1000, 0, "the layer sizes claim"},
        {"no hidden", 20, 4, 0, 0, "layer 1: 0 units"},
        {"wider output", 24, 4, 100, 0, "the layer sizes claim 516 parameters (2064 bytes), but only 450 bytes"},
        {"one softmax unit", 24, 4, 1, 0, "softmax needs at least 2 outputs"},
        {"activation", 28, 4, 99, 0, "layer 1: unknown activation 99"},
        {"hidden softmax", 28, 4, BP_ACT_SOFTMAX, 0, "softmax is only allowed on the output layer"},
        {"output activation", 32, 4, 0x80000000u, 0, "layer 2: unknown activation 2147483648"},
        {"alpha NaN", 36, 4, nan_bits, 0, "leaky-relu alpha is NaN"},
        {"alpha Inf", 36, 4, inf_bits, 0, "leaky-relu alpha is infinite"},
        {"flags", 40, 4, 2, 0, "unknown flags 0x2"},
        {"flags high", 40, 4, 0x80000001u, 0, "unknown flags 0x80000001"},
        {"weight NaN", 44, 4, nan_bits, 0, "layer 1: weight 0 is NaN"},
        {"last weight Inf", 44 + 11 * 4, 4, inf_bits | 0x80000000u, 0, "layer 1: weight 11 is infinite"},
        {"bias NaN", 44 + 12 * 4 + 8, 4, nan_bits, 0, "layer 1: bias 2 is NaN"},
        {"output bias Inf", 44 + 25 * 4, 4, inf_bits, 0, "layer 2: bias 1 is infinite"},
        {"sections count", 148, 4, 2, 0, "section 2"},
        {"sections count max", 148, 4, 0xffffffffu, 0, "section 2"},
        {"required section", 152, 4, 0x80000007u, 0, "section 0x80000007 is needed and unknown"},
        {"section length", 156, 8, UINT64_MAX, 0, "section 1: truncated"},
        {"section length short", 156, 8, 2, 0, "class names: count 0 does not fit a section of 2 bytes"},
        {"class count", 164, 4, 1000000, 0, "class names: count 1000000 does not fit a section of 18 bytes"},
        {"class count 3", 164, 4, 3, 0, "class name 2: bad length"},
        {"class name length", 168, 4, 200, 0, "class name 0: bad length"},
        {"optimizer", 182, 4, 77, 0, "optimizer word 0x0000004d"},
        {"precision", 182, 4, 0x00630001u, 0, "optimizer word 0x00630001"},
        {"rng zero", 198, 32, 0, 0, "the random generator's state is all zeros"},
        {"state size", 230, 8, 65, 0, "trainer state size does not match the file"},
        {"state size huge", 230, 8, UINT64_MAX / 2, 1, "trainer state size does not match the file"},
        {"state NaN", 238, 4, nan_bits, 1, "optimizer state value 0 is NaN"},
        {"state Inf", 238 + 63 * 4, 4, inf_bits, 1, "optimizer state value 63 is infinite"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const bad_field *k = &cases[c];
        unsigned char bad[sizeof good];
        memcpy(bad, good, len);
        if (k->bytes == 32) memset(bad + k->off, 0, 32);
        else for (int i = 0; i < k->bytes; i++) bad[k->off + (size_t)i] = (unsigned char)(k->value >> (8 * i));
        fix_crc(bad, len);
        write_bytes(tpath("bad.bpm"), bad, len);
        bp_status st = k->resume ? bp_trainer_resume(tr, tpath("bad.bpm")) : bp_net_load(tpath("bad.bpm"), NULL, &loaded);
        cr_expect_neq(st, BP_STATUS_OK, "%s: accepted", k->field);
        cr_expect(strstr(bp_last_error(), k->fragment) != NULL, "%s: message '%s' lacks '%s'", k->field,
                  bp_last_error(), k->fragment);
        if (st == BP_STATUS_OK && !k->resume) bp_net_destroy(loaded);
    }
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

// ---- evaluate checks labels and targets (item 11) ---------------------------

Test(evaluate_bounds, labels_outside_the_classes_are_refused) {
    uint32_t sizes[] = {2, 3};
    bp_act acts[] = {BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(1, sizes, acts, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    float x[4 * 2] = {0};
    int32_t labels[4] = {0, 2, 1, 0};
    bp_eval ev;
    bp_data d = {4, 2, x, 3, labels, 0, NULL};
    cr_assert_eq(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &d, 1, &ev), BP_STATUS_OK, "%s", bp_last_error());
    // A label past the one-hot row used to be written past it (SEGV) or
    // score "ok, loss 0".
    labels[2] = 1000000;
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &d, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "evaluate: row 2: label 1000000 outside [0, 3)");
    labels[2] = -1;
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &d, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "evaluate: row 2: label -1 outside [0, 3)");
    labels[2] = 1;
    d.n_classes = 9; // more classes than outputs
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &d, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "evaluate: 9 classes, the network has 3 outputs");
    d.n_classes = 3;
    d.labels = NULL;
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &d, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "evaluate: labels missing");
    // Targets: the width must match and the array must be there.
    bp_data t = {4, 2, x, 0, NULL, 3, NULL};
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &t, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "evaluate: 3 targets, the network has 3 outputs");
    float y[4 * 2] = {0};
    bp_data t2 = {4, 2, x, 0, NULL, 2, y};
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &t2, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "evaluate: 2 targets, the network has 3 outputs");
    bp_net_destroy(net);
    // One sigmoid output: labels are 0 or 1.
    uint32_t s1[] = {2, 1};
    bp_act a1[] = {BP_ACT_SIGMOID};
    cr_assert_eq(bp_net_create(1, s1, a1, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    int32_t l1[4] = {0, 1, 2, 1};
    bp_data d1 = {4, 2, x, 2, l1, 0, NULL};
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SIGMOID_BCE, &d1, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "evaluate: row 2: label 2 outside [0, 2)");
    bp_net_destroy(net);
}

// ---- degenerate loss / output combinations (item 15) --------------------------

Test(loss_bounds, one_unit_softmax_is_refused) {
    uint32_t sizes[] = {2, 4, 1};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    EXPECT_FAIL(bp_net_create(2, sizes, acts, NULL, &net), BP_STATUS_INVALID_ARGUMENT,
                "layer 2: softmax over 1 unit (softmax needs at least 2 outputs");
    cr_expect_null(net);
}

Test(loss_bounds, cli_softmax_xent_with_one_output_is_refused, .init = make_tmpdir, .fini = cleanup) {
    // It used to train a 1-unit softmax: loss 0, accuracy 50%, exit 0.
    // The CLI is started directly (no /bin/sh: under an emulator a host
    // shell cannot start the aarch64 CLI; execv goes through the test's
    // emulator shim), its stdout and stderr on one pipe.
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        char *const argv[] = {BP_CLI_PATH, "train", "-q", "--data", "xor", "--layers", "2,4,1", "--loss",
                              "softmax_xent", "--epochs", "2", "-o", (char *)tpath("m.bpm"), NULL};
        execv(BP_CLI_PATH, argv);
        _exit(127);
    }
    close(fd[1]);
    char out[4096];
    size_t n = 0;
    for (ssize_t got; n < sizeof out - 1 && (got = read(fd[0], out + n, sizeof out - 1 - n)) > 0;)
        n += (size_t)got;
    out[n] = '\0';
    close(fd[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) != 0, "exit status %d; output: %s", status, out);
    cr_expect(strstr(out, "softmax needs at least 2 outputs") != NULL, "output: %s", out);
    cr_expect_neq(access(tpath("m.bpm"), F_OK), 0, "a model was written");
}

Test(loss_bounds, sigmoid_bce_needs_targets_in_0_1) {
    uint32_t sizes[] = {2, 1};
    bp_act acts[] = {BP_ACT_SIGMOID};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(1, sizes, acts, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    float x[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 5, 1};
    bp_data d = {4, 2, x, 0, NULL, 1, y};
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_SIGMOID_BCE;
    o.epochs = 1;
    EXPECT_FAIL(bp_train(net, &d, &o), BP_STATUS_INVALID_ARGUMENT,
                "training data: row 2, target 0 is 5; sigmoid_bce needs targets in [0, 1]");
    y[2] = 1;
    cr_expect_eq(bp_train(net, &d, &o), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_destroy(net);
}

// ---- gzip IDX files must end with their trailer (item 12) ---------------------

static size_t gzip_bytes(const unsigned char *src, size_t n, unsigned char *dst, size_t cap) {
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t out = z.total_out;
    deflateEnd(&z);
    return out;
}

// A 5-image 2x3 IDX pair: images gzip'ed (gz_len bytes in gz), labels plain.
static size_t make_idx_pair(unsigned char *gz, size_t cap) {
    unsigned char img[16 + 30], lab[8 + 5];
    const unsigned char ih[16] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 3};
    const unsigned char lh[8] = {0, 0, 8, 1, 0, 0, 0, 5};
    memcpy(img, ih, 16);
    for (int i = 0; i < 30; i++) img[16 + i] = (unsigned char)(i * 8);
    memcpy(lab, lh, 8);
    for (int i = 0; i < 5; i++) lab[8 + i] = (unsigned char)(i % 3);
    write_bytes(tpath("labels.idx"), lab, sizeof lab);
    return gzip_bytes(img, sizeof img, gz, cap);
}

Test(idx_bounds, gzip_without_or_with_a_wrong_trailer_is_refused, .init = make_tmpdir, .fini = cleanup) {
    unsigned char gz[512];
    size_t n = make_idx_pair(gz, sizeof gz);
    bp_dataset ds;
    write_bytes(tpath("images.gz"), gz, n);
    cr_assert_eq(bp_data_load_idx(tpath("images.gz"), tpath("labels.idx"), &ds), BP_STATUS_OK, "%s",
                 bp_last_error());
    cr_expect_eq(ds.d.n, 5);
    bp_dataset_free(&ds);
    // Without the 8-byte trailer (CRC-32 and length) every pixel is there,
    // and the file used to load as if nothing were wrong.
    for (size_t cut = 1; cut <= 8; cut++) {
        write_bytes(tpath("images.gz"), gz, n - cut);
        bp_status st = bp_data_load_idx(tpath("images.gz"), tpath("labels.idx"), &ds);
        cr_expect_eq(st, BP_STATUS_FORMAT_ERROR, "trailer cut by %zu bytes: %s", cut, bp_last_error());
        cr_expect(strstr(bp_last_error(), "ends without its CRC-32/length trailer") != NULL,
                  "cut %zu: %s", cut, bp_last_error());
    }
    // A wrong CRC (a corrupted pixel would show the same way) or length.
    unsigned char bad[512];
    memcpy(bad, gz, n);
    bad[n - 8] ^= 1;
    write_bytes(tpath("images.gz"), bad, n);
    EXPECT_FAIL(bp_data_load_idx(tpath("images.gz"), tpath("labels.idx"), &ds), BP_STATUS_FORMAT_ERROR,
                "corrupt gzip data: incorrect data check");
    memcpy(bad, gz, n);
    bad[n - 4] ^= 1;
    write_bytes(tpath("images.gz"), bad, n);
    EXPECT_FAIL(bp_data_load_idx(tpath("images.gz"), tpath("labels.idx"), &ds), BP_STATUS_FORMAT_ERROR,
                "corrupt gzip data: incorrect length check");
}

Test(idx_bounds, devices_and_fifos_are_refused, .init = make_tmpdir, .fini = cleanup) {
    unsigned char gz[512];
    make_idx_pair(gz, sizeof gz);
    bp_dataset ds;
    cr_assert_eq(mkfifo(tpath("fifo"), 0600), 0);
    double t0 = now_s();
    EXPECT_FAIL(bp_data_load_idx(tpath("fifo"), tpath("labels.idx"), &ds), BP_STATUS_IO_ERROR,
                "fifo: cannot read: not a regular file");
    cr_expect_lt(now_s() - t0, 1.0);
    EXPECT_FAIL(bp_data_load_idx("/dev/zero", tpath("labels.idx"), &ds), BP_STATUS_IO_ERROR,
                "/dev/zero: cannot read: not a regular file");
}

// ---- the trainer's workspace is sized by min(batch, rows) (item 4) -------------

static bp_net *small_net(void) {
    uint32_t sizes[] = {20, 256, 10};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.seed = 7;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, &no, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

Test(trainer_bounds, huge_batch_on_few_rows_reserves_only_the_rows) {
    enum { N = 300 };
    static float x[N * 20];
    static int32_t labels[N];
    bp_test_fill(x, N * 20, -1.0f, 1.0f, 3);
    for (int i = 0; i < N; i++) labels[i] = i % 10;
    bp_data d = {N, 20, x, 10, labels, 0, NULL};
    bp_train_options o = bp_train_options_default();
    o.epochs = 3;
    o.n_threads = 2;
    o.dropout = 0.1f;
    // The big batch runs in a child whose peak memory is measured: with a
    // workspace of 200000 rows (20-256-10, dropout) it would touch about
    // 0.9 GB; 300 rows of it are a few hundred KB. The child is forked
    // before this process starts any OpenMP team (libgomp does not survive
    // a fork once its pool exists).
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(pipefd[0]);
        bp_net *net = small_net();
        bp_train_options ob = o;
        ob.batch_size = 200000;
        // Under qemu-user a thread created in a forked child aborts qemu
        // itself (cpu_exec: assertion failed): one thread there (the weights
        // are the same, and the workspace's size does not depend on it).
        if (BP_TEST_EMULATED) ob.n_threads = 1;
        bp_status st = bp_train(net, &d, &ob);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        long maxrss_kb = ru.ru_maxrss;
        size_t nw = 20 * 256;
        ssize_t w1 = write(pipefd[1], &st, sizeof st);
        ssize_t w2 = write(pipefd[1], &maxrss_kb, sizeof maxrss_kb);
        ssize_t w3 = write(pipefd[1], bp_net_weights(net, 0), nw * sizeof(float));
        _exit(w1 > 0 && w2 > 0 && w3 > 0 ? 0 : 1);
    }
    // Batch 300 (all rows) against batch 200000: the same single batch per
    // epoch, so the weights must be bit-identical.
    o.batch_size = N;
    bp_net *ref = small_net();
    cr_assert_eq(bp_train(ref, &d, &o), BP_STATUS_OK, "%s", bp_last_error());
    close(pipefd[1]);
    bp_status st = BP_STATUS_IO_ERROR;
    long maxrss_kb = 0;
    static float w[20 * 256];
    cr_assert_eq(read(pipefd[0], &st, sizeof st), (ssize_t)sizeof st);
    cr_assert_eq(read(pipefd[0], &maxrss_kb, sizeof maxrss_kb), (ssize_t)sizeof maxrss_kb);
    size_t got = 0;
    while (got < sizeof w) {
        ssize_t r = read(pipefd[0], (char *)w + got, sizeof w - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    cr_assert_eq(st, BP_STATUS_OK, "batch 200000 on 300 rows failed");
    cr_assert_eq(got, sizeof w);
    // The child's peak includes the test program, libraries and (under
    // ASan) shadow memory: far below the 900 MB the old workspace touched.
    cr_expect_lt(maxrss_kb, 300 * 1024, "peak memory %ld KB", maxrss_kb);
    cr_expect_eq(memcmp(w, bp_net_weights(ref, 0), sizeof w), 0,
                 "batch 200000 on 300 rows differs from batch 300");
    bp_net_destroy(ref);
}

Test(trainer_bounds, workspace_grows_for_a_larger_data_set_and_steps_take_the_batch) {
    bp_net *net = small_net();
    enum { N = 40 };
    static float x[N * 20], y[N * 10];
    static int32_t labels[N];
    bp_test_fill(x, N * 20, -1.0f, 1.0f, 5);
    for (int i = 0; i < N; i++) {
        labels[i] = i % 10;
        y[i * 10 + i % 10] = 1.0f;
    }
    bp_train_options o = bp_train_options_default();
    o.batch_size = 32;
    o.n_threads = 1;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    double loss;
    bp_data small = {8, 20, x, 10, labels, 0, NULL}, all = {N, 20, x, 10, labels, 0, NULL};
    cr_assert_eq(bp_trainer_run_epoch(tr, &small, &loss), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_trainer_run_epoch(tr, &all, &loss), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_trainer_step(tr, x, y, 32, NULL), BP_STATUS_OK, "%s", bp_last_error());
    EXPECT_FAIL(bp_trainer_step(tr, x, y, 33, NULL), BP_STATUS_INVALID_ARGUMENT,
                "bp_trainer_step: 33 rows (expected 1 to 32)");
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}
