// SPDX-License-Identifier: MIT
// The model file: a versioned little-endian binary format.
//
//   offset  field
//   0       magic "BPNN"
//   4       u32 format version (2; version 1 files, which lack the
//           sections, still load)
//   8       u32 byte-order mark 0x01020304 (as written little-endian)
//   12      u32 n_layers (1..64)
//   16      u32 sizes[n_layers + 1]
//           u32 activations[n_layers]
//           f32 leaky-relu alpha
//           u32 flags (bit 0: trainer state follows the parameters)
//           per layer: f32 weights[n_out * n_in] (row-major), f32 bias[n_out]
//           version 2: u32 n_sections, then per section
//                         u32 tag, u64 length, u8 payload[length]
//           if flags & 1: u32 optimizer, u32 epoch, u64 step, u64 rng[4],
//                         u64 n_state, f32 state[n_state]
//                         (optimizer: bp_optimizer in bits 0-15, the
//                         training's bp_precision in bits 16-23)
//   end-4   u32 CRC-32 (zlib) of every byte before it
//
// Sections carry optional parts of a model; adding a kind of section needs
// no new version. A reader skips a section whose tag it does not know,
// unless the tag has bit 31 set (BP_SECTION_REQUIRED): then the file needs
// a newer build and is refused. Tags in use (payloads little-endian):
//   1  input scaling:  u32 kind (bp_scale), f32 offset[n_in], f32 scale[n_in]
//   2  output scaling: u32 kind, f32 offset[n_out], f32 scale[n_out]
//   3  class names:    u32 n, then n times: u32 length, bytes (no NUL)
// Each section appears at most once.
//
// Saving goes through bp_save_file (save.c): a temporary file renamed over
// path, so a crash mid-save leaves the previous file intact.
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bp_internal.h"

#define BP_MAGIC "BPNN"
#define BP_FORMAT_VERSION 2u
#define BP_SECTION_REQUIRED 0x80000000u
enum { SEC_INPUT_SCALING = 1, SEC_OUTPUT_SCALING = 2, SEC_CLASS_NAMES = 3 };
#define BP_BOM 0x01020304u
// Largest model file accepted (16 GiB). Every size the header claims is
// checked against the file's actual length before anything is allocated.
#define BP_MAX_FILE_BYTES ((size_t)1 << 34)

typedef struct {
    unsigned char *p;
    size_t len, cap;
} wbuf;

