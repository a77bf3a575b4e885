// SPDX-License-Identifier: MIT
// The only C++ file: registers every C benchmark case (bench_cases.h) with
// Google Benchmark. FMA-peak cases are registered (so run) first; the peak
// they measure is what later cases' "peak_frac" divides by. Cases whose ISA
// this CPU or build lacks are registered and skipped with a reason.
// Timing is the process's CPU time (MeasureProcessCPUTime): the machine is
// shared, and wall time counts the slices other processes take. Run with
// OMP_NUM_THREADS=1 so that peers built on OpenMP (oneDNN) run on one thread
// like our kernels (process CPU time would add up the threads' time anyway).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "bench_cases.h"
}

namespace {

// FMA-peak runs of at least 50 ms (the sizing runs before are shorter), per
// ISA. The peak is their median: the statistic reported for every case, so
// clock and load drifts during the run weigh on both sides alike.
std::vector<double> g_peak_runs[BP_ISA_COUNT];

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double process_cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool is_peak_case(const bp_bench_case &c) { return std::strncmp(c.name, "fma_peak/", 9) == 0; }

void run_case(benchmark::State &state, const bp_bench_case *c) {
    if (c->isa != BP_ISA_AUTO && !bp_isa_supported(c->isa)) {
        state.SkipWithError("ISA not supported by this CPU or build");
        return;
    }
    const char *why = "setup failed";
    void *ctx = c->setup(c, &why);
    if (!ctx) {
        state.SkipWithError(why);
        return;
    }
    c->run(ctx); // warm caches and lazy initialisation outside the timing
    double t0 = process_cpu_seconds();
    for (auto _ : state) c->run(ctx);
    double secs = process_cpu_seconds() - t0;
    double iters = (double)state.iterations();
    using benchmark::Counter;
    if (c->flops > 0) state.counters["GFLOPS"] = Counter(c->flops * 1e-9, Counter::kIsIterationInvariantRate);
    if (c->bytes > 0) state.counters["GB/s"] = Counter(c->bytes * 1e-9, Counter::kIsIterationInvariantRate);
    if (c->elements > 0)
        state.counters["elements/s"] = Counter(c->elements, Counter::kIsIterationInvariantRate);
    if (c->flops > 0 && secs > 0) {
        double gflops = c->flops * iters / secs * 1e-9;
        if (is_peak_case(*c) && secs >= 0.05) g_peak_runs[c->isa].push_back(gflops);
        double peak = bp_bench_fma_peak_gflops(c->isa);
        if (c->fraction_of_peak && peak > 0) state.counters["peak_frac"] = gflops / peak;
    }
    std::string label = c->isa == BP_ISA_AUTO ? "" : bp_isa_name(c->isa);
    if (c->label) {
        const char *l = c->label(ctx);
        if (l && *l) label += (label.empty() ? "" : " ") + std::string(l);
    }
    if (!label.empty()) state.SetLabel(label);
    c->teardown(ctx);
}

} // namespace

// AVX2 cases are held to the ymm peak, AVX-512 ones to the zmm peak;
// scalar and peers (BP_ISA_AUTO) to the widest peak measured.
extern "C" double bp_bench_fma_peak_gflops(bp_isa isa) {
    if (isa == BP_ISA_AVX2 || isa == BP_ISA_AVX512) return median(g_peak_runs[isa]);
    return std::max(median(g_peak_runs[BP_ISA_AVX2]), median(g_peak_runs[BP_ISA_AVX512]));
}

int main(int argc, char **argv) {
    std::vector<bp_bench_case> cases;
    size_t (*families[])(bp_bench_case *, size_t) = {bp_bench_cases_gemm, bp_bench_cases_elementwise};
    for (auto fam : families) {
        // A family writes at most cap cases; grow until it leaves room.
        std::vector<bp_bench_case> buf(256);
        size_t n;
        while ((n = fam(buf.data(), buf.size())) >= buf.size()) buf.resize(buf.size() * 4);
        cases.insert(cases.end(), buf.begin(), buf.begin() + (long)n);
    }
    std::stable_partition(cases.begin(), cases.end(), is_peak_case);
    for (const bp_bench_case &c : cases)
        benchmark::RegisterBenchmark(c.name, run_case, &c)->MeasureProcessCPUTime();

    const char *omp = std::getenv("OMP_NUM_THREADS");
    benchmark::AddCustomContext("OMP_NUM_THREADS", omp ? omp : "(unset: oneDNN uses every core)");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
