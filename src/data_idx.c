// SPDX-License-Identifier: MIT
// IDX loader (the MNIST / Fashion-MNIST layout), plain or gzip.
//
//   images: u32 magic 0x00000803 (unsigned bytes, 3 dimensions),
//           u32 count, u32 rows, u32 cols, then count*rows*cols pixels
//   labels: u32 magic 0x00000801 (unsigned bytes, 1 dimension),
//           u32 count, then count labels
// All header words are big-endian. zlib's gzread reads plain files
// unchanged, so one path serves both.
//
// The pixel and label bytes are read in growing chunks, never trusting the
// header's count for the size of an allocation: a corrupt header claiming
// four billion images fails with "expected N bytes, found M", not with an
// out-of-memory error.
//
// Only regular files are read (a FIFO or a device is refused before a byte
// is read), and a gzip file must end with its trailer: its CRC-32 and length
// are checked when the reader looks past the last pixel, so a file cut
// short or with a corrupt trailer is refused, never loaded silently.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bp_internal.h"

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
// Read granularity; also the first buffer size.
#define IDX_CHUNK ((size_t)1 << 20)

typedef struct idx_file {
    gzFile gz;
    const char *path;
} idx_file;

static bp_status idx_open(idx_file *f, const char *path) {
    f->path = path;
    // O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused).
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return bp_fail(BP_STATUS_IO_ERROR, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    const char *why = fstat(fd, &sb) != 0 ? strerror(errno)
                      : S_ISDIR(sb.st_mode) ? "is a directory"
                      : !S_ISREG(sb.st_mode) ? "not a regular file (IDX data is read from regular files)"
                                             : NULL;
    if (why) {
        close(fd);
        return bp_fail(BP_STATUS_IO_ERROR, "%s: cannot read: %s", path, why);
    }
    errno = 0;
    f->gz = gzdopen(fd, "rb");
    if (!f->gz) {
        close(fd);
        return bp_fail(BP_STATUS_IO_ERROR, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    }
    return BP_STATUS_OK;
}

// zlib's message for the stream, without the "<fd:N>: " it puts first.
static const char *gz_message(idx_file *f, int *err) {
    const char *msg = gzerror(f->gz, err);
    const char *colon = strncmp(msg, "<fd:", 4) == 0 ? strstr(msg, ": ") : NULL;
    return colon ? colon + 2 : msg;
}

static void idx_close(idx_file *f) {
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

// Read up to n bytes; *got receives how many arrived before end of file.
// A broken gzip stream is a FORMAT_ERROR; a read failure an IO_ERROR. A gzip
// stream cut short is not an error here (zlib reports it as Z_BUF_ERROR):
// the caller sees the short count and says how many bytes were missing.
static bp_status idx_read(idx_file *f, unsigned char *dst, size_t n, size_t *got) {
    *got = 0;
    while (*got < n) {
        size_t want = n - *got;
        unsigned chunk = want > ((size_t)1 << 30) ? 1u << 30 : (unsigned)want;
        int r = gzread(f->gz, dst + *got, chunk);
        if (r < 0) {
            int err;
            const char *msg = gz_message(f, &err);
            if (err == Z_ERRNO)
                return bp_fail(BP_STATUS_IO_ERROR, "%s: read error: %s", f->path, strerror(errno));
            if (err == Z_BUF_ERROR) return BP_STATUS_OK;
            return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: corrupt gzip data: %s", f->path, msg);
        }
        if (r == 0) {
            int err;
            const char *msg = gz_message(f, &err);
            if (err != Z_OK && err != Z_BUF_ERROR)
                return err == Z_ERRNO
                           ? bp_fail(BP_STATUS_IO_ERROR, "%s: read error: %s", f->path, strerror(errno))
                           : bp_fail(BP_STATUS_FORMAT_ERROR, "%s: corrupt gzip data: %s", f->path, msg);
            return BP_STATUS_OK;
        }
        *got += (size_t)r;
    }
    return BP_STATUS_OK;
}

// Read the magic and `ndims` dimensions of a header.
static bp_status idx_header(idx_file *f, uint32_t magic, const char *kind, uint32_t *dims,
                            int ndims) {
    unsigned char h[16];
    size_t need = 4 * (size_t)(ndims + 1), got;
    bp_status st = idx_read(f, h, need, &got);
    if (st != BP_STATUS_OK) return st;
    if (got < 4)
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %zu bytes, too short for an IDX header", f->path, got);
    uint32_t m = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (m != magic) {
        const char *hint = m == IDX_MAGIC_IMAGES   ? " (an images file)"
                           : m == IDX_MAGIC_LABELS ? " (a labels file)"
                                                   : "";
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: wrong magic 0x%08x%s, expected 0x%08x for %s",
                       f->path, m, hint, magic, kind);
    }
    if (got < need)
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: truncated header (%zu of %zu bytes)", f->path,
                       got, need);
    for (int i = 0; i < ndims; i++) {
        const unsigned char *p = h + 4 * (i + 1);
        dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
    return BP_STATUS_OK;
}

// Read exactly n payload bytes into a new buffer (grown chunk by chunk) and
// check that nothing follows them.
static bp_status idx_payload(idx_file *f, size_t n, const char *what, unsigned char **out) {
    *out = NULL;
    size_t cap = n < IDX_CHUNK ? n : IDX_CHUNK, have = 0;
    unsigned char *buf = bp_alloc(cap ? cap : 1, 1);
    if (!buf) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory", f->path);
    bp_status st = BP_STATUS_OK;
    for (;;) {
        size_t got;
        st = idx_read(f, buf + have, cap - have, &got);
        if (st != BP_STATUS_OK) break;
        have += got;
        if (have < cap) { // end of file before the header's count
            st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: expected %zu bytes of %s, found %zu", f->path,
                         n, what, have);
            break;
        }
        if (have == n) break;
        size_t ncap = cap > n / 2 ? n : 2 * cap;
        unsigned char *nb = bp_alloc(ncap, 1);
        if (!nb) {
            st = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory for %zu bytes", f->path, ncap);
            break;
        }
        memcpy(nb, buf, have);
        bp_free(buf);
        buf = nb;
        cap = ncap;
    }
    if (st == BP_STATUS_OK) {
        // Nothing may follow the payload, and a gzip stream must end with
        // its trailer, which zlib checks only when asked for more: a
        // missing trailer is Z_BUF_ERROR (end of file mid-stream), a wrong
        // CRC or length Z_DATA_ERROR.
        unsigned char extra[64];
        int got = gzread(f->gz, extra, sizeof extra), err;
        const char *msg = gz_message(f, &err);
        if (got > 0)
            st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: unexpected data after %zu bytes of %s",
                         f->path, n, what);
        else if (err == Z_ERRNO)
            st = bp_fail(BP_STATUS_IO_ERROR, "%s: read error: %s", f->path, strerror(errno));
        else if (err == Z_BUF_ERROR)
            st = bp_fail(BP_STATUS_FORMAT_ERROR,
                         "%s: the gzip stream ends without its CRC-32/length trailer (the file is cut short)",
                         f->path);
        else if (err != Z_OK)
            st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: corrupt gzip data: %s", f->path, msg);
    }
    if (st != BP_STATUS_OK) {
        bp_free(buf);
        return st;
    }
    *out = buf;
    return BP_STATUS_OK;
}

