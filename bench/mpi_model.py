#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The paper model of data-parallel training on many machines (README,
# "Scaling to many machines"): samples/s of W2 (784-1024-1024-10) with 256
# rows per rank per step, on R ranks, for the chained (deterministic) and
# the allreduce reduction, from a measured one-rank compute rate.
#   bench/mpi_model.py [--rate SAMPLES_PER_S] [--alpha-us US] [--chunk FLOATS]
import argparse

p = argparse.ArgumentParser()
p.add_argument("--rate", type=float, default=18013.0,
               help="one rank's samples/s on W2 batch 256 (bench/README.md, 03:44 run, one thread)")
p.add_argument("--alpha-us", type=float, default=2.0, help="latency of one message, microseconds")
p.add_argument("--chunk", type=int, default=0,
               help="floats per gradient chunk (default: trainer_mpi.c's 2^20/R within 4096..65536)")
p.add_argument("--overhead-us", type=float, default=1.0,
               help="CPU time of one message on the rank that sends or receives it, microseconds")
p.add_argument("--rows", type=int, default=256, help="rows per rank per step")
a = p.parse_args()

sizes = [784, 1024, 1024, 10]
P = sum(i * o + o for i, o in zip(sizes, sizes[1:]))          # parameters
P_w = sum(i * o for i, o in zip(sizes, sizes[1:]))            # weights
flops_sample = sum(2 * (2 * i * o) + (2 * i * o if l else 0)  # bench_train.c's count
                   for l, (i, o) in enumerate(zip(sizes, sizes[1:])))
b, alpha = a.rows, a.alpha_us * 1e-6
T_c = b / a.rate                         # one rank's step: its rows plus the (replicated) update
flops_rate = a.rate * flops_sample
bytes_p = 4 * P
over = a.overhead_us * 1e-6
print(f"P = {P} parameters ({bytes_p / 1e6:.2f} MB), {flops_sample / 1e6:.2f} MFLOP/sample, "
      f"one rank {a.rate:.0f} samples/s = {flops_rate / 1e9:.0f} GFLOP/s, step {T_c * 1e3:.2f} ms "
      f"for {b} rows; message latency {a.alpha_us} us, CPU cost {a.overhead_us} us per message")
print(f"bytes per rank per step, each direction: chain <= 2 x 4P = {2 * bytes_p / 1e6:.1f} MB; "
      f"ring allreduce 2 (R-1)/R x 4P -> {2 * bytes_p / 1e6:.1f} MB")
print()
print("| ranks | link | chunk | chain: step ms | chain samples/s | chain efficiency "
      "| allreduce: step ms | allreduce samples/s | allreduce efficiency |")
print("|---|---|---|---|---|---|---|---|---|")
for R in (8, 64, 512):
    chunk = a.chunk or min(65536, max(4096, (1 << 20) // R))
    t_chunk = 2.0 * b * chunk / flops_rate  # one chunk's weight gradient over the rank's rows
    n_msgs = 4 * P / chunk                  # partial in + out, final in + out
    for bw in (25e9, 100e9):
        s_c = 4 * chunk / bw
        # Chain: the last rank finishes R-1 hops (one chunk's compute, message
        # latency and transfer each) behind the first; the finished last
        # chunk then travels R-1 hops round the ring. The partial and final
        # streams (2 x 4P bytes) overlap the backward pass.
        t_chain = T_c + n_msgs * over + (R - 1) * (t_chunk + alpha + s_c) + (R - 1) * (alpha + s_c)
        t_chain = max(t_chain, T_c + 2 * bytes_p / bw)
        # Ring allreduce after the backward pass (not overlapped here).
        t_ar = T_c + 2 * (R - 1) / R * bytes_p / bw + 2 * (R - 1) * alpha
        ideal = R * b / T_c
        print(f"| {R} | {bw / 1e9:.0f} GB/s | {chunk} | {t_chain * 1e3:.1f} | {R * b / t_chain:,.0f} | "
              f"{R * b / t_chain / ideal:.0%} | {t_ar * 1e3:.1f} | {R * b / t_ar:,.0f} | "
              f"{R * b / t_ar / ideal:.0%} |")
