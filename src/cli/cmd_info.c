// SPDX-License-Identifier: MIT
// backprop info: version, CPU features, kernel sets, threads.
#include <string.h>

#include "backprop_kernels.h"
#include "cli.h"

static const char usage[] =
    "usage: backprop info\n"
    "\n"
    "Print the version, the CPU features the kernels use, the kernel sets compiled\n"
    "into this build and which of them this CPU supports, the active one (what\n"
    "--isa auto picks; the BP_ISA environment variable overrides it), how the\n"
    "active set computes --precision bf16's products and the default thread count.\n";

int cmd_info(int argc, char **argv) {
    cli_prog = "backprop info";
    int help = 0;
    const char *pos[1];
    size_t n_pos;
    int rc = cli_parse(argc, argv, NULL, 0, pos, 0, &n_pos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (cli_parse_only) return CLI_OK;
    printf("backprop %s\n", bp_version());
    const char *feat = bp_cpu_features();
    printf("cpu features:   %s\n", feat && feat[0] ? feat : "(none)");
    printf("compiled ISAs: ");
    for (int i = BP_ISA_SCALAR; i < BP_ISA_COUNT; i++)
        if (bp_isa_compiled((bp_isa)i)) printf(" %s", bp_isa_name((bp_isa)i));
    printf("\nsupported ISAs:");
    for (int i = BP_ISA_SCALAR; i < BP_ISA_COUNT; i++)
        if (bp_isa_supported((bp_isa)i)) printf(" %s", bp_isa_name((bp_isa)i));
    putchar('\n');
    bp_isa active;
    bp_status st = bp_isa_resolve(BP_ISA_AUTO, &active);
    if (st == BP_STATUS_OK) printf("active ISA:     %s\n", bp_isa_name(active));
    else printf("active ISA:     (none: %s)\n", bp_last_error());
    // --precision bf16's products on the active set: vdpbf16ps, or bf16
    // rounding followed by float FMAs.
    const bp_kernel_table *kt = st == BP_STATUS_OK ? bp_kernel_table_get(active) : NULL;
    if (kt) printf("bf16 products:  %s\n", kt->bf16_kernels);
#ifdef _OPENMP
    printf("threads:        %d (OpenMP)\n", cli_default_threads());
#else
    printf("threads:        1 (built without OpenMP)\n");
#endif
    fflush(stdout);
    if (st != BP_STATUS_OK) {
        cli_error("%s", bp_last_error());
        return CLI_FAIL;
    }
    return CLI_OK;
}
