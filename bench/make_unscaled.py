#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The unscaled CSV case of issue 11: one feature around 1e5, one around 40.

  /usr/bin/python3 bench/make_unscaled.py OUT_DIR [--rows 2000] [--seed 11]

writes OUT_DIR/unscaled_train.csv (80%) and OUT_DIR/unscaled_test.csv (20%):
income ~ N(1e5, 2e4), age ~ U(20, 60), label 1 when
income / 2e4 + (age - 40) / 10 > 5 (both features matter about equally),
else 0. Seeded: the same files every time. The standard library only.
"""
import argparse
import os
import random

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--rows", type=int, default=2000)
ap.add_argument("--seed", type=int, default=11)
a = ap.parse_args()
rng = random.Random(a.seed)
rows = []
for _ in range(a.rows):
    income = rng.gauss(1e5, 2e4)
    age = rng.uniform(20, 60)
    label = int(income / 2e4 + (age - 40) / 10 > 5)
    rows.append(f"{income:.2f},{age:.1f},{label}\n")
os.makedirs(a.out, exist_ok=True)
cut = a.rows * 4 // 5
for name, part in (("unscaled_train.csv", rows[:cut]), ("unscaled_test.csv", rows[cut:])):
    with open(os.path.join(a.out, name), "w") as f:
        f.write("income,age,label\n")
        f.writelines(part)
