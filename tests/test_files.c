// SPDX-License-Identifier: MIT
// Files under bad input: the IDX and CSV loaders and the model file. Every
// rejection is checked for its status AND a fragment of its message; the
// good paths are checked value by value.
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bp_test.h"

#define EXPECT_FAIL(call, status, fragment)                                                 \
    do {                                                                                    \
        bp_status st_ = (call);                                                             \
        cr_expect_eq(st_, status, "%s returned %s (%s)", #call, bp_status_string(st_),      \
                     bp_last_error());                                                      \
        cr_expect(strstr(bp_last_error(), fragment) != NULL, "%s: message '%s' lacks '%s'", \
                  #call, bp_last_error(), fragment);                                        \
    } while (0)

// ---- temporary directory ---------------------------------------------------

static char tmpdir[256];

// In /dev/shm where there is one: the corruption tests rewrite a file a few
// thousand times, and rewriting (truncating) a file on ext4 costs ~2 ms each.
static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/dev/shm/bp-test-files-XXXXXX");
    if (mkdtemp(tmpdir)) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-files-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp failed");
}

static void remove_tree(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

static void cleanup(void) {
    if (tmpdir[0]) remove_tree(tmpdir);
}

static const char *tpath(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) & 3;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n, int gz) {
    if (gz) {
        gzFile f = gzopen(path, "wb");
        cr_assert_not_null(f, "gzopen %s", path);
        if (n) cr_assert_eq(gzwrite(f, p, (unsigned)n), (int)n);
        cr_assert_eq(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f, "fopen %s", path);
        if (n) cr_assert_eq(fwrite(p, 1, n, f), n);
        cr_assert_eq(fclose(f), 0);
    }
}

static void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text), 0); }

static size_t read_bytes(const char *path, unsigned char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "fopen %s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

// ---- IDX ---------------------------------------------------------------------

static size_t put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

// An images file: header (magic, count, rows, cols) then `n_bytes` pixel
// bytes (pixel i is (i * 37) mod 256, so 0 and 255 both occur for n >= 8).
static void write_images(const char *path, uint32_t magic, uint32_t count, uint32_t rows,
                         uint32_t cols, size_t n_bytes, int gz) {
    unsigned char *b = malloc(16 + n_bytes);
    size_t k = put_be32(b, magic);
    k += put_be32(b + k, count);
    k += put_be32(b + k, rows);
    k += put_be32(b + k, cols);
    for (size_t i = 0; i < n_bytes; i++) b[k + i] = (unsigned char)((i * 37) % 256);
    write_bytes(path, b, 16 + n_bytes, gz);
    free(b);
}

// A labels file: header (magic, count) then n_bytes labels (i mod 3).
static void write_labels(const char *path, uint32_t magic, uint32_t count, size_t n_bytes, int gz) {
    unsigned char *b = malloc(8 + n_bytes);
    size_t k = put_be32(b, magic);
    k += put_be32(b + k, count);
    for (size_t i = 0; i < n_bytes; i++) b[k + i] = (unsigned char)(i % 3);
    write_bytes(path, b, 8 + n_bytes, gz);
    free(b);
}

static void check_small_idx(const bp_dataset *ds) {
    // 7 images of 3 x 4 pixels, labels 0,1,2,0,1,2,0.
    cr_assert_eq(ds->d.n, 7);
    cr_assert_eq(ds->d.n_in, 12);
    cr_expect_eq(ds->d.n_classes, 3);
    cr_expect_eq(ds->d.n_targets, 0);
    for (size_t i = 0; i < 7 * 12; i++) {
        unsigned v = (unsigned)((i * 37) % 256);
        // v / 255 in float is correctly rounded, exact at 0 and 255.
        cr_expect_eq(ds->d.x[i], (float)v / 255.0f, "pixel %zu: %g", i, (double)ds->d.x[i]);
        cr_expect(ds->d.x[i] >= 0.0f && ds->d.x[i] <= 1.0f);
    }
    for (size_t i = 0; i < 7; i++) cr_expect_eq(ds->d.labels[i], (int32_t)(i % 3));
}

Test(idx, plain_and_gzip_load_the_same, .init = make_tmpdir, .fini = cleanup) {
    write_images(tpath("img"), 0x803, 7, 3, 4, 84, 0);
    write_labels(tpath("lab"), 0x801, 7, 7, 0);
    write_images(tpath("img.gz"), 0x803, 7, 3, 4, 84, 1);
    write_labels(tpath("lab.gz"), 0x801, 7, 7, 1);
    bp_dataset a, b;
    cr_assert_eq(bp_data_load_idx(tpath("img"), tpath("lab"), &a), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_data_load_idx(tpath("img.gz"), tpath("lab.gz"), &b), BP_STATUS_OK, "%s", bp_last_error());
    check_small_idx(&a);
    check_small_idx(&b);
    bp_dataset_free(&a);
    bp_dataset_free(&b);
    // Mixed: gzip images with plain labels.
    cr_assert_eq(bp_data_load_idx(tpath("img.gz"), tpath("lab"), &a), BP_STATUS_OK, "%s", bp_last_error());
    check_small_idx(&a);
    bp_dataset_free(&a);
}

Test(idx, white_pixel_is_exactly_one, .init = make_tmpdir, .fini = cleanup) {
    unsigned char img[16 + 2], lab[8 + 1];
    size_t k = put_be32(img, 0x803);
    k += put_be32(img + k, 1);
    k += put_be32(img + k, 1);
    k += put_be32(img + k, 2);
    img[16] = 255;
    img[17] = 0;
    put_be32(lab, 0x801);
    put_be32(lab + 4, 1);
    lab[8] = 0;
    write_bytes(tpath("i"), img, sizeof img, 0);
    write_bytes(tpath("l"), lab, sizeof lab, 0);
    bp_dataset ds;
    cr_assert_eq(bp_data_load_idx(tpath("i"), tpath("l"), &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.x[0], 1.0f);
    cr_expect_eq(ds.d.x[1], 0.0f);
    cr_expect_eq(ds.d.n_classes, 2, "all labels 0 still gives 2 classes");
    bp_dataset_free(&ds);
}

Test(idx, wrong_magic, .init = make_tmpdir, .fini = cleanup) {
    write_images(tpath("img"), 0x804, 7, 3, 4, 84, 0);
    write_labels(tpath("lab"), 0x801, 7, 7, 0);
    bp_dataset ds;
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                "wrong magic 0x00000804");
    cr_expect(strstr(bp_last_error(), tpath("img")) != NULL, "message names the file: %s", bp_last_error());
    cr_expect_null(ds.x_mem);
    // Images and labels swapped.
    write_images(tpath("img"), 0x803, 7, 3, 4, 84, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("lab"), tpath("img"), &ds), BP_STATUS_FORMAT_ERROR,
                "wrong magic 0x00000801");
    write_labels(tpath("lab"), 0x802, 7, 7, 1);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                "wrong magic 0x00000802");
}

