// SPDX-License-Identifier: MIT
// Small inputs must not do large damage (issue 9): every size a file claims
// is checked against what the file holds and against the documented limits
// before anything is allocated, endless inputs are refused as they are
// read, and values that cannot be right (labels out of range, NaN weights, a
// one-unit softmax) are refused with a message naming the value and the
// limit. Each test here failed on the main branch before the fix it covers.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