static void put_u32(wbuf *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b->p[b->len++] = (unsigned char)(v >> (8 * i));
}
static void put_u64(wbuf *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b->p[b->len++] = (unsigned char)(v >> (8 * i));
}
static void put_f32(wbuf *b, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

typedef struct {
    const unsigned char *p;
    size_t len, pos;
} rbuf;

static int get_u32(rbuf *b, uint32_t *v) {
    if (b->len - b->pos < 4) return 0;
    *v = 0;
    for (int i = 0; i < 4; i++) *v |= (uint32_t)b->p[b->pos++] << (8 * i);
    return 1;
}
static int get_u64(rbuf *b, uint64_t *v) {
    if (b->len - b->pos < 8) return 0;
    *v = 0;
    for (int i = 0; i < 8; i++) *v |= (uint64_t)b->p[b->pos++] << (8 * i);
    return 1;
}
static int get_f32(rbuf *b, float *f) {
    uint32_t v;
    if (!get_u32(b, &v)) return 0;
    memcpy(f, &v, 4);
    return 1;
}

static uint32_t crc_of(const unsigned char *p, size_t n) {
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) { // zlib takes uInt lengths
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

static void put_bytes(wbuf *b, const void *p, size_t n) {
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

// The sections' bytes (n_sections included); with b, also writes them.
static size_t put_sections(wbuf *b, const bp_net *net) {
    uint32_t n_in = net->layers[0].n_in, n_out = net->layers[net->n_layers - 1].n_out;
    size_t bytes = 4, count = 0;
    size_t in_len = 4 + 8 * (size_t)n_in, out_len = 4 + 8 * (size_t)n_out, names_len = 4;
    for (size_t i = 0; i < net->n_class_names; i++) names_len += 4 + strlen(net->class_names[i]);
    if (net->in_offset) bytes += 12 + in_len, count++;
    if (net->out_offset) bytes += 12 + out_len, count++;
    if (net->n_class_names) bytes += 12 + names_len, count++;
    if (!b) return bytes;
    put_u32(b, (uint32_t)count);
    const struct {
        uint32_t tag;
        uint32_t n;
        bp_scale kind;
        const float *off, *sc;
        size_t len;
    } sc[2] = {{SEC_INPUT_SCALING, n_in, net->in_kind, net->in_offset, net->in_scale, in_len},
               {SEC_OUTPUT_SCALING, n_out, net->out_kind, net->out_offset, net->out_scale, out_len}};
    for (int k = 0; k < 2; k++) {
        if (!sc[k].off) continue;
        put_u32(b, sc[k].tag);
        put_u64(b, sc[k].len);
        put_u32(b, (uint32_t)sc[k].kind);
        for (uint32_t j = 0; j < sc[k].n; j++) put_f32(b, sc[k].off[j]);
        for (uint32_t j = 0; j < sc[k].n; j++) put_f32(b, sc[k].sc[j]);
    }
    if (net->n_class_names) {
        put_u32(b, SEC_CLASS_NAMES);
        put_u64(b, names_len);
        put_u32(b, (uint32_t)net->n_class_names);
        for (size_t i = 0; i < net->n_class_names; i++) {
            size_t len = strlen(net->class_names[i]);
            put_u32(b, (uint32_t)len);
            put_bytes(b, net->class_names[i], len);
        }
    }
    return bytes;
}

bp_status bp_model_write(const bp_net *net, const bp_ckpt_state *st, const char *path) {
    if (!net || !path || !path[0]) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "save: NULL network or empty path");
    size_t L = net->n_layers;
    size_t bytes = 16 + 4 * (L + 1) + 4 * L + 8 + 4 * net->n_params + put_sections(NULL, net) + 4;
    if (st) bytes += 4 + 4 + 8 + 32 + 8 + 4 * st->n_state;
    wbuf b = {bp_alloc(bytes, 1), 0, bytes};
    if (!b.p) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "save: no memory for %zu bytes", bytes);
    memcpy(b.p, BP_MAGIC, 4);
    b.len = 4;
    put_u32(&b, BP_FORMAT_VERSION);
    put_u32(&b, BP_BOM);
    put_u32(&b, (uint32_t)L);
    put_u32(&b, net->layers[0].n_in);
    for (size_t l = 0; l < L; l++) put_u32(&b, net->layers[l].n_out);
    for (size_t l = 0; l < L; l++) put_u32(&b, (uint32_t)net->layers[l].act);
    put_f32(&b, net->act_params.alpha);
    put_u32(&b, st ? 1u : 0u);
    for (size_t l = 0; l < L; l++) {
        const struct bp_layer *Ly = &net->layers[l];
        for (size_t i = 0; i < (size_t)Ly->n_out * Ly->n_in; i++) put_f32(&b, Ly->w[i]);
        for (size_t i = 0; i < Ly->n_out; i++) put_f32(&b, Ly->b[i]);
    }
    put_sections(&b, net);
    if (st) {
        put_u32(&b, st->optimizer);
        put_u32(&b, st->epoch);
        put_u64(&b, st->step);
        for (int i = 0; i < 4; i++) put_u64(&b, st->rng[i]);
        put_u64(&b, (uint64_t)st->n_state);
        for (size_t i = 0; i < st->n_state; i++) put_f32(&b, st->state[i]);
    }
    put_u32(&b, crc_of(b.p, b.len));

    bp_status r = bp_save_file(path, b.p, b.len);
    bp_free(b.p);
    return r;
}

// Reads a whole model file into a buffer of exactly its length. Only a
// regular file is read: a FIFO, a terminal or a device (/dev/zero) is
// refused before any byte is read (O_NONBLOCK: opening a FIFO does not wait
// for a writer), and the length comes from fstat, so nothing is allocated
// beyond what the file holds, and never beyond BP_MAX_FILE_BYTES.
static bp_status read_all(const char *path, unsigned char **out, size_t *len) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return bp_fail(BP_STATUS_IO_ERROR, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    bp_status r = BP_STATUS_OK;
    unsigned char *p = NULL;
    size_t n = 0;
    if (fstat(fd, &sb) != 0) {
        r = bp_fail(BP_STATUS_IO_ERROR, "%s: cannot stat: %s", path, strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        r = bp_fail(BP_STATUS_IO_ERROR, "%s: read error: is a directory", path);
    } else if (!S_ISREG(sb.st_mode)) {
        r = bp_fail(BP_STATUS_IO_ERROR, "%s: not a regular file (a model is read from a regular file, "
                    "not a device, FIFO or socket)", path);
    } else if ((uint64_t)sb.st_size > BP_MAX_FILE_BYTES) {
        r = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %llu bytes, larger than any model file (at most %zu)",
                    path, (unsigned long long)sb.st_size, BP_MAX_FILE_BYTES);
    } else {
        size_t size = (size_t)sb.st_size;
        p = bp_alloc(size ? size : 1, 1);
        if (!p) r = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory for %zu bytes", path, size);
        while (p && n < size) { // a file that shrinks meanwhile ends short: the CRC check refuses it
            ssize_t got = read(fd, p + n, size - n);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                r = bp_fail(BP_STATUS_IO_ERROR, "%s: read error: %s", path, strerror(errno));
                break;
            }
            if (got == 0) break;
            n += (size_t)got;
        }
    }
    close(fd);
    if (r != BP_STATUS_OK) {
        bp_free(p);
        return r;
    }
    *out = p;
    *len = n;
    return BP_STATUS_OK;
}