Test(idx, short_data, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    write_labels(tpath("lab"), 0x801, 7, 7, 0);
    for (int gz = 0; gz < 2; gz++) {
        write_images(tpath("img"), 0x803, 7, 3, 4, 10, gz);
        EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                    "expected 84 bytes of pixels, found 10");
    }
    write_images(tpath("img"), 0x803, 7, 3, 4, 84, 0);
    write_labels(tpath("lab"), 0x801, 7, 3, 1);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                "expected 7 bytes of labels, found 3");
    // A header that claims four billion images over a few bytes is a format
    // error (never an attempt to allocate what the header claims).
    write_images(tpath("img"), 0x803, 0xFFFFFFFFu, 28, 28, 1000, 0);
    write_labels(tpath("lab"), 0x801, 0xFFFFFFFFu, 10, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                "bytes of pixels, found 1000");
    // Truncated header; empty file.
    unsigned char h[6] = {0, 0, 8, 3, 0, 0};
    write_bytes(tpath("img"), h, sizeof h, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR, "truncated header");
    write_bytes(tpath("img"), h, 0, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                "too short for an IDX header");
}

Test(idx, truncated_gzip_stream, .init = make_tmpdir, .fini = cleanup) {
    // A gzip file cut in the middle of its compressed stream.
    write_images(tpath("img.gz"), 0x803, 50, 28, 28, 50 * 784, 1);
    write_labels(tpath("lab"), 0x801, 50, 50, 0);
    unsigned char *buf = malloc(1 << 20);
    size_t n = read_bytes(tpath("img.gz"), buf, 1 << 20);
    cr_assert_gt(n, 40);
    write_bytes(tpath("cut.gz"), buf, n / 2, 0);
    free(buf);
    bp_dataset ds;
    bp_status st = bp_data_load_idx(tpath("cut.gz"), tpath("lab"), &ds);
    cr_expect_eq(st, BP_STATUS_FORMAT_ERROR, "%s", bp_last_error());
    cr_expect(strstr(bp_last_error(), "cut.gz") != NULL, "%s", bp_last_error());
}

