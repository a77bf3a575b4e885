#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Choose the default weight initialisation by measurement.

For each --init (auto, he, glorot, lecun, torch) this trains with backprop's
defaults otherwise and prints the mean test accuracy over seeds on iris,
wine, breast cancer and digits (the split of tabular_compare.py), the test
R^2 on scikit-learn's diabetes regression set (same split rule, not
stratified), and Fashion-MNIST test accuracy after a short run (--fm-epochs,
default 2; needs Debian's dataset-fashion-mnist).

  /usr/bin/python3 bench/init_compare.py --backprop build/backprop [--seeds 1,2,3] [--fm-epochs 2]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tabular_compare import SETS, write_csv  # noqa: E402

INITS = ["auto", "he", "glorot", "lecun", "torch"]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def test_metric(out, what):
    m = re.search(r"^test: .*" + what + r" ([-0-9.]+)", out, re.M)
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backprop", default="build/backprop")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--fm-epochs", type=int, default=2)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    exe = args.backprop
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, loader in SETS:
            ds = loader()
            Xtr, Xte, ytr, yte = train_test_split(ds.data, ds.target, test_size=0.25, stratify=ds.target,
                                                  random_state=0)
            feats = [f"f{i}" for i in range(ds.data.shape[1])]
            tr, te = os.path.join(tmp, name + "_tr.csv"), os.path.join(tmp, name + "_te.csv")
            write_csv(tr, Xtr, list(ytr), feats)
            write_csv(te, Xte, list(yte), feats)
            files.append((name, tr, te))
        d = datasets.load_diabetes()
        Xtr, Xte, ytr, yte = train_test_split(d.data, d.target, test_size=0.25, random_state=0)
        dtr, dte = os.path.join(tmp, "diab_tr.csv"), os.path.join(tmp, "diab_te.csv")
        write_csv(dtr, Xtr, list(ytr), [f"f{i}" for i in range(d.data.shape[1])])
        write_csv(dte, Xte, list(yte), [f"f{i}" for i in range(d.data.shape[1])])
        var = float(np.var(yte))
        print(f"test accuracy %, mean of seeds {seeds}; diabetes: test R^2 of predict's outputs;"
              f" Fashion-MNIST: {args.fm_epochs} epochs, seed 1")
        print(f"{'init':<7}" + "".join(f"{n:>15}" for n, _, _ in files) + f"{'diabetes R2':>13}{'FM acc':>9}{'FM s':>7}")
        for init in INITS:
            row = f"{init:<7}"
            for name, tr, te in files:
                accs = [test_metric(run([exe, "train", "-q", "--data", tr, "--test", te, "--init", init,
                                         "--seed", str(s), "-o", os.path.join(tmp, "m.bpm")]), "accuracy")
                        for s in seeds]
                row += f"{np.mean(accs):15.2f}"
            r2 = []
            for s in seeds:
                model = os.path.join(tmp, "d.bpm")
                run([exe, "train", "-q", "--data", dtr, "--test", dte, "--targets", "1", "--init", init,
                     "--seed", str(s), "-o", model])
                pred = run([exe, "predict", model, "--input", dte, "--label-col", "-1"])
                yp = np.array([float(l) for l in pred.split("\n")[1:] if l])
                r2.append(1.0 - float(np.mean((yp - yte) ** 2)) / var)
            row += f"{np.mean(r2):13.3f}"
            if args.fm_epochs > 0 and os.path.isdir("/usr/share/datasets/fashion-mnist"):
                t0 = time.time()
                out = run([exe, "train", "-q", "--data", "fashion-mnist", "--epochs", str(args.fm_epochs),
                           "--init", init, "-o", os.path.join(tmp, "fm.bpm")])
                row += f"{test_metric(out, 'accuracy'):9.2f}{time.time() - t0:7.1f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
