#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: install what is needed, build, and train the default MLP on
# Fashion-MNIST (Debian's dataset-fashion-mnist); prints the test accuracy
# and its confusion matrix. Without the data set it trains on the built-in
# spirals. Extra arguments go to `backprop train`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
bash scripts/deps.sh "${BP_BUILD_PACKAGES[@]}" dataset-fashion-mnist
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBP_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target backprop >/dev/null
data=/usr/share/datasets/fashion-mnist
if [ -f "$data/train-images-idx3-ubyte.gz" ]; then
  ./build/backprop train --data fashion-mnist -o build/fashion-mnist.bpm "$@"
  # Test accuracy, confusion matrix and per-class accuracy of the model.
  ./build/backprop eval build/fashion-mnist.bpm --data fashion-mnist
else
  echo "train.sh: $data not found; training on the built-in spirals instead" >&2
  ./build/backprop train --data spirals -o build/spirals.bpm "$@"
fi