bp_status bp_data_load_idx(const char *images_path, const char *labels_path, bp_dataset *out) {
    if (!images_path || !labels_path || !out)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_data_load_idx: NULL argument");
    memset(out, 0, sizeof *out);
    idx_file fi = {NULL, images_path}, fl = {NULL, labels_path};
    unsigned char *pixels = NULL, *labels = NULL;
    uint32_t idims[3] = {0, 0, 0}, ldims[1] = {0};
    size_t n = 0, width = 0, n_pixels = 0;
    bp_status st = idx_open(&fi, images_path);
    if (st == BP_STATUS_OK) st = idx_header(&fi, IDX_MAGIC_IMAGES, "images", idims, 3);
    if (st == BP_STATUS_OK) st = idx_open(&fl, labels_path);
    if (st == BP_STATUS_OK) st = idx_header(&fl, IDX_MAGIC_LABELS, "labels", ldims, 1);
    if (st != BP_STATUS_OK) goto done;
    if (idims[0] == 0) {
        st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: holds no images", images_path);
        goto done;
    }
    if (idims[1] == 0 || idims[2] == 0) {
        st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: images of %u x %u pixels", images_path, idims[1],
                     idims[2]);
        goto done;
    }
    if (idims[0] != ldims[0]) {
        st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s holds %u images but %s holds %u labels",
                     images_path, idims[0], labels_path, ldims[0]);
        goto done;
    }
    {
        int ok = 1;
        n = idims[0];
        width = bp_mul_size(idims[1], idims[2], &ok);
        if (!ok || width > BP_MAX_WIDTH) {
            st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: images of %u x %u pixels are too large (at most %u)",
                         images_path, idims[1], idims[2], BP_MAX_WIDTH);
            goto done;
        }
        n_pixels = bp_mul_size(n, width, &ok);
        if (!ok || n_pixels > SIZE_MAX / sizeof(float)) {
            st = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %zu images of %zu pixels overflow the address space",
                         images_path, n, width);
            goto done;
        }
    }
    st = idx_payload(&fi, n_pixels, "pixels", &pixels);
    if (st == BP_STATUS_OK) st = idx_payload(&fl, n, "labels", &labels);
    if (st != BP_STATUS_OK) goto done;
    {
        uint32_t max_label = 0;
        for (size_t i = 0; i < n; i++)
            if (labels[i] > max_label) max_label = labels[i];
        st = bp_dataset_alloc(out, n, (uint32_t)width, max_label + 1 < 2 ? 2 : max_label + 1, 0);
        if (st != BP_STATUS_OK) goto done;
        for (size_t i = 0; i < n_pixels; i++) out->x_mem[i] = (float)pixels[i] / 255.0f; // exact at 0 and 1
        for (size_t i = 0; i < n; i++) out->labels_mem[i] = labels[i];
    }
done:
    idx_close(&fi);
    idx_close(&fl);
    bp_free(pixels);
    bp_free(labels);
    if (st != BP_STATUS_OK) bp_dataset_free(out);
    return st;
}