// A model's values must be numbers: weights, biases and trainer state.
static bp_status check_finite_block(const float *v, size_t n, const char *path, size_t layer,
                                    const char *what) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            if (layer)
                return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: layer %zu: %s %zu is %s", path, layer,
                               what, i, isnan(v[i]) ? "NaN" : "infinite");
            return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %s %zu is %s", path, what, i,
                           isnan(v[i]) ? "NaN" : "infinite");
        }
    return BP_STATUS_OK;
}

// One scaling section's payload (len bytes) for n columns.
static bp_status read_scaling(rbuf *b, uint64_t len, bp_net *net, int output, const char *path) {
    uint32_t n = output ? net->layers[net->n_layers - 1].n_out : net->layers[0].n_in, kind;
    const char *what = output ? "output" : "input";
    if (len != 4 + 8 * (uint64_t)n || !get_u32(b, &kind))
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %s scaling: %llu bytes, expected %llu for %u columns", path,
                       what, (unsigned long long)len, (unsigned long long)(4 + 8 * (uint64_t)n), n);
    if (kind == BP_SCALE_NONE || kind >= BP_SCALE_COUNT)
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %s scaling: unknown kind %u", path, what, kind);
    float *tmp = bp_alloc(2 * (size_t)n, sizeof(float));
    if (!tmp) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory for the %s scaling", path, what);
    for (uint32_t j = 0; j < 2 * n; j++) get_f32(b, &tmp[j]);
    bp_status r = output ? bp_net_set_output_scaling(net, (bp_scale)kind, tmp, tmp + n)
                         : bp_net_set_input_scaling(net, (bp_scale)kind, tmp, tmp + n);
    bp_free(tmp);
    if (r == BP_STATUS_INVALID_ARGUMENT) r = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %s", path, bp_last_error());
    return r;
}

