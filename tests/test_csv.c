// SPDX-License-Identifier: MIT
// The library's one CSV reader (src/csv.c) beyond what test_files.c and
// test_input_bounds.c check through bp_data_load_csv: delimiters, quoting,
// text labels and class names, id and dropped columns, number tables.
#include <unistd.h>

#include "bp_test.h"

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-csv-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void cleanup(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) cr_expect_eq(system(cmd), 0);
}

static const char *put(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    return path;
}

#define EXPECT_FAIL(call, status, fragment)                                                          \
    do {                                                                                             \
        cr_expect_eq((call), status, "%s: %s", #call, bp_last_error());                              \
        cr_expect(strstr(bp_last_error(), fragment) != NULL, "message '%s' lacks '%s'", bp_last_error(), \
                  fragment);                                                                         \
    } while (0)

Test(csv_reader, delimiters_detected_and_quotes, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    bp_csv_options o = bp_csv_options_default();
    // ';' with a quoted cell holding ';' and an escaped quote in the label.
    const char *p = put("a.csv", "a;b;label\n1.5;\"2;0\";\"x\"\"y\"\n3;4;z\n");
    // "2;0" is not a number: the quote makes it one cell, and it is text.
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_FORMAT_ERROR, "line 2, column 2: '2;0' is not a number");
    p = put("b.csv", "a;b;label\n1.5;\"2\";\"x\"\"y\"\n3;4;z\n");
    cr_assert_eq(bp_data_read_csv(p, &o, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(ds.d.n, 2);
    cr_expect_eq(ds.d.n_in, 2);
    cr_expect_eq(ds.had_header, 1);
    cr_expect_eq(ds.d.x[1], 2.0f);
    cr_assert_eq(ds.d.n_classes, 2);
    cr_expect_str_eq(ds.class_names[0], "x\"y");
    cr_expect_str_eq(ds.class_names[1], "z");
    bp_dataset_free(&ds);
    // Tabs, and a tab file's blanks are not separators.
    p = put("c.tsv", "1\t2\t0\n3\t4\t1\n");
    cr_assert_eq(bp_data_read_csv(p, &o, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(ds.d.n == 2 && ds.d.n_in == 2 && ds.d.n_classes == 2 && ds.class_names == NULL);
    bp_dataset_free(&ds);
    p = put("d.csv", "1,\"2,3\n");
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_FORMAT_ERROR, "line 1, column 2: a quote is not closed");
    p = put("e.csv", "1,\"2\"x,3\n");
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_FORMAT_ERROR, "text after the closing quote");
    // A decimal comma in a ';' file gets a hint.
    p = put("f.csv", "1,5;2;0\n");
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_FORMAT_ERROR, "decimal commas");
    o.delimiter = '|';
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_INVALID_ARGUMENT, "expected ',', ';' or tab");
}

Test(csv_reader, labels_numbers_text_and_given_names, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    bp_csv_options o = bp_csv_options_default();
    // Text labels: classes in sorted byte order.
    const char *p = put("a.csv", "1,virginica\n2,setosa\n3,versicolor\n4,setosa\n");
    cr_assert_eq(bp_data_read_csv(p, &o, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(ds.d.n_classes, 3);
    cr_expect_str_eq(ds.class_names[0], "setosa");
    cr_expect_str_eq(ds.class_names[2], "virginica");
    const int32_t want[] = {2, 0, 1, 0};
    for (int i = 0; i < 4; i++) cr_expect_eq(ds.d.labels[i], want[i], "row %d", i);
    bp_dataset_free(&ds);
    // Given names (a model's): by name, or a number in range; others fail.
    const char *names[] = {"virginica", "setosa", "versicolor"};
    o.class_names = names;
    o.n_class_names = 3;
    p = put("b.csv", "1,setosa\n2,2\n");
    cr_assert_eq(bp_data_read_csv(p, &o, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(ds.d.n_classes == 3 && ds.d.labels[0] == 1 && ds.d.labels[1] == 2);
    cr_expect_str_eq(ds.class_names[0], "virginica");
    bp_dataset_free(&ds);
    p = put("c.csv", "1,setosa\n2,rose\n");
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_FORMAT_ERROR, "line 2: label 'rose' is none of the model's 3 classes");
    // Numbers: class numbers; a non-integer among them is an error, not a class.
    o = bp_csv_options_default();
    p = put("d.csv", "1,0\n2,2\n3,1.5\n");
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_FORMAT_ERROR, "line 3, column 2: label '1.5' is not an integer");
    p = put("e.csv", "1,cat\n2,cat\n");
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_FORMAT_ERROR, "every row has the label 'cat'");
}

Test(csv_reader, id_and_dropped_columns, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    bp_csv_options o = bp_csv_options_default();
    const char *p = put("a.csv", "id,x1,x2,y\nA-1,1,2,yes\nB-2,3,4,no\n");
    o.label_col = BP_CSV_NO_LABEL;
    o.id_col = 0;
    o.drop_col = -1;
    cr_assert_eq(bp_data_read_csv(p, &o, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(ds.d.n == 2 && ds.d.n_in == 2 && ds.d.n_classes == 0 && ds.d.n_targets == 0);
    cr_expect(ds.d.x[0] == 1.0f && ds.d.x[3] == 4.0f);
    cr_expect_str_eq(ds.ids[1], "B-2");
    bp_dataset_free(&ds);
    // Id column beside a label and targets.
    o = bp_csv_options_default();
    o.id_col = 0;
    o.n_targets = 1;
    p = put("b.csv", "r1,1,2,0.5\nr2,3,4,1.5\n");
    cr_assert_eq(bp_data_read_csv(p, &o, &ds), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(ds.d.n_in == 2 && ds.d.n_targets == 1 && ds.d.targets[1] == 1.5f);
    bp_dataset_free(&ds);
    o.id_col = 9;
    EXPECT_FAIL(bp_data_read_csv(p, &o, &ds), BP_STATUS_INVALID_ARGUMENT, "id column 9, but the file has 4 columns");
}

Test(csv_reader, number_tables, .init = make_tmpdir, .fini = cleanup) {
    bp_csv_table t;
    const char *p = put("log.csv", "epoch;loss;accuracy\n1;0.5;\n2;0.25;0.75\n");
    cr_assert_eq(bp_csv_read_table(p, 0, -1, &t), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(t.n_rows == 2 && t.n_cols == 3);
    cr_expect_str_eq(t.names[2], "accuracy");
    cr_expect(isnan(t.values[2]), "empty cell is NaN");
    cr_expect_eq(t.values[4], 0.25);
    bp_csv_table_free(&t);
    p = put("bad.csv", "a,b\n1,x\n");
    EXPECT_FAIL(bp_csv_read_table(p, 0, 1, &t), BP_STATUS_FORMAT_ERROR, "line 2, column 2: 'x' is not a number");
    p = put("none.csv", "1,2\n3,4\n");
    cr_assert_eq(bp_csv_read_table(p, ',', -1, &t), BP_STATUS_OK);
    cr_expect(t.names == NULL && t.n_rows == 2);
    bp_csv_table_free(&t);
}
