// SPDX-License-Identifier: MIT
// One scratch directory per test binary, shared by the file and CLI tests.
// Define BP_TMPDIR_NAME ("cli", "save", ...) before including: make_tmpdir()
// creates /tmp/bp-test-<name>-XXXXXX (the X's are mkdtemp's template),
// tpath() joins a file name onto it, cleanup() removes it.
#ifndef BP_TMPDIR_H
#define BP_TMPDIR_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[256];

static inline void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bp-test-" BP_TMPDIR_NAME "-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp failed");
}

static inline void cleanup(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) cr_expect_eq(system(cmd), 0);
}

// tmpdir/name in one of 8 rotating buffers (a call may use several paths).
static inline const char *tpath(const char *name) {
    static char buf[8][2048];
    static int k;
    k = (k + 1) & 7;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

// Names in tmpdir holding ".tmp." (temporary files of saves).
static inline int count_temps(void) {
    DIR *d = opendir(tmpdir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

#endif
