// SPDX-License-Identifier: MIT
// A full disk (issue 9): a 512 KiB tmpfs mounted in a private mount
// namespace (needs root: unshare + mount; skipped with the reason
// otherwise). A save that does not fit fails cleanly, keeps the old file
// and leaves no temporary; --log reports a full disk and exits 1; a
// checkpoint on the full disk is a warning and the model is still saved.
// Its own executable: the skip line marks the whole ctest entry skipped.
#define _GNU_SOURCE 1 // unshare, CLONE_NEWNS
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bp_test.h"

static char tmpdir[256], mnt[300];

static void skip(const char *why) {
    printf("bp-test: skip: full-disk test: %s\n", why);
    fflush(stdout);
    cr_skip_test("%s", why);
}

// A private mount namespace with a 512 KiB tmpfs at tmpdir/mnt.
static void setup(void) {
    if (geteuid() != 0) skip("needs root (unshare + mount tmpfs)");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-full-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(mnt, sizeof mnt, "%s/mnt", tmpdir);
    cr_assert_eq(mkdir(mnt, 0700), 0);
    char why[256];
    if (unshare(CLONE_NEWNS) != 0) {
        snprintf(why, sizeof why, "unshare(CLONE_NEWNS): %s", strerror(errno));
        rmdir(mnt);
        rmdir(tmpdir);
        skip(why);
    }
    // Mounts made here must not propagate back to the host's namespace.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", mnt, "tmpfs", 0, "size=512k,mode=0700") != 0) {
        snprintf(why, sizeof why, "mounting a tmpfs: %s", strerror(errno));
        rmdir(mnt);
        rmdir(tmpdir);
        skip(why);
    }
}

static void teardown(void) {
    if (!mnt[0]) return;
    umount(mnt);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

static const char *in(const char *dir, const char *name) {
    static char buf[8][1024];
    static int k;
    k = (k + 1) & 7;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int count_temps(const char *dir) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

// Fill the tmpfs up to `leave` free bytes with mnt/filler.
static void fill(size_t leave) {
    const char *path = in(mnt, "filler");
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    static char block[4096];
    size_t written = 0;
    for (;;) {
        ssize_t n = write(fd, block, sizeof block);
        if (n <= 0) break;
        written += (size_t)n;
    }
    cr_assert_eq(errno, ENOSPC, "filling: %s", strerror(errno));
    cr_assert_eq(ftruncate(fd, written > leave ? (off_t)(written - leave) : 0), 0);
    close(fd);
}

static bp_net *model(uint64_t seed, uint32_t hidden) {
    uint32_t sizes[] = {2, hidden, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net_options o = bp_net_options_default();
    o.seed = seed;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, &o, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

static int same_outputs(const bp_net *a, const bp_net *b) {
    float x[2] = {0.3f, -0.7f}, ya[2], yb[2];
    return bp_net_predict(a, x, 1, ya) == BP_STATUS_OK && bp_net_predict(b, x, 1, yb) == BP_STATUS_OK &&
           memcmp(ya, yb, sizeof ya) == 0;
}

Test(full_disk, save_fails_cleanly_and_keeps_the_old_file, .init = setup, .fini = teardown) {
    bp_net *a = model(1, 8192), *b = model(2, 8192); // 40 K parameters: 160 KB files
    const char *path = in(mnt, "m.bpm");
    cr_assert_eq(bp_net_save(a, path), BP_STATUS_OK, "%s", bp_last_error());
    fill(64 << 10); // 64 KiB free: less than the new file needs
    cr_expect_eq(bp_net_save(b, path), BP_STATUS_IO_ERROR);
    cr_expect(strstr(bp_last_error(), "No space left on device") && strstr(bp_last_error(), "m.bpm"),
              "message: %s", bp_last_error());
    cr_expect_eq(count_temps(mnt), 0, "the failed save left its temporary file");
    bp_net *back = NULL;
    cr_assert_eq(bp_net_load(path, NULL, &back), BP_STATUS_OK, "the old file: %s", bp_last_error());
    cr_expect(same_outputs(back, a), "the old file changed");
    bp_net_destroy(back);
    // With room again the same save succeeds: the failure was the space.
    unlink(in(mnt, "filler"));
    cr_expect_eq(bp_net_save(b, path), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(bp_net_load(path, NULL, &back), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(same_outputs(back, b));
    bp_net_destroy(back);
    bp_net_destroy(a);
    bp_net_destroy(b);
}

typedef struct result {
    int rc;
    char err[8192];
} result;

// Run the CLI in tmpdir (outside the tmpfs), stderr captured.
static result cli(const char *const *args) {
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        const char *argv[64];
        size_t n = 0;
        argv[n++] = BP_CLI_PATH;
        for (; args[n - 1] && n < 63; n++) argv[n] = args[n - 1];
        argv[n] = NULL;
        int out = open(in(tmpdir, "stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(in(tmpdir, "stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (chdir(tmpdir) != 0 || out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
        execv(BP_CLI_PATH, (char *const *)argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    result r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    FILE *f = fopen(in(tmpdir, "stderr.txt"), "rb");
    cr_assert_not_null(f);
    size_t n = fread(r.err, 1, sizeof r.err - 1, f);
    r.err[n] = '\0';
    fclose(f);
    return r;
}
#define CLI(...) cli((const char *const[]){__VA_ARGS__, NULL})

static int model_loads(const char *path) {
    bp_net *net = NULL;
    bp_status st = bp_net_load(path, NULL, &net);
    bp_net_destroy(net);
    return st == BP_STATUS_OK;
}

Test(full_disk, log_on_a_full_disk_fails_the_run, .init = setup, .fini = teardown) {
    // Full from the start: the header cannot be written.
    fill(0);
    result r = CLI("train", "-q", "--data", "xor", "--log", "mnt/log.csv", "-o", "m.bpm");
    cr_expect_eq(r.rc, 1, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "--log") && strstr(r.err, "No space left on device"), "stderr: %s", r.err);
    // Room for a few hundred of xor's 500 rows (tmpfs counts whole 4 KiB
    // pages): the log fills up mid-run; training goes on, the model is
    // saved (outside the tmpfs), the exit status is 1.
    fill(8 << 10);
    r = CLI("train", "-q", "--data", "xor", "--log", "mnt/log.csv", "-o", "m.bpm");
    cr_expect_eq(r.rc, 1, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "--log: writing 'mnt/log.csv' failed at epoch") &&
                  strstr(r.err, "No space left on device"),
              "stderr: %s", r.err);
    cr_expect(model_loads(in(tmpdir, "m.bpm")), "the model was not saved");
}

Test(full_disk, checkpoint_on_a_full_disk_is_a_warning, .init = setup, .fini = teardown) {
    fill(16 << 10); // the 54 KB checkpoint cannot fit
    result r = CLI("train", "-q", "--data", "spirals", "--epochs", "3", "--checkpoint", "mnt/ck.bpm", "-o",
                   "m.bpm");
    cr_expect_eq(r.rc, 0, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "warning: checkpoint after epoch 1 not saved") &&
                  strstr(r.err, "No space left on device"),
              "stderr: %s", r.err);
    cr_expect(model_loads(in(tmpdir, "m.bpm")), "the final model was not saved");
    cr_expect_eq(count_temps(mnt), 0, "failed checkpoints left temporary files");
    // The model itself on the full disk: an error, and nothing left there.
    r = CLI("train", "-q", "--data", "spirals", "--epochs", "1", "-o", "mnt/m.bpm");
    cr_expect_eq(r.rc, 1, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "No space left on device"), "stderr: %s", r.err);
    cr_expect_eq(count_temps(mnt), 0);
}
