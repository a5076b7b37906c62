#!/usr/bin/env bash
# VNN-COMP entry point: run before each instance, untimed.
# Usage: prepare_instance.sh v1 BENCHMARK ONNX VNNLIB
# certkit keeps nothing between instances (each run_instance.sh is its own process), so this
# only checks that the files can be read.
set -euo pipefail
if [ "$#" -ne 4 ] || [ "$1" != "v1" ]; then
  echo "usage: prepare_instance.sh v1 BENCHMARK ONNX VNNLIB" >&2
  exit 1
fi
for f in "$3" "$4"; do
  if [ ! -r "$f" ]; then
    echo "prepare_instance.sh: cannot read $f" >&2
    exit 1
  fi
done
exit 0