static bp_status read_names(rbuf *b, uint64_t len, bp_net *net, const char *path) {
    size_t end = b->pos + (size_t)len;
    uint32_t n = 0;
    // Each name takes at least its 4-byte length: the count is checked
    // against the section's length before the list is allocated.
    if (len < 4 || !get_u32(b, &n) || n > BP_MAX_WIDTH || n > (len - 4) / 4)
        return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: class names: count %u does not fit a section of %llu bytes",
                       path, n, (unsigned long long)len);
    char **names = bp_alloc(n ? n : 1, sizeof *names);
    bp_status r = names ? BP_STATUS_OK : bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory for class names", path);
    uint32_t got = 0;
    for (; got < n && r == BP_STATUS_OK; got++) {
        uint32_t l;
        if (end - b->pos < 4 || !get_u32(b, &l) || l > BP_MAX_CLASS_NAME || l > end - b->pos) {
            r = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: class name %u: bad length", path, got);
            break;
        }
        names[got] = bp_alloc(l + 1, 1);
        if (!names[got]) {
            r = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory for class names", path);
            break;
        }
        memcpy(names[got], b->p + b->pos, l);
        if (memchr(names[got], '\0', l)) r = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: class name %u holds a NUL", path, got);
        b->pos += l;
    }
    if (r == BP_STATUS_OK && b->pos != end)
        r = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: class names: length does not match the section", path);
    if (r == BP_STATUS_OK) {
        r = bp_net_set_class_names(net, n, (const char *const *)names);
        if (r == BP_STATUS_INVALID_ARGUMENT) r = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %s", path, bp_last_error());
    }
    for (uint32_t i = 0; names && i < got; i++) bp_free(names[i]);
    bp_free(names);
    return r;
}

static bp_status read_sections(rbuf *b, bp_net *net, const char *path) {
    uint32_t n, seen = 0;
    if (!get_u32(b, &n)) return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: truncated section list", path);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t tag;
        uint64_t len;
        if (!get_u32(b, &tag) || !get_u64(b, &len) || len > b->len - b->pos)
            return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: section %u: truncated", path, i + 1);
        size_t end = b->pos + (size_t)len;
        bp_status r = BP_STATUS_OK;
        if (tag >= SEC_INPUT_SCALING && tag <= SEC_CLASS_NAMES) {
            if (seen & (1u << tag)) return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: section %u appears twice", path, tag);
            seen |= 1u << tag;
        }
        if (tag == SEC_INPUT_SCALING || tag == SEC_OUTPUT_SCALING)
            r = read_scaling(b, len, net, tag == SEC_OUTPUT_SCALING, path);
        else if (tag == SEC_CLASS_NAMES)
            r = read_names(b, len, net, path);
        else if (tag & BP_SECTION_REQUIRED)
            return bp_fail(BP_STATUS_FORMAT_ERROR, "%s: section 0x%08x is needed and unknown to this build "
                           "(written by a newer version?)", path, tag);
        if (r != BP_STATUS_OK) return r;
        b->pos = end; // unknown optional sections are skipped
    }
    return BP_STATUS_OK;
}

