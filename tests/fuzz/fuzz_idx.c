// SPDX-License-Identifier: MIT
// libFuzzer harness: the IDX loader, plain and gzip. Input layout:
//   byte 0     flags: bit 0 gzip the images part, bit 1 gzip the labels part
//   bytes 1-4  the images part's length (little-endian; cut to what is left)
//   then       the images file, then the labels file
// The harness gzips a part itself when its flag is set, so mutations reach
// the IDX parser behind a valid gzip stream; with the flag clear the bytes
// go as they are, so a seed that is already gzipped fuzzes the gzip reader
// (truncated streams, bad CRC trailers, concatenated members).
#define _GNU_SOURCE
#include <stdlib.h>
#include <zlib.h>

#include "backprop.h"
#include "fuzz_util.h"

static fuzz_file images, labels;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_file_open(&images, "images");
    fuzz_file_open(&labels, "labels");
    return 0;
}

// data[0..n) into f, gzipped when zip; 0 when the harness ran out of memory.
static int put(fuzz_file *f, const uint8_t *data, size_t n, int zip) {
    if (!zip) {
        fuzz_file_set(f, data, n);
        return 1;
    }
    z_stream z = {0};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0; // 15+16: gzip wrapper
    uLong cap = deflateBound(&z, (uLong)n);
    uint8_t *out = malloc(cap);
    int ok = out != NULL;
    if (ok) {
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
    }
    if (ok) fuzz_file_set(f, out, cap - z.avail_out);
    deflateEnd(&z);
    free(out);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    uint8_t flags = data[0];
    size_t rest = size - 5, n_img = fuzz_u32(data + 1, 4);
    if (n_img > rest) n_img = rest;
    const uint8_t *img = data + 5, *lab = img + n_img;
    if (!put(&images, img, n_img, flags & 1) || !put(&labels, lab, rest - n_img, flags & 2)) return 0;
    bp_dataset ds;
    if (bp_data_load_idx(images.path, labels.path, &ds) != BP_STATUS_OK) return 0;
    // What the loader promises about a data set it returns.
    const bp_data *d = &ds.d;
    if (d->n == 0 || d->n_in == 0 || d->n_classes == 0 || !d->x || !d->labels) abort();
    for (size_t i = 0; i < d->n; i++)
        if (d->labels[i] < 0 || (uint32_t)d->labels[i] >= d->n_classes) abort();
    bp_dataset_free(&ds);
    return 0;
}
