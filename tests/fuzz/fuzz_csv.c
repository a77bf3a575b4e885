// SPDX-License-Identifier: MIT
// libFuzzer harness: the CSV loaders. Input layout: two option bytes, then
// the CSV file. The same file goes through bp_data_read_csv (with the
// options the two bytes pick), bp_data_load_csv and bp_csv_read_table, and
// a data set that loads is checked against what the loader promises.
//   byte 0 bits 0-1  header: detect, none, first line, detect
//          bits 2-3  delimiter: detect, ',', ';', tab
//          bits 4-5  label: last column, column 0, none, (byte 1 bits 0-1)+1 targets
//          bit  6    id column: (byte 1 bits 4-5)
//          bit  7    map labels through the class names "cat", "dog", "7"
//   byte 1 bits 2-3  dropped column: none, last, 0, 1
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>

#include "backprop.h"
#include "fuzz_util.h"

static fuzz_file csv;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_file_open(&csv, "csv");
    return 0;
}

static void check(const bp_dataset *ds) {
    const bp_data *d = &ds->d;
    if (d->n == 0 || (d->n_in && !d->x)) abort();
    for (size_t i = 0; i < d->n * d->n_in; i++)
        if (!isfinite(d->x[i])) abort();
    if (d->n_classes) {
        if (!d->labels || d->n_classes > BP_MAX_CLASSES) abort();
        for (size_t i = 0; i < d->n; i++)
            if (d->labels[i] < 0 || (uint32_t)d->labels[i] >= d->n_classes) abort();
    }
    if (d->n_targets) {
        if (!d->targets) abort();
        for (size_t i = 0; i < d->n * d->n_targets; i++)
            if (!isfinite(d->targets[i])) abort();
    }
    if (ds->class_names)
        for (uint32_t k = 0; k < d->n_classes; k++)
            if (!ds->class_names[k]) abort();
    if (ds->ids)
        for (size_t i = 0; i < d->n; i++)
            if (!ds->ids[i]) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t a = data[0], b = data[1];
    fuzz_file_set(&csv, data + 2, size - 2);
    static const int headers[] = {-1, 0, 1, -1};
    static const char delims[] = {0, ',', ';', '\t'};
    static const int drops[] = {BP_CSV_NO_LABEL, -1, 0, 1};
    static const char *const names[] = {"cat", "dog", "7"};
    bp_csv_options o = bp_csv_options_default();
    o.header = headers[a & 3];
    o.delimiter = delims[(a >> 2) & 3];
    switch ((a >> 4) & 3) {
    case 0: o.label_col = -1; break;
    case 1: o.label_col = 0; break;
    case 2: o.label_col = BP_CSV_NO_LABEL; break;
    default: o.n_targets = (uint32_t)(b & 3) + 1; break;
    }
    if (a & 0x40) o.id_col = (b >> 4) & 3;
    if (a & 0x80) {
        o.class_names = names;
        o.n_class_names = 3;
    }
    o.drop_col = drops[(b >> 2) & 3];
    bp_dataset ds;
    if (bp_data_read_csv(csv.path, &o, &ds) == BP_STATUS_OK) {
        check(&ds);
        bp_dataset_free(&ds);
    }
    if (bp_data_load_csv(csv.path, -1, o.header, (a >> 4) == 3 ? o.n_targets : 0, &ds) == BP_STATUS_OK) {
        check(&ds);
        bp_dataset_free(&ds);
    }
    bp_csv_table t;
    if (bp_csv_read_table(csv.path, o.delimiter, o.header, &t) == BP_STATUS_OK) {
        if (t.n_cols == 0 || (t.n_rows && !t.values)) abort();
        bp_csv_table_free(&t);
    }
    return 0;
}