bp_status bp_model_read(const char *path, const bp_net_options *opt, bp_net **out,
                        bp_ckpt_state *st) {
    if (!path || !out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "load: NULL path or out");
    *out = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    bp_status r = read_all(path, &data, &len);
    if (r != BP_STATUS_OK) return r;
    rbuf b = {data, len, 0};
    uint32_t version, bom, L, flags;
    uint32_t sizes[BP_MAX_LAYERS + 1];
    bp_act acts[BP_MAX_LAYERS];
    float alpha;
    bp_net *net = NULL;
#define BAD(...)                                                                             \
    do {                                                                                     \
        r = bp_fail(BP_STATUS_FORMAT_ERROR, __VA_ARGS__);                                    \
        goto done;                                                                           \
    } while (0)
    if (len < 4 || memcmp(data, BP_MAGIC, 4) != 0) BAD("%s: not a backprop model (bad magic)", path);
    b.pos = 4;
    if (len < 8) BAD("%s: truncated header", path);
    if (len < 4 + 4) BAD("%s: truncated", path);
    {
        uint32_t stored_crc = (uint32_t)data[len - 4] | (uint32_t)data[len - 3] << 8 |
                              (uint32_t)data[len - 2] << 16 | (uint32_t)data[len - 1] << 24;
        if (len < 16 + 4) BAD("%s: truncated (%zu bytes)", path, len);
        if (!get_u32(&b, &version) || !get_u32(&b, &bom)) BAD("%s: truncated header", path);
        if (bom != BP_BOM) BAD("%s: wrong byte-order mark 0x%08x", path, bom);
        if (version < 1 || version > BP_FORMAT_VERSION)
            BAD("%s: format version %u, this build reads versions 1 to %u", path, version, BP_FORMAT_VERSION);
        if (crc_of(data, len - 4) != stored_crc)
            BAD("%s: checksum mismatch: the file is truncated or corrupted", path);
        b.len = len - 4; // the CRC is not payload
    }
    if (!get_u32(&b, &L)) BAD("%s: truncated header", path);
    if (L == 0 || L > BP_MAX_LAYERS) BAD("%s: %u layers (expected 1 to %d)", path, L, BP_MAX_LAYERS);
    for (uint32_t i = 0; i <= L; i++)
        if (!get_u32(&b, &sizes[i])) BAD("%s: truncated layer sizes", path);
    for (uint32_t i = 0; i < L; i++) {
        uint32_t a;
        if (!get_u32(&b, &a)) BAD("%s: truncated activations", path);
        if (a >= BP_ACT_COUNT) BAD("%s: layer %u: unknown activation %u", path, i + 1, a);
        acts[i] = (bp_act)a;
    }
    if (!get_f32(&b, &alpha) || !get_u32(&b, &flags)) BAD("%s: truncated header", path);
    if (flags > 1) BAD("%s: unknown flags 0x%x", path, flags);
    if (!isfinite(alpha)) BAD("%s: leaky-relu alpha is %s", path, isnan(alpha) ? "NaN" : "infinite");
    {
        // The parameters the sizes claim must be in the file before the
        // network is allocated: a 40-byte file claiming huge layers is
        // refused here, not after gigabytes are zeroed.
        uint64_t claimed = 0;
        for (uint32_t l = 0; l < L; l++) {
            if (sizes[l] == 0 || sizes[l] > BP_MAX_WIDTH || sizes[l + 1] == 0 || sizes[l + 1] > BP_MAX_WIDTH)
                break; // bp_net_alloc names the bad size
            claimed += (uint64_t)sizes[l] * sizes[l + 1] + sizes[l + 1]; // < 2^49 per layer, 64 layers
        }
        if (claimed > (b.len - b.pos) / 4)
            BAD("%s: the layer sizes claim %llu parameters (%llu bytes), but only %zu bytes follow the header",
                path, (unsigned long long)claimed, (unsigned long long)claimed * 4, b.len - b.pos);
    }
    {
        bp_net_options o = opt ? *opt : bp_net_options_default();
        o.leaky_alpha = alpha;
        r = bp_net_alloc(L, sizes, acts, &o, &net);
        if (r != BP_STATUS_OK) {
            if (r == BP_STATUS_INVALID_ARGUMENT) r = bp_fail(BP_STATUS_FORMAT_ERROR, "%s: %s", path, bp_last_error());
            goto done;
        }
    }
    if ((b.len - b.pos) / 4 < net->n_params) BAD("%s: truncated parameters", path);
    for (size_t l = 0; l < L; l++) {
        struct bp_layer *Ly = &net->layers[l];
        for (size_t i = 0; i < (size_t)Ly->n_out * Ly->n_in; i++) get_f32(&b, &Ly->w[i]);
        for (size_t i = 0; i < Ly->n_out; i++) get_f32(&b, &Ly->b[i]);
        r = check_finite_block(Ly->w, (size_t)Ly->n_out * Ly->n_in, path, l + 1, "weight");
        if (r == BP_STATUS_OK) r = check_finite_block(Ly->b, Ly->n_out, path, l + 1, "bias");
        if (r != BP_STATUS_OK) goto done;
    }
    if (version >= 2) {
        r = read_sections(&b, net, path);
        if (r != BP_STATUS_OK) goto done;
    }
    if (flags & 1) {
        bp_ckpt_state s;
        memset(&s, 0, sizeof s);
        uint64_t n_state;
        if (!get_u32(&b, &s.optimizer) || !get_u32(&b, &s.epoch) || !get_u64(&b, &s.step))
            BAD("%s: truncated trainer state", path);
        for (int i = 0; i < 4; i++)
            if (!get_u64(&b, &s.rng[i])) BAD("%s: truncated trainer state", path);
        if ((s.optimizer & 0xFFFFu) >= BP_OPT_COUNT || (s.optimizer >> 16) >= BP_PRECISION_COUNT)
            BAD("%s: trainer state: optimizer word 0x%08x (optimizer below %d, precision below %d)", path,
                s.optimizer, (int)BP_OPT_COUNT, (int)BP_PRECISION_COUNT);
        if ((s.rng[0] | s.rng[1] | s.rng[2] | s.rng[3]) == 0)
            BAD("%s: trainer state: the random generator's state is all zeros (it would never leave it)", path);
        if (!get_u64(&b, &n_state) || n_state != (b.len - b.pos) / 4 || (b.len - b.pos) % 4)
            BAD("%s: trainer state size does not match the file", path);
        if (st) {
            s.n_state = (size_t)n_state;
            s.state = bp_alloc(s.n_state ? s.n_state : 1, sizeof(float));
            if (!s.state) {
                r = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: no memory for the trainer state", path);
                goto done;
            }
            for (size_t i = 0; i < s.n_state; i++) get_f32(&b, &s.state[i]);
            r = check_finite_block(s.state, s.n_state, path, 0, "optimizer state value");
            if (r != BP_STATUS_OK) {
                bp_free(s.state);
                goto done;
            }
            *st = s;
        } else {
            b.pos = b.len;
        }
    }
    if (b.pos != b.len) BAD("%s: %zu unexpected bytes after the model", path, b.len - b.pos);
    r = BP_STATUS_OK;
#undef BAD
done:
    bp_free(data);
    if (r != BP_STATUS_OK) {
        bp_net_destroy(net);
        return r;
    }
    *out = net;
    return BP_STATUS_OK;
}

