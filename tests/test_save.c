// SPDX-License-Identifier: MIT
// Saving files safely (issue 9, items 6-10 and 16): what a save may
// replace, the mode it keeps, one temporary file per call, concurrent saves
// and readers, temporaries of dead processes, signals, a failed checkpoint
// that must not end training, --log write errors, and the allocation
// counter under threads without OpenMP.
#define _DEFAULT_SOURCE 1 // mknod, usleep
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bp_internal.h"
#include "bp_test.h"

#define BP_TMPDIR_NAME "save"
#include "bp_tmpdir.h"

static bp_net *model(uint64_t seed, uint32_t hidden) {
    uint32_t sizes[] = {3, hidden, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net_options o = bp_net_options_default();
    o.seed = seed;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, &o, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

// Whether the model at path is net (same first weight and outputs).
static int loads_as(const char *path, const bp_net *net) {
    bp_net *back = NULL;
    if (bp_net_load(path, NULL, &back) != BP_STATUS_OK) return 0;
    float x[3] = {0.25f, -0.5f, 0.75f}, ya[2], yb[2];
    int same = bp_net_predict(net, x, 1, ya) == BP_STATUS_OK && bp_net_predict(back, x, 1, yb) == BP_STATUS_OK &&
               memcmp(ya, yb, sizeof ya) == 0;
    bp_net_destroy(back);
    return same;
}

// ---- item 6: what a save may replace, and the mode it keeps ----------------

static void expect_refused(const bp_net *net, const char *path, const char *kind, mode_t type) {
    cr_expect_eq(bp_net_save(net, path), BP_STATUS_IO_ERROR, "saving over %s: %s", kind, bp_last_error());
    cr_expect(strstr(bp_last_error(), path) && strstr(bp_last_error(), kind),
              "message '%s' should name '%s' and '%s'", bp_last_error(), path, kind);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "%s vanished", path);
    cr_expect_eq(st.st_mode & S_IFMT, type, "%s was replaced", path);
}

Test(save, refuses_anything_but_a_regular_file, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = model(1, 4);
    cr_assert_eq(mkfifo(tpath("fifo"), 0600), 0);
    expect_refused(net, tpath("fifo"), "a FIFO", S_IFIFO);
    cr_assert_eq(mkdir(tpath("dir"), 0700), 0);
    expect_refused(net, tpath("dir"), "a directory", S_IFDIR);
    // A symbolic link is not followed (and neither it nor its target changes).
    cr_assert_eq(bp_net_save(net, tpath("real.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_eq(symlink("real.bpm", tpath("link.bpm")), 0);
    bp_net *other = model(2, 4);
    expect_refused(other, tpath("link.bpm"), "a symbolic link", S_IFLNK);
    cr_expect(loads_as(tpath("real.bpm"), net), "the link's target changed");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tpath("sock"));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    expect_refused(net, tpath("sock"), "a socket", S_IFSOCK);
    close(s);
    // A device (the test makes its own /dev/null twin: never risk the real one).
    if (mknod(tpath("null"), S_IFCHR | 0666, makedev(1, 3)) == 0)
        expect_refused(net, tpath("null"), "a character device", S_IFCHR);
    else
        printf("bp-test: note: mknod: %s (the device case needs root)\n", strerror(errno));
    cr_expect_eq(count_temps(), 0, "a refused save left a temporary file");
    bp_net_destroy(net);
    bp_net_destroy(other);
}

static mode_t mode_of(const char *path) {
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    return st.st_mode & 07777;
}

Test(save, keeps_the_mode_and_new_files_follow_the_umask, .init = make_tmpdir, .fini = cleanup) {
    bp_net *net = model(1, 4);
    const char *p = tpath("m.bpm");
    umask(022);
    cr_assert_eq(bp_net_save(net, p), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(mode_of(p), 0644, "new file: mode %o, expected 0666 & ~022", (unsigned)mode_of(p));
    cr_assert_eq(chmod(p, 0640), 0);
    cr_assert_eq(bp_net_save(net, p), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(mode_of(p), 0640, "replaced file: mode %o, expected the old 0640", (unsigned)mode_of(p));
    cr_assert_eq(chmod(p, 0604), 0);
    cr_assert_eq(bp_net_save(net, p), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(mode_of(p), 0604);
    umask(077);
    cr_assert_eq(bp_net_save(net, tpath("private.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(mode_of(tpath("private.bpm")), 0600);
    umask(022);
    bp_net_destroy(net);
}

// ---- item 9: concurrent saves of one path, and readers ---------------------

enum { SAVERS = 4, SAVES_EACH = 25 };
typedef struct saver_arg {
    const char *path;
    bp_net *net;
    int failures;
    char first_error[256];
} saver_arg;
static atomic_int savers_left;

static void *saver(void *p) {
    saver_arg *a = p;
    for (int i = 0; i < SAVES_EACH; i++)
        if (bp_net_save(a->net, a->path) != BP_STATUS_OK && a->failures++ == 0)
            snprintf(a->first_error, sizeof a->first_error, "%s", bp_last_error());
    atomic_fetch_sub(&savers_left, 1);
    return NULL;
}

typedef struct reader_arg {
    const char *path;
    int loads, failures;
    char first_error[256];
} reader_arg;

static void *reader(void *p) {
    reader_arg *a = p;
    while (atomic_load(&savers_left) > 0) {
        bp_net *net = NULL;
        a->loads++;
        if (bp_net_load(a->path, NULL, &net) != BP_STATUS_OK && a->failures++ == 0)
            snprintf(a->first_error, sizeof a->first_error, "%s", bp_last_error());
        bp_net_destroy(net);
    }
    return NULL;
}

Test(save, concurrent_saves_of_one_path_and_readers, .init = make_tmpdir, .fini = cleanup) {
    const char *path = tpath("shared.bpm");
    bp_net *first = model(99, 64);
    cr_assert_eq(bp_net_save(first, path), BP_STATUS_OK, "%s", bp_last_error());
    saver_arg sa[SAVERS];
    reader_arg ra[2];
    pthread_t ts[SAVERS], tr[2];
    atomic_store(&savers_left, SAVERS);
    for (int i = 0; i < 2; i++) {
        ra[i] = (reader_arg){path, 0, 0, ""};
        cr_assert_eq(pthread_create(&tr[i], NULL, reader, &ra[i]), 0);
    }
    for (int i = 0; i < SAVERS; i++) {
        sa[i] = (saver_arg){path, model((uint64_t)i + 1, 64), 0, ""};
        cr_assert_eq(pthread_create(&ts[i], NULL, saver, &sa[i]), 0);
    }
    for (int i = 0; i < SAVERS; i++) pthread_join(ts[i], NULL);
    for (int i = 0; i < 2; i++) pthread_join(tr[i], NULL);
    int last = -1;
    for (int i = 0; i < SAVERS; i++) {
        cr_expect_eq(sa[i].failures, 0, "saver %d: %d of %d saves failed, first: %s", i, sa[i].failures,
                     SAVES_EACH, sa[i].first_error);
        if (loads_as(path, sa[i].net)) last = i;
    }
    for (int i = 0; i < 2; i++)
        cr_expect_eq(ra[i].failures, 0, "reader %d: %d of %d loads saw a bad file, first: %s", i,
                     ra[i].failures, ra[i].loads, ra[i].first_error);
    cr_expect_geq(last, 0, "the file is none of the saved models");
    cr_expect_eq(count_temps(), 0, "temporary files left behind");
    for (int i = 0; i < SAVERS; i++) bp_net_destroy(sa[i].net);
    bp_net_destroy(first);
}

// ---- item 8: temporaries of dead processes; signals ------------------------

static void touch(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0, "create %s", path);
    cr_assert_eq(write(fd, "partial", 7), 7);
    close(fd);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

Test(save, a_save_removes_temporaries_of_dead_processes_only, .init = make_tmpdir, .fini = cleanup) {
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    cr_assert_gt(dead, 0);
    cr_assert_eq(waitpid(dead, NULL, 0), dead); // reaped: kill(dead, 0) now says ESRCH
    char name[7][128];
    snprintf(name[0], 128, "m.bpm.tmp.%ld.7", (long)dead);      // this version's name: removed
    snprintf(name[1], 128, "m.bpm.tmp.%ld", (long)dead);        // earlier versions' name: removed
    snprintf(name[2], 128, "m.bpm.tmp.%ld.1", (long)getppid()); // a live process's save: kept
    snprintf(name[3], 128, "m.bpm.tmp.%ld.x", (long)dead);      // not our pattern: kept
    snprintf(name[4], 128, "other.bpm.tmp.%ld.1", (long)dead);  // another target's: kept
    snprintf(name[5], 128, "m.bpm.tmp.%ld.2", (long)getpid());  // this process's (a save in flight): kept
    snprintf(name[6], 128, "m.bpm.tmp.99999999999999999999.1"); // no pid (kill() would read -1): kept
    for (int i = 0; i < 7; i++) touch(tpath(name[i]));
    bp_net *net = model(1, 4);
    cr_assert_eq(bp_net_save(net, tpath("m.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect(!exists(tpath(name[0])), "%s was left", name[0]);
    cr_expect(!exists(tpath(name[1])), "%s was left", name[1]);
    for (int i = 2; i < 7; i++) cr_expect(exists(tpath(name[i])), "%s was removed", name[i]);
    // A failed save leaves no temporary either: the target is a directory.
    cr_assert_eq(mkdir(tpath("d.bpm"), 0700), 0);
    cr_expect_neq(bp_net_save(net, tpath("d.bpm")), BP_STATUS_OK);
    cr_expect_eq(count_temps(), 5);
    bp_net_destroy(net);
}

// A process saving in a loop whose SIGTERM handler calls
// bp_save_discard_temps: signalled while a temporary file exists, it must
// leave none. The parent waits until it sees one (a save in flight).
static void on_term(int sig) {
    bp_save_discard_temps();
    signal(sig, SIG_DFL);
    raise(sig);
}

// Wait (up to 30 s) until tmpdir holds a temporary file.
static int wait_for_temp(void) {
    for (int i = 0; i < 300000; i++) {
        if (count_temps() > 0) return 1;
        usleep(100);
    }
    return 0;
}

Test(save, discard_temps_from_a_signal_handler, .init = make_tmpdir, .fini = cleanup) {
    bp_net *big = model(5, 1 << 18); // 1.25 M parameters: a 5 MB file
    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGTERM, on_term);
            for (;;)
                if (bp_net_save(big, tpath("big.bpm")) != BP_STATUS_OK) _exit(3);
        }
        cr_assert_gt(pid, 0);
        cr_assert(wait_for_temp(), "the child never started a save");
        kill(pid, SIGTERM);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "the child did not die by SIGTERM");
        cr_expect_eq(count_temps(), 0, "round %d: a temporary file survived SIGTERM", round);
    }
    bp_net_destroy(big);
}

// ---- item 7: a checkpoint that cannot be written ---------------------------

typedef struct ckpt_seen {
    int epoch_ends, failures;
    char error[512];
} ckpt_seen;

static int watch(const bp_progress *p, void *user) {
    ckpt_seen *s = user;
    if (!p->epoch_end) return 0;
    s->epoch_ends++;
    if (p->checkpoint_status != BP_STATUS_OK) {
        s->failures++;
        cr_expect_not_null(p->checkpoint_error);
        if (p->checkpoint_error) snprintf(s->error, sizeof s->error, "%s", p->checkpoint_error);
    } else {
        cr_expect_null(p->checkpoint_error);
    }
    return 0;
}

Test(save, failed_checkpoint_is_reported_and_training_goes_on, .init = make_tmpdir, .fini = cleanup) {
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("xor", 0, &ds), BP_STATUS_OK);
    bp_net *net = NULL;
    uint32_t sizes[] = {2, 4, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    cr_assert_eq(bp_net_create(2, sizes, acts, NULL, &net), BP_STATUS_OK);
    cr_assert_eq(mkdir(tpath("ckpt-is-a-dir"), 0700), 0);
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_SOFTMAX_XENT;
    o.epochs = 6;
    o.batch_size = 4;
    o.n_threads = 1;
    o.checkpoint_path = tpath("ckpt-is-a-dir");
    o.checkpoint_every = 2;
    ckpt_seen seen = {0, 0, ""};
    o.progress = watch;
    o.progress_user = &seen;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(bp_trainer_fit(tr, &ds.d), BP_STATUS_OK, "fit: %s", bp_last_error());
    cr_expect_eq(bp_trainer_epoch(tr), 6, "training stopped after epoch %u", bp_trainer_epoch(tr));
    cr_expect_eq(seen.epoch_ends, 6);
    cr_expect_eq(seen.failures, 3, "epochs 2, 4, 6 should each report the failed checkpoint");
    cr_expect(strstr(seen.error, "ckpt-is-a-dir") && strstr(seen.error, "a directory"), "message: %s", seen.error);
    // The network is still saved where it can be.
    cr_expect_eq(bp_net_save(net, tpath("final.bpm")), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(count_temps(), 0);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
    bp_dataset_free(&ds);
}

// ---- the CLI: signals, ulimit -f, --log ------------------------------------

typedef struct result {
    int rc; // exit status, or -signal when killed
    char err[8192];
} result;

static void slurp(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

// Start the CLI with args (NULL-terminated) in tmpdir, stdout and stderr to
// files there, with RLIMIT_FSIZE fsize (0: unlimited).
static pid_t start_cli(const char *const *args, rlim_t fsize) {
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        const char *argv[64];
        size_t n = 0;
        argv[n++] = BP_CLI_PATH;
        for (; args[n - 1] && n < 63; n++) argv[n] = args[n - 1];
        argv[n] = NULL;
        if (chdir(tmpdir) != 0) _exit(126);
        int out = open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
        if (fsize) {
            struct rlimit rl = {fsize, fsize};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(126);
        }
        execv(BP_CLI_PATH, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static result finish_cli(pid_t pid) {
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    result r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    slurp(tpath("stderr.txt"), r.err, sizeof r.err);
    return r;
}

#define CLI(fsize, ...) finish_cli(start_cli((const char *const[]){__VA_ARGS__, NULL}, fsize))

Test(cli_save, sigterm_during_a_save_leaves_no_temporary, .init = make_tmpdir, .fini = cleanup) {
    // 2-1024-1024-2 with Adam: a 12.6 MB checkpoint every epoch.
    for (int round = 0; round < 3; round++) {
        pid_t pid = start_cli((const char *const[]){"train", "-q", "--data", "spirals", "--samples", "64",
                                                    "--layers", "2,1024,1024,2", "--epochs", "1000",
                                                    "--checkpoint", "ck.bpm", "-o", "m.bpm", NULL}, 0);
        cr_assert(wait_for_temp(), "no checkpoint save seen");
        kill(pid, SIGTERM);
        result r = finish_cli(pid);
        cr_expect_eq(r.rc, -SIGTERM, "exit %d, stderr: %s", r.rc, r.err);
        cr_expect_eq(count_temps(), 0, "round %d: the checkpoint's temporary file survived SIGTERM", round);
    }
}

Test(cli_save, ulimit_f_is_an_error_not_a_silent_death, .init = make_tmpdir, .fini = cleanup) {
    // The spirals model is 18 KB: a 4 KiB limit fails its save with EFBIG.
    result r = CLI(4096, "train", "-q", "--data", "spirals", "--epochs", "1", "-o", "m.bpm");
    cr_expect_eq(r.rc, 1, "exit %d (-25 is death by SIGXFSZ), stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "File too large") && strstr(r.err, "m.bpm"), "stderr: %s", r.err);
    cr_expect(!exists(tpath("m.bpm")));
    cr_expect_eq(count_temps(), 0);
}

Test(cli_save, failed_checkpoint_warns_and_the_model_is_saved, .init = make_tmpdir, .fini = cleanup) {
    // Adam's checkpoint of 2-64-64-2 is 54 KB, the model 18 KB: a 32 KiB
    // limit fails every checkpoint and lets the final save through.
    result r = CLI(32768, "train", "-q", "--data", "spirals", "--epochs", "3", "--checkpoint", "ck.bpm",
                   "-o", "m.bpm");
    cr_expect_eq(r.rc, 0, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "warning: checkpoint after epoch 1 not saved") && strstr(r.err, "File too large"),
              "stderr: %s", r.err);
    cr_expect(strstr(r.err, "3 checkpoints were not saved"), "stderr: %s", r.err);
    bp_net *net = NULL;
    cr_expect_eq(bp_net_load(tpath("m.bpm"), NULL, &net), BP_STATUS_OK, "the final model: %s", bp_last_error());
    bp_net_destroy(net);
    cr_expect(!exists(tpath("ck.bpm")));
    cr_expect_eq(count_temps(), 0);
    // A directory at the checkpoint path is refused before training starts.
    cr_assert_eq(mkdir(tpath("ckdir"), 0700), 0);
    r = CLI(0, "train", "-q", "--data", "xor", "--checkpoint", "ckdir", "-o", "m2.bpm");
    cr_expect_eq(r.rc, 1, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "--checkpoint: 'ckdir' is a directory"), "stderr: %s", r.err);
}

Test(cli_save, log_write_errors_fail_the_run, .init = make_tmpdir, .fini = cleanup) {
    // /dev/full: every write fails with ENOSPC, already at the header.
    result r = CLI(0, "train", "-q", "--data", "xor", "--log", "/dev/full", "-o", "m.bpm");
    cr_expect_eq(r.rc, 1, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "--log") && strstr(r.err, "No space left on device"), "stderr: %s", r.err);
    // The log fills up mid-run (a 4 KiB file-size limit holds about 60 of
    // xor's 500 rows): the run says where, trains on, saves the 200-byte
    // model and exits 1.
    r = CLI(4096, "train", "-q", "--data", "xor", "--log", "log.csv", "-o", "m.bpm");
    cr_expect_eq(r.rc, 1, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "--log: writing 'log.csv' failed at epoch") && strstr(r.err, "File too large"),
              "stderr: %s", r.err);
    bp_net *net = NULL;
    cr_expect_eq(bp_net_load(tpath("m.bpm"), NULL, &net), BP_STATUS_OK, "the model: %s", bp_last_error());
    bp_net_destroy(net);
    // -o refuses a device before training.
    r = CLI(0, "train", "-q", "--data", "xor", "-o", "/dev/null");
    cr_expect_eq(r.rc, 1, "exit %d, stderr: %s", r.rc, r.err);
    cr_expect(strstr(r.err, "'/dev/null' is a device"), "stderr: %s", r.err);
}

// ---- item 16: the allocation counter under threads without OpenMP ----------

enum { ALLOC_THREADS = 4, ALLOCS_EACH = 50000 };

static void *allocate_many(void *unused) {
    (void)unused;
    for (int i = 0; i < ALLOCS_EACH; i++) bp_free(bp_alloc(1, 16));
    return NULL;
}

// Plain pthreads (no OpenMP): a non-atomic increment loses counts here
// (seen with OpenMP off, where `#pragma omp atomic` is ignored).
Test(alloc, counters_are_exact_under_threads) {
    size_t before = bp_alloc_count, live = bp_alloc_live;
    pthread_t t[ALLOC_THREADS];
    for (int i = 0; i < ALLOC_THREADS; i++) cr_assert_eq(pthread_create(&t[i], NULL, allocate_many, NULL), 0);
    for (int i = 0; i < ALLOC_THREADS; i++) pthread_join(t[i], NULL);
    cr_expect_eq(bp_alloc_count - before, (size_t)ALLOC_THREADS * ALLOCS_EACH, "counted %zu allocations",
                 bp_alloc_count - before);
    cr_expect_eq((size_t)bp_alloc_live, live);
}

Test(alloc, failure_hook_fails_exactly_the_nth) {
    void *p[5];
    bp_alloc_fail_after(3);
    for (int i = 0; i < 5; i++) p[i] = bp_alloc(4, 4);
    cr_expect_not_null(p[0]);
    cr_expect_not_null(p[1]);
    cr_expect_null(p[2], "the 3rd allocation should fail");
    cr_expect_not_null(p[3], "the hook fires once");
    cr_expect_not_null(p[4]);
    for (int i = 0; i < 5; i++) bp_free(p[i]);
    bp_alloc_fail_after(0);
}
