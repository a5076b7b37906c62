# Sourced by the launchers (./certkit in the source tree, bin/certkit in the distribution) after
# scripts/jdk.sh: runs the certkit command line with CERTKIT_CLASSPATH and the arguments given.
# protobuf (ONNX files, OR-Tools) uses sun.misc.Unsafe, which JDK 24+ warns about on every run.
unsafe=()
if [ "$(certkit_java_major "$JAVA_HOME")" -ge 24 ] 2>/dev/null; then
  unsafe=(--sun-misc-unsafe-memory-access=allow)
fi
# Java takes user.home from the password file; data and caches belong under $HOME when it is set.
home=()
if [ -n "${HOME:-}" ]; then
  home=("-Duser.home=$HOME")
fi
# MKL's results may depend on the memory alignment of its operands, which differs from run to run;
# its conditional numerical reproducibility mode (AUTO keeps the CPU's own code path) makes a seed
# give the same numbers on one machine with one thread count. A value already set wins.
export MKL_CBWR="${MKL_CBWR:-AUTO}"
# An intra-op thread that finds no work spins this long before it sleeps (GNU OpenMP's default
# is 300,000). With another process on the cores, the default kept a thread spinning while its
# partner waited to be scheduled: the quickstart's epoch took 132 s instead of 16 s. 10,000 gave
# 44 s busy and 19 s idle (docs/compute.md, "On a busy machine"). A value already set wins.
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-10000}"
# --deterministic (train, quickstart): the native library reads these when it loads, so they are
# set here. MKL, oneDNN and ATen keep to AVX2 kernels (the same code paths on AVX2 and AVX-512
# CPUs) and the thread counts are fixed, by default to PyTorch's own default, the number of
# physical cores. See README.md, "Reproducible runs".
for arg in "$@"; do
  if [ "$arg" = "--deterministic" ]; then
    cores=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v "^#" | sort -u | wc -l || true)
    [ "$cores" -ge 1 ] 2>/dev/null || cores=$(nproc)
    threads="${OMP_NUM_THREADS:-$cores}"
    export MKL_CBWR=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2
    export OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
  fi
done
# Spark (certkit spark) reaches into these JDK internals.
opens=()
for package in java.lang java.lang.invoke java.nio sun.nio.ch java.util; do
  opens+=("--add-opens=java.base/$package=ALL-UNNAMED")
done
exec "$JAVA_HOME/bin/java" -Dai.djl.offline=true -Xss8m --enable-native-access=ALL-UNNAMED \
  "${home[@]}" "${unsafe[@]}" "${opens[@]}" -cp "$CERTKIT_CLASSPATH" \
  org.certkit.cli.CertkitCommand "$@"