bp_status bp_net_save(const bp_net *net, const char *path) { return bp_model_write(net, NULL, path); }

bp_status bp_net_load(const char *path, const bp_net_options *opt, bp_net **out) {
    return bp_model_read(path, opt, out, NULL);
}

bp_status bp_model_file_info(const char *path, bp_model_info *out) {
    if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_model_file_info: NULL out");
    memset(out, 0, sizeof *out);
    bp_net *net = NULL;
    bp_ckpt_state st;
    memset(&st, 0, sizeof st);
    st.epoch = UINT32_MAX; // stays so when the file holds no trainer state
    bp_status r = bp_model_read(path, NULL, &net, &st);
    if (r != BP_STATUS_OK) return r;
    // Read again only as far as the version word: the reader checked it.
    FILE *f = fopen(path, "rb");
    unsigned char head[8];
    if (f && fread(head, 1, 8, f) == 8)
        out->format_version = (uint32_t)head[4] | (uint32_t)head[5] << 8 | (uint32_t)head[6] << 16 |
                              (uint32_t)head[7] << 24;
    if (f) fclose(f);
    if (st.epoch != UINT32_MAX) {
        out->is_checkpoint = 1;
        out->optimizer = (bp_optimizer)(st.optimizer & 0xffffu);
        out->precision = (bp_precision)((st.optimizer >> 16) & 0xffu);
        out->epochs = st.epoch;
        out->steps = st.step;
        out->n_state = st.n_state;
    }
    bp_free(st.state);
    bp_net_destroy(net);
    return BP_STATUS_OK;
}
