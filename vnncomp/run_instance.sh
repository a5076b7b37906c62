#!/usr/bin/env bash
# VNN-COMP entry point: verifies one instance and writes the result file.
# Usage: run_instance.sh v1 BENCHMARK ONNX VNNLIB RESULT_FILE TIMEOUT
# The result file holds sat (with the counterexample), unsat, timeout, unknown or error.
# certkit's own limit leaves a few seconds of the competition's for the JVM's start and exit.
set -uo pipefail
if [ "$#" -ne 6 ] || [ "$1" != "v1" ]; then
  echo "usage: run_instance.sh v1 BENCHMARK ONNX VNNLIB RESULT_FILE TIMEOUT" >&2
  exit 1
fi
onnx="$3"
vnnlib="$4"
result="$5"
timeout="$6"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
limit=$(awk -v t="$timeout" 'BEGIN { l = t - 5; if (l < t / 2) l = t / 2; print l }')
# The harness owns RESULT_FILE: certkit replaces it (--overwrite).
if ! "$root/certkit" verify "$onnx" "$vnnlib" --timeout "$limit" --result "$result" \
    --overwrite; then
  echo error > "$result"
fi
exit 0
