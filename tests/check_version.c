// SPDX-License-Identifier: MIT
// The version agrees everywhere: BP_VERSION_STRING and its parts, the
// library's bp_version(), and the CMake project version (passed in as
// BP_EXPECTED_VERSION). Links the shared library when there is one.
#include <backprop.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    char parts[64];
    snprintf(parts, sizeof parts, "%d.%d.%d", BP_VERSION_MAJOR, BP_VERSION_MINOR,
             BP_VERSION_PATCH);
    const char *got[] = {BP_VERSION_STRING, parts, bp_version()};
    const char *what[] = {"BP_VERSION_STRING", "BP_VERSION_MAJOR.MINOR.PATCH", "bp_version()"};
    int bad = 0;
    for (int i = 0; i < 3; i++)
        if (strcmp(got[i], BP_EXPECTED_VERSION) != 0) {
            fprintf(stderr, "%s is '%s', the CMake project version is '%s'\n", what[i], got[i],
                    BP_EXPECTED_VERSION);
            bad = 1;
        }
    if (!bad) printf("version %s everywhere\n", BP_EXPECTED_VERSION);
    return bad;
}
