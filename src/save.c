// SPDX-License-Identifier: MIT
// Replacing a file safely. The bytes go to a temporary file of their own
// (one per call) in the target's directory; it is flushed to the disk,
// renamed over the target, and the directory is flushed, so the path names
// either the old file or the whole new one, whenever the process dies or
// the machine loses power.
//
// Temporary names are "<path>.tmp.<pid>.<n>", n counting this process's
// saves. A SIGKILL can still leave one behind (nothing runs after it), so
// every successful save removes the temporaries of its target whose process
// no longer exists. Caught signals are handled by the program, not here: it
// calls bp_save_discard_temps() from its handler, which unlinks the
// temporaries of the saves in flight (their names are kept in fixed slots,
// readable without locks or allocation).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "bp_internal.h"

#define BP_PATH_BYTES 4096 // PATH_MAX on Linux, terminator included

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal-handler slots need lock-free atomic int");

// Saves in flight, for bp_save_discard_temps. state: 0 free, 1 being
// filled, 2 holds the name of a temporary that may exist.
enum { SLOTS = 16 };
static struct {
    atomic_int state;
    char path[BP_PATH_BYTES];
} inflight[SLOTS];
static atomic_ulong save_seq;

static int slot_claim(void) {
    for (int i = 0; i < SLOTS; i++) {
        int free_state = 0;
        if (atomic_compare_exchange_strong(&inflight[i].state, &free_state, 1)) return i;
    }
    return -1; // more saves in flight than slots: this one is not discarded on a signal
}

static void slot_set(int i, const char *tmp) {
    if (i < 0) return;
    atomic_store(&inflight[i].state, 1);
    strcpy(inflight[i].path, tmp);
    atomic_store(&inflight[i].state, 2);
}

static void slot_release(int i) {
    if (i >= 0) atomic_store(&inflight[i].state, 0);
}

void bp_save_discard_temps(void) {
    int saved = errno;
    for (int i = 0; i < SLOTS; i++)
        if (atomic_load(&inflight[i].state) == 2) (void)unlink(inflight[i].path);
    errno = saved;
}

static const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

// OK when path is absent (*exists = 0) or a regular file (*exists = 1,
// *mode its permission bits). lstat: a symbolic link is refused, not
// followed.
static bp_status check_target(const char *path, int *exists, mode_t *mode) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            *exists = 0;
            return BP_STATUS_OK;
        }
        return bp_fail(BP_STATUS_IO_ERROR, "save: cannot inspect '%s': %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return bp_fail(BP_STATUS_IO_ERROR, "save: refusing to replace '%s': it is %s, not a regular file",
                       path, file_kind(st.st_mode));
    *exists = 1;
    *mode = st.st_mode & 07777;
    return BP_STATUS_OK;
}

// "<base>.tmp.<pid>" or "<base>.tmp.<pid>.<n>" (the first is what earlier
// versions wrote): the pid, else 0.
static long temp_owner(const char *name, const char *base, size_t base_len) {
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, ".tmp.", 5) != 0) return 0;
    const char *s = name + base_len + 5;
    char *end;
    if (*s < '0' || *s > '9') return 0;
    long pid = strtol(s, &end, 10);
    if (*end == '.') {
        if (end[1] < '0' || end[1] > '9') return 0;
        strtoul(end + 1, &end, 10);
    }
    // A pid out of range must not reach kill() (it would wrap to -1: "all").
    return *end == '\0' && pid > 0 && pid <= INT_MAX ? pid : 0;
}

// Flush the directory entry of the rename to the disk, then remove the
// temporaries of base that processes which no longer exist left behind.
// dir_fd is consumed.
static bp_status finish_directory(int dir_fd, const char *path, const char *base) {
    bp_status r = BP_STATUS_OK;
    // EINVAL: the file system cannot sync directories (it then needs not).
    if (fsync(dir_fd) != 0 && errno != EINVAL)
        r = bp_fail(BP_STATUS_IO_ERROR, "save: '%s' was written, but flushing its directory failed: %s",
                    path, strerror(errno));
    DIR *d = fdopendir(dir_fd);
    if (!d) {
        close(dir_fd);
        return r;
    }
    size_t base_len = strlen(base);
    long self = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_owner(e->d_name, base, base_len);
        if (pid == 0 || pid == self) continue; // this process's are saves in flight
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            (void)unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return r;
}

static int write_all(int fd, const unsigned char *p, size_t len) {
    while (len > 0) {
        size_t chunk = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ssize_t n = write(fd, p, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        if (n == 0) {
            errno = EIO;
            return 0;
        }
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

bp_status bp_save_file(const char *path, const void *data, size_t len) {
    if (!path || !path[0]) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "save: empty path");
    int exists;
    mode_t mode = 0;
    bp_status r = check_target(path, &exists, &mode); // early: before the work of writing
    if (r != BP_STATUS_OK) return r;

    // The directory and last component of path.
    char dir[BP_PATH_BYTES];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t dir_len = slash ? (size_t)(slash - path) : 1;
    if (dir_len == 0) dir_len = 1; // "/name"
    if (dir_len >= sizeof dir) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "save: path too long: '%s'", path);
    memcpy(dir, slash ? path : ".", dir_len);
    dir[dir_len] = '\0';

    int slot = slot_claim(), fd = -1;
    char tmp[BP_PATH_BYTES];
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        unsigned long n = atomic_fetch_add(&save_seq, 1);
        if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%lu", path, (long)getpid(), n) >= (int)sizeof tmp) {
            slot_release(slot);
            return bp_fail(BP_STATUS_INVALID_ARGUMENT, "save: path too long: '%s'", path);
        }
        slot_set(slot, tmp); // before the file exists: a signal may come at any point
        // 0666: the kernel applies the umask, as for any new file.
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break; // EEXIST: a dead namesake's leftover; next number
    }
    if (fd < 0) {
        r = bp_fail(BP_STATUS_IO_ERROR, "save: cannot create a temporary file next to '%s' (%s): %s", path, tmp,
                    strerror(errno));
        slot_release(slot);
        return r;
    }
    const char *step = "changing the mode of";
    int ok = !exists || fchmod(fd, mode) == 0; // keep the mode of the file replaced
    if (ok) {
        step = "writing";
        ok = write_all(fd, data, len);
    }
    if (ok) {
        step = "flushing";
        ok = fsync(fd) == 0;
    }
    int e = errno;
    if (close(fd) != 0 && ok) { // NFS reports write errors at close
        ok = 0;
        e = errno;
        step = "closing";
    }
    if (!ok) {
        r = bp_fail(BP_STATUS_IO_ERROR, "save: %s '%s' failed: %s (the previous '%s', if any, is unchanged)",
                    step, tmp, strerror(e), path);
        unlink(tmp);
        slot_release(slot);
        return r;
    }
    // Look again right before the rename: what is at path may have changed
    // while the file was written (the window left is this one system call).
    r = check_target(path, &exists, &mode);
    if (r == BP_STATUS_OK && rename(tmp, path) != 0)
        r = bp_fail(BP_STATUS_IO_ERROR, "save: cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
    if (r != BP_STATUS_OK) {
        unlink(tmp);
        slot_release(slot);
        return r;
    }
    slot_release(slot);
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return bp_fail(BP_STATUS_IO_ERROR, "save: '%s' was written, but its directory cannot be opened to flush it: %s",
                       path, strerror(errno));
    return finish_directory(dir_fd, path, base);
}