Test(idx, mismatched_counts_and_bad_dimensions, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    write_images(tpath("img"), 0x803, 7, 3, 4, 84, 0);
    write_labels(tpath("lab"), 0x801, 6, 6, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                "holds 7 images but");
    cr_expect(strstr(bp_last_error(), "holds 6 labels") != NULL, "%s", bp_last_error());
    write_images(tpath("img"), 0x803, 7, 0, 4, 0, 0);
    write_labels(tpath("lab"), 0x801, 7, 7, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR, "0 x 4 pixels");
    write_images(tpath("img"), 0x803, 0, 3, 4, 0, 0);
    write_labels(tpath("lab"), 0x801, 0, 0, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR, "no images");
    // Images wider than a layer may be (2^24): rejected before reading pixels.
    write_images(tpath("img"), 0x803, 1, 65536, 65536, 0, 0);
    write_labels(tpath("lab"), 0x801, 1, 1, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR, "too large");
    // Extra bytes after the pixels.
    write_images(tpath("img"), 0x803, 7, 3, 4, 90, 0);
    write_labels(tpath("lab"), 0x801, 7, 7, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("lab"), &ds), BP_STATUS_FORMAT_ERROR,
                "unexpected data after 84 bytes of pixels");
}

Test(idx, missing_files, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    write_labels(tpath("lab"), 0x801, 7, 7, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("nope"), tpath("lab"), &ds), BP_STATUS_IO_ERROR, "cannot open");
    cr_expect(strstr(bp_last_error(), "nope") != NULL);
    write_images(tpath("img"), 0x803, 7, 3, 4, 84, 0);
    EXPECT_FAIL(bp_data_load_idx(tpath("img"), tpath("nolabels"), &ds), BP_STATUS_IO_ERROR, "nolabels: cannot open");
    EXPECT_FAIL(bp_data_load_idx(NULL, tpath("lab"), &ds), BP_STATUS_INVALID_ARGUMENT, "NULL");
}

// ---- CSV -------------------------------------------------------------------

