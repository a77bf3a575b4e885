// SPDX-License-Identifier: MIT
// Shared by the libFuzzer harnesses: the loaders take paths, so each input
// is handed to them as an anonymous in-memory file (memfd) named by
// /proc/self/fd/N. Nothing is ever created on disk, so a harness leaves no
// temporary file behind however it ends, and every open of the path starts
// at offset 0 of exactly the bytes of this input.
#ifndef BP_FUZZ_UTIL_H
#define BP_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

typedef struct fuzz_file {
    int fd;
    char path[64];
} fuzz_file;

// Created once per process (memfd_create needs _GNU_SOURCE; the harnesses
// define it before any include). A failure here is the harness's, not the
// library's: abort so that it is not mistaken for a clean run.
static inline void fuzz_file_open(fuzz_file *f, const char *name) {
    f->fd = memfd_create(name, MFD_CLOEXEC);
    if (f->fd < 0) abort();
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

// Make the file hold exactly data[0..n).
static inline void fuzz_file_set(fuzz_file *f, const uint8_t *data, size_t n) {
    if (ftruncate(f->fd, 0) != 0) abort();
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(f->fd, data + done, n - done, (off_t)done);
        if (w <= 0) abort();
        done += (size_t)w;
    }
}

// Little-endian u32 from the first bytes of an input (0 where it is short).
static inline uint32_t fuzz_u32(const uint8_t *p, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4 && i < n; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

// Model and checkpoint inputs: byte 0 is a mode, the rest is the file. A
// file ends in the CRC-32 of every byte before it, which random mutations
// almost never keep right; with bit 0 of the mode set the harness writes
// the right CRC over the last 4 bytes, so mutations get past the checksum
// to the fields behind it. With it clear the file goes as it is (and the
// checksum check itself is fuzzed).
static inline void fuzz_file_set_model(fuzz_file *f, const uint8_t *data, size_t size) {
    if (size == 0) {
        fuzz_file_set(f, data, 0);
        return;
    }
    const uint8_t *file = data + 1;
    size_t n = size - 1;
    if (!(data[0] & 1) || n < 4) {
        fuzz_file_set(f, file, n);
        return;
    }
    uint8_t *copy = malloc(n);
    if (!copy) abort();
    memcpy(copy, file, n);
    uLong c = crc32(crc32(0L, Z_NULL, 0), copy, (uInt)(n - 4));
    for (int i = 0; i < 4; i++) copy[n - 4 + i] = (uint8_t)(c >> (8 * i));
    fuzz_file_set(f, copy, n);
    free(copy);
}

#endif
