#!/usr/bin/env bash
# Builds certkit's VNN-COMP-style benchmark from scratch into OUT_DIR: trains its four networks
# (run directories under OUT_DIR/runs), then writes OUT_DIR/onnx, OUT_DIR/vnnlib and one
# OUT_DIR/instances.csv listing every instance. See README.md beside this script.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 OUT_DIR (a new or empty directory)" >&2
  exit 2
fi
out="$1"
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "$0: $out is not empty; the benchmark is built from scratch into a new or empty" \
    "directory" >&2
  exit 2
fi
mkdir -p "$out/runs"
out="$(cd "$out" && pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

./certkit data fetch mnist
./certkit data fetch fashion-mnist

# train NAME DATASET TRAIN_OPTIONS...: standard training for 3 epochs into OUT/runs/NAME, with
# the test accuracy on the whole test set; the output is kept in OUT/runs/NAME.log.
train() {
  local name="$1" data="$2"
  shift 2
  ./certkit train --data "$data" --method standard --epochs 3 --seed 0 --eval-samples 10000 \
    --out "$out/runs/$name" "$@" | tee "$out/runs/$name.log"
}

# properties NAME DATASET TIMEOUT EPS...: 15 correctly classified test images per radius.
properties() {
  local name="$1" data="$2" timeout="$3" eps
  shift 3
  for eps in "$@"; do
    ./certkit properties --model "$out/runs/$name/model.ckpt" --data "$data" --eps "$eps" \
      --n 15 --timeout "$timeout" --out "$out" --onnx-name "$name.onnx"
  done
}

train mnist-net_256x2 mnist --arch fc --hidden 256,256 --eps 0.03
train mnist-net_256x4 mnist --arch fc --hidden 256,256,256,256 --eps 0.03
train mnist-net_256x6 mnist --arch fc --hidden 256,256,256,256,256,256 --eps 0.03
train fashion-mnist-cnn4 fashion-mnist --arch convsmall --eps 0.00784313725490196

properties mnist-net_256x2 mnist 120 0.03 0.05
properties mnist-net_256x4 mnist 300 0.03 0.05
properties mnist-net_256x6 mnist 300 0.03 0.05
properties fashion-mnist-cnn4 fashion-mnist 120 2/255

echo
grep -h "trained .* test accuracy" "$out"/runs/*.log
echo "$(wc -l < "$out/instances.csv") instances in $out/instances.csv"
