#!/usr/bin/env bash
# Mutation check of the sound-rounding allowances of IntervalDomain (OUTWARD mode): in a scratch
# copy of the sources, removes each allowance in turn, or makes it 10^6 times smaller, and runs
# the exact-arithmetic tests (OutwardRoundingTest, CertifierTest). Every mutant must fail
# them. Prints one line per mutant and exits non-zero if any survives. Takes ~20 minutes.
# Arguments, if any, pick mutants by the first word of their name (such as: relu margin).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=jdk.sh
source "$here/scripts/jdk.sh"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$here" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) \
  | tar -C "$scratch" -xf -
file="certkit-core/src/main/java/org/certkit/domain/IntervalDomain.java"
# name | perl substitution applied to the file; arguments, if any, select mutants by name
only=("$@")
mutants=(
  "input ball removed|s/INPUT_ULPS = 4;/INPUT_ULPS = 0;/"
  "input ball 1e-6|s/INPUT_ULPS = 4;/INPUT_ULPS = 4e-6;/"
  "affine removed|s/AFFINE_GAMMAS = 2;/AFFINE_GAMMAS = 0;/"
  "affine 1e-6|s/AFFINE_GAMMAS = 2;/AFFINE_GAMMAS = 2e-6;/"
  "relu removed|s/RELU_ULPS = 8;/RELU_ULPS = 0;/"
  "relu 1e-6|s/RELU_ULPS = 8;/RELU_ULPS = 8e-6;/"
  "normalize removed|s/NORMALIZE_ULPS = 4;/NORMALIZE_ULPS = 0;/"
  "normalize 1e-6|s/NORMALIZE_ULPS = 4;/NORMALIZE_ULPS = 4e-6;/"
  "pool removed|s/POOL_GAMMAS = 2;/POOL_GAMMAS = 0;/"
  "pool 1e-6|s/POOL_GAMMAS = 2;/POOL_GAMMAS = 2e-6;/"
  "maxpool removed|s/MAX_POOL_ULPS = 8;/MAX_POOL_ULPS = 0;/"
  "maxpool 1e-6|s/MAX_POOL_ULPS = 8;/MAX_POOL_ULPS = 8e-6;/"
  "function removed|s/FUNCTION_ULPS = 8;/FUNCTION_ULPS = 0;/"
  "function 1e-6|s/FUNCTION_ULPS = 8;/FUNCTION_ULPS = 8e-6;/"
  "ends removed|s/END_ULPS = 4;/END_ULPS = 0;/"
  "ends 1e-6|s/END_ULPS = 4;/END_ULPS = 4e-6;/"
  "add removed|s/ADD_ULPS = 4;/ADD_ULPS = 0;/"
  "add 1e-6|s/ADD_ULPS = 4;/ADD_ULPS = 4e-6;/"
  "batchnorm removed|s/BATCH_NORM_ULPS = 16;/BATCH_NORM_ULPS = 0;/"
  "batchnorm 1e-6|s/BATCH_NORM_ULPS = 16;/BATCH_NORM_ULPS = 16e-6;/"
  "batchnorm without the mean term|s/\\.addi\\(BatchStatistics\\.reshapeForChannels\\(\\s*LayerOps\\.abs\\(mv\\.mean\\(\\), m, c\\), c\\.getShape\\(\\)\\)\\)//s"
  "batchnorm relative to the shift (the old rule)|s/\\.addi\\(BatchStatistics\\.reshapeForChannels\\(\\s*LayerOps\\.abs\\(mv\\.mean\\(\\), m, c\\), c\\.getShape\\(\\)\\)\\)//s; s/\\.addi\\(BatchStatistics\\.reshapeForChannels\\(LayerOps\\.abs\\(b\\.beta\\(\\), m, c\\),\\s*c\\.getShape\\(\\)\\)\\)/.addi(affine.shift().abs())/s"
  "margin removed|s/MARGIN_GAMMAS = 2;/MARGIN_GAMMAS = 0;/"
  "margin 1e-6|s/MARGIN_GAMMAS = 2;/MARGIN_GAMMAS = 2e-6;/"
  "constraints removed|s/CONSTRAINT_GAMMAS = 2;/CONSTRAINT_GAMMAS = 0;/"
  "constraints 1e-6|s/CONSTRAINT_GAMMAS = 2;/CONSTRAINT_GAMMAS = 2e-6;/"
  "underflow removed|s/UNDERFLOW = Double.MIN_VALUE;/UNDERFLOW = 0;/"
  "underflow 1e-6|s/UNDERFLOW = Double.MIN_VALUE;/UNDERFLOW = Double.MIN_VALUE * 1e-6;/"
)
cp "$scratch/$file" "$scratch/$file.orig"
survivors=0
for m in "${mutants[@]}"; do
  name="${m%%|*}"
  edit="${m#*|}"
  if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qF -- "${name%% *}"; then
    continue
  fi
  cp "$scratch/$file.orig" "$scratch/$file"
  perl -0pi -e "$edit" "$scratch/$file"
  if cmp -s "$scratch/$file" "$scratch/$file.orig"; then
    echo "ERROR  $name: the substitution matched nothing"; survivors=$((survivors + 1)); continue
  fi
  if (cd "$scratch" && mvn -B -o -q -pl certkit-core test -Dsurefire.failIfNoSpecifiedTests=false \
      -Dtest='OutwardRoundingTest,CertifierTest' >"$scratch/log" 2>&1); then
    echo "SURVIVED  $name"; survivors=$((survivors + 1))
  else
    failed="$(grep -oE '^\[ERROR\]   (OutwardRoundingTest|CertifierTest)\.[A-Za-z0-9]+' \
      "$scratch/log" | sed 's/^\[ERROR\]   //' | sort -u | tr '\n' ' ')"
    echo "killed    $name: ${failed:-build failed}"
  fi
done
exit "$survivors"
