#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""backprop's CSV defaults beside scikit-learn's MLPClassifier() defaults.

For iris, wine, breast cancer and digits (the CSVs bundled with
scikit-learn) this writes a stratified 75/25 train/test split (seed 0,
train_test_split(test_size=0.25, stratify=y, random_state=0)) as CSV files
with a header and the class NAMES as labels (iris, wine, breast cancer;
digits keeps 0-9), then

  backprop train --data train.csv --test test.csv -o model.bpm   (defaults only)
  MLPClassifier(random_state=SEED).fit(X_train, y_train)          (defaults only)

and prints the test accuracy of both. MLPClassifier gets the raw features,
as backprop does (backprop standardizes inside its model by default); a
last column shows make_pipeline(StandardScaler(), MLPClassifier()) for
reference (what a user who scales by hand gets).

  /usr/bin/python3 bench/tabular_compare.py --backprop build/backprop [--seeds 1,2,3]

backprop's --seed and MLPClassifier's random_state take each seed in turn
(the split stays seed 0); the table shows the mean over seeds and the range.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SETS = [
    ("iris", datasets.load_iris),
    ("wine", datasets.load_wine),
    ("breast_cancer", datasets.load_breast_cancer),
    ("digits", datasets.load_digits),
]


def write_csv(path, X, labels, feature_names):
    with open(path, "w") as f:
        f.write(",".join(feature_names + ["label"]) + "\n")
        for row, lab in zip(X, labels):
            f.write(",".join(repr(float(v)) for v in row) + "," + str(lab) + "\n")


def backprop_accuracy(exe, train, test, seed, workdir):
    model = os.path.join(workdir, "model.bpm")
    t0 = time.time()
    r = subprocess.run([exe, "train", "-q", "--data", train, "--test", test, "--seed", str(seed), "-o", model],
                       capture_output=True, text=True)
    dt = time.time() - t0
    if r.returncode != 0:
        sys.exit(f"backprop failed ({r.returncode}):\n{r.stderr}")
    m = re.search(r"^test: .*accuracy ([0-9.]+)%", r.stdout, re.M)
    e = re.search(r"^training:\s+(\d+) epoch", r.stdout, re.M)
    return float(m.group(1)), int(e.group(1)), dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backprop", default="build/backprop")
    ap.add_argument("--seeds", default="1,2,3")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"split: stratified 75/25, train_test_split(random_state=0); seeds {seeds}")
    print(f"{'set':<14} {'rows':>5} {'feat':>4} {'cls':>3}  {'backprop %':>18} {'epochs':>7} {'s':>5}"
          f"  {'MLPClassifier() %':>18}  {'Scaler+MLP %':>18}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, loader in SETS:
            ds = loader()
            X, y = ds.data, ds.target
            names = [str(n) for n in ds.target_names] if name != "digits" else [str(i) for i in range(10)]
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
            feats = [re.sub(r"[^A-Za-z0-9_]+", "_", str(f)) for f in ds.feature_names]
            train, test = os.path.join(tmp, f"{name}_train.csv"), os.path.join(tmp, f"{name}_test.csv")
            write_csv(train, Xtr, [names[i] for i in ytr], feats)
            write_csv(test, Xte, [names[i] for i in yte], feats)
            bp, sk, sks, ep, secs = [], [], [], [], 0.0
            for s in seeds:
                acc, epochs, dt = backprop_accuracy(args.backprop, train, test, s, tmp)
                bp.append(acc)
                ep.append(epochs)
                secs += dt
                clf = MLPClassifier(random_state=s).fit(Xtr, ytr)
                sk.append(100.0 * clf.score(Xte, yte))
                pipe = make_pipeline(StandardScaler(), MLPClassifier(random_state=s)).fit(Xtr, ytr)
                sks.append(100.0 * pipe.score(Xte, yte))
            fmt = lambda v: f"{np.mean(v):6.2f} ({min(v):.1f}-{max(v):.1f})"
            print(f"{name:<14} {len(X):>5} {X.shape[1]:>4} {len(names):>3}  {fmt(bp):>18} {int(np.mean(ep)):>7}"
                  f" {secs / len(seeds):5.1f}  {fmt(sk):>18}  {fmt(sks):>18}", flush=True)


if __name__ == "__main__":
    main()