Test(csv, header_detected_and_values, .init = make_tmpdir, .fini = cleanup) {
    write_text(tpath("a.csv"), "x1,x2,label\n0.5,-2,1\n\n3e2, 4 ,0\r\n1,2,2\n");
    bp_dataset ds;
    cr_assert_eq(bp_data_load_csv(tpath("a.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(ds.d.n, 3);
    cr_assert_eq(ds.d.n_in, 2);
    cr_expect_eq(ds.d.n_classes, 3);
    const float want[] = {0.5f, -2.0f, 300.0f, 4.0f, 1.0f, 2.0f};
    for (int i = 0; i < 6; i++) cr_expect_eq(ds.d.x[i], want[i], "x[%d] = %g", i, (double)ds.d.x[i]);
    cr_expect_eq(ds.d.labels[0], 1);
    cr_expect_eq(ds.d.labels[1], 0);
    cr_expect_eq(ds.d.labels[2], 2);
    bp_dataset_free(&ds);
    // No header: the first line is data.
    write_text(tpath("b.csv"), "1,2,0\n3,4,1\n");
    cr_assert_eq(bp_data_load_csv(tpath("b.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n, 2);
    cr_expect_eq(ds.d.x[0], 1.0f);
    bp_dataset_free(&ds);
    // header = 1 skips the first line even when it is numeric.
    cr_assert_eq(bp_data_load_csv(tpath("b.csv"), -1, 1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n, 1);
    cr_expect_eq(ds.d.x[0], 3.0f);
    bp_dataset_free(&ds);
    // header = 0 on a file with a header: the header is bad data.
    EXPECT_FAIL(bp_data_load_csv(tpath("a.csv"), -1, 0, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "a.csv line 1, column 1: 'x1' is not a number");
}

Test(csv, label_column_choice, .init = make_tmpdir, .fini = cleanup) {
    write_text(tpath("c.csv"), "label,a,b\n2,10,20\n0,30,40\n");
    bp_dataset ds;
    cr_assert_eq(bp_data_load_csv(tpath("c.csv"), 0, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n_in, 2);
    cr_expect_eq(ds.d.labels[0], 2);
    cr_expect_eq(ds.d.labels[1], 0);
    cr_expect_eq(ds.d.x[0], 10.0f);
    cr_expect_eq(ds.d.x[3], 40.0f);
    bp_dataset_free(&ds);
    // A middle column.
    cr_assert_eq(bp_data_load_csv(tpath("c.csv"), 1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.labels[0], 10);
    cr_expect_eq(ds.d.labels[1], 30);
    cr_expect_eq(ds.d.n_classes, 31);
    cr_expect_eq(ds.d.x[0], 2.0f);
    cr_expect_eq(ds.d.x[1], 20.0f);
    bp_dataset_free(&ds);
    EXPECT_FAIL(bp_data_load_csv(tpath("c.csv"), 3, -1, 0, &ds), BP_STATUS_INVALID_ARGUMENT,
                "label column 3, but the file has 3 columns");
    EXPECT_FAIL(bp_data_load_csv(tpath("c.csv"), -2, -1, 0, &ds), BP_STATUS_INVALID_ARGUMENT, "label column -2");
    // The last column, as a fraction: not a label.
    EXPECT_FAIL(bp_data_load_csv(tpath("c.csv"), -1, 0, 0, &ds), BP_STATUS_FORMAT_ERROR, "line 1, column 1");
    write_text(tpath("d.csv"), "1,2,0.5\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("d.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "d.csv line 1, column 3: label '0.5' is not an integer");
    write_text(tpath("d.csv"), "1,2,1\n1,2,-1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("d.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "line 2, column 3: label '-1' is not an integer");
}

Test(csv, targets_for_regression, .init = make_tmpdir, .fini = cleanup) {
    write_text(tpath("r.csv"), "1,2,3,0.25,-0.5\n4,5,6,1e-3,7\n");
    bp_dataset ds;
    cr_assert_eq(bp_data_load_csv(tpath("r.csv"), -1, -1, 2, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n_in, 3);
    cr_expect_eq(ds.d.n_classes, 0);
    cr_expect_eq(ds.d.n_targets, 2);
    cr_expect_null(ds.d.labels);
    cr_expect_eq(ds.d.targets[0], 0.25f);
    cr_expect_eq(ds.d.targets[1], -0.5f);
    cr_expect_eq(ds.d.targets[2], 1e-3f);
    cr_expect_eq(ds.d.targets[3], 7.0f);
    cr_expect_eq(ds.d.x[5], 6.0f);
    bp_dataset_free(&ds);
    EXPECT_FAIL(bp_data_load_csv(tpath("r.csv"), -1, -1, 5, &ds), BP_STATUS_INVALID_ARGUMENT,
                "5 target columns leave no feature");
}

Test(csv, wrong_column_count, .init = make_tmpdir, .fini = cleanup) {
    write_text(tpath("w.csv"), "a,b,c\n1,2,0\n\n1,2\n");
    bp_dataset ds;
    EXPECT_FAIL(bp_data_load_csv(tpath("w.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "w.csv line 4: 2 columns, expected 3");
    cr_expect_null(ds.x_mem);
    write_text(tpath("w.csv"), "1,2,0\n1,2,0,5\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("w.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "line 2: 4 columns, expected 3");
    write_text(tpath("w.csv"), "1,2,0,\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("w.csv"), -1, 0, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "line 1, column 4: empty cell");
    write_text(tpath("w.csv"), "5\n6\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("w.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR, "1 column");
}

Test(csv, non_numbers_and_non_finite, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    write_text(tpath("n.csv"), "f1,f2,f3,f4,f5,y\n1,2,3,4,5,0\n1,2,3,4,abc,1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("n.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "n.csv line 3, column 5: 'abc' is not a number");
    write_text(tpath("n.csv"), "1,2,0\nNaN,2,1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("n.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "line 2, column 1: 'NaN' is not a finite number");
    // A NaN in the first line is reported as such, not taken for a header.
    write_text(tpath("n.csv"), "1,nan,0\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("n.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "line 1, column 2: 'nan' is not a finite number");
    write_text(tpath("n.csv"), "1,2,0\n1,-inf,1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("n.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "line 2, column 2: '-inf' is not a finite number");
    write_text(tpath("n.csv"), "1,2,0\n1,1e39,1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("n.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "'1e39' is out of float range");
    write_text(tpath("n.csv"), "1,2,0\n1,2x,1\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("n.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "'2x' is not a number");
}

Test(csv, empty_missing_and_long_lines, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    write_text(tpath("e.csv"), "");
    EXPECT_FAIL(bp_data_load_csv(tpath("e.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR,
                "e.csv: no data rows (the file is empty)");
    write_text(tpath("e.csv"), "a,b,c\n\n");
    EXPECT_FAIL(bp_data_load_csv(tpath("e.csv"), -1, -1, 0, &ds), BP_STATUS_FORMAT_ERROR, "no data rows");
    EXPECT_FAIL(bp_data_load_csv(tpath("missing.csv"), -1, -1, 0, &ds), BP_STATUS_IO_ERROR,
                "missing.csv: cannot open");
    EXPECT_FAIL(bp_data_load_csv(tmpdir, -1, -1, 0, &ds), BP_STATUS_IO_ERROR, "read error");
    // 30000 columns in one line (about 200 KB): no fixed line limit, nothing
    // silently truncated.
    enum { COLS = 30000 };
    char *line = malloc(COLS * 8 + 16);
    size_t k = 0;
    for (int r = 0; r < 2; r++) {
        // The last cell is the label: a class count two rows can justify.
        for (int c = 0; c < COLS; c++)
            k += (size_t)sprintf(line + k, "%s%d", c ? "," : "", c + 1 < COLS ? (c * 7 + r) % 1000 : 7 + r);
        line[k++] = '\n';
    }
    line[k] = '\0';
    write_text(tpath("long.csv"), line);
    free(line);
    cr_assert_eq(bp_data_load_csv(tpath("long.csv"), -1, -1, 0, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n, 2);
    cr_expect_eq(ds.d.n_in, COLS - 1);
    cr_expect_eq(ds.d.x[COLS - 2], (float)(((COLS - 2) * 7) % 1000));
    cr_expect_eq(ds.d.labels[1], 8);
    bp_dataset_free(&ds);
}

// ---- model files -------------------------------------------------------------

static bp_net *model(uint64_t seed) {
    uint32_t sizes[] = {3, 5, 4, 3};
    bp_act acts[] = {BP_ACT_GELU, BP_ACT_LEAKY_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.seed = seed;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(3, sizes, acts, &no, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

Test(model_file, save_load_predict_bit_identical, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = model(3);
    // Train a little so the weights are not just the initial draw.
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("spirals", 64, &ds), BP_STATUS_OK);
    float x[64 * 3];
    for (int i = 0; i < 64; i++) {
        x[3 * i] = ds.d.x[2 * i];
        x[3 * i + 1] = ds.d.x[2 * i + 1];
        x[3 * i + 2] = ds.d.x[2 * i] * ds.d.x[2 * i + 1];
    }
    bp_data d = {64, 3, x, 2, ds.d.labels, 0, NULL};
    bp_train_options o = bp_train_options_default();
    o.epochs = 3;
    o.batch_size = 16;
    cr_assert_eq(bp_train(net, &d, &o), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_save(net, tpath("m.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    bp_net *back = NULL;
    cr_assert_eq(bp_net_load(tpath("m.bpm"), NULL, &back), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_n_layers(back), 3);
    for (size_t i = 0; i <= 3; i++) cr_expect_eq(bp_net_size(back, i), bp_net_size(net, i));
    for (size_t l = 0; l < 3; l++) cr_expect_eq(bp_net_activation(back, l), bp_net_activation(net, l));
    float y1[64 * 3], y2[64 * 3];
    cr_assert_eq(bp_net_predict(net, x, 64, y1), BP_STATUS_OK);
    cr_assert_eq(bp_net_predict(back, x, 64, y2), BP_STATUS_OK);
    cr_expect_eq(memcmp(y1, y2, sizeof y1), 0, "predictions differ after save/load");
    bp_net_destroy(back);
    bp_net_destroy(net);
    bp_dataset_free(&ds);
}

// Load every prefix of a model file: each must fail with FORMAT_ERROR and a
// message naming the file; none may crash (ASan watches the reads).
Test(model_file, every_truncation_rejected, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = model(5);
    cr_assert_eq(bp_net_save(net, tpath("m.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_destroy(net);
    unsigned char buf[4096];
    size_t n = read_bytes(tpath("m.bpm"), buf, sizeof buf);
    cr_assert_gt(n, 100);
    cr_assert_lt(n, sizeof buf);
    const char *p = tpath("t.bpm");
    for (size_t len = 0; len < n; len++) {
        write_bytes(p, buf, len, 0);
        bp_net *back = (bp_net *)&back; // must be reset to NULL
        bp_status st = bp_net_load(p, NULL, &back);
        cr_expect_eq(st, BP_STATUS_FORMAT_ERROR, "%zu of %zu bytes: %s (%s)", len, n,
                     bp_status_string(st), bp_last_error());
        cr_expect(strstr(bp_last_error(), p) != NULL, "%zu bytes: message '%s'", len, bp_last_error());
        cr_expect_null(back, "%zu bytes: out not cleared", len);
        if (st == BP_STATUS_OK) bp_net_destroy(back);
    }
    // Trailing garbage is corruption too.
    buf[n] = 0;
    write_bytes(p, buf, n + 1, 0);
    bp_net *back = NULL;
    EXPECT_FAIL(bp_net_load(p, NULL, &back), BP_STATUS_FORMAT_ERROR, "t.bpm");
}

// Flip every bit of every byte: CRC-32 detects every single-bit error, and
// the header checks run before it, so each flip is a FORMAT_ERROR.
Test(model_file, every_bit_flip_rejected, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = model(6);
    cr_assert_eq(bp_net_save(net, tpath("m.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_destroy(net);
    unsigned char buf[4096];
    size_t n = read_bytes(tpath("m.bpm"), buf, sizeof buf);
    const char *p = tpath("f.bpm");
    size_t failures = 0;
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (unsigned char)(1u << bit);
            write_bytes(p, buf, n, 0);
            buf[i] ^= (unsigned char)(1u << bit);
            bp_net *back = NULL;
            bp_status st = bp_net_load(p, NULL, &back);
            int ok = st == BP_STATUS_FORMAT_ERROR && strstr(bp_last_error(), p) != NULL && !back;
            if (!ok && failures++ < 10)
                cr_expect(ok, "byte %zu bit %d: %s (%s)", i, bit, bp_status_string(st), bp_last_error());
            if (back) bp_net_destroy(back);
        }
    cr_expect_eq(failures, 0, "%zu of %zu flips accepted or misreported", failures, 8 * n);
    // The untouched copy still loads.
    write_bytes(p, buf, n, 0);
    bp_net *back = NULL;
    cr_expect_eq(bp_net_load(p, NULL, &back), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_destroy(back);
}

// A save that cannot complete leaves the previous model file untouched.
Test(model_file, failed_save_keeps_old_file, .init = make_tmpdir, .fini = cleanup) {
    bp_net *a = model(7), *b = model(8);
    const char *path = tpath("keep.bpm");
    cr_assert_eq(bp_net_save(a, path), BP_STATUS_OK, "%s", bp_last_error());
    unsigned char before[4096], after[4096];
    size_t n_before = read_bytes(path, before, sizeof before);

    // 1. The temporary file cannot be created: the target's name has 250
    //    bytes, so "<name>.tmp.<pid>.<n>" exceeds the 255-byte limit of a
    //    file name (ENAMETOOLONG). This fails even for root.
    char long_name[251];
    memset(long_name, 'm', 250);
    long_name[250] = '\0';
    const char *long_path = tpath(long_name);
    write_bytes(long_path, before, n_before, 0);
    EXPECT_FAIL(bp_net_save(b, long_path), BP_STATUS_IO_ERROR, "cannot create");
    cr_expect_eq(read_bytes(long_path, after, sizeof after), n_before);
    cr_expect_eq(memcmp(before, after, n_before), 0, "the old model changed");

    // 2. An unwritable directory (meaningful only without root's override).
    if (geteuid() != 0) {
        cr_assert_eq(chmod(tmpdir, 0500), 0);
        EXPECT_FAIL(bp_net_save(b, path), BP_STATUS_IO_ERROR, "cannot create");
        chmod(tmpdir, 0700);
        cr_expect_eq(read_bytes(path, after, sizeof after), n_before);
        cr_expect_eq(memcmp(before, after, n_before), 0, "the old model changed");
    }

    // 3. A directory that does not exist.
    EXPECT_FAIL(bp_net_save(b, tpath("no/such/dir.bpm")), BP_STATUS_IO_ERROR, "cannot create");

    // The old file still loads and predicts as network a.
    bp_net *back = NULL;
    cr_assert_eq(bp_net_load(path, NULL, &back), BP_STATUS_OK, "%s", bp_last_error());
    float x[3] = {0.1f, -0.2f, 0.3f}, ya[3], yb[3];
    cr_assert_eq(bp_net_predict(a, x, 1, ya), BP_STATUS_OK);
    cr_assert_eq(bp_net_predict(back, x, 1, yb), BP_STATUS_OK);
    cr_expect_eq(memcmp(ya, yb, sizeof ya), 0);
    // No temporary files were left behind.
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", tmpdir);
    cr_expect_neq(system(cmd), 0, "a temporary file was left in %s", tmpdir);
    bp_net_destroy(back);
    bp_net_destroy(a);
    bp_net_destroy(b);
}
