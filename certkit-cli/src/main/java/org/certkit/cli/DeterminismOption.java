package org.certkit.cli;

import org.certkit.io.DeterministicEnvironment;
import picocli.CommandLine.Option;

/** The {@code --deterministic} switch of the commands that train. */
final class DeterminismOption {

  @Option(names = "--deterministic",
      description = {"The same numeric code paths on AVX2 and AVX-512 CPUs and fixed thread"
          + " counts (short runs repeat bit for bit; see README): ./certkit then exports"
          + " MKL_CBWR=AVX2,"
          + " ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2 and fixed OMP_NUM_THREADS and"
          + " MKL_NUM_THREADS. The command refuses to run if they are not set; provenance"
          + " records deterministic: true."})
  boolean deterministic;

  /** Fails, naming the variables to export, if the switch is on but the environment not set. */
  void check() {
    if (deterministic) {
      DeterministicEnvironment.require();
    }
  }
}
